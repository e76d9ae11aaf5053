"""Measures that the lessons and the classic STDP papers report, computed from simulated data.

- :func:`weight_bimodality`: how bimodal a weight distribution is (Song, Miller & Abbott
  2000; van Rossum, Bi & Turrigiano 2000; Gütig et al. 2003): the fractions of weights near
  0 and near ``w_max`` and Sarle's bimodality coefficient.
- :func:`fit_stdp_window`: the amplitudes and time constants of a pair STDP window fitted
  back from measured (or simulated) pairs, one exponential on each side (Bi & Poo 1998).
- :func:`pattern_detection`: hit rate, false alarms and latency of a neuron that should
  respond to a repeating spike pattern (Masquelier, Guyonneau & Thorpe 2008).
- :func:`assign_labels`, :func:`predict_labels`, :func:`accuracy`: unsupervised
  classification read out from an STDP layer (Diehl & Cook 2015).

Times in ms, rates in Hz, weights in the units of the projection. Every function validates
its input and raises ``ValueError``/``TypeError`` naming the parameter, its value and what
is allowed; none returns NaN.

Room: ``neurolab.analysis`` (measures of spike trains and weights). May import: numpy, scipy and
``neurolab.base``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import validate as V

__all__ = ["Bimodality", "weight_bimodality", "WindowFit", "fit_stdp_window",
           "PatternScores", "pattern_detection", "Selectivity", "selectivity_onset",
           "assign_labels", "predict_labels", "accuracy", "AmplitudeFit", "fit_amplitudes",
           "normalized_error"]


# ---------------------------------------------------------------------------- bimodality
@dataclass(frozen=True)
class Bimodality:
    """Result of :func:`weight_bimodality`.

    ``frac_low``/``frac_high``: fractions of the weights within ``edge * w_max`` of 0 and of
    ``w_max``; ``coefficient``: Sarle's bimodality coefficient (values above 5/9, the value
    of a uniform distribution, suggest two modes), ``None`` when the weights have no spread
    (all equal: skewness and kurtosis are undefined); ``n``: the number of weights.
    """
    frac_low: float
    frac_high: float
    coefficient: float | None
    n: int

    @property
    def frac_bounds(self) -> float:
        """Fraction of weights near either bound (``frac_low + frac_high``)."""
        return self.frac_low + self.frac_high


def weight_bimodality(w, w_max: float, *, edge: float = 0.1) -> Bimodality:
    """How bimodal the weights ``w`` (shape ``(n,)``, values in [0, w_max]) are.

    Fractions: ``frac_low = mean(w <= edge * w_max)``, ``frac_high = mean(w >= (1 - edge) *
    w_max)``. Additive STDP drives weights to both bounds (Song, Miller & Abbott 2000, Fig.
    2: after 100 s most weights lie near 0 or near w_max); multiplicative depression gives a
    unimodal distribution (van Rossum et al. 2000; Gütig et al. 2003 move between the two
    with mu).

    Sarle's bimodality coefficient (SAS Institute 1990; Pfister et al. 2013, Front. Psychol.
    4:700): ``BC = (G1**2 + 1) / (G2 + 3 (n - 1)**2 / ((n - 2)(n - 3)))`` with the sample
    skewness ``G1`` and excess kurtosis ``G2`` both bias-corrected. Needs ``n >= 4``.

    Raises ``ValueError`` when ``w`` is empty, has fewer than 4 values, is not finite or lies
    outside [0, w_max], when ``w_max <= 0`` or ``edge`` is outside (0, 0.5).
    """
    w_max = V.positive("w_max", w_max)
    edge = V.real("edge", edge)
    if not 0.0 < edge < 0.5:
        raise ValueError(f"edge must lie in (0, 0.5) (a fraction of w_max), got {edge!r}")
    w = V.float_array("w", w, allow_scalar=False)
    if w.size < 4:
        raise ValueError(f"w must hold at least 4 weights for a bimodality coefficient, "
                         f"got {w.size}")
    tol = 1e-12 * w_max
    if (w < -tol).any() or (w > w_max + tol).any():
        k = int(np.flatnonzero((w < -tol) | (w > w_max + tol))[0])
        raise ValueError(f"w must lie in [0, w_max] = [0, {w_max!r}], got {float(w[k])!r} "
                         f"at index {k}")
    n = w.size
    frac_low = float(np.mean(w <= edge * w_max))
    frac_high = float(np.mean(w >= (1.0 - edge) * w_max))
    d = w - w.mean()
    m2 = float(np.mean(d * d))
    if m2 <= (1e-15 * w_max) ** 2:
        coefficient = None
    else:
        g1 = float(np.mean(d ** 3)) / m2 ** 1.5                 # population moments
        g2 = float(np.mean(d ** 4)) / m2 ** 2 - 3.0
        G1 = g1 * np.sqrt(n * (n - 1.0)) / (n - 2.0)             # bias-corrected
        G2 = (n - 1.0) / ((n - 2.0) * (n - 3.0)) * ((n + 1.0) * g2 + 6.0)
        coefficient = float((G1 ** 2 + 1.0) / (G2 + 3.0 * (n - 1.0) ** 2
                                                 / ((n - 2.0) * (n - 3.0))))
    return Bimodality(frac_low, frac_high, coefficient, n)


# ---------------------------------------------------------------------------- window fit
@dataclass(frozen=True)
class WindowFit:
    """Result of :func:`fit_stdp_window`: ``dw = A_plus exp(-dt / tau_plus)`` for dt > 0,
    ``dw = -A_minus exp(dt / tau_minus)`` for dt < 0 (dt = t_post - t_pre, ms). The
    ``*_err`` fields are one standard error from the fit's covariance (0 for an exact fit)."""
    A_plus: float
    tau_plus: float
    A_minus: float
    tau_minus: float
    A_plus_err: float
    tau_plus_err: float
    A_minus_err: float
    tau_minus_err: float


def _fit_side(name: str, x, y):
    """Least-squares fit of ``y = A exp(-x / tau)`` (x > 0); a log-linear fit of the points
    with y > 0 gives the starting point of ``scipy.optimize.curve_fit``."""
    from scipy.optimize import curve_fit

    good = y > 0
    if good.sum() >= 2 and np.ptp(x[good]) > 0:
        slope, intercept = np.polyfit(x[good], np.log(y[good]), 1)
        tau0 = -1.0 / slope if slope < 0 else float(np.ptp(x))
        a0 = float(np.exp(intercept))
    else:
        tau0, a0 = float(np.mean(x)), float(np.max(np.abs(y)))

    def model(t, a, tau):
        return a * np.exp(-t / tau)

    try:
        (a, tau), cov = curve_fit(model, x, y, p0=(a0, tau0),
                                  bounds=((0.0, 1e-6), (np.inf, np.inf)))
    except RuntimeError as err:           # no convergence: say which side and why
        raise ValueError(f"the {name} side of the window could not be fitted by one "
                         f"exponential ({err})") from None
    err = np.sqrt(np.clip(np.diag(cov), 0.0, None)) if np.all(np.isfinite(cov)) \
        else np.array([np.inf, np.inf])
    return float(a), float(tau), float(err[0]), float(err[1])


def fit_stdp_window(delta_t, dw) -> WindowFit:
    """Fit a pair STDP window to points ``(delta_t, dw)`` (shapes ``(n,)``, ms and weight
    units), one exponential per side, as Bi & Poo (1998, Fig. 7) did for hippocampal
    cultures (their fits: tau_plus = 16.8 ms, tau_minus = 33.7 ms).

    Points with ``delta_t > 0`` fit ``A_plus exp(-delta_t / tau_plus)``, points with
    ``delta_t < 0`` fit ``-A_minus exp(delta_t / tau_minus)`` (scipy's ``curve_fit``,
    started from a log-linear fit); ``delta_t == 0`` is left out (which side a same-time pair
    belongs to is a convention of the rule, not part of either exponential).

    Raises ``ValueError`` when the arrays differ in length, hold non-finite values, or a side
    has fewer than 3 points or points at fewer than 2 distinct lags.
    """
    delta_t = V.float_array("delta_t", delta_t, allow_scalar=False)
    dw = V.float_array("dw", dw, length=delta_t.size, allow_scalar=False)
    fits = []
    for name, sel, sign in (("delta_t > 0", delta_t > 0, 1.0),
                            ("delta_t < 0", delta_t < 0, -1.0)):
        x, y = np.abs(delta_t[sel]), sign * dw[sel]
        if x.size < 3 or np.unique(x).size < 2:
            raise ValueError(f"delta_t needs at least 3 points at 2 or more distinct lags "
                             f"with {name} to fit that side of the window, got {x.size} "
                             f"point(s) at {np.unique(x).size} lag(s)")
        fits.append(_fit_side(name, x, y))
    (ap, tp, ape, tpe), (am, tm, ame, tme) = fits
    return WindowFit(ap, tp, am, tm, ape, tpe, ame, tme)


# ---------------------------------------------------------------------- pattern detection
@dataclass(frozen=True)
class PatternScores:
    """Result of :func:`pattern_detection`.

    ``hit_rate``: fraction of pattern presentations with at least one postsynaptic spike
    inside the presentation window; ``false_alarm_rate``: postsynaptic spikes outside every
    window per second of time outside the windows (Hz); ``latency``: median time from the
    onset of a hit presentation to its first postsynaptic spike (ms; ``None`` without hits);
    ``n_presentations``, ``n_hits``, ``n_false_alarms``: the counts behind them.
    """
    hit_rate: float
    false_alarm_rate: float
    latency: float | None
    n_presentations: int
    n_hits: int
    n_false_alarms: int


def pattern_detection(post_times, onsets, pattern_duration: float, *, t_start: float,
                      t_stop: float) -> PatternScores:
    """Score a neuron as a detector of a repeating spike pattern (Masquelier, Guyonneau &
    Thorpe 2008: after learning, hit rate > 98 %, almost no false alarms, latency < 10 ms).

    ``post_times``: the neuron's spike times (ms, shape ``(k,)``); ``onsets``: onset times of
    the pattern presentations (ms, shape ``(m,)``, non-overlapping); a presentation's window
    is ``[onset, onset + pattern_duration)``. Only spikes and presentations inside the
    analysis interval ``[t_start, t_stop)`` count (e.g. the last part of a run, after
    learning); a presentation counts when its whole window lies inside.

    Raises ``ValueError`` for non-finite times, ``pattern_duration <= 0``, ``t_stop <=
    t_start``, overlapping or unsorted onsets, or no presentation inside the interval.
    """
    post = V.float_array("post_times", post_times, allow_scalar=False) \
        if np.size(post_times) else np.zeros(0)
    onsets = V.float_array("onsets", onsets, allow_scalar=False)
    dur = V.positive("pattern_duration", pattern_duration, "ms")
    t_start = V.real("t_start", t_start)
    t_stop = V.real("t_stop", t_stop)
    if t_stop <= t_start:
        raise ValueError(f"t_stop must be > t_start = {t_start!r} ms, got {t_stop!r}")
    if onsets.size > 1 and np.any(np.diff(onsets) < dur):
        k = int(np.flatnonzero(np.diff(onsets) < dur)[0])
        raise ValueError(f"onsets must be sorted and at least pattern_duration = {dur!r} ms "
                         f"apart, got {onsets[k]!r} then {onsets[k + 1]!r} at index {k}")
    inside = (onsets >= t_start) & (onsets + dur <= t_stop)
    onsets = onsets[inside]
    if onsets.size == 0:
        raise ValueError(f"no pattern presentation lies inside [t_start, t_stop) = "
                         f"[{t_start!r}, {t_stop!r}) ms")
    post = np.sort(post[(post >= t_start) & (post < t_stop)])
    first = np.searchsorted(post, onsets, side="left")        # first spike at/after onset
    has = first < post.size
    lat = np.full(onsets.size, np.inf)
    lat[has] = post[first[has]] - onsets[has]
    hits = lat < dur
    # spikes inside any window: the window starting at the last onset <= t
    k = np.searchsorted(onsets, post, side="right") - 1
    in_window = (k >= 0) & (post < onsets[np.clip(k, 0, None)] + dur)
    n_fa = int(np.count_nonzero(~in_window))
    outside_ms = (t_stop - t_start) - onsets.size * dur
    # windows that straddle t_start or t_stop were dropped above: their in-interval part
    # is counted as outside time, and spikes in it as false alarms only if outside all kept
    fa_rate = n_fa / (outside_ms / 1000.0) if outside_ms > 0 else 0.0
    return PatternScores(hit_rate=float(hits.mean()), false_alarm_rate=float(fa_rate),
                         latency=float(np.median(lat[hits])) if hits.any() else None,
                         n_presentations=int(onsets.size), n_hits=int(hits.sum()),
                         n_false_alarms=n_fa)


@dataclass(frozen=True)
class Selectivity:
    """Result of :func:`selectivity_onset`.

    ``t``: time of the last false alarm before ``t_stop`` (ms), 0.0 when there is none;
    ``n_spikes``: the output spikes up to and including it (hits and false alarms; 0 when
    there is none): the output spikes the neuron needed to become selective.
    """
    t: float
    n_spikes: int


def selectivity_onset(post_times, onsets, pattern_duration: float, *,
                      t_stop: float) -> Selectivity:
    """When a neuron became a selective pattern detector: its last false alarm (an output
    spike outside every presentation window ``[onset, onset + pattern_duration)``) before
    ``t_stop`` (ms), and how many output spikes it had emitted up to then (Hathway &
    Goodman 2018 count output spikes until selectivity: about 700 in Masquelier et al.'s
    2008 simulations, about 1400 in theirs at dt = 0.1 ms). Meaningful for a neuron that
    is selective at ``t_stop``; one late false alarm moves the onset to it.

    ``post_times`` (k,) and ``onsets`` (m,) in ms, onsets sorted and at least
    ``pattern_duration`` apart. Raises ``ValueError`` for non-finite times,
    ``pattern_duration <= 0`` or unsorted/overlapping onsets.
    """
    post = V.float_array("post_times", post_times, allow_scalar=False) \
        if np.size(post_times) else np.zeros(0)
    onsets = V.float_array("onsets", onsets, allow_scalar=False) \
        if np.size(onsets) else np.zeros(0)
    dur = V.positive("pattern_duration", pattern_duration, "ms")
    t_stop = V.real("t_stop", t_stop)
    if onsets.size > 1 and np.any(np.diff(onsets) < dur):
        k = int(np.flatnonzero(np.diff(onsets) < dur)[0])
        raise ValueError(f"onsets must be sorted and at least pattern_duration = {dur!r} ms "
                         f"apart, got {onsets[k]!r} then {onsets[k + 1]!r} at index {k}")
    post = np.sort(post[post < t_stop])
    k = np.searchsorted(onsets, post, side="right") - 1
    inside = (k >= 0) & (post < onsets[np.clip(k, 0, None)] + dur) if onsets.size \
        else np.zeros(post.size, dtype=bool)
    fa = np.flatnonzero(~inside)
    if fa.size == 0:
        return Selectivity(t=0.0, n_spikes=0)
    last = int(fa[-1])
    return Selectivity(t=float(post[last]), n_spikes=last + 1)


# ------------------------------------------------------------ label assignment (Diehl & Cook)
def _responses(responses) -> np.ndarray:
    r = np.asarray(responses)
    if r.ndim != 2 or r.shape[0] == 0 or r.shape[1] == 0:
        raise ValueError(f"responses must be a 2-d array (samples, neurons) with at least one "
                         f"of each, got shape {r.shape}")
    if not np.issubdtype(r.dtype, np.number) or r.dtype == bool:
        raise TypeError(f"responses must hold numbers (spike counts), got dtype {r.dtype}")
    r = r.astype(np.float64)
    if not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError("responses must be finite and >= 0 (spike counts)")
    return r


def assign_labels(responses, labels, n_classes: int) -> np.ndarray:
    """Label each neuron with the class it responds to most (Diehl & Cook 2015, Sec. 2.4).

    ``responses``: spike counts, shape ``(n_samples, n_neurons)``, recorded with learning
    off; ``labels``: the samples' classes, shape ``(n_samples,)``, in ``[0, n_classes)``.
    Returns the assignments, shape ``(n_neurons,)``: for each neuron the class with the
    highest mean response over that class's samples (ties: the lowest class; a class without
    samples is never assigned), or -1 for a neuron that never fired.
    """
    r = _responses(responses)
    n_classes = V.integer("n_classes", n_classes, minimum=1)
    labels = V.index_array("labels", labels, n_classes, length=r.shape[0])
    mean = np.full((n_classes, r.shape[1]), -np.inf)
    for c in range(n_classes):
        sel = labels == c
        if sel.any():
            mean[c] = r[sel].mean(axis=0)
    out = np.argmax(mean, axis=0).astype(np.int64)
    out[r.sum(axis=0) == 0] = -1
    return out


def predict_labels(responses, assignments, n_classes: int) -> np.ndarray:
    """Classify samples from their responses: the class whose assigned neurons have the
    highest mean spike count (Diehl & Cook 2015). ``responses`` shape ``(n_samples,
    n_neurons)``, ``assignments`` shape ``(n_neurons,)`` from :func:`assign_labels`.
    Returns shape ``(n_samples,)``: the predicted class, or -1 when no assigned neuron fired
    (such a sample counts as wrong in :func:`accuracy`). Ties go to the lowest class."""
    r = _responses(responses)
    n_classes = V.integer("n_classes", n_classes, minimum=1)
    a = np.asarray(assignments)
    if a.shape != (r.shape[1],):
        raise ValueError(f"assignments must have shape ({r.shape[1]},) (one per neuron), "
                         f"got {a.shape}")
    a = V.index_array("assignments", a + 1, n_classes + 1) - 1        # -1 allowed
    score = np.full((r.shape[0], n_classes), -np.inf)
    for c in range(n_classes):
        sel = a == c
        if sel.any():
            score[:, c] = r[:, sel].mean(axis=1)
    pred = np.argmax(score, axis=1).astype(np.int64)
    best = score[np.arange(r.shape[0]), pred]
    pred[~(best > 0)] = -1
    return pred


def accuracy(predictions, labels) -> float:
    """Fraction of ``predictions`` equal to ``labels`` (shapes ``(n,)``; -1, no answer,
    is always wrong)."""
    p = np.asarray(predictions)
    y = np.asarray(labels)
    if p.ndim != 1 or p.shape != y.shape or p.size == 0:
        raise ValueError(f"predictions and labels must be 1-d, non-empty and of one length, "
                         f"got shapes {p.shape} and {y.shape}")
    return float(np.mean(p == y))


# --------------------------------------------------------------- fitting rules to data
@dataclass(frozen=True)
class AmplitudeFit:
    """Result of :func:`fit_amplitudes`. ``amplitudes``: the fitted non-negative
    coefficients, one per basis column; ``model``: ``basis @ amplitudes`` (the fitted
    values); ``error``: the normalised mean-square error of the fit, as
    :func:`normalized_error` defines it."""
    amplitudes: np.ndarray
    model: np.ndarray
    error: float


def normalized_error(model, data, sem) -> float:
    """Normalised mean-square error of a model against measured points,
    ``E = (1/p) sum_k ((model_k - data_k) / sem_k)**2`` over the p points: the mean squared
    distance in units of each point's standard error (1: the model is as far off as the
    error bars, on average). The kind of measure Pfister & Gerstner (2006, J. Neurosci.
    26:9673) report for their fits.

    ``model``, ``data``, ``sem``: arrays of one shape (any), ``sem`` > 0. Raises
    ``ValueError`` naming the parameter for shapes that differ, an empty array, values
    that are not finite, or ``sem`` <= 0.
    """
    data = _finite("data", data)
    model = _finite("model", model, data.shape)
    sem = _finite("sem", sem, data.shape)
    if (sem <= 0).any():
        raise ValueError(f"sem must be > 0 everywhere, got {float(sem[sem <= 0][0])!r}")
    return float(np.mean(((model - data) / sem) ** 2))


def fit_amplitudes(basis, data, sem) -> AmplitudeFit:
    """Fit a model that is linear in non-negative amplitudes to measured points, weighting
    each point by its standard error: minimise ``sum_k ((basis @ a - data)_k / sem_k)**2``
    over ``a >= 0`` (scipy's ``nnls``, Lawson & Hanson's active-set algorithm).

    A plasticity rule without weight bounds in reach is such a model: its weight change
    under a fixed protocol is a sum of its amplitudes times what each term contributes
    (the pair rule: ``A_plus`` times the potentiating sum minus ``A_minus`` times the
    depressing one; the triplet rule of Pfister & Gerstner 2006: its four amplitudes), so
    a column of ``basis`` is the weight change of the protocol with that amplitude 1 and
    the others 0 (negative for a depressing term).

    ``basis``: (p, m) array, p measured points, m amplitudes; ``data``, ``sem``: (p,)
    arrays, ``sem`` > 0. Returns an :class:`AmplitudeFit`. Raises ``ValueError`` naming
    the parameter for: wrong shapes, values that are not finite, ``sem`` <= 0.
    """
    data = _finite("data", data)
    if data.ndim != 1:
        raise ValueError(f"data must be 1-d (one value per point), got shape {data.shape}")
    basis = _finite("basis", basis)
    if basis.ndim != 2 or basis.shape[0] != data.size or basis.shape[1] == 0:
        raise ValueError(f"basis must have shape (p, m) = ({data.size}, m >= 1), got "
                         f"shape {basis.shape}")
    sem = _finite("sem", sem, data.shape)
    if (sem <= 0).any():
        raise ValueError(f"sem must be > 0 everywhere, got {float(sem[sem <= 0][0])!r}")
    from scipy.optimize import nnls

    amplitudes, _ = nnls(basis / sem[:, None], data / sem)
    model = basis @ amplitudes
    return AmplitudeFit(amplitudes=amplitudes, model=model,
                        error=normalized_error(model, data, sem))


def _finite(name, value, shape=None) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {V._show(value)}") from None
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (as data), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must hold finite numbers only")
    return arr
