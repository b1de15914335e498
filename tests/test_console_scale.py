"""The queue at scale: pages are sorted, filtered and cut in SQL, so nothing past a fixed cap disappears.

`seed_petitions` writes many petitions in bulk (one multi-row insert per batch) and is shared with
benchmarks/bench_console_scale.py; the tests here assert behaviour, the benchmark measures time.
"""
from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, insert

from nlp.text import fold
from petitions import codes
from petitions.communes import CommuneDirectory
from petitions.models import Petition
from petitions.store import vn_today
from tests.fixtures_console import AGENCY_A, AGENCY_B, ConsoleEnv, build_console_env

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ("đường giao thông", "nước thải", "đèn chiếu sáng", "rác thải", "đất đai", "an ninh trật tự")
TEXTS = (
    "Đường vào ấp bị sụt lún, xe máy đi lại rất nguy hiểm, đề nghị sửa chữa sớm.",
    "Nước thải từ cơ sở chăn nuôi chảy ra kênh, bốc mùi hôi suốt nhiều ngày.",
    "Đèn đường khu phố không sáng đã hai tuần, buổi tối rất tối và mất an toàn.",
    "Rác tồn đọng ở chợ chưa được thu gom, người dân mong được xử lý.",
)


@dataclass(frozen=True)
class SeedPlan:
    """What the bulk petitions look like: created over `span_days` up to `now`; `open_share` of them still open.

    With `due_from_today` every due date lies that many days (or up to 20 more) after today, so none is overdue;
    otherwise a petition is due 15 days after it arrived.
    """

    count: int
    now: datetime
    span_days: int = 365
    open_share: float = 0.15
    due_from_today: int | None = None
    agencies: tuple[str, ...] = ()
    seed: int = 16


def _agency_codes() -> tuple[str, ...]:
    data = yaml.safe_load((ROOT / "petitions" / "data" / "agencies.yml").read_text(encoding="utf-8"))
    return tuple(a["code"] for a in data["agencies"])


def seed_petitions(engine: Engine, plan: SeedPlan, batch: int = 2000) -> None:
    """Insert `plan.count` petitions straight into the table (bypassing per-petition validation, for speed)."""
    rng = random.Random(plan.seed)
    agencies = plan.agencies or _agency_codes()
    communes = CommuneDirectory.load(ROOT / "petitions" / "data" / "communes.yml").communes
    today = vn_today()
    used: set[str] = set()
    rows: list[dict] = []
    for i in range(plan.count):
        created = plan.now - timedelta(days=plan.span_days * (plan.count - i) / plan.count)
        code = codes.new_code()
        while code in used:
            code = codes.new_code()
        used.add(code)
        commune = communes[i % len(communes)]
        topic = TOPICS[i % len(TOPICS)]
        text = TEXTS[i % len(TEXTS)]
        still_open = rng.random() < plan.open_share
        status = rng.choice(("moi", "dang-xu-ly")) if still_open else rng.choice(("da-tra-loi", "da-dong"))
        answered = None if still_open else created + timedelta(days=rng.uniform(0.5, 20))
        if plan.due_from_today is not None:
            due: date = today + timedelta(days=plan.due_from_today + i % 21)
        else:
            due = created.date() + timedelta(days=15)
        rows.append({
            "code": code, "idempotency_key": hashlib.sha256(f"seed-{plan.seed}-{i}".encode()).hexdigest(),
            "channel": "web", "sender_id": None, "owner_key": hashlib.sha256(f"owner-{i}".encode()).hexdigest(),
            "consent_given": False, "consent_at": None, "consent_text": None, "contact_phone": None,
            "text": text, "commune_name": commune.name, "commune_matched": True, "commune_code": commune.code,
            "commune_key": fold(commune.name), "agency": agencies[i % len(agencies)], "topic": topic,
            "confidence": 0.8, "kind": "khieu-nai" if i % 10 == 0 else "phan-anh-kien-nghi", "status": status,
            "created_at": created, "updated_at": answered or created, "due_date": due,
            "answer": None if still_open else "Đã xử lý.", "answered_at": answered,
            "answered_by": None if still_open else "can-bo", "delivery_state": "not-deliverable",
            "delivery_attempts": 0, "delivery_error": None, "delivered_at": None,
            "search_text": fold(f"{code} {topic} {commune.name} {text}"),
        })
        if len(rows) == batch:
            _flush(engine, rows)
    _flush(engine, rows)


def _flush(engine: Engine, rows: list[dict]) -> None:
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(Petition.__table__), rows)
        rows.clear()


# -- tests ------------------------------------------------------------------------------------------------------------

BULK = 25_000


def codes_in(html: str) -> list[str]:
    return re.findall(r'<a href="/console/p/(TN-[A-Z0-9-]+)">', html)


@pytest.fixture(scope="module")
def big_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleEnv]:
    """25,000 open petitions, all due in the coming weeks, between the two test agencies."""
    env = build_console_env(tmp_path_factory.mktemp("scale"))
    seed_petitions(env.store.engine, SeedPlan(BULK, datetime.now(UTC) - timedelta(hours=1), span_days=200,
                                              open_share=1.0, due_from_today=2, agencies=(AGENCY_A, AGENCY_B)))
    env.add_user("admin", "admin", None)
    env.add_user("op-a", "operator", AGENCY_A)
    yield env
    env.store.close()


def test_newest_urgent_petition_is_first_on_page_one_of_a_long_queue(big_env: ConsoleEnv) -> None:
    newest = big_env.petition("Cầu tạm ở ấp 5 bị gãy, học sinh không qua được", due_in_days=0)
    client = big_env.client()
    html = big_env.login(client, "admin").text
    assert codes_in(html)[0] == newest.code
    assert f"{BULK + 1} hồ sơ phù hợp" in html


def test_pages_are_stable_and_disjoint_across_ties(big_env: ConsoleEnv) -> None:
    client = big_env.client()
    big_env.login(client, "admin")
    # Hundreds of petitions share each due date, so only the tie-breakers keep pages apart.
    pages = [codes_in(client.get(f"/console/?page={n}").text) for n in (1, 2, 3, 4)]
    again = [codes_in(client.get(f"/console/?page={n}").text) for n in (1, 2, 3, 4)]
    assert pages == again
    seen = [c for page in pages for c in page]
    assert all(len(page) == 50 for page in pages) and len(set(seen)) == 200
    last = codes_in(client.get(f"/console/?page={-(-(BULK + 1) // 50)}").text)
    assert last and not set(last) & set(seen)


def test_combined_filters_find_every_match_past_any_cap(big_env: ConsoleEnv) -> None:
    """Agency, kind, commune and words together: the count and the rows are exactly the matching ones."""
    wanted = big_env.petition("Khiếu nại việc thu hồi đất làm đường ở ấp Bàu Tràm", kind="khieu-nai",
                              agency=AGENCY_A, commune="Long Hoa", commune_code="phuong-long-hoa",
                              topic="đất đai", due_in_days=25)
    client = big_env.client()
    big_env.login(client, "op-a")
    html = client.get("/console/?kind=khieu-nai&commune=phuong-long-hoa&q=bau+tram").text
    assert codes_in(html) == [wanted.code]
    assert "1 hồ sơ phù hợp" in html
    # Only the combination narrows it: each filter alone matches thousands.
    html = client.get("/console/?kind=khieu-nai").text
    match = re.search(r"(\d+) hồ sơ phù hợp", html)
    assert match and int(match.group(1)) > 1000


def test_export_streams_every_matching_row(big_env: ConsoleEnv) -> None:
    client = big_env.client()
    big_env.login(client, "admin")
    with client.stream("GET", "/console/export.csv") as response:
        assert response.status_code == 200
        lines = sum(chunk.count("\r\n") for chunk in response.iter_text())
    # Header plus every open petition; a petition text holds no line break.
    assert lines == 1 + big_env.store.count(None)
