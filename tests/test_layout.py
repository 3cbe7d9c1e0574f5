"""Dependencies point one way: workers → intake → emails."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import ROOT


def _imported_packages(package: str) -> set[tuple[str, str]]:
    """(module file, top-level package) for every import in `package`."""
    found: set[tuple[str, str]] = set()
    for path in Path(ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            found |= {(str(path.relative_to(ROOT)), name.split(".")[0]) for name in names}
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("emails", {"intake", "workers"}), ("intake", {"workers"})],
)
def test_no_import_points_backwards(package: str, forbidden: set[str]) -> None:
    offenders = sorted(
        (module, top) for module, top in _imported_packages(package) if top in forbidden
    )

    assert offenders == []


def test_the_checker_sees_real_imports() -> None:
    # Guard against a checker that passes because it found nothing at all.
    assert ("workers/celery_app.py", "intake") in _imported_packages("workers")
