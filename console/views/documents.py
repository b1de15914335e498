"""The Documents page: the knowledge index's documents with passage counts, uploads with progress, removal.

Everyone signed in sees the list; adding and removing documents changes answers for the whole province, so only
admins may do it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
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
from knowledge.errors import KnowledgeError

STATE_LABELS = {
    "waiting": "Đang chờ",
    "working": "Đang xử lý",
    "added": "Đã thêm",
    "updated": "Đã cập nhật",
    "unchanged": "Không thay đổi (đã có)",
    "failed": "Lỗi",
}


class DocumentViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates
        self.jobs = DocumentJobs(ctx.knowledge, ctx.config.var_dir / "uploads", on_file=self._audit_file)

    def _audit_file(self, job: Job, result: FileResult) -> None:
        if result.state in ("added", "updated"):
            self.ctx.audit.record(job.owner, "doc-add", f"doc:{result.name}",
                                  after={"state": result.state, "passages": result.passages, "title": result.title})

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
        form = await request.form()
        # (file, its name): a part without a name is no upload, so every name below is a str.
        uploads = [(f, f.filename) for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        if not uploads:
            flash(request, "Vui lòng chọn ít nhất một tệp.", "error")
            return RedirectResponse("/console/documents", status_code=303)
        if len(uploads) > MAX_FILES:
            flash(request, f"Mỗi lần tải lên tối đa {MAX_FILES} tệp.", "error")
            return RedirectResponse("/console/documents", status_code=303)
        bad = [name for _, name in uploads if Path(name).suffix.lower() not in ALLOWED_SUFFIXES]
        if bad:
            flash(request, f"Chỉ nhận tệp {', '.join(ALLOWED_SUFFIXES)}. Không nhận: {', '.join(bad)}", "error")
            return RedirectResponse("/console/documents", status_code=303)
        job_id, folder = self.jobs.new_job_dir()
        paths: list[Path] = []
        limit = self.ctx.config.max_upload_bytes
        for upload, name in uploads:
            data = await upload.read(limit + 1)
            if len(data) > limit:
                await run_in_threadpool(discard_folder, folder)  # nothing of a refused upload stays on disk
                flash(request, f"Tệp {name} lớn hơn {limit // (1024 * 1024)} MB.", "error")
                return RedirectResponse("/console/documents", status_code=303)
            path = folder / safe_filename(name)
            if path in paths:
                path = path.with_name(f"{len(paths)}-{path.name}")
            await run_in_threadpool(path.write_bytes, data)
            paths.append(path)
        self.jobs.start(job_id, account.username, paths)
        return RedirectResponse(f"/console/documents/jobs/{job_id}", status_code=303)

    async def job(self, request: Request) -> Response:
        job = self.jobs.get(request.path_params["job_id"])
        account: Account = request.state.account
        if job is None or (job.owner != account.username and not account.is_admin):
            raise NotFound()
        return render(self.templates, request, "console/document_job.html", {
            "job": job, "state_labels": STATE_LABELS,
        })

    async def _removable(self, request: Request) -> Any:
        """The operator document named in the path (404 for an unknown one; None, with a message, for a built-in)."""
        if not self.ctx.has_knowledge:
            raise NotFound()
        docs = {d.doc_id: d for d in await run_in_threadpool(self.jobs.documents)}
        doc = docs.get(request.path_params["doc_id"])
        if doc is None:
            raise NotFound()
        if doc.shipped:
            flash(request, "Đây là tài liệu gốc của hệ thống, không gỡ được.", "error")
            return None
        return doc

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
