"""The layer rules, checked mechanically."""

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_domain_imports_only_the_standard_library():
    offenders = []
    for path in sorted((ROOT / "domain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            for name in names:
                top = name.split(".")[0]
                if top != "domain" and top not in sys.stdlib_module_names:
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_import_linter_contracts_are_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = [line.strip() for line in readme.split("```")[1].strip().splitlines()]
    assert len(commands) == 2, "the quickstart is exactly two commands"
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_ruff_finds_nothing():
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    """Strict on domain/ and application/, typed definitions everywhere else (pyproject.toml)."""
    result = subprocess.run([_tool("mypy"), "--no-incremental"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _source_files() -> list[Path]:
    return [p for folder in ("domain", "application", "adapters", "entrypoints", "benchmarks")
            for p in sorted((ROOT / folder).rglob("*.py"))]


def test_no_room_grows_past_what_one_person_reads_at_once():
    long_files = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in _source_files()
        if p.parts[len(ROOT.parts)] in ("adapters", "entrypoints") and (n := len(p.read_text().splitlines())) > 250
    ]
    long_functions = [f"{p.relative_to(ROOT)}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines"
                      for p in _source_files() for node in ast.walk(ast.parse(p.read_text()))
                      if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.end_lineno - node.lineno + 1 > 40]
    assert long_files == [] and long_functions == []


def _imports(path: Path) -> set[str]:
    """The project modules a module imports, at any level (TYPE_CHECKING blocks and functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else (
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
        found.update(n for n in names if n.split(".")[0] in ("domain", "application", "adapters", "entrypoints"))
    return found


def test_no_two_modules_import_each_other():
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts): p for p in _source_files()
               if p.parts[len(ROOT.parts)] != "benchmarks"}
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    cycles = sorted(f"{a} <-> {b}" for a, targets in graph.items() for b in targets if a in graph.get(b, ()) and a < b)
    assert cycles == []
