"""Routing corrections: every petition an operator moved to another agency, as labelled data for the router.

One JSON object per line with "text" and "agency" (the agency that finally handles it), the format of
../shared/eval/dev_routing.jsonl, so the same file can extend the routing table's examples, and `danvan eval routing
--corrections FILE` reports how the current router does on it against where the petitions went when filed.
"routed_to" is the agency the petition first went to (the router's choice, or the triage queue's when the router
was unsure and an operator confirmed the agency), "reason" the operators' reasons, newest last. Denunciations (tố
cáo) are left out: their text may identify the denouncer, whom the law protects.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from console.audit import AuditLog

BATCH = 500
# What moves a petition to the agency that handles it: a reassignment, or the agency confirmed for a petition that
# waited in the triage queue (the router was unsure; the operator's choice is the label).
CORRECTIONS = ("reassign", "confirm-agency")
DENUNCIATION = "to-cao"


def _reassignments(audit: AuditLog) -> dict[str, dict[str, Any]]:
    """Per petition code: the first agency, the last one and the reasons, from the audit log's corrections."""
    found: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        entries = audit.entries(actions=CORRECTIONS, limit=BATCH, offset=offset)
        for e in entries:  # newest first
            before, after = e.before or {}, e.after or {}
            item = found.setdefault(e.target, {"agency": after.get("agency"), "reasons": [], "at": e.at})
            item["routed_to"] = before.get("agency")  # older entries overwrite: the first agency wins
            if after.get("reason"):
                item["reasons"].insert(0, after["reason"])
        if len(entries) < BATCH:
            return found
        offset += BATCH


def correction_lines(audit: AuditLog, store: Any) -> Iterator[str]:
    """The corrections as JSON lines, newest correction first."""
    for code, item in _reassignments(audit).items():
        record = store.get_by_code(code)
        if record is None or record.kind == DENUNCIATION or not item["agency"]:
            continue
        if item["agency"] == item["routed_to"]:  # moved away and back: the first choice was right
            continue
        yield json.dumps({
            "id": record.code, "text": record.text, "agency": item["agency"], "routed_to": item["routed_to"],
            "confidence": round(record.confidence, 3), "topic": record.topic, "reason": " | ".join(item["reasons"]),
            "corrected_at": item["at"].isoformat(),
        }, ensure_ascii=False) + "\n"
