"""Uploads to the knowledge index, run in the background so the page can show progress without JavaScript.

A job handles its files one by one and records what happened to each; the job page refreshes itself (a meta
refresh) until the job is done. Files wait under var/uploads/<job>/ only until indexed: the index keeps its own copy
of every document it holds (knowledge/store.py `sources/`), so each uploaded file is deleted once handled, accepted
or not, and a removed document leaves no copy behind.
"""
from __future__ import annotations

import logging
import re
import secrets
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from console.tables import utcnow
from knowledge.errors import KnowledgeError
from knowledge.ingest import doc_id_for
from knowledge.models import DocInfo, IngestReport
from knowledge.readers import DocumentTooLarge
from knowledge.revisions import EditableInfo

log = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
MAX_FILES = 20
_UNSAFE = re.compile(r"[^\w.\- ]+")
TOO_LARGE = {
    "text": "Tài liệu quá dài: {size} ký tự văn bản, tối đa {limit}. Vui lòng tách thành nhiều tệp nhỏ hơn.",
    "expanded": "Tệp .docx giải nén ra quá lớn ({size_mb} MB, tối đa {limit_mb} MB). Vui lòng lưu lại tài liệu "
                "(bỏ ghi chú, nội dung ẩn) hoặc tách thành nhiều tệp nhỏ hơn.",
    "pages": "Tệp PDF có quá nhiều trang: {size} trang, tối đa {limit}. Vui lòng tách thành nhiều tệp nhỏ hơn.",
    "passages": "Tài liệu quá dài: {size} đoạn, tối đa {limit} đoạn mỗi tài liệu. Vui lòng tách thành nhiều "
                "tệp nhỏ hơn.",
}


def too_large_message(exc: DocumentTooLarge) -> str:
    """The operator's message for a document over a limit (numbers in Vietnamese style: 1.000.000)."""
    template = TOO_LARGE.get(exc.what, TOO_LARGE["text"])
    return template.format(size=_vn_number(exc.size), limit=_vn_number(exc.limit),
                           size_mb=exc.size // (1024 * 1024), limit_mb=exc.limit // (1024 * 1024))


def _vn_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def safe_filename(name: str) -> str:
    """A file name that cannot leave its folder; Vietnamese letters are kept."""
    base = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name).strip()
    base = _UNSAFE.sub("-", base).strip(". ") or "tai-lieu"
    return base[:120]


@dataclass
class FileResult:
    name: str
    state: str = "waiting"  # waiting | working | added | updated | unchanged | failed
    passages: int = 0
    title: str = ""
    error: str = ""


@dataclass
class Job:
    id: str
    owner: str
    files: list[FileResult]
    stage: str = "Đang chờ"
    finished: bool = False
    action: str = "add"  # add | replace | edit: what the audit records and where the page leads back to
    doc_id: str | None = None  # the document a replace or edit job changes
    details: dict[str, Any] = field(default_factory=dict)  # what the audit records beside the outcome
    started_at: datetime = field(default_factory=utcnow)

    @property
    def done_count(self) -> int:
        return sum(1 for f in self.files if f.state not in ("waiting", "working"))


class DocumentJobs:
    """In-memory registry of upload jobs of this process (a restart forgets finished jobs, not the index).

    The knowledge base serialises its own writes, so jobs only need to run one file at a time.
    """

    def __init__(self, knowledge: Callable[[], Any], upload_dir: Path,
                 on_file: Callable[[Job, FileResult], None] | None = None) -> None:
        self._knowledge = knowledge
        self.upload_dir = upload_dir
        self._on_file = on_file
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def new_job_dir(self) -> tuple[str, Path]:
        job_id = secrets.token_urlsafe(9)
        folder = self.upload_dir / job_id
        folder.mkdir(parents=True, exist_ok=True)
        return job_id, folder

    def start(self, job_id: str, owner: str, paths: list[Path], *, replacing: str | None = None) -> Job:
        """Index the uploaded `paths` in the background; with `replacing`, the one file is that document's new
        version (its id, and so its links and history, stay)."""
        if replacing is not None:
            doc_id = replacing

            def step(kb: Any, path: Path) -> Any:
                return kb.replace_file(doc_id, path)
        else:
            def step(kb: Any, path: Path) -> Any:
                return kb.add_files([path])[0]
        job = Job(job_id, owner, [FileResult(p.name) for p in paths], action="replace" if replacing else "add",
                  doc_id=replacing)
        return self._launch(job, paths, step)

    def start_edit(self, owner: str, doc: DocInfo, wanted: EditableInfo) -> Job:
        """Apply an admin's citation details in the background: the document is embedded again with its new name."""
        doc_id = doc.doc_id
        job = Job(secrets.token_urlsafe(9), owner, [FileResult(doc.title)], action="edit", doc_id=doc_id,
                  details={"before": EditableInfo.of(doc).as_dict(), "after": wanted.as_dict()})

        def step(kb: Any, _path: Path | None) -> Any:
            info = kb.edit_info(doc_id, wanted)
            return IngestReport(doc_id, "", "updated", info.passages, info.title)
        return self._launch(job, [None], step)

    def _launch(self, job: Job, paths: list[Any], step: Callable[[Any, Any], Any]) -> Job:
        with self._lock:
            self._jobs[job.id] = job
            if len(self._jobs) > 200:  # keep the registry small; the oldest finished jobs go first
                for old in [j for j in self._jobs.values() if j.finished][:50]:
                    self._jobs.pop(old.id, None)
        threading.Thread(target=self._run, args=(job, paths, step), name=f"documents-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def _run(self, job: Job, paths: list[Path | None], step: Callable[[Any, Any], Any]) -> None:
        folder = next((p.parent for p in paths if p is not None), None)
        job.stage = "Đang tải kho tri thức"
        try:
            kb = self._knowledge()
        except Exception:  # the job page must end with a message, not spin forever
            log.exception("knowledge base could not be opened for a document job")
            for result in job.files:
                result.state, result.error = "failed", "Không mở được kho tri thức."
            job.stage, job.finished = "Không mở được kho tri thức", True
            discard_folder(folder)
            return
        for result, path in zip(job.files, paths, strict=True):
            job.stage = f"Đang xử lý {result.name}"
            result.state = "working"
            try:
                report = step(kb, path)
                result.state, result.passages, result.title = report.status, report.passages, report.title
            except DocumentTooLarge as exc:
                result.state, result.error = "failed", too_large_message(exc)
            except KnowledgeError as exc:
                result.state = "failed"
                reason = getattr(exc, "reason", "")
                result.error = "Không đọc được tệp" + (f" ({reason})." if reason else ".")
            except Exception:  # one bad file must not stop the others
                log.exception("indexing a document failed")
                result.state, result.error = "failed", "Lỗi không xác định khi lập chỉ mục."
            finally:
                if path is not None:
                    discard(path)  # the index keeps its own copy of what it accepted
            if self._on_file is not None:
                self._on_file(job, result)
        discard_folder(folder)
        job.stage, job.finished = "Hoàn tất", True

    def documents(self) -> list[Any]:
        kb = self._knowledge()
        return list(kb.documents())

    def remove(self, doc_id: str) -> None:
        """Remove the document from the index (which drops its stored copy) and any upload of it still waiting."""
        self._knowledge().remove(doc_id)
        if self.upload_dir.is_dir():
            for path in self.upload_dir.glob("*/*"):
                try:
                    same = doc_id_for(path) == doc_id
                except KnowledgeError:
                    same = False
                if same:
                    discard(path)
                    discard_folder(path.parent)


def discard(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.error("could not delete the uploaded file %s: %s", path.name, exc.strerror or exc)


def discard_folder(folder: Path | None) -> None:
    """Delete an upload folder once it is empty (a job's folder, after its files were handled or refused)."""
    if folder is None:
        return
    try:
        for leftover in folder.iterdir():
            discard(leftover)
        folder.rmdir()
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.error("could not delete the upload folder %s: %s", folder.name, exc.strerror or exc)
