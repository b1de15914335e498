"""Placeholder until the dialogue helper lands the generator of diacritic-free NLU variants."""
from pathlib import Path


def write_variants(root: Path) -> Path | None:
    return None
