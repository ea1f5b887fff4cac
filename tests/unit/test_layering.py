"""Code layout (DESIGN §8): dependencies point down only.

Every module under ``gitmodel/`` is parsed with ``ast``; every import counts, including
imports inside functions (the lazy ones) and under ``if TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import gitmodel

PACKAGE_DIR = Path(gitmodel.__file__).parent
PURE = frozenset(
    {
        "gitmodel.pointer",
        "gitmodel.manifest",
        "gitmodel.hashing",
        "gitmodel.tags",
        "gitmodel.config",
        "gitmodel.plain_toml",
        "gitmodel.errors",
        "gitmodel.metrics",
        "gitmodel.progress",
    }
)
# Third-party imports a pure module may make: the hashing primitive (DESIGN §2).
PURE_EXTRA = {"gitmodel.hashing": {"blake3"}}
CLI_ONLY = ("typer", "rich", "click")
# `python -m gitmodel` is the command line's other door.
CLI_ENTRY_POINTS = {"gitmodel.__main__"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. gitmodel.storage.cache
    target: str  # the absolute name imported, e.g. gitmodel.hashing or pyarrow.parquet
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path, path: Path) -> list[Import]:
    """Every import in one file, relative ones resolved, ``from pkg import mod`` as pkg.mod."""
    name = module_name(root, path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(name, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = name if is_package else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}" if node.module else package
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                # `from gitmodel import git` imports the module gitmodel.git.
                if base.split(".")[0] == root.name and is_module(root, candidate):
                    found.append(Import(name, candidate, node.lineno))
                else:
                    found.append(Import(name, base, node.lineno))
    return found


def is_module(root: Path, dotted: str) -> bool:
    rel = Path(*dotted.split(".")[1:])
    return (root / rel).with_suffix(".py").is_file() or (root / rel / "__init__.py").is_file()


def all_imports(root: Path) -> list[Import]:
    return [i for path in sorted(root.rglob("*.py")) for i in imports_of(root, path)]


def top(name: str) -> str:
    return name.split(".")[0]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(imports: list[Import], pkg: str = "gitmodel") -> dict[str, list[str]]:
    """Each layering rule of DESIGN §8 with the imports breaking it."""
    pure = {m.replace("gitmodel", pkg, 1) for m in PURE}
    extra = {k.replace("gitmodel", pkg, 1): v for k, v in PURE_EXTRA.items()}
    entry_points = {m.replace("gitmodel", pkg, 1) for m in CLI_ENTRY_POINTS}
    found: dict[str, list[str]] = {
        "typer/rich outside cli": [],
        "GitPython outside git.py": [],
        "impure import in a pure module": [],
        "storage imports services/cli/api": [],
        "services imports cli": [],
        "gitmodel.cli imported outside cli": [],
    }
    for imp in imports:
        in_cli = within(imp.module, f"{pkg}.cli")
        if top(imp.target) in CLI_ONLY and not in_cli:
            found["typer/rich outside cli"].append(str(imp))
        if top(imp.target) == "git" and imp.module != f"{pkg}.git":
            found["GitPython outside git.py"].append(str(imp))
        if imp.module in pure:
            ok = (
                top(imp.target) in sys.stdlib_module_names
                or imp.target in pure
                or top(imp.target) in extra.get(imp.module, set())
            )
            if not ok:
                found["impure import in a pure module"].append(str(imp))
        if within(imp.module, f"{pkg}.storage") and any(
            within(imp.target, f"{pkg}.{layer}") for layer in ("services", "cli", "api")
        ):
            found["storage imports services/cli/api"].append(str(imp))
        if within(imp.module, f"{pkg}.services") and within(imp.target, f"{pkg}.cli"):
            found["services imports cli"].append(str(imp))
        if within(imp.target, f"{pkg}.cli") and not in_cli and imp.module not in entry_points:
            found["gitmodel.cli imported outside cli"].append(str(imp))
    return found


# ---------------------------------------------------------------- the real package

RULES = list(violations([]))


@functools.cache
def real_imports() -> list[Import]:
    return all_imports(PACKAGE_DIR)


def test_every_module_of_the_package_is_parsed() -> None:
    modules = {i.module for i in real_imports()}
    assert modules >= PURE
    assert {"gitmodel.git", "gitmodel.storage.cache", "gitmodel.cli"} <= modules


@pytest.mark.parametrize("rule", RULES)
def test_gitmodel_respects_the_layering_rule(rule: str) -> None:
    assert violations(real_imports())[rule] == [], rule


def test_the_pure_modules_exist() -> None:
    for name in PURE:
        assert is_module(PACKAGE_DIR, name), name


# ---------------------------------------------------------------- the checker itself


def write_package(root: Path, files: dict[str, str]) -> Path:
    pkg = root / "gitmodel"
    for rel, text in {
        "__init__.py": "",
        "cli/__init__.py": "",
        "services/__init__.py": "",
        "storage/__init__.py": "",
        **files,
    }.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return pkg


@pytest.mark.parametrize(
    ("files", "rule"),
    [
        ({"services/add.py": "def f():\n    import rich.console\n"}, "typer/rich outside cli"),
        ({"api.py": "from typer import Typer\n"}, "typer/rich outside cli"),
        ({"services/log.py": "def f():\n    from git import Repo\n"}, "GitPython outside git.py"),
        ({"pointer.py": "import yaml\n"}, "impure import in a pure module"),
        ({"hashing.py": "import numpy\n"}, "impure import in a pure module"),
        (
            {"config.py": "def f():\n    from gitmodel.storage.cache import Cache\n"},
            "impure import in a pure module",
        ),
        ({"manifest.py": "import pyarrow\n"}, "impure import in a pure module"),
        ({"tags.py": "from . import git\n", "git.py": ""}, "impure import in a pure module"),
        (
            {"storage/cache.py": "from ..services import add\n", "services/add.py": ""},
            "storage imports services/cli/api",
        ),
        ({"storage/state.py": "import gitmodel.api\n"}, "storage imports services/cli/api"),
        ({"services/add.py": "from gitmodel.cli import output\n"}, "services imports cli"),
        ({"api.py": "def f():\n    import gitmodel.cli\n"}, "gitmodel.cli imported outside cli"),
        (
            {"storage/cache.py": "from gitmodel import cli\n"},
            "gitmodel.cli imported outside cli",
        ),
    ],
)
def test_the_checker_finds_a_violation(tmp_path: Path, files: dict[str, str], rule: str) -> None:
    pkg = write_package(tmp_path, files)
    found = violations(all_imports(pkg))
    assert found[rule], found


def test_the_checker_accepts_what_the_design_allows(tmp_path: Path) -> None:
    pkg = write_package(
        tmp_path,
        {
            "hashing.py": "import hashlib\ndef f():\n    from blake3 import blake3\n",
            "pointer.py": "from __future__ import annotations\nimport tomllib\n"
            "from gitmodel.hashing import x\nfrom .errors import E\n",
            "errors.py": "",
            "git.py": "def repo():\n    import git as gitpython\n",
            "cli/app.py": "import typer\nfrom rich.console import Console\n"
            "from gitmodel.services import add\n",
            "services/add.py": "from gitmodel.storage import cache\nfrom gitmodel import git\n",
            "storage/cache.py": "from gitmodel.hashing import x\n",
            "__main__.py": "from gitmodel.cli import main\n",
        },
    )
    found = violations(all_imports(pkg))
    assert all(not v for v in found.values()), found


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    pkg = write_package(
        tmp_path,
        {"storage/cache.py": "from . import state\nfrom ..errors import E\n", "errors.py": ""},
    )
    (pkg / "storage" / "state.py").write_text("")
    targets = {i.target for i in imports_of(pkg, pkg / "storage" / "cache.py")}
    assert targets == {"gitmodel.storage.state", "gitmodel.errors"}
