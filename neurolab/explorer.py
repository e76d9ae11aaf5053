"""Live explorers: sliders that redraw a figure in place while they are dragged.

A :class:`LiveExplorer` draws its figure once, on an ipympl canvas (``ipympl``, the
JupyterLab matplotlib widget), and on every update only replaces the data of the artists it
made (lines, the raster's one collection, the histogram's step patch, texts); the canvas then
sends the browser a PNG of the pixels that changed. No figure is built per update.

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
"""

from __future__ import annotations

import asyncio
import math
import time
import warnings
from dataclasses import dataclass
from collections.abc import Callable, Mapping

import numpy as np

from . import plotting

__all__ = ["Control", "LiveExplorer", "neuron_explorer", "stdp_explorer", "lif_rate",
           "correlated_inputs", "BACKENDS"]

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

    def slider(self):
        import ipywidgets as W

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
def _ipympl_canvas(fig):
    """An ipympl canvas widget for ``fig`` (not registered with pyplot: other figures of the
    notebook keep the inline backend). Raises ImportError when ipympl is missing."""
    from ipympl.backend_nbagg import Canvas, FigureManager

    canvas = Canvas(fig)
    FigureManager(canvas, 0)        # gives the canvas a manager that sends its images
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
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
    simulate + redraw), ``status`` (the last status line).
    """

    def __init__(self, controls: Mapping[str, Control], setup: Callable, update: Callable, *,
                 figsize=(10.0, 6.0), backend: str = "auto", throttle_s: float = 0.02,
                 dpi: float = 100.0):
        import ipywidgets as W
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
        self.values: dict = {}
        self.status = ""
        self._handle = None
        self._last_end = -math.inf
        self._sync = False

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

        self.sliders = {name: c.slider() for name, c in self.controls.items()}
        self._label = W.HTML()
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
        t0 = time.perf_counter()
        values = {name: s.value for name, s in self.sliders.items()}
        status = self._update_fn(self._state, **values)
        self.status = status or ""
        self._label.value = self.status
        self._redraw()
        self.values = values
        self.history.append(values)
        self.n_updates += 1
        self._last_end = time.perf_counter()
        self.update_times.append(self._last_end - t0)

    def _redraw(self):
        if self.backend == "ipympl":
            self.canvas.draw()              # renders and sends the changed pixels
        else:
            import io

            self.canvas.draw()
            buf = io.BytesIO()
            self.canvas.print_png(buf)
            self._view.value = buf.getvalue()

    def set(self, **values):
        """Move sliders by program and update once, now (not throttled). Unknown names
        raise ``ValueError``; a value outside a slider's range raises ``ValueError`` naming
        the slider, its range and the value (ipywidgets would clip it silently)."""
        unknown = sorted(set(values) - set(self.sliders))
        if unknown:
            raise ValueError(f"unknown slider(s) {unknown}; sliders: {list(self.sliders)}")
        for name, v in values.items():
            c = self.controls[name]
            if not c.lo <= v <= c.hi:
                raise ValueError(f"{name} must be within [{c.lo!r}, {c.hi!r}], got {v!r}")
        self._sync = True
        try:
            for name, v in values.items():
                self.sliders[name].value = v
        finally:
            self._sync = False
        self._update()
        return self

    def update(self):
        """Update now with the current slider values (simulate + redraw)."""
        self._update()
        return self

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
                    throttle_s: float = 0.02, figsize=(10.0, 3.8)) -> LiveExplorer:
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
        st["ax_f"].set_ylim(0.0, max(10.0, 1.1 * max(float(curve.max()), sim_rate)))
        st["sim_rate"], st["closed_form_rate"] = sim_rate, cf
        what = f"I = {x:.1f} mV" if drive == "current" else \
            f"rate = {values['rate']:g} Hz (μ = {x:.1f} mV)"
        return (f"{what}: simulated <b>{sim_rate:.1f} Hz</b>, closed form {cf:.1f} Hz "
                f"({t_sp.size} spikes in {duration:g} ms)")

    return LiveExplorer(controls, setup, update, figsize=figsize, backend=backend,
                        throttle_s=throttle_s)
