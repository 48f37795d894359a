"""Small modules (design.md, Style): a module past ~400 lines gets a warning, past 600 fails."""

from __future__ import annotations

import warnings
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "sagecraft"
SOFT_LIMIT = 400
HARD_LIMIT = 600


def _sizes() -> dict[str, int]:
    return {str(path.relative_to(SOURCE.parent)): sum(1 for _ in path.open(encoding="utf-8"))
            for path in sorted(SOURCE.rglob("*.py")) if "migrations" not in path.parts}


def test_modules_stay_small():
    sizes = _sizes()
    assert sizes, f"no modules found under {SOURCE}"
    for name, lines in sizes.items():
        if SOFT_LIMIT < lines <= HARD_LIMIT:
            warnings.warn(f"{name} has {lines} lines (aim for at most {SOFT_LIMIT}): consider splitting it",
                          stacklevel=1)
    too_big = {name: lines for name, lines in sizes.items() if lines > HARD_LIMIT}
    assert not too_big, f"modules over {HARD_LIMIT} lines; split them by responsibility: {too_big}"
