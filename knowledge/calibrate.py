"""Fit the abstention model on committed questions; `danvan tune` (knowledge/tune.py) runs it under each tuning.

The questions (knowledge/data/calibration.jsonl, knowledge/data/own_qa.jsonl and ../shared/eval/dev_qa.jsonl) were
written for this purpose: answerable ones about the letter, the reference cards and the corpus documents (in every
form people type: with and without diacritics, with typos, colloquial), and unanswerable ones — off-topic, and
on-topic questions asking for details no document gives. For each retrieval system a logistic regression is fitted
on the evidence features of questions it retrieves correctly (label 1) and of unanswerable questions (label 0) that
pass the gates (abstention.GATES: questions asking for a kind of fact no top passage holds are declined before the
model, so they would only teach it what the gates already know). The threshold is the highest one that still answers
`target_answered` (knowledge/data/tuning.yml) of all the answerable questions it retrieves (those the gates decline
count as declined) on cross-validated probabilities: declining a question the documents do answer costs a citizen
more than an honest "not covered" that comes with an offer to file a petition.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from knowledge.abstention import FEATURES, GATES, LogisticRule
from knowledge.collection import Collection
from knowledge.evaluation import is_hit
from knowledge.retrieval import SYSTEMS, Search
from knowledge.tuning import AbstentionTuning

log = logging.getLogger(__name__)

CALIBRATION_PATH = Path(__file__).resolve().parent / "data" / "calibration.jsonl"


class Searcher(Protocol):
    """What calibration asks of a knowledge base or a bare Retriever: rank a question, read back its passages."""

    @property
    def collection(self) -> Collection: ...

    def search(self, question: str) -> Search: ...


def collect(
    kb: Searcher, questions: list[dict], searches: Sequence[Search] | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    """Per system: feature matrix (FEATURES then GATES), labels (1 = answerable and retrieved, 0 = unanswerable) and
    question ids. `searches`, when given, are the questions' searches already made (one per question)."""
    out: dict[str, tuple[list, list, list]] = {s: ([], [], []) for s in SYSTEMS}
    for n, item in enumerate(questions):
        search = searches[n] if searches is not None else kb.search(item["question"])
        for system in SYSTEMS:
            ranking = search.rankings[system]
            if item["answerable"]:
                passages = [kb.collection.passages[r] for r in ranking.rows[:3]]
                if not is_hit(item, passages):
                    continue  # a retrieval miss says nothing about when to abstain
                label = 1
            else:
                label = 0
            xs, ys, ids = out[system]
            xs.append([ranking.features.get(f, 0.0) for f in FEATURES] + [ranking.features.get(g, 1.0) for g in GATES])
            ys.append(label)
            ids.append(item.get("id", item["question"]))
    return {s: (np.array(x, dtype=float), np.array(y, dtype=int), ids) for s, (x, y, ids) in out.items()}


def fit_rule(
    x_all: np.ndarray, y_all: np.ndarray, policy: AbstentionTuning
) -> tuple[LogisticRule, dict[str, float]]:
    """Fit on the rows that pass the gates (the last len(GATES) columns of `x_all`); see the module docstring."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    passing = (x_all[:, len(FEATURES):] >= 0.5).all(axis=1)
    x, y = x_all[passing, :len(FEATURES)], y_all[passing]
    positives, negatives = int(y_all.sum()), int((y_all == 0).sum())
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    model = LogisticRegression(C=policy.regularisation, class_weight="balanced", max_iter=1000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    cv_p = cross_val_predict(model, z, y, cv=folds, method="predict_proba")[:, 1]
    wanted = policy.target_answered * positives
    candidates = [t for t in np.linspace(0.05, 0.8, 151) if (cv_p[y == 1] >= t).sum() >= wanted]
    best_t = float(max(candidates)) if candidates else 0.05
    model.fit(z, y)
    rule = LogisticRule(FEATURES, tuple(mean.tolist()), tuple(scale.tolist()), tuple(model.coef_[0].tolist()),
                        float(model.intercept_[0]), round(best_t, 4), GATES)
    stats = {
        "positives": positives,
        "negatives": negatives,
        "gated_positives": positives - int(y.sum()),
        "gated_negatives": negatives - int((y == 0).sum()),
        "cv_answered_positive": float((cv_p[y == 1] >= best_t).sum() / positives),
        "cv_declined_negative": float(((cv_p[y == 0] < best_t).sum() + negatives - (y == 0).sum()) / negatives),
    }
    return rule, stats
