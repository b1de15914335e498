"""The Documents page with the real knowledge index: upload with progress, list with passage counts, remove."""
from __future__ import annotations

import re
import time

import pytest

from tests.fixtures_console import csrf_of, make_console_env  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow

NEW_DOC = """\
UBND TỈNH TÂY NINH
SỞ XÂY DỰNG

HƯỚNG DẪN
Tiếp nhận phản ánh về chiếu sáng công cộng

1. Người dân phản ánh đèn đường không sáng qua Trợ lý Dân vận hoặc đường dây nóng của Sở Xây dựng.
2. Đơn vị quản lý chiếu sáng kiểm tra và sửa chữa trong vòng 48 giờ kể từ khi nhận phản ánh.
3. Kết quả sửa chữa được thông báo lại cho người dân qua kênh đã gửi phản ánh.
"""


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    """One index folder for the module: built from the shipped documents once, then only loaded."""
    return tmp_path_factory.mktemp("console-index")


@pytest.fixture
def knowledge_env(make_console_env, request, index_dir):
    import knowledge

    if not hasattr(knowledge, "KnowledgeBase"):
        pytest.skip("knowledge.KnowledgeBase is not built yet")
    encoder = request.getfixturevalue("encoder")  # loaded once per test session
    return make_console_env(knowledge_factory=lambda: knowledge.KnowledgeBase.open(index_dir, encoder))


def _wait_for_job(client, url: str, timeout_s: float = 120.0) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        html = client.get(url).text
        if "Hoàn tất" in html:
            return html
        assert 'http-equiv="refresh"' in html  # still running: the page refreshes itself
        assert time.monotonic() < deadline, "indexing did not finish"
        time.sleep(0.5)


def test_admin_uploads_lists_and_removes_a_document(knowledge_env, index_dir) -> None:
    env = knowledge_env
    client = env.client()
    env.login(client, "admin")
    page = client.get("/console/documents")
    assert page.status_code == 200
    shipped = re.findall(r'<td data-label="Số đoạn">(\d+)</td>\s*<td><span class="muted">Tài liệu gốc</span>',
                         page.text)
    assert len(shipped) >= 5 and all(int(n) > 0 for n in shipped)  # built-in documents with passage counts
    assert "/remove" not in page.text  # built-in documents cannot be removed
    assert "608/UBND-NCPC" in page.text

    files = [("files", ("huong-dan-chieu-sang.md", NEW_DOC.encode("utf-8"), "text/markdown")),
             ("files", ("rong.txt", b"   \n", "text/plain"))]
    response = client.post("/console/documents", data={"csrf_token": csrf_of(page.text)}, files=files)
    assert "/console/documents/jobs/" in str(response.url)
    html = _wait_for_job(client, str(response.url))
    assert "huong-dan-chieu-sang.md" in html and "Đã thêm" in html
    assert re.search(r"rong\.txt</td>\s*<td>Lỗi: Không đọc được tệp", html)

    listing = client.get("/console/documents").text
    assert "huong-dan-chieu-sang.md" in listing
    row = next(r for r in listing.split("<tr>") if "huong-dan-chieu-sang.md" in r)
    assert re.search(r'<td data-label="Số đoạn">[1-9]\d*</td>', row)  # indexed into passages
    doc_id = re.search(r'href="/console/documents/([^"]+)/remove"', row)
    assert doc_id, "the new document has a remove link"
    stored = index_dir / "sources" / "huong-dan-chieu-sang.md"
    assert stored.is_file()  # the index keeps its own copy of the file
    # "Gỡ" first asks; a POST without the confirmation's answer removes nothing.
    confirm = client.get(f"/console/documents/{doc_id.group(1)}/remove").text
    assert "Gỡ tài liệu" in confirm and "Không thể hoàn tác" in confirm and "Hủy, giữ lại" in confirm
    client.post(f"/console/documents/{doc_id.group(1)}/remove", data={"csrf_token": csrf_of(confirm)})
    assert "huong-dan-chieu-sang.md" in client.get("/console/documents").text and stored.is_file()
    response = client.post(f"/console/documents/{doc_id.group(1)}/remove",
                           data={"csrf_token": csrf_of(confirm), "confirm": "yes"})
    assert "Đã gỡ tài liệu" in response.text and "huong-dan-chieu-sang.md" not in response.text
    assert not stored.exists()  # and the file is gone from disk
    actions = [e.action for e in env.app.state.console.audit.entries()]
    assert "doc-add" in actions and "doc-remove" in actions


def test_upload_refuses_other_file_types(knowledge_env) -> None:
    env = knowledge_env
    client = env.client()
    env.login(client, "admin")
    page = client.get("/console/")
    response = client.post("/console/documents", data={"csrf_token": csrf_of(page.text)},
                           files=[("files", ("virus.exe", b"MZ", "application/octet-stream"))])
    assert "Chỉ nhận tệp .txt, .md, .docx, .pdf" in response.text
