"""Slider explorers for the STDP parameters, built on ``neurolab.plotting``.

Move a slider for ``A_plus``, ``A_minus``, ``tau_plus`` or ``tau_minus`` and the figure is
redrawn (on release of the slider, so a simulation is not restarted at every pixel).
ipywidgets is imported only when an explorer is made, so ``import neurolab`` never needs
it. Figures for files come from ``plotting`` in the notebook, never from these callbacks:
papermill does not keep widget state.

Room: ``neurolab.course``. May import: the package and every room below it; ipywidgets is
imported when a widget is made.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import plotting
from ..base.errors import require

#: slider ranges: (min, max, step) -- amplitudes dimensionless, time constants in ms
RANGES = {
    "A_plus": (0.0, 0.05, 0.0005),
    "A_minus": (0.0, 0.05, 0.0005),
    "tau_plus": (1.0, 100.0, 0.1),
    "tau_minus": (1.0, 100.0, 0.1),
}
_UNITS = {"A_plus": "", "A_minus": "", "tau_plus": " (ms)", "tau_minus": " (ms)"}


def _sliders(values: dict, ranges: dict | None = None) -> dict:
    W = require("ipywidgets", "course", "a slider widget")

    ranges = {**RANGES, **(ranges or {})}
    out = {}
    for name, value in values.items():
        lo, hi, step = ranges[name]
        lo, hi = min(lo, value), max(hi, value)
        fmt = ".4f" if name.startswith("A_") else ".1f"
        out[name] = W.FloatSlider(value=value, min=lo, max=hi, step=step,
                                  description=name + _UNITS[name], readout_format=fmt,
                                  continuous_update=False,
                                  style={"description_width": "110px"},
                                  layout=W.Layout(width="420px"))
    return out


def explorer(draw: Callable, values: dict, *, ranges: dict | None = None,
             figsize=(8.0, 4.0)):
    """A generic explorer: one slider per entry of ``values`` (name -> initial value, names
    among ``RANGES``) and a figure redrawn by ``draw(fig, **slider_values)`` whenever a
    slider is released. Returns the ipywidgets container (display it, or make it the last
    expression of a cell); ``container.update()`` redraws by hand."""
    W = require("ipywidgets", "course", "a slider widget")
    import matplotlib.pyplot as plt
    from IPython.display import display

    sliders = _sliders(values, ranges)
    output = W.Output()

    def update(*_):
        kwargs = {k: s.value for k, s in sliders.items()}
        with output:
            output.clear_output(wait=True)
            fig = plt.figure(figsize=figsize)
            try:
                draw(fig, **kwargs)
                display(fig)
            finally:
                plt.close(fig)

    for s in sliders.values():
        s.observe(update, names="value")
    box = W.VBox([W.HBox([W.VBox(list(sliders.values())[:2]),
                          W.VBox(list(sliders.values())[2:])]), output])
    box.update = update
    box.sliders = sliders
    update()
    return box


def stdp_window_explorer(A_plus=0.01, A_minus=0.0105, tau_plus=16.8, tau_minus=33.7, *,
                         measure: Callable | None = None, t_range=(-100.0, 100.0)):
    """Sliders for the pair-based additive STDP window (all-to-all pairing; one pair).

    Draws the analytic rule ``STDPParams.window``; with ``measure(A_plus=, A_minus=,
    tau_plus=, tau_minus=) -> (delta_t, dw)`` (e.g. a function that simulates spike pairs),
    its points are drawn on top so rule and simulation can be compared at any setting.
    """
    from ..model.params import STDPParams

    def draw(fig, **kw):
        ax = fig.add_subplot()
        measured = measure(**kw) if measure is not None else None
        plotting.plot_stdp_window(STDPParams(**kw), ax, t_range=t_range, measured=measured)
        ax.set_title(f"A+={kw['A_plus']:.4f}, A-={kw['A_minus']:.4f}, "
                     f"τ+={kw['tau_plus']:.1f} ms, τ-={kw['tau_minus']:.1f} ms")

    return explorer(draw, {"A_plus": A_plus, "A_minus": A_minus, "tau_plus": tau_plus,
                           "tau_minus": tau_minus})


def network_explorer(run: Callable, draw: Callable, A_plus=0.01, A_minus=0.0105,
                     tau_plus=20.0, tau_minus=20.0, *, ranges: dict | None = None,
                     figsize=(9.0, 6.0)):
    """Sliders that re-run a network and redraw its figures.

    ``run(A_plus=, A_minus=, tau_plus=, tau_minus=) -> SimResult`` builds and runs the
    network (keep it short: it runs on every slider release); ``draw(fig, res)`` draws the
    result, typically with ``plotting.plot_raster`` and ``plotting.plot_weight_evolution``.
    """
    def redraw(fig, **kw):
        draw(fig, run(**kw))

    return explorer(redraw, {"A_plus": A_plus, "A_minus": A_minus, "tau_plus": tau_plus,
                             "tau_minus": tau_minus}, ranges=ranges, figsize=figsize)
