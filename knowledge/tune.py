"""Re-derive retrieval's tuned numbers from committed questions, cross-validated, and refit abstention under them.

`danvan tune` runs `tune`. The question pool is the project's committed questions only — knowledge/data/
calibration.jsonl, knowledge/data/own_qa.jsonl and ../shared/eval/dev_qa.jsonl — never a held-out set. Each question
is gathered once (encoded, scored by every view); a coordinate-wise grid search then ranks the pool under many
tunings without touching the encoder: each number in turn moves to a value of its grid that retrieves at least
MIN_GAIN more answerable questions in the top 3 than the numbers held, until a full pass changes nothing. The start
point, the grid and its order are fixed, so the same inputs give the same file.

Cross-validation: every question falls in one of FOLDS folds by a hash of its text; for each fold the search and the
abstention fit are redone on the other folds and the fold's questions are answered by the result. That figure, not
the fit on the whole pool, is what to expect of questions the numbers were not chosen on.
"""
from __future__ import annotations

import copy
import hashlib
import logging
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.abstention import Abstention, LogisticRule
from knowledge.calibrate import collect, fit_rule
from knowledge.collection import Collection
from knowledge.evaluation import (
    QAReport,
    eval_normalize,
    evaluate,
    fact_in_answer,
    is_hit,
    load_questions,
    merge_reports,
)
from knowledge.retrieval import SYSTEMS, Retriever, Views
from knowledge.store import corpus_hash
from knowledge.tuning import AnswerTuning, RetrievalTuning, Tuning, render, variant
from nlp.protocols import TextEncoder

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
FOLDS = 5
MAX_PASSES = 6
DIGITS = 4  # decimals of the abstention fit's numbers as written
TOP = 3  # a question is retrieved when an evidence passage is in the top 3 (the evaluation's hit@3)
# A number moves only when that retrieves at least this many more answerable questions of the ~270 it is fitted on:
# smaller gains are noise of the pool. Margins 0 to 4 compared by cross-validated hit@3 on the pool (2026-12-06):
# 0.959, 0.959, 0.962, 0.968, 0.968 — every margin below 3 fitted numbers that did worse on held-out folds.
MIN_GAIN = 3
# Start of the coordinate search: the values set by hand before the search existed (2026-11).
START = RetrievalTuning(
    rrf_k=5.0,
    view_weights={"bm25_accented": 2.0, "bm25_folded": 2.0, "dense_passage": 0.5, "dense_sentence": 1.0},
    summary_prior=0.7, doc_boost=0.3, cite_boost=0.15, kind_boost=0.3, expansion_weight=0.5,
)
# The quoted sentence's weights as set by hand (2026-11), and the grid of the one the tune re-derives: how far a
# reference card's sentence yields to official text. The others are kept (each was checked by hand, none by a tune).
ANSWER_START = AnswerTuning(overlap_weight=0.5, bigram_weight=0.3, rank_penalty=0.05, summary_penalty=0.15,
                            second_unit_margin=0.04)
ANSWER_GRID = (0.15, 0.3, 0.45)
# The grid of each number, searched one number at a time in this order. dense_sentence stays at 1: reciprocal-rank
# fusion followed by multiplicative boosts ranks the same when every view weight is scaled alike.
GRID: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("rrf_k", (2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 40.0)),
    ("bm25_accented", (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)),
    ("bm25_folded", (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)),
    ("dense_passage", (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)),
    ("summary_prior", (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)),
    ("doc_boost", (0.0, 0.15, 0.3, 0.5, 0.75, 1.0)),
    ("cite_boost", (0.0, 0.075, 0.15, 0.3, 0.5)),
    ("kind_boost", (0.0, 0.15, 0.3, 0.5, 0.75, 1.0)),
    ("expansion_weight", (0.25, 0.5, 0.75, 1.0)),
)


def question_files(project_root: Path) -> list[Path]:
    """The committed question files the numbers are derived from."""
    return [DATA_DIR / "calibration.jsonl", DATA_DIR / "own_qa.jsonl",
            project_root.parent / "shared" / "eval" / "dev_qa.jsonl"]


def load_pool(paths: Sequence[Path]) -> tuple[list[dict], dict[str, str]]:
    """Questions of every file (a question asked twice counts once, first file wins) and each file's SHA-256."""
    items: list[dict] = []
    seen: set[str] = set()
    hashes: dict[str, str] = {}
    for path in paths:
        hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        for item in load_questions(path):
            key = eval_normalize(item["question"])
            if key not in seen:
                seen.add(key)
                items.append({**item, "set": path.name})
    return items, hashes


def fold_of(question: str) -> int:
    """The fold of a question: a hash of its normalised text, so adding questions never moves the others."""
    return int(hashlib.sha256(eval_normalize(question).encode()).hexdigest()[:8], 16) % FOLDS


@dataclass
class Prepared:
    """The pool gathered once: each question's views and the passage rows that would make it a hit."""

    retriever: Retriever
    items: list[dict]
    views: list[Views]
    hits: list[frozenset[int]]  # empty for unanswerable questions
    folds: list[int]
    _lexical: dict[tuple[int, float], dict[str, list[int]]] = field(default_factory=dict)

    @classmethod
    def gather(cls, retriever: Retriever, items: list[dict]) -> Prepared:
        passages = retriever.collection.passages
        views, hits = [], []
        for item in items:
            views.append(retriever.gather(" ".join(item["question"].split())))
            rows = [r for r, p in enumerate(passages) if item.get("answerable", True) and is_hit(item, [p])]
            if item.get("answerable", True) and not rows:
                log.warning("no passage holds the evidence of %s: it can never count as retrieved",
                            item.get("id", item["question"]))
            hits.append(frozenset(rows))
        return cls(retriever, items, views, hits, [fold_of(i["question"]) for i in items])

    def answerable(self, idx: Sequence[int]) -> list[int]:
        return [i for i in idx if self.items[i].get("answerable", True)]

    def score(self, tuning: RetrievalTuning, idx: Sequence[int]) -> tuple[int, float]:
        """(answerable questions with an evidence passage in the top 3, sum of reciprocal ranks in the top 10)."""
        hits, rr = 0, 0.0
        for i in idx:
            key = (i, tuning.expansion_weight)
            lexical = self._lexical.get(key)
            if lexical is None:
                lexical = self._lexical[key] = self.retriever.lexical_views(self.views[i], tuning)
            rows = self.retriever.fused_rows(self.views[i], tuning, lexical)[:10]
            rank = next((n for n, r in enumerate(rows) if r in self.hits[i]), None)
            if rank is not None:
                hits += rank < TOP
                rr += 1.0 / (rank + 1)
        return hits, rr


def _set(tuning: RetrievalTuning, name: str, value: float) -> RetrievalTuning:
    if name in tuning.view_weights:
        return tuning.with_(view_weights={**tuning.view_weights, name: value})
    return tuning.with_(**{name: value})


def _get(tuning: RetrievalTuning, name: str) -> float:
    return tuning.view_weights[name] if name in tuning.view_weights else float(getattr(tuning, name))


def fit_retrieval(prepared: Prepared, idx: Sequence[int]) -> tuple[RetrievalTuning, tuple[int, float]]:
    """Coordinate-wise grid search from START on the answerable questions `idx` (see the module docstring)."""
    answerable = prepared.answerable(idx)
    best = START
    best_score = prepared.score(best, answerable)
    for _ in range(MAX_PASSES):
        changed = False
        for name, values in GRID:
            for value in values:
                if value == _get(best, name):
                    continue
                candidate = _set(best, name, value)
                score = prepared.score(candidate, answerable)
                gain = score[0] - best_score[0]
                if gain >= MIN_GAIN and (gain > 0 or score[1] > best_score[1] + 1e-9):
                    best, best_score, changed = candidate, score, True
        if not changed:
            break
    return best, best_score


def fit_abstention(prepared: Prepared, base: Tuning, retrieval: RetrievalTuning,
                   idx: Sequence[int]) -> tuple[Abstention, Tuning]:
    """The abstention rules fitted on questions `idx` ranked under `retrieval`, stamped with that tuning's digest."""
    tuning = variant(base, retrieval)
    retriever = copy.copy(prepared.retriever)
    retriever.tuning = retrieval
    items = [prepared.items[i] for i in idx]
    searches = [retriever.search_views(prepared.views[i]) for i in idx]
    data = collect(retriever, items, searches)
    rules: dict[str, LogisticRule] = {}
    meta: dict[str, object] = {"questions": sorted({i["set"] for i in items}), "tuning": tuning.digest}
    for system in SYSTEMS:
        x, y, _ = data[system]
        rule, stats = fit_rule(x, y, base.abstention)
        rules[system] = _rounded(rule)
        meta[system] = {k: round(v, DIGITS) if isinstance(v, float) else v for k, v in stats.items()}
    return Abstention(rules, meta), tuning


def _rounded(rule: LogisticRule) -> LogisticRule:
    """The rule with its numbers to DIGITS decimals: far below what changes a decision, and enough to keep the
    written file the same when the index's vectors differ in their last bits (built in other batches)."""
    def r(values: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(round(v, DIGITS) for v in values)

    return LogisticRule(rule.features, r(rule.mean), r(rule.scale), r(rule.coef), round(rule.intercept, DIGITS),
                        rule.threshold, rule.gates)


@dataclass
class FoldFit:
    fold: int
    tuning: Tuning
    abstention: Abstention
    test: list[int]


def cross_validated_fits(prepared: Prepared, base: Tuning, wanted: Callable[[int], bool] = lambda i: True
                         ) -> list[FoldFit]:
    """Per fold: retrieval numbers and abstention fitted on the other folds; `test` are the fold's questions that
    `wanted` selects."""
    fits = []
    for fold in range(FOLDS):
        train = [i for i, f in enumerate(prepared.folds) if f != fold]
        test = [i for i, f in enumerate(prepared.folds) if f == fold and wanted(i)]
        if not test:
            continue
        retrieval, _ = fit_retrieval(prepared, train)
        abstention, tuning = fit_abstention(prepared, base, retrieval, train)
        log.info("fold %d: %d questions to fit, %d to test", fold, len(train), len(test))
        fits.append(FoldFit(fold, tuning, abstention, test))
    return fits


def cross_validated_report(prepared: Prepared, base: Tuning, kb_factory: Callable[[Tuning, Abstention], object],
                           wanted: Callable[[int], bool] = lambda i: True) -> QAReport:
    """Each selected question answered by the knowledge base its fold's fit gives (answers composed in full)."""
    reports = []
    for fit in cross_validated_fits(prepared, base, wanted):
        kb = kb_factory(fit.tuning, fit.abstention)
        reports.append(evaluate(kb, [prepared.items[i] for i in fit.test]))
    return merge_reports(reports)


def retrieval_cv(prepared: Prepared, fits: list[FoldFit]) -> float:
    """Share of answerable test questions retrieved in the top 3 under their fold's numbers."""
    hits = total = 0
    for fit in fits:
        test = prepared.answerable(fit.test)
        hits += prepared.score(fit.tuning.retrieval, test)[0]
        total += len(test)
    return round(hits / total, 4) if total else 0.0


@dataclass
class TuneResult:
    tuning_text: str
    abstention_text: str
    fit_hit3: float
    start_hit3: float
    cv_hit3: float
    cv_report: QAReport


def tune(collection: Collection, encoder: TextEncoder, project_root: Path, base: Tuning,
         kb_factory: Callable[[Tuning, Abstention], object]) -> TuneResult:
    """Everything `danvan tune` writes, computed from the committed questions over `collection`."""
    paths = question_files(project_root)
    items, hashes = load_pool(paths)
    retriever = Retriever(collection, encoder, tuning=base.retrieval)
    prepared = Prepared.gather(retriever, items)
    everything = list(range(len(items)))
    answerable = prepared.answerable(everything)
    retrieval, (hits, _) = fit_retrieval(prepared, everything)
    start_hits = prepared.score(START, answerable)[0]
    fits = cross_validated_fits(prepared, base)
    cv_hit3 = retrieval_cv(prepared, fits)
    cv_report = merge_reports([evaluate(kb_factory(f.tuning, f.abstention), [items[i] for i in f.test])
                               for f in fits])
    fitted_on = {
        "questions": {name: digest for name, digest in hashes.items()},
        "documents": corpus_hash(list(collection.docs.values())),
        "model": str(getattr(encoder, "name", type(encoder).__name__)),
        "pool": {"questions": len(items), "answerable": len(answerable), "folds": FOLDS},
        "retrieval_hit@3": {"start": round(start_hits / len(answerable), 4), "fit": round(hits / len(answerable), 4),
                            "cross_validated": cv_hit3},
    }
    draft = Tuning.parse(render(retrieval, base.abstention, base.router, ANSWER_START).encode("utf-8"))
    draft_abstention, _ = fit_abstention(prepared, draft, retrieval, everything)

    def kb_for(weights: AnswerTuning) -> object:
        """A knowledge base under the draft numbers with other answer weights (which abstention does not read)."""
        tuning = variant(draft, retrieval, weights)
        stamped = Abstention(draft_abstention.rules, {**draft_abstention.meta, "tuning": tuning.digest})
        return kb_factory(tuning, stamped)

    answer, answer_figures = fit_answer(items, kb_for, ANSWER_START)
    fitted_on["fact_in_answer"] = answer_figures
    text = render(retrieval, base.abstention, base.router, answer, fitted_on)
    final = Tuning.parse(text.encode("utf-8"))
    abstention, _ = fit_abstention(prepared, final, retrieval, everything)
    abstention.meta["tuning"] = final.digest
    return TuneResult(text, abstention.to_json(), round(hits / len(answerable), 4),
                      round(start_hits / len(answerable), 4), cv_hit3, cv_report)


def fit_answer(items: list[dict], kb_for: Callable[[AnswerTuning], Any], start: AnswerTuning
               ) -> tuple[AnswerTuning, dict[str, float]]:
    """The card penalty of the quoted sentence, chosen on "fact in answer" over the answerable questions.

    Retrieval and abstention are fixed by then, so each candidate value only re-composes the replies. The value
    moves from `start` only when it states the fact for MIN_GAIN more questions (the same rule as retrieval), and
    the cross-validated figure chooses per fold on the other folds, as `danvan eval qa` would see it.
    """
    answerable = [i for i, item in enumerate(items) if item.get("answerable", True) and item.get("evidence")]
    facts: dict[float, set[int]] = {}
    for value in ANSWER_GRID:
        kb = kb_for(start.with_(summary_penalty=value))
        facts[value] = {i for i in answerable
                        if (a := kb.ask(items[i]["question"])).answered and fact_in_answer(items[i], a.answer)}

    def choose(idx: set[int]) -> float:
        best = start.summary_penalty
        for value in ANSWER_GRID:
            if len(facts[value] & idx) - len(facts[best] & idx) >= MIN_GAIN:
                best = value
        return best

    chosen = choose(set(answerable))
    cv_hits = 0
    for fold in range(FOLDS):
        test = {i for i in answerable if fold_of(items[i]["question"]) == fold}
        cv_hits += len(facts[choose(set(answerable) - test)] & test)
    total = len(answerable) or 1
    figures = {"start": round(len(facts[start.summary_penalty]) / total, 4),
               "fit": round(len(facts[chosen]) / total, 4), "cross_validated": round(cv_hits / total, 4)}
    return start.with_(summary_penalty=chosen), figures


def build_collection(index_dir: Path, encoder: TextEncoder, ann_threshold: int, files: Sequence[Path],
                     tuning_digest: str) -> Collection:
    """The shipped documents plus `files`, indexed under `index_dir` (a scratch folder: nothing is asked of the
    abstention fit here, so a tuning file edited by hand can still be re-derived)."""
    from knowledge.building import SHIPPED_DIR, assemble, sync
    from knowledge.ingest import prepare
    from knowledge.store import index_lock

    with index_lock(index_dir):
        collection = sync(index_dir, encoder, ann_threshold, SHIPPED_DIR, tuning_digest)
    prepared = [prepare(Path(p)) for p in files]
    wanted = {doc.doc_id for doc in prepared}
    # operator documents of a copied live index are not committed data: only the shipped ones and `files` stay
    dropped = {d.doc_id for d in collection.docs.values() if not d.shipped and d.doc_id not in wanted}
    new = [doc for doc in prepared
           if doc.doc_id not in collection.docs or collection.docs[doc.doc_id].content_hash != doc.content_hash]
    return assemble(collection, new, dropped, encoder, ann_threshold) if new or dropped else collection


def summary(report: QAReport, system: str = "fused") -> dict[str, float | None]:
    """The figures of one system: hit@3 (answered and retrieved), declined, fact in answer, median characters."""
    t = report.totals[system]
    return {"hit@3": t.hit_rate(), "declined": t.abstention(), "fact_in_answer": t.fact_rate(),
            "median_chars": float(statistics.median(t.lengths)) if t.lengths else None}
