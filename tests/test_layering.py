"""The package's layering holds and its drawing (docs/architecture.md) matches the code.

The import graph is built from the source with ``ast``: every ``import`` counts, at module level,
inside functions and under ``TYPE_CHECKING`` alike.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasseograph.paths import SHARED_ENV
from tests.conftest import REPO

PACKAGE = REPO / "tasseograph"
DRAWING = REPO / "docs" / "architecture.md"
UPPER = ("tasseograph.eval", "tasseograph.runner", "tasseograph.review", "tasseograph.web", "tasseograph.store")
"""Packages the core and the models never import."""
ROOT = "tasseograph"
COMPONENTS: dict[str, tuple[str, ...]] = {
    "cli": ("tasseograph.cli",),
    "api": (ROOT,),
    "pipeline": ("tasseograph.pipeline", "tasseograph.stages", "tasseograph.batch", "tasseograph.merge",
                 "tasseograph.sniff"),
    "steps": ("tasseograph.compress", "tasseograph.redact", "tasseograph.evidence", "tasseograph.prompts",
              "tasseograph.replies", "tasseograph.pricing", "tasseograph.baseline", "tasseograph.novelty"),
    "models": ("tasseograph.models", "tasseograph.testing", "tasseograph.localserver"),
    "catalogue": ("tasseograph.signals", "tasseograph.data", "tasseograph.devices", "tasseograph.textnorm",
                  "tasseograph.coverage"),
    "parsing": ("tasseograph.parsing",),
    "bulk": ("tasseograph.bulk", "tasseograph.bulkcore", "tasseograph.bulkdelta", "tasseograph.bulkref"),
    "fleet": ("tasseograph.fleet",),
    "findings": ("tasseograph.findings",),
    "memory": ("tasseograph.retrieval",),
    "foundation": ("tasseograph.schema", "tasseograph.errors", "tasseograph.config", "tasseograph.tomlfile",
                   "tasseograph.cases", "tasseograph.paths", "tasseograph.provenance", "tasseograph.clibase"),
    "eval": ("tasseograph.eval",),
    "runner": ("tasseograph.runner",),
    "store": ("tasseograph.store",),
    "web": ("tasseograph.web",),
    "review": ("tasseograph.review",),
}
"""The drawing's boxes: each module belongs to the component whose longest prefix it has (the
package itself, ``api``, holds only ``tasseograph/__init__.py``: a new module needs a box)."""


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported(node: ast.AST, module: str, is_package: bool, mods: dict[str, Path]) -> Iterator[str]:
    """Modules an import statement names: ``from pkg import sub`` names ``pkg.sub`` (the parent
    package a submodule import initialises first is not counted: that is how packages work)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
        else:
            target = node.module or ""
        for alias in node.names:
            yield f"{target}.{alias.name}" if f"{target}.{alias.name}" in mods else target


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = {t for node in ast.walk(tree) for t in _imported(node, name, path.name == "__init__.py", mods)}
        graph[name] = {t for t in found if t in mods and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def component(module: str) -> str:
    """The component of a module (``?`` when no prefix in ``COMPONENTS`` covers it)."""
    found = [p for ps in COMPONENTS.values() for p in ps
             if module == p or (p != ROOT and module.startswith(p + "."))]
    if not found:
        return "?"
    best = max(found, key=len)
    return next(name for name, prefixes in COMPONENTS.items() if best in prefixes)


def is_upper(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in UPPER)


def test_core_and_models_never_import_eval_or_runner() -> None:
    bad = sorted(f"{m} -> {d}" for m, deps in import_graph().items() if not is_upper(m) for d in deps if is_upper(d))
    assert bad == []


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_has_a_component() -> None:
    unmapped = sorted(m for m in modules() if component(m) == "?")
    assert unmapped == [], "add these to COMPONENTS here and to the drawing in docs/architecture.md"


def test_only_the_package_itself_is_the_api_box() -> None:
    assert component(ROOT) == "api"
    assert component("tasseograph.brand_new_module") == "?"
    assert component("tasseograph.fleet.counters") == "fleet"


def drawn_edges() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The solid (import) and dashed (loaded by name) edges of the Mermaid drawing."""
    text = DRAWING.read_text(encoding="utf-8")
    block = text.split("```mermaid", 1)[1].split("```", 1)[0]
    solid = set(re.findall(r"^\s*(\w+)\s*-->\s*(\w+)\s*$", block, re.M))
    dashed = set(re.findall(r"^\s*(\w+)\s*-\.[^>]*->\s*(\w+)\s*$", block, re.M))
    return solid, dashed


def test_the_drawing_matches_the_code() -> None:
    """Every import between components is drawn, and nothing drawn is missing from the code
    (edges into ``foundation`` are left out of the drawing: every component uses it)."""
    actual = {
        (component(m), component(d))
        for m, deps in import_graph().items() for d in deps
        if component(m) != component(d) and component(d) != "foundation"
    }
    solid, _ = drawn_edges()
    assert sorted(actual - solid) == [], "imports the drawing lacks"
    assert sorted(solid - actual) == [], "drawn edges the code no longer has"


def test_dashed_edges_are_the_lazily_loaded_commands() -> None:
    from tasseograph.cli import RUNNER_COMMANDS, WEB_COMMANDS

    _, dashed = drawn_edges()
    assert dashed == {("cli", component(name.partition(":")[0])) for name in (RUNNER_COMMANDS, WEB_COMMANDS)}


def test_metric_names_are_written_only_in_runner_metrics() -> None:
    where = []
    for name, path in modules().items():
        if name == "tasseograph.runner.metrics":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "dmesg_llm_" in node.value:
                where.append(f"{name}:{node.lineno}")
    assert where == []


HEAVY = ("anthropic", "openai", "pandas", "pyarrow", "sklearn", "scipy", "numpy", "matplotlib", "rich",
         "prometheus_client", "jinja2")
UNUSED_BY_ANALYZE = ("tasseograph.runner", "tasseograph.eval", "tasseograph.fleet", "tasseograph.provenance")
PROBE = """
import sys, tasseograph
from tasseograph.cli import main
try:
    main(["analyze", "-", *{args!r}], standalone_mode=False)
except SystemExit:
    pass
print(" ".join(sorted(m for m in {heavy!r} if m in sys.modules) or ["-"]))
print(" ".join(sorted(m for m in sys.modules if m.startswith({unused!r})) or ["-"]))
"""
SIGNAL_LINE = "[    5.100000] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0\n"
BORING_LINE = "[    1.000000] Linux version 6.8.0-45-generic\n"


def probe_analyze(data: str, args: list[str], env: dict[str, str]) -> tuple[str, str]:
    """The heavy libraries and the unused tasseograph packages a fresh ``tasseograph analyze`` loaded."""
    code = PROBE.format(args=args, heavy=HEAVY, unused=UNUSED_BY_ANALYZE)
    proc = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, text=True, timeout=120,
                          check=True, cwd=REPO, env={"PATH": "/usr/bin:/bin", "TASSEOGRAPH_DISABLE_PLUGINS": "1", **env})
    heavy, unused = proc.stdout.splitlines()[-2:]
    return heavy, unused


@pytest.mark.parametrize("data", [SIGNAL_LINE, BORING_LINE], ids=["signal", "boring"])
def test_analyze_with_rules_imports_no_sdk_dataframe_or_runner(data: str) -> None:
    assert probe_analyze(data, ["--model", "rules"], {"HOME": str(REPO)}) == ("-", "-")


@pytest.mark.parametrize("data", [SIGNAL_LINE, "[    7.200000] qzx_hba 0000:5e:00.0: adapter reset failed\n"],
                         ids=["signal", "unknown-line"])
def test_analyze_with_the_default_local_model_imports_no_sdk_dataframe_or_runner(data: str) -> None:
    """The key-less default (``local``) predicts from its cached JSON bundle in pure Python: no
    scikit-learn, numpy or scipy (training, once, needs them; the bundle is cached first here)."""
    from tasseograph.models.local import default_bundle

    default_bundle()
    env = {"HOME": str(Path.home()), **{k: os.environ[k] for k in ("XDG_CACHE_HOME", SHARED_ENV) if k in os.environ}}
    assert probe_analyze(data, [], env) == ("-", "-")


def test_version_imports_neither_pydantic_nor_the_pipeline() -> None:
    probe = ("import sys\nfrom tasseograph.cli import main\ntry:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith(('tasseograph.', 'pydantic'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.splitlines()[-1] == "['tasseograph.cli', 'tasseograph.clibase', 'tasseograph.errors']"
