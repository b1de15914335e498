"""The tuned numbers of retrieval, abstention and the petition router, read from knowledge/data/tuning.yml.

Every number that was chosen by measuring lives in that one file, and `danvan tune` (knowledge/tune.py) re-derives
it from committed questions only, cross-validated. The file's SHA-256 is stamped into what was fitted under it
(the abstention fit, the index manifest, the router's cache key), so that a hand-edited tuning file never silently
runs with an abstention model fitted for other rankings: `check_abstention` refuses that pairing at start-up.

Nothing is read at import: callers load one `Tuning` and pass it (or its parts) down.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from knowledge.errors import KnowledgeError

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "tuning.yml"
VIEWS = ("bm25_accented", "bm25_folded", "dense_passage", "dense_sentence")
TUNE_COMMAND = "danvan tune"


class TuningError(KnowledgeError):
    """The tuning file is missing, malformed, or does not match what was fitted under it."""


@dataclass(frozen=True)
class RetrievalTuning:
    """Numbers of the reciprocal-rank fusion (knowledge/retrieval.py)."""

    rrf_k: float
    view_weights: dict[str, float]
    summary_prior: float
    doc_boost: float
    cite_boost: float
    kind_boost: float
    expansion_weight: float

    def with_(self, **changes: Any) -> RetrievalTuning:
        return replace(self, **changes)


@dataclass(frozen=True)
class AbstentionTuning:
    """Policy of the abstention fit (knowledge/calibrate.py)."""

    regularisation: float
    target_answered: float


@dataclass(frozen=True)
class AnswerTuning:
    """Weights of the sentence a reply quotes (knowledge/answering.py, `_quote_answer`)."""

    overlap_weight: float
    bigram_weight: float
    rank_penalty: float
    summary_penalty: float
    second_unit_margin: float

    def with_(self, **changes: Any) -> AnswerTuning:
        return replace(self, **changes)


@dataclass(frozen=True)
class RouterTuning:
    """Numbers of the petition router (petitions/router.py)."""

    embedding_weight_accented: float
    embedding_weight_unaccented: float
    regularisation_c: float


@dataclass(frozen=True)
class Tuning:
    """The whole file: its parts, its digest, and what it was fitted on (input file hashes, figures)."""

    retrieval: RetrievalTuning
    abstention: AbstentionTuning
    router: RouterTuning
    answer: AnswerTuning
    digest: str  # sha256 of the file's bytes, hex
    path: Path | None = None
    fitted_on: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Tuning:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise TuningError(f"cannot read the tuning file {path}: {exc}; run `{TUNE_COMMAND}` to write it") from exc
        return cls.parse(raw, path)

    @classmethod
    def parse(cls, raw: bytes, path: Path | None = None) -> Tuning:
        import yaml

        where = str(path or "tuning text")
        try:
            data = yaml.safe_load(raw.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise TuningError(f"{where} is not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise TuningError(f"{where}: expected a mapping with sections retrieval, abstention, router, answer")
        retrieval = _section(data, "retrieval", where)
        weights = retrieval.get("view_weights")
        if not isinstance(weights, dict) or set(weights) != set(VIEWS):
            raise TuningError(f"{where}: retrieval.view_weights must give exactly {', '.join(VIEWS)}")
        retrieval = {**retrieval, "view_weights": {v: float(weights[v]) for v in VIEWS}}
        return cls(
            retrieval=_build(RetrievalTuning, retrieval, "retrieval", where),
            abstention=_build(AbstentionTuning, _section(data, "abstention", where), "abstention", where),
            router=_build(RouterTuning, _section(data, "router", where), "router", where),
            answer=_build(AnswerTuning, _section(data, "answer", where), "answer", where),
            digest=hashlib.sha256(raw).hexdigest(),
            path=Path(path) if path else None,
            fitted_on=dict(data.get("fitted_on") or {}),
        )

    @property
    def short(self) -> str:
        """The first 12 hex digits of the digest, for messages and file names."""
        return self.digest[:12]


def render(retrieval: RetrievalTuning, abstention: AbstentionTuning, router: RouterTuning, answer: AnswerTuning,
           fitted_on: dict[str, Any] | None = None) -> str:
    """The tuning file's text: every number with a one-line comment on what it does and what derives it.

    Deterministic (fixed order, fixed number format), so re-running `danvan tune` on the same inputs writes the same
    bytes and the same digest."""
    r, a, q = retrieval, abstention, router
    w = r.view_weights
    lines = [
        "# Tuned numbers of retrieval, abstention and the petition router: data with a recipe (STYLE.md 15).",
        f"# Written by `{TUNE_COMMAND}` (knowledge/tune.py) from committed questions only; do not edit by hand:",
        "# the abstention fit, the index manifest and the router cache are stamped with this file's SHA-256, and the",
        "# app refuses an abstention fit made under another version of it.",
        "retrieval:",
        f"  rrf_k: {_fmt(r.rrf_k)}  # reciprocal-rank fusion constant: small lets each view's first ranks dominate;"
        " grid search in knowledge/tune.py",
        "  view_weights:  # weight of each view's vote in the fusion (dense_sentence fixed at 1: fusion is"
        " scale-free); grid search in knowledge/tune.py",
        f"    bm25_accented: {_fmt(w['bm25_accented'])}  # BM25 over accented syllables (restored when typed without)",
        f"    bm25_folded: {_fmt(w['bm25_folded'])}  # BM25 over syllables folded to no diacritics",
        f"    dense_passage: {_fmt(w['dense_passage'])}  # e5 cosine of whole passages",
        f"    dense_sentence: {_fmt(w['dense_sentence'])}  # e5 cosine of a passage's best sentence (reference weight)",
        f"  summary_prior: {_fmt(r.summary_prior)}  # factor on reference-card passages so official text wins ties;"
        " grid search in knowledge/tune.py",
        f"  doc_boost: {_fmt(r.doc_boost)}  # score x (1 + this) for passages of the document the question names;"
        " grid search in knowledge/tune.py",
        f"  cite_boost: {_fmt(r.cite_boost)}  # score x (1 + this) for passages of another document naming that one;"
        " grid search in knowledge/tune.py",
        f"  kind_boost: {_fmt(r.kind_boost)}  # + this for header/signature/addressee passages on who/when/to whom"
        " questions; grid search in knowledge/tune.py",
        f"  expansion_weight: {_fmt(r.expansion_weight)}  # BM25 weight of thesaurus wording against the asker's own"
        " words; grid search in knowledge/tune.py",
        "abstention:  # policy, kept by the tune; the model itself is refitted into knowledge/data/abstention.json",
        f"  regularisation: {_fmt(a.regularisation)}  # C of the logistic abstention model (knowledge/calibrate.py)",
        f"  target_answered: {_fmt(a.target_answered)}  # share of retrieved answerable questions the threshold must"
        " still answer, on cross-validated probabilities (knowledge/calibrate.py)",
        "# Router numbers: compared by hand on the 5-fold CV petitions/router.py reports for the routing table;",
        f"# `{TUNE_COMMAND}` keeps them as they are (it re-derives retrieval only).",
        "router:",
        f"  embedding_weight_accented: {_fmt(q.embedding_weight_accented)}  # weight of the e5 view against the two"
        " lexical views, text typed with diacritics",
        f"  embedding_weight_unaccented: {_fmt(q.embedding_weight_unaccented)}  # the same for text typed without"
        " diacritics (guessed accents are noisy)",
        f"  regularisation_c: {_fmt(q.regularisation_c)}  # C of the router's logistic regressions",
        "# The sentence a reply quotes: score = its cosine + overlap + bigram - rank and card penalties.",
        "answer:",
        f"  overlap_weight: {_fmt(answer.overlap_weight)}  # weight of the question's words (idf-weighted) a sentence"
        " holds; kept by the tune",
        f"  bigram_weight: {_fmt(answer.bigram_weight)}  # weight of the question's word pairs a sentence holds;"
        " kept by the tune",
        f"  rank_penalty: {_fmt(answer.rank_penalty)}  # a sentence of the second passage must beat one of the first"
        " by this; kept by the tune",
        f"  summary_penalty: {_fmt(answer.summary_penalty)}  # a reference card's sentence yields to official text"
        " that matches as well; grid search on fact in answer in knowledge/tune.py",
        f"  second_unit_margin: {_fmt(answer.second_unit_margin)}  # a second sentence is quoted only when it scores"
        " within this of the best; kept by the tune",
    ]
    if fitted_on:
        import yaml

        lines.append("# What the numbers above were derived from (SHA-256 of each input) and the figures it gave.")
        body = yaml.safe_dump({"fitted_on": fitted_on}, allow_unicode=True, sort_keys=True, width=118)
        lines.extend(body.rstrip("\n").split("\n"))
    return "\n".join(lines) + "\n"


def variant(base: Tuning, retrieval: RetrievalTuning, answer: AnswerTuning | None = None) -> Tuning:
    """`base` with other retrieval (or answer) numbers, as `danvan tune` would write them (digest included)."""
    text = render(retrieval, base.abstention, base.router, answer or base.answer, base.fitted_on)
    return Tuning.parse(text.encode("utf-8"))


def _fmt(value: float) -> str:
    return repr(round(float(value), 6))


def check_abstention(tuning: Tuning, fitted_under: object, abstention_path: object) -> None:
    """Refuse an abstention fit made under another tuning file: its thresholds were set on other rankings."""
    if fitted_under != tuning.digest:
        stamp = str(fitted_under)[:12] if fitted_under else "no tuning stamp"
        raise TuningError(
            f"the abstention fit {abstention_path} was made under tuning {stamp}, but {tuning.path or 'the tuning'} "
            f"is {tuning.short}: run `{TUNE_COMMAND}` to re-derive both from the committed questions "
            "(or restore the committed tuning file)"
        )


def _section(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    section = data.get(name)
    if not isinstance(section, dict):
        raise TuningError(f"{where}: section {name!r} is missing")
    return section


def _build(kind: type, section: dict[str, Any], name: str, where: str) -> Any:
    values: dict[str, Any] = {}
    for f in fields(kind):
        if f.name not in section:
            raise TuningError(f"{where}: {name}.{f.name} is missing")
        value = section[f.name]
        values[f.name] = value if isinstance(value, dict) else _number(value, f"{name}.{f.name}", where)
    return kind(**values)


def _number(value: object, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TuningError(f"{where}: {key} must be a number, not {value!r}")
    return float(value)
