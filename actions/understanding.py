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
import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from nlp.text import fold, has_diacritics

DATA_FILE = Path(__file__).resolve().parent / "data" / "understanding.yml"
# Reading a turn looks at the start of a message only: every phrase list is about how a message opens or is short.
_MAX_CHARS = 2000
_WORD_RE = re.compile(r"[a-z0-9]+")
_PUNCT_RE = re.compile(r"[^\w\s]")
# The shape of a Vietnamese syllable once folded: an initial consonant, a vowel cluster, a permitted final.
_VIETNAMESE_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?$")


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

    @cached_property
    def _variants(self) -> dict[str, str]:
        """Spelling -> canonical word, from `word_variants` ("hk" -> "khong", "dc" -> "duoc")."""
        table: dict[str, str] = {}
        for canonical, spellings in (self.data.get("word_variants") or {}).items():
            for spelling in spellings or ():
                for word in _WORD_RE.findall(fold(str(spelling))):
                    table[word] = str(canonical)
        return table

    def canonical(self, words: list[str]) -> list[str]:
        """Each folded word in its canonical spelling, one for one, so that a phrase list naming "khong gui nua"
        also reads "hk gửi nữa" and "khum gửi nữa" without listing every spelling of "không"."""
        table = self._variants
        return [table.get(word, word) for word in words]

    def phrase(self, text: Any) -> str:
        """One phrase of a list as it is matched: folded, punctuation-free, canonical spellings."""
        return " ".join(self.canonical(_WORD_RE.findall(fold(str(text)))))

    def phrases(self, key: str) -> tuple[str, ...]:
        return tuple(self.phrase(p) for p in self.data.get(key) or ())

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
        self.words = self.lex.canonical(_WORD_RE.findall(fold(self.raw)))
        self.joined = f" {' '.join(self.words)} "
        self.accented = has_diacritics(self.raw)

    def has(self, key: str) -> bool:
        """Some phrase of the list occurs as whole words."""
        return any(f" {p} " in self.joined for p in self.lex.phrases(key) if p)

    def has_accented(self, key: str) -> bool:
        """Some phrase of an accented list occurs, for words that folding makes ambiguous ("dừng" / "đúng")."""
        if not self.accented:
            return False
        lowered = " " + " ".join(_PUNCT_RE.sub(" ", unicodedata.normalize("NFC", self.raw).lower()).split()) + " "
        return any(f" {unicodedata.normalize('NFC', str(p))} " in lowered for p in self.lex.data.get(key) or ())

    def starts_with(self, key: str) -> bool:
        return any(self.joined.startswith(f" {p} ") for p in self.lex.phrases(key) if p)

    def ends_with(self, key: str) -> bool:
        """The message ends with a phrase of the list, once trailing politeness words are set aside ("… có bão ko
        ad", "… được không ạ")."""
        polite = set(self.lex.phrases("trailing_politeness"))
        words = list(self.words)
        while len(words) > 1 and words[-1] in polite:
            words.pop()
        tail = f" {' '.join(words)} "
        return any(tail.endswith(f" {p} ") for p in self.lex.phrases(key) if p)

    @property
    def is_button(self) -> bool:
        stripped = self.raw.strip()
        return stripped.startswith("/") and " " not in stripped

    @property
    def negated(self) -> bool:
        return self.has("negations") or self.has_accented("negations_accented")

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
        # Central speech asks with "răng", "chi", "mô", "bô" ("răng phải đồng ý", "để làm chi"); those words are
        # other words once diacritics are gone ("rằng", "chị", "mở"), so they count only as typed with them.
        return self.has("question_words") or self.has_accented("question_words_accented")

    @property
    def asks_outright(self) -> bool:
        """A question in form, not only a question word inside a statement ("không ai làm gì cả")."""
        if "?" in self.raw or self.starts_with("question_openers"):
            return True
        return len(self.words) >= 3 and self.ends_with("question_endings")

    @property
    def asks_about_something(self) -> bool:
        """A question mid-form worth answering: asked outright, or about a document or the petition process."""
        return self.is_question and (self.asks_outright or self.names_document or self.process_topic() is not None)

    @property
    def cancels(self) -> bool:
        """"hủy", "thôi khỏi gửi, hủy giùm", "thôi khỏi, để khi nào rảnh tui gửi lại": stop the petition being
        written."""
        if len(self.words) > self.lex.number("cancel_long_max_words"):
            return False
        if self.puts_off:
            return True
        if len(self.words) <= self.lex.number("cancel_max_words"):
            return self.has("cancel_phrases") or " ".join(self.core_words()) in self.lex.phrases("no_file_whole")
        opening = Turn(" ".join(self.words[: int(self.lex.number("cancel_opening_words"))]), self.lex)
        return opening.has("cancel_phrases")

    @property
    def puts_off(self) -> bool:
        """"thôi, để bữa khác", "à mà thôi, để tui hỏi lại đã": a "thôi" that puts the sending off. At the phone step
        "thôi khỏi" alone would mean "no phone"; followed by a later time it means "not now" for the whole petition."""
        return self.starts_with("postpone_openers") and self.has("postpone_phrases")

    @property
    def corrects(self) -> bool:
        """"khoan, tôi ghi nhầm xã, phải là xã Long Thuận": an earlier answer was wrong. A statement, not a question,
        even when it opens with "khoan" (which also opens questions)."""
        if "?" in self.raw or len(self.words) > self.lex.number("correction_max_words"):
            return False
        return self.has("correction_phrases") or self.has_accented("correction_accented")

    @property
    def confirms(self) -> bool:
        """"gửi lun", "ok gửi đi" at the summary: send it."""
        short = len(self.words) <= self.lex.number("confirm_max_words")
        return short and self.has("confirm_phrases") and not self.negated and not self.asks_outright

    @property
    def skips_phone(self) -> bool:
        """"bỏ qua bước này", "khỏi nha" at the phone step: no phone."""
        if " ".join(self.core_words()) in self.lex.phrases("no_phone_whole"):
            return True
        return len(self.words) <= 8 and self.has("no_phone_phrases")

    @property
    def says_right_or_use(self) -> bool:
        """"đúng rồi", "dùng đi" typed with diacritics: folded they read "dừng" (stop), which they never mean."""
        return self.has_accented("right_or_use_accented") and not self.has_accented("stop_accented")

    def question_only(self) -> str:
        """The question without a leading "khoan đã, cho tôi hỏi": what the documents are asked."""
        openers = sorted(self.lex.phrases("question_openers"), key=len, reverse=True)
        folded_words = self.words
        raw_words = self.raw.split()
        for opener in openers:
            size = len(opener.split())
            for start in range(min(6, len(folded_words))):
                if " ".join(folded_words[start:start + size]) == opener and opener.startswith("cho"):
                    rest = " ".join(raw_words[start + size:]) if len(raw_words) == len(folded_words) else ""
                    return rest.strip(" ,:") or self.raw
        return self.raw

    @property
    def names_document(self) -> bool:
        return self.has("document_words")

    def process_topic(self) -> str | None:
        """"field", "consent" or "deadline" when the question is about the petition process itself; "field" (why
        the form asks for the commune or the phone) first, since "tại sao cần số điện thoại?" also names a consent
        word and deserves the reason for that one question, not the whole consent notice."""
        if self.asks_why_field() is not None:
            return "field"
        topics = self.lex.data.get("process_topics") or {}
        for topic, phrases in topics.items():
            if any(f" {self.lex.phrase(p)} " in self.joined for p in phrases):
                return str(topic)
        return None

    def asks_why_field(self) -> str | None:
        """"răng phải ghi xã chi rứa?", "tại sao cần số điện thoại?", "số điện thoại để làm chi vậy?": the field of
        the petition form (a key of `field_questions`) whose purpose a short question asks, else None. The field must
        follow a verb asking for it ("ghi xã", "cần số điện thoại") in a question holding a "why", or come before a
        "what for", so that "tại sao xã không sửa đường?" stays a question for the documents."""
        if len(self.words) > self.lex.number("field_question_max_words") or not self.is_question:
            return None
        purpose = [p for p in self.lex.phrases("field_question_purpose") if p]
        why = self.has("field_question_why") or self.has_accented("field_question_why_accented")
        accented_purpose = self.has_accented("field_question_purpose_accented")
        for field, spec in (self.lex.data.get("field_questions") or {}).items():
            names = [self.lex.phrase(n) for n in spec.get("names") or ()]
            verbs = [self.lex.phrase(v) for v in spec.get("verbs") or ()]
            if (why or accented_purpose or any(f" {p} " in self.joined for p in purpose)) and any(
                    f" {v} {n} " in self.joined for v in verbs for n in names):
                return str(field)
            for name in names:
                at = self.joined.find(f" {name} ")
                if at >= 0 and any(f" {p} " in self.joined[at + len(name) + 1:] for p in purpose):
                    return str(field)
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
    def asks_own_petitions(self) -> bool:
        """"hồ sơ của tôi", "tôi quên mã rồi", "chưa giải quyết gì hết": the citizen's own petitions and how far
        they are, listed without a code."""
        short = len(self.words) <= self.lex.number("status_max_words")
        if short and self.has("own_petitions_phrases") and not self.has("other_codes"):
            return True
        # A whole message complaining that nothing has been done, with no answer waiting for a rating (that is read
        # first): it is about the progress of what was filed, not a "no" to a question nobody asked.
        return " ".join(self.core_words()) in self.lex.phrases("progress_complaints_whole")

    @property
    def asks_status(self) -> bool:
        """"đơn tôi gửi tới đâu rồi": a short message about a filed petition and its progress."""
        short = len(self.words) <= self.lex.number("status_max_words")
        return short and self.has("status_objects") and self.has("status_words")

    # ---------------------------------------------------------------------------------------------- small talk
    @property
    def asks_about_bot(self) -> bool:
        """"bot này tên gì vậy?", "bạn là người hay máy": who is answering."""
        return len(self.words) <= 10 and self.has("bot_phrases")

    @property
    def asks_source(self) -> bool:
        """"xem nguyên văn": the full passage behind the last answer."""
        return len(self.words) <= 6 and self.has("source_phrases")

    @property
    def says_goodbye(self) -> bool:
        return len(self.words) <= 8 and self.has("goodbye_phrases")

    @property
    def asks_help(self) -> bool:
        return len(self.words) <= self.lex.number("help_max_words") and self.has("help_phrases")

    @property
    def is_english(self) -> bool:
        """Written in English: common English words, or words no Vietnamese syllable is shaped like."""
        if self.accented or len(self.words) < 3:
            return False
        english = set(self.lex.phrases("english_words"))
        words = [w for w in self.words if not w.isdigit()]
        if not words:
            return False
        common = sum(1 for w in words if w in english) / len(words)
        foreign = sum(1 for w in words if not _VIETNAMESE_SYLLABLE.match(w)) / len(words)
        return common >= self.lex.number("english_min_share") or (
            foreign >= self.lex.number("english_min_foreign") and common > 0)

    @property
    def flags_mistake(self) -> bool:
        """At the summary: "tôi ghi nhầm xã rồi", "sai số điện thoại" — something to correct, not a confirmation."""
        return self.has("edit_words")


# A place named after its unit word ("ở xã Tân Phú, số mình …"): up to four words, not across punctuation or digits.
_COMMUNE_MENTION = re.compile(r"(?<!\w)(xã|phường|xa|phuong)\s+([^\W\d_]+(?:[ \t]+[^\W\d_]+){0,3})", re.IGNORECASE)


def commune_mentions(text: str) -> list[tuple[str, str]]:
    """("xã", "Tân Phú"), … for each place named after "xã"/"phường" in a message, longest reading first (the words
    after the prefix, then each shorter run of them), for the commune directory to confirm or reject by exact name."""
    mentions: list[tuple[str, str]] = []
    for match in _COMMUNE_MENTION.finditer(unicodedata.normalize("NFC", text or "")[:_MAX_CHARS]):
        words = match.group(2).split()
        mentions.extend((match.group(1), " ".join(words[:size])) for size in range(len(words), 0, -1))
    return mentions


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
    if turn.has("consent_questions") and not turn.negated:  # "đồng ý rồi thì ai coi thông tin"
        return ConsentReading.QUESTION
    if turn.has("anonymous_phrases"):
        return ConsentReading.ANONYMOUS
    if (turn.has("no_file_phrases") or turn.has_accented("no_file_accented")
            or " ".join(turn.core_words()) in turn.lex.phrases("no_file_whole")):
        return ConsentReading.NO_FILE
    if turn.has("details_phrases") and len(turn.words) <= 6:
        return ConsentReading.DETAILS
    if turn.negated:
        return ConsentReading.REFUSE
    if turn.has("consent_hedges") and len(turn.words) <= turn.lex.number("consent_hedge_max_words"):
        return ConsentReading.UNCLEAR  # "có thể", "đồng ý một phần", "để xem": no clear yes
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


def read_draft_answer(text: str, lexicon: Lexicon | None = None) -> bool | None:
    """True to use the offered text as the matter, False to type another one, None when the reply is neither."""
    turn = Turn(text, lexicon)
    core = " ".join(turn.core_words()) or " ".join(turn.words)
    if turn.has("draft_reject") and not turn.has("draft_accept") or core in turn.lex.phrases("draft_reject"):
        return False
    accepts = turn.has("draft_accept") or turn.has_accented("draft_accept_accented")
    if core in turn.lex.phrases("draft_accept") or accepts:
        return not turn.negated
    return None


# ---------------------------------------------------------------------------------------------- rating an answer
_RATING_RESOLVED = "resolved"
_RATING_UNRESOLVED = "unresolved"
_RATING_NEUTRAL = "neutral"
_SCORE_TOKEN = re.compile(r"^([1-5])(?:d|diem|sao)?$")
_OUT_OF_FIVE = re.compile(r"\s*/\s*5\b")
_REASON_TRIM = " \t\n,.;:!-–—…"


@dataclass(frozen=True)
class RatingReading:
    """A reply to "did this answer resolve your matter?": the verdict, a 1–5 score and the reason, when given."""

    verdict: str  # resolved, unresolved, neutral (a middling score)
    score: int | None = None
    reason: str | None = None
    # Only words like "ok", "cảm ơn", "không" (`rating_bare_replies`): a verdict only as the reply to the notice
    # itself, since the same words thank for, or answer, anything else the bot says.
    bare: bool = False

    @property
    def needs_reason(self) -> bool:
        """"chưa giải quyết" with nothing more: ask why, once (a low score reopens without asking)."""
        return self.verdict == _RATING_UNRESOLVED and not self.reason and self.score is None


def read_rating(text: str, lexicon: Lexicon | None = None) -> RatingReading | None:
    """How a reply to the rating question reads; None when it is no rating (a question, a new matter, anything
    unclear). Asymmetric like consent: a reply holding any "not yet" word is never read as resolved."""
    turn = Turn(text, lexicon)
    if not turn.words or turn.is_button:
        return None
    score = _score(turn)
    if score is not None:
        lex = turn.lex
        if score >= lex.number("rating_resolved_min_score"):
            return RatingReading(_RATING_RESOLVED, score)
        if score <= lex.number("rating_unresolved_max_score"):
            return RatingReading(_RATING_UNRESOLVED, score)
        return RatingReading(_RATING_NEUTRAL, score)
    unresolved = _unresolved(turn)
    if unresolved is not None:
        if unresolved.reason is None and _only(turn, "rating_bare_replies"):
            return RatingReading(_RATING_UNRESOLVED, bare=True)
        return unresolved
    if turn.asks_outright or turn.is_question:
        return None
    if _resolved(turn):
        return RatingReading(_RATING_RESOLVED, bare=_only(turn, "rating_bare_replies"))
    return None


def _only(turn: Turn, key: str) -> bool:
    """The message, politeness words aside, is made of phrases of the list and nothing else."""
    joined = f" {' '.join(turn.core_words())} "
    for phrase in sorted(turn.lex.phrases(key), key=len, reverse=True):
        while phrase and f" {phrase} " in joined:
            joined = joined.replace(f" {phrase} ", " ", 1)
    return not joined.strip()


def _score(turn: Turn) -> int | None:
    """"5", "5 sao", "chấm 4 điểm", "4/5", "cho 2đ": a digit from 1 to 5 and nothing but score and filler words."""
    folded = _OUT_OF_FIVE.sub(" ", fold(turn.raw))
    words = turn.lex.canonical(_WORD_RE.findall(folded))
    filler = set(turn.lex.phrases("rating_score_words")) | set(turn.lex.phrases("politeness"))
    joined = f" {' '.join(words)} "
    for phrase in sorted(filler, key=len, reverse=True):
        if " " in phrase:
            joined = joined.replace(f" {phrase} ", " ")
    rest = [w for w in joined.split() if w not in filler]
    if len(rest) != 1:
        return None
    match = _SCORE_TOKEN.match(rest[0])
    return int(match.group(1)) if match else None


def _longest_opening(turn: Turn, key: str) -> str | None:
    found = [p for p in turn.lex.phrases(key) if p and turn.joined.startswith(f" {p} ")]
    return max(found, key=len) if found else None


def _unresolved(turn: Turn) -> RatingReading | None:
    """"chưa giải quyết, vì …", "chưa, đường vẫn ngập", "vẫn chưa ổn": not resolved, with what follows as the reason."""
    lex = turn.lex
    if len(turn.words) > lex.number("rating_unresolved_max_words"):
        return None
    opening = _longest_opening(turn, "rating_unresolved_phrases")
    inside = any(f" {p} " in turn.joined for p in lex.phrases("rating_unresolved_phrases") if len(p.split()) >= 2)
    if opening is None and not inside:
        return None
    if opening is None and turn.asks_outright:  # "sao vẫn chưa giải quyết?" asks; "đã giải quyết chưa?" too
        return None
    skip = len(opening.split()) if opening else 0
    reason = _reason_after(turn, skip)
    if opening is not None and skip == 1 and reason and not _set_apart(turn.raw):
        # "chưa, đường vẫn ngập" answers the question; "không có nước sạch ở ấp 3" is a new matter.
        return None
    return RatingReading(_RATING_UNRESOLVED, None, reason)


def _set_apart(raw: str) -> bool:
    """The first word is followed by punctuation: a one-word answer, then the rest ("chưa, …", "không. …")."""
    first = raw.strip().split(maxsplit=1)[0] if raw.strip() else ""
    return bool(first) and not first[-1].isalnum()


def _reason_after(turn: Turn, skip: int) -> str | None:
    """The citizen's own words after the first `skip` folded words, without a leading "vì", "do", "là"; None when
    what is left is too short to be a reason ("chưa ạ", "không, cảm ơn")."""
    lex = turn.lex
    openers = sorted(lex.phrases("rating_reason_openers"), key=len, reverse=True)
    words = turn.words[skip:]
    while words:
        for opener in openers:
            size = len(opener.split())
            if " ".join(words[:size]) == opener:
                skip += size
                words = words[size:]
                break
        else:
            break
    noise = set(lex.phrases("politeness")) | set(lex.phrases("rating_reason_openers")) | {"cam", "on", "thanks", "tks"}
    if len([w for w in words if w not in noise]) < lex.number("rating_reason_min_words"):
        return None
    tokens = re.findall(r"\S+", turn.raw)
    seen = 0
    for index, token in enumerate(tokens):
        count = len(_WORD_RE.findall(fold(token)))
        if seen + count > skip:  # a token holding the end of the skipped words too ("chưa,đường") is kept whole
            return " ".join(tokens[index:]).strip(_REASON_TRIM) or None
        seen += count
    return None


def _resolved(turn: Turn) -> bool:
    """"đã giải quyết", "rồi, xong rồi", "ok cảm ơn", "dc r": short, made of resolved and polite words only, and
    without a single "not yet" word."""
    lex = turn.lex
    if len(turn.words) > lex.number("rating_resolved_max_words"):
        return False
    if turn.has("rating_not_yet") or turn.negated:
        return False
    joined = turn.joined
    matched = False
    for phrase in sorted(lex.phrases("rating_resolved_phrases"), key=len, reverse=True):
        while phrase and f" {phrase} " in joined:
            joined = joined.replace(f" {phrase} ", " ", 1)
            matched = True
    polite = set(lex.phrases("politeness"))
    leftover = [w for w in joined.split() if w not in polite]
    return matched and len(leftover) <= 2
