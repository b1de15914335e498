"""Every text the assistant shows a citizen speaks with one voice: the citizen is "bạn", never "bà con".

The replies live in domain.yml (Rasa responses) and in a few catalogues of texts composed in code (the actions,
the channel bridges, the web chat, the operators' answer template). This test reads each of them, so a new text in
another voice fails here instead of reaching a citizen.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = [
    "actions/texts.py", "bot/texts.py", "bot/render.py", "console/answering.py", "console/webchat.py",
    "petitions/service.py", "petitions/validation.py", "knowledge/answering.py",
]
PAGES = ["console/templates/chat.html", "console/static/chat.js"]
OTHER_VOICES = ("bà con", "quý vị", "đồng chí", "anh/chị", "ông/bà")


def _string_constants(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _domain_texts() -> list[str]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    texts = []
    for variants in domain["responses"].values():
        for variant in variants:
            texts.append(variant.get("text", ""))
            texts += [b["title"] for b in variant.get("buttons") or []]
    return texts


def _citizen_texts() -> list[tuple[str, str]]:
    found = [("domain.yml", t) for t in _domain_texts()]
    for name in CATALOGUES:
        found += [(name, t) for t in _string_constants(ROOT / name)]
    for name in PAGES:
        found.append((name, (ROOT / name).read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("voice", OTHER_VOICES)
def test_no_citizen_facing_text_addresses_the_citizen_otherwise(voice: str) -> None:
    offenders = [f"{where}: {text[:80]!r}" for where, text in _citizen_texts() if voice in text.lower()]
    assert not offenders, "\n".join(offenders)


def test_the_bot_addresses_the_citizen_as_ban() -> None:
    texts = " ".join(t for _, t in _citizen_texts()).lower()
    assert texts.count("bạn") > 50
