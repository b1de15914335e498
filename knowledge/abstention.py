"""Decide whether the retrieved passages answer the question: a small logistic model over evidence scores.

No single score separates answerable from unanswerable questions: the top cosine of an off-topic question is often
as high as that of a real one, and a question about the letter that asks for a detail it does not give ("báo cáo
trước ngày nào?") matches the right document. So a question first passes gates — when it asks for a kind of fact
(a sum of money, a fine, a deadline, a phone number, a person) that none of the top passages holds, or names a year
none of them mentions, it is declined — and then the model combines the dense similarity (raw, and above the
question's background) with how much of the question's own wording (syllables and bigrams, everyday words counted
through the thesaurus) the top passages contain and whether the lexical and dense views agree. Its weights are fitted by
`danvan tune` (knowledge/tune.py, knowledge/calibrate.py) on the committed questions under the current retrieval
tuning, and stored per retrieval system in knowledge/data/abstention.json with the tuning file's hash.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "abstention.json"
FEATURES = ("cos_top", "cos_z", "cov_uni", "cov_bi", "agree")
# Hard conditions checked before the model: the question asks for a kind of fact (a sum, a fine, a deadline, a phone
# number, a person) that none of the top passages holds, names a year none of them mentions, or a province none of
# their documents mentions.
GATES = ("type_ok", "year_ok", "place_ok")


@dataclass(frozen=True)
class LogisticRule:
    """p(answerable) = sigmoid(intercept + coef · standardised features); answer when p >= threshold."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float = 0.5
    gates: tuple[str, ...] = ()  # features that must be 1 (true) before the model is asked

    def passes(self, feats: dict[str, float]) -> bool:
        return all(feats.get(gate, 1.0) >= 0.5 for gate in self.gates)

    def probability(self, feats: dict[str, float]) -> float:
        """p(answerable); 0 when a gate fails."""
        if not self.passes(feats):
            return 0.0
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef, strict=False):
            z += w * (feats.get(name, 0.0) - mu) / (sd or 1.0)
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def to_dict(self) -> dict[str, object]:
        return {"features": list(self.features), "mean": list(self.mean), "scale": list(self.scale),
                "coef": list(self.coef), "intercept": self.intercept, "threshold": self.threshold,
                "gates": list(self.gates)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LogisticRule:
        return cls(
            features=tuple(data["features"]),  # type: ignore[arg-type]
            mean=tuple(data["mean"]),  # type: ignore[arg-type]
            scale=tuple(data["scale"]),  # type: ignore[arg-type]
            coef=tuple(data["coef"]),  # type: ignore[arg-type]
            intercept=float(data["intercept"]),  # type: ignore[arg-type]
            threshold=float(data.get("threshold", 0.5)),  # type: ignore[arg-type]
            gates=tuple(data.get("gates", ())),  # type: ignore[arg-type]
        )


class Abstention:
    """One rule per retrieval system (the fused system and the single-view baselines are judged alike)."""

    def __init__(
        self, rules: dict[str, LogisticRule], meta: dict[str, object] | None = None, source: str = "in memory"
    ) -> None:
        """`meta["tuning"]` is the SHA-256 of the tuning file the rules were fitted under (knowledge/tuning.py)."""
        self.rules = rules
        self.meta = meta or {}
        self.source = source

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> Abstention:
        data = json.loads(path.read_text(encoding="utf-8"))
        rules = {k: LogisticRule.from_dict(v) for k, v in data["systems"].items()}
        return cls(rules, data.get("meta", {}), source=str(path))

    def to_json(self) -> str:
        data = {"meta": self.meta, "systems": {k: r.to_dict() for k, r in self.rules.items()}}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    def save(self, path: Path = DEFAULT_PATH) -> None:
        path.write_text(self.to_json(), encoding="utf-8")

    def probability(self, system: str, feats: dict[str, float]) -> float:
        return self.rules[system].probability(feats)

    def answers(self, system: str, feats: dict[str, float]) -> tuple[bool, float]:
        rule = self.rules[system]
        p = rule.probability(feats)
        return rule.passes(feats) and p >= rule.threshold, p
