"""What a citizen's turn means in its context: consent answers, questions mid-form, petitions, status requests.

Rasa's intent classifier reads one message without context and is trained on a few hundred examples; on the words
people really use ("tôi không đồng ý đưa thông tin", "à mà cho hỏi…", "tui muốn khiếu nại cái cô cán bộ…") it
guesses. Where a wrong guess costs the citizen something — consent recorded that was never given, a question
stored as the petition, a complaint declined as an unanswerable question — the actions read the turn here instead,
with explicit phrase lists from actions/data/understanding.yml, and ask one short question when the turn is
ambiguous. The rules are deliberately asymmetric: anything that is not a clear yes is not consent.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from nlp.text import fold, has_diacritics

DATA_FILE = Path(__file__).resolve().parent / "data" / "understanding.yml"
# Reading a turn looks at the start of a message only: every phrase list is about how a message opens or is short.
_MAX_CHARS = 2000
_WORD_RE = re.compile(r"[a-z0-9]+")
_PUNCT_RE = re.compile(r"[^\w\s]")


class ConsentReading(Enum):
    AGREE = "agree"  # a clear yes: consent given
    ANONYMOUS = "anonymous"  # file without personal data
    NO_FILE = "no_file"  # do not file; back to questions
    REFUSE = "refuse"  # a no that does not say which of the two above
    QUESTION = "question"  # a question (about consent, the process or the documents): answer, then ask again
    DETAILS = "details"  # show the full consent text
    UNCLEAR = "unclear"  # anything else: ask again


@dataclass(frozen=True)
class Lexicon:
    """The phrase lists of understanding.yml, folded once."""

    data: dict[str, Any]

    def phrases(self, key: str) -> tuple[str, ...]:
        return tuple(" ".join(_WORD_RE.findall(fold(str(p)))) for p in self.data.get(key) or ())

    def number(self, key: str) -> float:
        return float(self.data[key])


@lru_cache(maxsize=4)
def load_lexicon(path: Path = DATA_FILE) -> Lexicon:
    with open(path, encoding="utf-8") as handle:
        return Lexicon(yaml.safe_load(handle))


class Turn:
    """One message, folded and split once, with the phrase tests the readers share."""

    def __init__(self, text: str, lexicon: Lexicon | None = None) -> None:
        self.raw = (text or "")[:_MAX_CHARS]
        self.lex = lexicon or load_lexicon()
        self.words = _WORD_RE.findall(fold(self.raw))
        self.joined = f" {' '.join(self.words)} "
        self.accented = has_diacritics(self.raw)

    def has(self, key: str) -> bool:
        """Some phrase of the list occurs as whole words."""
        return any(f" {p} " in self.joined for p in self.lex.phrases(key) if p)

    def starts_with(self, key: str) -> bool:
        return any(self.joined.startswith(f" {p} ") for p in self.lex.phrases(key) if p)

    def ends_with(self, key: str) -> bool:
        return any(self.joined.endswith(f" {p} ") for p in self.lex.phrases(key) if p)

    @property
    def is_button(self) -> bool:
        stripped = self.raw.strip()
        return stripped.startswith("/") and " " not in stripped

    @property
    def negated(self) -> bool:
        if self.has("negations"):
            return True
        if self.accented:
            lowered = " " + _PUNCT_RE.sub(" ", self.raw.lower()) + " "
            return any(f" {w} " in lowered for w in self.lex.data.get("negations_accented") or ())
        return False

    def core_words(self) -> list[str]:
        """The words left once politeness words and fillers are removed ("dạ vâng ạ" -> ["vang"])."""
        polite = set(self.lex.phrases("politeness"))
        return [w for w in self.words if w not in polite]

    # ---------------------------------------------------------------------------------------------- questions
    @property
    def is_question(self) -> bool:
        """Asked as a question: a question mark, an opener ("cho hỏi"), a final particle, or a question word."""
        if not self.words:
            return False
        if "?" in self.raw:
            return True
        if self.starts_with("question_openers"):
            return True
        if len(self.words) >= 3 and self.ends_with("question_endings"):
            return True
        return self.has("question_words")

    @property
    def asks_outright(self) -> bool:
        """A question in form, not only a question word inside a statement ("không ai làm gì cả")."""
        if "?" in self.raw or self.starts_with("question_openers"):
            return True
        return len(self.words) >= 3 and self.ends_with("question_endings")

    @property
    def names_document(self) -> bool:
        return self.has("document_words")

    def process_topic(self) -> str | None:
        """"consent" or "deadline" when the question is about the petition process itself."""
        topics = self.lex.data.get("process_topics") or {}
        for topic, phrases in topics.items():
            if any(f" {' '.join(_WORD_RE.findall(fold(str(p))))} " in self.joined for p in phrases):
                return str(topic)
        return None

    # ---------------------------------------------------------------------------------------------- petitions
    @property
    def reads_as_petition(self) -> bool:
        """A message that opens a conversation by filing something rather than asking about the documents."""
        if not self.words or self.is_button:
            return False
        about_documents = self.names_document and self.is_question
        if self.has("petition_verbs") and not about_documents and (self.has("wish_words") or not self.is_question):
            return True
        # Naming a document without a petition verb is asking about it ("kết luận 43 là của bộ chính trị hay
        # ban bí thư" holds "bị thu", a grievance word, once diacritics are gone).
        if self.names_document or self.asks_outright:
            return False
        if len(self.words) >= self.lex.number("petition_min_words"):
            return True
        return self.has("grievance_words") and len(self.words) >= 8

    @property
    def asks_status(self) -> bool:
        return self.has("status_objects") and self.has("status_words")

    # ---------------------------------------------------------------------------------------------- small talk
    @property
    def asks_about_bot(self) -> bool:
        """"bot này tên gì vậy?", "bạn là người hay máy": who is answering."""
        return len(self.words) <= 10 and self.has("bot_phrases")

    @property
    def says_goodbye(self) -> bool:
        return len(self.words) <= 8 and self.has("goodbye_phrases")

    @property
    def asks_help(self) -> bool:
        return len(self.words) <= self.lex.number("help_max_words") and self.has("help_phrases")

    @property
    def is_english(self) -> bool:
        if self.accented or len(self.words) < 3:
            return False
        english = set(self.lex.phrases("english_words"))
        share = sum(1 for w in self.words if w in english) / len(self.words)
        return share >= self.lex.number("english_min_share")

    @property
    def flags_mistake(self) -> bool:
        """At the summary: "tôi ghi nhầm xã rồi", "sai số điện thoại" — something to correct, not a confirmation."""
        return self.has("edit_words")


def read_consent(text: str, lexicon: Lexicon | None = None) -> ConsentReading:
    """How an answer to the consent question reads. Only a clear, unnegated yes is AGREE."""
    turn = Turn(text, lexicon)
    stripped = turn.raw.strip()
    if turn.is_button:
        return {
            "/affirm": ConsentReading.AGREE,
            "/anonymous": ConsentReading.ANONYMOUS,
            "/stop": ConsentReading.NO_FILE,
            "/consent_details": ConsentReading.DETAILS,
        }.get(stripped, ConsentReading.UNCLEAR)
    if not turn.words:
        return ConsentReading.UNCLEAR
    # "nếu tôi không đồng ý thì sao?" asks; "đồng ý cái gì, tui hổng khai đâu" refuses, question word or not.
    if turn.asks_outright or (turn.is_question and not turn.negated):
        return ConsentReading.QUESTION
    if turn.has("anonymous_phrases"):
        return ConsentReading.ANONYMOUS
    if turn.has("no_file_phrases"):
        return ConsentReading.NO_FILE
    if turn.has("details_phrases") and len(turn.words) <= 6:
        return ConsentReading.DETAILS
    if turn.negated:
        return ConsentReading.REFUSE
    if _clear_yes(turn):
        return ConsentReading.AGREE
    return ConsentReading.UNCLEAR


def _clear_yes(turn: Turn) -> bool:
    core = turn.core_words()
    joined = f" {' '.join(core)} "
    strong = [p for p in turn.lex.phrases("agree_phrases") if p not in set(turn.lex.phrases("agree_short_only"))]
    if any(f" {p} " in joined for p in strong):
        return len(turn.words) <= 30
    short = set(turn.lex.phrases("agree_short_only"))
    return bool(core) and len(core) <= 3 and " ".join(core) in short | {f"{a} {b}" for a in short for b in short}
