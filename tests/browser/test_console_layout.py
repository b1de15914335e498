"""The console on a desktop (1280×800) and on a phone (360×740) in a real headless Chromium: every page fits the
screen's width, the queue turns into cards on the phone, the actions on a petition stay within a thumb's reach, and
the header names the operator's agency in Vietnamese.

Screenshots of each page at each size are kept under tests/artifacts/screenshots/layout/ for review.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures_console import AGENCY_B, PASSWORD, add_tracker_events, build_console_env
from tests.standins._server import BackgroundServer

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots" / "layout"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
THUMB_PX = 44  # smallest comfortable touch target (WCAG 2.5.5)
# The elements that stick out to the right, named for the failure message.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
  .slice(-5).map(e => `${e.tagName.toLowerCase()}.${e.className}: ${Math.round(e.getBoundingClientRect().right)}`)"""
SLUGS = ("so-xay-dung", "so-y-te", "dang-xu-ly", "da-tra-loi", "phan-anh-kien-nghi", "khieu-nai", "tat-ca")

pytestmark = pytest.mark.slow  # the Documents page loads the embedding model

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect


NOTICE = "Lịch tiếp công dân\n\nChủ tịch xã tiếp công dân vào sáng thứ Năm hằng tuần.\n".encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[dict]:
    """The web app with petitions of two agencies, a chat transcript, the knowledge documents and some history."""
    import knowledge

    if not hasattr(knowledge, "KnowledgeBase"):
        pytest.skip("knowledge.KnowledgeBase is not built yet")
    encoder = request.getfixturevalue("encoder")
    tmp = tmp_path_factory.mktemp("layout")
    index_dir = tmp / "index"
    env = build_console_env(tmp / "site",
                            knowledge_factory=lambda: knowledge.KnowledgeBase.open(index_dir, encoder))
    env.add_user("admin", "admin", None)
    env.add_user("can-bo-xd", "operator", "so-xay-dung")
    target = env.petition("Cây cầu khỉ ở ấp Long Hòa đã mục nát, sáng nào học sinh cũng phải đi qua, rất nguy "
                          "hiểm. Đề nghị sửa chữa gấp trước mùa mưa, vì năm ngoái đã có một em bé bị ngã xuống "
                          "kênh.", sender_id="telegram:90210", commune="Long Hoa", commune_code="phuong-long-hoa",
                          topic="cầu, đường hư hỏng", due_in_days=2, phone="0912345678")
    add_tracker_events(env.tracker_path, "telegram:90210", [
        ("user", "cho tôi gửi phản ánh"),
        ("bot", "Bạn vui lòng cho biết nội dung phản ánh, kiến nghị."),
        ("user", target.text),
        ("bot", f"Đã tiếp nhận phản ánh của bạn. Mã tra cứu: {target.code}."),
    ], target.created_at, form=True)
    env.petition("Khiếu nại quyết định xử phạt xây dựng không phép đối với nhà tôi", kind="khieu-nai",
                 due_in_days=-3, topic="trật tự xây dựng")
    for i in range(3):
        env.petition(f"Nước ngập sâu sau mưa ở khu phố {i + 1}, cống thoát nước bị nghẹt", commune="Tân Ninh",
                     commune_code="phuong-tan-ninh", topic="thoát nước", due_in_days=5 + i)
    answered = env.petition("Đèn đường trên đường 30/4 tắt cả tuần nay", due_in_days=None)
    env.store.set_answer(answered.code, "Đã thay bóng đèn.", "can-bo-xd")
    env.petition("Cơ sở bán thực phẩm không rõ nguồn gốc gần chợ", agency=AGENCY_B, topic="an toàn thực phẩm")
    env.store.transition(answered.code, "da-dong", "can-bo-xd", "Người dân đã xác nhận")
    server = BackgroundServer(env.app)
    server.start()
    try:
        yield {"url": server.url, "env": env, "target": target}
    finally:
        server.stop()
        env.store.close()


def _login(page, url: str, username: str) -> None:
    page.goto(f"{url}/console/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def _check_page(page, name: str, size: dict) -> None:
    """The page fits the screen's width (no sideways scrolling), shows no slug, and is kept as a screenshot."""
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(WIDEST) if width > size["width"] else []
    assert width <= size["width"], f"{name}: {width} px wide on a {size['width']} px screen; widest: {wide}"
    visible = page.locator("body").inner_text()
    leaked = [slug for slug in SLUGS if slug in visible]
    assert not leaked, f"{name} shows codes instead of Vietnamese labels: {leaked}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{size['width']}x{size['height']}-{name}.png"), full_page=True)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_operator_pages_fit_the_screen(browser, site, size) -> None:
    url, target = site["url"], site["target"]
    context = browser.new_context(viewport=size, locale="vi-VN", is_mobile=size is PHONE, has_touch=size is PHONE)
    page = context.new_page()
    try:
        _login(page, url, "can-bo-xd")
        expect(page.locator("header")).to_contain_text("Sở Xây dựng")  # the agency's name, not its code
        rows = page.locator("table.queue tbody tr")
        expect(rows).to_have_count(5)
        _check_page(page, "hang-doi", size)
        if size is PHONE:
            # One card per petition: the cells stack under each other and the card spans the screen.
            first = rows.first.locator("td")
            code_box, due_box = first.nth(0).bounding_box(), first.nth(1).bounding_box()
            assert due_box["y"] >= code_box["y"] + code_box["height"] - 1
            card = rows.first.bounding_box()
            assert card["width"] > size["width"] * 0.8

        page.get_by_role("link", name=target.code).click()
        expect(page.get_by_role("heading", name=f"Hồ sơ {target.code}").first).to_be_visible()
        expect(page.get_by_text("+84912345678")).to_be_visible()
        phone_box = page.get_by_text("+84912345678").bounding_box()
        assert phone_box["x"] + phone_box["width"] <= size["width"]  # the number is not clipped
        for action in ("Tiếp nhận xử lý", "Gửi trả lời", "Chuyển hồ sơ"):
            button = page.get_by_role("button", name=action)
            button.scroll_into_view_if_needed()
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], action
            if size is PHONE:
                assert box["height"] >= THUMB_PX, f"{action}: {box['height']} px high"
        _check_page(page, "ho-so", size)

        page.get_by_role("link", name="Tổng quan").click()
        expect(page.locator("svg.chart")).to_have_count(3)
        _check_page(page, "tong-quan", size)

        page.get_by_role("link", name="Tài liệu").click()
        expect(page.get_by_text("608/UBND-NCPC").first).to_be_visible(timeout=60_000)
        _check_page(page, "tai-lieu", size)
    finally:
        context.close()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_admin_pages_fit_the_screen(browser, site, size) -> None:
    url = site["url"]
    context = browser.new_context(viewport=size, locale="vi-VN", is_mobile=size is PHONE, has_touch=size is PHONE)
    page = context.new_page()
    try:
        _login(page, url, "admin")
        page.goto(f"{url}/console/?status=tat-ca")
        expect(page.locator("table.queue tbody tr")).to_have_count(7)
        _check_page(page, "hang-doi-quan-tri", size)
        assert page.request.get(f"{url}/console/export.csv?status=tat-ca&kind=khieu-nai").ok
        page.get_by_role("link", name="Nhật ký").click()
        expect(page.get_by_role("heading", name="Nhật ký thao tác")).to_be_visible()
        expect(page.get_by_text("Đăng nhập").first).to_be_visible()
        _check_page(page, "nhat-ky", size)
        page.get_by_role("link", name="Tài liệu").click()
        expect(page.get_by_text("Tài liệu gốc").first).to_be_visible(timeout=60_000)
        _check_page(page, "tai-lieu-quan-tri", size)
        # A document's own page: its citation, the forms to correct it or replace it, its history.
        name = f"thong-bao-{size['width']}.txt"
        page.set_input_files("#files", files=[{"name": name, "mimeType": "text/plain", "buffer": NOTICE}])
        page.get_by_role("button", name="Tải lên và lập chỉ mục").click()
        expect(page.get_by_text("Hoàn tất")).to_be_visible(timeout=120_000)
        page.get_by_role("link", name="Về danh sách tài liệu").click()
        page.get_by_role("link", name="Sửa hoặc thay tài liệu Lịch tiếp công dân").first.click()
        expect(page.get_by_role("heading", name="Sửa thông tin trích dẫn")).to_be_visible()
        save = page.get_by_role("button", name="Lưu và lập chỉ mục lại")
        save.scroll_into_view_if_needed()
        box = save.bounding_box()
        assert box["x"] + box["width"] <= size["width"]
        if size is PHONE:
            assert box["height"] >= THUMB_PX
        _check_page(page, "tai-lieu-chi-tiet", size)
    finally:
        context.close()
