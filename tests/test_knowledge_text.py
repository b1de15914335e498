"""Vietnamese text handling in retrieval: tone-mark variants, folding, restoring diacritics, bigrams, thesaurus."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.accents import AccentModel
from knowledge.bm25 import BM25
from knowledge.evaluation import eval_normalize
from knowledge.readers import read_document
from knowledge.spelling import SpellingFixer
from knowledge.terms import STOPWORDS_ACCENTED, passage_terms, query_terms_accented, query_terms_folded
from knowledge.thesaurus import Thesaurus

LETTER = Path(__file__).resolve().parents[1] / "knowledge" / "documents" / "cong-van-608-UBND-NCPC-2019.txt"


@pytest.fixture(scope="module")
def accents() -> AccentModel:
    return AccentModel.build([read_document(LETTER).text])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("phong trao dan van kheo", "phong trào dân vận khéo"),
        ("quy che dan chu o co so", "quy chế dân chủ ở cơ sở"),
        ("cac so ban nganh tinh", "các sở ban ngành tỉnh"),
        ("nguoi dung dau", "người đứng đầu"),
    ],
)
def test_restores_diacritics_with_the_documents_vocabulary(accents: AccentModel, typed: str, expected: str) -> None:
    assert accents.restore(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("so hieu bao nhieu", "số hiệu bao nhiêu"),  # the letter has "nhiều", never "bao nhiêu"
        ("nghi quyet 25 noi ve van de gi", "nghị quyết 25 nói về vấn đề gì"),  # "nội" (nội dung) without questions
    ],
)
def test_restoration_knows_how_questions_are_worded(accents: AccentModel, typed: str, expected: str) -> None:
    assert accents.restore(typed) == expected


def test_saved_accent_model_holds_the_documents_counts_only(accents: AccentModel) -> None:
    saved = AccentModel.from_dict(accents.to_dict())
    assert "nói" not in accents.to_dict()["unigrams"]  # a question word, not the letter's
    assert saved.restore("noi ve van de gi") == accents.restore("noi ve van de gi") == "nói về vấn đề gì"
    corpus_only = AccentModel(accents.corpus_unigrams, accents.corpus_bigrams, questions=False)
    assert corpus_only.restore("noi ve van de gi") != "nói về vấn đề gì"


@pytest.fixture(scope="module")
def typos(accents: AccentModel) -> SpellingFixer:
    paragraphs = [p for p in read_document(LETTER).text.split("\n") if p.strip()]
    return SpellingFixer(BM25.fit([passage_terms(p)[0] for p in paragraphs]), STOPWORDS_ACCENTED, accents.unigrams)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hệ thống chín trị", "hệ thống chính trị"),  # a letter dropped
        ("cán bộ thiêu gương mẫu", "cán bộ thiếu gương mẫu"),  # a mark dropped
        ("mị dân kíck động dân", "mị dân kích động dân"),  # a letter added
    ],
)
def test_one_letter_typos_become_the_documents_words(typos: SpellingFixer, typed: str, expected: str) -> None:
    assert typos.fix(typed.split()) == expected.split()


def test_known_words_and_unpaired_guesses_are_left_alone(typos: SpellingFixer) -> None:
    assert typos.fix(["tiếp", "công", "dân"]) == ["tiếp", "công", "dân"]  # "công" is a word, not "nông"
    assert typos.fix(["xyzw", "dân", "vận"]) == ["xyzw", "dân", "vận"]  # nothing one edit away pairs with "dân"


def test_restoration_leaves_accented_text_alone(accents: AccentModel) -> None:
    assert accents.restore("Dân vận KHÉO") == "dân vận khéo"


def test_tone_mark_placement_and_case_do_not_change_terms() -> None:
    old_style, new_style = passage_terms("HÒA GIẢI, thủy lợi"), passage_terms("hoà giải, thuỷ lợi")
    assert old_style == new_style


def test_folded_query_matches_accented_passage_but_bigrams_keep_thi_dua_apart() -> None:
    passages = ["Đẩy mạnh các phong trào thi đua yêu nước.", "Cán bộ thì phải gần dân, đua theo thành tích."]
    bm25 = BM25.fit([passage_terms(p)[1] for p in passages])
    scores = bm25.scores(query_terms_folded("phong trao thi dua"))
    assert scores[0] > scores[1] > 0  # "thi" equals "thì" once folded; the bigram "thi_dua" decides


def test_question_words_are_not_query_terms() -> None:
    terms = query_terms_accented("Công văn 608 ban hành ngày nào vậy?")
    assert {"công", "văn", "608", "ban", "hành", "ngày"} <= set(terms)
    assert "nào" not in terms and "vậy" not in terms


def test_thesaurus_maps_everyday_words_with_and_without_diacritics() -> None:
    thesaurus = Thesaurus.load()
    with_marks = thesaurus.expand(["bộ", "đội", "công", "an", "có", "phải", "gương", "mẫu", "không"], accented=True)
    without = thesaurus.expand(["bo", "doi", "cong", "an", "co", "phai", "guong", "mau", "khong"], accented=False)
    assert any("lực lượng vũ trang" in e for e in with_marks)
    assert with_marks == without


def test_evaluation_normalisation_is_nfc_casefold_and_spaces() -> None:
    decomposed = "Ủy ban  nhân\ndân"  # "Ủ" as U + combining marks
    import unicodedata

    assert eval_normalize(unicodedata.normalize("NFD", decomposed)) == "ủy ban nhân dân"
