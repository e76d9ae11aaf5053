"""Drive a notebook in JupyterLab from a real browser, as a person does: open it, Run All
Cells, read what the cells show, drag a slider with the mouse and time the figure's answer.

Used by ``tests/test_browser.py`` (pytest mark ``browser``) and by
``benchmarks/explorer.py`` (slider-to-pixels latency). Pieces, each a context manager that
cleans up after itself even when the body raises:

- :class:`JupyterLab` starts ``python -m jupyterlab`` on 127.0.0.1 on a free port chosen
  here (no token, no password), rooted at the repository, with a fresh workspace, settings,
  config, runtime and checkpoint folder of its own (nothing restored from an earlier
  session, nothing written beside the notebooks; autosave off, so running cells never
  rewrites the notebook file), ``NEUROLAB_DATA_DIR`` and
  ``NEUROLAB_RESULTS_DIR`` pointing outside the repository (the caller's values when set,
  as ``notebooks/conftest.py`` sets them under pytest, else folders of its own), and no
  ``MPLBACKEND`` (the kernel uses the backend a person's kernel uses).
- :class:`Browser` launches the system's headless Chromium through Playwright (browsers
  cannot be downloaded here: ``executable_path=shutil.which("chromium")``), records every
  request its pages make (:attr:`Browser.requests`, :meth:`Browser.foreign_requests`) and
  makes names other than 127.0.0.1/localhost unresolvable, so a page that tries to reach
  the internet fails fast and shows up in the record instead of hanging.
- :class:`Notebook` (from :meth:`Browser.open`) runs all cells from the Run menu
  (:meth:`Notebook.run_all`), lists error outputs (:meth:`Notebook.errors`), finds the
  slider explorers (:meth:`Notebook.explorers`: a cell whose output shows ipywidgets
  sliders and a figure, an ``<img>`` or an ipympl ``<canvas>``) and
  :meth:`Explorer.drag` moves a slider's handle with the mouse (down, move, up) and
  measures the time from mouse-up to changed pixels.

How latency is measured (:meth:`Explorer.drag`): before the mouse goes down, a script in
the page watches the explorer's figure elements on every animation frame (an image's
source once it has loaded, a canvas's pixels through ``getImageData``) and notes the time
(``performance.now()``) of each change; a ``mouseup`` listener notes the release
(``event.timeStamp``, same clock). After the release the harness waits until the figure has
changed, the kernel is idle and nothing has changed for ``settle_s``; the latency is the time
from release to the last change (0 when the figure already showed the final value at the
release, as a continuously updating explorer can). Screenshots of the figure before and
after confirm that the pixels on screen changed. Resolution: one frame (~17 ms).

Nothing here sleeps a fixed time where a condition can be waited for; every wait has a
timeout whose error says what was awaited and what the page showed.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
DATA_ENV = "NEUROLAB_DATA_DIR"        # same names as neurolab.base.paths (not imported: the
RESULTS_ENV = "NEUROLAB_RESULTS_DIR"  # harness must not need the package's import to work)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
CHROMIUM_HINT = ("install it with `apt-get install -y chromium` (Debian/Ubuntu; `.ci/run` "
                 "does this); Playwright's own browser download is not used")


class HarnessError(RuntimeError):
    """Something the browser run waited for did not happen (the message says what)."""


def chromium_path() -> str:
    """Path of the system's Chromium executable; HarnessError naming the fix when absent."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise HarnessError("no `chromium` executable on the PATH: " + CHROMIUM_HINT)



def require_tools() -> None:
    """Fail the calling test, saying how to get them, when the system's Chromium or the
    ``playwright`` package is missing (never a skip: a browser test left out on purpose
    is ``-m 'not browser'``)."""
    import pytest

    try:
        chromium_path()
    except HarnessError as exc:
        pytest.fail(f"{exc}. To leave the browser tests out on purpose: "
                    f"python -m pytest -m 'not browser'", pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("the `playwright` package is missing: pip install -e \".[dev]\"",
                    pytrace=False)

def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port the OS reports free on ``host`` now (another process may take it before
    it is used: :class:`JupyterLab` retries with a new port when the bind fails)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------
# JupyterLab server
# --------------------------------------------------------------------------------------

class JupyterLab:
    """A JupyterLab server on 127.0.0.1 for one test session; use as a context manager.

    ``root``: the folder served (default: the repository). ``data_dir``/``results_dir``:
    where notebooks write (default: the caller's ``NEUROLAB_DATA_DIR`` /
    ``NEUROLAB_RESULTS_DIR`` when set, else folders inside this server's temporary folder;
    never the repository's). ``startup_timeout``: seconds to wait for the server to answer.
    ``env``: extra environment variables for the server and its kernels.
    """

    def __init__(self, root: os.PathLike | str = ROOT, *, data_dir=None, results_dir=None,
                 startup_timeout: float = 120.0, env: dict | None = None):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise HarnessError(f"root={str(root)!r} is not a folder")
        self._data_dir = data_dir
        self._results_dir = results_dir
        self.startup_timeout = float(startup_timeout)
        self._extra_env = dict(env or {})
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.tmp: Path | None = None
        self.log_path: Path | None = None
        self.data_dir: Path | None = None
        self.results_dir: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "JupyterLab":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, n: int = 30) -> str:
        """The last ``n`` lines of the server's log (stdout and stderr together)."""
        if self.log_path is None or not self.log_path.exists():
            return "(no server log)"
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def _environment(self) -> dict:
        env = dict(os.environ)
        env.update(self._extra_env)
        # a person's kernel chooses its own matplotlib backend (inline / ipympl)
        env.pop("MPLBACKEND", None)
        data = self._data_dir or os.environ.get(DATA_ENV) or self.tmp / "data"
        results = self._results_dir or os.environ.get(RESULTS_ENV) or self.tmp / "results"
        self.data_dir, self.results_dir = Path(data), Path(results)
        env[DATA_ENV], env[RESULTS_ENV] = str(self.data_dir), str(self.results_dir)
        env["NEUROLAB_ROOT"] = str(self.root)
        # fresh Jupyter state: nothing from ~/.jupyter, no runtime files of other servers
        env["JUPYTER_CONFIG_DIR"] = str(self.tmp / "config")
        env["JUPYTER_RUNTIME_DIR"] = str(self.tmp / "runtime")
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _write_settings(self) -> Path:
        settings = self.tmp / "settings"
        # running cells must never rewrite the notebook in the repository
        docmanager = settings / "@jupyterlab" / "docmanager-extension"
        docmanager.mkdir(parents=True, exist_ok=True)
        (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
        # no "would you like to receive news?" toast over the page
        news = settings / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True, exist_ok=True)
        (news / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        return settings

    def _command(self, port: int, settings: Path) -> list[str]:
        return [sys.executable, "-m", "jupyterlab", "--no-browser",
                "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
                "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
                f"--ServerApp.root_dir={self.root}",
                f"--LabApp.workspaces_dir={self.tmp / 'workspaces'}",
                # JupyterLab makes a checkpoint of each notebook it opens: keep them here,
                # not in .ipynb_checkpoints/ folders inside the repository
                f"--FileCheckpoints.checkpoint_dir={self.tmp / 'checkpoints'}",
                f"--LabApp.user_settings_dir={settings}",
                # lets the harness read kernel status and cell outputs from the page
                "--LabApp.expose_app_in_browser=True",
                # the server itself stays offline too
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]

    def start(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="neurolab-lab-"))
        self.log_path = self.tmp / "server.log"
        env = self._environment()
        settings = self._write_settings()
        for attempt in range(3):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(self._command(self.port, settings), env=env,
                                             cwd=self.root, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            try:
                self._wait_until_up()
                return
            except HarnessError:
                in_use = "already in use" in self.log_tail(10)
                self._kill()
                if not in_use or attempt == 2:
                    raise

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"JupyterLab exited with status {self.proc.returncode} before answering "
                    f"on port {self.port}; its log ends:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/api/status", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"JupyterLab did not answer on {self.url}/api/status within "
                    f"{self.startup_timeout:.0f} s; its log ends:\n{self.log_tail()}")
            time.sleep(0.1)

    def _kill(self) -> None:
        """Stop the server and its kernels (one process group: the session it leads)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            # the server's own shutdown stops its kernels cleanly
            try:
                req = urllib.request.Request(self.url + "/api/shutdown", method="POST")
                urllib.request.urlopen(req, timeout=5).close()
                proc.wait(timeout=10)
            except (urllib.error.URLError, OSError, subprocess.TimeoutExpired):
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)     # the group this Popen started, nothing else
            except (ProcessLookupError, PermissionError):
                break
            try:
                proc.wait(timeout=5)
                # kernels may outlive the server by a moment: a last look at the group
                os.killpg(proc.pid, 0)
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                break

    def stop(self) -> None:
        """Shut the server (and its kernels) down and remove its temporary folder."""
        self._kill()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


# --------------------------------------------------------------------------------------
# The page's side: small functions installed into every page
# --------------------------------------------------------------------------------------

_PAGE_HELPERS = r"""
window.__nlab = {
  panel(path) {
    const app = window.jupyterapp;
    if (!app) return null;
    for (const w of app.shell.widgets('main')) {
      if (w.context && w.context.path === path && w.content && w.content.model) return w;
    }
    return null;
  },
  kernel(path) {
    const p = this.panel(path);
    const s = p && p.sessionContext && p.sessionContext.session;
    return s ? s.kernel : null;
  },
  dialog() {
    const d = document.querySelector('.jp-Dialog');
    return d ? d.innerText.replace(/\s+/g, ' ').trim() : null;
  },
  prompts(path) {
    const p = this.panel(path);
    return p ? Array.from(p.content.widgets)
                .filter(c => c.model.type === 'code')
                .map(c => {
                  // a cell a windowed notebook has not rendered (yet) has no prompt node;
                  // the cell keeps its prompt ('*' while queued or running) in `prompt`
                  const n = c.node.querySelector('.jp-InputPrompt');
                  return n ? n.textContent.trim() : `[${c.prompt ?? ''}]:`;
                })
             : [];
  },
  cellIndex(node) {
    const cell = node.closest('.jp-Cell');
    const nb = node.closest('.jp-Notebook');
    return cell && nb ? Array.from(nb.querySelectorAll('.jp-Cell')).indexOf(cell) : -1;
  },
  hash(data) {              // FNV-1a over 32-bit words
    let h = 2166136261 >>> 0;
    const w = new Uint32Array(data.buffer, data.byteOffset, data.byteLength >> 2);
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 16777619) >>> 0;
    return h.toString(16) + ':' + w.length;
  },
  figures(root) {           // the figure elements of an explorer: images and canvases
    return Array.from(root.querySelectorAll('img, canvas'))
                .filter(e => !e.closest('.widget-slider'));
  },
  shown(e) {                // a loaded image, a canvas with pixels (not 0x0)
    return e.tagName === 'IMG' ? e.complete && e.naturalWidth > 0
                               : e.width > 0 && e.height > 0;
  },
  signature(root) {         // null while an image is still loading
    const parts = [];
    for (const e of this.figures(root)) {
      if (e.tagName === 'IMG') {
        if (!e.complete || !e.naturalWidth) return null;
        parts.push(e.src);
      } else {
        if (!e.width || !e.height) { parts.push('empty'); continue; }
        try {
          const ctx = e.getContext('2d');
          parts.push(ctx ? this.hash(ctx.getImageData(0, 0, e.width, e.height).data)
                         : 'nocontext');
        } catch (err) { parts.push('unreadable:' + err); }
      }
    }
    return parts.join('|');
  },
  watch(root) {             // records each change of the figure, and the mouse release
    const w = {changes: [], up: null, done: false, base: null};
    const self = this;
    let last = self.signature(root);   // null while an image loads: next frame
    w.base = last;
    const onUp = (e) => { if (w.up === null) w.up = e.timeStamp; };
    window.addEventListener('mouseup', onUp, {capture: true});
    const tick = () => {
      if (w.done) { window.removeEventListener('mouseup', onUp, {capture: true}); return; }
      const s = self.signature(root);
      if (s !== null) {
        if (last === null) { last = s; w.base = s; }
        else if (s !== last) { w.changes.push(performance.now()); last = s; }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    return w;
  },
};
"""

_ERRORS_JS = r"""
(path) => {
  const p = window.__nlab.panel(path);
  if (!p) return null;
  const strip = s => String(s).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  const out = [];
  const cells = p.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type !== 'code') continue;
    for (const o of c.outputs.toJSON()) {
      if (o.output_type === 'error')
        out.push({cell: i, where: 'output', ename: o.ename, evalue: strip(o.evalue),
                  text: strip((o.traceback || []).join('\n'))});
    }
  }
  // what the page shows beyond the notebook's own outputs: tracebacks inside widgets'
  // Output areas (an explorer's callback failing), widgets that could not be displayed
  const seen = new Set(out.map(e => e.cell));
  for (const node of p.content.node.querySelectorAll(
         '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) {
    const text = strip(node.textContent);
    const i = window.__nlab.cellIndex(node);
    if (text.includes('Traceback') && !seen.has(i))
      out.push({cell: i, where: 'widget output', ename: '', evalue: '', text: text});
  }
  for (const node of p.content.node.querySelectorAll('.widget-error, .jp-OutputArea-output')) {
    const text = node.textContent.trim();
    if (node.classList.contains('widget-error')
        || /^(Error displaying widget|Error rendering|Failed to load)/.test(text))
      out.push({cell: window.__nlab.cellIndex(node), where: 'widget', ename: '',
                evalue: '', text: text.slice(0, 500)});
  }
  return out;
}
"""


# --------------------------------------------------------------------------------------
# Browser, notebook, explorer
# --------------------------------------------------------------------------------------

@dataclass
class CellError:
    """One error a cell shows: ``cell`` is the cell's index in the notebook (0-based,
    markdown cells counted), ``where`` 'output' (the cell's own error output), 'widget
    output' (a traceback inside a widget's Output area) or 'widget' (a widget the page
    could not display)."""
    cell: int
    where: str
    ename: str
    evalue: str
    text: str

    def __str__(self) -> str:
        lines = self.text.strip().splitlines()
        head = f"{self.ename}: {self.evalue}" if self.ename else (lines[-1] if lines else "")
        return f"cell {self.cell} ({self.where}): {head}"


@dataclass
class DragResult:
    """What one drag did. Times in seconds, from the mouse release.

    ``latency_s``: release -> last change of the figure's pixels (0 when the figure
    already showed the final state at the release); ``first_change_s``: release -> first
    change after the release (None when every change came during the drag);
    ``changes_during_drag`` / ``changes_after_release``: how many times the figure changed;
    ``value_before`` / ``value_after``: the slider's readout; ``pixels_changed``: the
    screenshots of the figure before and after differ."""
    slider: str
    value_before: str
    value_after: str
    latency_s: float
    first_change_s: float | None
    changes_during_drag: int
    changes_after_release: int
    pixels_changed: bool


def _images_differ(a: bytes, b: bytes) -> bool:
    from PIL import Image, ImageChops

    ia, ib = Image.open(io.BytesIO(a)).convert("RGB"), Image.open(io.BytesIO(b)).convert("RGB")
    return ia.size != ib.size or ImageChops.difference(ia, ib).getbbox() is not None


class Explorer:
    """A cell whose output shows ipywidgets sliders and a figure."""

    def __init__(self, notebook: "Notebook", cell: int):
        self.notebook = notebook
        self.cell = cell
        self.page = notebook.page
        self.area = notebook.cell_locator(cell).locator(".jp-Cell-outputArea")
        self.sliders = self.area.locator(".widget-slider")
        self.figures = self.area.locator("img, canvas")

    def __repr__(self) -> str:
        return f"Explorer(cell={self.cell}, sliders={self.slider_names()})"

    def slider_names(self) -> list[str]:
        return [s.strip() for s in self.sliders.locator(".widget-label").all_text_contents()]

    def _screens(self) -> list[bytes]:
        shots = []
        for i in range(self.figures.count()):
            fig = self.figures.nth(i)
            if fig.is_visible():
                shots.append(fig.screenshot(animations="disabled"))
        return shots

    def drag(self, slider: int | str = 0, *, fraction: float = 0.25, steps: int = 8,
             timeout: float = 30.0, settle_s: float = 0.5) -> DragResult:
        """Drag slider ``slider`` (index or label) by ``fraction`` of its track with the
        mouse (down on the handle, ``steps`` moves, up), towards the side with more room;
        wait until the figure has changed, the kernel is idle and nothing changed for
        ``settle_s``; return a :class:`DragResult`. HarnessError (with what the page
        showed) when the slider does not move or the figure does not change within
        ``timeout`` seconds."""
        if not 0 < fraction <= 1:
            raise ValueError(f"fraction={fraction!r}: allowed 0 < fraction <= 1")
        names = self.slider_names()
        if isinstance(slider, str):
            if slider not in names:
                raise ValueError(f"slider={slider!r}: this explorer's sliders are {names}")
            slider = names.index(slider)
        if not 0 <= slider < len(names):
            raise ValueError(f"slider={slider!r}: this explorer has {len(names)} sliders")
        s = self.sliders.nth(slider)
        handle, track = s.locator(".noUi-handle"), s.locator(".noUi-base")
        readout = s.locator(".widget-readout")
        # screenshots scroll their element into view: take them before placing the mouse
        before_shots = self._screens()
        value_before = readout.text_content().strip()
        # the explorer's top (its sliders) at the top of the notebook's view, so that as
        # much of the figure as fits is on screen too
        s.evaluate("(e) => e.scrollIntoView({block: 'start', inline: 'nearest'})")
        hb, tb = handle.bounding_box(), track.bounding_box()
        view = self.page.viewport_size
        if (hb is None or tb is None or not 0 <= hb["y"] <= view["height"] - hb["height"]
                or not 0 <= tb["x"] <= tb["x"] + tb["width"] <= view["width"]):
            raise HarnessError(f"slider {names[slider]!r} of cell {self.cell} is not within "
                               f"the window (handle {hb}, track {tb}, window {view})")
        x0, y0 = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
        room_right = tb["x"] + tb["width"] - x0
        dx = fraction * tb["width"] * (1 if room_right >= tb["width"] / 2 else -1)

        area = self.area.element_handle()
        watch = self.page.evaluate_handle("(root) => window.__nlab.watch(root)", area)
        try:
            # the watcher's first frame fixes the baseline before the mouse moves
            self.page.wait_for_function("(w) => w.base !== null", arg=watch,
                                        timeout=timeout * 1000)
            mouse = self.page.mouse
            mouse.move(x0, y0)
            mouse.down()
            for k in range(1, steps + 1):
                mouse.move(x0 + dx * k / steps, y0)
            mouse.up()
            try:
                self.page.wait_for_function(
                    "([e, v]) => e.textContent.trim() !== v",
                    arg=[readout.element_handle(), value_before], timeout=5000)
            except Exception:
                raise HarnessError(f"{self.notebook.path}: dragging slider {names[slider]!r} "
                                   f"of cell {self.cell} with the mouse left its value at "
                                   f"{value_before}") from None
            self.notebook._wait(
                """([w, path, settle]) => {
                     if (w.up === null) return null;
                     const after = w.changes.filter(t => t >= w.up);
                     const changed = w.changes.length > 0;
                     const k = window.__nlab.kernel(path);
                     const last = changed ? Math.max(w.changes[w.changes.length - 1], w.up)
                                          : w.up;
                     if (!changed || !k || k.status !== 'idle') return null;
                     return performance.now() - last >= settle ? {ok: true} : null;
                   }""",
                [watch, self.notebook.path, settle_s * 1000], timeout,
                f"the figure of cell {self.cell} to change after dragging slider "
                f"{names[slider]!r} from {value_before}")
            rec = self.page.evaluate(
                "(w) => { w.done = true; return {up: w.up, changes: w.changes}; }", watch)
        finally:
            with contextlib.suppress(Exception):
                self.page.evaluate("(w) => { w.done = true; }", watch)
            watch.dispose()
        value_after = readout.text_content().strip()
        up, changes = rec["up"], rec["changes"]
        during = [t for t in changes if t < up]
        after = [t for t in changes if t >= up]
        after_shots = self._screens()
        pixels_changed = (len(before_shots) != len(after_shots)
                          or any(_images_differ(a, b)
                                 for a, b in zip(before_shots, after_shots)))
        return DragResult(
            slider=names[slider], value_before=value_before, value_after=value_after,
            latency_s=max(0.0, (changes[-1] - up) / 1000.0),
            first_change_s=(after[0] - up) / 1000.0 if after else None,
            changes_during_drag=len(during), changes_after_release=len(after),
            pixels_changed=pixels_changed)


    # ------------------------------------------------------------ fast drags, pixels
    def _slider_geometry(self, slider: int | str):
        names = self.slider_names()
        if isinstance(slider, str):
            if slider not in names:
                raise ValueError(f"slider={slider!r}: this explorer's sliders are {names}")
            slider = names.index(slider)
        if not 0 <= slider < len(names):
            raise ValueError(f"slider={slider!r}: this explorer has {len(names)} sliders")
        s = self.sliders.nth(slider)
        view = self.page.viewport_size
        for _ in range(5):
            # a windowed notebook lays out the cells it scrolls past anew, which can move
            # the slider again: scroll until it stays in the window
            s.evaluate("(e) => e.scrollIntoView({block: 'center', inline: 'nearest'})")
            self.page.evaluate("() => new Promise(r => requestAnimationFrame("
                               "() => requestAnimationFrame(r)))")
            hb = s.locator(".noUi-handle").bounding_box()
            tb = s.locator(".noUi-base").bounding_box()
            inside = (hb is not None and tb is not None
                      and 0 <= hb["y"] <= view["height"] - hb["height"]
                      and 0 <= tb["x"] <= tb["x"] + tb["width"] <= view["width"])
            if inside:
                break
        if not inside:
            raise HarnessError(f"slider {names[slider]!r} of cell {self.cell} is not within "
                               f"the window (handle {hb}, track {tb}, window {view})")
        return names[slider], hb, tb

    def fling(self, slider: int | str = 0, *, sweeps: int = 2, moves: int = 30,
              pause_s: float = 0.0, busy_s: float = 0.0, end: float = 0.37) -> str:
        """Drag slider ``slider`` (index or label) back and forth fast, as an impatient
        person does and faster: mouse down on its handle, ``sweeps`` passes between the
        ends of its track (``moves`` mouse moves each, ``pause_s`` seconds between two
        moves: 1/60 is a mouse's pace, 0 as fast as the browser takes them), then to
        ``end`` (a fraction of the track) and up. ``busy_s`` > 0: at the end of each pass
        the page's main thread is kept busy that long, as on a slow or loaded computer
        (the kernel's messages wait meanwhile, then arrive together). Waits for nothing
        the kernel does; returns the slider's readout after the release."""
        if sweeps < 1 or moves < 1 or pause_s < 0 or busy_s < 0 or not 0 <= end <= 1:
            raise ValueError(f"sweeps={sweeps!r}, moves={moves!r}, pause_s={pause_s!r}, "
                             f"busy_s={busy_s!r}, end={end!r}: allowed sweeps >= 1, "
                             f"moves >= 1, pause_s >= 0, busy_s >= 0, 0 <= end <= 1")
        name, hb, tb = self._slider_geometry(slider)
        x0, y = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
        left, right = tb["x"] + 1, tb["x"] + tb["width"] - 1
        targets = [right if k % 2 == 0 else left for k in range(sweeps)]
        targets.append(left + end * (right - left))
        mouse = self.page.mouse
        mouse.move(x0, y)
        mouse.down()
        x = x0
        for target in targets:
            for k in range(1, moves + 1):
                mouse.move(x + (target - x) * k / moves, y)
                if pause_s:
                    self.page.wait_for_timeout(pause_s * 1000)
            x = target
            if busy_s:
                self.page.evaluate("(ms) => { const t = performance.now();"
                                   " while (performance.now() - t < ms) {} }", busy_s * 1000)
        mouse.up()
        readout = self.sliders.nth(self.slider_names().index(name)).locator(".widget-readout")
        return readout.text_content().strip()

    def wait_still(self, *, settle_s: float = 1.0, timeout: float = 120.0) -> None:
        """Wait until the notebook's kernel is idle and the explorer's figure has not
        changed for ``settle_s`` seconds (HarnessError after ``timeout`` seconds)."""
        area = self.area.element_handle()
        watch = self.page.evaluate_handle("(root) => window.__nlab.watch(root)", area)
        try:
            self.notebook._wait(
                """([w, path, settle]) => {
                     if (w.base === null) return null;
                     if (w.start === undefined) w.start = performance.now();
                     const k = window.__nlab.kernel(path);
                     if (!k || k.status !== 'idle') { w.start = performance.now(); return null; }
                     const last = w.changes.length ? Math.max(w.changes[w.changes.length - 1],
                                                              w.start) : w.start;
                     return performance.now() - last >= settle ? {ok: true} : null;
                   }""",
                [watch, self.notebook.path, settle_s * 1000], timeout,
                f"the figure of cell {self.cell} to stay unchanged for {settle_s:g} s")
        finally:
            with contextlib.suppress(Exception):
                self.page.evaluate("(w) => { w.done = true; }", watch)
            watch.dispose()

    def canvas_png(self) -> bytes:
        """The pixels of the explorer's ipympl canvas (the one the figure is drawn on, not
        the overlay above it), as the PNG that ``canvas.toDataURL()`` gives.
        HarnessError when the explorer shows no ipympl canvas."""
        url = self.area.evaluate(
            """(root) => {
                 const c = root.querySelector('.jupyter-matplotlib-canvas-div canvas');
                 return c && c.width && c.height ? c.toDataURL('image/png') : null;
               }""")
        if url is None:
            raise HarnessError(f"{self.notebook.path}: cell {self.cell} shows no ipympl canvas")
        return base64.b64decode(url.split(",", 1)[1])

    def model_id(self) -> str:
        """The id of the widget model the cell displays (its ``widget-view+json``
        output), the kernel's ``widget.model_id``."""
        mid = self.page.evaluate(
            """([path, i]) => {
                 const p = window.__nlab.panel(path);
                 for (const o of p.content.model.cells.get(i).outputs.toJSON()) {
                   const v = o.data && o.data['application/vnd.jupyter.widget-view+json'];
                   if (v) return v.model_id;
                 }
                 return null;
               }""", [self.notebook.path, self.cell])
        if mid is None:
            raise HarnessError(f"{self.notebook.path}: cell {self.cell} displays no widget")
        return mid

    def scroll_to_top(self, *, timeout: float = 30.0) -> dict:
        """Scroll the notebook so that the top of the explorer's output is at the top of
        the notebook's view (or the notebook is scrolled to its end), then return
        :meth:`boxes`. A windowed notebook lays out the cells it scrolls past anew, which
        moves the output again: scroll until it stays put for a few frames."""
        self.notebook._wait(
            """(root) => {
                 const view = root.closest('.jp-WindowedPanel-outer, .jp-Notebook');
                 const d = root.getBoundingClientRect().y - view.getBoundingClientRect().y;
                 const end = view.scrollTop + view.clientHeight >= view.scrollHeight - 1;
                 if (Math.abs(d) > 1 && !(d > 0 && end)) {
                   root.scrollIntoView({block: 'start', inline: 'nearest'});
                   root.__nlabStill = 0;
                   return null;
                 }
                 root.__nlabStill = (root.__nlabStill || 0) + 1;
                 return root.__nlabStill >= 10 ? {ok: true} : null;
               }""", self.area.element_handle(), timeout,
            f"the output of cell {self.cell} to stay at the top of the notebook's view")
        return self.boxes()

    def boxes(self) -> dict:
        """Bounding boxes (CSS pixels, in the window) of the figure (its canvas or image)
        and of each slider, keyed ``"figure"`` and the sliders' labels, and of the part
        of the window where the notebook shows cells (``"notebook"``)."""
        return self.area.evaluate(
            """(root) => {
                 const box = (e) => { const r = e.getBoundingClientRect();
                   return {x: r.x, y: r.y, width: r.width, height: r.height}; };
                 const out = {};
                 const figs = window.__nlab.figures(root).filter(e => window.__nlab.shown(e));
                 if (figs.length) out.figure = box(figs[0]);
                 for (const s of root.querySelectorAll('.widget-slider')) {
                   const label = s.querySelector('.widget-label');
                   out[label ? label.textContent.trim() : '?'] = box(s);
                 }
                 const nb = root.closest('.jp-WindowedPanel-outer, .jp-Notebook');
                 if (nb) out.notebook = box(nb);
                 return out;
               }""")


class Notebook:
    """A notebook open in a JupyterLab tab (see :meth:`Browser.open`)."""

    def __init__(self, browser: "Browser", page, path: str):
        self.browser = browser
        self.page = page
        self.path = path

    # the page's state, for error messages
    def _state(self) -> str:
        try:
            state = self.page.evaluate(
                """(path) => {
                     const k = window.__nlab && window.__nlab.kernel(path);
                     return {kernel: k ? k.status : 'none',
                             prompts: window.__nlab ? window.__nlab.prompts(path) : [],
                             dialog: window.__nlab ? window.__nlab.dialog() : null};
                   }""", self.path)
        except Exception as exc:     # the page itself may be gone
            return f"(page state unreadable: {exc})"
        text = f"kernel {state['kernel']}, code-cell prompts {state['prompts']}"
        if state["dialog"]:
            text += f", a dialog shows: {state['dialog']!r}"
        return text

    def _wait(self, predicate: str, arg, timeout: float, what: str):
        """Wait until the JS ``predicate(arg)`` returns a truthy value; a dialog on the page
        ends the wait early. HarnessError naming ``what`` and the page state on timeout."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        wrapped = f"""([arg, inner]) => {{
            const dialog = window.__nlab && window.__nlab.dialog();
            if (dialog) return {{dialog}};
            return (0, eval)('(' + inner + ')')(arg);
        }}"""
        try:
            result = self.page.wait_for_function(wrapped, arg=[arg, predicate],
                                                 timeout=timeout * 1000, polling="raf")
        except PlaywrightTimeout:
            raise HarnessError(f"{self.path}: waited {timeout:.0f} s for {what}; "
                               f"{self._state()}") from None
        value = result.json_value()
        if isinstance(value, dict) and value.get("dialog"):
            raise HarnessError(f"{self.path}: while waiting for {what}, JupyterLab showed a "
                               f"dialog: {value['dialog']!r}")
        return value

    def cell_locator(self, index: int):
        return self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)

    def wait_kernel_idle(self, timeout: float = 120.0) -> None:
        """Wait until the notebook's kernel has started and is idle."""
        self._wait("(path) => { const k = window.__nlab.kernel(path);"
                   " return k && k.status === 'idle'; }",
                   self.path, timeout, "the kernel to start and be idle")

    def run_all(self, timeout: float = 300.0) -> float:
        """Run > Run All Cells from the menu bar, wait until no cell is queued or running
        and the kernel is idle; returns the seconds it took. An error in a cell stops
        the run there (JupyterLab's behaviour): read :meth:`errors` afterwards."""
        self.wait_kernel_idle()
        self.page.evaluate(
            """(path) => { const k = window.__nlab.kernel(path);
                 window.__nlabBusy = false;
                 k.statusChanged.connect((_, s) => { if (s === 'busy') window.__nlabBusy = true; });
               }""", self.path)
        t0 = time.monotonic()
        self.page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        self.page.locator('li[data-command="runmenu:run-all"]').click()
        self._wait("""(path) => window.__nlabBusy
                        && window.__nlab.kernel(path).status === 'idle'
                        && !window.__nlab.prompts(path).some(p => p.includes('*'))""",
                   self.path, timeout, "Run All Cells to finish")
        return time.monotonic() - t0

    def execute(self, code: str, *, timeout: float = 120.0) -> str:
        """Run ``code`` in the notebook's kernel (not in a cell: nothing shows on the
        page, the history is not kept) and return what it printed. HarnessError with the
        traceback when it raises, or after ``timeout`` seconds."""
        got = self.page.evaluate(
            """async ([path, code, ms]) => {
                 const k = window.__nlab.kernel(path);
                 if (!k) return {error: 'no kernel'};
                 const future = k.requestExecute({code, silent: false, store_history: false,
                                                  allow_stdin: false, stop_on_error: false});
                 const out = []; let error = null;
                 future.onIOPub = (msg) => {
                   const t = msg.header.msg_type;
                   if (t === 'stream') out.push(msg.content.text);
                   else if (t === 'error') error = msg.content.traceback.join('\\n');
                 };
                 const late = new Promise(r => setTimeout(() => r('timeout'), ms));
                 if (await Promise.race([future.done.then(() => 'done'), late]) === 'timeout')
                   return {error: 'timeout'};
                 return {out: out.join(''), error};
               }""", [self.path, code, timeout * 1000])
        if got.get("error") == "timeout":
            raise HarnessError(f"{self.path}: the kernel did not finish within {timeout:.0f} s "
                               f"running:\n{code}")
        if got.get("error"):
            text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", got["error"])
            raise HarnessError(f"{self.path}: the kernel raised running:\n{code}\n{text}")
        return got["out"]

    def errors(self) -> list[CellError]:
        """Every error the notebook shows: error outputs of cells, tracebacks inside
        widgets' Output areas, widgets that could not be displayed."""
        found = self.page.evaluate(_ERRORS_JS, self.path)
        if found is None:
            raise HarnessError(f"{self.path} is no longer open in JupyterLab")
        return [CellError(**e) for e in found]

    def explorers(self, *, expected: int | None = None, timeout: float = 30.0
                  ) -> list[Explorer]:
        """The cells whose output shows ipywidgets sliders, in notebook order. With
        ``expected``, first wait (up to ``timeout`` s) until that many such cells show
        their sliders and a figure (widget views render after the cell has run)."""
        js_cells = """(path) => {
            const p = window.__nlab.panel(path);
            const cells = Array.from(p.content.node.querySelectorAll('.jp-Cell'));
            return cells.map((c, i) => {
                const area = c.querySelector('.jp-Cell-outputArea');
                const figs = area ? window.__nlab.figures(area) : [];
                return [i, area ? area.querySelectorAll('.widget-slider').length : 0,
                        figs.length, figs.filter(e => window.__nlab.shown(e)).length];
            }).filter(([i, s, f, v]) => s > 0);
        }"""
        if expected is not None:
            try:
                self._wait(f"(path) => {{ const r = ({js_cells})(path);"
                           f" return r.length >= {int(expected)}"
                           f" && r.every(([i, s, f, v]) => v > 0); }}",
                           self.path, timeout,
                           f"{expected} explorer(s) to show sliders and a figure")
            except HarnessError as exc:
                cells = self.page.evaluate(js_cells, self.path)
                raise HarnessError(f"{exc}; {self._describe(cells)}") from None
        cells = self.page.evaluate(js_cells, self.path)
        if any(v == 0 for _, _, _, v in cells):
            raise HarnessError(f"{self.path}: {self._describe(cells)}")
        return [Explorer(self, i) for i, _, _, _ in cells]

    def _describe(self, cells) -> str:
        parts = []
        for i, sliders, figures, shown in cells:
            what = ("no figure" if figures == 0 else "an empty figure (a 0x0 canvas or a "
                    "broken image)" if shown == 0 else f"{shown} figure(s)")
            parts.append(f"cell {i} shows {sliders} slider(s) and {what}")
        text = "; ".join(parts) or "no cell shows sliders"
        console = [c for c in self.browser.console_errors
                   if c.startswith(self.path + ":")][-5:]
        if console:
            text += "; the browser console's last errors: " + " | ".join(console)
        return text


# Playwright's sync API allows one running instance per thread: browsers share it
_playwright = {"instance": None, "users": 0}


def _playwright_acquire():
    from playwright.sync_api import sync_playwright

    if _playwright["instance"] is None:
        _playwright["instance"] = sync_playwright().start()
    _playwright["users"] += 1
    return _playwright["instance"]


def _playwright_release() -> None:
    _playwright["users"] -= 1
    if _playwright["users"] <= 0:
        instance, _playwright["instance"], _playwright["users"] = _playwright["instance"], None, 0
        if instance is not None:
            with contextlib.suppress(Exception):
                instance.stop()


class Browser:
    """Headless Chromium driven by Playwright, for one :class:`JupyterLab`; use as a
    context manager. :attr:`requests` lists every URL its pages requested."""

    def __init__(self, lab: JupyterLab, *, viewport=(1400, 1200), timeout: float = 30.0):
        self.lab = lab
        self.viewport = viewport
        self.timeout = float(timeout)
        self.requests: list[str] = []
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self._pw = self._browser = self._context = None

    def __enter__(self) -> "Browser":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        executable = chromium_path()
        try:
            self._pw = _playwright_acquire()
        except ImportError as exc:
            raise HarnessError("the `playwright` package is missing: pip install -e "
                               "\".[dev]\" installs it") from exc
        self._browser = self._pw.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox",
                  # any name but the local ones fails to resolve: no silent downloads
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, "
                  "EXCLUDE 127.0.0.1"])
        self._context = self._browser.new_context(
            viewport={"width": self.viewport[0], "height": self.viewport[1]})
        self._context.set_default_timeout(self.timeout * 1000)
        self._context.add_init_script(_PAGE_HELPERS)
        self._context.on("request", lambda r: self.requests.append(r.url))

    def close(self) -> None:
        """Close the browser and Playwright (safe to call twice, or after a failed start)."""
        for obj in (self._context, self._browser):
            if obj is not None:
                with contextlib.suppress(Exception):
                    obj.close()
        if self._pw is not None:
            _playwright_release()
        self._pw = self._browser = self._context = None

    def foreign_requests(self, since: int = 0) -> list[str]:
        """Requested URLs whose host is not 127.0.0.1/localhost (data:/blob: URLs are
        in-page, not network), among ``requests[since:]``."""
        out = []
        for url in self.requests[since:]:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                out.append(url)
        return out

    def open(self, notebook: os.PathLike | str, *, timeout: float = 120.0) -> Notebook:
        """Open ``notebook`` (a path inside the lab's root, or absolute under it) in a new
        page with a fresh workspace, and wait until its kernel is idle."""
        path = Path(notebook)
        if path.is_absolute():
            try:
                path = path.resolve().relative_to(self.lab.root)
            except ValueError:
                raise ValueError(f"notebook={str(notebook)!r} is not under the lab's root "
                                 f"{self.lab.root}") from None
        if not (self.lab.root / path).is_file():
            raise ValueError(f"notebook={str(notebook)!r}: no such file under {self.lab.root}")
        rel = path.as_posix()
        page = self._context.new_page()
        page.on("pageerror", lambda exc: self.page_errors.append(f"{rel}: {exc}"))
        page.on("console", lambda m: self.console_errors.append(f"{rel}: {m.text[:300]}")
                if m.type == "error" else None)
        # ?reset: start from an empty workspace, nothing restored from an earlier page
        page.goto(f"{self.lab.url}/lab/tree/{quote(rel)}?reset", wait_until="load",
                  timeout=timeout * 1000)
        nb = Notebook(self, page, rel)
        nb._wait("(path) => !!window.__nlab.panel(path)", rel, timeout,
                 "JupyterLab to show the notebook")
        nb.wait_kernel_idle(timeout)
        return nb


def measure_slider_latency(notebook: os.PathLike | str, *, repeats: int = 5,
                           explorer: int = 0, slider: int | str = 0,
                           fraction: float = 0.25, lab: JupyterLab | None = None,
                           run_timeout: float = 300.0) -> list[DragResult]:
    """Open ``notebook``, Run All Cells, then drag slider ``slider`` of explorer
    ``explorer`` ``repeats`` times (alternating direction, each drag waited out) and return
    the :class:`DragResult` of each. Starts (and stops) its own JupyterLab unless ``lab``
    is given. HarnessError when a cell shows an error or the notebook has no explorer."""
    if repeats < 1:
        raise ValueError(f"repeats={repeats!r}: allowed an integer >= 1")
    with contextlib.ExitStack() as stack:
        if lab is None:
            lab = stack.enter_context(JupyterLab())
        browser = stack.enter_context(Browser(lab))
        nb = browser.open(notebook)
        nb.run_all(run_timeout)
        errors = nb.errors()
        if errors:
            raise HarnessError(f"{nb.path}: " + "; ".join(map(str, errors)))
        found = nb.explorers(expected=explorer + 1)
        results = []
        for _ in range(repeats):
            results.append(found[explorer].drag(slider, fraction=fraction))
        return results
