"""The package's house rules (issue 18): no import circles, imports point down the rooms,
every module says what its room holds, ``import neurolab`` stays light, and the 0.5 module
paths keep working for one version with a DeprecationWarning naming the new path.

The import graph is read from the source with ``ast`` (function-level imports included),
not by importing, so a circle hidden inside a function still fails.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import neurolab

PACKAGE = Path(neurolab.__file__).resolve().parent

#: rooms from the top floor down: a module may import its own room and rooms below it
#: ("neurolab": the package's own ``__init__``, which imports the rooms below it)
ROOMS = ["cli", "course", "neurolab", "lab", "papers", "stimuli", "analysis", "plotting",
         "datasets", "model", "engine", "results", "plasticity", "base"]


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _from_imports(name: str, path: Path):
    """``(node, module)`` for every ``from X import ...`` of ``name``'s file that names a
    neurolab module (relative imports resolved; function-level ones included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.split(".")
            base = base[:len(base) - (node.level - 1)]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        if mod.split(".")[0] == "neurolab":
            yield node, mod


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The neurolab modules ``name`` imports anywhere in its file (module names, resolved
    from relative imports; ``from pkg import mod`` counts as importing ``pkg.mod``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "neurolab")
    for node, mod in _from_imports(name, path):
        subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in known]
        out.update(subs if subs else [mod])
        if subs and len(subs) < len(node.names):
            out.add(mod)
    out.discard(name)
    return {m for m in out if m in known}


def unresolved_imports() -> list[str]:
    """``from X import a`` statements of the package (function-level ones included) whose
    ``X.a`` is neither a module of ours nor a name ``X`` defines: a function-level import
    that would fail only when its function runs (e.g. a path left over from a move)."""
    import importlib

    mods = _modules()
    bad = []
    for name, path in mods.items():
        for node, mod in _from_imports(name, path):
            if mod not in mods:
                bad.append(f"{name}:{node.lineno}: no module {mod}")
                continue
            target = importlib.import_module(mod)
            for alias in node.names:
                if f"{mod}.{alias.name}" not in mods and not hasattr(target, alias.name) \
                        and alias.name != "*":
                    bad.append(f"{name}:{node.lineno}: {mod} has no {alias.name}")
    return bad


def test_every_import_of_ours_resolves():
    assert unresolved_imports() == []


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    graph = {}
    for name, path in mods.items():
        deps = _imports(name, path, known)
        # importing a.b.c runs a/__init__ and a/b/__init__: count only explicit imports,
        # but a package's own __init__ importing its children is a downward edge anyway
        graph[name] = deps
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (a list of modules, first == last), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    stack: list[str] = []

    def visit(node):
        colour[node] = GREY
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if colour.get(dep) == GREY:
                return stack[stack.index(dep):] + [dep]
            if colour.get(dep) == WHITE:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        colour[node] = BLACK
        return None

    for node in sorted(graph):
        if colour[node] == WHITE:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_sees_a_circle():
    """The checker itself: a circle through a function-level import is found."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_reads_function_level_imports(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from .engine import run\n    import neurolab.base.io\n")
    assert _imports("neurolab.m", path, {"neurolab.engine.run", "neurolab.base.io",
                                         "neurolab.engine"}) == {"neurolab.engine.run",
                                                                 "neurolab.base.io"}


def test_no_import_circles():
    graph = import_graph()
    assert len(graph) > 40
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def _room(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] == "_moved":
        return "neurolab"                # the package's __init__ and its 0.5 aliases
    return parts[1]


def test_imports_point_down_the_rooms():
    """A module imports only its own room and the rooms below it (``ROOMS``)."""
    graph = import_graph()
    bad = []
    for mod, deps in graph.items():
        room = _room(mod)
        assert room in ROOMS, f"{mod}: room {room!r} is not in the house plan (ROOMS)"
        for dep in deps:
            droom = _room(dep)
            if droom != room and ROOMS.index(droom) <= ROOMS.index(room):
                bad.append(f"{mod} ({room}) -> {dep} ({droom})")
    assert not bad, "imports that point up or sideways:\n" + "\n".join(sorted(bad))


def test_every_module_says_what_its_room_holds():
    """Every module opens with a docstring that ends by naming its room and what it may
    import (``Room: ... May import: ...``); the package's own docstring lists the rooms."""
    missing = []
    for name, path in _modules().items():
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        if name == "neurolab":
            if not all(f"``{room}``" in doc for room in ROOMS if room != "neurolab"):
                missing.append(f"{name} (does not list every room)")
        elif "Room:" not in doc or "May import" not in doc:
            missing.append(name)
    assert not missing, "modules whose docstring does not name their room and imports: " \
        + ", ".join(missing)


def test_import_neurolab_stays_light():
    """``import neurolab`` loads none of the heavy optional packages (fresh process)."""
    code = ("import sys, neurolab\n"
            "heavy = ('dask', 'distributed', 'bokeh', 'sklearn', 'papermill', 'nbclient',\n"
            "         'ipywidgets', 'matplotlib.pyplot', 'nest', 'brian2',\n"
            "         'pynwb', 'hdmf', 'h5py', 'nwbinspector', 'neo', 'quantities',\n"
            "         'elephant', 'matplotlib', 'scipy.linalg', 'scipy.sparse', 'pandas',\n"
            "         'tqdm', 'IPython', 'filelock')\n"
            "print(' '.join(m for m in heavy if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == ""


def test_import_neurolab_defers_what_a_run_does_not_need():
    """``import neurolab`` (which a first simulation waits for) leaves the analysis,
    stimuli, datasets, papers and marks modules unloaded; ``nl.analysis``,
    ``nl.correlated_poisson``... import them at their first use, and they are what the
    modules hold (fresh process)."""
    code = ("import sys, neurolab as nl\n"
            "deferred = ('neurolab.analysis', 'neurolab.stimuli', 'neurolab.datasets',\n"
            "            'neurolab.papers.masquelier', 'neurolab.papers.protocols',\n"
            "            'neurolab.lab.marks')\n"
            "print(' '.join(m for m in deferred if m in sys.modules))\n"
            "names = ('analysis', 'stimuli', 'inputs', 'datasets', 'masquelier', 'protocols',\n"
            "         'mark_result', 'correlated_poisson', 'rate_coded_images',\n"
            "         'repeating_pattern')\n"
            "assert set(names) <= set(dir(nl)) and set(names) <= set(nl.__all__)\n"
            "import neurolab.stimuli, neurolab.papers.masquelier, neurolab.lab.marks\n"
            "assert nl.inputs is nl.stimuli is sys.modules['neurolab.stimuli']\n"
            "assert nl.analysis is sys.modules['neurolab.analysis']\n"
            "assert nl.masquelier is neurolab.papers.masquelier\n"
            "assert nl.correlated_poisson is neurolab.stimuli.correlated_poisson\n"
            "assert nl.mark_result is neurolab.lab.marks.mark_result\n"
            "from neurolab import rate_coded_images, protocols\n"
            "assert protocols is sys.modules['neurolab.papers.protocols']\n"
            "try:\n"
            "    nl.no_such_name\n"
            "except AttributeError:\n"
            "    print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == ["", "ok"], out.stdout


OLD_PATHS = {
    # 0.5 path: (a name it held, the module that holds it now)
    "neurolab.network": ("estimate_synapses", "neurolab.model.connectivity"),
    "neurolab.simulate": ("RunState", "neurolab.engine.tables"),
    "neurolab.pipeline": ("PipelineError", "neurolab.lab.errors"),
    "neurolab.sweep": ("known_paths", "neurolab.lab.sweep_records"),
    "neurolab.inputs": ("correlated_poisson", "neurolab.stimuli"),
    "neurolab.monitors": ("SimResult", "neurolab.results.records"),
    "neurolab.params": ("LIFParams", "neurolab.model.params"),
    "neurolab.distributions": ("resolve", "neurolab.model.distributions"),
    "neurolab.io": ("save_npz", "neurolab.base.io"),
    "neurolab.paths": ("repo_root", "neurolab.base.paths"),
    "neurolab.marks": ("mark_result", "neurolab.lab.marks"),
    "neurolab.explorer": ("stdp_explorer", "neurolab.course.explorer"),
    "neurolab.exercises": ("check_rheobase", "neurolab.course.exercises"),
    "neurolab.widgets": ("stdp_window_explorer", "neurolab.course.widgets"),
    "neurolab.masquelier": ("srm_lif_params", "neurolab.papers.masquelier"),
    "neurolab.protocols": ("impose", "neurolab.papers.protocols"),
}


@pytest.mark.parametrize("old", sorted(OLD_PATHS))
def test_old_module_paths_work_with_a_deprecation_warning(old):
    """In a fresh process: importing a 0.5 path warns once, naming the new module, and
    gives the same objects as the new path."""
    name, new = OLD_PATHS[old]
    code = (
        "import importlib, warnings\n"
        "warnings.simplefilter('always')\n"
        "with warnings.catch_warnings(record=True) as rec:\n"
        f"    old = importlib.import_module({old!r})\n"
        f"new = importlib.import_module({new!r})\n"
        "msgs = [str(w.message) for w in rec if issubclass(w.category, DeprecationWarning)]\n"
        f"assert len(msgs) == 1 and {new!r} in msgs[0] and {old!r} in msgs[0], msgs\n"
        f"assert getattr(old, {name!r}) is getattr(new, {name!r})\n"
        "import neurolab\n"
        "assert callable(neurolab.simulate)\n"
        "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_simulate_stays_the_function_after_the_old_module_path_is_imported():
    code = ("import warnings; warnings.simplefilter('ignore')\n"
            "import neurolab as nl\n"
            "import neurolab.simulate\n"
            "from neurolab.simulate import NonFiniteStateError\n"
            "assert NonFiniteStateError is nl.NonFiniteStateError\n"
            "net = nl.Network(dt=0.1, seed=1)\n"
            "src = net.add_spikes('s', n=1, times=[1.0], indices=[0])\n"
            "out = net.add_lif('o', n=1, params=nl.LIFParams(synapse='delta'))\n"
            "net.connect(src, out, weight=30.0)\n"
            "res = nl.simulate(net, 5.0)\n"
            "print(res.spikes['o'].t.tolist())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[1.1]"


def test_public_names_unchanged():
    """Every name of 0.5's ``neurolab.__all__`` is still there (and is what it was)."""
    v05 = ["Network", "Population", "Projection", "PoissonInput", "CurrentSource",
           "LIFParams", "STDPParams", "PowerLawSTDP", "TripletSTDP", "VogelsSTDP",
           "RewardSTDP", "AdaptiveThreshold", "Normalization", "simulate",
           "NonFiniteStateError", "SimResult", "SpikeRecord", "StateRecord", "WeightRecord",
           "load_run", "weight_matrix", "assert_same", "analysis", "mark_result",
           "inputs", "masquelier", "protocols", "correlated_poisson", "repeating_pattern",
           "rate_coded_images", "__version__"]
    assert set(v05) <= set(neurolab.__all__)
    for name in v05:
        assert getattr(neurolab, name) is not None
    assert neurolab.inputs is neurolab.stimuli
    assert neurolab.Projection is importlib.import_module("neurolab.model.projections").Projection
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec("from neurolab import *", {})      # no deprecated path among the names
