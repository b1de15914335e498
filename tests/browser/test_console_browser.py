"""The console in a real headless Chromium, with JavaScript turned off: a new operator logs in, filters the queue,
opens a petition, answers it, and the citizen's Telegram (a local stand-in of the Bot API) receives the answer.

Screenshots of every page are kept under tests/artifacts/screenshots/ for review.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.delivery import TelegramDeliveryConfig, build_deliverer
from tests.fixtures_console import AGENCY_B, PASSWORD, add_tracker_events, build_console_env
from tests.standins._server import BackgroundServer
from tests.standins.telegram_api import TelegramStandin

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
ANSWER = ("Sở Xây dựng đã cử cán bộ kiểm tra cây cầu ấp Long Hòa; đơn vị quản lý sẽ gia cố tạm trong tuần này và "
          "thay cầu mới trước Tết. Cảm ơn bà con đã phản ánh.")

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict]:
    """The web app on 127.0.0.1 with seeded petitions, delivering answers to the Telegram stand-in."""
    with TelegramStandin() as telegram:
        deliverer = build_deliverer(telegram=TelegramDeliveryConfig(token=telegram.token,
                                                                    base_url=telegram.base_url))
        env = build_console_env(tmp_path, deliverer=deliverer)
        env.add_user("admin", "admin", None)
        env.add_user("can-bo-xd", "operator", "so-xay-dung")
        target = env.petition("Cây cầu khỉ ở ấp Long Hòa đã mục nát, sáng nào học sinh cũng phải đi qua, "
                              "rất nguy hiểm. Đề nghị sửa chữa gấp.", sender_id="telegram:90210",
                              commune="Long Hoa", commune_code="phuong-long-hoa", topic="cầu, đường hư hỏng",
                              due_in_days=2, phone="0912345678")
        add_tracker_events(env.tracker_path, "telegram:90210", [
            ("user", "cho tôi gửi phản ánh"),
            ("bot", "Bà con vui lòng cho biết nội dung phản ánh, kiến nghị."),
            ("user", target.text),
            ("bot", "Bà con ở xã, phường nào?"),
            ("user", "phường Long Hoa"),
            ("bot", f"Đã tiếp nhận phản ánh của bà con. Mã tra cứu: {target.code}."),
        ], target.created_at, form=True)
        env.petition("Khiếu nại quyết định xử phạt xây dựng không phép đối với nhà tôi", kind="khieu-nai",
                     due_in_days=-3, topic="trật tự xây dựng")
        env.petition("Đèn đường trên đường 30/4 tắt cả tuần nay", due_in_days=12, topic="chiếu sáng công cộng")
        for i in range(3):
            env.petition(f"Nước ngập sâu sau mưa ở khu phố {i + 1}, cống thoát nước bị nghẹt", commune="Tân Ninh",
                         commune_code="phuong-tan-ninh", topic="thoát nước", due_in_days=5 + i)
        env.petition("Cơ sở bán thực phẩm không rõ nguồn gốc gần chợ", agency=AGENCY_B, topic="an toàn thực phẩm")
        server = BackgroundServer(env.app)
        server.start()
        try:
            yield {"url": server.url, "env": env, "telegram": telegram, "target": target}
        finally:
            server.stop()
            env.store.close()


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def _login(page, url: str, username: str) -> None:
    page.goto(f"{url}/console/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_operator_answers_a_petition_and_the_citizen_receives_it(browser, site) -> None:
    url, telegram, target = site["url"], site["telegram"], site["target"]
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900},
                                  locale="vi-VN")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{url}/console/")
    expect(page.get_by_role("heading", name="Đăng nhập dành cho cán bộ xử lý")).to_be_visible()
    _shot(page, "01-dang-nhap.png")

    _login(page, url, "can-bo-xd")
    expect(page.get_by_role("heading", name="Hồ sơ phản ánh, kiến nghị — Sở Xây dựng")).to_be_visible()
    expect(page.locator("table.queue tbody tr")).to_have_count(6)  # the other agency's petition is not listed
    expect(page.locator("tr.overdue")).to_have_count(1)
    _shot(page, "02-hang-doi.png")

    page.get_by_label("Tìm trong nội dung, mã hồ sơ, chủ đề").fill("cau khi")  # typed without diacritics
    page.get_by_label("Xã/phường").select_option(label="phường Long Hoa")
    page.get_by_role("button", name="Lọc").click()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(target.code)
    _shot(page, "03-hang-doi-da-loc.png")

    page.get_by_role("link", name=target.code).click()
    expect(page.get_by_role("heading", name=f"Hồ sơ {target.code}").first).to_be_visible()
    expect(page.get_by_text("Bà con ở xã, phường nào?")).to_be_visible()  # the chat transcript
    _shot(page, "04-ho-so.png")

    page.get_by_label("Nội dung trả lời").fill(ANSWER)
    page.get_by_role("button", name="Gửi trả lời").click()
    expect(page.get_by_text("Đã lưu câu trả lời và gửi tới người dân.")).to_be_visible()
    expect(page.get_by_text("Đã gửi tới người dân").first).to_be_visible()
    _shot(page, "05-ho-so-da-tra-loi.png")

    texts = telegram.wait_for_sync(lambda: telegram.texts(90210))
    assert ANSWER in texts[0] and target.code in texts[0]

    page.get_by_role("link", name="Tổng quan").click()
    expect(page.locator("svg.chart")).to_have_count(3)
    expect(page.get_by_role("cell", name="thoát nước")).to_be_visible()  # the hotspot of three flooded streets
    _shot(page, "06-tong-quan.png")

    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", name="Đăng nhập dành cho cán bộ xử lý")).to_be_visible()
    assert problems == []  # no Content-Security-Policy violation or broken resource on any page
    context.close()

    admin = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = admin.new_page()
    _login(page, url, "admin")
    page.get_by_role("link", name="Nhật ký").click()
    expect(page.get_by_role("cell", name="Trả lời người dân").first).to_be_visible()
    _shot(page, "08-nhat-ky.png")
    admin.close()


def test_admin_adds_a_document_to_the_knowledge_index(browser, tmp_path: Path, request) -> None:
    import knowledge

    if not hasattr(knowledge, "KnowledgeBase"):
        pytest.skip("knowledge.KnowledgeBase is not built yet")
    encoder = request.getfixturevalue("encoder")
    index_dir = tmp_path / "index"
    env = build_console_env(tmp_path / "site",
                            knowledge_factory=lambda: knowledge.KnowledgeBase.open(index_dir, encoder))
    env.add_user("admin", "admin", None)
    upload = tmp_path / "huong-dan-chieu-sang.md"
    upload.write_text("# Hướng dẫn tiếp nhận phản ánh về chiếu sáng công cộng\n\n"
                      "1. Người dân phản ánh đèn đường không sáng qua Trợ lý Dân vận.\n"
                      "2. Đơn vị quản lý sửa chữa trong vòng 48 giờ kể từ khi nhận phản ánh.\n", encoding="utf-8")
    server = BackgroundServer(env.app)
    server.start()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        _login(page, server.url, "admin")
        page.get_by_role("link", name="Tài liệu").click()
        expect(page.get_by_role("heading", name="Tài liệu trong kho tri thức")).to_be_visible()
        expect(page.get_by_text("Tài liệu gốc").first).to_be_visible()
        _shot(page, "07-tai-lieu.png")

        page.get_by_label("Thêm tài liệu").set_input_files(str(upload))
        page.get_by_role("button", name="Tải lên và lập chỉ mục").click()
        expect(page.get_by_role("heading", name="Lập chỉ mục tài liệu")).to_be_visible()
        _shot(page, "09-lap-chi-muc.png")
        # Without JavaScript the page refreshes itself until the job is done.
        expect(page.get_by_text("Hoàn tất")).to_be_visible(timeout=120_000)
        expect(page.get_by_role("cell", name="Đã thêm")).to_be_visible()
        _shot(page, "10-lap-chi-muc-xong.png")
        page.get_by_role("link", name="Về danh sách tài liệu").click()
        expect(page.get_by_text("huong-dan-chieu-sang.md")).to_be_visible()
    finally:
        context.close()
        server.stop()
        env.store.close()
