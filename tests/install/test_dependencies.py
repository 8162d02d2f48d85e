"""Every third-party module `emulator/` imports is a runtime dependency (a plain install of the wheel
has nothing else), and docs/dependencies.md has a row for each runtime dependency."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
# pytest loads the plugin itself; the SDK (google.genai) is the user's own dependency, imported only by
# the genai_client fixture. google.protobuf is the protobuf distribution, which is declared.
NOT_DEPENDENCIES = {"pytest", "google.genai"}


def runtime_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_normal(Requirement(r).name) for r in project["dependencies"]}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party_imports() -> dict[str, set[str]]:
    """module imported -> the files importing it, outside `if TYPE_CHECKING:` blocks."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "emulator").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in guarded:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "emulator" or top in sys.stdlib_module_names:
                    continue
                key = ".".join(name.split(".")[:2]) if top == "google" else top
                found.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_a_runtime_dependency() -> None:
    declared = runtime_dependencies()
    owners = packages_distributions()
    missing = {}
    for module, files in third_party_imports().items():
        if module in NOT_DEPENDENCIES:
            continue
        distributions = {_normal(d) for d in owners.get(module, owners.get(module.split(".")[0], [module]))}
        if module == "google.protobuf":
            distributions = {"protobuf"}
        if not distributions & declared:
            missing[module] = sorted(files)
    assert not missing, f"imported by emulator/ but not in [project] dependencies: {missing}"


def test_docs_list_every_runtime_dependency() -> None:
    doc = (ROOT / "docs" / "dependencies.md").read_text()
    table = doc[doc.index("## Runtime") : doc.index("## Considered")]
    listed = {_normal(name) for name in re.findall(r"^\| `([^`]+)` \|", table, re.M)}
    assert listed == runtime_dependencies()


def test_the_plugin_needs_the_sdk_only_inside_its_fixture() -> None:
    """A project without google-genai can still load the plugin (pytest loads it in every session)."""
    tree = ast.parse((ROOT / "emulator" / "testing" / "plugin.py").read_text())
    top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert not [n for n in top_level if "google" in ast.unparse(n)]
