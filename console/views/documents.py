"""The Documents pages: the knowledge index's documents with passage counts, uploads with progress, a page per
document (how answers cite it, its versions), correcting citation details, replacing by a newer file, removal.

Everyone signed in sees them; changing documents changes answers for the whole province, so only admins may do it.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from console.accounts import Account
from console.context import ConsoleContext
from console.documents import (
    ALLOWED_SUFFIXES,
    MAX_FILES,
    DocumentJobs,
    FileResult,
    Job,
    discard_folder,
    safe_filename,
)
from console.security import NotFound, client_of
from console.templating import flash, render
from knowledge.citation import short_name
from knowledge.errors import KnowledgeError
from knowledge.models import DocInfo
from knowledge.revisions import EDITABLE, LIMITS, EditableInfo, MetadataInvalid
from petitions.vn_time import vn_datetime

FIELD_LABELS = {
    "title": "Tên tài liệu",
    "kind": "Loại văn bản",
    "number": "Số hiệu",
    "date": "Ngày ban hành",
    "issuer": "Cơ quan ban hành",
}
STATE_LABELS = {
    "waiting": "Đang chờ",
    "working": "Đang xử lý",
    "added": "Đã thêm",
    "updated": "Đã cập nhật",
    "unchanged": "Không thay đổi (đã có)",
    "failed": "Lỗi",
}


def _problem_text(exc: MetadataInvalid) -> str:
    label = FIELD_LABELS.get(exc.field, exc.field)
    if exc.problem == "bad_date":
        return f"{label} phải là một ngày có thật, viết theo dạng ngày/tháng/năm, ví dụ 02/4/2019."
    if exc.problem == "required":
        return f"{label} không được để trống."
    return f"{label} quá dài: tối đa {LIMITS.get(exc.field, 0)} ký tự."


def _detail_url(doc_id: str) -> str:
    return f"/console/documents/{quote(doc_id, safe='')}"


def _replaced_at(text: str) -> str:
    """The time of a version's replacement (stored as ISO 8601 in UTC) as the console writes times."""
    try:
        return vn_datetime(datetime.fromisoformat(text))
    except (TypeError, ValueError):
        return ""


class DocumentViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates
        self.jobs = DocumentJobs(ctx.knowledge, ctx.config.var_dir / "uploads", on_file=self._audit_file)

    def _audit_file(self, job: Job, result: FileResult) -> None:
        if result.state not in ("added", "updated"):
            return
        outcome = {"state": result.state, "passages": result.passages, "title": result.title}
        if job.action == "edit":
            self.ctx.audit.record(job.owner, "doc-edit", f"doc:{job.doc_id}", before=job.details["before"],
                                  after={**job.details["after"], **outcome})
        else:
            self.ctx.audit.record(job.owner, f"doc-{job.action}", f"doc:{job.doc_id or result.name}", after=outcome)

    async def page(self, request: Request) -> Response:
        docs = None
        if self.ctx.has_knowledge:
            docs = await run_in_threadpool(self.jobs.documents)
        return render(self.templates, request, "console/documents.html", {
            "docs": docs, "configured": self.ctx.has_knowledge, "suffixes": ", ".join(ALLOWED_SUFFIXES),
            "max_mb": self.ctx.config.max_upload_bytes // (1024 * 1024),
        })

    async def upload(self, request: Request) -> Response:
        """Save the files, start indexing them in the background, and show the job's progress page."""
        account: Account = request.state.account
        if not self.ctx.has_knowledge:
            flash(request, "Chưa cấu hình kho tri thức.", "error")
            return RedirectResponse("/console/documents", status_code=303)
        saved = await self._save_uploads(request, "/console/documents", MAX_FILES)
        if isinstance(saved, Response):
            return saved
        job_id, paths = saved
        self.jobs.start(job_id, account.username, paths)
        return RedirectResponse(f"/console/documents/jobs/{job_id}", status_code=303)

    async def _save_uploads(self, request: Request, back: str, max_files: int) -> tuple[str, list[Path]] | Response:
        """The form's files written to a new job folder, or a redirect to `back` with the reason they were refused
        (then nothing of them stays on disk)."""
        form = await request.form()
        # (file, its name): a part without a name is no upload, so every name below is a str.
        uploads = [(f, f.filename) for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        if not uploads:
            flash(request, "Vui lòng chọn ít nhất một tệp.", "error")
            return RedirectResponse(back, status_code=303)
        if len(uploads) > max_files:
            flash(request, f"Mỗi lần tải lên tối đa {max_files} tệp.", "error")
            return RedirectResponse(back, status_code=303)
        bad = [name for _, name in uploads if Path(name).suffix.lower() not in ALLOWED_SUFFIXES]
        if bad:
            flash(request, f"Chỉ nhận tệp {', '.join(ALLOWED_SUFFIXES)}. Không nhận: {', '.join(bad)}", "error")
            return RedirectResponse(back, status_code=303)
        job_id, folder = self.jobs.new_job_dir()
        paths: list[Path] = []
        limit = self.ctx.config.max_upload_bytes
        for upload, name in uploads:
            data = await upload.read(limit + 1)
            if len(data) > limit:
                await run_in_threadpool(discard_folder, folder)  # nothing of a refused upload stays on disk
                flash(request, f"Tệp {name} lớn hơn {limit // (1024 * 1024)} MB.", "error")
                return RedirectResponse(back, status_code=303)
            path = folder / safe_filename(name)
            if path in paths:
                path = path.with_name(f"{len(paths)}-{path.name}")
            await run_in_threadpool(path.write_bytes, data)
            paths.append(path)
        return job_id, paths

    async def job(self, request: Request) -> Response:
        job = self.jobs.get(request.path_params["job_id"])
        account: Account = request.state.account
        if job is None or (job.owner != account.username and not account.is_admin):
            raise NotFound()
        return render(self.templates, request, "console/document_job.html", {
            "job": job, "state_labels": STATE_LABELS,
        })

    async def _document(self, request: Request) -> DocInfo:
        """The document named in the path (404 for an unknown one, or when no index is configured)."""
        if not self.ctx.has_knowledge:
            raise NotFound()
        docs = {d.doc_id: d for d in await run_in_threadpool(self.jobs.documents)}
        doc = docs.get(request.path_params["doc_id"])
        if doc is None:
            raise NotFound()
        return doc

    async def _removable(self, request: Request) -> DocInfo | None:
        """The operator document named in the path (404 for an unknown one; None, with a message, for a built-in)."""
        doc = await self._document(request)
        if doc.shipped:
            flash(request, "Đây là tài liệu gốc của hệ thống, không sửa hay gỡ được ở đây.", "error")
            return None
        return doc

    async def detail(self, request: Request) -> Response:
        """One document: how answers cite it, its earlier versions, and (for admins) forms to correct its citation
        details or replace it by a newer file."""
        doc = await self._document(request)
        return self._detail_page(request, doc, EditableInfo.of(doc), {})

    def _detail_page(self, request: Request, doc: DocInfo, values: EditableInfo, errors: dict[str, str],
                     status_code: int = 200) -> Response:
        history = [(entry, short_name(EditableInfo.from_mapping(entry).applied_to(DocInfo(doc.doc_id, ""))))
                   for entry in reversed(doc.versions)]
        return render(self.templates, request, "console/document.html", {
            "d": doc, "values": values, "errors": errors, "labels": FIELD_LABELS, "limits": LIMITS,
            "citation": short_name(doc), "history": history, "replaced_at": _replaced_at,
            "suffixes": ", ".join(ALLOWED_SUFFIXES), "max_mb": self.ctx.config.max_upload_bytes // (1024 * 1024),
        }, status_code=status_code)

    async def edit(self, request: Request) -> Response:
        """Correct the citation details; a refused value is shown again beside its reason, nothing is changed."""
        account: Account = request.state.account
        doc = await self._removable(request)
        if doc is None:
            return RedirectResponse("/console/documents", status_code=303)
        form = await request.form()
        typed = {name: form.get(name) for name in EDITABLE}
        values = EditableInfo.from_mapping({k: v for k, v in typed.items() if isinstance(v, str)})  # no file parts
        try:
            wanted = values.cleaned()
        except MetadataInvalid as exc:
            return self._detail_page(request, doc, values, {exc.field: _problem_text(exc)}, status_code=400)
        if wanted == EditableInfo.of(doc):
            flash(request, "Thông tin không thay đổi.")
            return RedirectResponse(_detail_url(doc.doc_id), status_code=303)
        job = self.jobs.start_edit(account.username, doc, wanted)
        return RedirectResponse(f"/console/documents/jobs/{job.id}", status_code=303)

    async def replace(self, request: Request) -> Response:
        """Index one uploaded file as the document's newer version (same id, history kept)."""
        account: Account = request.state.account
        doc = await self._removable(request)
        if doc is None:
            return RedirectResponse("/console/documents", status_code=303)
        saved = await self._save_uploads(request, _detail_url(doc.doc_id), 1)
        if isinstance(saved, Response):
            return saved
        job_id, paths = saved
        self.jobs.start(job_id, account.username, paths, replacing=doc.doc_id)
        return RedirectResponse(f"/console/documents/jobs/{job_id}", status_code=303)

    async def confirm_remove(self, request: Request) -> Response:
        """Removing changes the answers of the whole province and cannot be undone: ask first, on a page of its own
        (works without JavaScript)."""
        doc = await self._removable(request)
        if doc is None:
            return RedirectResponse("/console/documents", status_code=303)
        return render(self.templates, request, "console/document_remove.html", {"d": doc})

    async def remove(self, request: Request) -> Response:
        account: Account = request.state.account
        doc = await self._removable(request)
        if doc is None:
            return RedirectResponse("/console/documents", status_code=303)
        doc_id = doc.doc_id
        form = await request.form()
        if form.get("confirm") != "yes":  # only the confirmation page's button removes
            return RedirectResponse(f"/console/documents/{quote(doc_id, safe='')}/remove", status_code=303)
        try:
            await run_in_threadpool(self.jobs.remove, doc_id)
        except KnowledgeError:
            flash(request, "Không gỡ được tài liệu này.", "error")
            return RedirectResponse("/console/documents", status_code=303)
        await run_in_threadpool(self.ctx.audit.record, account.username, "doc-remove", f"doc:{doc_id}",
                                before={"title": doc.title, "passages": doc.passages}, client=client_of(request))
        flash(request, f"Đã gỡ tài liệu “{doc.title}” khỏi kho tri thức và xóa tệp đã lưu.")
        return RedirectResponse("/console/documents", status_code=303)
