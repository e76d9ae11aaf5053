"""The course and the slider explorers as a person meets them: in JupyterLab, in a real
browser (headless Chromium driven by Playwright, see ``tests/browser_harness.py``).

For every lesson in ``notebooks/course/`` and every research notebook that shows an
explorer: Run All Cells, no cell shows an error, every explorer appears (sliders and a
figure) in the cells whose code calls one, dragging a slider of each with the mouse
changes the figure's pixels, no page request leaves 127.0.0.1, and the notebook file is
unchanged afterwards. ``test_harness_sees_failures`` checks, on a small notebook made here,
that the harness reports what these tests rely on it to report (an error output, a failing
explorer callback, a figure that does not change, a request to another host).

Needs the system's ``chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it)
and the dev extra (playwright, jupyterlab, ipympl). Without chromium these tests FAIL,
saying so: deselect them on purpose with ``-m "not browser"``.

One JupyterLab server and one browser serve the whole module; each notebook gets its own
page and kernel.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from browser_harness import ROOT, Browser, HarnessError, JupyterLab, require_tools

pytestmark = pytest.mark.browser

NOTEBOOKS = ROOT / "notebooks"
COURSE = NOTEBOOKS / "course"
# a call of a function whose name ends in "explorer": widgets.network_explorer(...),
# stdp_explorer(...), neuron_explorer(...) (a `def` line or a comment is not a call)
_EXPLORER_CALL = re.compile(r"\b\w*explorer\s*\(")


def explorer_cells(notebook: Path) -> list[int]:
    """Indices (among all cells) of the code cells whose source calls an explorer."""
    cells = json.loads(notebook.read_text())["cells"]
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        lines = [ln.split("#", 1)[0] for ln in source.splitlines()]
        if any(_EXPLORER_CALL.search(ln) and not re.match(r"\s*def\s", ln) for ln in lines):
            found.append(i)
    return found


def browser_notebooks() -> list[Path]:
    """Every lesson, then the research notebooks that show an explorer."""
    lessons = sorted(COURSE.glob("*.ipynb"))
    research = [nb for nb in sorted(NOTEBOOKS.glob("*.ipynb")) if explorer_cells(nb)]
    return lessons + research


@pytest.fixture(scope="module")
def lab():
    require_tools()
    with JupyterLab() as server:
        yield server


@pytest.fixture(scope="module")
def browser(lab):
    with Browser(lab) as b:
        yield b


#: a laptop's screen: the browser's viewport, in CSS pixels
LAPTOP = (1366, 768)


@pytest.fixture(scope="module")
def laptop(lab):
    """A browser window of a laptop's size, JupyterLab's default chrome around the
    notebook (menu, file browser and side bars, tool and status bars)."""
    with Browser(lab, viewport=LAPTOP) as b:
        yield b


def test_notebooks_found():
    """The parametrised test below has something to run, and finds the explorers the
    research notebooks are known to have."""
    names = [nb.stem for nb in browser_notebooks()]
    assert "01_stdp_network" in names and "02_stdp_window" in names, names
    assert len(explorer_cells(NOTEBOOKS / "02_stdp_window.ipynb")) == 1
    # every explorer is checked pixel for pixel and for a laptop's screen
    assert [nb.stem for nb in EXPLORER_NOTEBOOKS] == [
        "lesson1_lif_neuron", "lesson4_explorer", "01_stdp_network", "02_stdp_window"]


@pytest.mark.parametrize("notebook", browser_notebooks(), ids=lambda p: p.stem)
def test_notebook_in_browser(browser, notebook):
    before = notebook.read_bytes()
    listing = sorted(p.name for p in notebook.parent.iterdir())
    first_request = len(browser.requests)
    first_page_error = len(browser.page_errors)
    nb = browser.open(notebook)
    try:
        nb.run_all()
        errors = nb.errors()
        assert not errors, "cells show errors:\n" + "\n".join(
            f"{e}\n{e.text[-1500:]}" for e in errors)
        expected = explorer_cells(notebook)
        explorers = nb.explorers(expected=len(expected) or None)
        assert [e.cell for e in explorers] == expected, (
            f"cells whose code calls an explorer: {expected}; cells showing sliders: "
            f"{[e.cell for e in explorers]}")
        for explorer in explorers:
            result = explorer.drag(0)
            assert result.value_after != result.value_before
            assert result.changes_during_drag + result.changes_after_release >= 1
            assert result.pixels_changed, (
                f"cell {explorer.cell}: the figure's pixels on screen are the same after "
                f"moving {result.slider} from {result.value_before} to {result.value_after}")
        errors = nb.errors()
        assert not errors, "after dragging, cells show errors:\n" + "\n".join(
            f"{e}\n{e.text[-1500:]}" for e in errors)
    finally:
        nb.page.close()
    foreign = browser.foreign_requests(since=first_request)
    assert not foreign, f"the page reached beyond 127.0.0.1: {foreign[:10]}"
    assert browser.page_errors[first_page_error:] == []
    assert notebook.read_bytes() == before, f"{notebook.name} was rewritten by the browser run"
    assert sorted(p.name for p in notebook.parent.iterdir()) == listing, (
        f"the browser run left files in {notebook.parent}")


# --------------------------------------------------------------------------------------
# the harness reports what the tests above rely on it to report
# --------------------------------------------------------------------------------------

_PNG = ("import io, matplotlib\n"
        "from matplotlib.figure import Figure\n"
        "def png(y):\n"
        "    fig = Figure(figsize=(3, 2)); fig.add_subplot().plot([0, 1], [0, y])\n"
        "    buf = io.BytesIO(); fig.savefig(buf, format='png'); return buf.getvalue()\n")

_PROBE_CELLS = [
    # 0: a working ipympl explorer (figure drawn once, the line's data replaced)
    "%matplotlib widget\n"
    "import ipywidgets as W, matplotlib.pyplot as plt, numpy as np\n" + _PNG +
    "with plt.ioff():\n"
    "    fig, ax = plt.subplots(figsize=(4, 3))\n"
    "x = np.linspace(0, 1, 50); line, = ax.plot(x, 0.5 * x); ax.set_ylim(0, 2)\n"
    "s0 = W.FloatSlider(value=0.5, min=0.1, max=2.0, description='slope')\n"
    "s0.observe(lambda ch: (line.set_ydata(ch['new'] * x), fig.canvas.draw_idle()), 'value')\n"
    "W.VBox([s0, fig.canvas])",
    # 1: a frozen explorer: the slider is connected to nothing
    "W.VBox([W.FloatSlider(description='frozen'), W.Image(value=png(1.0))])",
    # 2: an explorer whose callback fails inside its Output area
    "out = W.Output(); s2 = W.FloatSlider(description='broken')\n"
    "def fail(change):\n"
    "    with out:\n"
    "        raise RuntimeError('explorer callback failed')\n"
    "s2.observe(fail, 'value')\n"
    "W.VBox([s2, out, W.Image(value=png(0.5))])",
    # 3: a page request to another host
    "from IPython.display import HTML\n"
    "HTML('<img src=\"http://neurolab-offline-check.invalid/x.png\">')",
    # 4: an error output; Run All stops here
    "raise ValueError('deliberate error')",
    "print('not reached')",
]


def test_harness_sees_failures(tmp_path):
    require_tools()
    notebook = tmp_path / "probe.ipynb"
    notebook.write_text(json.dumps({
        "cells": [{"cell_type": "code", "metadata": {}, "source": src, "outputs": [],
                   "execution_count": None} for src in _PROBE_CELLS],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))
    with JupyterLab(tmp_path) as lab, Browser(lab) as browser:
        nb = browser.open("probe.ipynb")
        nb.run_all(timeout=120)
        errors = nb.errors()
        assert [(e.cell, e.where, e.ename) for e in errors] == [(4, "output", "ValueError")]
        explorers = nb.explorers(expected=3)
        assert [e.cell for e in explorers] == [0, 1, 2]
        live, frozen, broken = explorers

        result = live.drag("slope")
        assert result.pixels_changed and result.changes_after_release >= 1
        assert 0 < result.latency_s < 10

        with pytest.raises(HarnessError, match="to change after dragging slider 'frozen'"):
            frozen.drag(0, timeout=2)
        with pytest.raises(HarnessError, match="'broken'"):
            broken.drag(0, timeout=2)
        errors = nb.errors()
        assert any(e.cell == 2 and e.where == "widget output"
                   and "explorer callback failed" in e.text for e in errors), errors

        foreign = browser.foreign_requests()
        assert any("neurolab-offline-check.invalid" in u for u in foreign), foreign
        assert all(u.startswith(lab.url) or "offline-check" in u or u.startswith(("data:", "blob:"))
                   for u in browser.requests)


# --------------------------------------------------------------------------------------
# the explorers' figures: what the browser shows is the kernel's figure, pixel for pixel
# --------------------------------------------------------------------------------------

#: every notebook that shows an explorer (the lessons' and the research notebooks'),
#: checked pixel for pixel and for fitting a laptop's screen
EXPLORER_NOTEBOOKS = [nb for nb in browser_notebooks() if explorer_cells(nb)]


@pytest.fixture(scope="module", params=EXPLORER_NOTEBOOKS, ids=lambda p: p.stem)
def explorer_page(request, laptop):
    """``(notebook page, its explorers)``: an explorer notebook open in the laptop's window
    (1366x768), every cell run (checked: no cell shows an error). Opened and run once for
    the tests below that look at its explorers (a lesson's run in the browser takes
    10-20 s), one notebook at a time: pytest runs every test of one notebook, then closes
    its page before it opens the next (several JupyterLab pages open at once made the
    drags of the pixel test three times slower)."""
    notebook = request.param
    nb = laptop.open(notebook)
    try:
        nb.run_all()
        errors = nb.errors()
        assert not errors, "cells show errors:\n" + "\n".join(map(str, errors))
        explorers = nb.explorers(expected=len(explorer_cells(notebook)))
        assert explorers, f"{notebook.name} shows no explorer"
        yield nb, explorers
    finally:
        nb.page.close()


# --------------------------------------------------------------------------------------
# the explorers fit a laptop's screen: sliders and the whole figure in view together
# --------------------------------------------------------------------------------------

def _inside(box: dict, frame: dict) -> bool:
    return (box["x"] >= frame["x"] - 0.5 and box["y"] >= frame["y"] - 0.5
            and box["x"] + box["width"] <= frame["x"] + frame["width"] + 0.5
            and box["y"] + box["height"] <= frame["y"] + frame["height"] + 0.5)


def test_explorer_fits_a_laptop_screen(explorer_page):
    """At 1366x768 with JupyterLab's default chrome, once the explorer's output is
    scrolled to the top of the notebook, its figure and every slider are inside the part
    of the window where the notebook shows cells (and so inside the window)."""
    _, explorers = explorer_page
    window = {"x": 0, "y": 0, "width": LAPTOP[0], "height": LAPTOP[1]}
    for explorer in explorers:
        boxes = explorer.scroll_to_top()
        notebook_view = boxes.pop("notebook")
        assert _inside(notebook_view, window), notebook_view
        assert "figure" in boxes and len(boxes) == 1 + len(explorer.slider_names()), boxes
        outside = {name: box for name, box in boxes.items()
                   if not _inside(box, notebook_view)}
        assert not outside, (
            f"cell {explorer.cell}: at {LAPTOP[0]}x{LAPTOP[1]}, with the explorer at the "
            f"top of the notebook ({notebook_view}), these are not in view: {outside}")


#: how the sliders are dragged, one round each: (name, sweeps, mouse moves per sweep,
#: seconds between two moves, seconds the page is kept busy after each sweep, as on a
#: slow computer); every slider of the explorer in turn, no wait between
DRAG_ROUNDS = [("a person's pace", 2, 12, 1 / 60, 0.0),
               ("faster", 3, 16, 0.0, 0.0),
               ("on a busy computer", 2, 12, 1 / 60, 0.4)]

# the kernel's side, run outside the notebook's cells: the explorer whose widget the cell
# shows (found by its widget's model id: the module holding LiveExplorer may move)
_KERNEL_FIND = """
import gc as _gc
_nl_ex = [o for o in _gc.get_objects()
          if any(c.__name__ == "LiveExplorer" for c in type(o).__mro__)
          and o.widget.model_id == {mid!r}]
assert len(_nl_ex) == 1, f"{{len(_nl_ex)}} explorers show widget {mid}"
_nl_ex = _nl_ex[0]
import neurolab as _nl
print(_nl.__file__)
"""
# until no update is scheduled and the browser has been sent everything (``settled``;
# an explorer without that attribute, as 0.5.0's, is waited for while ``pending``)
_KERNEL_SETTLE = """
import asyncio as _asyncio
while not getattr(_nl_ex, "settled", not _nl_ex.pending):
    await _asyncio.sleep(0.02)
"""
_KERNEL_PNG = """
import base64 as _b64, io as _io
import numpy as _np
from PIL import Image as _Image
_buf = _io.BytesIO()
_Image.fromarray(_np.asarray(_nl_ex.canvas.buffer_rgba())).save(_buf, format="png")
print(_b64.b64encode(_buf.getvalue()).decode())
"""


def _rgba(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _differing_pixels(browser_png: bytes, kernel_png: bytes, save_to: Path) -> tuple[int, str]:
    """How many pixels differ between the two images (any channel), and where; on a
    difference the browser's image, the kernel's and a map of the difference are saved
    under ``save_to``."""
    import numpy as np
    from PIL import Image

    a, b = _rgba(browser_png), _rgba(kernel_png)
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    diff = np.ones((h, w), dtype=bool)          # a pixel only one image has differs
    ch, cw = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    diff[:ch, :cw] = (a[:ch, :cw] != b[:ch, :cw]).any(axis=2)
    n = int(diff.sum())
    if not n:
        return 0, ""
    save_to.mkdir(parents=True, exist_ok=True)
    (save_to / "browser.png").write_bytes(browser_png)
    (save_to / "kernel.png").write_bytes(kernel_png)
    Image.fromarray(np.where(diff, 255, 0).astype(np.uint8)).save(save_to / "diff.png")
    ys, xs = np.nonzero(diff)
    sizes = (f"sizes differ: browser {a.shape[1]}x{a.shape[0]}, kernel "
             f"{b.shape[1]}x{b.shape[0]}; " if a.shape != b.shape else "")
    return n, (f"{sizes}within x {xs.min()}..{xs.max()}, y {ys.min()}..{ys.max()}; "
               f"images in {save_to}")


def test_explorer_canvas_equals_the_kernels_figure(explorer_page, tmp_path):
    """Drag every slider of the notebook's explorer fast (a person's pace, then faster,
    waiting for nothing, then on a busy computer), wait until updates stop, then compare
    the browser's canvas with the kernel's Agg buffer: 0 differing pixels after every
    round. In the laptop's window (1366x768), where the fit test has just looked."""
    nb, explorers = explorer_page
    mismatches = []
    for explorer in explorers:
        where = nb.execute(_KERNEL_FIND.format(mid=explorer.model_id())).strip()
        # the kernel imports the package under test, not another installed copy
        assert Path(where).resolve().is_relative_to(ROOT), where
        for name, sweeps, moves, pause, busy in DRAG_ROUNDS:
            for slider in explorer.slider_names():
                explorer.fling(slider, sweeps=sweeps, moves=moves, pause_s=pause,
                               busy_s=busy)
            nb.wait_kernel_idle()
            nb.execute(_KERNEL_SETTLE)
            explorer.wait_still(settle_s=1.0)
            kernel_png = base64.b64decode(nb.execute(_KERNEL_PNG).strip())
            n, detail = _differing_pixels(
                explorer.canvas_png(), kernel_png,
                tmp_path / f"cell{explorer.cell}-{name.replace(' ', '_')}")
            if n:
                mismatches.append(f"cell {explorer.cell}, after dragging {name}: {n} "
                                  f"pixels differ, {detail}")
    assert not mismatches, ("the browser's canvas is not the kernel's figure:\n"
                            + "\n".join(mismatches))
