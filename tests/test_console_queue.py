"""The queue (filters, counts, due-date order, highlighting), the CSV export, the overview and the audit page."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import text

from tests.fixtures_console import AGENCY_B, console_env, csrf_of, today  # noqa: F401 - fixtures


def backdate(env, code: str, days: int) -> None:
    """Pretend a petition arrived `days` ago (the store always stamps creation with the current time)."""
    with env.store.engine.begin() as conn:
        conn.execute(text("UPDATE petition SET created_at = datetime(created_at, :shift) WHERE code = :code"),
                     {"shift": f"-{days} days", "code": code})


def codes_in(html: str) -> list[str]:
    return re.findall(r'<td class="lead"><a href="/console/p/(TN-[A-Z0-9-]+)">', html)


def test_queue_filters_counts_and_due_date_order(console_env) -> None:
    env = console_env
    later = env.petition("Đèn đường khu phố 2 không sáng", due_in_days=20)
    overdue = env.petition("Khiếu nại quyết định thu hồi đất", kind="khieu-nai", due_in_days=-2,
                           topic="thu hồi đất")
    near = env.petition("Nước thải nhà máy chảy ra kênh", due_in_days=1, commune="Long Hoa",
                        commune_code="phuong-long-hoa", topic="nước thải")
    undated = env.petition("Đề nghị lắp biển báo giao thông", due_in_days=None)
    answered = env.petition("Cống thoát nước bị nghẹt")
    env.store.set_answer(answered.code, "Đã nạo vét cống.", "op-a")
    old = env.petition("Hố ga không có nắp, nguy hiểm cho trẻ em")
    backdate(env, old.code, 40)

    client = env.client()
    html = env.login(client, "op-a").text
    # Open petitions by due date: overdue first, then near-due, then later, undated last.
    shown = codes_in(html)
    assert shown.index(overdue.code) < shown.index(near.code) < shown.index(later.code) < shown.index(undated.code)
    assert answered.code not in shown
    assert re.search(r"Đang mở \(chưa trả lời\) <b>5</b>", html) and re.search(r"Đã trả lời <b>1</b>", html)
    row = re.search(rf'<tr class="([^"]*)">\s*<td class="lead"><a href="/console/p/{overdue.code}"', html)
    assert row and row.group(1) == "overdue" and "Quá hạn 2 ngày" in html
    row = re.search(rf'<tr class="([^"]*)">\s*<td class="lead"><a href="/console/p/{near.code}"', html)
    assert row and row.group(1) == "near-due" and "Còn 1 ngày" in html

    def only(query: str) -> set[str]:
        return set(codes_in(client.get(f"/console/?{query}").text))

    assert only("status=da-tra-loi") == {answered.code}
    assert only("kind=khieu-nai") == {overdue.code}
    assert only("commune=phuong-long-hoa") == {near.code}
    assert only("overdue=1") == {overdue.code}
    assert only("q=nuoc+thai") == {near.code}  # typed without diacritics
    assert only(f"q={overdue.code.lower()}") == {overdue.code}
    day = today()
    assert only(f"from={(day - timedelta(days=45)).isoformat()}&to={(day - timedelta(days=30)).isoformat()}") == {
        old.code}
    assert old.code not in only(f"from={day.isoformat()}")


def test_filter_form_is_labelled_and_keeps_its_values(console_env) -> None:
    client = console_env.client()
    console_env.login(client, "admin")
    html = client.get("/console/?kind=to-cao&q=c%E1%BA%A7u&overdue=1").text
    for field in ("f-status", "f-agency", "f-commune", "f-kind", "f-from", "f-to", "f-q", "f-overdue"):
        assert f'<label for="{field}">' in html, field
    assert '<option value="to-cao" selected>' in html and 'value="cầu"' in html and "checked" in html
    assert 'href="/console/export.csv?kind=to-cao&amp;overdue=1&amp;q=c%E1%BA%A7u"' in html


def test_csv_export_is_excel_ready_and_follows_the_filter(console_env) -> None:
    env = console_env
    wanted = env.petition("=HYPERLINK(\"http://x\") đường hư trước cổng trường", kind="khieu-nai")
    other = env.petition("Đèn đường không sáng")
    client = env.client()
    env.login(client, "op-a")
    response = client.get("/console/export.csv?kind=khieu-nai")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Mã hồ sơ", "Ngày tiếp nhận", "Hạn xử lý"]
    assert [r[0] for r in rows[1:]] == [wanted.code]
    content = rows[1][rows[0].index("Nội dung")]
    assert content.startswith("'=HYPERLINK")  # a spreadsheet shows it as text, never runs it
    assert rows[1][rows[0].index("Cơ quan xử lý")] == "Sở Xây dựng"
    assert other.code not in response.content.decode("utf-8-sig")
    entry = env.app.state.console.audit.entries()[0]
    assert entry.action == "export" and entry.after["rows"] == 1


def test_overview_draws_charts_on_the_server_and_lists_hotspots(console_env) -> None:
    env = console_env
    spot = [env.petition(f"Sạt lở bờ kênh ấp {i}, nhà dân có nguy cơ sụp", commune="Tân Biên",
                         commune_code="xa-tan-bien", topic="sạt lở") for i in range(3)]
    env.petition("Cơ sở kinh doanh thực phẩm không rõ nguồn gốc", agency=AGENCY_B, due_in_days=-1,
                 commune="<b>Ấp Mới</b>", commune_code=None, topic="an toàn thực phẩm")
    answered = env.petition("Đường ấp 5 hư hỏng")
    env.store.set_answer(answered.code, "Đã sửa.", "op-a")
    client = env.client()
    env.login(client, "admin")
    html = client.get("/console/overview").text
    assert html.count("<svg") == 3 and "<script" not in html
    assert "Sở Xây dựng" in html and "Sở Y tế" in html
    assert "<b>Ấp Mới</b>" not in html  # a typed commune never reaches the page unescaped
    assert re.search(r"Quá hạn</span><b><a [^>]*>1</a>", html)
    assert "0,0 ngày" in html  # answered within the same test: median time to answer rounds to zero
    hot = html[html.index("Điểm nóng"):]
    assert "Tân Biên" in hot and all(p.code in hot for p in spot)
    # The hotspot also shows on each petition of the cluster.
    page = client.get(f"/console/p/{spot[0].code}").text
    assert "nằm trong nhóm 3 phản ánh" in page and spot[1].code in page and spot[2].code in page


def test_overview_counts_communes_by_the_directory(console_env) -> None:
    """However citizens wrote it, a commune of the directory is one category; unmatched names share one bucket."""
    env = console_env
    for typed in ("Long Hoa", "P. Long Hoa", "phuong long hoa"):
        env.petition(commune=typed, commune_code="phuong-long-hoa")
    for typed in ("Ấp Bàu Sen", "xã Không Có"):
        env.petition(commune=typed, commune_code=None)
    client = env.client()
    env.login(client, "admin")
    html = client.get("/console/overview").text
    table = html[html.index('id="h-commune"'):]
    table = table[:table.index("</table>")]
    assert re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", table) == [
        ("phường Long Hoa", "3"), ("Chưa xác định", "2")]
    assert "từ 3 phản ánh trở lên cùng chủ đề" in html  # the hotspot rule is spelt out on the page


def test_audit_page_lists_who_did_what(console_env) -> None:
    env = console_env
    record = env.petition()
    client = env.client()
    token = csrf_of(env.login(client, "op-a").text)
    client.post(f"/console/p/{record.code}/accept", data={"csrf_token": token})
    admin = env.client()
    env.login(admin, "admin")
    html = admin.get("/console/audit").text
    assert "Tiếp nhận xử lý" in html and record.code in html and "op-a" in html and "Đăng nhập" in html
