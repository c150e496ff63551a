"""What a container component's code and tests import from outside the repository, read from the source (not run):
each Python file's imports, followed through the repository's own modules, mapped to the distributions installed
in this environment that provide them. Also reads the component's pinned requirements files (`-r` included)."""
from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

from toolkit.definition import REPO_ROOT

# Top-level names of the repository's own code (what `pythonpath = .` makes importable).
LOCAL_PACKAGES = frozenset(p.name for p in REPO_ROOT.iterdir() if (p / "__init__.py").exists()) | {"main"}
_EXTENSION = re.compile(r"(\.cpython-[^.]+)?\.(py|so|pyd)$")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _module_owners() -> dict[str, str]:
    """Every importable module installed here ("google.protobuf.message") -> its distribution's normalized name."""
    owners: dict[str, str] = {}
    for distribution in metadata.distributions():
        for file in distribution.files or ():
            if file.parts[0] in ("..", "__pycache__") or not _EXTENSION.search(file.name):
                continue
            parts = [*file.parts[:-1], _EXTENSION.sub("", file.name)]
            if parts[-1] == "__init__":
                parts.pop()
            if parts and all(part.isidentifier() for part in parts):
                owners.setdefault(".".join(parts), normalized(distribution.metadata["Name"]))
    return owners


def _distribution_of(module: str) -> str | None:
    owners = _module_owners()
    parts = module.split(".")
    for length in range(len(parts), 0, -1):  # the deepest module a distribution installs ("opentelemetry.sdk")
        if (owner := owners.get(".".join(parts[:length]))) is not None:
            return owner
    return None


def _local_file(module: str) -> Path | None:
    base = REPO_ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST, lazy: bool) -> Iterable[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif lazy or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _imports(node, lazy)


def _imported_names(path: Path) -> Iterable[str]:
    """Dotted names a file imports (`from a import b`: a.b, which resolves to a when b is not a module). Imports in
    function bodies count in the apps' and modules/' code, which the tests run; of the toolkit's (the test support
    they borrow: the emulator, the report table) only what loading it imports: its lazy paths are the commands'."""
    lazy = path.relative_to(REPO_ROOT).parts[0] in ("projects", "modules")
    for node in _imports(ast.parse(path.read_text(), str(path)), lazy):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif node.level == 0 and node.module:
            yield from (node.module if alias.name == "*" else f"{node.module}.{alias.name}" for alias in node.names)


@dataclass(frozen=True)
class Imports:
    distributions: dict[str, set[str]]  # distribution -> the repository files that import it
    files: frozenset[Path]  # every repository file read: those given and the modules they import, transitively


def scan_imports(files: Iterable[Path]) -> Imports:
    """What `files` import, following the repository's own modules transitively. A module no installed
    distribution provides is listed as "?<its top-level name>"."""
    found: dict[str, set[str]] = {}
    pending, seen = [path.resolve() for path in files], set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imported_names(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "__future__":
                continue
            if top in LOCAL_PACKAGES:
                parts = name.split(".")
                for length in range(1, len(parts) + 1):  # the packages' __init__ files run too
                    if (local := _local_file(".".join(parts[:length]))) is not None:
                        pending.append(local.resolve())
                continue
            distribution = _distribution_of(name) or f"?{top}"
            found.setdefault(distribution, set()).add(str(path.relative_to(REPO_ROOT)))
    return Imports(found, frozenset(seen))


def pinned(requirements: Path) -> dict[str, str]:
    """{normalized name: version} of a requirements file's `name==version` lines and of the files it `-r` includes."""
    pins: dict[str, str] = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r"):
            pins |= pinned((requirements.parent / line[2:].strip()).resolve())
        elif "==" in line:
            name, version = line.split("==", 1)
            pins[normalized(name)] = version.strip()
    return pins


def locked(lock_file: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """{normalized name: (version, the extras it is installed with)} of Pipfile.lock's packages."""
    lock = json.loads(lock_file.read_text())
    return {normalized(name): (spec["version"].lstrip("="), frozenset(spec.get("extras", ())))
            for section in ("default", "develop") for name, spec in lock[section].items() if "version" in spec}


# What a distribution needs at run time but does not declare: fugashi reads a MeCab dictionary (the Pipfile's
# unidic-lite) that only its extras name.
UNDECLARED_NEEDS = {"fugashi": frozenset({"unidic-lite"})}


def unpinned_requirements(pins: dict[str, str], lock: dict[str, tuple[str, frozenset[str]]]) -> dict[str, set[str]]:
    """{distribution a pinned one requires (as installed here, with the extras the lock installs it with, for
    Linux and this Python): the pinned ones that require it} for each requirement that is not pinned itself: pip
    would pick its version on its own."""
    environment = default_environment() | {"sys_platform": "linux", "platform_system": "Linux"}
    missing: dict[str, set[str]] = {}
    for name in pins:
        extras = lock.get(name, ("", frozenset()))[1]
        needs = {normalized(Requirement(text).name) for text in metadata.requires(name) or ()
                 if _applies(Requirement(text), environment, extras)} | UNDECLARED_NEEDS.get(name, frozenset())
        for needed in needs - set(pins):
            missing.setdefault(needed, set()).add(name)
    return missing


def _applies(requirement: Requirement, environment: dict[str, str], extras: frozenset[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate(environment | {"extra": extra}) for extra in {"", *extras})
