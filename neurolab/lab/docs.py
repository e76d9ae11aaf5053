"""The course and documentation website: Sphinx + myst-nb over the executed notebooks.

``build_docs`` never runs a notebook. It reads the executed copies that ``neurolab
reproduce`` wrote (``results/notebooks/NAME.ipynb``, see :mod:`neurolab.lab`), refuses
when one is missing or older than its committed notebook (a code cell differs), and
assembles a Sphinx source tree under ``docs/_build/src/``:

- ``docs/*.md`` and ``docs/conf.py`` (the front page, the rule catalogue, the API
  reference, the teacher's guide);
- ``course/NAME.ipynb`` and ``notebooks/NAME.ipynb``: the executed lessons and research
  notebooks, each with its figures; a slider explorer's output is replaced by what it
  showed when the notebook ran (the figure its canvas or output area held, the sliders'
  values), since the widgets' live JavaScript would have to be fetched from a CDN;
- ``course/index.md`` and ``notebooks/index.md``: their tables of contents, in run order;
- ``benchmarks/README.md`` and its figures, and the repository's ``README.md`` (read by the
  rule catalogue's ``include``);
- ``_static/mathjax/``: MathJax 3 from the ``django-static-mathjax`` package, so that no
  page asks another host for it.

Then ``python -m sphinx -W --keep-going -n -b html`` writes ``docs/_build/html/``
(warnings are errors; myst-nb's execution is off in ``docs/conf.py``).

Room: ``neurolab.lab`` (the pipeline). May import: ``neurolab.base`` and the lab modules
listed in its own imports; Sphinx runs in a process of its own.
"""

from __future__ import annotations

import base64
import binascii
import html
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from .errors import PipelineError
from .notebooks import COURSE, _root, list_notebooks

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MATHJAX_ENTRY = "tex-mml-chtml.js"
DOCS_HINT = 'pip install "neurolab[docs]"'
SRC_MARK = ".neurolab-docs"     # marks a source tree build_docs may delete and rebuild


class DocsFailed(PipelineError):
    """Sphinx reported a warning or an error: the site was not built (``-W``)."""


# ----------------------------------------------------------------------------- inputs
def executed_copy(notebook: Path, results: Path) -> Path:
    """Where ``neurolab reproduce`` writes the executed copy of ``notebook`` (its default
    run): ``results/notebooks/NAME.ipynb``."""
    return results / "notebooks" / f"{notebook.stem}.ipynb"


def _code_sources(nb: dict) -> list[str]:
    def text(src):
        return "".join(src) if isinstance(src, list) else str(src)

    return [text(c.get("source", "")) for c in nb.get("cells", [])
            if c.get("cell_type") == "code"
            and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]


def check_executed(notebooks: Iterable[Path], results: Path) -> list[str]:
    """Problems that keep the site from being built from ``results``: an executed copy
    that is missing, unreadable, or whose code differs from the committed notebook's (it
    was run from an older version). Empty when every copy is there and current."""
    problems = []
    for nb in notebooks:
        copy = executed_copy(nb, results)
        if not copy.is_file():
            problems.append(f"{nb.stem}: no executed copy at {copy}")
            continue
        try:
            ran = json.loads(copy.read_text(encoding="utf-8"))
            committed = json.loads(nb.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{nb.stem}: {copy} is not a readable notebook ({exc})")
            continue
        if _code_sources(ran) != _code_sources(committed):
            problems.append(f"{nb.stem}: {copy} was run from another version of "
                            f"{nb.name} (its code cells differ)")
    return problems


def mathjax_dir() -> Path:
    """The folder holding MathJax 3's ``tex-mml-chtml.js`` and the fonts and extensions it
    loads, from the ``django-static-mathjax`` package (module ``mathjax``).
    ``ImportError`` naming the install command when it is absent."""
    spec = importlib.util.find_spec("mathjax")
    for base in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(base) / "static" / "mathjax" / "es5"
        if (folder / MATHJAX_ENTRY).is_file():
            return folder
    raise ImportError(f"MathJax for the website is missing (the django-static-mathjax "
                      f"package): {DOCS_HINT}")


def _require_sphinx() -> None:
    for module in ("sphinx", "myst_nb", "furo"):
        if importlib.util.find_spec(module) is None:
            raise ImportError(f"building the website needs {module}: {DOCS_HINT}")


# ----------------------------------------------------------------------------- widgets
def _model_refs(value) -> list[str]:
    """Model ids referenced by a widget state value (``IPY_MODEL_<id>``), in order."""
    if isinstance(value, str) and value.startswith("IPY_MODEL_"):
        return [value[len("IPY_MODEL_"):]]
    if isinstance(value, list):
        return [ref for v in value for ref in _model_refs(v)]
    return []


def _widget_outputs(model_id: str, state: dict) -> tuple[list[str], list[dict]]:
    """What a widget tree showed: lines naming its controls' values, and the outputs of
    its figures (an ipympl canvas's last image, an Output widget's outputs)."""
    lines, outputs, seen = [], [], set()

    def walk(mid):
        if mid in seen or mid not in state:
            return
        seen.add(mid)
        model = state[mid]
        name, s = model.get("model_name", ""), model.get("state", {})
        if name == "MPLCanvasModel":
            data = s.get("_data_url") or ""
            data = data.split(",", 1)[1] if data.startswith("data:") else data
            try:
                ok = bool(data) and base64.b64decode(data, validate=True)[:8] == \
                    b"\x89PNG\r\n\x1a\n"
            except (binascii.Error, ValueError):
                ok = False
            if ok:
                outputs.append({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": data,
                                         "text/plain": "<the explorer's figure>"}})
        elif name == "OutputModel":
            outputs.extend(o for o in s.get("outputs", []) if isinstance(o, dict))
        elif name in ("HTMLModel", "HTMLMathModel", "LabelModel"):
            if s.get("value"):
                lines.append(str(s["value"]) if name != "LabelModel"
                             else html.escape(str(s["value"])))
        elif "value" in s and s.get("description") is not None:
            value = s["value"]
            if "options" in s and isinstance(value, int) and "_options_labels" in s:
                value = s["_options_labels"][value]
            lines.append(f"{html.escape(str(s['description']) or 'value')} = "
                         f"<code>{html.escape(str(value))}</code>")
        for ref in _model_refs(s.get("children")):
            walk(ref)

    walk(model_id)
    return lines, outputs


def static_widgets(nb: dict) -> int:
    """Replace, in place, every widget output of the executed notebook ``nb`` by a static
    one: a note with the controls' values, then the figures the widgets showed when it
    ran (from the widget state papermill saved). The widget state is dropped from the
    metadata, so the page loads no widget JavaScript. Returns how many were replaced."""
    widgets = nb.get("metadata", {}).pop("widgets", None) or {}
    state = (widgets.get(WIDGET_STATE) or {}).get("state", {})
    replaced = 0
    for cell in nb.get("cells", []):
        new = []
        for out in cell.get("outputs", []) or []:
            view = (out.get("data") or {}).get(WIDGET_VIEW)
            if not isinstance(view, dict):
                new.append(out)
                continue
            replaced += 1
            lines, figures = _widget_outputs(str(view.get("model_id")), state)
            note = ("<p class=\"nl-widget-static\"><em>Live explorer: open this notebook in "
                    "JupyterLab to move the sliders. As run for this page:</em> "
                    + "; ".join(lines) + "</p>")
            new.append({"output_type": "display_data", "metadata": {},
                        "data": {"text/html": note,
                                 "text/plain": "live explorer (static copy)"}})
            new.extend(figures)
        if "outputs" in cell:
            cell["outputs"] = new
    return replaced


# ----------------------------------------------------------------------------- source tree
def _title(nb: dict, fallback: str) -> str:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            for line in src.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _toc_page(title: str, intro: str, entries: list[tuple[str, str]]) -> str:
    lines = [f"# {title}", "", intro, "", "```{toctree}", ":maxdepth: 1", ""]
    lines += [stem for stem, _ in entries]
    lines += ["```", ""]
    return "\n".join(lines)


def assemble(root: Path, src: Path, notebooks: list[Path], results: Path) -> dict:
    """Write the Sphinx source tree ``src`` (emptied first: refused, ``PipelineError``,
    when it holds files that an earlier ``assemble`` did not write) from the repository ``root``
    and the executed copies in ``results``; returns ``{"course": [...], "notebooks":
    [...]}``, the names placed in each section."""
    if src.exists():
        if not (src / SRC_MARK).is_file() and any(src.iterdir()):
            raise PipelineError(f"{src} exists and was not assembled by neurolab docs: "
                                f"nothing was deleted; choose another build folder")
        shutil.rmtree(src)
    src.mkdir(parents=True)
    (src / SRC_MARK).write_text("assembled by neurolab docs; replaced by every build\n")
    docs = root / "docs"
    for item in docs.iterdir():
        if item.name.startswith(".") or item.name in ("_build", "__pycache__"):
            continue
        if item.is_dir():
            shutil.copytree(item, src / item.name)
        else:
            shutil.copy2(item, src / item.name)
    shutil.copytree(mathjax_dir(), src / "_static" / "mathjax")
    (src / "_readme").mkdir()
    shutil.copy2(root / "README.md", src / "_readme" / "README.md")
    bench = root / "benchmarks"
    (src / "benchmarks").mkdir()
    shutil.copy2(bench / "README.md", src / "benchmarks" / "README.md")
    for png in bench.glob("*.png"):
        shutil.copy2(png, src / "benchmarks" / png.name)

    placed = {"course": [], "notebooks": []}
    entries = {"course": [], "notebooks": []}
    for nb in notebooks:
        section = "course" if nb.parent.name == COURSE else "notebooks"
        data = json.loads(executed_copy(nb, results).read_text(encoding="utf-8"))
        static_widgets(data)
        (src / section).mkdir(exist_ok=True)
        (src / section / nb.name).write_text(json.dumps(data, indent=1), encoding="utf-8")
        placed[section].append(nb.stem)
        entries[section].append((nb.stem, _title(data, nb.stem)))
    (src / "course").mkdir(exist_ok=True)
    (src / "notebooks").mkdir(exist_ok=True)
    (src / "course" / "index.md").write_text(_toc_page(
        "The course",
        "Lessons in order, each as the pipeline ran it (`neurolab reproduce`): the question, "
        "the equations, a short run, its figures and the exercises. Open the notebooks in "
        "JupyterLab to run them and move the sliders; the teacher's guide says how to hold "
        "the class offline.", entries["course"]), encoding="utf-8")
    (src / "notebooks" / "index.md").write_text(_toc_page(
        "Research notebooks",
        "Classic STDP results reproduced, each notebook as the pipeline ran it with its "
        "default parameters (`neurolab reproduce NAME -p KEY VALUE` scales a run up).",
        entries["notebooks"]), encoding="utf-8")
    return placed


# ----------------------------------------------------------------------------- build
def build_docs(names=None, *, root=None, out=None, results=None,
               log: Callable[[str], None] = print) -> Path:
    """Build the website from the executed notebooks; returns the folder of
    ``index.html`` (``docs/_build/html``).

    ``names``: only these notebooks (default: all of them, as ``neurolab reproduce``
    runs them). ``out``: the build folder (default ``docs/_build``; the source tree is
    assembled in ``out/src``, the pages written to ``out/html``). ``results``: where the
    executed copies are (default: the root's ``results/``). Raises ``PipelineError``
    naming the notebooks to run first when a copy is missing or stale, ``ImportError``
    naming the docs extra when Sphinx, myst-nb, furo or MathJax is missing, and
    ``DocsFailed`` when Sphinx warns."""
    root = _root(root)
    from .notebooks import find_notebook

    notebooks = (list_notebooks(root) if names is None
                 else [find_notebook(n, root) for n in names])
    if not notebooks:
        raise PipelineError(f"no notebooks in {root / 'notebooks'}")
    results = Path(results) if results is not None else root / "results"
    problems = check_executed(notebooks, results)
    if problems:
        first = problems[0].split(":", 1)[0]
        run = f"neurolab reproduce {first}" if len(problems) == 1 else "neurolab reproduce"
        raise PipelineError("the website is built from the executed notebooks, and "
                            + "; ".join(problems) + f". Run them first: {run}")
    _require_sphinx()
    out = Path(out) if out is not None else root / "docs" / "_build"
    src, html_dir = out / "src", out / "html"
    placed = assemble(root, src, notebooks, results)
    log(f"docs: {len(placed['course'])} lessons, {len(placed['notebooks'])} notebooks "
        f"from {results / 'notebooks'}")
    env = dict(os.environ)
    pkg_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (pkg_parent, env.get("PYTHONPATH", "")) if p)
    env["NEUROLAB_ROOT"] = str(root)
    env.setdefault("MPLBACKEND", "Agg")
    cmd = [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-n", "-q", "-b", "html",
           "-d", str(out / "doctrees"), str(src), str(html_dir)]
    proc = subprocess.run(cmd, check=False, env=env, cwd=str(root), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.stdout.strip():
        log(proc.stdout.rstrip())
    if proc.returncode != 0:
        raise DocsFailed(f"sphinx-build failed (exit {proc.returncode}); warnings count "
                         f"as errors: see the messages above")
    log(f"docs: {html_dir / 'index.html'}")
    return html_dir
