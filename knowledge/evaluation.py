"""Score question sets in the format of ../shared/eval/dev_qa.jsonl, for the fused system and both baselines.

Rules (from the evaluation README): passage texts and evidence are compared after Unicode NFC, case folding and
whitespace collapsing. An answerable question is a hit when the system answers and one evidence phrase occurs in one
of its top-3 passages; an unanswerable question is correct when the system declines. Calibration questions may name
a target instead of evidence ({"target": [doc id prefix, section prefix]}) so that no corpus text is copied.
"""
from __future__ import annotations

import json
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.models import Passage, Source
from knowledge.retrieval import SYSTEMS

LANG_FORMS = ("diacritics", "no_diacritics", "typo", "colloquial")


def eval_normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def load_questions(path: Path) -> list[dict]:
    items = []
    with Path(path).open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                item = json.loads(line)
                if "question" not in item:
                    raise ValueError(f"{path}:{n}: no 'question' field")
                item.setdefault("answerable", True)
                item.setdefault("lang_form", "diacritics")
                items.append(item)
    return items


def is_hit(item: dict, passages: Sequence[Passage | Source]) -> bool:
    """Does one of `passages` (the top 3) hold an evidence phrase, or belong to the target section?"""
    texts = [eval_normalize(p.text) for p in passages]
    for phrase in item.get("evidence") or []:
        needle = eval_normalize(phrase)
        if any(needle in t for t in texts):
            return True
    target = item.get("target")
    if target:
        doc_prefix, section_prefix = target
        for p in passages:
            doc = p.doc_id if isinstance(p, Passage) else p.doc
            if doc.startswith(doc_prefix) and p.section.startswith(section_prefix):
                return True
    return False


def fact_in_answer(item: dict, answer_text: str) -> bool:
    """Does the reply itself (not only a source behind it) hold an evidence phrase?"""
    text = eval_normalize(answer_text)
    return any(eval_normalize(phrase) in text for phrase in item.get("evidence") or [])


@dataclass
class Tally:
    hits: int = 0
    answerable: int = 0
    declined: int = 0
    unanswerable: int = 0
    facts: int = 0  # answered, and an evidence phrase is in the reply's text
    with_evidence: int = 0  # answerable questions that give evidence phrases (calibration ones may give a target)
    lengths: list[int] = field(default_factory=list)  # characters of each answered reply

    def hit_rate(self) -> float | None:
        return self.hits / self.answerable if self.answerable else None

    def fact_rate(self) -> float | None:
        return self.facts / self.with_evidence if self.with_evidence else None

    def median_length(self) -> float | None:
        return float(statistics.median(self.lengths)) if self.lengths else None

    def abstention(self) -> float | None:
        return self.declined / self.unanswerable if self.unanswerable else None


@dataclass
class QAReport:
    """Totals per system and per lang_form, and the ids of the questions each system got wrong."""

    totals: dict[str, Tally] = field(default_factory=dict)
    by_form: dict[str, dict[str, Tally]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        def tally(t: Tally) -> dict[str, object]:
            return {"hit@3": t.hit_rate(), "answerable": t.answerable, "abstention": t.abstention(),
                    "unanswerable": t.unanswerable, "fact_in_answer": t.fact_rate(),
                    "median_answer_chars": t.median_length()}

        return {
            s: {"all": tally(self.totals[s]), **{f: tally(t) for f, t in self.by_form[s].items()},
                "failures": self.failures[s]}
            for s in self.totals
        }


def evaluate(kb: object, items: Iterable[dict], systems: Sequence[str] = SYSTEMS) -> QAReport:
    report = QAReport(
        totals={s: Tally() for s in systems},
        by_form={s: {} for s in systems},
        failures={s: [] for s in systems},
    )
    for item in items:
        answers = kb.ask_systems(item["question"], systems)  # type: ignore[attr-defined]
        form = item.get("lang_form", "diacritics")
        for system in systems:
            answer = answers[system]
            totals = report.totals[system]
            per_form = report.by_form[system].setdefault(form, Tally())
            if item.get("answerable", True):
                ok = answer.answered and is_hit(item, answer.sources[:3])
                has_evidence = bool(item.get("evidence"))
                fact = has_evidence and answer.answered and fact_in_answer(item, answer.answer)
                for t in (totals, per_form):
                    t.answerable += 1
                    t.hits += ok
                    t.with_evidence += has_evidence
                    t.facts += fact
                    if answer.answered:
                        t.lengths.append(len(answer.answer))
            else:
                ok = not answer.answered
                for t in (totals, per_form):
                    t.unanswerable += 1
                    t.declined += ok
            if not ok:
                report.failures[system].append(str(item.get("id", item["question"])))
    return report


def merge_reports(reports: Sequence[QAReport]) -> QAReport:
    """One report over the questions of several (the folds of a cross-validation)."""
    merged = QAReport()

    def add(into: Tally, t: Tally) -> None:
        into.hits += t.hits
        into.answerable += t.answerable
        into.declined += t.declined
        into.unanswerable += t.unanswerable
        into.facts += t.facts
        into.with_evidence += t.with_evidence
        into.lengths.extend(t.lengths)

    for report in reports:
        for system, total in report.totals.items():
            add(merged.totals.setdefault(system, Tally()), total)
            for form, tally in report.by_form[system].items():
                add(merged.by_form.setdefault(system, {}).setdefault(form, Tally()), tally)
            merged.failures.setdefault(system, []).extend(report.failures[system])
    for system in merged.totals:
        merged.by_form.setdefault(system, {})
        merged.failures[system].sort()
    return merged


def format_report(report: QAReport) -> str:
    """A plain table: one block per system, hit@3 and abstention accuracy overall and per lang_form."""

    def pct(value: float | None, n: int) -> str:
        return "   n/a      " if value is None else f"{value:6.3f} ({n:3d})"

    forms = [f for f in LANG_FORMS if any(f in report.by_form[s] for s in report.by_form)]
    forms += sorted({f for s in report.by_form for f in report.by_form[s]} - set(forms))
    def chars(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0f}"

    lines = [f"{'system':8} {'lang_form':14} {'hit@3 (n)':>13} {'abstention (n)':>15} {'fact in answer':>15} "
             f"{'median chars':>12}"]
    for system, total in report.totals.items():
        rows = [("all", total)] + [(f, report.by_form[system][f]) for f in forms if f in report.by_form[system]]
        for form, t in rows:
            lines.append(f"{system:8} {form:14} {pct(t.hit_rate(), t.answerable):>13} "
                         f"{pct(t.abstention(), t.unanswerable):>15} {pct(t.fact_rate(), t.with_evidence):>15} "
                         f"{chars(t.median_length()):>12}")
        lines.append("")
    for system, failed in report.failures.items():
        if failed:
            lines.append(f"{system} misses: {', '.join(failed)}")
    return "\n".join(lines).rstrip() + "\n"
