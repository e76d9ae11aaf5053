"""Plot helpers: spike raster, weight evolution, weight histogram and density, STDP window,
the pairs a plasticity rule counts and a rule's closed form against simulated points.

Every helper draws on the ``ax`` it is given and returns it; none calls ``plt.show()``.
Notebooks, widgets and the pipeline call the same helpers, so an interactive figure and a
regenerated PNG agree. ``save_figure`` writes a PNG whose bytes depend only on the figure
(no software or date stamp) and replaces the file atomically.

Units: spike and sample times are in ms in the data, and every helper draws them in ms by
default (the package unit); ``t_unit="s"`` shows them in seconds (values divided by 1000,
axis labelled "time (s)"), handy for long runs. Weights are shown in the units of the projection (dimensionless for conductance
synapses, mV for delta and current synapses).

The helpers accept neurolab results (``SimResult``, ``SpikeRecord``, ``WeightRecord``) and
also plain arrays, so they work on data loaded from disk or made up in a test.

Room: ``neurolab.plotting`` (figures; helpers take ``ax`` and return it). May import: numpy,
matplotlib and ``neurolab.base``.
"""

from __future__ import annotations

import io as _io
import numbers
from collections.abc import Mapping

import numpy as np

from .base.io import atomic_write_bytes

__all__ = [
    "PALETTE", "POTENTIATION", "DEPRESSION", "use_style", "band_shares", "plot_raster",
    "plot_weight_evolution", "plot_weight_histogram", "plot_weight_density",
    "plot_reward_weights", "plot_firing_patterns",
    "plot_stdp_window", "plot_spike_pairs", "plot_rule_check", "save_figure",
]

#: Okabe-Ito colours (readable by colour-blind readers and in greyscale print).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
           "#000000")

_STYLE = {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 9.5,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "axes.spines.top": False,
    "axes.spines.right": False, "figure.dpi": 100, "savefig.dpi": 150,
    "svg.hashsalt": "neurolab",
}


def use_style() -> None:
    """Set matplotlib defaults that keep figures readable when shown at README width."""
    import matplotlib as mpl

    mpl.rcParams.update(_STYLE)


def _time_scale(t_unit: str) -> float:
    if t_unit == "ms":
        return 1.0
    if t_unit == "s":
        return 1e-3
    raise ValueError(f"t_unit must be 'ms' or 's', got t_unit={t_unit!r}")


# --------------------------------------------------------------------------- spikes
def _spike_sources(spikes, populations, sizes):
    """Normalise ``spikes`` into a list of (name, t, i, n)."""
    if hasattr(spikes, "spikes") and isinstance(getattr(spikes, "spikes"), Mapping):
        spikes = spikes.spikes                      # a SimResult
    if isinstance(spikes, Mapping):
        records = dict(spikes)
    else:                                           # one record or one (t, i) pair
        records = {"": spikes}
    names = list(records) if populations is None else list(populations)
    sizes = dict(sizes or {})
    out = []
    for name in names:
        if name not in records:
            raise ValueError(f"populations: {name!r} not among the recorded populations "
                             f"{sorted(records)}")
        rec = records[name]
        if hasattr(rec, "t") and hasattr(rec, "i"):
            t, i = rec.t, rec.i
            n = sizes.get(name, getattr(rec, "n", None))
        else:
            t, i = rec
            n = sizes.get(name)
        t = np.asarray(t, dtype=float)
        i = np.asarray(i, dtype=np.int64)
        if t.shape != i.shape:
            raise ValueError(f"spikes of {name!r}: times {t.shape} and ids {i.shape} differ")
        if n is None:
            n = int(i.max()) + 1 if i.size else 1
        out.append((name, t, i, int(n)))
    return out


def band_shares(rows, min_share: float = 0.15) -> np.ndarray:
    """Fraction of the raster's height given to each band: proportional to ``rows`` (the
    rows each band shows), except that no band gets less than ``min_share`` (or ``1/k`` for
    ``k`` bands when ``min_share * k > 1``); bands raised to the minimum take their height
    from the others, which share the rest in proportion to their rows. Returns (k,) floats
    summing to 1. Raises ``ValueError`` for ``min_share`` outside ``[0, 1]``, ``TypeError``
    when it is not a number."""
    if isinstance(min_share, (bool, np.bool_)) or not isinstance(min_share, numbers.Real):
        raise TypeError(f"min_share must be a number in [0, 1], got {min_share!r}")
    if not 0.0 <= float(min_share) <= 1.0:
        raise ValueError(f"min_share must be a number in [0, 1], got {min_share!r}")
    rows = np.maximum(np.asarray(rows, dtype=float), 1.0)
    if rows.size == 0:
        return rows
    floor = min(float(min_share), 1.0 / rows.size)
    fixed = np.zeros(rows.size, dtype=bool)
    while True:
        share = np.full(rows.size, floor)
        free = ~fixed
        if not free.any():
            return share
        share[free] = (1.0 - floor * fixed.sum()) * rows[free] / rows[free].sum()
        low = free & (share < floor)
        if not low.any():
            return share
        fixed |= low


def plot_raster(spikes, ax, *, populations=None, sizes=None, max_neurons=None, colors=None,
                t_unit="ms", t_range=None, marker_size=None, labels=True, min_share=0.15):
    """Spike raster: time on x, neurons on y, one coloured band per population.

    Populations are stacked top to bottom in the order given (default: recording order),
    separated by thin lines and labelled on the y axis with their name and size. Bands are
    as tall as the rows they show, except that each gets at least ``min_share`` of the
    height (see :func:`band_shares`), so one output neuron under 1000 inputs stays visible.
    The y axis spans ``[-0.5, R - 0.5]``, ``R`` the total number of rows shown; a band of
    ``r`` rows and height ``H`` puts neuron ``i`` at ``(r - i - 0.5) H / r`` above its
    lower edge (neuron 0 at the top); with no band raised that is one unit per row.

    Parameters
    ----------
    spikes : SimResult, mapping name -> SpikeRecord or (t, i), or one SpikeRecord / (t, i).
        Spike times in ms, local neuron ids.
    ax : matplotlib Axes to draw on.
    populations : names to show, in order (default all).
    sizes : mapping name -> population size, when the records do not carry ``.n``.
    max_neurons : int or mapping name -> int: show only neurons with id below this (keeps
        large input populations readable).
    colors : mapping name -> colour (default: ``PALETTE`` in order).
    t_unit : "ms" (default) or "s" for the x axis (data are in ms).
    t_range : (start, stop) in ms to show (default: everything).
    marker_size : tick length in points (default: from each band's row height).
    labels : label the bands with population names.
    min_share : smallest fraction of the height a band gets, in [0, 1]; 0 for bands
        strictly proportional to their rows.

    Returns ``ax``. Raises ``ValueError`` for an unknown population, ``t_unit`` or
    ``min_share``.
    """
    scale = _time_scale(t_unit)
    sources = _spike_sources(spikes, populations, sizes)
    shown = []
    for k, (name, t, i, n) in enumerate(sources):
        cap = max_neurons.get(name) if isinstance(max_neurons, Mapping) else max_neurons
        rows = n if cap is None else min(n, int(cap))
        keep = i < rows
        if t_range is not None:
            keep &= (t >= t_range[0]) & (t <= t_range[1])
        color = (colors or {}).get(name, PALETTE[k % len(PALETTE)])
        shown.append((name, t[keep], i[keep], n, rows, color))
    total = sum(s[4] for s in shown)
    heights = band_shares([s[4] for s in shown], min_share) * total
    top = total - 0.5                                # upper edge of the next band
    ticks, ticklabels = [], []
    for k, ((name, t, i, n, rows, color), height) in enumerate(zip(shown, heights)):
        low = -0.5 if k == len(shown) - 1 else top - height   # band occupies [low, top)
        pitch = (top - low) / max(rows, 1)
        y = low + (rows - i - 0.5) * pitch           # id 0 at the top of its band
        size = marker_size
        if size is None:
            size = float(np.clip(220.0 * pitch / max(total, 1), 1.5, 10.0))
        ax.scatter(t * scale, y, s=size ** 2, marker="|", color=color,
                   linewidths=max(0.6, size / 6), label=name or None)
        if k < len(shown) - 1:
            ax.axhline(low, color="0.6", lw=0.8)
        ticks.append((low + top) / 2)
        label = f"{name}\n({rows} of {n})" if rows < n else f"{name}\n(n={n})"
        ticklabels.append(label if name else f"n={n}")
        top = low
    ax.set_ylim(-0.5, total - 0.5)
    if labels:
        ax.set_yticks(ticks, ticklabels)
        ax.tick_params(axis="y", length=0)
    ax.set_ylabel("neuron")
    ax.set_xlabel(f"time ({t_unit})")
    if t_range is not None:
        ax.set_xlim(t_range[0] * scale, t_range[1] * scale)
    return ax


# --------------------------------------------------------------------------- weights
def _weight_arrays(weights):
    """(t ms (n_samples,), w (n_samples, n_rec)) from a WeightRecord or a (t, w) pair."""
    if hasattr(weights, "t") and hasattr(weights, "w"):
        t, w = weights.t, weights.w
    else:
        t, w = weights
    t = np.asarray(t, dtype=float)
    w = np.asarray(w, dtype=float)
    if w.ndim == 1:
        w = w[:, None]
    if w.ndim != 2 or w.shape[0] != t.shape[0]:
        raise ValueError(f"weights: w has shape {w.shape}, expected ({t.shape[0]}, n_synapses)")
    return t, w


def _groups(groups, n_rec):
    if groups is None:
        return {"all synapses": np.arange(n_rec)}
    out = {}
    for label, sel in groups.items():
        sel = np.asarray(sel)
        idx = np.flatnonzero(sel) if sel.dtype == bool else sel.astype(np.int64)
        if sel.dtype == bool and sel.shape != (n_rec,):
            raise ValueError(f"groups[{label!r}]: mask of shape {sel.shape}, expected ({n_rec},)")
        if idx.size and (idx.min() < 0 or idx.max() >= n_rec):
            raise ValueError(f"groups[{label!r}]: indices outside 0..{n_rec - 1}")
        out[label] = idx
    return out


def plot_weight_evolution(weights, ax, *, groups=None, n_sample=10, w_range=None,
                          colors=None, t_unit="ms", band="sd"):
    """Weight trajectories over time: a sample of synapses, the mean and the spread.

    For each group of recorded synapses: ``n_sample`` individual trajectories as thin lines
    (evenly spaced through the group, so the choice is deterministic), the group mean as a
    thick line and a shaded band (mean +- one standard deviation with ``band="sd"``, the
    10th-90th percentiles with ``band="p10-p90"``).

    Parameters
    ----------
    weights : WeightRecord (``.t`` ms, ``.w`` (n_samples, n_rec)) or a (t, w) pair.
    ax : matplotlib Axes.
    groups : mapping label -> boolean mask or column indices into the recorded synapses
        (default: one group with all of them).
    n_sample : trajectories drawn per group (0 for none).
    w_range : (w_min, w_max): drawn as dashed bounds and used as y limits.
    colors : mapping label -> colour (default ``PALETTE``).
    t_unit : "ms" (default) or "s" for the x axis (data in ms).
    band : "sd" or "p10-p90".

    Returns ``ax``. Raises ``ValueError`` for a bad ``band``, ``t_unit``, ``groups`` or
    a ``w`` whose first dimension is not ``len(t)``.
    """
    if band not in ("sd", "p10-p90"):
        raise ValueError(f"band={band!r}: expected 'sd' or 'p10-p90'")
    scale = _time_scale(t_unit)
    t, w = _weight_arrays(weights)
    ts = t * scale
    for k, (label, idx) in enumerate(_groups(groups, w.shape[1]).items()):
        if idx.size == 0:
            continue
        color = (colors or {}).get(label, PALETTE[k % len(PALETTE)])
        wg = w[:, idx]
        if n_sample:
            pick = np.unique(np.linspace(0, idx.size - 1, min(n_sample, idx.size)).astype(int))
            ax.plot(ts, wg[:, pick], color=color, lw=0.6, alpha=0.45)
        mean = wg.mean(axis=1)
        if band == "sd":
            sd = wg.std(axis=1)
            lo, hi = mean - sd, mean + sd
        else:
            lo, hi = np.percentile(wg, [10, 90], axis=1)
        if w_range is not None:
            lo, hi = np.clip(lo, *w_range), np.clip(hi, *w_range)
        ax.fill_between(ts, lo, hi, color=color, alpha=0.2, lw=0)
        spread = "±1 s.d." if band == "sd" else "p10–p90"
        ax.plot(ts, mean, color=color, lw=2.2, label=f"{label} (n={idx.size}): mean, {spread}")
    if w_range is not None:
        for bound in w_range:
            ax.axhline(bound, color="0.5", lw=0.8, ls="--")
        pad = 0.04 * (w_range[1] - w_range[0])
        ax.set_ylim(w_range[0] - pad, w_range[1] + pad)
    if ts.size > 1:
        ax.set_xlim(ts[0], ts[-1])
    ax.set_xlabel(f"time ({t_unit})")
    ax.set_ylabel("weight")
    ax.legend(loc="best", frameon=False)
    return ax


def plot_weight_histogram(w, ax, *, bins=40, w_range=None, relative=False, color=None,
                          label=None, alpha=0.75, histtype="stepfilled"):
    """Histogram of weights (fraction of synapses per bin).

    ``w`` : weights, any shape (flattened). ``w_range`` : (w_min, w_max), the bin range
    (default: data range). ``relative`` : plot ``w / w_max`` on x. Call twice on one ``ax``
    (with ``label``) to compare, e.g., initial and final weights; ``histtype="step"``
    draws an outline that stays visible on top of a filled histogram.
    """
    w = np.asarray(w, dtype=float).ravel()
    lo, hi = w_range if w_range is not None else (float(w.min()), float(w.max()))
    x = w / hi if relative else w
    rng = (lo / hi, 1.0) if relative else (lo, hi)
    weights = np.full(w.size, 1.0 / max(w.size, 1))
    color = color or PALETTE[0]
    if histtype == "step":
        ax.hist(x, bins=bins, range=rng, weights=weights, color=color, label=label,
                histtype="step", linewidth=1.8)
    else:
        ax.hist(x, bins=bins, range=rng, weights=weights, color=color, alpha=alpha,
                label=label, histtype=histtype, edgecolor="white", linewidth=0.3)
    ax.set_xlabel("w / w_max" if relative else "weight")
    ax.set_ylabel("fraction of synapses")
    if label is not None:
        ax.legend(frameon=False)
    return ax


def plot_weight_density(weights, ax, *, bins=30, w_range=None, t_unit="ms", cmap="magma_r",
                        colorbar=True):
    """The weight distribution over time as an image: time on x, weight on y, colour the
    fraction of synapses per weight bin. Shows bimodality emerging (Song et al. 2000).

    ``weights`` : WeightRecord or (t ms (n_samples,), w (n_samples, n_rec)). ``bins`` :
    weight bins over ``w_range`` (default: data range). ``t_unit`` : "ms" (default) or "s"
    for the x axis. Returns ``ax``; the image is (bins, n_samples)."""
    scale = _time_scale(t_unit)
    t, w = _weight_arrays(weights)
    lo, hi = w_range if w_range is not None else (float(w.min()), float(w.max()))
    edges = np.linspace(lo, hi, bins + 1)
    counts = np.stack([np.histogram(row, bins=edges)[0] for row in w], axis=1)
    frac = counts / max(w.shape[1], 1)
    ts = t * scale
    dt = (ts[1] - ts[0]) if ts.size > 1 else 1.0
    im = ax.imshow(frac, origin="lower", aspect="auto", cmap=cmap, interpolation="nearest",
                   extent=(ts[0] - dt / 2, ts[-1] + dt / 2, lo, hi))
    if colorbar:
        ax.figure.colorbar(im, ax=ax, label="fraction of synapses", pad=0.02)
    ax.set_xlabel(f"time ({t_unit})")
    ax.set_ylabel("weight")
    return ax


def plot_reward_weights(weights, chosen, ax, *, rewards=None, w_max=None, t_unit="ms",
                        color=None):
    """One rewarded synapse against the others (Izhikevich 2007, Fig. 1): the others' 5-95 %
    band and mean, the rewarded synapse's weight, the rewards as ticks on the time axis and
    the maximal weight as a dashed line.

    The y axis keeps headroom above ``w_max`` (45 % of it) and the legend sits in that
    headroom, in columns, so it touches neither the dashed line nor a synapse that has
    reached the maximum.

    Parameters
    ----------
    weights : WeightRecord (``.t`` ms, ``.w`` (n_samples, n_rec)) or a (t, w) pair.
    chosen : column of ``w`` holding the rewarded synapse (0 <= chosen < n_rec).
    ax : matplotlib Axes.
    rewards : reward times (ms), (n_rewards,); None: none drawn.
    w_max : the maximal weight (same unit as ``w``), drawn dashed; None: not drawn, and
        the headroom is taken above the largest weight.
    t_unit : "ms" (default) or "s" for the x axis (data in ms).
    color : the rewarded synapse's colour (default ``POTENTIATION``).

    Returns ``ax``. Raises ``ValueError`` for a ``chosen`` outside the recorded columns, a
    bad ``t_unit`` or a ``w`` whose first dimension is not ``len(t)``.
    """
    scale = _time_scale(t_unit)
    t, w = _weight_arrays(weights)
    chosen = int(chosen)
    if not 0 <= chosen < w.shape[1]:
        raise ValueError(f"chosen must index a recorded synapse, 0 <= chosen < "
                         f"{w.shape[1]}, got chosen={chosen}")
    ts = t * scale
    others = np.delete(w, chosen, axis=1)
    if others.shape[1]:
        ax.fill_between(ts, np.percentile(others, 5, axis=1),
                        np.percentile(others, 95, axis=1), color="0.85", lw=0,
                        label=f"{others.shape[1]} other synapses: 5-95 %")
        ax.plot(ts, others.mean(axis=1), color="0.4", lw=1.2, label="others: mean")
    ax.plot(ts, w[:, chosen], color=color or POTENTIATION, lw=1.8, label="rewarded synapse")
    if rewards is not None:
        r = np.asarray(rewards, dtype=float) * scale
        ax.plot(r, np.zeros(r.size), "|", color="crimson", ms=12, label="rewards")
    top = float(w_max) if w_max is not None else float(np.nanmax(w, initial=1.0))
    if w_max is not None:
        ax.axhline(top, color="0.5", ls="--", lw=0.8, label=f"maximum ({top:g})")
    ax.set_ylim(-0.05 * top, 1.45 * top)
    if ts.size > 1:
        ax.set_xlim(ts[0], ts[-1])
    ax.set_xlabel(f"time ({t_unit})")
    ax.set_ylabel("weight")
    ax.legend(frameon=False, loc="upper left", ncol=2, fontsize=8, borderaxespad=0.3)
    return ax


# --------------------------------------------------------------------------- neurons
def plot_firing_patterns(responses, axes, *, t_unit="ms", color=None):
    """Membrane potential traces of several neurons, one per axes: the firing patterns of
    neuron presets (Izhikevich 2003, Fig. 2; Naud et al. 2008, Fig. 4), e.g. from
    :func:`neurolab.papers.firing_patterns.run_presets`.

    Each trace is ``v`` as sampled; a spike (whose upswing a clock-driven sample misses) is
    drawn as a vertical line from the sampled ``v`` to ``v_peak``. The title names the
    preset and its current; the step's onset is a grey tick at the bottom. Axes left over
    are switched off.

    Parameters
    ----------
    responses : mapping name -> response with ``t`` (n_samples,) ms, ``v`` (n_samples,) mV,
        ``spikes`` (n_spikes,) ms, ``v_peak`` (mV), and optionally ``current``, ``unit``
        and ``onset`` (ms) for the title and the onset tick
        (:class:`~neurolab.papers.firing_patterns.PresetResponse`).
    axes : a sequence (or array) of matplotlib Axes, at least ``len(responses)``.
    t_unit : "ms" (default) or "s" for the x axes (data in ms).
    color : the traces' colour (default ``PALETTE[0]``).

    Returns ``axes`` (flattened to a list). Raises ``ValueError`` when there are fewer
    axes than responses or for a bad ``t_unit``.
    """
    scale = _time_scale(t_unit)
    axes = list(np.ravel(np.asarray(axes, dtype=object)))
    if len(axes) < len(responses):
        raise ValueError(f"axes must hold one Axes per response: {len(responses)} "
                         f"responses, {len(axes)} axes")
    color = color or PALETTE[0]
    for ax, (name, r) in zip(axes, responses.items()):
        t = np.asarray(r.t, dtype=float)
        v = np.asarray(r.v, dtype=float)
        spikes = np.asarray(r.spikes, dtype=float)
        ax.plot(t * scale, v, color=color, lw=0.9)
        if spikes.size:
            ax.vlines(spikes * scale, np.interp(spikes, t, v), r.v_peak, color=color, lw=0.9)
        onset = getattr(r, "onset", None)
        if onset is not None:
            ax.plot([onset * scale], [0.0], "^", color="0.5", ms=6, clip_on=False,
                    transform=ax.get_xaxis_transform())
        current = getattr(r, "current", None)
        title = name if current is None else f"{name}: {current:g} {getattr(r, 'unit', '')}"
        ax.set_title(title.strip(), fontsize=10)
        if t.size > 1:
            ax.set_xlim(t[0] * scale, t[-1] * scale)
        ax.set_xlabel(f"time ({t_unit})")
        ax.set_ylabel("v (mV)")
    for ax in axes[len(responses):]:
        ax.set_axis_off()
    return axes


# --------------------------------------------------------------------------- STDP window
def plot_stdp_window(stdp, ax, *, t_range=(-100.0, 100.0), measured=None, color=None,
                     label="analytic rule"):
    """The STDP window: weight change for one pre/post pair against ``t_post - t_pre`` (ms).

    ``stdp`` : ``STDPParams``; its additive pair rule (``STDPParams.window``) is drawn as a
    line, ``+A_plus exp(-dt/tau_plus)`` for ``dt >= 0`` and ``-A_minus exp(dt/tau_minus)``
    for ``dt < 0``. ``measured=(delta_t, dw)``: simulated or experimental points on top.
    """
    color = color or PALETTE[0]
    for side in (np.linspace(t_range[0], 0.0, 200, endpoint=False),
                 np.linspace(0.0, t_range[1], 200)):
        ax.plot(side, stdp.window(side), color=color, lw=2,
                label=label if side[0] == 0.0 else None)
    if measured is not None:
        dts, dws = (np.asarray(a, dtype=float) for a in measured)
        ax.plot(dts, dws, "o", ms=4.5, color=PALETTE[1], label="simulated pairs", zorder=3)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.axvline(0.0, color="0.5", lw=0.8)
    ax.set_xlim(*t_range)
    ax.set_xlabel("Δt = t_post − t_pre (ms)")
    ax.set_ylabel("Δw")
    ax.legend(frameon=False, loc="upper left")
    return ax


# --------------------------------------------------------------------------- rule protocols
#: colours of potentiation and depression in the rule-protocol figures
POTENTIATION, DEPRESSION = PALETTE[2], PALETTE[1]


def plot_spike_pairs(pre, post, ax, *, potentiation=(), depression=(), t_range=None):
    """The spike pairs a plasticity rule counts, as a diagram.

    Presynaptic spikes are ticks on the upper row (y = 1), postsynaptic spikes on the lower
    row (y = 0), and each counted pair is a line from its presynaptic to its postsynaptic
    spike: solid (``POTENTIATION`` colour) for the pairs in ``potentiation``, dashed
    (``DEPRESSION`` colour) for those in ``depression``.

    ``pre``, ``post`` : spike times (ms; for a delayed synapse, the presynaptic arrival
    times). ``potentiation``, ``depression`` : sequences of ``(t_pre, t_post)`` pairs (ms),
    as the caller lists them; this helper does not decide which pairs count.
    ``t_range`` : (start, stop) in ms to show (default: the spikes, with a margin).
    Returns ``ax``; its lines are the pairs, potentiation first.
    """
    pre = np.asarray(pre, dtype=float).ravel()
    post = np.asarray(post, dtype=float).ravel()
    for pairs, color, style in ((potentiation, POTENTIATION, "-"),
                                (depression, DEPRESSION, "--")):
        for a, b in np.asarray(pairs, dtype=float).reshape(-1, 2):
            ax.plot([a, b], [1.0, 0.0], style, color=color, lw=1.8, alpha=0.85)
    ax.scatter(pre, np.ones_like(pre), marker="|", s=500, color="0.15", linewidths=2,
               zorder=3)
    ax.scatter(post, np.zeros_like(post), marker="|", s=500, color="0.15", linewidths=2,
               zorder=3)
    if t_range is None:
        t = np.concatenate([pre, post])
        pad = max(5.0, 0.1 * float(np.ptp(t))) if t.size else 5.0
        t_range = (float(t.min()) - pad, float(t.max()) + pad) if t.size else (0.0, 1.0)
    ax.set_xlim(*t_range)
    ax.set_ylim(-0.5, 1.5)
    ax.set_yticks([1.0, 0.0], ["pre", "post"])
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("time (ms)")
    return ax


def plot_rule_check(x, closed_form, ax, *, simulated=None, color=None, label="closed form",
                    sim_label="simulated", linestyle="-", offset=0.0, width=0.8):
    """A rule's closed form with simulated points on top: the figure of a rule check.

    Numeric ``x``: ``closed_form`` is drawn as a line through ``(x, closed_form)`` (evaluate
    it on a fine grid, ``linestyle`` as matplotlib's); ``simulated=(x_sim, y_sim)`` as open
    circles of the same colour.
    Categorical ``x`` (strings, e.g. pairing schemes): ``closed_form`` as bars at positions
    ``0, 1, ...`` shifted by ``offset`` (several series side by side: give each its
    ``offset`` and a narrower ``width``), tick labels ``x``; ``simulated`` is then the
    simulated values in the order of ``x``, drawn as open circles on the bars.

    ``label`` / ``sim_label``: legend entries (None: none). Returns ``ax``.
    """
    color = color or PALETTE[0]
    closed_form = np.asarray(closed_form, dtype=float)
    categorical = any(isinstance(v, str) for v in x)
    if categorical:
        pos = np.arange(len(x)) + offset
        if closed_form.shape != pos.shape:
            raise ValueError(f"closed_form has shape {closed_form.shape}, expected "
                             f"({len(x)},) like the categories")
        ax.bar(pos, closed_form, width=width, color=color, alpha=0.75, label=label)
        if simulated is not None:
            sim = (pos, np.asarray(simulated, dtype=float))
        ax.set_xticks(np.arange(len(x)), list(x))
        ax.axhline(0.0, color="0.5", lw=0.8)
    else:
        ax.plot(np.asarray(x, dtype=float), closed_form, linestyle=linestyle, color=color,
                lw=2, label=label)
        if simulated is not None:
            sim = tuple(np.asarray(a, dtype=float) for a in simulated)
    if simulated is not None:
        if sim[0].shape != sim[1].shape:
            raise ValueError(f"simulated: {sim[0].shape[0]} positions and "
                             f"{sim[1].shape[0]} values")
        ax.plot(sim[0], sim[1], "o", ms=5.5, mfc="white",
                mec="0.1" if categorical else color, mew=1.4, label=sim_label, zorder=3)
    return ax


# --------------------------------------------------------------------------- saving
def save_figure(fig, path, *, dpi=150):
    """Save ``fig`` as PNG to ``path`` atomically, byte-identical for an identical figure.

    The PNG carries no software name or timestamp (``metadata={"Software": None}``) and is
    rendered with Agg whatever backend is active. Returns the path.
    """
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None},
                bbox_inches="tight", pad_inches=0.08, facecolor="white")
    return atomic_write_bytes(path, buf.getvalue())
