"""App dependencies point one way: careers <- llmruns <- ratings.

Every import statement of every module of an app (module level or inside a function, `import x`
or `from x import y`) is read from the source, so a lazy import inside a function breaks the
rule as surely as one at the top of the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# An app may import from the apps listed before it, never from those after it.
LAYERS = ("careers", "llmruns", "ratings")


def imported_apps(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("app", LAYERS[:-1])
def test_an_app_imports_nothing_from_the_apps_above_it(app):
    above = set(LAYERS[LAYERS.index(app) + 1 :])
    violations = [
        f"{path.relative_to(ROOT)}:{line} imports {package}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for line, package in imported_apps(path)
        if package in above
    ]
    assert violations == []


def test_the_check_sees_lazy_imports(tmp_path):
    module = tmp_path / "lazy.py"
    module.write_text(
        "def f():\n    from ratings.models import Campaign\n    import ratings.stats\n",
        encoding="utf-8",
    )
    assert imported_apps(module) == [(2, "ratings"), (3, "ratings")]
