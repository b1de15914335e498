"""A keyword-only router: the yardstick the trained router must beat (`danvan eval routing` prints both).

Each agency's keywords from the routing table are counted in the text; the agency with the most matched syllables
wins. Keywords are matched with their diacritics when the text has diacritics (so "thi" the exam never matches
"thì"), and folded when the text was typed without them.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from nlp.text import fold, has_diacritics, normalize
from petitions.router import Route
from petitions.routing_table import RoutingTable


def _pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)")


class KeywordRouter:
    """Routes by counting the routing table's keywords."""

    def __init__(self, table: RoutingTable) -> None:
        self.table = table
        self._accented: list[tuple[str, re.Pattern[str], int]] = []
        self._folded: list[tuple[str, re.Pattern[str], int]] = []
        for agency in table.agencies:
            for keyword in agency.keywords:
                weight = len(normalize(keyword).split())
                self._accented.append((agency.code, _pattern(normalize(keyword)), weight))
                self._folded.append((agency.code, _pattern(fold(keyword)), weight))

    def scores(self, text: str) -> dict[str, int]:
        if has_diacritics(text):
            haystack, patterns = normalize(text), self._accented
        else:
            haystack, patterns = fold(text), self._folded
        scores: dict[str, int] = {}
        for code, pattern, weight in patterns:
            hits = len(pattern.findall(haystack))
            if hits:
                scores[code] = scores.get(code, 0) + hits * weight
        return scores

    def route(self, text: str) -> Route:
        scores = self.scores(text or "")
        if not scores:
            fallback = self.table.fallback
            return Route(fallback, self.table.name_of(fallback), 0.0, "không khớp từ khóa nào")
        order = {code: i for i, code in enumerate(self.table.codes)}
        best = max(scores, key=lambda code: (scores[code], -order[code]))
        confidence = scores[best] / sum(scores.values())
        return Route(best, self.table.name_of(best), confidence, "theo từ khóa")

    def route_many(self, texts: Sequence[str]) -> list[Route]:
        return [self.route(t) for t in texts]
