"""`danvan eval routing FILE`: accuracy, per-agency precision/recall and a confusion table, beside the keyword baseline.

FILE holds one JSON object per line with "text" and "agency" (the format of ../shared/eval/dev_routing.jsonl).
The scoring is plain functions over (truth, prediction) lists so tests and notebooks can reuse it.
"""
from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Sequence
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


def read_labelled(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if "text" not in row or "agency" not in row:
            raise ValueError(f"{path}:{number}: each line needs \"text\" and \"agency\"")
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


def run_routing_eval(args: Any, settings: Any) -> int:
    """Entry point of `danvan eval routing FILE` (args.file; optional args.json for machine-readable output)."""
    from nlp.embedding import load_encoder
    from nlp.model_build import ensure_model
    from petitions.baseline import KeywordRouter
    from petitions.router import Router

    path = Path(args.file)
    rows = read_labelled(path)
    model = settings.embedding_model or str(ensure_model(settings.model_dir))
    encoder = load_encoder(model, query_prefix=settings.query_prefix, passage_prefix=settings.passage_prefix)
    router = Router.load(settings.routing_table, encoder, cache_dir=settings.var_dir / "cache")
    model_score, base_score = evaluate(rows, router, KeywordRouter(router.table))
    if getattr(args, "json", False):
        print(json.dumps({"file": str(path), "examples": len(rows), "router": model_score.to_dict(),
                          "baseline": base_score.to_dict(),
                          "training": _finite(asdict(router.report))}, ensure_ascii=False))
    else:
        print(f"{path} ({len(rows)} petitions)\n")
        print(format_report(model_score, base_score, router.table.codes))
        report = router.report
        print(f"\ntraining table: {report.examples} examples; cross-validated accuracy {report.cv_accuracy:.3f} "
              f"(typed without diacritics {report.cv_accuracy_folded:.3f}); triage threshold {report.threshold:.2f}")
    return 0
