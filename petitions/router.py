"""Route a petition to the agency that handles it, with a topic label and a confidence.

A logistic regression over lexical and dense views of the text, trained from the example petitions of the routing
table each time the table changes (a few seconds; the fitted model is cached by the table's hash and the model
name):
- character 2–5-grams and word 1–2-grams (TF-IDF) on the text folded to no diacritics, so "so do" and "sổ đỏ" look
  the same to it;
- the e5 embedding of the text, after guessing its diacritics when it has none (e5 reads unaccented Vietnamese
  badly).
Every example is learnt twice: as written, and folded then re-accented the way a citizen's unaccented message will
be. Two classifiers share those rows and differ only in how much the dense view weighs: text typed with diacritics
is embedded faithfully, so its classifier leans on the embedding; for text typed without them the guessed accents
are noisy, so its classifier leans on the folded n-grams (cross-validation: +1 point each way over one shared
weight). Below a confidence threshold, calibrated by cross-validation on the examples, the petition goes to the
triage queue instead of a guess.

"Typed with diacritics" means what a written example looks like, not "carries one mark": a message typed without
them often has a stray one from a phone's autocorrect or a half-remembered spelling ("lam lai can cươc vi bi mat
vi"). Read as accented, its embedding is that of broken Vietnamese and the classifier that trusts the embedding
most decides on it. So a text counts as accented only when at least as many of its syllables carry marks as in the
least-marked example of the table (derived at each fit; on the shipped table 1 in 4, while 99 % of its examples
have 6 in 10 or more); otherwise it is routed as unaccented, its stray marks dropped before accents are
guessed.
"""
from __future__ import annotations

import hashlib
import logging
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from knowledge.tuning import RouterTuning, Tuning
from nlp.files import write_atomically
from nlp.limits import MAX_ROUTE_CHARS
from nlp.protocols import TextEncoder
from nlp.text import fold, has_diacritics, normalize, restore_diacritics, syllables
from petitions.routing_table import RoutingTable

log = logging.getLogger(__name__)

FEATURE_VERSION = 7
# The dense view's weight against the two unit-norm lexical views (text typed with / without diacritics) and the
# classifiers' C are in knowledge/data/tuning.yml (section router); the cache key holds that file's SHA-256.
CV_FOLDS = 5
# The triage threshold is the highest one that costs at most this much cross-validated accuracy: a misrouted
# petition costs more than an operator's look at a doubtful one, so doubtful guesses go to a human when that is
# nearly free (on the shipped table: ~1% of petitions, four in five of them guessed wrong anyway).
TRIAGE_TOLERANCE = 0.005
CACHE_KEEP = 3  # fitted routers kept in the cache folder (older table versions are dropped)
UNCLEAR_TOPIC = "chưa xác định được cơ quan giải quyết"


@dataclass(frozen=True)
class Route:
    """A routing decision; `to_dict()` is the shape of `danvan route --json`."""

    agency: str
    agency_name: str
    confidence: float
    topic: str
    alternatives: tuple[tuple[str, float], ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "agency_name": self.agency_name,
            "confidence": round(float(self.confidence), 4),
            "topic": self.topic,
        }


@dataclass(frozen=True)
class TrainingReport:
    """What cross-validation on the table's own examples says about the router."""

    examples: int
    cv_accuracy: float  # examples as written
    cv_accuracy_folded: float  # the same examples typed without diacritics
    cv_accuracy_with_threshold: float  # both forms, after sending low-confidence ones to triage
    threshold: float
    seconds: float


def dense_view(text: str, accented: bool | None = None) -> str:
    """The text the embedding model sees: normalised, with diacritics guessed when the text was not typed with them
    (`accented`; by default: when it carries none)."""
    text = normalize(text)
    if accented is None:
        accented = has_diacritics(text)
    return text if accented else normalize(restore_diacritics(fold(text)))


def marked_share(text: str) -> float:
    """Share of the text's word syllables (those holding a letter) that carry a Vietnamese diacritic."""
    words = [w for w in syllables(text) if any(ch.isalpha() for ch in w)]
    return sum(has_diacritics(w) for w in words) / len(words) if words else 0.0


def least_marked_share(texts: Sequence[str]) -> float:
    """The lowest marked share among texts that carry any mark: how sparse marks get in text written with them."""
    shares = [share for share in map(marked_share, texts) if share > 0.0]
    return min(shares) if shares else 1.0


class _Features:
    """The lexical vectorisers plus the way views are stacked into one matrix."""

    def __init__(self, folded_texts: Sequence[str]) -> None:
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32)
        self.words = TfidfVectorizer(
            analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b", dtype=np.float32
        )
        self.chars.fit(folded_texts)
        self.words.fit(folded_texts)

    def lexical(self, folded_texts: Sequence[str]) -> csr_matrix:
        return hstack([self.chars.transform(folded_texts), self.words.transform(folded_texts)]).tocsr()

    def matrix(self, folded_texts: Sequence[str], embeddings: np.ndarray, weight: float) -> csr_matrix:
        return stack(self.lexical(folded_texts), embeddings, weight)


def stack(lexical: csr_matrix, embeddings: np.ndarray, weight: float) -> csr_matrix:
    return hstack([lexical, csr_matrix(embeddings * weight)]).tocsr()


@dataclass
class _Fitted:
    """Everything `route` needs, picklable for the cache."""

    features: _Features
    classifier_accented: LogisticRegression  # for text typed with diacritics
    classifier_unaccented: LogisticRegression  # for text typed without them
    threshold: float
    example_lexical: csr_matrix
    example_embeddings: np.ndarray
    example_topics: list[str]
    example_agencies: np.ndarray
    report: TrainingReport
    tuning: RouterTuning  # the weights the classifiers were fitted with, applied again when routing
    min_marked_share: float  # below this share of marked syllables a text is routed as typed without diacritics


class Router:
    """Agency classifier trained from the routing table."""

    def __init__(self, table: RoutingTable, encoder: TextEncoder, fitted: _Fitted) -> None:
        self.table = table
        self.encoder = encoder
        self._fitted = fitted

    @classmethod
    def load(
        cls,
        table_path: Path,
        encoder: TextEncoder,
        cache_dir: Path | None = None,
        *,
        cross_validate: bool = True,
        tuning: Tuning | None = None,
    ) -> Router:
        """Read the table and fit (or load the cached fit of) the classifier; `tuning` defaults to
        knowledge/data/tuning.yml."""
        table = RoutingTable.load(Path(table_path))
        return cls.from_table(table, encoder, cache_dir, cross_validate=cross_validate, tuning=tuning)

    @classmethod
    def from_table(
        cls,
        table: RoutingTable,
        encoder: TextEncoder,
        cache_dir: Path | None = None,
        *,
        cross_validate: bool = True,
        tuning: Tuning | None = None,
    ) -> Router:
        tuning = tuning if tuning is not None else Tuning.load()
        cache_file = _cache_file(cache_dir, table, encoder, tuning.digest) if cache_dir else None
        if cache_file is not None and cache_file.exists():
            try:
                with cache_file.open("rb") as fh:
                    fitted = pickle.load(fh)  # our own cache folder, written below
                if isinstance(fitted, _Fitted):
                    log.info("router loaded from cache %s", cache_file.name)
                    return cls(table, encoder, fitted)
            except Exception as exc:  # a stale or truncated cache is rebuilt, never fatal
                log.warning("ignoring unreadable router cache %s: %s", cache_file.name, exc)
        fitted = _fit(table, encoder, tuning.router, cross_validate=cross_validate)
        if cache_file is not None:
            _write_atomically(cache_file, fitted)
            _prune(cache_file.parent, keep=CACHE_KEEP)
        return cls(table, encoder, fitted)

    @property
    def threshold(self) -> float:
        return self._fitted.threshold

    @property
    def report(self) -> TrainingReport:
        return self._fitted.report

    def typed_with_diacritics(self, text: str) -> bool:
        """Whether the text is marked like the table's written examples (see the module's docstring)."""
        share = marked_share(text)
        return share > 0.0 and share >= self._fitted.min_marked_share

    def route(self, text: str) -> Route:
        return self.route_many([text])[0]

    def route_many(self, texts: Sequence[str]) -> list[Route]:
        """Route several texts with one batched embedding call."""
        if not texts:
            return []
        fitted = self._fitted
        texts = [(t or "")[:MAX_ROUTE_CHARS] for t in texts]  # bounded cost per message (nlp/limits.py)
        folded = [fold(t) for t in texts]
        accented = np.array([self.typed_with_diacritics(t) for t in texts], dtype=bool)
        embeddings = np.asarray(
            self.encoder.encode_queries([dense_view(t, bool(a)) for t, a in zip(texts, accented, strict=True)]),
            dtype=np.float32,
        )
        lexical = fitted.features.lexical(folded)
        classes = fitted.classifier_accented.classes_
        probabilities = np.zeros((len(texts), len(classes)))
        for mask, clf, weight in (
            (accented, fitted.classifier_accented, fitted.tuning.embedding_weight_accented),
            (~accented, fitted.classifier_unaccented, fitted.tuning.embedding_weight_unaccented),
        ):
            if mask.any():
                probabilities[mask] = clf.predict_proba(stack(lexical[mask], embeddings[mask], weight))
        routes = []
        for i, probs in enumerate(probabilities):
            order = np.argsort(-probs)
            best = str(classes[order[0]])
            confidence = float(probs[order[0]])
            alternatives = tuple((str(classes[j]), round(float(probs[j]), 4)) for j in order[:3])
            if confidence < fitted.threshold and best != self.table.fallback:
                routes.append(
                    Route(self.table.fallback, self.table.name_of(self.table.fallback), confidence, UNCLEAR_TOPIC,
                          alternatives)
                )
                continue
            topic = self._topic(best, lexical[i], embeddings[i])
            routes.append(Route(best, self.table.name_of(best), confidence, topic, alternatives))
        return routes

    def _topic(self, agency: str, lexical_row: csr_matrix, embedding: np.ndarray) -> str:
        """Topic of the most similar example of the chosen agency (lexical and dense similarity together)."""
        fitted = self._fitted
        mask = fitted.example_agencies == agency
        if not mask.any():
            return UNCLEAR_TOPIC
        lexical_sim = (fitted.example_lexical[mask] @ lexical_row.T).toarray().ravel() / 2.0  # two unit-norm views
        dense_sim = fitted.example_embeddings[mask] @ embedding
        best = int(np.argmax(lexical_sim + dense_sim))
        return np.asarray(fitted.example_topics, dtype=object)[mask][best]


def _cache_file(cache_dir: Path, table: RoutingTable, encoder: TextEncoder, tuning_digest: str) -> Path:
    """The fit's file, keyed by everything it depends on: table, model, features, sklearn, tuning file."""
    encoder_name = encoder.name
    key = "|".join([table.digest, encoder_name, str(FEATURE_VERSION), sklearn.__version__, tuning_digest])
    return Path(cache_dir) / f"router-{hashlib.sha256(key.encode()).hexdigest()[:20]}.pkl"


def _write_atomically(path: Path, fitted: _Fitted) -> None:
    write_atomically(path, pickle.dumps(fitted, protocol=pickle.HIGHEST_PROTOCOL), permissions=0o600)


def _prune(cache_dir: Path, keep: int) -> None:
    """Drop all but the `keep` most recently written fitted routers."""
    files = sorted(cache_dir.glob("router-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def _classifier(tuning: RouterTuning) -> LogisticRegression:
    return LogisticRegression(C=tuning.regularisation_c, max_iter=5000)


def _train_pair(
    features: _Features,
    folded: list[str],
    written: np.ndarray,
    unaccented: np.ndarray,
    labels: np.ndarray,
    tuning: RouterTuning,
) -> tuple[LogisticRegression, LogisticRegression]:
    """The two classifiers, each on both forms of every example."""
    lexical = features.lexical(folded)
    y = np.concatenate([labels, labels])
    pair = []
    for weight in (tuning.embedding_weight_accented, tuning.embedding_weight_unaccented):
        x = vstack([stack(lexical, written, weight), stack(lexical, unaccented, weight)])
        pair.append(_classifier(tuning).fit(x, y))
    return pair[0], pair[1]


def _fit(table: RoutingTable, encoder: TextEncoder, tuning: RouterTuning, *, cross_validate: bool) -> _Fitted:
    started = time.perf_counter()
    examples = table.examples()
    labels = np.array([ex.agency for ex in examples])
    folded = [fold(ex.text) for ex in examples]
    written = np.asarray(encoder.encode_queries([normalize(ex.text) for ex in examples]), dtype=np.float32)
    unaccented = np.asarray(encoder.encode_queries([dense_view(f) for f in folded]), dtype=np.float32)

    if cross_validate:
        threshold, accuracy, accuracy_folded, accuracy_thr = _cross_validate(
            folded, written, unaccented, labels, table.fallback, table.triage_threshold, tuning
        )
    else:
        threshold = table.triage_threshold or 0.0
        accuracy = accuracy_folded = accuracy_thr = float("nan")

    features = _Features(folded)
    classifier_accented, classifier_unaccented = _train_pair(features, folded, written, unaccented, labels, tuning)
    report = TrainingReport(
        examples=len(examples),
        cv_accuracy=accuracy,
        cv_accuracy_folded=accuracy_folded,
        cv_accuracy_with_threshold=accuracy_thr,
        threshold=threshold,
        seconds=round(time.perf_counter() - started, 2),
    )
    log.info(
        "router trained on %d examples in %.1fs (cv accuracy %.3f, unaccented %.3f, threshold %.2f)",
        report.examples, report.seconds, accuracy, accuracy_folded, threshold,
    )
    return _Fitted(
        features=features,
        classifier_accented=classifier_accented,
        classifier_unaccented=classifier_unaccented,
        threshold=threshold,
        example_lexical=features.lexical(folded),
        example_embeddings=written,
        example_topics=[ex.topic for ex in examples],
        example_agencies=labels,
        report=report,
        tuning=tuning,
        min_marked_share=least_marked_share([ex.text for ex in examples]),
    )


def _cross_validate(
    folded: list[str],
    written: np.ndarray,
    unaccented: np.ndarray,
    labels: np.ndarray,
    fallback: str,
    fixed_threshold: float | None,
    tuning: RouterTuning,
) -> tuple[float, float, float, float]:
    """Out-of-fold accuracy, and the triage threshold chosen on it (see TRIAGE_TOLERANCE)."""
    smallest_class = int(np.unique(labels, return_counts=True)[1].min())
    folds = StratifiedKFold(n_splits=max(2, min(CV_FOLDS, smallest_class)), shuffle=True, random_state=0)
    n = len(labels)
    classes: np.ndarray | None = None
    prob_written = np.zeros((n, len(np.unique(labels))), dtype=np.float64)
    prob_unaccented = np.zeros_like(prob_written)
    for train, test in folds.split(np.zeros(n), labels):
        train_folded = [folded[i] for i in train]
        features = _Features(train_folded)
        clf_accented, clf_unaccented = _train_pair(
            features, train_folded, written[train], unaccented[train], labels[train], tuning
        )
        classes = clf_accented.classes_
        test_folded = [folded[i] for i in test]
        prob_written[test] = clf_accented.predict_proba(
            features.matrix(test_folded, written[test], tuning.embedding_weight_accented)
        )
        prob_unaccented[test] = clf_unaccented.predict_proba(
            features.matrix(test_folded, unaccented[test], tuning.embedding_weight_unaccented)
        )
    assert classes is not None
    probs = np.vstack([prob_written, prob_unaccented])
    truth = np.concatenate([labels, labels])
    best = classes[probs.argmax(axis=1)]
    top = probs.max(axis=1)
    accuracy = float((classes[prob_written.argmax(1)] == labels).mean())
    accuracy_folded = float((classes[prob_unaccented.argmax(1)] == labels).mean())

    def with_threshold(t: float) -> float:
        decided = np.where((top < t) & (best != fallback), fallback, best)
        return float((decided == truth).mean())

    if fixed_threshold is not None:
        threshold = fixed_threshold
    else:
        candidates = np.round(np.arange(0.0, 0.61, 0.01), 2)
        scores = np.array([with_threshold(t) for t in candidates])
        threshold = float(candidates[scores >= scores.max() - TRIAGE_TOLERANCE].max())
    return threshold, accuracy, accuracy_folded, with_threshold(threshold)
