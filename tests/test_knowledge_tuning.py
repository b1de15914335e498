"""Tuned numbers as data: knowledge/data/tuning.yml, its stamps, and `danvan tune` re-deriving it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.abstention import Abstention
from knowledge.tuning import DEFAULT_PATH, Tuning, TuningError, variant

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = REPO_ROOT / "knowledge" / "data"


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the committed tuning file with one value changed by hand."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "tuning.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_committed_abstention_fit_was_made_under_the_committed_tuning() -> None:
    assert Abstention.load().meta["tuning"] == Tuning.load().digest


def test_the_committed_tuning_was_derived_from_the_committed_questions() -> None:
    """Questions added or edited since the last `danvan tune` make the shipped numbers a fit of other data."""
    import hashlib

    from knowledge.tune import question_files

    recorded = Tuning.load().fitted_on["questions"]
    for path in question_files(REPO_ROOT):
        assert recorded[path.name] == hashlib.sha256(path.read_bytes()).hexdigest(), f"run `danvan tune`: {path}"


def test_every_tuned_number_has_a_comment_saying_what_it_does_and_what_derives_it() -> None:
    numbers = 0
    for line in DEFAULT_PATH.read_text(encoding="utf-8").splitlines():
        if line.startswith("fitted_on"):
            break
        key, _, rest = line.strip().partition(":")
        if line.startswith("#") or not rest.strip() or rest.strip().startswith("#"):
            continue  # a comment or a section
        value, _, comment = rest.partition("#")
        assert comment.strip(), f"{key} has no comment"
        float(value)
        numbers += 1
    assert numbers == 20


def test_a_missing_number_is_named_at_load(tmp_path: Path) -> None:
    path = _edited(tmp_path, "  doc_boost:", "  doc_bost:")
    with pytest.raises(TuningError, match="retrieval.doc_boost is missing"):
        Tuning.load(path)


@pytest.mark.slow
def test_a_hand_edited_tuning_file_is_refused_naming_the_command(tmp_path: Path, encoder: object,
                                                                 letter_only_dir: Path) -> None:
    from knowledge import KnowledgeBase

    rrf = Tuning.load().retrieval.rrf_k
    edited = Tuning.load(_edited(tmp_path, f"rrf_k: {rrf!r}", f"rrf_k: {rrf + 1.0!r}"))
    with pytest.raises(TuningError) as refused:
        KnowledgeBase.open(tmp_path / "index", encoder, documents_dir=letter_only_dir, tuning=edited)
    assert "`danvan tune`" in str(refused.value)
    assert not (tmp_path / "index").exists()  # refused before anything was built


@pytest.mark.slow
def test_the_index_manifest_records_the_tuning_and_is_restamped_without_re_embedding(
    tmp_path: Path, encoder: object, letter_only_dir: Path
) -> None:
    from knowledge import KnowledgeBase
    from tests.fixtures_knowledge import CountingEncoder

    index_dir = tmp_path / "index"
    committed = Tuning.load()
    kb = KnowledgeBase.open(index_dir, encoder, documents_dir=letter_only_dir)
    assert kb.manifest().extra["tuning"] == committed.digest

    other = variant(committed, committed.retrieval.with_(kind_boost=committed.retrieval.kind_boost + 0.1))
    fit = Abstention.load()
    paired = Abstention(fit.rules, {**fit.meta, "tuning": other.digest})
    counting = CountingEncoder(encoder)
    again = KnowledgeBase.open(index_dir, counting, documents_dir=letter_only_dir, tuning=other, abstention=paired)
    assert again.manifest().extra["tuning"] == other.digest
    assert counting.passages_encoded == 0
    assert again.ask("ai ký công văn 608").answered


@pytest.mark.slow
def test_danvan_tune_reproduces_the_committed_files(tmp_path: Path, model_path: str) -> None:
    """Same committed questions, documents and model: the same bytes, so the shipped numbers are re-derivable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANVAN_")}
    env.update({"DANVAN_VAR_DIR": str(tmp_path / "var"), "DANVAN_EMBEDDING_MODEL": model_path,
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    done = subprocess.run([sys.executable, "-m", "danvan", "tune", "--out-dir", str(tmp_path / "out")],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "cross-validated" in done.stdout
    assert (tmp_path / "out" / "tuning.yml").read_text("utf-8") == (DATA_DIR / "tuning.yml").read_text("utf-8")
    written = json.loads((tmp_path / "out" / "abstention.json").read_text("utf-8"))
    assert written == json.loads((DATA_DIR / "abstention.json").read_text("utf-8"))
