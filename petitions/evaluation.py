"""`danvan eval routing FILE`: accuracy, per-agency precision/recall and a confusion table, beside the keyword baseline.

FILE holds one JSON object per line with "text" and "agency" (the format of ../shared/eval/dev_routing.jsonl).
The scoring is plain functions over (truth, prediction) lists so tests and notebooks can reuse it.
"""
from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgencyScore:
    agency: str
    support: int
    precision: float
    recall: float


@dataclass(frozen=True)
class RoutingScore:
    """Scores of one router on one labelled file."""

    name: str
    accuracy: float
    per_agency: tuple[AgencyScore, ...]
    confusion: dict[tuple[str, str], int]  # (truth, predicted) -> count
    by_form: dict[str, float]  # accuracy per lang_form, when the file gives it

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "accuracy": round(self.accuracy, 4),
            "per_agency": [a.__dict__ for a in self.per_agency],
            "by_form": {k: round(v, 4) for k, v in self.by_form.items()},
            "confusion": [{"truth": t, "predicted": p, "count": n} for (t, p), n in sorted(self.confusion.items())],
        }


def score(
    name: str, truth: Sequence[str], predicted: Sequence[str], forms: Sequence[str] | None = None
) -> RoutingScore:
    if len(truth) != len(predicted):
        raise ValueError("truth and predictions differ in length")
    total = len(truth)
    correct = sum(t == p for t, p in zip(truth, predicted, strict=False))
    labels = sorted(set(truth) | set(predicted))
    per_agency = []
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=False))
        predicted_n = sum(p == label for p in predicted)
        support = sum(t == label for t in truth)
        per_agency.append(
            AgencyScore(
                agency=label,
                support=support,
                precision=tp / predicted_n if predicted_n else 0.0,
                recall=tp / support if support else 0.0,
            )
        )
    by_form: dict[str, float] = {}
    if forms:
        for form in sorted(set(forms)):
            idx = [i for i, f in enumerate(forms) if f == form]
            by_form[form] = sum(truth[i] == predicted[i] for i in idx) / len(idx)
    return RoutingScore(
        name=name,
        accuracy=correct / total if total else 0.0,
        per_agency=tuple(per_agency),
        confusion=dict(Counter(zip(truth, predicted, strict=False))),
        by_form=by_form,
    )


class LabelledFileError(ValueError):
    """A file the evaluation cannot use; the message names the file and the line, for the command line to print."""


def _json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; anything else stops the evaluation at that line, because
    scoring a file with lines silently skipped would report figures on data the operator did not give."""
    try:
        content = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LabelledFileError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise LabelledFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise LabelledFileError(f"{path}:{number}: not valid JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise LabelledFileError(f"{path}:{number}: each line must be one JSON object")
        yield number, row


def _non_empty_strings(path: Path, number: int, row: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise LabelledFileError(f'{path}:{number}: each line needs "{key}" as a non-empty string')


def read_labelled(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, row in _json_objects(path):
        _non_empty_strings(path, number, row, "text", "agency")
        rows.append(row)
    return rows


def format_report(model: RoutingScore, baseline: RoutingScore, codes: Sequence[str]) -> str:
    """A plain-text report: headline figures, per-agency table, then the model's confusion table."""
    lines = [
        f"{'router':<22}{'accuracy':>10}",
        f"{model.name:<22}{model.accuracy:>10.3f}",
        f"{baseline.name:<22}{baseline.accuracy:>10.3f}",
    ]
    if model.by_form:
        lines.append("")
        forms = [
            f"{form} {model.by_form[form]:.3f} (baseline {baseline.by_form.get(form, 0.0):.3f})"
            for form in model.by_form
        ]
        lines.append("accuracy by form: " + ", ".join(forms))
    lines += ["", f"{'agency':<28}{'n':>4}{'P':>7}{'R':>7}{'P base':>8}{'R base':>8}"]
    base = {a.agency: a for a in baseline.per_agency}
    mine = {a.agency: a for a in model.per_agency}
    for code in codes:
        if code not in mine and code not in base:
            continue
        m = mine.get(code, AgencyScore(code, 0, 0.0, 0.0))
        b = base.get(code, AgencyScore(code, 0, 0.0, 0.0))
        lines.append(f"{code:<28}{m.support:>4}{m.precision:>7.2f}{m.recall:>7.2f}{b.precision:>8.2f}{b.recall:>8.2f}")
    present = [c for c in codes if any(c in pair for pair in model.confusion)]
    short = {c: c.replace("so-", "").replace("-tinh", "")[:10] for c in present}
    lines += ["", f"confusion ({model.name}; rows = truth, columns = predicted)"]
    lines.append(f"{'':<28}" + "".join(f"{short[c]:>11}" for c in present))
    for truth in present:
        lines.append(f"{truth:<28}" + "".join(f"{model.confusion.get((truth, p), 0):>11}" for p in present))
    return "\n".join(lines)


def evaluate(rows: list[dict[str, Any]], router: Any, baseline: Any) -> tuple[RoutingScore, RoutingScore]:
    texts = [r["text"] for r in rows]
    truth = [r["agency"] for r in rows]
    forms = [r.get("lang_form", "") for r in rows] if any("lang_form" in r for r in rows) else None
    model_pred = [route.agency for route in router.route_many(texts)]
    base_pred = [route.agency for route in baseline.route_many(texts)]
    return score("router", truth, model_pred, forms), score("keyword baseline", truth, base_pred, forms)


def _finite(values: dict[str, Any]) -> dict[str, Any]:
    """NaN (no cross-validation was run) is not JSON: report it as null."""
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in values.items()}


# ------------------------------------------------------------------------------------------ routing corrections
# How a petition was routed, against the operators' final agency: to it, to another agency, to the triage queue, or
# not known (an export line without the first agency).
OUTCOMES = ("correct", "wrong", "triage", "unknown")


@dataclass(frozen=True)
class Correction:
    """One line of the console's routing-corrections export (console/corrections.py)."""

    id: str
    text: str
    agency: str  # the agency operators finally gave it
    routed_to: str | None  # the agency it first went to (the router's choice, or the triage queue)
    reason: str


def read_corrections(path: Path) -> list[Correction]:
    """The export's lines, checked: a line that is not a correction names its number rather than being skipped."""
    rows = []
    for number, row in _json_objects(path):
        _non_empty_strings(path, number, row, "text", "agency")
        if "routed_to" not in row:
            raise LabelledFileError(
                f'{path}:{number}: no "routed_to": not a routing-corrections export (download it from '
                "/console/routing-corrections.jsonl; a labelled file goes to `danvan eval routing FILE`)")
        routed_to = row["routed_to"]
        if routed_to is not None and (not isinstance(routed_to, str) or not routed_to.strip()):
            raise LabelledFileError(f'{path}:{number}: "routed_to" must be an agency code or null')
        for key in ("id", "reason"):
            if row.get(key) is not None and not isinstance(row[key], str):
                raise LabelledFileError(f'{path}:{number}: "{key}" must be a string')
        rows.append(Correction(id=row.get("id") or f"line {number}", text=row["text"], agency=row["agency"],
                               routed_to=routed_to, reason=row.get("reason") or ""))
    return rows


def outcome(given: str | None, truth: str, triage: frozenset[str]) -> str:
    """One of OUTCOMES for an agency a petition was (or would be) sent to."""
    if given is None:
        return "unknown"
    if given == truth:
        return "correct"
    return "triage" if given in triage else "wrong"


@dataclass(frozen=True)
class CorrectionsScore:
    """The current router on petitions operators reassigned, beside where those petitions went when filed."""

    petitions: int
    at_filing: dict[str, int]  # outcome -> count, from the export's "routed_to"
    now: dict[str, int]  # outcome -> count, the current router
    fixed: int  # not correct at filing, correct now
    newly_wrong: int  # correct at filing, not now
    confusion: dict[tuple[str, str], list[str]]  # (current router's agency, corrected agency) -> ids, mistakes only
    filed: dict[tuple[str, str], list[str]]  # (first agency, corrected agency) -> ids: what operators changed
    unknown_agencies: dict[str, int]  # corrected agencies the routing table does not have: the router cannot learn
    rows: list[dict[str, Any]]

    @property
    def accuracy(self) -> float | None:
        return self.now["correct"] / self.petitions if self.petitions else None

    @property
    def still_wrong(self) -> int:
        return self.petitions - self.now["correct"]

    @property
    def wrong_at_filing(self) -> int:
        return self.at_filing["wrong"] + self.at_filing["triage"]

    def to_dict(self) -> dict[str, Any]:
        def pairs(found: dict[tuple[str, str], list[str]], first: str) -> list[dict[str, Any]]:
            return [{first: a, "corrected": b, "count": len(ids), "ids": ids}
                    for (a, b), ids in sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0]))]

        return {
            "petitions": self.petitions,
            "accuracy": None if self.accuracy is None else round(self.accuracy, 4),
            "router": self.now, "at_filing": self.at_filing,
            "still_wrong": self.still_wrong, "wrong_at_filing": self.wrong_at_filing,
            "fixed": self.fixed, "newly_wrong": self.newly_wrong,
            "confusion": pairs(self.confusion, "router"), "corrections_at_filing": pairs(self.filed, "routed_to"),
            "unknown_agencies": self.unknown_agencies, "rows": self.rows,
        }


def score_corrections(corrections: Sequence[Correction], routes: Sequence[Any], codes: Sequence[str],
                      triage: frozenset[str]) -> CorrectionsScore:
    """Compare each correction's final agency with where it went when filed and where `routes` (the current
    router's decisions, in the same order) would send it."""
    at_filing = dict.fromkeys(OUTCOMES, 0)
    now = dict.fromkeys(OUTCOMES[:3], 0)
    fixed = newly_wrong = 0
    confusion: dict[tuple[str, str], list[str]] = {}
    filed: dict[tuple[str, str], list[str]] = {}
    rows = []
    for item, route in zip(corrections, routes, strict=True):
        before, after = outcome(item.routed_to, item.agency, triage), outcome(route.agency, item.agency, triage)
        at_filing[before] += 1
        now[after] += 1
        fixed += before in ("wrong", "triage") and after == "correct"
        newly_wrong += before == "correct" and after != "correct"
        if after != "correct":
            confusion.setdefault((route.agency, item.agency), []).append(item.id)
        if item.routed_to is not None and before != "correct":
            filed.setdefault((item.routed_to, item.agency), []).append(item.id)
        rows.append({"id": item.id, "agency": item.agency, "routed_to": item.routed_to, "router": route.agency,
                     "confidence": round(float(route.confidence), 4), "at_filing": before, "now": after,
                     "reason": item.reason})
    known = set(codes)
    unknown = Counter(item.agency for item in corrections if item.agency not in known)
    return CorrectionsScore(petitions=len(corrections), at_filing=at_filing, now=now, fixed=fixed,
                            newly_wrong=newly_wrong, confusion=confusion, filed=filed,
                            unknown_agencies=dict(sorted(unknown.items())), rows=rows)


def format_corrections(result: CorrectionsScore, *, show_ids: int = 5) -> str:
    """A plain-text report for an operator: the headline, outcomes then and now, and the agency pairs."""
    n = result.petitions
    if not n:
        return "no corrected petitions in this file"
    lines = [
        f"current router: {result.now['correct']} of {n} routed to the operators' final agency "
        f"(accuracy {result.accuracy:.3f}); still wrong: {result.still_wrong}",
        f"at filing time: {result.wrong_at_filing} of {n} not routed to it"
        + (f" ({result.at_filing['unknown']} with no first agency in the file)" if result.at_filing["unknown"] else ""),
        f"fixed since filing: {result.fixed}; right at filing but wrong now: {result.newly_wrong}",
        "",
        f"{'':<24}{'correct':>9}{'wrong agency':>14}{'triage':>8}{'unknown':>9}",
        f"{'at filing (routed_to)':<24}" + "".join(
            f"{result.at_filing[k]:>{w}}" for k, w in zip(OUTCOMES, (9, 14, 8, 9), strict=True)),
        f"{'current router':<24}" + "".join(
            f"{result.now[k]:>{w}}" for k, w in zip(OUTCOMES[:3], (9, 14, 8), strict=True)) + f"{'-':>9}",
    ]

    def pairs(title: str, found: dict[tuple[str, str], list[str]]) -> None:
        lines.extend(["", title])
        if not found:
            lines.append("  none")
        for (a, b), ids in sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            shown = ", ".join(ids[:show_ids]) + (", …" if len(ids) > show_ids else "")
            lines.append(f"{len(ids):>5}  {a} → {b}  ({shown})")

    pairs("current router, not the final agency (router's choice → corrected agency)", result.confusion)
    pairs("corrections made (agency at filing → corrected agency)", result.filed)
    if result.unknown_agencies:
        listed = ", ".join(f"{code} ({count})" for code, count in result.unknown_agencies.items())
        lines += ["", f"corrected agencies the routing table does not have (the router cannot choose them): {listed}"]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ command line
def _load_router(settings: Any) -> Any:
    """The router the assistant serves: same table, tuning file and fit cache as danvan/services.py."""
    from knowledge.tuning import Tuning
    from nlp.embedding import load_encoder
    from nlp.model_build import ensure_model
    from petitions.router import Router

    model = settings.embedding_model or str(ensure_model(settings.model_dir))
    encoder = load_encoder(model, query_prefix=settings.query_prefix, passage_prefix=settings.passage_prefix)
    return Router.load(settings.routing_table, encoder, cache_dir=settings.cache_dir,
                       tuning=Tuning.load(settings.tuning_file))


def _training_line(report: Any) -> str:
    return (f"training table: {report.examples} examples; cross-validated accuracy {report.cv_accuracy:.3f} "
            f"(typed without diacritics {report.cv_accuracy_folded:.3f}); triage threshold {report.threshold:.2f}")


def run_routing_eval(args: Any, settings: Any) -> int:
    """Entry point of `danvan eval routing FILE` and `danvan eval routing --corrections FILE` (optional args.json
    for machine-readable output). The file is read and checked before the model loads, so a bad line fails fast."""
    if getattr(args, "corrections", None) is not None:
        return run_corrections_eval(Path(args.corrections), settings, as_json=bool(getattr(args, "json", False)))
    from petitions.baseline import KeywordRouter

    path = Path(args.file)
    rows = read_labelled(path)
    router = _load_router(settings)
    model_score, base_score = evaluate(rows, router, KeywordRouter(router.table))
    if getattr(args, "json", False):
        print(json.dumps({"file": str(path), "examples": len(rows), "router": model_score.to_dict(),
                          "baseline": base_score.to_dict(),
                          "training": _finite(asdict(router.report))}, ensure_ascii=False))
    else:
        print(f"{path} ({len(rows)} petitions)\n")
        print(format_report(model_score, base_score, router.table.codes))
        print("\n" + _training_line(router.report))
    return 0


def run_corrections_eval(path: Path, settings: Any, *, as_json: bool = False) -> int:
    """How the current router does on the petitions operators reassigned (the console's routing-corrections
    export): the figures that say whether retraining from them is worth it, and which agency pairs to look at."""
    corrections = read_corrections(path)
    if not corrections:  # an export from before any reassignment: nothing to score, no model to load
        result, training = score_corrections([], [], (), frozenset()), None
    else:
        router = _load_router(settings)
        triage = frozenset(code for code in (router.table.fallback, getattr(settings, "triage_agency", "")) if code)
        result = score_corrections(corrections, router.route_many([c.text for c in corrections]),
                                   router.table.codes, triage)
        training = router.report
    if as_json:
        print(json.dumps({"file": str(path), **result.to_dict(),
                          "training": None if training is None else _finite(asdict(training))}, ensure_ascii=False))
    else:
        print(f"{path} ({result.petitions} petitions reassigned by operators)\n")
        print(format_corrections(result))
        if training is not None:
            print("\n" + _training_line(training))
    return 0
