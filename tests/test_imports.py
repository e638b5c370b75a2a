"""Import direction of the package (DESIGN.md, "Which part may use which").

Every module of ``zoning`` is parsed with :mod:`ast` (nothing is imported), and each import,
at module level or inside a function, is checked against two rules:

- a module never imports another package's private (``_name``) module: it uses the package's
  public module instead (``zoning.rules.models``, ``zoning.rules.expressions``,
  ``zoning.outputs``, ``zoning.outputs.fonts``);
- imports run one way: core imports nothing of the package; stages (and everything below
  them) never import the CLI, the engine, the runner or the outputs; reading layers and the
  rule language know no stage.

The allow-lists name today's violations; they may only shrink. Finally, every third-party
package the modules import is a declared dependency, and every dependency is used.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "zoning"

CORE = ("zoning.errors", "zoning.columns", "zoning.crs")
"""Core: errors, column names and units, CRS policy."""
ABOVE_STAGES = ("zoning.cli", "zoning.engine", "zoning.runner", "zoning.outputs")
"""What stages never import."""
FACES = ("zoning", "zoning.__main__", "zoning.cli", "zoning.engine", "zoning.runner",
         "zoning.explain", "zoning.outputs", "zoning.synthetic")
"""Modules and packages at or above the engine (``zoning`` is its own ``__init__`` only), and
the synthetic-region generator (a tool that writes a demo project)."""

PRIVATE_ALLOWED: set[tuple[str, str]] = set()
"""Cross-package imports of private modules still tolerated (none: keep it so)."""
FOUND_BY_SPEC = {"mplfonts"}
"""Dependencies used for their data files, located with ``importlib.util.find_spec``."""
LAYERING_ALLOWED = {
    # to be removed: the assessment tool draws its chart with the outputs' CJK font and
    # writes its own folder with the outputs' staging and manifest; move the font helper
    # and staging below the stages (or the assessment writer out of the stage package).
    ("zoning.assess._chart", "zoning.outputs.fonts"),
    ("zoning.assess._write", "zoning.outputs"),
    ("zoning.assess._write", "zoning.outputs.manifest"),
    # to be removed: the network's web-map layers belong with the web map writer.
    ("zoning.corridors.maplayers", "zoning.outputs"),
}


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _trees() -> dict[str, tuple[Path, ast.Module]]:
    return {_name(p): (p, ast.parse(p.read_text(encoding="utf-8"), str(p)))
            for p in sorted(PACKAGE.rglob("*.py"))}


def _package_of(module: str) -> str:
    path, _ = _trees()[module]
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _imports(module: str) -> set[str]:
    """Modules of ``zoning`` that ``module`` imports (``from a import b`` gives ``a`` and,
    when ``a.b`` is a module, ``a.b``)."""
    path, tree = _trees()[module]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import; use absolute"
            assert node.module is not None
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names
                         if f"{node.module}.{a.name}" in _trees())
    return {n for n in found if _within(n, "zoning")}


def _private_owner(name: str) -> str | None:
    """The package whose private module ``name`` is (``zoning.rules`` for
    ``zoning.rules._reduction``), or None for a public module."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def _stage_packages() -> set[str]:
    """Modules defining a top-level ``STAGE``, widened to their subpackage, and the
    assessment tool (a stage of the run)."""
    found = {"zoning.assess"}
    for module, (_, tree) in _trees().items():
        targets = [t for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]
        targets += [n.target for n in tree.body if isinstance(n, ast.AnnAssign)]
        if any(isinstance(t, ast.Name) and t.id == "STAGE" for t in targets):
            package = _package_of(module)
            found.add(module if package == "zoning" else package)
    return found


def _violations(modules: list[str], forbidden: tuple[str, ...] | set[str]) -> set[tuple[str, str]]:
    return {(m, i) for m in modules for i in _imports(m)
            if any(_within(i, f) for f in forbidden) and not _within(i, m)}


def test_the_parser_sees_the_package():
    trees = _trees()
    assert len(trees) > 100
    assert _imports("zoning.reduction.stage") >= {"zoning.rules.models", "zoning.columns"}
    assert {"zoning.corridors", "zoning.reduction", "zoning.subsidence", "zoning.suitability",
            "zoning.damage", "zoning.zones", "zoning.assess"} <= _stage_packages()


def test_no_private_module_of_another_package():
    found = set()
    for module in _trees():
        for name in _imports(module):
            owner = _private_owner(name)
            if owner is not None and not _within(_package_of(module), owner):
                found.add((module, name))
    assert found - PRIVATE_ALLOWED == set(), "import the package's public module instead"
    assert PRIVATE_ALLOWED - found == set(), "fixed: remove it from PRIVATE_ALLOWED"


@pytest.mark.parametrize("core", CORE)
def test_core_imports_nothing_of_the_package(core):
    assert _imports(core) == set()


def _command(name: str) -> bool:
    """A command module (``cli``, ``<tool>_cli``, ``__main__``): a face, above the stages."""
    return name in ("cli", "__main__") or name.endswith("_cli")


def test_stages_never_import_cli_engine_runner_or_outputs():
    below = [m for m in _trees()
             if not any(_within(m, f) for f in FACES[1:]) and m != "zoning"
             and not _command(m.rpartition(".")[2])]
    found = _violations(below, ABOVE_STAGES)
    assert found - LAYERING_ALLOWED == set(), "stages must not use the layers above them"
    assert LAYERING_ALLOWED - found == set(), "fixed: remove it from LAYERING_ALLOWED"


@pytest.mark.parametrize("package", ["zoning.layers", "zoning.rules", "zoning.weights"])
def test_layers_and_rules_know_no_stage(package):
    modules = [m for m in _trees() if _within(m, package)]
    assert _violations(modules, _stage_packages()) == set()


def _distribution(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_dependencies_are_the_imported_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_distribution(r) for r in project["dependencies"]}
    top: set[str] = set()
    for _, tree in _trees().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                top.update(a.name.partition(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                top.add(node.module.partition(".")[0])
    top -= set(sys.stdlib_module_names) | {"zoning"}
    by_module = importlib.metadata.packages_distributions()
    imported = {_distribution(d) for m in top for d in by_module.get(m, [m])}
    assert imported - declared == set(), "imported but not declared in pyproject.toml"
    assert declared - imported - FOUND_BY_SPEC == set(), "declared but never imported"
    assert {"numpy", "pandas", "fonttools", "scikit-image", "pyyaml"} <= imported
