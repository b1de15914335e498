"""The public chat page in a real headless Chromium, on a desktop (1280×800) and a phone (360×740), talking to the
real Rasa and action servers: an empty chat offers three suggestions, Enter sends (Shift+Enter is a new line), the
typing indicator shows and the send button is disabled while the bot works, a reload restores the conversation, an
operator's answer appears in the open page without a reload, nothing scrolls sideways on the phone and the input
stays at the bottom of the screen, and "Xóa cuộc trò chuyện" starts over.

Screenshots are kept under tests/artifacts/screenshots/ (chat-desktop-*.png, chat-phone-*.png) for review.
"""
from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from console.app import create_console_app
from console.config import WebConfig
from petitions.chat_log import ChatLogConfig, WebChatSender, open_chat_log
from tests.standins._server import BackgroundServer

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
ANSWER = ("Sở Xây dựng trả lời phản ánh TN-7K4Q-MX2P: đèn chiếu sáng đường vào ấp Bàu Sen đã được thay mới. "
          "Cảm ơn bạn đã phản ánh.")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
expect = sync_api.expect

# Records, from inside the page, whether the typing indicator was shown and the send button disabled at any moment:
# the bot may answer faster than a test could look.
WATCH = """() => {
  window.seen = {typing: false, disabled: false, loaded: true};
  const typing = document.getElementById("typing"), send = document.getElementById("send");
  const look = () => {
    if (!typing.hidden) window.seen.typing = true;
    if (send.disabled) window.seen.disabled = true;
  };
  new MutationObserver(look).observe(typing, {attributes: true});
  new MutationObserver(look).observe(send, {attributes: true});
}"""


@pytest.fixture
def site(rasa_stack) -> Iterator[str]:  # noqa: ANN001
    """The web app on 127.0.0.1 in front of the real Rasa server, sharing the stack's petitions database."""
    config = WebConfig(rasa_url=rasa_stack.rasa_url, session_secret="browser-chat-" + "z" * 32,
                       database_url=rasa_stack.settings.petitions_url,
                       extra={"webchat": ChatLogConfig(stream_poll_s=0.3, stream_seconds=10.0)})
    server = BackgroundServer(create_console_app(config))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _shot(page, name: str) -> None:  # noqa: ANN001
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _chat_id(context) -> str:  # noqa: ANN001
    value = next(c["value"] for c in context.cookies() if c["name"] == "danvan_session")
    data = value.split(".", 1)[0]
    return json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))["chat_sender"]


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_citizen_chats_reloads_and_receives_an_answer_live(browser, site, rasa_stack, device: str) -> None:  # noqa: ANN001
    context = browser.new_context(viewport=VIEWPORTS[device], locale="vi-VN")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(site)
    log = page.locator("#log")
    expect(log.locator(".msg.greeting")).to_contain_text("Xin chào bạn!")
    expect(log.locator(".suggestions button")).to_have_text(
        ["Hỏi về Công văn 608", "Gửi phản ánh, kiến nghị", "Tra cứu hồ sơ của tôi"])
    _shot(page, f"chat-{device}-01-mo-dau.png")

    message = page.get_by_label("Tin nhắn của bạn")
    message.fill("dan van kheo")
    message.press("Shift+Enter")  # a new line, not a send: the text stays in the box
    expect(message).to_have_value("dan van kheo\n")
    page.evaluate(WATCH)
    message.fill("dan van kheo la gi")
    message.press("Enter")
    expect(log.locator(".msg.user")).to_have_text(["dan van kheo la gi"])
    expect(log.locator(".msg.bot").filter(has_text="Dân vận khéo").first).to_be_visible(timeout=60_000)
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#typing")).to_be_hidden()
    assert page.evaluate("window.seen") == {"typing": True, "disabled": True, "loaded": True}
    expect(message).to_have_value("")
    _shot(page, f"chat-{device}-02-tra-loi.png")

    page.reload()
    expect(log.locator(".msg.user")).to_have_text(["dan van kheo la gi"])  # restored from the server
    expect(log.locator(".msg.bot").filter(has_text="Dân vận khéo").first).to_be_visible()
    expect(log.locator(".suggestions")).to_have_count(0)
    _shot(page, f"chat-{device}-03-tai-lai.png")

    page.evaluate("window.notReloaded = true")
    chat_log = open_chat_log(rasa_stack.settings.petitions_url)
    try:
        # What the delivery worker does, from its own thread and loop (Playwright's sync API owns this thread's).
        with ThreadPoolExecutor(1) as worker:
            worker.submit(asyncio.run, WebChatSender(chat_log).send_text(_chat_id(context), ANSWER)).result()
    finally:
        chat_log.engine.dispose()
    expect(log.locator(".msg.bot").last).to_have_text(ANSWER, timeout=15_000)
    assert page.evaluate("window.notReloaded") is True  # it came in live
    _shot(page, f"chat-{device}-04-cau-tra-loi-cua-co-quan.png")

    geometry = page.evaluate("""() => {
      window.scrollTo(0, 0);
      const form = document.getElementById("chat-form").getBoundingClientRect();
      return {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth,
              height: window.innerHeight, pageHeight: document.documentElement.scrollHeight,
              formBottom: form.bottom, formTop: form.top};
    }""")
    assert geometry["scrollWidth"] <= geometry["width"], geometry  # no sideways scrolling
    if device == "phone":
        assert geometry["pageHeight"] > geometry["height"], geometry  # the page is long enough to scroll ...
        assert geometry["formBottom"] <= geometry["height"] + 1, geometry  # ... and the input stays in view
        assert geometry["formTop"] > geometry["height"] / 2, geometry  # at the bottom
        _shot(page, f"chat-{device}-05-dau-trang.png")

    page.get_by_role("button", name="Xóa cuộc trò chuyện").click()
    expect(log.locator(".suggestions button")).to_have_count(3)
    expect(log.locator(".msg.user")).to_have_count(0)
    _shot(page, f"chat-{device}-06-da-xoa.png")
    assert problems == []  # no Content-Security-Policy violation or broken resource
    context.close()
