"""The generated NLU examples without diacritics: derived from the accented ones, stable, never ambiguous."""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from danvan.nlu_variants import read_intent_examples, write_variants
from danvan.rasa_model import inputs_hash

NLU = """version: "3.1"
nlu:
  - intent: stop
    examples: |
      - dừng lại
      - dừng
      - hủy
  - intent: affirm
    examples: |
      - đúng
      - đồng ý
      - ok
  - intent: check_status
    examples: |
      - mã [TN-7K4Q-MX2P](code) đến đâu rồi
  - regex: code
    examples: |
      - \\bTN-[A-Z0-9]{4}-[A-Z0-9]{4}\\b
"""


def _project(tmp_path: Path, nlu: str = NLU) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text(nlu, encoding="utf-8")
    (tmp_path / "config.yml").write_text("language: vi\n", encoding="utf-8")
    (tmp_path / "domain.yml").write_text('version: "3.1"\n', encoding="utf-8")
    return tmp_path


def _generated(path: Path) -> dict[str, list[str]]:
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {item["intent"]: [line[2:] for line in item["examples"].splitlines()] for item in content["nlu"]}


def test_variants_fold_accented_examples_and_keep_entity_annotations(tmp_path: Path) -> None:
    out = write_variants(_project(tmp_path))
    assert out == tmp_path / "data" / "generated" / "nlu_no_diacritics.yml"
    variants = _generated(out)
    assert "dung lai" in variants["stop"]
    assert "huy" in variants["stop"]
    assert "dong y" in variants["affirm"]
    assert "ma [TN-7K4Q-MX2P](code) den dau roi" in variants["check_status"]
    # "ok" has no diacritics: no duplicate of it is generated
    assert "ok" not in variants["affirm"]


def test_a_folded_form_claimed_by_two_intents_is_dropped(tmp_path: Path) -> None:
    # "đúng" (right) and "dừng" (stop) both fold to "dung": neither intent may claim it
    variants = _generated(write_variants(_project(tmp_path)))
    assert "dung" not in variants["stop"]
    assert "dung" not in variants.get("affirm", [])


def test_unchanged_examples_do_not_rewrite_the_file_or_change_the_training_hash(tmp_path: Path) -> None:
    root = _project(tmp_path)
    out = write_variants(root)
    first_hash = inputs_hash(root)
    os.utime(out, (1_000_000, 1_000_000))
    write_variants(root)
    assert out.stat().st_mtime == 1_000_000
    assert inputs_hash(root) == first_hash


def test_new_examples_change_the_generated_file(tmp_path: Path) -> None:
    root = _project(tmp_path)
    out = write_variants(root)
    before = out.read_text(encoding="utf-8")
    (root / "data" / "nlu.yml").write_text(NLU.replace("- hủy\n", "- hủy\n      - thôi khỏi\n"), encoding="utf-8")
    write_variants(root)
    assert out.read_text(encoding="utf-8") != before
    assert "thoi khoi" in _generated(out)["stop"]


def test_project_data_gets_a_variant_for_every_unambiguous_accented_example(repo_root: Path, tmp_path: Path) -> None:
    # Run on a copy so that the test never touches the checkout's generated folder.
    root = tmp_path / "copy"
    (root / "data").mkdir(parents=True)
    for path in (repo_root / "data").glob("*.yml"):
        (root / "data" / path.name).write_bytes(path.read_bytes())
    variants = _generated(write_variants(root))
    examples = read_intent_examples(root / "data")
    assert "phong trao dan van kheo la gi" in variants["ask_policy"]
    assert "toi muon gui phan anh" in variants["file_petition"]
    generated = sum(len(v) for v in variants.values())
    accented = sum(1 for ex in (e for v in examples.values() for e in v) if any(ord(ch) > 127 for ch in ex))
    assert generated >= 0.9 * accented
