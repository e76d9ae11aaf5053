"""Slider explorers for the STDP parameters of the research notebooks, built on
``neurolab.plotting`` and :class:`neurolab.course.explorer.LiveExplorer`.

Move a slider for ``A_plus``, ``A_minus``, ``tau_plus`` or ``tau_minus`` and the figure is
drawn anew while the slider moves. Updates are throttled as in every live explorer (a change
that arrives while an update runs is folded into the next one, which reads the newest
values), the figure lives on one ipympl canvas, and the browser ends on the whole figure once
the sliders stop (:attr:`LiveExplorer.settled`): what the page shows is the kernel's figure,
pixel for pixel. Unlike the course explorers, whose artists are made once and only change
their data, ``draw`` here makes the whole figure each time (the notebook's own plotting
code), so every update is a full draw.

ipywidgets (and ipympl) are imported only when an explorer is made, so ``import neurolab``
never needs them. Figures for files come from ``plotting`` in the notebook, never from these
explorers: papermill does not keep widget state.

Room: ``neurolab.course``. May import: the package and every room below it; ipywidgets is
imported when a widget is made.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import plotting
from .explorer import Control, LiveExplorer

#: slider ranges: (min, max, step) -- amplitudes dimensionless, time constants in ms
RANGES = {
    "A_plus": (0.0, 0.05, 0.0005),
    "A_minus": (0.0, 0.05, 0.0005),
    "tau_plus": (1.0, 100.0, 0.1),
    "tau_minus": (1.0, 100.0, 0.1),
}
_UNITS = {"A_plus": "", "A_minus": "", "tau_plus": "ms", "tau_minus": "ms"}


def _controls(values: dict, ranges: dict | None = None) -> dict:
    """One :class:`Control` per entry of ``values``; a range is widened to hold a starting
    value outside it (a notebook's parameter may lie beyond the slider's usual range)."""
    ranges = {**RANGES, **(ranges or {})}
    unknown = sorted(set(values) - set(ranges))
    if unknown:
        raise ValueError(f"no slider range for {unknown}; known: {sorted(ranges)} "
                         "(give one with ranges={name: (lo, hi, step)})")
    out = {}
    for name, value in values.items():
        lo, hi, step = ranges[name]
        out[name] = Control(name, value, min(lo, value), max(hi, value), step,
                            unit=_UNITS.get(name, ""),
                            fmt=".4f" if name.startswith("A_") else ".1f")
    return out


def _relayout(fig):
    """Constrained layout, once, for a figure drawn anew (the live explorer switches the
    figure's layout engine off after its first draw, to keep the axes still)."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    ConstrainedLayoutEngine().execute(fig)


def explorer(draw: Callable, values: dict, *, ranges: dict | None = None,
             figsize=(8.0, 4.0), backend: str = "auto", throttle_s: float = 0.02
             ) -> LiveExplorer:
    """A generic explorer: one slider per entry of ``values`` (name -> initial value, names
    among ``RANGES`` or given in ``ranges`` as name -> (lo, hi, step)) and a figure that
    ``draw(fig, **slider_values)`` draws on the cleared figure ``fig`` at every update.

    Returns a :class:`LiveExplorer` (display it, or make it the last expression of a cell):
    ``ex.sliders`` (name -> slider), ``ex.set(**values)`` moves sliders and redraws,
    ``ex.update()`` redraws, ``ex.values`` the values last drawn, ``ex.result`` what the last
    ``draw`` returned. ``figsize`` in inches (at
    100 dpi); ``backend`` and ``throttle_s`` as for :class:`LiveExplorer`. Raises
    ``ValueError`` for a slider without a range or a starting value that is not finite.
    """
    controls = _controls(values, ranges)

    def setup(fig):
        return {"figure": fig}

    def update(state, **kw):
        fig = state["figure"]
        fig.clear()
        state["res"] = draw(fig, **kw)
        _relayout(fig)

    return LiveExplorer(controls, setup, update, figsize=figsize, backend=backend,
                        throttle_s=throttle_s)


def stdp_window_explorer(A_plus=0.01, A_minus=0.0105, tau_plus=16.8, tau_minus=33.7, *,
                         measure: Callable | None = None, t_range=(-100.0, 100.0),
                         figsize=(8.0, 4.0), backend: str = "auto") -> LiveExplorer:
    """Sliders for the pair-based additive STDP window (all-to-all pairing; one pair).

    Draws the analytic rule ``STDPParams.window`` (Bi & Poo 1998 window shape; Song et al.
    2000, eq. 1); with ``measure(A_plus=, A_minus=, tau_plus=, tau_minus=) -> (delta_t, dw)``
    (e.g. a function that simulates spike pairs; ms and dimensionless weight changes,
    1-D arrays of one length), its points are drawn on top so rule and simulation can be
    compared at any setting. Returns a :class:`LiveExplorer` (see :func:`explorer`).
    """
    from ..model.params import STDPParams

    def draw(fig, **kw):
        ax = fig.add_subplot()
        measured = measure(**kw) if measure is not None else None
        plotting.plot_stdp_window(STDPParams(**kw), ax, t_range=t_range, measured=measured)
        ax.set_title(f"A+={kw['A_plus']:.4f}, A-={kw['A_minus']:.4f}, "
                     f"τ+={kw['tau_plus']:.1f} ms, τ-={kw['tau_minus']:.1f} ms")

    return explorer(draw, {"A_plus": A_plus, "A_minus": A_minus, "tau_plus": tau_plus,
                           "tau_minus": tau_minus}, figsize=figsize, backend=backend)


def network_explorer(run: Callable, draw: Callable, A_plus=0.01, A_minus=0.0105,
                     tau_plus=20.0, tau_minus=20.0, *, ranges: dict | None = None,
                     figsize=(9.0, 6.0), backend: str = "auto") -> LiveExplorer:
    """Sliders that re-run a network and redraw its figures.

    ``run(A_plus=, A_minus=, tau_plus=, tau_minus=) -> SimResult`` builds and runs the
    network (keep it short: it runs at every update while a slider moves); ``draw(fig,
    res)`` draws the result on the cleared figure, typically with ``plotting.plot_raster``
    and ``plotting.plot_weight_evolution``. Returns a :class:`LiveExplorer` (see
    :func:`explorer`); its ``result`` is the last run's result.
    """
    def redraw(fig, **kw):
        res = run(**kw)
        draw(fig, res)
        return res

    return explorer(redraw, {"A_plus": A_plus, "A_minus": A_minus, "tau_plus": tau_plus,
                             "tau_minus": tau_minus}, ranges=ranges, figsize=figsize,
                    backend=backend)
