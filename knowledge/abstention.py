"""Decide whether the retrieved passages answer the question: a small logistic model over evidence scores.

No single score separates answerable from unanswerable questions: the top cosine of an off-topic question is often
as high as that of a real one, and a question about the letter that asks for a detail it does not give ("báo cáo
trước ngày nào?") matches the right document. The model combines the dense similarity with how much of the
question's own wording (syllables and bigrams) the top passages contain. Its weights are fitted by
`python -m knowledge.calibrate` on questions written for calibration (knowledge/data/calibration.jsonl), never on
the evaluation sets, and stored per retrieval system in knowledge/data/abstention.json.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "abstention.json"
FEATURES = ("cos_top", "cos_max", "cov_uni", "cov_bi", "oov", "agree", "type_ok")


@dataclass(frozen=True)
class LogisticRule:
    """p(answerable) = sigmoid(intercept + coef · standardised features); answer when p >= threshold."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float = 0.5

    def probability(self, feats: dict[str, float]) -> float:
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef):
            z += w * (feats.get(name, 0.0) - mu) / (sd or 1.0)
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def to_dict(self) -> dict[str, object]:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LogisticRule:
        return cls(
            features=tuple(data["features"]),  # type: ignore[arg-type]
            mean=tuple(data["mean"]),  # type: ignore[arg-type]
            scale=tuple(data["scale"]),  # type: ignore[arg-type]
            coef=tuple(data["coef"]),  # type: ignore[arg-type]
            intercept=float(data["intercept"]),  # type: ignore[arg-type]
            threshold=float(data.get("threshold", 0.5)),  # type: ignore[arg-type]
        )


class Abstention:
    """One rule per retrieval system (the fused system and the single-view baselines are judged alike)."""

    def __init__(self, rules: dict[str, LogisticRule], meta: dict[str, object] | None = None) -> None:
        self.rules = rules
        self.meta = meta or {}

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Abstention:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls({k: LogisticRule.from_dict(v) for k, v in data["systems"].items()}, data.get("meta", {}))

    def save(self, path: Path = DEFAULT_PATH) -> None:
        data = {"meta": self.meta, "systems": {k: r.to_dict() for k, r in self.rules.items()}}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def probability(self, system: str, feats: dict[str, float]) -> float:
        return self.rules[system].probability(feats)

    def answers(self, system: str, feats: dict[str, float]) -> tuple[bool, float]:
        p = self.probability(system, feats)
        return p >= self.rules[system].threshold, p
