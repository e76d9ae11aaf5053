"""Live explorers: sliders that redraw a figure in place while they are dragged.

A :class:`LiveExplorer` draws its figure once, on an ipympl canvas (``ipympl``, the
JupyterLab matplotlib widget), and on every update only replaces the data of the artists it
made (lines, the raster's one collection, the histogram's step patch, texts); the canvas then
sends the browser a PNG of the pixels that changed, and a moment after the last update the
whole figure, so that the page ends on the figure even when it dropped a frame
(:attr:`LiveExplorer.settled`). No figure is built per update.

Sliders update continuously (``continuous_update=True``) and updates are *throttled*: a
slider change only marks the explorer stale and, if no update is already scheduled, asks
the kernel's event loop for one ``throttle_s`` seconds after the previous update ended.
Changes that arrive meanwhile (while a simulation runs, the kernel reads the browser's
messages only afterwards) find an update already scheduled and are dropped; the scheduled
update reads the sliders when it runs, so it always shows the newest values and the last
one is never lost. Without a running event loop (a plain script, :meth:`LiveExplorer.set`)
an update runs at once.

Explorers here:

- :func:`neuron_explorer` (course lesson 1): one LIF neuron driven by a constant current or
  by Poisson input; the membrane potential ``v(t)`` and the f-I curve (closed form) with the
  current point, simulated and closed form.
- :func:`stdp_explorer` (course lesson 4): one conductance-based LIF neuron learning from
  correlated and independent Poisson inputs under additive pair STDP (all-to-all pairing);
  the STDP window, the spike raster, the weight trajectories and the final weight histogram,
  with the output rate.

Every simulation is a run of :class:`neurolab.Network`: the numba kernel is compiled (or
loaded from numba's cache) when an explorer is opened, by its first update. Figures for
files come from :mod:`neurolab.plotting` in the notebook, never from an explorer (papermill
does not keep widget state). ipywidgets and ipympl are imported only when an explorer is
made; without ipympl an explorer falls back to sending whole PNG images (``backend="image"``,
slower) with a warning, or raises ``ImportError`` when ``backend="ipympl"`` was asked for.

Room: ``neurolab.course``. May import: the package (``import neurolab``) and every room below
it; ipywidgets and ipympl are imported when an explorer is made.
"""

from __future__ import annotations

import asyncio
import io
import math
import numbers
import time
import warnings
from dataclasses import dataclass
from collections.abc import Callable, Mapping

import numpy as np

from .. import plotting
from ..base.errors import require

__all__ = ["Control", "LiveExplorer", "neuron_explorer", "stdp_explorer", "stdp_run",
           "STDPRun", "HandReading", "lif_rate", "correlated_inputs", "BACKENDS",
           "SONG_ABBOTT_NEURON"]

#: how an explorer puts its figure on the page: "auto" (ipympl when importable, else
#: "image"), "ipympl" (a live canvas, updated in place) or "image" (a whole PNG per update)
BACKENDS = ("auto", "ipympl", "image")


# --------------------------------------------------------------------------- controls
@dataclass(frozen=True)
class Control:
    """One slider: ``value`` within ``[lo, hi]`` in steps of ``step``; ``unit`` is shown
    after the label; ``integer`` makes an integer slider (e.g. a seed); ``label`` defaults
    to ``name``. Raises ``ValueError`` naming the control when the range is empty, the
    step not positive or the value outside the range."""

    name: str
    value: float
    lo: float
    hi: float
    step: float
    unit: str = ""
    integer: bool = False
    label: str | None = None
    fmt: str | None = None

    def __post_init__(self):
        for field in ("value", "lo", "hi", "step"):
            v = getattr(self, field)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(v):
                raise ValueError(f"{self.name}: {field} must be a finite number, got {v!r}")
        if not self.lo < self.hi:
            raise ValueError(f"{self.name}: the range must have lo < hi, got "
                             f"lo={self.lo!r}, hi={self.hi!r}")
        if not self.step > 0:
            raise ValueError(f"{self.name}: step must be > 0, got {self.step!r}")
        if not self.lo <= self.value <= self.hi:
            raise ValueError(f"{self.name} must be within [{self.lo!r}, {self.hi!r}]"
                             f"{' ' + self.unit if self.unit else ''}, got {self.value!r}")

    def take(self, value):
        """``value`` as this slider holds it (an int for an integer slider), else an
        error naming the slider, the value and what it allows: ``TypeError`` for what is
        not a number, ``ValueError`` for a number outside ``[lo, hi]`` (or NaN) and for a
        fraction on an integer slider (ipywidgets would truncate it silently)."""
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            kind = "a whole number" if self.integer else "a number"
            raise TypeError(f"{self.name} must be {kind} within [{self.lo!r}, {self.hi!r}], "
                            f"got {value!r} of type {type(value).__name__}")
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{self.name} must be within [{self.lo!r}, {self.hi!r}], "
                             f"got {value!r}")
        if self.integer:
            if value != math.floor(value):
                raise ValueError(f"{self.name} must be a whole number within "
                                 f"[{self.lo!r}, {self.hi!r}], got {value!r}")
            return int(value)
        return float(value)

    def slider(self):
        W = require("ipywidgets", "course", "a slider explorer")

        label = (self.label or self.name) + (f" ({self.unit})" if self.unit else "")
        common = dict(description=label, continuous_update=True,
                      style={"description_width": "120px"}, layout=W.Layout(width="380px"))
        if self.integer:
            return W.IntSlider(value=int(self.value), min=int(self.lo), max=int(self.hi),
                               step=max(1, int(self.step)), **common)
        fmt = self.fmt or (".4f" if self.step < 0.001 else ".3f" if self.step < 0.01
                           else ".2f" if self.step < 0.1 else ".1f")
        return W.FloatSlider(value=float(self.value), min=float(self.lo), max=float(self.hi),
                             step=float(self.step), readout_format=fmt, **common)


def _controls(defaults: Mapping[str, tuple], values: Mapping[str, float],
              ranges: Mapping[str, tuple] | None) -> dict:
    """Controls from ``defaults`` (name -> (lo, hi, step, unit[, integer])) with the starting
    ``values`` and ``ranges`` (name -> (lo, hi) or (lo, hi, step)) overriding the defaults."""
    ranges = dict(ranges or {})
    unknown = sorted(set(ranges) - set(defaults))
    if unknown:
        raise ValueError(f"ranges: unknown slider(s) {unknown}; allowed: {sorted(defaults)}")
    out = {}
    for name, spec in defaults.items():
        lo, hi, step, unit, *rest = spec
        if name in ranges:
            r = ranges[name]
            if not isinstance(r, (tuple, list)) or len(r) not in (2, 3):
                raise ValueError(f"ranges[{name!r}] must be (lo, hi) or (lo, hi, step), "
                                 f"got {r!r}")
            lo, hi = r[0], r[1]
            step = r[2] if len(r) == 3 else step
        out[name] = Control(name, values[name], lo, hi, step, unit,
                            integer=bool(rest and rest[0]))
    return out


# --------------------------------------------------------------------------- canvas
#: seconds after the last changed-pixel frame that an ipympl explorer sends the browser its
#: whole figure (see ``_ipympl_canvas``); longer than the pause between the updates of a
#: moving slider, so that a drag is not slowed by whole frames
_WHOLE_FRAME_AFTER_S = 0.25


def _ipympl_canvas(fig):
    """An ipympl canvas widget for ``fig`` (not registered with pyplot: other figures of the
    notebook keep the inline backend). Raises ImportError when ipympl is missing."""
    from ipympl.backend_nbagg import Canvas, FigureManager
    from PIL import Image

    class FastCanvas(Canvas):
        """ipympl's canvas, whose PNG frames (only the changed pixels, as matplotlib's web
        backends send them) are compressed at zlib level 1 instead of 6: about a third
        less time per frame for slightly larger messages, which stay on this machine.

        A frame of changed pixels is only right on top of the previous frame, and the
        browser does not draw every frame: ipympl's page loads each frame into one image
        element, so a frame that arrives while the previous one is still loading (a busy
        page, frames in quick succession) replaces it and the previous frame's changes
        are never drawn; the page also reads the image mode (whole or changed pixels)
        when a frame has loaded, not when it arrived. Nothing is acknowledged, so the
        kernel cannot see a loss. Instead every run of changed-pixel frames is closed by
        a whole frame, :data:`_WHOLE_FRAME_AFTER_S` after the last one (later frames
        postpone it): the last frame the browser gets is then whole, and once updates
        stop it shows the figure as it is, whatever it dropped before."""

        _whole_frame = None             # the scheduled closing whole frame (a handle)

        @property
        def whole_frame_pending(self) -> bool:
            """True while a whole frame is due (changed-pixel frames were sent since
            the last whole one)."""
            return self._whole_frame is not None

        def get_diff_image(self):
            if not self._png_is_old:
                return None
            pixels = np.asarray(self.get_renderer().buffer_rgba())
            buff = pixels.view(np.uint32).squeeze(2)
            whole = (self._force_full or buff.shape != self._last_buff.shape
                     or (pixels[:, :, 3] != 255).any())
            if whole:
                self.set_image_mode("full")
                frame = buff
            else:                           # changed pixels only; the rest transparent
                self.set_image_mode("diff")
                frame = np.where(buff != self._last_buff, buff, 0)
            self._last_buff = buff.copy()
            self._force_full = False
            self._png_is_old = False
            out = io.BytesIO()
            Image.fromarray(frame.view(np.uint8).reshape(*frame.shape, 4)).save(
                out, format="png", compress_level=1)
            self._close_run(whole)
            return out.getvalue()

        def _close_run(self, whole: bool):
            """After a frame: a whole frame needs nothing more; after changed pixels,
            (re)schedule the closing whole frame."""
            if self._whole_frame is not None:
                self._whole_frame.cancel()
                self._whole_frame = None
            if whole:
                return
            loop = _running_loop()
            if loop is None:                # no event loop, no page to serve: the next
                self._force_full = True     # frame is whole instead
                return
            self._whole_frame = loop.call_later(_WHOLE_FRAME_AFTER_S, self._send_whole)

        def _send_whole(self):
            self._whole_frame = None
            self._force_full = True
            self._png_is_old = True         # the buffer is the figure as it is now
            self.manager.refresh_all()

        def close(self):
            if self._whole_frame is not None:
                self._whole_frame.cancel()
                self._whole_frame = None
            super().close()

    class WholePixelManager(FigureManager):
        """Tells the browser the canvas's size in whole pixels, the Agg buffer's size: a
        figure 9.2 inches wide at 100 dpi is 919.9999999999999 pixels wide, which
        matplotlib rounds to 920 and the browser cut to 919, dropping the figure's last
        column of pixels."""

        def resize(self, w, h, forward=True):
            super().resize(*self.canvas.get_width_height(physical=True), forward=forward)

    canvas = FastCanvas(fig)
    WholePixelManager(canvas, 0)    # gives the canvas a manager that sends its images
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    # the figure's size in CSS pixels: ipympl sets it when the canvas itself is displayed
    # (its _repr_mimebundle_); inside a box the browser would otherwise draw a 0 x 0
    # canvas until a resize round trip that the page may miss
    canvas._size = canvas.get_width_height()
    return canvas


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LiveExplorer:
    """Sliders and a figure drawn once, whose artists ``update`` changes in place.

    Parameters
    ----------
    controls : mapping name -> :class:`Control` (one slider each, in this order).
    setup : ``setup(fig) -> state``: makes the axes and artists on the empty figure ``fig``
        (once) and returns whatever ``update`` needs (typically a dict of artists).
        With a dict state, its entry ``"dynamic"`` (a list of artists) names the artists
        ``update`` changes: only they are redrawn on each update, over a saved background
        (blitting), unless an axis range changed (then the whole figure is redrawn).
    update : ``update(state, **values) -> str | None``: simulates for the slider values and
        sets the artists' data (``set_data``, ``set_offsets``, ...; never new artists);
        returns a status line shown under the sliders (e.g. the output rate) or None.
    figsize : inches. ``backend`` : one of :data:`BACKENDS`. ``throttle_s`` : seconds
        between the end of one update and the start of the next while a slider moves
        (>= 0); changes in between are dropped, the newest value is always drawn.

    Attributes: ``sliders`` (name -> ipywidgets slider), ``figure``, ``canvas``,
    ``widget`` (the ipywidgets box to display; the explorer displays itself as it),
    ``values`` (the values of the last update), ``n_updates``, ``n_changes`` (slider changes
    seen), ``history`` (values of every update), ``update_times`` (seconds each update took,
    simulate + redraw), ``update_cpu_times`` (the process's CPU seconds in each: what the
    update costs regardless of other processes' load), ``status`` (the last status line).
    """

    def __init__(self, controls: Mapping[str, Control], setup: Callable, update: Callable, *,
                 figsize=(10.0, 6.0), backend: str = "auto", throttle_s: float = 0.02,
                 dpi: float = 100.0):
        W = require("ipywidgets", "course", "a live explorer")
        import matplotlib as mpl
        from matplotlib.figure import Figure

        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if isinstance(throttle_s, bool) or not isinstance(throttle_s, (int, float)) \
                or not throttle_s >= 0 or not math.isfinite(throttle_s):
            raise ValueError(f"throttle_s must be a number of seconds >= 0, got {throttle_s!r}")
        if backend == "auto":
            try:
                import ipympl  # noqa: F401
                backend = "ipympl"
            except ImportError:
                warnings.warn("ipympl is not installed: the explorer sends a whole PNG image "
                              "per update (slower); install ipympl (the dev extra has it) "
                              "for a live canvas", stacklevel=3)
                backend = "image"
        elif backend == "ipympl":
            try:
                import ipympl  # noqa: F401
            except ImportError as err:
                raise ImportError("backend='ipympl' needs the ipympl package (the JupyterLab "
                                  "matplotlib widget), which is not installed: install "
                                  "ipympl, or use backend='image'") from err
        self.backend = backend
        self.controls = dict(controls)
        self.throttle_s = float(throttle_s)
        self._update_fn = update
        self.n_updates = 0
        self.n_changes = 0
        self.history: list[dict] = []
        self.update_times: list[float] = []
        self.update_cpu_times: list[float] = []
        self.values: dict = {}
        self.status = ""
        self._handle = None
        self._last_end = -math.inf
        self._sync = False
        #: sliders whose value was last set by hand (a drag, or assigning ``.value``), not by
        #: :meth:`set`; a graded rerun of the notebook does not repeat those moves
        self._by_hand: set[str] = set()
        #: name -> value of the sliders moved by hand when the last update ran
        self.moved_by_hand: dict = {}

        with mpl.rc_context(plotting._STYLE):
            self.figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
            if backend == "ipympl":
                self.canvas = _ipympl_canvas(self.figure)
                view = self.canvas
            else:
                from matplotlib.backends.backend_agg import FigureCanvasAgg

                self.canvas = FigureCanvasAgg(self.figure)
                view = W.Image(format="png")
            self._view = view
            self._state = setup(self.figure)
        # artists redrawn on every update; the rest is a background drawn only when an
        # axis range changes (blitting)
        self._dynamic = list(self._state.get("dynamic", ())) \
            if isinstance(self._state, dict) else []
        for a in self._dynamic:
            a.set_animated(True)
        self._bg = None
        self._bg_limits = None
        self.n_full_draws = 0
        self.canvas.mpl_connect("draw_event", self._on_draw)

        self.sliders = {name: c.slider() for name, c in self.controls.items()}
        self._label = W.HTML(layout=W.Layout(margin="2px 0 2px 12px"))
        items = list(self.sliders.values())
        half = (len(items) + 1) // 2
        self.widget = W.VBox([W.HBox([W.VBox(items[:half]), W.VBox(items[half:])]),
                              self._label, view])
        self._update()                              # first update: compiles the kernel
        # the layout is fixed from now on: no constrained-layout pass per update
        self.figure.set_layout_engine("none")
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")

    @property
    def pending(self) -> bool:
        """True while an update is scheduled (a slider moved, the update has not run)."""
        return self._handle is not None

    @property
    def settled(self) -> bool:
        """True when no update is scheduled and the browser has been sent the whole
        figure as it is (an ipympl canvas closes each run of changed-pixel frames with a
        whole frame, a moment after the last one): once the page has drawn what it was
        sent, it shows exactly ``figure``."""
        return not self.pending and not getattr(self.canvas, "whole_frame_pending", False)

    @property
    def result(self):
        """The last simulation's ``SimResult`` (when ``setup``'s state is a dict holding it
        under ``"res"``, as the explorers here do), else None."""
        return self._state.get("res") if isinstance(self._state, dict) else None

    # ---------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ---------------------------------------------------------------- updates
    def _on_change(self, change):
        self.n_changes += 1
        if self._sync:
            return
        owner = change.get("owner") if isinstance(change, Mapping) else None
        self._by_hand.update(name for name, s in self.sliders.items() if s is owner)
        if self._handle is not None:
            return          # an update is scheduled and will read the newest values
        loop = _running_loop()
        if loop is None:
            self._update()
            return
        wait = max(0.0, self._last_end + self.throttle_s - time.perf_counter())
        self._handle = loop.call_later(wait, self._scheduled)

    def _scheduled(self):
        self._handle = None
        try:
            self._update()
        except Exception as err:            # shown to the user, not lost in the kernel log
            self._label.value = f"<b>error:</b> {type(err).__name__}: {err}"
            raise

    def _update(self):
        t0, c0 = time.perf_counter(), time.process_time()
        values = {name: s.value for name, s in self.sliders.items()}
        self.moved_by_hand = {name: values[name] for name in sorted(self._by_hand)
                              if values[name] != self.controls[name].value}
        status = self._update_fn(self._state, **values)
        self.status = status or ""
        self._label.value = self.status
        self._redraw()
        self.values = values
        self.history.append(values)
        self.n_updates += 1
        self._last_end = time.perf_counter()
        self.update_times.append(self._last_end - t0)
        self.update_cpu_times.append(time.process_time() - c0)

    def _limits(self):
        return tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.figure.axes)

    def _on_draw(self, event):
        """After every full draw (ours, or one the browser asks for): keep the background
        (everything but the dynamic artists) and draw the dynamic artists on top, before
        the canvas sends its image."""
        self._bg = self.canvas.copy_from_bbox(self.figure.bbox)
        self._bg_limits = self._limits()
        for a in self._dynamic:
            self.figure.draw_artist(a)

    def _redraw(self):
        """Full draw when there is no background yet or an axis range changed; else blit:
        the saved background, the dynamic artists on it, and only their pixels change."""
        if self._bg is None or self._limits() != self._bg_limits:
            self.canvas.draw()                  # -> _on_draw
            self.n_full_draws += 1
        else:
            self.canvas.restore_region(self._bg)
            for a in self._dynamic:
                self.figure.draw_artist(a)
            self.canvas.blit(self.figure.bbox)  # ipympl: sends the changed pixels
        if self.backend == "image":
            from PIL import Image

            buf = io.BytesIO()
            Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(
                buf, format="png", compress_level=1)
            self._view.value = buf.getvalue()

    def set(self, **values):
        """Move sliders by program and update once, now (not throttled). Unknown names
        raise ``ValueError``; a value outside a slider's range raises ``ValueError`` naming
        the slider, its range and the value (ipywidgets would clip it silently), as does
        a fraction for an integer slider such as ``seed`` (ipywidgets would truncate it);
        what is not a number (a string, a bool) raises ``TypeError`` naming the slider.
        Nothing moves unless every value is right."""
        unknown = sorted(set(values) - set(self.sliders))
        if unknown:
            raise ValueError(f"unknown slider(s) {unknown}; sliders: {list(self.sliders)}")
        values = {name: self.controls[name].take(v) for name, v in values.items()}
        self._sync = True
        try:
            for name, v in values.items():
                self.sliders[name].value = v
        finally:
            self._sync = False
        self._by_hand.difference_update(values)
        self._update()

    def update(self):
        """Update now with the current slider values (simulate + redraw)."""
        self._update()

    def close(self):
        """Close the widgets (the figure is released)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self.widget.close()
        for s in self.sliders.values():
            s.close()
        if self.backend == "ipympl":
            self.canvas.close()


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 times a power of ten that is >= x (x > 0):
    axis limits that change rarely while a slider moves, so most updates only blit."""
    k = math.floor(math.log10(x))
    for m in (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if m * 10.0 ** k >= x * (1 - 1e-12):
            return m * 10.0 ** k
    return 10.0 ** (k + 1)


# --------------------------------------------------------------------------- LIF neuron
def lif_rate(I, tau_m, refractory, v_rest=-70.0, v_th=-54.0, v_reset=-60.0):
    """Firing rate (Hz) of a LIF neuron under a constant input ``I`` (mV, i.e. R_m I), the
    closed form (e.g. Gerstner et al. 2014, *Neuronal Dynamics*, eq. 1.11; Dayan & Abbott
    2001, eq. 5.11): with ``tau_m dv/dt = v_rest - v + I``, reset to ``v_reset`` and a dead
    time ``refractory`` (ms), the interval is
    ``T = refractory + tau_m ln((v_rest + I - v_reset) / (v_rest + I - v_th))`` when
    ``v_rest + I > v_th``, else there is no spike (rate 0). ``I`` scalar or array; returns
    the same shape. The simulator's discrete steps make a simulated interval up to one
    ``dt`` longer."""
    I = np.asarray(I, dtype=float)
    above = v_rest + I - v_th
    with np.errstate(divide="ignore", invalid="ignore"):
        T = refractory + tau_m * np.log((v_rest + I - v_reset) / above)
        rate = np.where(above > 0, 1000.0 / T, 0.0)
    return rate if rate.ndim else float(rate)


_NEURON_CONTROLS = {
    "I": (0.0, 50.0, 0.5, "mV"),
    "rate": (0.0, 100.0, 1.0, "Hz"),
    "tau_m": (2.0, 50.0, 0.5, "ms"),
    "refractory": (0.0, 10.0, 0.1, "ms"),
}


def neuron_explorer(I: float = 20.0, tau_m: float = 10.0, refractory: float = 2.0, *,
                    drive: str = "current", rate: float = 20.0, n_sources: int = 100,
                    weight: float = 0.5, v_rest: float = -70.0, v_th: float = -54.0,
                    v_reset: float = -60.0, duration: float = 200.0, dt: float = 0.1,
                    seed: int = 0, ranges: Mapping | None = None, backend: str = "auto",
                    throttle_s: float = 0.02, figsize=(9.2, 3.6)) -> LiveExplorer:
    """A single LIF neuron (delta synapses, ``neurolab.LIFParams``) and its f-I curve.

    ``drive="current"``: sliders ``I`` (constant input as the potential it adds, R_m I, mV;
    ``LIFParams.I_bias``), ``tau_m`` (ms), ``refractory`` (ms). ``drive="poisson"``: instead
    of ``I`` a slider ``rate`` (Hz): ``n_sources`` independent Poisson sources, each spike
    adding ``weight`` mV (``Network.add_poisson_input``); its mean drive is
    ``mu = n_sources * rate * weight * tau_m / 1000`` mV, the point where it sits on the
    f-I axis.

    Left: ``v(t)`` (mV) over ``duration`` ms from ``v = v_rest``, with the threshold and a
    tick at each spike. Right: the closed-form f-I curve (:func:`lif_rate`) for the current
    ``tau_m`` and ``refractory``, the closed form at the current input (open circle) and the
    simulated rate (cross): ``1000 / mean inter-spike interval`` with two spikes or more,
    else spikes / duration. The status line prints both.

    ``ranges``: name -> (lo, hi) or (lo, hi, step) to change a slider's range. Raises
    ``ValueError`` naming the parameter for a bad ``drive``, range or starting value.
    Returns a :class:`LiveExplorer`; ``ex.result`` is the last ``SimResult``.
    """
    import neurolab as nl

    if drive not in ("current", "poisson"):
        raise ValueError(f"drive must be 'current' or 'poisson', got {drive!r}")
    first = "I" if drive == "current" else "rate"
    defaults = {k: _NEURON_CONTROLS[k] for k in (first, "tau_m", "refractory")}
    controls = _controls(defaults, {"I": I, "rate": rate, "tau_m": tau_m,
                                    "refractory": refractory}, ranges)
    lif = dict(v_rest=v_rest, v_th=v_th, v_reset=v_reset)
    nl.LIFParams(**lif)                         # checks v_reset < v_th now
    x_label = "input I (mV)" if drive == "current" else "mean drive μ (mV)"

    def mean_drive(value, tau):
        return value if drive == "current" else n_sources * value * weight * tau / 1000.0

    def setup(fig):
        ax_v, ax_f = fig.subplots(1, 2, width_ratios=[1.6, 1])
        st = {"ax_v": ax_v, "ax_f": ax_f}
        st["v"], = ax_v.plot([], [], color=plotting.PALETTE[0], lw=1.2)
        ax_v.axhline(v_th, color="0.5", ls="--", lw=0.8)
        st["spikes"] = ax_v.scatter([], [], marker="|", s=120, color=plotting.PALETTE[1],
                                    linewidths=1.5)
        ax_v.set_xlim(0.0, duration)
        ax_v.set_ylim(min(v_rest, v_reset) - 3.0, v_th + 8.0)
        ax_v.set_xlabel("time (ms)")
        ax_v.set_ylabel("v (mV)")
        ax_v.set_title("membrane potential")
        st["fI"], = ax_f.plot([], [], color=plotting.PALETTE[0], lw=1.5, label="closed form")
        st["pt_cf"], = ax_f.plot([], [], "o", mfc="none", mec=plotting.PALETTE[0], ms=9)
        st["pt_sim"], = ax_f.plot([], [], "x", color=plotting.PALETTE[1], ms=9, mew=2,
                                  label="simulated")
        ax_f.set_xlabel(x_label)
        ax_f.set_ylabel("rate (Hz)")
        ax_f.set_title("f-I curve")
        ax_f.legend(loc="upper left", frameon=False)
        st["dynamic"] = [st["v"], st["spikes"], st["fI"], st["pt_cf"], st["pt_sim"]]
        return st

    def update(st, **values):
        tau, ref = values["tau_m"], values["refractory"]
        net = nl.Network(dt=dt, seed=seed)
        params = nl.LIFParams(tau_m=tau, refractory=ref, synapse="delta",
                              I_bias=values["I"] if drive == "current" else 0.0, **lif)
        out = net.add_lif("neuron", 1, params)
        if drive == "poisson":
            net.add_poisson_input("drive", out, n_sources, values["rate"], weight)
        res = net.run(duration, record_state={"neuron": "all"}, state_dt=dt, progress=False)
        st["res"] = res
        sv = res.state["neuron"]
        st["v"].set_data(sv.t, sv.v[:, 0])
        t_sp = res.spikes["neuron"].t
        st["spikes"].set_offsets(np.column_stack([t_sp, np.full(t_sp.size, v_th + 4.0)]))
        if t_sp.size >= 2:
            sim_rate = 1000.0 / float(np.mean(np.diff(t_sp)))
        else:
            sim_rate = t_sp.size * 1000.0 / duration
        grid = np.linspace(0.0, mean_drive(controls[first].hi, tau), 400)
        curve = lif_rate(grid, tau, ref, **lif)
        st["fI"].set_data(grid, curve)
        x = mean_drive(values[first], tau)
        cf = lif_rate(x, tau, ref, **lif)
        st["pt_cf"].set_data([x], [cf])
        st["pt_sim"].set_data([x], [sim_rate])
        st["ax_f"].set_xlim(0.0, grid[-1])
        st["ax_f"].set_ylim(0.0, _nice_ceiling(max(10.0, 1.05 * max(float(curve.max()),
                                                                     sim_rate))))
        st["sim_rate"], st["closed_form_rate"] = sim_rate, cf
        what = f"I = {x:.1f} mV" if drive == "current" else \
            f"rate = {values['rate']:g} Hz (μ = {x:.1f} mV)"
        return (f"{what}: simulated <b>{sim_rate:.1f} Hz</b>, closed form {cf:.1f} Hz "
                f"({t_sp.size} spikes in {duration:g} ms)")

    return LiveExplorer(controls, setup, update, figsize=figsize, backend=backend,
                        throttle_s=throttle_s)


# --------------------------------------------------------------------------- STDP
def correlated_inputs(n_correlated: int, n_independent: int, rate: float, correlation: float,
                      duration: float, dt: float = 0.1, seed: int = 0):
    """Spike trains of a correlated and an independent group of Poisson inputs:
    :func:`neurolab.stimuli.correlated_poisson` with one group of ``n_correlated`` inputs
    (ids ``0 .. n_correlated - 1``) and ``n_independent`` independent inputs (the ids that
    follow), all at ``rate`` Hz.

    ``correlation`` is the pairwise correlation coefficient ``c`` of two correlated inputs'
    spike counts: each copies each spike of a shared Poisson "mother" train with
    probability ``q = sqrt(correlation)`` (Kempter, Gerstner & van Hemmen 1999; Song,
    Miller & Abbott 2000; notebook 01's ``correlation`` is ``q`` instead). Discrete time:
    at most one spike per train per step of ``dt`` ms (a copied and an own spike in one
    step merge).

    Drawn from ``numpy.random.default_rng(seed)``: the same arguments give the same trains.
    Returns ``(t, i)``: spike times (ms, multiples of ``dt`` in ``[0, duration)``) and input
    ids, sorted by id then time. Raises ``ValueError`` naming the parameter for negative
    counts, a rate outside ``[0, 1000/dt]`` Hz or a correlation outside ``[0, 1]``.
    """
    from ..base import validate as V
    from ..stimuli import correlated_poisson

    n_correlated = V.integer("n_correlated", n_correlated, minimum=0)
    return correlated_poisson([n_correlated], rate, duration, correlation=correlation,
                              n_independent=n_independent, dt=dt, seed=seed)


def _whole_number(name: str, value, minimum: int) -> int:
    """``value`` as an int when it is a whole number (an integer, or a float such as 2.0)
    >= ``minimum``; else ``TypeError`` (not a number) or ``ValueError`` naming ``name``."""
    allowed = f"{name} must be a whole number >= {minimum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{allowed}, got {value!r} of type {type(value).__name__}")
    if not math.isfinite(value) or value != math.floor(value) or value < minimum:
        raise ValueError(f"{allowed}, got {value!r}")
    return int(value)


#: the conductance-based LIF of Song, Miller & Abbott (2000) (mV, ms)
SONG_ABBOTT_NEURON = dict(tau_m=10.0, v_rest=-74.0, v_th=-54.0, v_reset=-60.0,
                          synapse="conductance", tau_e=5.0, E_e=0.0)

_STDP_CONTROLS = {
    "A_plus": (0.0, 0.2, 0.001, "/w_max"),
    "A_minus": (0.0, 0.2, 0.001, "/w_max"),
    "tau_plus": (2.0, 80.0, 0.5, "ms"),
    "tau_minus": (2.0, 80.0, 0.5, "ms"),
    "w_max": (0.005, 0.2, 0.001, ""),
    "rate": (1.0, 50.0, 0.5, "Hz"),
    "correlation": (0.0, 1.0, 0.01, ""),
    "seed": (0, 100, 1, "", True),
}


@dataclass(frozen=True)
class STDPRun:
    """One run of :func:`stdp_run`: ``res`` (the ``SimResult``; projection
    ``"inputs->out"``, population ``"inputs"`` then ``"out"``), ``inputs`` (``(t, i)``, ms
    and ids), the group sizes, ``w_max``, ``rate_out`` (Hz, the output neuron's rate over
    the run), ``final`` (final weights / w_max, (n_inputs,), synapse k = input k) and
    ``mean_w`` (group name -> mean of ``final``)."""

    res: object
    inputs: tuple
    n_correlated: int
    n_independent: int
    w_max: float
    rate_out: float
    final: np.ndarray
    mean_w: dict


def stdp_run(A_plus: float = 0.05, A_minus: float = 0.06, tau_plus: float = 20.0,
             tau_minus: float = 20.0, w_max: float = 0.03, rate: float = 15.0,
             correlation: float = 0.15, seed: int = 0, *, n_correlated: int = 100,
             n_independent: int = 100, duration: float = 2000.0, dt: float = 0.1,
             weight_dt: float = 10.0, inputs=None, progress: bool | None = None) -> STDPRun:
    """The simulation behind :func:`stdp_explorer`, without widgets (same parameters and
    meaning; ``A_plus``, ``A_minus`` in units of ``w_max``). ``inputs``: ``(t, i)`` input
    trains to reuse (else drawn by :func:`correlated_inputs` from ``seed``). ``progress``:
    ``net.run``'s progress bar (``None``: one when the run is expected to take more than
    about two seconds; the explorer's redraws pass ``False``). Returns a
    :class:`STDPRun`. Raises ``ValueError`` naming the parameter for bad values (``seed``
    takes whole numbers >= 0: 1.5 is refused, 2.0 is 2), ``TypeError`` for what is not a
    number (a string, a bool)."""
    import neurolab as nl

    from ..base import validate as V

    A_plus, A_minus, tau_plus, tau_minus, w_max, rate, correlation = (
        V.real(name, value) for name, value in (
            ("A_plus", A_plus), ("A_minus", A_minus), ("tau_plus", tau_plus),
            ("tau_minus", tau_minus), ("w_max", w_max), ("rate", rate),
            ("correlation", correlation)))
    seed = _whole_number("seed", seed, minimum=0)
    n_in = n_correlated + n_independent
    if inputs is None:
        inputs = correlated_inputs(n_correlated, n_independent, rate, correlation,
                                   duration, dt, seed)
    t_in, i_in = inputs
    net = nl.Network(dt=dt, seed=seed)
    src = net.add_spikes("inputs", n_in, t_in, i_in)
    out = net.add_lif("out", 1, nl.LIFParams(**SONG_ABBOTT_NEURON))
    stdp = nl.STDPParams(A_plus=A_plus * w_max, A_minus=A_minus * w_max, tau_plus=tau_plus,
                         tau_minus=tau_minus, w_min=0.0, w_max=w_max, pairing="all_to_all",
                         mu=0.0)
    proj = net.connect(src, out, rule="all_to_all", weight=("uniform", 0.0, w_max),
                       stdp=stdp)
    res = net.run(duration, record_spikes="all", record_weights={proj.name: "all"},
                  weight_dt=weight_dt, progress=progress)
    final = res.final_weights[proj.name] / w_max
    mean_w = {"correlated": float(final[:n_correlated].mean()) if n_correlated else math.nan,
              "independent": float(final[n_correlated:].mean()) if n_independent
              else math.nan}
    return STDPRun(res, (t_in, i_in), n_correlated, n_independent, w_max,
                   float(res.rates("out")[0]), final, mean_w)


def stdp_explorer(A_plus: float = 0.05, A_minus: float = 0.06, tau_plus: float = 20.0,
                  tau_minus: float = 20.0, w_max: float = 0.03, rate: float = 15.0,
                  correlation: float = 0.15, seed: int = 0, *, n_correlated: int = 100,
                  n_independent: int = 100, duration: float = 2000.0, dt: float = 0.1,
                  weight_dt: float = 10.0, bins: int = 20, n_traces: int = 30,
                  ranges: Mapping | None = None, backend: str = "auto", throttle_s: float = 0.02,
                  figsize=(9.2, 4.5)) -> LiveExplorer:
    """One neuron learning from correlated and independent inputs, live.

    ``n_correlated + n_independent`` Poisson inputs at ``rate`` Hz (the first group sharing
    spikes with pairwise correlation ``correlation``, see :func:`correlated_inputs`) drive
    one conductance-based LIF neuron (:data:`SONG_ABBOTT_NEURON`) through plastic synapses
    with additive pair STDP, all-to-all pairing (``STDPParams``; Song, Miller & Abbott
    2000): ``dw = +A_plus exp(-dt_s / tau_plus)`` for ``dt_s = t_post - t_pre >= 0``,
    ``-A_minus exp(dt_s / tau_minus)`` otherwise, weights clipped to ``[0, w_max]``.
    ``A_plus`` and ``A_minus`` are given in units of ``w_max`` (the simulated amplitudes are
    ``A_plus * w_max``), ``w_max`` dimensionless (conductance relative to the leak), time
    constants in ms. The defaults learn fast (A_plus is ten times Song et al.'s) so that
    two seconds show the correlated group winning. Initial weights uniform in
    ``[0, w_max]``; no delays. Every update
    simulates ``duration`` ms from scratch with the sliders' values; ``seed`` fixes the
    inputs and the initial weights.

    Panels: the STDP window (``dw / w_max`` against ``t_post - t_pre``), the spike raster
    (inputs and, below them, the output neuron; one collection per group), the weight
    trajectories
    (``w / w_max`` sampled every ``weight_dt`` ms; ``n_traces`` synapses of each group, the
    first ones, in one collection, and the group means over all synapses, bold) and the
    final weight histogram (``bins`` bins over ``[0, 1]`` of ``w / w_max``, per group). The
    status line prints the output rate and the groups' mean final weights.

    ``figsize`` (inches, at 100 dpi): the default keeps the figure and the sliders above
    it in view together in a 1366x768 browser window with JupyterLab's default chrome.
    ``ranges``: name -> (lo, hi) or (lo, hi, step) to change slider ranges. Raises
    ``ValueError`` naming the parameter for bad values or ranges. Returns a
    :class:`LiveExplorer`; ``ex.result`` is the last ``SimResult`` (projection
    ``"inputs->out"``), ``ex.inputs`` the last input trains ``(t, i)``.
    """
    from ..base import validate as V

    n_correlated = V.integer("n_correlated", n_correlated, minimum=0)
    n_independent = V.integer("n_independent", n_independent, minimum=0)
    n_in = n_correlated + n_independent
    if n_in < 1:
        raise ValueError("n_correlated + n_independent must be >= 1, got "
                         f"{n_correlated} + {n_independent}")
    bins = V.integer("bins", bins, minimum=1)
    n_traces = V.integer("n_traces", n_traces, minimum=0)
    shown = np.concatenate([np.arange(sl.start, min(sl.stop, sl.start + n_traces))
                            for sl in (slice(0, n_correlated), slice(n_correlated, n_in))])
    values = dict(A_plus=A_plus, A_minus=A_minus, tau_plus=tau_plus, tau_minus=tau_minus,
                  w_max=w_max, rate=rate, correlation=correlation, seed=seed)
    controls = _controls(_STDP_CONTROLS, values, ranges)
    groups = (("correlated", slice(0, n_correlated), plotting.PALETTE[0]),
              ("independent", slice(n_correlated, n_in), plotting.PALETTE[1]))
    colors = np.empty((n_in, 4))
    from matplotlib.colors import to_rgba
    for _, sl, c in groups:
        colors[sl] = to_rgba(c)
    out_color = to_rgba(plotting.PALETTE[2])
    edges = np.linspace(0.0, 1.0, bins + 1)
    cache = {}

    def inputs(rate, correlation, seed):
        key = (rate, correlation, seed)
        if cache.get("key") != key:
            cache["key"] = key
            cache["trains"] = correlated_inputs(n_correlated, n_independent, rate,
                                                correlation, duration, dt, seed)
        return cache["trains"]

    def setup(fig):
        from matplotlib.collections import LineCollection

        grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.3])
        ax_win, ax_ras = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
        ax_w, ax_h = fig.add_subplot(grid[1, 1]), fig.add_subplot(grid[1, 0])
        st = {"ax_win": ax_win, "ax_h": ax_h}
        dts = np.linspace(-100.0, 100.0, 401)
        st["dts"] = dts
        ax_win.axhline(0.0, color="0.6", lw=0.8)
        ax_win.axvline(0.0, color="0.6", lw=0.8)
        st["win_pos"], = ax_win.plot([], [], color=plotting.POTENTIATION, lw=1.8)
        st["win_neg"], = ax_win.plot([], [], color=plotting.DEPRESSION, lw=1.8)
        ax_win.set_xlim(dts[0], dts[-1])
        ax_win.set_xlabel("t_post - t_pre (ms)")
        ax_win.set_ylabel("Δw / w_max")
        ax_win.set_title("STDP window (one pair)")
        # one collection per colour (correlated, independent, output): a single-coloured
        # collection of one marker is stamped by Agg's draw_markers, ~6x faster than
        # per-point colours
        st["raster"] = [ax_ras.scatter(np.zeros(0), np.zeros(0), marker="|", s=6,
                                       linewidths=0.8, color=c)
                        for c in (plotting.PALETTE[0], plotting.PALETTE[1], out_color)]
        ax_ras.set_xlim(0.0, duration)
        ax_ras.set_ylim(n_in + 6, -1)
        ax_ras.set_yticks([n_correlated / 2, n_correlated + n_independent / 2, n_in + 3],
                          ["corr.", "indep.", "out"])
        ax_ras.set_xlabel("time (ms)")
        ax_ras.set_title("spikes")
        st["traj"] = LineCollection([], linewidths=0.5, alpha=0.35)
        ax_w.add_collection(st["traj"])
        st["means"] = [ax_w.plot([], [], color=c, lw=2.2, label=name)[0]
                       for name, _, c in groups]
        ax_w.set_xlim(0.0, duration)
        ax_w.set_ylim(-0.02, 1.02)
        ax_w.set_xlabel("time (ms)")
        ax_w.set_ylabel("w / w_max")
        ax_w.set_title("weights (group means bold)")
        # drawn after the trajectories (in "dynamic" below), on a white frame: the lines
        # of a strong group run along the top of the axes, where the legend sits
        st["legend"] = ax_w.legend(loc="lower left", frameon=True, framealpha=0.9,
                                   fontsize=8.5)
        st["hist"] = [ax_h.stairs(np.zeros(bins), edges, color=c, lw=1.8, label=name)
                      for name, _, c in groups]
        ax_h.set_xlim(0.0, 1.0)
        ax_h.set_xlabel("final w / w_max")
        ax_h.set_ylabel("synapses")
        ax_h.set_title("final weights")
        st["dynamic"] = [st["win_pos"], st["win_neg"], *st["raster"], st["traj"],
                         *st["means"], *st["hist"], st["legend"]]
        return st

    def update(st, **v):
        t_in, i_in = inputs(v["rate"], v["correlation"], v["seed"])
        wm = v["w_max"]
        run = stdp_run(**v, n_correlated=n_correlated, n_independent=n_independent,
                       duration=duration, dt=dt, weight_dt=weight_dt, inputs=(t_in, i_in),
                       progress=False)           # the figure shows the run: no bar
        res = run.res
        st["run"] = run
        st["res"] = res
        # STDP window, in units of w_max
        dts = st["dts"]
        pos, neg = dts[dts >= 0], dts[dts <= 0]
        st["win_pos"].set_data(pos, v["A_plus"] * np.exp(-pos / v["tau_plus"]))
        st["win_neg"].set_data(neg, -v["A_minus"] * np.exp(neg / v["tau_minus"]))
        top = _nice_ceiling(max(v["A_plus"], v["A_minus"], 1e-3) * 1.05)
        st["ax_win"].set_ylim(-top, top)
        # raster: correlated inputs, independent inputs, the output neuron below them
        s_in, s_out = res.spikes["inputs"], res.spikes["out"]
        corr = s_in.i < n_correlated
        st["raster"][0].set_offsets(np.column_stack([s_in.t[corr], s_in.i[corr]]))
        st["raster"][1].set_offsets(np.column_stack([s_in.t[~corr], s_in.i[~corr]]))
        st["raster"][2].set_offsets(np.column_stack([s_out.t,
                                                     np.full(s_out.t.size, n_in + 3)]))
        # weight trajectories and the final histogram, in units of w_max
        rec = res.weights["inputs->out"]
        w = rec.w / wm                                     # (n_samples, n_syn)
        t = np.append(rec.t, res.t_end)
        w = np.vstack([w, run.final[None, :]])
        # all-to-all onto one neuron: synapse k is input k
        segs = np.empty((shown.size, t.size, 2))
        segs[:, :, 0] = t
        segs[:, :, 1] = w[:, shown].T
        st["traj"].set_segments(segs)
        st["traj"].set_color(colors[rec.pre[shown]])
        final = run.final
        means = run.mean_w
        peak = 1
        for (name, sl, _), line, stairs in zip(groups, st["means"], st["hist"]):
            sel = slice(sl.start, sl.stop)              # synapse k is input k
            sel_rec = (rec.pre >= sl.start) & (rec.pre < sl.stop)
            line.set_data(t, w[:, sel_rec].mean(axis=1) if sel_rec.any()
                          else np.full(t.size, np.nan))
            counts, _ = np.histogram(np.clip(final[sel], 0.0, 1.0), bins=edges)
            stairs.set_data(counts)
            peak = max(peak, int(counts.max()) if counts.size else 0)
        st["ax_h"].set_ylim(0, _nice_ceiling(peak * 1.05))
        rate_out = run.rate_out
        return (f"output rate <b>{rate_out:.1f} Hz</b> over {duration:g} ms; "
                f"mean final w / w_max: correlated {means['correlated']:.3f}, "
                f"independent {means['independent']:.3f}")

    return _STDPExplorer(controls, setup, update, figsize=figsize, backend=backend,
                         throttle_s=throttle_s)


class HandReading(float):
    """A number read from an explorer whose sliders were moved by hand (``moved``: name ->
    value). It is the number itself; the exercise checks refuse it, because a graded rerun
    of the notebook does not repeat the drag and reads another number there."""

    moved: dict

    def __new__(cls, value, moved):
        out = super().__new__(cls, value)
        out.moved = dict(moved)
        return out


class _STDPExplorer(LiveExplorer):
    @property
    def run(self) -> STDPRun:
        """The last update's :class:`STDPRun`. After sliders were moved by hand its
        ``rate_out`` is a :class:`HandReading` (a float that says which sliders moved)."""
        run = self._state["run"]
        if self.moved_by_hand:
            import dataclasses

            run = dataclasses.replace(run, rate_out=HandReading(run.rate_out,
                                                                self.moved_by_hand))
        return run

    @property
    def inputs(self):
        """The last update's input trains ``(t, i)`` (ms, ids)."""
        return self._state["run"].inputs
