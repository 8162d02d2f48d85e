"""The layering of ARCHITECTURE.md, enforced on the source with `ast` (no imports are executed).

- every module belongs to one layer, and imports only from its own layer or the ones below;
- the domain never imports storage, the web framework or the database driver;
- a wire module never imports a service;
- no import cycles, counting imports inside functions (only `if TYPE_CHECKING:` imports, which never
  run, are left out);
- randomness comes from `emulator.ids` alone (seeded), so `random`, `secrets` and `uuid` are
  imported nowhere else.
"""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "emulator"

# Bottom to top: a module may import from its own layer and the layers before it. Patterns are
# matched in this order, so a specific name listed in a lower layer wins over a wildcard above.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "foundation",
        [
            "emulator",
            "emulator.clock",
            "emulator.links",
            "emulator.ids",
            "emulator.errors",
            "emulator.casing",
            "emulator.paging",
            "emulator.googlejson",
            "emulator.children",
        ],
    ),
    (
        "domain",
        [
            "emulator.config",
            "emulator.config.*",
            "emulator.faults",
            "emulator.faults.rules",
            "emulator.faults.parsing",
            "emulator.faults.book",
            "emulator.observability.journal",
            "emulator.*.models",
            "emulator.batches.machine",
            "emulator.batches.quirks",
            "emulator.batches.lines",
            "emulator.batches.line_faults",
            "emulator.batches.pipeline",
            "emulator.responder",
            "emulator.responder.*",
            "emulator.generation.catalogue",
            "emulator.validation",
            "emulator.validation.*",
            "emulator.quotas",
            "emulator.quotas.*",
            "emulator.webhooks.models",
            "emulator.webhooks.signing",
            "emulator.webhooks.schedule",
            "emulator.webhooks.events",
            "emulator.webhooks.receiver_faults",
        ],
    ),
    ("storage", ["emulator.storage", "emulator.storage.*"]),
    ("wire", ["emulator.*.wire", "emulator.openai.multipart", "emulator.openai.chat", "emulator.openai.embeddings"]),
    (
        "service",
        [
            "emulator.*.service",
            "emulator.batches.runner",
            "emulator.batches.pool",
            "emulator.batches.worker",
            "emulator.openai.batch_lines",
            "emulator.control.seeding",
            "emulator.webhooks.delivery",
            "emulator.webhooks.outbound",
            "emulator.webhooks.sender",
            "emulator.webhooks.sender_process",
        ],
    ),
    (
        "http",
        [
            "emulator.asgi",
            "emulator.asgi.*",
            "emulator.*.routes",
            "emulator.openai.http",
            "emulator.ui",
            "emulator.ui.*",
            "emulator.observability",
            "emulator.observability.*",
            "emulator.control",
            "emulator.control.openapi",
            "emulator.control.api_paths",
            "emulator.control.discovery",
            "emulator.files.simple_upload",
            "emulator.files",
            "emulator.batches",
            "emulator.generation",
            "emulator.openai",
            "emulator.webhooks",
            "emulator.webhooks.*",
        ],
    ),
    (
        "composition",
        [
            "emulator.emulator",
            "emulator.app",
            "emulator.cli",
            "emulator.__main__",
            "emulator.testing",
            "emulator.testing.*",
        ],
    ),
]
# Stand beside the layers: the control plane's HTTP client (and its calls) import nothing of the server.
CLIENTS = ["emulator.control.client", "emulator.control.calls"]
FRAMEWORK = {"starlette", "aiosqlite", "sqlite3", "uvicorn", "httpx"}
RANDOMNESS = {"random", "secrets", "uuid"}


@dataclass(frozen=True)
class Import:
    target: str  # the module imported (a submodule when `from package import submodule`)
    top: str  # its first component
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def imports_of(name: str) -> tuple[Import, ...]:
    tree = ast.parse(modules()[name].read_text(encoding="utf-8"))
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    found: list[Import] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [Import(a.name, a.name.split(".")[0], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                target = sub if sub in modules() else node.module
                found.append(Import(target, node.module.split(".")[0], node.lineno))
    return tuple(found)


def layer_of(name: str) -> int | None:
    for index, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
            return index
    return None


def _ours(name: str) -> bool:
    return name == "emulator" or name.startswith("emulator.")


def test_every_module_has_a_layer() -> None:
    unplaced = [m for m in modules() if m not in CLIENTS and layer_of(m) is None]
    assert unplaced == [], "add these modules to a layer here and in ARCHITECTURE.md"


@pytest.mark.parametrize("name", sorted(modules()))
def test_imports_go_downwards(name: str) -> None:
    if name in CLIENTS:
        bad = [i.target for i in imports_of(name) if _ours(i.target) and i.target not in ("emulator", *CLIENTS)]
        assert bad == [], f"{name} is a client: it may not import the server"
        return
    mine = layer_of(name)
    assert mine is not None
    upward = [
        f"line {i.line}: {i.target} ({LAYERS[theirs][0]})"
        for i in imports_of(name)
        if _ours(i.target) and (theirs := layer_of(i.target)) is not None and theirs > mine
    ]
    assert upward == [], f"{name} ({LAYERS[mine][0]}) imports from a higher layer"


@pytest.mark.parametrize("name", [m for m in sorted(modules()) if (layer_of(m) or 99) <= 1])
def test_the_domain_is_pure(name: str) -> None:
    framework = [f"line {i.line}: {i.target}" for i in imports_of(name) if i.top in FRAMEWORK]
    storage = [f"line {i.line}: {i.target}" for i in imports_of(name) if i.target.startswith("emulator.storage")]
    assert framework + storage == [], f"{name} is domain: no web framework, database or storage"


def test_wire_never_imports_a_service() -> None:
    wire = [m for m in modules() if layer_of(m) == 3]
    services = {m for m in modules() if layer_of(m) == 4}
    bad = [f"{m} -> {i.target}" for m in wire for i in imports_of(m) if i.target in services]
    assert wire and bad == []


def test_no_import_cycles() -> None:
    graph = {m: {i.target for i in imports_of(m) if i.target in modules() and i.target != m} for m in modules()}
    # A package's __init__ is imported with each of its submodules: that edge is not a dependency.
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_randomness_comes_from_ids_alone() -> None:
    """`secrets` and `uuid` only in `emulator.ids`; elsewhere `random` only as the seeded `Random`
    type (built by `emulator.ids`), never the module's global generator."""
    bad: list[str] = []
    for name, path in modules().items():
        if name == "emulator.ids":
            continue
        bad += [f"{name} line {i.line}: {i.target}" for i in imports_of(name) if i.top in RANDOMNESS - {"random"}]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "random":
                if node.attr != "Random":
                    bad.append(f"{name} line {node.lineno}: random.{node.attr}")
            elif isinstance(node, ast.Call) and ast.unparse(node.func) == "random.Random":
                bad.append(f"{name} line {node.lineno}: random.Random(...) (use emulator.ids)")
            elif isinstance(node, ast.ImportFrom) and node.module == "random":
                bad += [
                    f"{name} line {node.lineno}: from random import {a.name}" for a in node.names if a.name != "Random"
                ]
    assert bad == []


def test_the_layers_are_the_ones_architecture_md_documents() -> None:
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for layer, _ in LAYERS:
        assert f"| {layer} |" in text, f"ARCHITECTURE.md has no row for the {layer} layer"
