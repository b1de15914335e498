"""An operator document's citation details as an admin corrects them, and the versions it has had.

An uploaded notice often states no number, date or issuer the parser can find, so its answers would cite it by file
name. An admin types the details once (`EditableInfo`); they are kept as the document's `edits`, so they survive a
re-parse of the stored copy (a rebuilt index) and are applied on top of whatever the parser found.

Replacing a document by a newer file keeps its id, so links and past citations still lead to it; the version it
replaces is appended to `versions` with how it was cited, and the admin's corrections carry over for the details the
new file does not state itself (a new file that prints its own number is cited by that number).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from knowledge.errors import KnowledgeError
from knowledge.models import DocInfo

# The details an admin may set, and their longest accepted length (a citation line, not a paragraph).
LIMITS = {"title": 300, "kind": 60, "number": 60, "date": 10, "issuer": 200}
EDITABLE = tuple(LIMITS)
# The title is the admin's name for the document: a new version keeps it. The other details belong to the file.
KEPT_ACROSS_VERSIONS = ("title",)
_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class MetadataInvalid(KnowledgeError):
    """A detail an admin typed cannot be used in a citation; `field` and `problem` let the console say which."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"document {field}: {problem}")
        self.field = field
        self.problem = problem  # "too_long" | "bad_date" | "required" | "unknown_field"


@dataclass(frozen=True)
class EditableInfo:
    """The citation details of one document as an admin submits them ("" clears a detail, except the title)."""

    title: str
    kind: str = ""
    number: str = ""
    date: str = ""
    issuer: str = ""

    @classmethod
    def of(cls, doc: DocInfo) -> EditableInfo:
        return cls(doc.title, doc.kind, doc.number, doc.date, doc.issuer)

    def cleaned(self) -> EditableInfo:
        """One line each, NFC, within LIMITS, a real calendar date written d/m/yyyy; raises MetadataInvalid."""
        values = {}
        for name in EDITABLE:
            text = unicodedata.normalize("NFC", _CONTROL_RE.sub(" ", getattr(self, name)))
            text = " ".join(text.split())
            if len(text) > LIMITS[name]:
                raise MetadataInvalid(name, "too_long")
            values[name] = text
        if not values["title"]:
            raise MetadataInvalid("title", "required")
        if values["date"]:
            values["date"] = _checked_date(values["date"])
        return EditableInfo(**values)

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in EDITABLE}

    def applied_to(self, doc: DocInfo) -> DocInfo:
        return replace(doc, title=self.title, kind=self.kind, number=self.number, date=self.date, issuer=self.issuer)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> EditableInfo:
        """The details held in a version's history entry (or any mapping with these keys)."""
        return cls(**{name: str(values.get(name) or "") for name in EDITABLE})


def _checked_date(text: str) -> str:
    match = _DATE_RE.fullmatch(text)
    if match is None:
        raise MetadataInvalid("date", "bad_date")
    day, month, year = (int(g) for g in match.groups())
    try:
        date(year, month, day)
    except ValueError:
        raise MetadataInvalid("date", "bad_date") from None
    return f"{day:02d}/{month}/{year}"  # the letters' own style: "02/4/2019"


def edited(doc: DocInfo, wanted: EditableInfo) -> DocInfo:
    """`doc` with the admin's details; every detail that differs from the current one is recorded as an edit."""
    wanted = wanted.cleaned()
    edits = dict(doc.edits)
    for name, value in wanted.as_dict().items():
        if value != getattr(doc, name) or name in edits:
            edits[name] = value
    return replace(wanted.applied_to(doc), edits=edits)


def with_edits(parsed: DocInfo, edits: dict[str, str]) -> DocInfo:
    """A freshly parsed `parsed` with the recorded admin edits applied again."""
    kept = {name: edits[name] for name in EDITABLE if name in edits}
    details = EditableInfo(**{**EditableInfo.of(parsed).as_dict(), **kept})
    return replace(details.applied_to(parsed), edits=kept)


def next_version(previous: DocInfo, parsed: DocInfo, replaced_at: str) -> DocInfo:
    """The new version `parsed` of `previous`: its history grows by one entry, the admin's corrections carry over
    for the title and for every detail the new file leaves empty."""
    entry = {
        "version": previous.version,
        "replaced_at": replaced_at,
        "content_hash": previous.content_hash,
        "passages": previous.passages,
        **EditableInfo.of(previous).as_dict(),
    }
    edits = {name: previous.edits[name] for name in EDITABLE if name in previous.edits
             and (name in KEPT_ACROSS_VERSIONS or not getattr(parsed, name))}
    current = with_edits(parsed, edits)
    return replace(current, version=previous.version + 1, versions=(*previous.versions, entry))


def carried_history(previous: DocInfo, reparsed: DocInfo) -> DocInfo:
    """The same version parsed again from its stored copy: edits and history unchanged."""
    current = with_edits(reparsed, previous.edits)
    return replace(current, version=previous.version, versions=previous.versions)
