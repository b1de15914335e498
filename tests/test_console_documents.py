"""The Documents pages with the real knowledge index: upload with progress, list with passage counts, remove,
correct a document's citation details, replace it by a newer version."""
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
NOTICE = """Lịch tiếp công dân tháng 5

Chủ tịch Ủy ban nhân dân xã tiếp công dân định kỳ vào sáng thứ Năm hằng tuần tại phòng tiếp dân của xã.
Người đến được tiếp cần mang theo giấy tờ tùy thân và các tài liệu liên quan đến nội dung phản ánh.
"""
NOTICE_JUNE = NOTICE.replace("tháng 5", "tháng 6").replace("sáng thứ Năm", "chiều thứ Ba")


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


def _upload(client, name: str, text: str) -> str:
    """Upload one file as admin, wait for its job, and return the document's page URL from the list."""
    page = client.get("/console/documents")
    response = client.post("/console/documents", data={"csrf_token": csrf_of(page.text)},
                           files=[("files", (name, text.encode("utf-8"), "text/plain"))])
    assert "Đã thêm" in _wait_for_job(client, str(response.url))
    row = next(r for r in client.get("/console/documents").text.split("<tr>") if name in r)
    return re.search(r'<a href="(/console/documents/[^"/]+)">', row).group(1)


def test_admin_corrects_how_a_document_is_cited_and_replaces_it(knowledge_env) -> None:
    env = knowledge_env
    client = env.client()
    env.login(client, "admin")
    url = _upload(client, "lich-tiep-dan.txt", NOTICE)
    page = client.get(url).text
    assert "Sửa thông tin trích dẫn" in page and "Đây là bản đầu tiên" in page

    # An impossible date is refused beside its field; what was typed stays in the form; nothing changes.
    typed = {"title": "Lịch tiếp công dân xã Hảo Đước", "kind": "Thông báo", "number": "15/TB-UBND",
             "date": "31/2/2024", "issuer": "UBND xã Hảo Đước"}
    refused = client.post(f"{url}/edit", data={"csrf_token": csrf_of(page), **typed})
    assert refused.status_code == 400
    assert "Ngày ban hành phải là một ngày có thật" in refused.text and 'value="15/TB-UBND"' in refused.text
    assert "15/TB-UBND" not in client.get("/console/documents").text

    done = client.post(f"{url}/edit", data={"csrf_token": csrf_of(page), **typed, "date": "3/5/2024"})
    assert "Đã cập nhật" in _wait_for_job(client, str(done.url))
    page = client.get(url).text
    assert re.search(r'<b id="citation">Thông báo 15/TB-UBND ngày 03/5/2024</b>', page)
    assert "Lịch tiếp công dân xã Hảo Đước" in client.get("/console/documents").text

    replaced = client.post(f"{url}/replace", data={"csrf_token": csrf_of(page)},
                           files=[("files", ("lich-thang-6.txt", NOTICE_JUNE.encode("utf-8"), "text/plain"))])
    assert "Đã cập nhật" in _wait_for_job(client, str(replaced.url))
    page = client.get(url).text  # the same page: the id stayed
    assert "(bản 2)" in page
    history = page.split('id="h-history"')[1]
    assert "Bản 1" in history and "Thông báo 15/TB-UBND ngày 03/5/2024" in history
    actions = [e.action for e in env.app.state.console.audit.entries()]
    assert "doc-edit" in actions and "doc-replace" in actions


def test_operators_see_a_document_but_cannot_change_it(knowledge_env) -> None:
    env = knowledge_env
    admin = env.client()
    env.login(admin, "admin")
    url = _upload(admin, "lich-tiep-dan-xa.txt", NOTICE)
    operator = env.client()
    env.login(operator, "op-a")
    page = operator.get(url)
    assert page.status_code == 200 and "Trích dẫn" in page.text and "Sửa thông tin trích dẫn" not in page.text
    response = operator.post(f"{url}/edit", data={"csrf_token": csrf_of(page.text), "title": "Đổi tên"})
    assert response.status_code == 403
    assert "Đổi tên" not in admin.get("/console/documents").text
