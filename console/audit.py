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

from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import sessionmaker

from console.tables import AuditEntry, utcnow
from petitions.records import stored_at

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
    "doc-replace": "Thay tài liệu bằng bản mới",
    "doc-edit": "Sửa thông tin trích dẫn",
    "login-failed": "Đăng nhập sai",
    "login-blocked": "Đăng nhập khi tài khoản đang bị khóa",
    "lockout": "Khóa tài khoản tạm thời",
}
# What the audit page's "failed logins" choice lists.
LOGIN_FAILURES = ("login-failed", "login-blocked", "lockout")


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
                offset: int = 0, actor: str | None = None, actions: tuple[str, ...] = (),
                since: datetime | None = None, until: datetime | None = None) -> list[AuditRecord]:
        """Newest first, filtered and cut in SQL; `agency` keeps only entries about that agency's petitions (an
        operator's view), `since`/`until` bound the time (until exclusive)."""
        stmt = self._where(select(AuditEntry), target=target, agency=agency, actor=actor, actions=actions,
                           since=since, until=until)
        stmt = stmt.order_by(AuditEntry.id.desc()).limit(max(0, limit)).offset(max(0, offset))
        with self._sessions.begin() as session:
            return [
                AuditRecord(r.id, stored_at(r.at), r.actor, r.action, r.target, r.agency, _load(r.before),
                            _load(r.after), r.client)
                for r in session.scalars(stmt)
            ]

    def count(self, *, target: str | None = None, agency: str | None = None, actor: str | None = None,
              actions: tuple[str, ...] = (), since: datetime | None = None, until: datetime | None = None) -> int:
        stmt = self._where(select(func.count(AuditEntry.id)), target=target, agency=agency, actor=actor,
                           actions=actions, since=since, until=until)
        with self._sessions.begin() as session:
            return int(session.scalar(stmt) or 0)

    @staticmethod
    def _where(stmt: Select, *, target: str | None, agency: str | None, actor: str | None,
               actions: tuple[str, ...], since: datetime | None, until: datetime | None) -> Select:
        if target is not None:
            stmt = stmt.where(AuditEntry.target == target)
        if agency is not None:
            stmt = stmt.where(AuditEntry.agency == agency)
        if actor is not None:
            stmt = stmt.where(AuditEntry.actor == actor)
        if actions:
            stmt = stmt.where(AuditEntry.action.in_(actions))
        if since is not None:
            stmt = stmt.where(AuditEntry.at >= since)
        if until is not None:
            stmt = stmt.where(AuditEntry.at < until)
        return stmt
