"""The overview's figures and hotspots (counted by the database since issue 16) are what a straightforward count of
the same petitions gives, on SQLite and PostgreSQL, for an admin and for an operator of one agency: read on the page.

The store is seeded with a few thousand petitions over 100 days, then given the cases the database's grouping must
get right: commune names typed two ways, one topic across agencies, petitions without a topic, runs exactly 14 days
long and a microsecond longer, petitions of the same microsecond, and citizens' ratings.
"""
from __future__ import annotations

import re
import shutil
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import update

from console.config import HotspotRule
from nlp.text import fold
from petitions.communes import CommuneDirectory
from petitions.models import OPEN_STATUSES, Petition
from petitions.records import PetitionFilter, PetitionRecord
from petitions.vn_time import VN_TZ, vn_date, vn_today
from tests.fixtures_console import AGENCY_A, AGENCY_B, ConsoleEnv, build_console_env
from tests.test_console_scale import SeedPlan, seed_petitions

DIRECTORY = Path(__file__).resolve().parents[1] / "petitions" / "data" / "communes.yml"
WEEKS = 12
TOP_COMMUNES = 15
UNMATCHED = "Chưa xác định"


# -- the straightforward count ----------------------------------------------------------------------------------------

@dataclass
class Figures:
    tiles: tuple[int, int, int]  # total, open, overdue
    median: str  # as the page prints it: "4,2 ngày", or "—"
    answered: int
    per_agency: list[tuple[str, int]]
    per_commune: list[tuple[str, int]]
    per_week: list[tuple[str, int]]
    ratings: list[tuple[str, int, int, int]]  # agency, rated, resolved, reopened
    hotspots: list[tuple[str, str, int, str, list[str]]]  # commune, matter, count, "first – last", codes


def expected(records: list[PetitionRecord], ratings: dict[str, list], agency: str | None, today: date,
             directory: CommuneDirectory, agency_name: dict[str, str], rule: HotspotRule) -> Figures:
    """Every figure of the overview, petition by petition in Python (as the page computed it before issue 16)."""
    mine = [r for r in records if agency is None or r.agency == agency]
    monday = today - timedelta(days=today.weekday())
    first_week = monday - timedelta(weeks=WEEKS - 1)
    weeks = Counter()
    durations = []
    for r in mine:
        day = r.created_at.astimezone(VN_TZ).date()
        if day >= first_week:
            weeks[day - timedelta(days=day.weekday())] += 1
            if r.answered_at is not None:
                durations.append((r.answered_at - r.created_at).total_seconds() / 86400)
    median = f"{statistics.median(durations):.1f}".replace(".", ",") + " ngày" if durations else "—"
    communes = Counter()
    for r in mine:
        commune = directory.get(r.commune_code) if r.commune_code else None
        communes[commune.full_name if commune else UNMATCHED] += 1
    rated: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in mine:
        for entry in ratings[r.code]:
            counts = rated[entry.agency]
            counts[0] += 1
            counts[1] += entry.verdict == "resolved"
            counts[2] += entry.reopened
    return Figures(
        tiles=(len(mine), sum(r.status in OPEN_STATUSES for r in mine), sum(r.is_overdue(today) for r in mine)),
        median=median, answered=len(durations),
        per_agency=sorted(Counter(r.agency for r in mine).items(), key=lambda kv: (-kv[1], kv[0])),
        per_commune=sorted(communes.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_COMMUNES],
        per_week=[((first_week + timedelta(weeks=i)).strftime("%d/%m"), weeks[first_week + timedelta(weeks=i)])
                  for i in range(WEEKS)],
        ratings=[(agency_name[a], *c) for a, c in sorted(rated.items(), key=lambda kv: (-kv[1][0], kv[0]))],
        hotspots=expected_hotspots(records, agency, today, rule),
    )


def expected_hotspots(records: list[PetitionRecord], agency: str | None, today: date,
                      rule: HotspotRule) -> list[tuple[str, str, int, str, list[str]]]:
    """Per commune (code, else the typed name folded) and matter (topic folded, else agency): the longest run of
    petitions within the window, earliest on a tie; shown when the account sees two of its petitions or more."""
    since = datetime(today.year, today.month, today.day, tzinfo=UTC) - timedelta(days=rule.lookback_days)
    groups: dict[tuple[str, str], list[PetitionRecord]] = defaultdict(list)
    for r in records:
        commune = r.commune_code or (fold(r.commune_name) if r.commune_name else "")
        if r.created_at >= since and commune:
            groups[(commune, fold(r.topic) if r.topic else r.agency)].append(r)
    found = []
    for key, items in groups.items():
        items.sort(key=lambda r: (r.created_at, r.id))
        best: list[PetitionRecord] = []
        start = 0
        for end in range(len(items)):
            while items[end].created_at - items[start].created_at > timedelta(days=rule.window_days):
                start += 1
            if end + 1 - start > len(best):
                best = items[start:end + 1]
        if len(best) >= rule.min_size:
            found.append((key, best))
    found.sort(key=lambda kb: (-len(kb[1]), -kb[1][-1].created_at.timestamp(), kb[0]))
    rows = []
    for _key, run in found:
        visible = [r.code for r in run if agency is None or r.agency == agency]
        if len(visible) >= 2:
            head = run[-1]
            rows.append((head.commune_name or "", head.topic or head.agency, len(visible),
                         f"{vn_date(run[0].created_at)} – {vn_date(run[-1].created_at)}", visible))
    return rows


# -- what the page shows ----------------------------------------------------------------------------------------------

def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start:html.index("</section>", start)]


def shown(html: str) -> Figures:
    tiles = tuple(int(n) for n in re.findall(r'<div class="tile[^"]*"><span>[^<]+</span><b>(?:<a [^>]*>)?(\d+)', html))
    median = re.search(r"Thời gian trả lời[^<]*</span>\s*<b>([^<]+)</b>\s*<small>(\d+) hồ sơ đã trả lời", html)
    assert median, "the median tile is missing"
    agency = _section(html, "h-agency")
    commune = _section(html, "h-commune")
    week = _section(html, "h-week")
    rating = _section(html, "h-rating")
    hot = _section(html, "h-hot")
    hot_rows = re.findall(r'<td data-label="Xã/phường">([^<]*)</td><td data-label="Vấn đề">([^<]*)</td>'
                          r'<td data-label="Số hồ sơ">(\d+)</td>\s*<td data-label="Khoảng thời gian">([^<]*)</td>\s*'
                          r'<td data-label="Hồ sơ">(.*?)</td></tr>', hot)
    return Figures(
        tiles=tiles[:3],  # type: ignore[arg-type]
        median=unescape(median.group(1)).strip(), answered=int(median.group(2)),
        per_agency=[(code, int(n)) for code, n in
                    re.findall(r'<a href="/console/\?status=tat-ca&amp;agency=([^"]+)">[^<]*</a></td><td>(\d+)</td>',
                               agency)],
        per_commune=[(unescape(name), int(n)) for name, n in re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>",
                                                                         commune)],
        per_week=[(label, int(n)) for label, n in re.findall(r"<title>(\d\d/\d\d): (\d+)</title>", week)],
        ratings=[(unescape(name), int(rated), int(resolved), int(reopened)) for name, rated, resolved, _r, reopened in
                 re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>\s*<td>[^<]*<small[^>]*>\((\d+)/(\d+)\)</small></td>\s*"
                            r"<td>[^<]*<small[^>]*>\((\d+)/\d+\)</small></td></tr>", rating)],
        hotspots=[(unescape(c), unescape(m), int(n), unescape(span), re.findall(r'href="/console/p/([^"]+)"', links))
                  for c, m, n, span, links in hot_rows],
    )


# -- the seeded store -------------------------------------------------------------------------------------------------

def _place(env: ConsoleEnv, code: str, at: datetime) -> None:
    """Give a petition the creation time of the case (the store always stamps the current time)."""
    with env.store.engine.begin() as conn:
        conn.execute(update(Petition).where(Petition.code == code).values(created_at=at))


def seed_cases(env: ConsoleEnv, now: datetime) -> None:
    base = now - timedelta(days=30)
    # A commune typed two ways (no directory code), one topic, two agencies: one hotspot of three.
    for i, (typed, agency) in enumerate([("Ấp Bàu Sen", AGENCY_A), ("ấp bàu sen", AGENCY_B), ("Ấp Bàu Sen", AGENCY_A)]):
        p = env.petition("Sạt lở bờ kênh, nhà dân có nguy cơ sụp", commune=typed, commune_code=None,
                         topic="Sạt lở bờ kênh" if i else "sạt lở bờ kênh", agency=agency)
        _place(env, p.code, base + timedelta(days=i))
    # No topic: the agency is the matter.
    for i in range(3):
        p = env.petition("Trạm y tế đóng cửa giờ hành chính", commune="Tân Biên", commune_code="xa-tan-bien",
                         topic="", agency=AGENCY_B)
        _place(env, p.code, base + timedelta(days=2 * i, hours=1))
    # Exactly 14 days from first to last is a run of three; a microsecond more is not.
    for name, commune_code, extra in (("Long Hoa", "phuong-long-hoa", timedelta(0)),
                                      ("Tân Ninh", "phuong-tan-ninh", timedelta(microseconds=1))):
        for offset in (timedelta(0), timedelta(days=7), timedelta(days=14) + extra):
            p = env.petition("Đèn đường không sáng", commune=name, commune_code=commune_code, topic="đèn đường hỏng")
            _place(env, p.code, base - timedelta(days=10, minutes=7) + offset)
    # Three petitions of the same microsecond: their order is their ids'.
    same = base + timedelta(days=5, seconds=3, microseconds=123456)
    for _ in range(3):
        p = env.petition("Rác thải ứ đọng ở chợ", commune="Long Hoa", commune_code="phuong-long-hoa", topic="rác chợ")
        _place(env, p.code, same)
    # Ratings, also by another agency, and one answer rated "not resolved" (reopened).
    for agency, verdict in ((AGENCY_A, "resolved"), (AGENCY_A, "unresolved"), (AGENCY_A, "neutral"),
                            (AGENCY_B, "resolved")):
        p = env.petition("Đường ấp 5 hư hỏng", agency=agency, sender_id=f"telegram:{verdict}-{agency}")
        env.store.set_answer(p.code, "Đã sửa.", "op")
        env.store.rate(p.code, f"telegram:{verdict}-{agency}", verdict=verdict)


@pytest.fixture
def seeded(tmp_path: Path, store_url: str) -> Iterator[ConsoleEnv]:
    env = build_console_env(tmp_path, database_url=store_url)
    shutil.copyfile(DIRECTORY, tmp_path / "communes.yml")  # the province's directory names the seeded communes
    now = datetime.now(UTC) - timedelta(minutes=5)
    seed_petitions(env.store.engine, SeedPlan(2500, now, span_days=100, open_share=0.3))
    seed_cases(env, now)
    env.add_user("admin", "admin", None)
    env.add_user("op-a", "operator", AGENCY_A)
    yield env
    env.store.close()


@pytest.mark.parametrize("who, agency", [("admin", None), ("op-a", AGENCY_A)])
def test_overview_figures_match_a_straightforward_count(seeded: ConsoleEnv, who: str, agency: str | None) -> None:
    client = seeded.client()
    seeded.login(client, who)
    html = client.get("/console/overview").text
    today = vn_today()
    records = list(seeded.store.iter_queue(PetitionFilter()))
    ratings = {r.code: seeded.store.ratings_of(r.code) for r in records}
    ctx = seeded.app.state.console
    names = {a.code: a.name for a in ctx.agencies.all()}
    want = expected(records, ratings, agency, today, CommuneDirectory.load(DIRECTORY), names, HotspotRule())
    got = shown(html)
    assert got.tiles == want.tiles
    assert (got.median, got.answered) == (want.median, want.answered)
    assert got.per_agency == want.per_agency
    assert got.per_commune == want.per_commune
    assert got.per_week == want.per_week
    assert got.ratings == want.ratings
    assert got.hotspots == want.hotspots
    # The seeded cases are there, so the comparison above covered them.
    matters = {(c, m): (n, codes) for c, m, n, _span, codes in got.hotspots}
    if agency is None:
        assert matters[("Ấp Bàu Sen", "Sạt lở bờ kênh")][0] == 3  # typed two ways, two agencies: one hotspot
        assert ("Tân Biên", AGENCY_B) in matters  # no topic: the agency is the matter
        assert matters[("Long Hoa", "đèn đường hỏng")][0] == 3  # exactly 14 days
        assert ("Tân Ninh", "đèn đường hỏng") not in matters  # 14 days and a microsecond
        assert matters[("Long Hoa", "rác chợ")][0] == 3
    else:
        assert matters[("Ấp Bàu Sen", "Sạt lở bờ kênh")][0] == 2  # the operator's two of the three
        assert ("Tân Biên", AGENCY_B) not in matters
    assert want.ratings and want.hotspots and want.answered


def test_the_hotspot_rule_comes_from_the_configuration(tmp_path: Path) -> None:
    """The rule the page states is the rule it applies: two petitions within three days, looked for over ten days."""
    env = build_console_env(tmp_path, hotspots=HotspotRule(min_size=2, window_days=3, lookback_days=10))
    try:
        env.add_user("admin", "admin", None)
        now = datetime.now(UTC)
        pair = [env.petition("Cống thoát nước bị nghẹt", topic="thoát nước") for _ in range(2)]
        _place(env, pair[0].code, now - timedelta(days=2))
        old = [env.petition("Đường ấp 2 ngập", commune="Long Hoa", commune_code="phuong-long-hoa",
                            topic="ngập đường") for _ in range(2)]
        for p in old:
            _place(env, p.code, now - timedelta(days=12))
        client = env.client()
        env.login(client, "admin")
        html = client.get("/console/overview").text
        assert "từ 2 phản ánh trở lên" in html and "trong vòng 3 ngày" in html and "10 ngày gần nhất" in html
        hot = _section(html, "h-hot")
        assert all(p.code in hot for p in pair)  # two petitions two days apart: a hotspot under this rule
        assert not any(p.code in hot for p in old)  # older than the ten days looked at
    finally:
        env.store.close()
