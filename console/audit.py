"""The audit log: every console action, with who, what, when and the state before and after.

Entries are only ever added. They are written after the action succeeded, in the same request, so the log shows
what really changed; a failed delivery is an entry of its own.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from console.tables import AuditEntry, aware, utcnow

# Vietnamese names of the actions, as the audit page shows them.
ACTION_LABELS = {
    "login": "Đăng nhập",
    "logout": "Đăng xuất",
    "accept": "Tiếp nhận xử lý",
    "reassign": "Chuyển cơ quan",
    "answer": "Trả lời người dân",
    "deliver": "Gửi trả lời",
    "close": "Kết thúc",
    "reject": "Từ chối",
    "reopen": "Mở lại",
    "export": "Xuất CSV",
    "doc-add": "Thêm tài liệu",
    "doc-remove": "Gỡ tài liệu",
}


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    agency: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    client: str | None

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _load(value: str | None) -> dict[str, Any] | None:
    return None if value is None else json.loads(value)


class AuditLog:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.clock = clock

    def record(self, actor: str, action: str, target: str, *, agency: str | None = None,
               before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
               client: str | None = None) -> None:
        with self._sessions.begin() as session:
            session.add(AuditEntry(at=self.clock(), actor=actor[:64], action=action[:32], target=target[:200],
                                   agency=agency, before=_dump(before), after=_dump(after),
                                   client=(client or "")[:64] or None))

    def entries(self, *, target: str | None = None, agency: str | None = None, limit: int = 200,
                offset: int = 0) -> list[AuditRecord]:
        """Newest first; `agency` keeps only entries about that agency's petitions (an operator's view)."""
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
        if target is not None:
            stmt = stmt.where(AuditEntry.target == target)
        if agency is not None:
            stmt = stmt.where(AuditEntry.agency == agency)
        with self._sessions.begin() as session:
            return [
                AuditRecord(r.id, aware(r.at), r.actor, r.action, r.target, r.agency, _load(r.before),
                            _load(r.after), r.client)
                for r in session.scalars(stmt)
            ]
