"""Sending the notices of petitions/outbox.py to citizens, and what the operator is told about it.

One mechanism: the console's background loop and the request that saves an answer both go through
`NoticeService.run_once`, which claims due notices atomically (so a notice is sent by exactly one of them), renders
each from the catalogue (petitions/data/notices.yml), sends it through the deliverer and records the outcome on the
notice — sent, retried later with backoff, or undeliverable with its reason, which the petition page shows.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import yaml
from starlette.concurrency import run_in_threadpool

import petitions
from bot.delivery import DeliveryError, OutboundNotice
from petitions.models import STATUS_LABELS
from petitions.outbox import NOTICE_EVENTS, ClaimedNotice, NoticeRecord, Outbox, OutboxPolicy
from petitions.store import PetitionRecord

log = logging.getLogger(__name__)

DEFAULT_NOTICES_FILE = Path(petitions.__file__).resolve().parent / "data" / "notices.yml"
RATING_PROMPT = "rating_prompt"
# What the petition page calls each notice event and state (operators' words).
NOTICE_LABELS = {
    "accepted": "Tiếp nhận xử lý", "reassigned": "Chuyển cơ quan", "answered": "Trả lời", "closed": "Kết thúc",
    "rejected": "Không thuộc diện xử lý",
    "pending": "Chờ gửi", "sending": "Đang gửi", "sent": "Đã gửi", "undeliverable": "Không gửi được",
    "superseded": "Đã thay bằng câu trả lời mới", "zns": "tin mẫu ZNS",
}


class NoticeTexts:
    """The notices catalogue: one Vietnamese text per event, `<event>_reason` when the operator gave a reason."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        missing = [key for key in (*NOTICE_EVENTS, RATING_PROMPT) if not texts.get(key)]
        if missing:
            raise ValueError(f"notices catalogue lacks {', '.join(missing)}")
        self.texts = dict(texts)

    @classmethod
    def load(cls, path: Path | None = None) -> NoticeTexts:
        data = yaml.safe_load((path or DEFAULT_NOTICES_FILE).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of texts")
        return cls({str(k): str(v).strip() for k, v in data.items()})

    def render(self, claim: ClaimedNotice, agency_name: str) -> str:
        """The notice as the citizen reads it; an answer always ends with the rating question."""
        reason = (claim.detail or "").strip()
        key = f"{claim.event}_reason" if reason and claim.event != "answered" and f"{claim.event}_reason" in \
            self.texts else claim.event
        text = self.texts[key].format(code=claim.code, agency=agency_name, answer=reason, reason=reason)
        if claim.event == "answered":
            text = f"{text}\n\n{self.texts[RATING_PROMPT]}"
        return text


@dataclass(frozen=True)
class DeliveryOutcome:
    """What became of the answer the operator just saved, for the message shown to them."""

    state: str  # "sent" | "failed" | "pending" (no deliverer, or another worker has it) | "not-deliverable"
    error: str | None = None
    record: PetitionRecord | None = None
    retryable: bool = True


class NoticeService:
    """Claims, sends and records notices; `agency_name` maps an agency code to its display name."""

    def __init__(self, outbox: Outbox, deliverer: Any, agency_name: Callable[[str], str], texts: NoticeTexts) -> None:
        self.outbox = outbox
        self.deliverer = deliverer
        self.agency_name = agency_name
        self.texts = texts

    async def run_once(self, *, petition_id: int | None = None) -> dict[str, int]:
        """One pass: claim the due notices (of one petition, or any) and send each. Returns counts per outcome."""
        counts: dict[str, int] = {}
        if self.deliverer is None:
            return counts
        claims = await run_in_threadpool(lambda: self.outbox.claim(petition_id=petition_id))
        for claim in claims:
            state = await self._send(claim)
            counts[state] = counts.get(state, 0) + 1
        if counts and petition_id is None:
            log.info("outbox pass: %s", counts)
        return counts

    async def _send(self, claim: ClaimedNotice) -> str:
        agency = self.agency_name(claim.agency)
        notice = OutboundNotice(event=claim.event, text=self.texts.render(claim, agency), code=claim.code,
                                agency=agency, status=STATUS_LABELS.get(claim.status, claim.status),
                                key=f"notice-{claim.id}", phone=claim.contact_phone)
        try:
            delivered = await self.deliverer.deliver_notice(claim.channel, claim.recipient, notice)
        except DeliveryError as exc:
            return await run_in_threadpool(self.outbox.mark_failed, claim, exc.reason, retryable=exc.retryable)
        except Exception as exc:  # a sender's bug is still recorded on the notice and retried, then logged
            log.exception("notice %d crashed its sender", claim.id)
            return await run_in_threadpool(self.outbox.mark_failed, claim, f"unexpected error: {type(exc).__name__}",
                                           retryable=True)
        sent = await run_in_threadpool(lambda: self.outbox.mark_sent(claim, via=delivered.via))
        return "sent" if sent else "lost"

    async def send_now(self, store: Any, record: PetitionRecord) -> DeliveryOutcome:
        """The answer request's part: send this petition's due notices now, through the same claims as the loop."""
        if record.delivery_state == "not-deliverable" or not record.sender_id:
            return DeliveryOutcome("not-deliverable", record=record)
        if self.deliverer is None:
            return DeliveryOutcome("pending", "no deliverer configured", record=record)
        await self.run_once(petition_id=record.id)
        updated = await run_in_threadpool(store.get_by_code, record.code) or record
        answer = await run_in_threadpool(self._answer_notice, record.id)
        if answer is None or answer.state == "sending" or (answer.state == "pending" and not answer.last_error):
            return DeliveryOutcome("pending", record=updated)  # not tried yet, or another worker is sending it
        if answer.state == "sent":
            return DeliveryOutcome("sent", record=updated)
        return DeliveryOutcome("failed", answer.last_error, updated, retryable=answer.state == "pending")

    async def retry_answer(self, store: Any, record: PetitionRecord) -> DeliveryOutcome:
        """The operator's "send again": the answer's notice becomes due at once, then is sent like any other."""
        await run_in_threadpool(self.outbox.retry_now, record.id)
        return await self.send_now(store, record)

    def _answer_notice(self, petition_id: int) -> NoticeRecord | None:
        answers = [n for n in self.outbox.for_petition(petition_id) if n.event == "answered"]
        return answers[-1] if answers else None

    def notices(self, petition_id: int) -> list[NoticeRecord]:
        return self.outbox.for_petition(petition_id)


def build_notice_service(store: Any, deliverer: Any, agency_name: Callable[[str], str], extra: Mapping[str, Any],
                         ) -> NoticeService:
    """The service from the WebConfig's `extra`: "outbox_policy" (an OutboxPolicy from settings) and "notices_file"."""
    policy = extra.get("outbox_policy") or OutboxPolicy()
    texts = NoticeTexts.load(extra.get("notices_file"))
    return NoticeService(Outbox(store.engine, policy), deliverer, agency_name, texts)


_services: WeakKeyDictionary[Any, NoticeService] = WeakKeyDictionary()
_services_lock = threading.Lock()


def notice_service(ctx: Any) -> NoticeService:
    """The one NoticeService of a console context (built on first use: it opens the petitions store)."""
    with _services_lock:
        service = _services.get(ctx)
        if service is None:
            service = build_notice_service(ctx.store, ctx.deliverer, ctx.agencies.name, ctx.config.extra)
            _services[ctx] = service
        return service
