"""The dependency rules, checked on the source: dashboard/ -> ingest/, never the reverse; SQL only
in ingest/store/; nothing touches the network, a database or data files at import."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


def test_ingest_never_imports_dashboard():
    offenders = [str(p.relative_to(REPO)) for p in python_files("ingest")
                 if any(m == "dashboard" or m.startswith("dashboard.") for m in imported_modules(p))]
    assert offenders == []   # not even lazily: the dashboard's commands live in dashboard.commands


def test_sql_only_in_the_store():
    allowed = {"ingest/store", "ingest/config.py"}  # config only parses URLs with sqlalchemy.engine.make_url
    offenders = []
    for folder in ("ingest", "dashboard"):
        for path in python_files(folder):
            rel = str(path.relative_to(REPO))
            if any(rel.startswith(a) for a in allowed):
                continue
            if any(m == "sqlalchemy" or m.startswith("sqlalchemy.") or m == "sqlite3" for m in imported_modules(path)):
                offenders.append(rel)
    assert offenders == []


def test_importing_everything_has_no_side_effects(tmp_path):
    code = ("import socket, sqlite3\n"
            "def refuse(*a, **k): raise RuntimeError('network or database used at import')\n"
            "socket.socket.connect = refuse\nsqlite3.connect = refuse\n"
            "import pkgutil, importlib, ingest, dashboard\n"
            "for package in (ingest, dashboard):\n"
            "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
            "        if not info.name.endswith('__main__'):\n"
            "            importlib.import_module(info.name)\n"
            "import os; print(sorted(os.listdir('.')))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                 "PYTHONPATH": str(REPO)}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"   # no data folder, no database, no cache files


CORE = REPO / "dashboard" / "analysis"


def test_the_analyses_import_no_ui():
    """dashboard.analysis (with the alignment rule, the moves and the time columns) is a library: it imports
    ingest/ and itself, never Dash, plotly or the dashboard's UI modules (tests/test_api.py checks
    the same in sys.modules after an import)."""
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            ui = top in {"dash", "plotly", "dash_ag_grid", "dash_bootstrap_components", "flask"}
            inside = module in ("dashboard", "dashboard.analysis") or module.startswith("dashboard.analysis.")
            if ui or (top == "dashboard" and not inside):
                offenders.append(f"{path.relative_to(REPO)} imports {module}")
    assert offenders == []


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, at module level or inside a function (an import
    inside a function still makes a cycle, only a hidden one); imports under `if TYPE_CHECKING:`
    are left out (annotations only: never run). `from package import name` points at package.name
    when that is a module."""
    paths = {module_name(p): p for folder in ("ingest", "dashboard") for p in python_files(folder)}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        edges = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for block in ast.walk(tree):
            if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING":
                block.body = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name in paths)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    edges.add(full if full in paths else node.module)
        graph[name] = {e for e in edges if e in paths and e != name}
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports (its modules, the first repeated at the end), or None: the standard
    library's graphlib finds it while ordering the modules."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return exc.args[1]
    return None


def test_no_import_cycles():
    assert cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_hidden_cycle():
    found = cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert found is not None and set(found) == {"a", "b", "c"} and found[0] == found[-1]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_the_dashboard_uses_only_the_public_face_of_the_store_and_the_cli():
    """dashboard/ may import ingest.store and ingest.cli (their packages' names), never a module
    inside them: what it needs of the store goes through Store, of the CLI through ingest.cli."""
    offenders = []
    for path in python_files("dashboard"):
        for module in imported_modules(path):
            if module.startswith(("ingest.store.", "ingest.cli.")):
                offenders.append(f"{path.relative_to(REPO)} imports {module}")
    assert offenders == []


FEATURES = ("chart", "table", "header", "filters", "downloads", "analysis_view")


def test_the_dashboard_is_one_folder_per_feature():
    """Each feature of the page (chart, table, header, filters, downloads, the Analysis tab) is a
    folder with its layout and its callbacks; a feature may use another's pure parts (a note's
    text, the header's empty state) but never its callbacks, so each one's wiring reads alone."""
    for feature in FEATURES:
        assert (REPO / "dashboard" / feature / "layout.py").is_file(), feature
        assert (REPO / "dashboard" / feature / "callbacks.py").is_file(), feature
    offenders = []
    for feature in FEATURES:
        for path in python_files(f"dashboard/{feature}"):
            for module in imported_modules(path):
                parts = module.split(".")
                if (len(parts) >= 3 and parts[0] == "dashboard" and parts[1] in FEATURES
                        and parts[1] != feature and parts[2] == "callbacks"):
                    offenders.append(f"{path.relative_to(REPO)} imports {module}")
    assert offenders == []
    root = sorted(p.name for p in (REPO / "dashboard").glob("*.py"))
    assert root == ["__init__.py", "__main__.py", "app_layout.py", "commands.py", "context.py", "factory.py", "ids.py",
                    "serving.py", "state.py", "window.py"]


ROLES_IN_FEATURES = {"layout.py", "callbacks.py", "figures.py"}   # the same role in parallel feature folders


def test_module_names_are_unique():
    """No two modules share a file name, except a role every dashboard feature has (its layout,
    callbacks, figures): a name found in a traceback or an import points at one place."""
    seen: dict[str, list[str]] = {}
    for folder in ("ingest", "dashboard"):
        for path in python_files(folder):
            if path.name not in ("__init__.py", "__main__.py"):
                seen.setdefault(path.name, []).append(str(path.relative_to(REPO)))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    for name in ROLES_IN_FEATURES:
        paths = clashes.pop(name, [])
        assert all(Path(p).parent.name in FEATURES for p in paths), paths
    assert clashes == {}


def test_modules_are_small():
    """Every module is at most 300 lines: one concern each, readable in one sitting."""
    long = {str(p.relative_to(REPO)): n for folder in ("ingest", "dashboard") for p in python_files(folder)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert long == {}
