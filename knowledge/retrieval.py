"""Rank passages for a question with lexical and dense views, fused by reciprocal rank.

Views: BM25 over accented syllables (on the question, or on its restored form when typed without diacritics), BM25
over folded syllables, and e5 embeddings searched in FAISS at two grains — whole passages and single sentences (a
passage scores as its best sentence). Each view alone fails on some kind of question — BM25 on paraphrase, e5 on text
without diacritics — so the answer comes from their reciprocal-rank fusion. The lexical-only and dense-only systems
are kept beside it for evaluation. Before any view, one-letter typos are corrected against the documents' word pairs
(knowledge/spelling.py), and the notice paragraph every reference card opens with is never ranked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from knowledge.abbreviations import Abbreviations
from knowledge.answertype import AnswerTypes, Ask, question_years
from knowledge.collection import Collection
from knowledge.mentions import Hints, MentionDetector, boost
from knowledge.places import Places
from knowledge.spelling import SpellingFixer
from knowledge.terms import (
    STOPWORDS_ACCENTED,
    STOPWORDS_FOLDED,
    content_syllables,
    query_terms_accented,
    query_terms_folded,
)
from knowledge.thesaurus import Thesaurus
from knowledge.tuning import RetrievalTuning, Tuning
from nlp.protocols import TextEncoder
from nlp.text import fold, folded_syllables, has_diacritics, normalize, syllables

SYSTEMS = ("fused", "bm25", "dense")
CANDIDATES = 50  # passages taken from each view
LEXICAL_VIEWS = ("bm25_accented", "bm25_folded")
DENSE_VIEWS = ("dense_passage", "dense_sentence")
BACKGROUND_SAMPLE = 4096  # vectors sampled for the question's background cosine
# The fusion's numbers (RRF k, view weights, card prior, document/citation/kind boosts, thesaurus weight) are in
# knowledge/data/tuning.yml, re-derived by `danvan tune` (knowledge/tune.py); a RetrievalTuning carries them here.

@dataclass
class Query:
    """A question in the forms the views need."""

    text: str
    has_diacritics: bool
    accented: str  # normalised question, or its restored form when typed without diacritics
    accented_terms: list[str]
    folded_terms: list[str]
    # What is embedded: the question, or its restored form when typed without diacritics (e5 reads restored text
    # better: embedding the bare folded text instead loses 13 of 420 calibration and held-out questions).
    dense_text: str
    expansions: list[str] = field(default_factory=list)  # official wording for everyday phrases (thesaurus)
    expanded_syllables: list[tuple[frozenset[str], str]] = field(default_factory=list)  # phrase syllables -> wording
    answer_type: Ask | None = None  # the kind of fact asked for (a sum, a deadline, a person...), if any
    years: set[str] = field(default_factory=set)  # years the question names
    places: frozenset[tuple[str, ...]] = frozenset()  # provinces the question names (knowledge/places.py)
    accented_extra: list[str] = field(default_factory=list)
    folded_extra: list[str] = field(default_factory=list)


@dataclass
class Ranking:
    """Passages (rows) best first with the system's scores, and the evidence used to decide whether to answer."""

    rows: list[int]
    scores: list[float]
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class Views:
    """What the views saw of one question before any tuned number is applied: lexical scores of the question's own
    terms and of its thesaurus wording (kept apart, so the expansion weight can vary), dense cosines at both grains,
    and the documents and passage kinds the question names. `danvan tune` ranks these under many tunings."""

    query: Query
    vector: np.ndarray  # (1, dim)
    lex_accented: np.ndarray
    lex_accented_extra: np.ndarray | None
    lex_folded: np.ndarray
    lex_folded_extra: np.ndarray | None
    passage_cos: dict[int, float]
    sentence_cos: dict[int, float]
    hints: Hints


@dataclass
class Search:
    query: Query
    rankings: dict[str, Ranking]
    query_vector: np.ndarray  # (dim,)
    passage_cosine: dict[int, float]  # best cosine (passage or sentence grain) of the candidate passages


class Retriever:
    """Ranks passages of one Collection; read-only, so one instance serves every thread."""

    def __init__(
        self,
        collection: Collection,
        encoder: TextEncoder,
        thesaurus: Thesaurus | None = None,
        tuning: RetrievalTuning | None = None,
    ) -> None:
        self.collection = collection
        self.encoder = encoder
        self.thesaurus = thesaurus if thesaurus is not None else Thesaurus.load()
        self.tuning = tuning if tuning is not None else Tuning.load().retrieval
        self._summary = np.array([collection.doc_of(i).summary for i in range(len(collection))], dtype=bool)
        self._notice = card_notices(collection)
        self.mentions = MentionDetector(collection.docs)
        # The documents each passage names besides its own: a later decision replacing one, a card summarising it.
        self._cites = [frozenset(self.mentions.hints(p.text).docs) - {p.doc_id} for p in collection.passages]
        self.answer_types = AnswerTypes.load()
        self.abbreviations = Abbreviations.load()
        self.places = Places.load()
        self._doc_places: dict[str, set[tuple[str, ...]]] = {}  # provinces each document names anywhere
        for doc in collection.docs.values():
            self._doc_places[doc.doc_id] = set(self.places.named_in(f"{doc.title} {doc.issuer}"))
        for passage in collection.passages:
            self._doc_places[passage.doc_id] |= self.places.named_in(passage.text)
        # Question and function words, and every word of the documents or the sample questions, are never typos.
        protected = STOPWORDS_ACCENTED | STOPWORDS_FOLDED | {fold(w) for w in STOPWORDS_ACCENTED}
        known = collection.accents.unigrams
        self.typos = {True: SpellingFixer(collection.bm25_accented, protected, known),
                      False: SpellingFixer(collection.bm25_folded, protected, {fold(w) for w in known})}

    def analyse(self, question: str) -> Query:
        text = self._fix_typos(self._spelling(self.abbreviations.expand(" ".join(question.split()))))
        accented_input = has_diacritics(text)
        accented = normalize(text) if accented_input else self.collection.accents.restore(text)
        accented_terms = query_terms_accented(accented)
        folded_terms = query_terms_folded(text)
        tokens = syllables(text) if accented_input else folded_syllables(text)
        matches = self.thesaurus.matches(tokens, accented=accented_input)
        expansions = [means for _, means in matches]
        acc_extra = [t for e in expansions for t in query_terms_accented(e) if t not in accented_terms]
        fold_extra = [t for e in expansions for t in query_terms_folded(e) if t not in folded_terms]
        return Query(
            text=text,
            has_diacritics=accented_input,
            accented=accented,
            accented_terms=accented_terms,
            folded_terms=folded_terms,
            dense_text=text if accented_input else accented,
            expansions=expansions,
            accented_extra=list(dict.fromkeys(acc_extra)),
            folded_extra=list(dict.fromkeys(fold_extra)),
            expanded_syllables=matches,
            answer_type=self.answer_types.classify(text),
            years=question_years(text),
            places=self.places.named_in(text),
        )

    def _spelling(self, text: str) -> str:
        """Write a final i as y (or y as i) when only the other spelling is in the collection: "kí" and "ký", "lí do"
        and "lý do" are both correct Vietnamese, and people type either."""
        accented = has_diacritics(text)
        vocabulary = self.collection.bm25_accented if accented else self.collection.bm25_folded

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            variant = word[:-1] + _I_Y[word[-1]]
            key, other = (normalize(word), normalize(variant)) if accented else (fold(word), fold(variant))
            return variant if key not in vocabulary and other in vocabulary else word

        return _FINAL_I_Y_RE.sub(swap, text)

    def _fix_typos(self, text: str) -> str:
        """The question, normalised, with each one-letter typo replaced by the document word it most likely means
        (knowledge/spelling.py); unchanged when there is none."""
        accented = has_diacritics(text)
        normalized = normalize(text)
        words = list(_WORD_RE.finditer(normalized))
        tokens = [m.group(0) for m in words]
        fixed = self.typos[accented].fix(tokens if accented else [fold(t) for t in tokens])
        if not accented:
            fixed = [f if f != fold(t) else t for f, t in zip(fixed, tokens, strict=False)]
        if fixed == tokens:
            return text
        out, last = [], 0
        for match, word in zip(words, fixed, strict=False):
            out += [normalized[last:match.start()], word]
            last = match.end()
        return "".join(out) + normalized[last:]

    def gather(self, question: str) -> Views:
        """Encode and score `question` in every view; nothing tuned is applied yet (see `lexical_views`, `_fuse`)."""
        query = self.analyse(question)
        col = self.collection
        vector = self.encoder.encode_queries([query.dense_text])
        lex_acc = col.bm25_accented.scores(query.accented_terms)
        lex_fold = col.bm25_folded.scores(query.folded_terms)
        acc_extra = fold_extra = None
        if query.expansions:
            acc_extra = col.bm25_accented.scores(query.accented_extra)
            fold_extra = col.bm25_folded.scores(query.folded_extra)
        p_scores, p_rows = col.dense.search(vector, CANDIDATES)
        s_scores, s_rows = col.dense_sentences.search(vector, CANDIDATES * 4)
        passage_cos: dict[int, float] = {}
        for score, row in zip(p_scores[0], p_rows[0], strict=False):
            if row >= 0 and not self._notice[row]:
                passage_cos[int(row)] = float(score)
        sentence_cos: dict[int, float] = {}
        for score, srow in zip(s_scores[0], s_rows[0], strict=False):
            if srow >= 0:
                row = int(col.sentence_rows[srow])
                # results come best first: keep each passage's best sentence
                if row not in sentence_cos and not self._notice[row]:
                    sentence_cos[row] = float(score)
        return Views(query, vector, lex_acc, acc_extra, lex_fold, fold_extra, passage_cos, sentence_cos,
                     self.mentions.hints(query.text))

    def lexical_views(self, views: Views, tuning: RetrievalTuning) -> dict[str, list[int]]:
        """Top rows of both BM25 views, thesaurus wording weighted by the tuning; card notices never rank."""
        lex_acc, lex_fold = views.lex_accented, views.lex_folded
        if views.lex_accented_extra is not None and views.lex_folded_extra is not None:
            lex_acc = lex_acc + tuning.expansion_weight * views.lex_accented_extra
            lex_fold = lex_fold + tuning.expansion_weight * views.lex_folded_extra
        else:
            lex_acc, lex_fold = lex_acc.copy(), lex_fold.copy()
        lex_acc[self._notice] = 0.0
        lex_fold[self._notice] = 0.0
        return {"bm25_accented": _top(lex_acc, CANDIDATES), "bm25_folded": _top(lex_fold, CANDIDATES)}

    def fused_rows(
        self, views: Views, tuning: RetrievalTuning, lexical: dict[str, list[int]] | None = None
    ) -> list[int]:
        """The fused ranking of one gathered question under `tuning` (what `danvan tune` scores); `lexical` is
        `lexical_views(views, tuning)` when the caller has it already."""
        lexical = lexical if lexical is not None else self.lexical_views(views, tuning)
        lists = {**lexical, "dense_passage": list(views.passage_cos), "dense_sentence": list(views.sentence_cos)}
        return self._fuse(lists, tuning, views.hints).rows

    def search(self, question: str, top_k: int = 10, systems: tuple[str, ...] = SYSTEMS) -> Search:
        """Rank passages for `question` under the given systems (fused, bm25, dense) from one encoding of the
        question; evidence features are computed for those systems only."""
        col = self.collection
        if len(col) == 0:
            query = self.analyse(question)
            vector = self.encoder.encode_queries([query.dense_text])
            return Search(query, {s: Ranking([], []) for s in SYSTEMS}, vector[0], {})
        return self.search_views(self.gather(question), top_k, systems)

    def search_views(self, gathered: Views, top_k: int = 10, systems: tuple[str, ...] = SYSTEMS) -> Search:
        """`search` from an already gathered question (`danvan tune` gathers each question once)."""
        col = self.collection
        query, vector = gathered.query, gathered.vector
        passage_cos, sentence_cos = gathered.passage_cos, gathered.sentence_cos
        tuning = self.tuning
        views = {**self.lexical_views(gathered, tuning), "dense_passage": list(passage_cos),
                 "dense_sentence": list(sentence_cos)}
        dense_score = {r: passage_cos.get(r, 0.0) + sentence_cos.get(r, 0.0) for r in {*passage_cos, *sentence_cos}}
        best_cos = {r: max(passage_cos.get(r, -1.0), sentence_cos.get(r, -1.0)) for r in dense_score}
        dense_order = sorted(dense_score, key=lambda r: -dense_score[r])
        rankings = {
            "fused": self._fuse({k: views[k] for k in (*LEXICAL_VIEWS, *DENSE_VIEWS)}, tuning, gathered.hints),
            "bm25": self._fuse({k: views[k] for k in LEXICAL_VIEWS}, tuning),
            "dense": Ranking(dense_order, [dense_score[r] / 2 for r in dense_order]),
        }
        lexical_top = set(rankings["bm25"].rows[:3])
        dense_top = set(dense_order[:3])
        cos_sorted = sorted(best_cos.values(), reverse=True)
        shared = {
            "agree": len(lexical_top & dense_top) / 3.0,
            "cos_gap": cos_sorted[0] - cos_sorted[min(4, len(cos_sorted) - 1)] if cos_sorted else 0.0,
        }
        background = _background(col, vector[0])
        for name, ranking in rankings.items():
            ranking.rows = ranking.rows[:top_k]
            ranking.scores = ranking.scores[:top_k]
            if name in systems:
                feats = evidence_features(col, query, ranking.rows, best_cos)
                feats["cos_z"] = (feats["cos_top"] - background[0]) / background[1]
                ranking.features = {**feats, **shared, **self.fact_features(query, ranking.rows)}
        return Search(query, rankings, vector[0], best_cos)

    def fact_features(self, query: Query, rows: list[int]) -> dict[str, float]:
        """type_ok: 0 when the question asks for a kind of fact (a sum, a fine, a deadline, a contact, a person) that
        none of the top passages holds; year_ok: 0 when it names a year that none of them (nor their documents'
        dates) mentions; place_ok: 0 when it names a province that none of their documents mentions."""
        col = self.collection
        top = rows[:3]
        ask = query.answer_type
        type_ok = ask is None or any(
            self.answer_types.gives(ask, col.passages[r].text, col.passages[r].kind, col.termsets[r][1]) for r in top)
        year_ok = all(any(year in col.termsets[r][1] or year in col.doc_of(r).date for r in top)
                      for year in query.years)
        place_ok = all(any(place in self._doc_places.get(col.passages[r].doc_id, ()) for r in top)
                       for place in query.places)
        return {"type_ok": float(type_ok), "year_ok": float(year_ok), "place_ok": float(place_ok)}

    def _fuse(self, views: dict[str, list[int]], tuning: RetrievalTuning, hints: Hints | None = None) -> Ranking:
        """Reciprocal-rank fusion; reference cards are scaled down a little so official text wins ties, and the
        document the question names (and the part that answers "who signed / when / to whom") is scaled up."""
        scores: dict[int, float] = {}
        for name, rows in views.items():
            weight = tuning.view_weights[name]
            for rank, row in enumerate(rows):
                scores[row] = scores.get(row, 0.0) + weight / (tuning.rrf_k + rank + 1)
        passages = self.collection.passages
        for row in scores:
            if self._summary[row]:
                scores[row] *= tuning.summary_prior
            if hints is not None:
                scores[row] *= boost(hints, passages[row], tuning.doc_boost, tuning.kind_boost)
                if hints.docs and passages[row].doc_id not in hints.docs:
                    cited = max((hints.docs.get(d, 0.0) for d in self._cites[row]), default=0.0)
                    scores[row] *= 1.0 + tuning.cite_boost * cited
        ordered = sorted(scores.items(), key=lambda kv: -kv[1])
        return Ranking([r for r, _ in ordered], [s for _, s in ordered])


_WORD_RE = re.compile(r"\w+", re.UNICODE)
_I_Y = dict(zip("iíìỉĩịyýỳỷỹỵIÍÌỈĨỊYÝỲỶỸỴ", "yýỳỷỹỵiíìỉĩịYÝỲỶỸỴIÍÌỈĨỊ", strict=False))
_FINAL_I_Y_RE = re.compile(r"\b[bcdđghklmnpqrstvx]+[iíìỉĩịyýỳỷỹỵ]\b", re.I)  # consonants then a lone final i/y


@lru_cache(maxsize=65536)
def _fold(term: str) -> str:
    return fold(term)


def card_notices(col: Collection) -> np.ndarray:
    """Mask of the notice paragraphs of reference cards ("Bản tóm tắt do hệ thống biên soạn...").

    Every card opens with the same notice that it is a summary, not official text. It answers no question, yet it
    names the card's document and so ranks high whenever a question names that document, taking a top-3 place from
    the card's real content; the citation of a card says it is a summary anyway. A card passage is taken for that
    notice when its first sentence also opens a passage of another card.
    """
    firsts: dict[int, str] = {}
    docs: dict[str, set[str]] = {}
    for row in range(len(col)):
        passage = col.passages[row]
        if col.doc_of(row).summary and passage.sentences:
            firsts[row] = first = normalize(passage.sentences[0])
            docs.setdefault(first, set()).add(passage.doc_id)
    mask = np.zeros(len(col), dtype=bool)
    for row, first in firsts.items():
        mask[row] = len(docs[first]) >= 2
    return mask


def _background(col: Collection, vector: np.ndarray) -> tuple[float, float]:
    """Mean and spread of the question's cosine to every passage and sentence (a sample of them in a large
    collection). e5 gives every pair of texts a high cosine, higher for some questions than others; how far the best
    passage stands above this background says more than the raw cosine."""
    step = max(1, (len(col.vectors) + len(col.sentence_vectors)) // BACKGROUND_SAMPLE)
    cosines = np.concatenate([col.vectors[::step] @ vector, col.sentence_vectors[::step] @ vector])
    return float(cosines.mean()), float(cosines.std()) or 1.0


def _top(scores: np.ndarray, k: int) -> list[int]:
    """Rows with a positive score, best first."""
    candidates = np.flatnonzero(scores > 0)
    order = candidates[np.argsort(-scores[candidates], kind="stable")]
    return [int(i) for i in order[:k]]


def evidence_features(col: Collection, query: Query, rows: list[int], best_cos: dict[int, float]) -> dict[str, float]:
    """Signals that the top passages actually answer the question (inputs of the abstention model).

    - cos_top: best cosine (passage or sentence) of the first passage; cos_max: best cosine of any candidate
      (cos_z, set by the caller: cos_top in standard deviations above the question's background cosine).
    - cov_uni / cov_bi: share of the question's content syllables (IDF-weighted) / content bigrams found in the top-3
      passages — accented forms when the question has diacritics, folded forms otherwise. A syllable of an everyday
      phrase counts as found when the official wording the thesaurus gives for it is in those passages.
    - oov: share of content syllables that no passage of the collection uses.
    """
    feats: dict[str, float] = {
        "cos_top": best_cos.get(rows[0], 0.0) if rows else 0.0,
        "cos_max": max(best_cos.values()) if best_cos else 0.0,
    }
    # Accented questions are matched on accented terms, falling back to folded ones (a wrong or missing mark, as in
    # "kiễm tra", still finds "kiểm tra"); questions without diacritics on folded terms only.
    sides = (0, 1) if query.has_diacritics else (1,)
    stop = STOPWORDS_ACCENTED if query.has_diacritics else STOPWORDS_FOLDED
    tokens = syllables(query.text) if query.has_diacritics else folded_syllables(query.text)
    content = content_syllables(tokens, stop)
    pairs = [(a, b) for a, b in zip(tokens, tokens[1:], strict=False) if a not in stop and b not in stop]
    top_terms: list[set[str]] = [set(), set()]
    for row in rows[:3]:
        for side in sides:
            top_terms[side] |= col.termsets[row][side]
    bm25s = (col.bm25_accented, col.bm25_folded)

    def forms(term: str) -> list[tuple[int, str]]:
        return [(side, term if side == 0 or not query.has_diacritics else _fold(term)) for side in sides]

    def found(term: str) -> bool:
        return any(t in top_terms[side] for side, t in forms(term))

    def known(term: str) -> bool:
        return any(t in bm25s[side] for side, t in forms(term))

    explained: set[str] = set()  # everyday syllables whose official wording is in the top passages
    for phrase_syllables, means in query.expanded_syllables:
        side = sides[0]
        wording = content_syllables(syllables(means) if side == 0 else folded_syllables(means), stop)
        if wording and sum(w in top_terms[side] for w in wording) * 2 >= len(wording):
            explained |= phrase_syllables
    if content:
        unseen_idf = float(np.log(1.0 + len(col)))
        idf = np.array([next((bm25s[s].idf(t) for s, t in forms(term) if t in bm25s[s]), unseen_idf)
                        for term in content])
        hit = np.array([found(t) or t in explained for t in content], dtype=float)
        feats["cov_uni"] = float((idf * hit).sum() / idf.sum())
        feats["oov"] = float(np.mean([not known(t) and t not in explained for t in content]))
    else:
        feats["cov_uni"], feats["oov"] = 0.0, 1.0
    if pairs:
        feats["cov_bi"] = float(np.mean([found(f"{a}_{b}") or {a, b} <= explained for a, b in pairs]))
    else:
        feats["cov_bi"] = feats["cov_uni"]
    feats["n_content"] = float(len(content))
    return feats
