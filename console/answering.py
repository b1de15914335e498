"""Sending an operator's answer to the citizen, on the channel the petition came from, and recording the outcome.

The answer is stored first (the citizen can always read it by tracking code); the delivery is then tried once and
its success or failure is written on the petition, so a failed send is visible in the console and retried by the
delivery worker or by an operator, never lost.
"""
from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from bot.delivery import DeliveryError
from petitions.store import PetitionRecord

log = logging.getLogger(__name__)


def citizen_message(record: PetitionRecord, agency_name: str) -> str:
    """What the citizen reads in their chat."""
    return (
        f"Trả lời phản ánh, kiến nghị mã {record.code} của bạn ({agency_name}):\n\n"
        f"{record.answer}\n\n"
        f"Bạn có thể tra cứu lại bất cứ lúc nào bằng mã {record.code}."
    )


@dataclass(frozen=True)
class DeliveryOutcome:
    state: str  # "sent" | "failed" | "pending" (no deliverer configured) | "not-deliverable"
    error: str | None = None
    record: PetitionRecord | None = None
    retryable: bool = True


async def deliver_answer(store: Any, deliverer: Any, record: PetitionRecord, agency_name: str) -> DeliveryOutcome:
    """Try to send the stored answer once; record the attempt on the petition."""
    if record.delivery_state == "not-deliverable" or not record.sender_id:
        return DeliveryOutcome("not-deliverable", record=record)
    if deliverer is None:
        return DeliveryOutcome("pending", "no deliverer configured", record=record)
    try:
        result = deliverer.deliver(record.channel, record.sender_id, citizen_message(record, agency_name))
        if inspect.isawaitable(result):
            await result
    except DeliveryError as exc:
        updated = await run_in_threadpool(store.record_delivery, record.code, False, exc.reason)
        return DeliveryOutcome("failed", exc.reason, updated, retryable=exc.retryable)
    except Exception as exc:  # an unexpected failure of a sender is still recorded on the petition, then logged
        log.exception("answer delivery crashed")
        reason = f"unexpected error: {type(exc).__name__}"
        updated = await run_in_threadpool(store.record_delivery, record.code, False, reason)
        return DeliveryOutcome("failed", reason, updated)
    updated = await run_in_threadpool(store.record_delivery, record.code, True)
    return DeliveryOutcome("sent", record=updated)


async def retry_pending_deliveries(store: Any, deliverer: Any, agency_name: Any, *, limit: int = 50) -> dict[str, int]:
    """One pass of the delivery worker: resend every answer still pending or failed (below the attempt limit).

    `agency_name` maps an agency code to its display name. Returns counts per outcome, for the log.
    """
    counts: dict[str, int] = {}
    if deliverer is None:
        return counts
    for record in await run_in_threadpool(store.pending_deliveries, limit=limit):
        outcome = await deliver_answer(store, deliverer, record, agency_name(record.agency))
        counts[outcome.state] = counts.get(outcome.state, 0) + 1
    if counts:
        log.info("delivery worker pass: %s", counts)
    return counts
