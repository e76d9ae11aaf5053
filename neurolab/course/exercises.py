"""Checks for the course's exercises: right, or wrong and why.

Every ``check_*`` function takes a student's answer and the parameters the lesson used,
compares the answer with the closed form, prints one message a student understands and
returns a :class:`CheckResult`, which is true when the answer is right::

    >>> from neurolab import exercises
    >>> r = exercises.check_max_rate(500.0, refractory=2.0)   # prints "Right! ..."
    >>> bool(r), r.correct
    (True, True)

A wrong answer is compared with the answers that common mistakes give (the refractory
period forgotten, the sign of Δt flipped, the time constants swapped, a rate in spikes per
ms instead of Hz, ...); when one matches, the message names the mistake, otherwise it says
where the answer differs and what was expected there. The lessons' autograded cells
(nbgrader) assert the result: ``r = check_...(...); assert r, r.message``.

The student's answer never raises: a missing, non-numeric or ill-shaped answer is a wrong
answer whose message says what was expected. The lesson's parameters are checked like the
package's (``ValueError`` naming the parameter, its value and what is allowed): they come
from the notebook, not from the student.

Units are the package's: ms, mV, Hz; an input current is written as the potential it adds
at steady state, ``R_m I`` (mV), as :class:`neurolab.LIFParams` does (``I_bias``).

Closed forms (each check's docstring gives its own):

- LIF membrane (Lapicque 1907; Gerstner, Kistler, Naud & Paninski 2014, ch. 1.3):
  ``tau_m dv/dt = (v_rest - v) + I``; from ``v(0) = v_rest`` with constant ``I``,
  ``v(t) = v_rest + I (1 - exp(-t / tau_m))``. Rheobase ``I_rh = v_th - v_rest``. Firing
  rate for ``I > I_rh`` (the neuron restarts at ``v_reset`` after each refractory period
  ``t_ref``): ``f = 1000 / (t_ref + tau_m ln((v_rest + I - v_reset) / (v_rest + I - v_th)))``
  Hz, and ``f = 0`` for ``I <= I_rh``; ``f < 1000 / t_ref``.
- Pair STDP (Bi & Poo 1998; Song, Miller & Abbott 2000), ``Δt = t_post - t_pre``:
  ``Δw = A_plus exp(-Δt / tau_plus)`` for ``Δt >= 0`` (a pair in the same step counts as
  potentiation, as in the package and Brian2), ``-A_minus exp(Δt / tau_minus)`` for
  ``Δt < 0``. With all-to-all pairing a protocol's total is the sum over every
  (pre, post) pair. Window integral ``A_plus tau_plus - A_minus tau_minus``; drift of an
  uncorrelated synapse (Poisson pre at ``r_pre``, post at ``r_post``, Kempter, Gerstner &
  van Hemmen 1999): ``<dw/dt> = r_pre r_post (A_plus tau_plus - A_minus tau_minus)`` with
  the time constants in seconds.

Room: ``neurolab.course``. May import: the package and every room below it.
"""

from __future__ import annotations

import math
import numbers
import textwrap
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CheckResult", "check_rheobase", "check_membrane_trace", "check_fi_curve",
    "check_max_rate", "check_stdp_window", "check_pairing_total", "check_window_integral",
    "check_half_time", "check_output_rate", "check_weight_fractions",
    "check_uncorrelated_drift", "check_choice", "question_text", "QUESTIONS",
]

RTOL = 1e-6      # relative tolerance of a right answer (closed forms computed another way)
ATOL = 1e-9      # absolute tolerance, in the answer's unit


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer: ``correct`` (also the truth value), ``message`` (what
    was printed) and ``exercise`` (the check's name)."""

    correct: bool
    message: str
    exercise: str

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return f"CheckResult({self.exercise}: {'right' if self.correct else 'wrong'})"


# ----------------------------------------------------------------------------- the lesson's parameters
#: what each lesson's parameters cell may hold: name -> (low, high, unit); ``low`` is
#: exclusive for the names in _OPEN_LOW (a time constant, a rate...), inclusive otherwise
LESSON_RANGES = {
    "lesson1_lif_neuron": {
        "tau_m": (0.0, 1000.0, "ms"), "refractory": (0.0, 100.0, "ms"),
        "I_sub": (0.0, 1e4, "mV"), "I_max": (0.0, 1e4, "mV"), "I_step": (0.0, 1e4, "mV"),
        "duration": (0.0, 1e6, "ms"), "dt": (0.0, 1.0, "ms"),
        "v_rest": (-200.0, 100.0, "mV"), "v_th": (-200.0, 100.0, "mV"),
        "v_reset": (-200.0, 100.0, "mV")},
    "lesson2_stdp_window": {
        "tau_plus": (0.0, 1000.0, "ms"), "tau_minus": (0.0, 1000.0, "ms"),
        "A_plus": (0.0, 1.0, ""), "A_minus": (0.0, 1.0, ""),
        "delta_t_max": (0.0, 1000.0, "ms"), "delta_t_step": (0.0, 1000.0, "ms"),
        "n_pairs": (1, 10_000, ""), "probe_delta_t": (-1000.0, 1000.0, "ms"),
        "probe_frequency": (0.0, 1000.0, "Hz"), "dt": (0.0, 1.0, "ms")},
    "lesson3_many_inputs": {
        "duration_s": (0.0, 1e5, "s"), "n_inputs": (1, 10**6, ""), "rate": (0.0, 1000.0, "Hz"),
        "rate_high": (0.0, 1000.0, "Hz"), "w_max": (0.0, 1e3, ""),
        "A_plus": (0.0, 1.0, "w_max"), "A_minus": (0.0, 1.0, "w_max"),
        "A_minus_weak": (0.0, 1.0, "w_max"), "tau_plus": (0.0, 1000.0, "ms"),
        "tau_minus": (0.0, 1000.0, "ms"), "weight_dt": (0.0, 1e6, "ms"),
        "window_s": (0.0, 1e5, "s")},
    "lesson4_explorer": {
        "A_plus": (0.0, 1.0, "w_max"), "A_minus": (0.0, 1.0, "w_max"),
        "tau_plus": (0.0, 1000.0, "ms"), "tau_minus": (0.0, 1000.0, "ms"),
        "w_max": (0.0, 1e3, ""), "rate": (0.0, 1000.0, "Hz"),
        "correlation": (0.0, 1.0, ""), "n_correlated": (1, 10**5, ""),
        "n_independent": (1, 10**5, ""), "duration": (0.0, 1e6, "ms")},
}
_CLOSED_LOW = {"I_sub", "v_rest", "v_th", "v_reset", "probe_delta_t", "correlation",
               "n_pairs", "n_inputs", "n_correlated", "n_independent"}
#: lesson -> {name: value} of the parameters its derived values were made from
_DERIVED_FROM: dict = {}


class LessonParameterError(ValueError):
    """A value in a lesson's parameters cell outside what the lesson allows."""


def lesson_parameters(lesson: str, **values) -> dict:
    """Check a lesson's parameters against the ranges the lesson states and remember them
    as what its derived values are made from; call it in the lesson's "Derived values"
    cell with the parameters cell's names.

    Every check then compares the notebook's current parameters with these: after the
    parameters cell was edited and run again without the derived-values cell (which
    silently mixes old and new values), a check refuses, saying which parameter changed
    and to run the notebook from the top. Returns ``values``.

    Raises ``LessonParameterError`` (a ``ValueError``) naming the parameter, its value and
    the allowed range, and ``KeyError`` for an unknown lesson.
    """
    ranges = LESSON_RANGES[lesson]
    for name, value in values.items():
        if name not in ranges:
            continue
        lo, hi, unit = ranges[name]
        unit = f" {unit}" if unit else ""
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not math.isfinite(value):
            raise LessonParameterError(f"{name} = {value!r} in the parameters cell: it must be "
                                       f"a finite number")
        low_ok = value >= lo if name in _CLOSED_LOW else value > lo
        if not (low_ok and value <= hi):
            bracket = "[" if name in _CLOSED_LOW else "("
            raise LessonParameterError(
                f"{name} = {value:g}{unit} in the parameters cell: {lesson} needs {name} in "
                f"{bracket}{lo:g}, {hi:g}]{unit}; change it there and run the notebook again")
    _DERIVED_FROM[lesson] = dict(values)
    return values


def _user_namespace():
    """The notebook's variables (IPython's user namespace), or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return None if shell is None else shell.user_ns


def _stale_parameters() -> list:
    """``(name, derived_with, now)`` for every lesson parameter whose value in the notebook
    differs from the one its derived values were made from."""
    ns = _user_namespace()
    if not ns:
        return []
    out = []
    for values in _DERIVED_FROM.values():
        for name, then in values.items():
            now = ns.get(name, then)
            try:
                same = bool(now == then)
            except Exception:
                same = now is then
            if not same:
                out.append((name, then, now))
    return out


def _result(exercise: str, correct: bool, message: str, quiet: bool) -> CheckResult:
    stale = _stale_parameters()
    if stale:
        changed = ", ".join(f"{n} = {now!r} (derived values made with {then!r})"
                            for n, then, now in stale)
        correct, message = False, (
            f"the parameters changed after the derived values were made: {changed}. Run "
            f"the notebook again from the top (Run > Run All Cells) so that every cell "
            f"uses the same values; the check can only then say whether the answer is right.")
    text = ("Right! " if correct else "Not yet: ") + message
    if not quiet:
        print(textwrap.fill(text, width=88, break_long_words=False, break_on_hyphens=False))
    return CheckResult(bool(correct), text, exercise)


# ----------------------------------------------------------------------------- arguments
def _param(name: str, value, *, positive=False, nonneg=False) -> float:
    """A lesson parameter: a finite real number (ValueError/TypeError otherwise)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {name}={value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {name}={value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {name}={value!r}")
    if nonneg and value < 0:
        raise ValueError(f"{name} must be >= 0, got {name}={value!r}")
    return value


def _param_array(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {name}={value!r}") from None
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty 1-d array of finite numbers, got "
                         f"shape {arr.shape}")
    return arr


def _number(answer, unit: str):
    """(value, None) for a real number, (None, why it is not one) otherwise."""
    if isinstance(answer, np.ndarray) and answer.size == 1:
        answer = answer.reshape(()).item()
    if answer is None:
        return None, "the answer is None: did the cell assign the variable?"
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None, f"expected one number (in {unit}), got {answer!r}"
    value = float(answer)
    if math.isnan(value):
        return None, f"the answer is NaN: expected a number in {unit}"
    return value, None


def _array(answer, n: int, unit: str):
    """(float array of shape (n,), None) or (None, why not)."""
    if answer is None:
        return None, "the answer is None: did the cell assign the variable?"
    try:
        arr = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"expected an array of {n} numbers (in {unit}), got {answer!r:.80}"
    if arr.shape != (n,):
        return None, f"expected an array of {n} numbers, one per point, got shape {arr.shape}"
    return arr, None


def _close(answer, expected, rtol=RTOL, atol=ATOL) -> bool:
    a = np.asarray(answer, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return False
    return bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True))


def _diagnose(answer, expected, mistakes, *, rtol=RTOL, atol=ATOL):
    """The message of the first mistake whose answer equals ``answer`` (mistakes that
    give the right answer for these parameters are skipped), else None."""
    for wrong, message in mistakes:
        if _close(wrong, expected, rtol, atol):
            continue
        if _close(answer, wrong, rtol, atol):
            return message
    return None


def _first_difference(x, answer, expected, xname, xunit, unit, rtol=RTOL, atol=ATOL):
    bad = ~np.isclose(answer, expected, rtol=rtol, atol=atol, equal_nan=True)
    k = int(np.flatnonzero(bad)[0])
    unit = f" {unit}" if unit else ""
    return (f"{int(bad.sum())} of {bad.size} values differ; the first at {xname} = "
            f"{x[k]:g} {xunit}: expected {expected[k]:.6g}{unit}, got {answer[k]:.6g}{unit}")


def _require_separating(name: str, expected: float, mistakes, where: str) -> None:
    """Raise ``ValueError`` when a diagnosed wrong formula gives the right number at these
    parameters: such a check would say "Right!" to a wrong formula (a teacher's error, so
    it is raised, not returned to the student)."""
    same = [why.split(":")[0] for wrong, why in mistakes if _close(wrong, expected)]
    if same:
        raise ValueError(f"{name}: at {where} a wrong formula gives the right answer "
                         f"({expected:.4g}; {'; '.join(same)}): choose parameters that "
                         f"separate them")


def _scalar_miss(value: float, expected: float, unit: str, otherwise: str) -> str:
    """The message for a wrong number that no diagnosed mistake explains: within 1 % of
    the expected value, that it is close but not exact (both printed with enough digits to
    see the difference: a student who typed 11.64 for 11.6449 must not read "expected
    11.64, got 11.64"); a whole power of ten off, that a unit or a factor is off; else
    ``otherwise``."""
    unit = f" {unit}" if unit else ""
    if expected != 0 and math.isfinite(value):
        rel = abs(value - expected) / abs(expected)
        if rel <= 0.01:
            return (f"close, but not exact: expected {expected:.10g}{unit}, got "
                    f"{value:.10g}{unit} ({100 * rel:.2g} % off). A rounded number or a "
                    "numerical approximation? Compute the answer exactly from the lesson's "
                    "parameters in Python (the check wants about 6 significant digits).")
        ratio = value / expected
        if ratio > 0:
            k = round(math.log10(ratio))
            if k != 0 and abs(math.log10(ratio) - k) < 1e-6:
                return (f"your answer is 10^{k} times the expected one (expected "
                        f"{expected:.6g}{unit}, got {value:.6g}{unit}): a unit conversion "
                        "(ms or s, Hz or per ms) or a scale factor is off.")
    return otherwise


# ----------------------------------------------------------------------------- closed forms
def _lif_rate(I, tau_m, v_rest, v_th, v_reset, refractory, start=None):
    """Firing rate (Hz) of a LIF neuron with constant input I (mV); ``start`` is where each
    interval starts (v_reset unless a mistake is being modelled)."""
    start = v_reset if start is None else start
    I = np.asarray(I, dtype=np.float64)
    v_inf = v_rest + I
    above = v_inf > v_th
    safe = np.where(above, v_inf, v_th + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        isi = refractory + tau_m * np.log((safe - start) / (safe - v_th))
        rate = np.where(above, 1000.0 / isi, 0.0)
    return rate


def _window(dt, A_plus, A_minus, tau_plus, tau_minus):
    dt = np.asarray(dt, dtype=np.float64)
    return np.where(dt >= 0, A_plus * np.exp(-np.abs(dt) / tau_plus),
                    -A_minus * np.exp(-np.abs(dt) / tau_minus))


def _protocol(t_pre, t_post, window) -> float:
    d = np.asarray(t_post)[:, None] - np.asarray(t_pre)[None, :]
    return float(np.sum(window(d)))


# ----------------------------------------------------------------------------- lesson 1
def check_rheobase(answer, *, v_rest, v_th, v_reset=None, quiet=False) -> CheckResult:
    """Lesson 1: the rheobase, the smallest constant input (mV, as ``R_m I``) that makes a
    LIF neuron starting at rest fire: ``v_th - v_rest`` (the steady state ``v_rest + I``
    must exceed ``v_th``; exactly at it the neuron only approaches threshold).

    Diagnosed: ``v_th - v_reset`` (reset used for rest; needs ``v_reset``), ``v_rest - v_th``
    (sign), ``v_th`` or ``-v_th`` (the threshold potential itself).
    """
    v_rest, v_th = _param("v_rest", v_rest), _param("v_th", v_th)
    if v_th <= v_rest:
        raise ValueError(f"v_th must be > v_rest ({v_rest!r} mV), got v_th={v_th!r} mV")
    name = "check_rheobase"
    value, why = _number(answer, "mV")
    if why:
        return _result(name, False, why, quiet)
    expected = v_th - v_rest
    if _close(value, expected):
        return _result(name, True, f"the rheobase is v_th - v_rest = {expected:g} mV: below "
                       "it the membrane settles under threshold and the neuron never fires.",
                       quiet)
    mistakes = [
        (v_rest - v_th, "the sign is flipped: the input must push v up from v_rest to v_th, "
                        f"so the rheobase is v_th - v_rest = {expected:g} mV (positive)."),
        (v_th, "that is the threshold potential itself; the rheobase is an input, the "
               "distance the steady state v_rest + I must climb: v_th - v_rest."),
        (-v_th, "that is minus the threshold potential; the rheobase is the distance from "
                "rest to threshold, v_th - v_rest."),
    ]
    if v_reset is not None:
        v_reset = _param("v_reset", v_reset)
        mistakes.insert(0, (v_th - v_reset, "you measured from v_reset; a neuron that has "
                            "not fired yet sits at rest, and at steady state v = v_rest + I, "
                            "so the rheobase is v_th - v_rest."))
    msg = _diagnose(value, expected, mistakes)
    return _result(name, False, msg or _scalar_miss(
        value, expected, "mV", f"expected {expected:g} mV, got {value:g} mV. At steady "
        "state tau_m dv/dt = 0, so v = v_rest + I; when must that exceed v_th?"), quiet)


def check_membrane_trace(t, v, *, I, v_rest, tau_m, quiet=False) -> CheckResult:
    """Lesson 1: ``v`` (mV, one value per time in ``t``, ms) of a LIF neuron that starts at
    rest at t = 0 and gets a constant input ``I`` (mV) below rheobase (no spike):
    ``v(t) = v_rest + I (1 - exp(-t / tau_m))``, the solution of
    ``tau_m dv/dt = (v_rest - v) + I`` with ``v(0) = v_rest``.

    Diagnosed: a decay from ``v_rest + I`` instead of a rise (``exp`` without ``1 -``),
    ``v_rest`` left out (v relative to rest), ``exp(-t * tau_m)``, ``tau_m`` taken in
    seconds (``exp(-t / (tau_m / 1000))``), time in seconds against ``tau_m`` in ms.
    Tolerance 1e-6 mV: an Euler integration is reported as close but not exact.
    """
    t = _param_array("t", t)
    I = _param("I", I)
    v_rest, tau_m = _param("v_rest", v_rest), _param("tau_m", tau_m, positive=True)
    name = "check_membrane_trace"
    arr, why = _array(v, t.size, "mV")
    if why:
        return _result(name, False, why, quiet)
    expected = v_rest + I * (1.0 - np.exp(-t / tau_m))
    if _close(arr, expected, rtol=0.0, atol=1e-6):
        return _result(name, True, f"v rises from v_rest = {v_rest:g} mV toward v_rest + I "
                       f"= {v_rest + I:g} mV with time constant tau_m = {tau_m:g} ms "
                       f"(63 % of the way after {tau_m:g} ms).", quiet)
    with np.errstate(over="ignore"):
        mistakes = [
            (v_rest + I * np.exp(-t / tau_m),
             "your trace starts at v_rest + I and decays toward rest; the neuron starts at "
             "rest and charges toward v_rest + I: v = v_rest + I (1 - exp(-t / tau_m))."),
            (I * (1.0 - np.exp(-t / tau_m)),
             "your trace is the right shape but starts at 0 mV: that is v - v_rest; add "
             f"v_rest = {v_rest:g} mV."),
            (v_rest + I * (1.0 - np.exp(-t * tau_m)),
             "you multiplied by tau_m inside the exponential: it is exp(-t / tau_m) "
             "(t and tau_m both in ms)."),
            (v_rest + I * (1.0 - np.exp(-t / (tau_m / 1000.0))),
             "your trace charges 1000 times too fast: tau_m was taken in seconds while t is "
             "in ms; use both in ms."),
            (v_rest + I * (1.0 - np.exp(-t / 1000.0 / tau_m)),
             "your trace charges 1000 times too slowly: t was converted to seconds while "
             "tau_m is in ms; use both in ms."),
            (v_rest - I * (1.0 - np.exp(-t / tau_m)),
             "the sign of I is flipped: a positive input depolarises, v rises toward "
             "v_rest + I."),
        ]
    msg = _diagnose(arr, expected, mistakes, rtol=0.0, atol=1e-6)
    if msg is None and np.all(np.isfinite(arr)) and np.max(np.abs(arr - expected)) < \
            0.02 * max(abs(I), 1e-12):
        msg = ("close (within 2 % of I) but not exact: an Euler step? Use the closed form "
               "v_rest + I (1 - exp(-t / tau_m)).")
    return _result(name, False, msg or _first_difference(t, arr, expected, "t", "ms", "mV",
                                                           rtol=0.0, atol=1e-6), quiet)


def check_fi_curve(I, rate, *, tau_m, v_rest, v_th, v_reset, refractory,
                   quiet=False) -> CheckResult:
    """Lesson 1: the f-I curve, ``rate`` (Hz) of a LIF neuron for each constant input in
    ``I`` (mV, as ``R_m I``): 0 up to the rheobase ``v_th - v_rest``, above it
    ``1000 / (refractory + tau_m ln((v_rest + I - v_reset) / (v_rest + I - v_th)))`` Hz
    (each interval: the refractory period, then the charge from ``v_reset`` to ``v_th``).

    Diagnosed: the refractory period forgotten (zero below rheobase, too high above), rates
    in spikes per ms, the interval (ms) instead of the rate, the charge started at
    ``v_rest`` instead of ``v_reset``, the logarithm's argument upside down, NaN or
    nonzero values below rheobase. ``I`` should reach above the rheobase.
    """
    I = _param_array("I", I)
    tau_m = _param("tau_m", tau_m, positive=True)
    v_rest, v_th, v_reset = (_param("v_rest", v_rest), _param("v_th", v_th),
                             _param("v_reset", v_reset))
    refractory = _param("refractory", refractory, nonneg=True)
    if v_reset >= v_th:
        raise ValueError(f"v_reset must be < v_th ({v_th!r} mV), got v_reset={v_reset!r} mV")
    name = "check_fi_curve"
    arr, why = _array(rate, I.size, "Hz")
    if why:
        return _result(name, False, why, quiet)
    expected = _lif_rate(I, tau_m, v_rest, v_th, v_reset, refractory)
    if _close(arr, expected):
        fmax = "no bound (refractory = 0)" if refractory == 0 else \
            f"below 1000 / refractory = {1000.0 / refractory:g} Hz"
        return _result(name, True, f"zero up to the rheobase ({v_th - v_rest:g} mV), then "
                       f"rising steeply and bending over, {fmax}.", quiet)
    below = (v_rest + I) <= v_th
    above = ~below
    if np.any(np.isnan(arr[below])):
        return _result(name, False, "NaN below the rheobase: there the logarithm's argument "
                       "is negative or infinite. The neuron does not fire when v_rest + I <= "
                       "v_th: set the rate to 0 there (np.where).", quiet)
    with np.errstate(divide="ignore", invalid="ignore"):
        isi = np.where(above, 1000.0 / np.where(above, expected, 1.0), 0.0)
        no_ref = _lif_rate(I, tau_m, v_rest, v_th, v_reset, 0.0)
        mistakes = [
            (no_ref, "your f-I curve is zero below rheobase but too high above it: did you "
                     "forget the refractory period? Each interval is refractory + the "
                     "charge from v_reset to v_th."),
            (expected / 1000.0, "your rates are 1000 times too small: that is spikes per ms. "
                                "Times are in ms, so the rate in Hz is 1000 / interval."),
            (no_ref / 1000.0, "two things: your rates are in spikes per ms (multiply by "
                              "1000 for Hz) and the refractory period is missing from the "
                              "interval."),
            (isi, "you returned the interspike interval (ms); the rate is 1000 / interval "
                  "(Hz), and 0 below rheobase."),
            (_lif_rate(I, tau_m, v_rest, v_th, v_reset, refractory, start=v_rest),
             "each interval starts after a spike, at v_reset, not at v_rest: use "
             "ln((v_rest + I - v_reset) / (v_rest + I - v_th))."),
            (np.where(above, 1000.0 / (refractory - tau_m * np.log(
                (v_rest + I - v_reset) / np.where(above, v_rest + I - v_th, 1.0))), 0.0),
             "the logarithm's argument is upside down: the time to climb from v_reset to "
             "v_th is tau_m ln((v_inf - v_reset) / (v_inf - v_th)), with v_inf = v_rest + I "
             "(a positive number)."),
        ]
    msg = _diagnose(arr, expected, mistakes)
    if msg is None and not _close(arr[below], np.zeros(int(below.sum()))):
        msg = ("your rate is not 0 below the rheobase (v_rest + I <= v_th): there the "
               "membrane settles under threshold and the neuron never fires.")
    return _result(name, False, msg or _first_difference(I, arr, expected, "I", "mV", "Hz"),
                   quiet)


def check_max_rate(answer, *, refractory, quiet=False) -> CheckResult:
    """Lesson 1: the bound the f-I curve approaches for very large input: one spike per
    refractory period, ``1000 / refractory`` Hz (refractory in ms, > 0).

    Diagnosed: ``1 / refractory`` (spikes per ms), ``refractory`` itself (the interval),
    infinity (no bound: true only without refractoriness).
    """
    refractory = _param("refractory", refractory, positive=True)
    name = "check_max_rate"
    if isinstance(answer, numbers.Real) and math.isinf(answer):
        return _result(name, False, "with a refractory period the neuron cannot fire again "
                       "for refractory ms after each spike, so the rate is bounded: "
                       "at most one spike per refractory period.", quiet)
    value, why = _number(answer, "Hz")
    if why:
        return _result(name, False, why, quiet)
    expected = 1000.0 / refractory
    if _close(value, expected):
        return _result(name, True, f"at most one spike per refractory period: "
                       f"1000 / {refractory:g} ms = {expected:g} Hz.", quiet)
    mistakes = [
        (1.0 / refractory, "that is spikes per ms; in Hz it is 1000 / refractory (ms)."),
        (refractory, "that is the shortest interval (ms); the rate is its inverse, in Hz: "
                     "1000 / refractory."),
    ]
    msg = _diagnose(value, expected, mistakes)
    return _result(name, False, msg or _scalar_miss(
        value, expected, "Hz", f"expected {expected:g} Hz, got {value:g} Hz: what is the "
        "shortest possible interval between two spikes?"), quiet)


# ----------------------------------------------------------------------------- lesson 2
def _stdp_args(A_plus, A_minus, tau_plus, tau_minus):
    return (_param("A_plus", A_plus, nonneg=True), _param("A_minus", A_minus, nonneg=True),
            _param("tau_plus", tau_plus, positive=True),
            _param("tau_minus", tau_minus, positive=True))


def check_stdp_window(delta_t, dw, *, A_plus, A_minus, tau_plus, tau_minus,
                      quiet=False) -> CheckResult:
    """Lesson 2: the pair rule's window, ``dw`` (units of w) for each
    ``delta_t = t_post - t_pre`` (ms): ``A_plus exp(-Δt / tau_plus)`` for ``Δt >= 0``
    (same-step pairs potentiate, as in the package), ``-A_minus exp(Δt / tau_minus)``
    for ``Δt < 0`` (Bi & Poo 1998; Song, Miller & Abbott 2000).

    Diagnosed: ``Δt`` with the wrong sign (``t_pre - t_post``: the window mirrored), the
    time constants swapped, the amplitudes swapped, the depression lobe positive,
    ``Δt = 0`` counted as depression, ``|Δt|`` missing in one lobe (growing exponentials).
    """
    delta_t = _param_array("delta_t", delta_t)
    A_plus, A_minus, tau_plus, tau_minus = _stdp_args(A_plus, A_minus, tau_plus, tau_minus)
    name = "check_stdp_window"
    arr, why = _array(dw, delta_t.size, "units of w")
    if why:
        return _result(name, False, why, quiet)
    def w(d, ap=A_plus, am=A_minus, tp=tau_plus, tm=tau_minus):
        return _window(d, ap, am, tp, tm)

    expected = w(delta_t)
    tol = dict(rtol=RTOL, atol=1e-12 * max(A_plus, A_minus, 1e-300))
    if _close(arr, expected, **tol):
        return _result(name, True, "pre before post (Δt > 0) potentiates, post before pre "
                       "depresses, each side decaying with its own time constant.", quiet)
    with np.errstate(over="ignore"):
        mistakes = [
            (w(-delta_t), "your window is mirrored: Δt is t_post - t_pre, so pre-before-post "
                          "(Δt > 0) must give potentiation. Did you compute t_pre - t_post?"),
            (w(delta_t, tp=tau_minus, tm=tau_plus),
             "the time constants are swapped: tau_plus belongs to potentiation (Δt > 0), "
             "tau_minus to depression (Δt < 0)."),
            (w(delta_t, ap=A_minus, am=A_plus),
             "the amplitudes are swapped: A_plus scales potentiation (Δt > 0), A_minus "
             "depression (Δt < 0)."),
            (np.abs(expected), "your depression lobe is positive: for Δt < 0 the change is "
                               "-A_minus exp(Δt / tau_minus), a decrease."),
            (np.where(delta_t > 0, expected, -A_minus * np.exp(delta_t / tau_minus)),
             "at Δt = 0 (pre and post in the same step) the pair counts as potentiation "
             "here, as in Brian2: use Δt >= 0 for the potentiation side."),
            (np.where(delta_t >= 0, A_plus * np.exp(delta_t / tau_plus),
                      -A_minus * np.exp(-delta_t / tau_minus)),
             "your exponentials grow away from Δt = 0: each side decays with |Δt|, "
             "exp(-Δt / tau_plus) for Δt > 0 and exp(Δt / tau_minus) for Δt < 0."),
        ]
    msg = _diagnose(arr, expected, mistakes, **tol)
    return _result(name, False, msg or _first_difference(delta_t, arr, expected, "Δt", "ms",
                                                           "", **tol), quiet)


def check_pairing_total(answer, *, n_pairs, frequency, delta_t, A_plus, A_minus, tau_plus,
                        tau_minus, quiet=False) -> CheckResult:
    """Lesson 2: the total weight change (units of w) of the pairing protocol: ``n_pairs``
    presynaptic spikes at ``k * 1000 / frequency`` ms (frequency in Hz), each followed by a
    postsynaptic spike ``delta_t`` ms later (``delta_t`` may be negative), with all-to-all
    pairing: the sum of the window over every (pre, post) pair, far from the weight
    bounds, ``sum_ij W(t_post_j - t_pre_i)``.

    Diagnosed: only the pair inside each pairing counted (nearest pairs,
    ``n_pairs * W(delta_t)``), one pairing's change (``W(delta_t)``), the sign of Δt
    flipped, the period taken as ``1 / frequency`` ms (Hz read as per ms).
    """
    n_pairs = _param("n_pairs", n_pairs, positive=True)
    if n_pairs != int(n_pairs):
        raise ValueError(f"n_pairs must be a whole number, got n_pairs={n_pairs!r}")
    n_pairs = int(n_pairs)
    frequency = _param("frequency", frequency, positive=True)
    delta_t = _param("delta_t", delta_t)
    A_plus, A_minus, tau_plus, tau_minus = _stdp_args(A_plus, A_minus, tau_plus, tau_minus)
    name = "check_pairing_total"
    value, why = _number(answer, "units of w")
    if why:
        return _result(name, False, why, quiet)

    def total(period, d):
        t_pre = np.arange(n_pairs) * period
        return _protocol(t_pre, t_pre + d,
                         lambda x: _window(x, A_plus, A_minus, tau_plus, tau_minus))

    period = 1000.0 / frequency
    expected = total(period, delta_t)
    one = float(_window(delta_t, A_plus, A_minus, tau_plus, tau_minus))
    tol = dict(rtol=RTOL, atol=1e-12 * max(A_plus, A_minus, 1e-300))
    if _close(value, expected, **tol):
        return _result(name, True, f"{n_pairs} pairings at {frequency:g} Hz change the weight "
                       f"by {expected:+.6g} ({expected / n_pairs:+.4g} per pairing; an "
                       f"isolated pair gives {one:+.4g}).", quiet)
    mistakes = [
        (n_pairs * one, "you counted only the pair inside each pairing. With all-to-all "
                        f"pairing every presynaptic spike pairs with every postsynaptic "
                        f"spike, and at {frequency:g} Hz the neighbouring pairings are only "
                        f"{period:g} ms away: sum the window over all pairs."),
        (one, "that is one pair's change; the protocol repeats the pairing n_pairs times "
              "(and, all-to-all, every pre spike pairs with every post spike)."),
        (total(period, -delta_t), "the sign of Δt is flipped: the postsynaptic spikes come "
                                  "delta_t ms after the presynaptic ones, and the window "
                                  "takes t_post - t_pre."),
        (total(1.0 / frequency, delta_t), "the pairings are 1000 / frequency ms apart "
                                           "(frequency in Hz, times in ms), not 1 / frequency."),
    ]
    msg = _diagnose(value, expected, mistakes, **tol)
    return _result(name, False, msg or _scalar_miss(
        value, expected, "", f"expected {expected:.6g}, got {value:.6g}: sum the window "
        "over every (pre, post) pair of the protocol."), quiet)


def check_window_integral(answer, *, A_plus, A_minus, tau_plus, tau_minus,
                          quiet=False) -> CheckResult:
    """Lesson 2: the area under the window, ``∫ W(Δt) dΔt = A_plus tau_plus - A_minus
    tau_minus`` (units of w times ms): its sign says whether random, uncorrelated pairs
    potentiate or depress on average.

    Diagnosed: the time constants swapped, the time constants left out (``A_plus -
    A_minus``), the sign flipped, the time constants in seconds.
    """
    A_plus, A_minus, tau_plus, tau_minus = _stdp_args(A_plus, A_minus, tau_plus, tau_minus)
    name = "check_window_integral"
    value, why = _number(answer, "ms (units of w times ms)")
    if why:
        return _result(name, False, why, quiet)
    expected = A_plus * tau_plus - A_minus * tau_minus
    tol = dict(rtol=RTOL, atol=1e-12 * max(A_plus * tau_plus, A_minus * tau_minus, 1e-300))
    if _close(value, expected, **tol):
        kind = "depression" if expected < 0 else "potentiation" if expected > 0 else "no change"
        return _result(name, True, f"A_plus tau_plus - A_minus tau_minus = {expected:.6g} ms: "
                       f"uncorrelated spikes give net {kind} on average.", quiet)
    mistakes = [
        (A_plus * tau_minus - A_minus * tau_plus, "the time constants are swapped: "
         "potentiation's area is A_plus tau_plus, depression's A_minus tau_minus."),
        (A_plus - A_minus, "each lobe's area is its amplitude times its time constant "
                           "(∫ exp(-x / tau) dx = tau): A_plus tau_plus - A_minus tau_minus."),
        (-expected, "the sign is flipped: the potentiation lobe counts positive, the "
                    "depression lobe negative."),
        (expected / 1000.0, "the answer is in units of w times ms: keep the time constants "
                            "in ms."),
        (A_plus * tau_plus + A_minus * tau_minus, "the depression lobe is negative: "
         "subtract its area, A_plus tau_plus - A_minus tau_minus."),
    ]
    msg = _diagnose(value, expected, mistakes, **tol)
    return _result(name, False, msg or _scalar_miss(
        value, expected, "ms", f"expected {expected:.6g} ms, got {value:.6g}: integrate "
        "each exponential lobe over its side."), quiet)


def check_half_time(answer, *, tau_plus, quiet=False) -> CheckResult:
    """Lesson 2: the ``Δt > 0`` (ms) at which potentiation has fallen to half its value at
    ``Δt = 0``: ``exp(-Δt / tau_plus) = 1/2``, so ``Δt = tau_plus ln 2``.

    Diagnosed: ``tau_plus`` (the 1/e point), ``tau_plus / 2``, ``tau_plus log10 2``,
    ``tau_plus / ln 2``.
    """
    tau_plus = _param("tau_plus", tau_plus, positive=True)
    name = "check_half_time"
    value, why = _number(answer, "ms")
    if why:
        return _result(name, False, why, quiet)
    expected = tau_plus * math.log(2.0)
    if _close(value, expected):
        return _result(name, True, f"tau_plus ln 2 = {expected:.4g} ms: a pair "
                       f"{expected:.3g} ms apart changes the weight half as much as a "
                       "coincident one.", quiet)
    mistakes = [
        (tau_plus, "at Δt = tau_plus the window has fallen to 1/e (37 %), not to half: "
                   "solve exp(-Δt / tau_plus) = 1/2."),
        (tau_plus / 2.0, "the exponential does not halve at half its time constant: solve "
                         "exp(-Δt / tau_plus) = 1/2, which gives tau_plus ln 2."),
        (tau_plus * math.log10(2.0), "that used log10; the natural logarithm undoes exp: "
                                     "tau_plus ln 2."),
        (tau_plus / math.log(2.0), "ln 2 multiplies tau_plus: Δt = tau_plus ln 2."),
    ]
    msg = _diagnose(value, expected, mistakes)
    return _result(name, False, msg or _scalar_miss(
        value, expected, "ms", f"expected {expected:.4g} ms, got {value:.4g} ms: solve "
        "exp(-Δt / tau_plus) = 1/2 for Δt."), quiet)


# ----------------------------------------------------------------------------- lesson 3
def check_output_rate(answer, *, spike_times, t_start, t_end, run_duration=None,
                      quiet=False) -> CheckResult:
    """Lesson 3: the firing rate (Hz) of one neuron in the window ``[t_start, t_end)`` (ms),
    from its spike times (ms): ``count / ((t_end - t_start) / 1000)``.

    Diagnosed: spikes per ms, the spike count, every spike of the run counted (not only
    those inside the window), and, when ``run_duration`` (ms, the whole run) is given, the
    window's count divided by the whole run's duration.
    """
    spikes = np.asarray(spike_times, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(spikes)):
        raise ValueError("spike_times must be finite (ms)")
    t_start, t_end = _param("t_start", t_start), _param("t_end", t_end)
    if t_end <= t_start:
        raise ValueError(f"t_end must be > t_start ({t_start!r} ms), got t_end={t_end!r} ms")
    name = "check_output_rate"
    value, why = _number(answer, "Hz")
    if why:
        return _result(name, False, why, quiet)
    count = int(np.sum((spikes >= t_start) & (spikes < t_end)))
    width_s = (t_end - t_start) / 1000.0
    expected = count / width_s
    if _close(value, expected):
        return _result(name, True, f"{count} spikes in {width_s:g} s: {expected:g} Hz.", quiet)
    mistakes = [
        (expected / 1000.0, "that is spikes per ms; divide by the window in seconds, "
                            "(t_end - t_start) / 1000, to get Hz."),
        (float(count), "that is the number of spikes; a rate divides it by the window's "
                       "duration in seconds."),
        (spikes.size / width_s, "you counted every spike of the run; count only those with "
                                "t_start <= t < t_end."),
    ]
    if run_duration is not None:
        run_s = _param("run_duration", run_duration, positive=True) / 1000.0
        mistakes.append((count / run_s, "you divided by the whole run's duration; divide "
                                        "by the window's, (t_end - t_start) / 1000 s."))
    msg = _diagnose(value, expected, mistakes)
    return _result(name, False, msg or _scalar_miss(
        value, expected, "Hz", f"expected {expected:g} Hz ({count} spikes in {width_s:g} s), "
        f"got {value:g} Hz."), quiet)


def check_weight_fractions(answer, *, weights, w_max, low=0.1, high=0.9,
                           quiet=False) -> CheckResult:
    """Lesson 3: ``answer = (fraction below low * w_max, fraction above high * w_max)`` of
    the synapses in ``weights`` (units of w): two fractions in [0, 1].

    Diagnosed: counts instead of fractions, the thresholds applied to the weights without
    ``w_max`` (``w < 0.1`` instead of ``w < 0.1 w_max``), the two fractions swapped,
    percentages.
    """
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.size == 0 or not np.all(np.isfinite(w)):
        raise ValueError("weights must be a non-empty array of finite numbers")
    w_max = _param("w_max", w_max, positive=True)
    low, high = _param("low", low), _param("high", high)
    if not 0 <= low < high <= 1:
        raise ValueError(f"need 0 <= low < high <= 1, got low={low!r}, high={high!r}")
    name = "check_weight_fractions"
    arr, why = _array(answer, 2, "fractions")
    if why:
        return _result(name, False, why + " (the fraction below and the fraction above)", quiet)
    expected = np.array([np.mean(w < low * w_max), np.mean(w > high * w_max)])
    if _close(arr, expected):
        return _result(name, True, f"{expected[0]:.3f} of the synapses are below "
                       f"{low:g} w_max and {expected[1]:.3f} above {high:g} w_max.", quiet)
    n = w.size
    mistakes = [
        (expected * n, f"those are counts; divide by the number of synapses ({n}) for "
                       "fractions."),
        (expected[::-1], "the two fractions are swapped: first the fraction near 0, then "
                         "the fraction near w_max."),
        (np.array([np.mean(w < low), np.mean(w > high)]),
         f"the thresholds are fractions of w_max = {w_max:g}: compare w / w_max (or w with "
         f"{low:g} * w_max and {high:g} * w_max)."),
        (expected * 100.0, "those are percentages; give fractions between 0 and 1."),
    ]
    msg = _diagnose(arr, expected, mistakes)
    return _result(name, False, msg or f"expected ({expected[0]:.4g}, {expected[1]:.4g}), got "
                   f"({arr[0]:.4g}, {arr[1]:.4g}).", quiet)


def check_uncorrelated_drift(answer, *, rate_pre, rate_post, A_plus, A_minus, tau_plus,
                             tau_minus, quiet=False) -> CheckResult:
    """Lesson 3: the mean drift (units of w per second) of a synapse whose presynaptic
    (``rate_pre``, Hz) and postsynaptic (``rate_post``, Hz) spikes are independent Poisson
    trains, all-to-all pair rule: pairs occur at ``rate_pre * rate_post`` per second per
    second of Δt, so ``<dw/dt> = rate_pre rate_post (A_plus tau_plus - A_minus tau_minus)``
    with the time constants in seconds (Kempter, Gerstner & van Hemmen 1999).

    Diagnosed: time constants in ms (1000 times too large), the window integral without the
    rates, the time constants swapped, the sign flipped.
    """
    r_pre = _param("rate_pre", rate_pre, nonneg=True)
    r_post = _param("rate_post", rate_post, nonneg=True)
    A_plus, A_minus, tau_plus, tau_minus = _stdp_args(A_plus, A_minus, tau_plus, tau_minus)
    name = "check_uncorrelated_drift"
    value, why = _number(answer, "units of w per second")
    if why:
        return _result(name, False, why, quiet)
    area_s = (A_plus * tau_plus - A_minus * tau_minus) / 1000.0
    expected = r_pre * r_post * area_s
    tol = dict(rtol=RTOL, atol=1e-12 * max(A_plus, A_minus, 1e-300))
    if _close(value, expected, **tol):
        kind = "shrink" if expected < 0 else "grow" if expected > 0 else "stay"
        return _result(name, True, f"{expected:.4g} per second: uncorrelated synapses "
                       f"{kind} on average; only inputs that help cause the output spikes "
                       "can beat this drift.", quiet)
    mistakes = [
        (expected * 1000.0, "1000 times too large: the rates are per second, so the time "
                            "constants must be in seconds (tau / 1000)."),
        (area_s, "that is the window's area; the number of pairs per second scales with "
                 "both rates: multiply by rate_pre * rate_post."),
        (area_s * 1000.0, "that is the window's area (in ms); multiply by rate_pre * "
                          "rate_post and take the time constants in seconds."),
        (r_pre * r_post * (A_plus * tau_minus - A_minus * tau_plus) / 1000.0,
         "the time constants are swapped: A_plus goes with tau_plus, A_minus with "
         "tau_minus."),
        (-expected, "the sign is flipped: potentiation's area counts positive, "
                    "depression's negative."),
    ]
    msg = _diagnose(value, expected, mistakes, **tol)
    return _result(name, False, msg or _scalar_miss(
        value, expected, "per second", f"expected {expected:.4g} per second, got "
        f"{value:.4g}."), quiet)


#: Multiple-choice questions: id -> (question, {letter: (choice, right?, explanation)}).
QUESTIONS = {
    "lesson3_potentiation_wins": (
        "Set A_minus / A_plus = 0.95 instead of 1.05, tau_plus = tau_minus (the window's "
        "area is now positive). What happens to the weights and the output rate?",
        {
            "a": ("the weights still end bimodal and the rate is regulated as before", False,
                  "with A_plus tau_plus > A_minus tau_minus even uncorrelated inputs drift "
                  "upwards (your drift formula changes sign), so nothing holds the rate "
                  "down."),
            "b": ("most weights climb to w_max and the output rate rises", True,
                  "the window's area is positive, so every synapse drifts up, most reach "
                  "w_max, and the output rate climbs instead of being regulated."),
            "c": ("most weights fall to 0 and the neuron falls silent", False,
                  "that happens when depression wins by far; here potentiation's area is "
                  "larger, so the weights drift up."),
            "d": ("the weights stay uniform because potentiation and depression balance",
                  False, "they balance only when A_plus tau_plus = A_minus tau_minus; a 5 % "
                  "excess of potentiation makes every synapse drift up."),
        },
    ),
}


def question_text(question: str) -> str:
    """The question and its lettered choices, as a notebook shows them (``KeyError`` for
    an unknown id, listing the known ones)."""
    if question not in QUESTIONS:
        raise KeyError(f"unknown question {question!r}; known: {sorted(QUESTIONS)}")
    text, choices = QUESTIONS[question]
    return "\n".join([text] + [f"  {k}) {c[0]}" for k, c in choices.items()])


def check_choice(question: str, answer, *, quiet=False) -> CheckResult:
    """A multiple-choice question from :data:`QUESTIONS`: ``answer`` is the choice's letter
    (case and surrounding spaces ignored). The message explains why the chosen answer is
    right or wrong. Unknown question ids raise ``KeyError`` listing the known ones."""
    if question not in QUESTIONS:
        raise KeyError(f"unknown question {question!r}; known: {sorted(QUESTIONS)}")
    _, choices = QUESTIONS[question]
    name = f"check_choice[{question}]"
    if not isinstance(answer, str) or answer.strip().lower() not in choices:
        return _result(name, False, f"answer with one of the letters {sorted(choices)}, got "
                       f"{answer!r}", quiet)
    _, right, why = choices[answer.strip().lower()]
    return _result(name, right, why, quiet)


# ============================================================================= lesson 4
# Exploring the rule with the live explorer (notebooks/course/lesson4_explorer.ipynb).
# Written by the explorer's authors (neurolab.course.explorer); the checks that need a simulation
# run neurolab.course.explorer.stdp_run, the model the explorer shows.

__all__ += ["check_balanced_depression", "check_explorer_rate", "check_winning_correlation"]


def check_balanced_depression(answer, *, A_plus, tau_plus, tau_minus,
                              quiet=False) -> CheckResult:
    """Lesson 4: the ``A_minus`` that makes the window's area zero,
    ``A_plus tau_plus - A_minus tau_minus = 0``, so ``A_minus = A_plus tau_plus / tau_minus``
    (Kempter, Gerstner & van Hemmen 1999; Song, Miller & Abbott 2000): above it,
    uncorrelated inputs depress on average.

    Diagnosed: the time constants swapped, the time constants left out (``A_plus``),
    Song et al.'s ratio 1.05 copied (``1.05 A_plus``).

    Raises ``ValueError`` when the parameters cannot tell the right formula from a
    diagnosed wrong one (``tau_plus == tau_minus`` gives the swapped and the amplitude-only
    formulas the right number): the exercise must use separating values.
    """
    A_plus = _param("A_plus", A_plus, positive=True)
    tau_plus = _param("tau_plus", tau_plus, positive=True)
    tau_minus = _param("tau_minus", tau_minus, positive=True)
    name = "check_balanced_depression"
    expected = A_plus * tau_plus / tau_minus
    mistakes = [
        (A_plus * tau_minus / tau_plus, "the time constants are swapped: the areas are "
         "A_plus tau_plus and A_minus tau_minus, so A_minus = A_plus tau_plus / tau_minus."),
        (A_plus, "equal amplitudes balance only when tau_plus = tau_minus: each lobe's area "
                 "is its amplitude times its time constant."),
        (1.05 * A_plus, "A_minus / A_plus = 1.05 is Song et al.'s choice, slightly "
                        "depression-dominated, not the balance point."),
    ]
    _require_separating(name, expected, mistakes,
                        f"A_plus={A_plus:g}, tau_plus={tau_plus:g} ms, tau_minus={tau_minus:g} ms")
    value, why = _number(answer, "units of A_plus")
    if why:
        return _result(name, False, why, quiet)
    if _close(value, expected):
        return _result(name, True, f"A_minus = A_plus tau_plus / tau_minus = {expected:.4g}: "
                       "then potentiation and depression have equal areas; a larger A_minus "
                       "makes uncorrelated inputs depress on average.", quiet)
    msg = _diagnose(value, expected, mistakes)
    return _result(name, False, msg or _scalar_miss(
        value, expected, "", f"expected {expected:.4g}, got {value:.4g}: set the two lobes' "
        "areas equal, A_plus tau_plus = A_minus tau_minus."), quiet)


def _explorer_run(params):
    from .explorer import stdp_run

    return stdp_run(**params)


def check_explorer_rate(answer, *, changes: dict, params: dict,
                        quiet=False) -> CheckResult:
    """Lesson 4: the output rate (Hz) the STDP explorer prints after the sliders named in
    ``changes`` (name -> value) are moved from ``params`` (the explorer's starting values,
    the keyword arguments of :func:`neurolab.course.explorer.stdp_run`). Right within 0.05 Hz (the
    explorer prints one decimal). The expected rate is simulated here by
    ``neurolab.course.explorer.stdp_run``.

    Diagnosed: the rate before the change (a slider not moved, or the rate read too early);
    a rate read from the explorer after a slider was moved by hand (a
    :class:`~neurolab.course.explorer.HandReading`: refused in class as the graded rerun,
    which does not repeat the drag, would refuse it); any other wrong rate is answered with
    the setting expected (another slider moved?).
    """
    if not isinstance(changes, dict) or not changes:
        raise ValueError(f"changes must be a non-empty dict name -> value, got {changes!r}")
    name = "check_explorer_rate"
    moved = getattr(answer, "moved", None)
    if moved:
        setting = ", ".join(f"{k}={v:g}" for k, v in moved.items())
        return _result(name, False, f"{float(answer):g} Hz was read from the explorer after "
                       f"sliders were moved by hand ({setting}). When the notebook is graded "
                       "it runs again from the top and nobody moves them, so this cell would "
                       "then read another rate: write the rate as a number, or move the "
                       f"slider in the cell with ex.set({setting}).", quiet)
    value, why = _number(answer, "Hz")
    if why:
        return _result(name, False, why, quiet)
    expected = _explorer_run({**params, **changes}).rate_out
    setting = ", ".join(f"{k} = {v:g}" for k, v in changes.items())
    if abs(value - expected) <= 0.05 + 1e-9:
        return _result(name, True, f"with {setting} the neuron fires at {expected:.1f} Hz.",
                       quiet)
    before = _explorer_run(dict(params)).rate_out
    if abs(value - before) <= 0.05 + 1e-9:
        return _result(name, False, f"{value:g} Hz is the rate before the change: move the "
                       f"slider(s) ({setting}) and read the rate the explorer prints then "
                       "(or ex.set(...) then ex.run.rate_out). A slider moved by hand is "
                       "not moved again when the notebook is rerun (as when it is graded): "
                       "move it in the cell with ex.set(...), or write the rate as a "
                       "number.", quiet)
    return _result(name, False, f"expected {expected:.1f} Hz with {setting} and every other "
                   f"slider at its starting value, got {value:g} Hz: did another slider "
                   "move?", quiet)


def check_winning_correlation(answer, *, correlations, margin: float, params: dict,
                              quiet=False) -> CheckResult:
    """Lesson 4: the smallest ``correlation`` among ``correlations`` at which the
    correlated group's mean final weight exceeds the independent group's by at least
    ``margin`` (in units of ``w_max``), every other parameter as in ``params`` (keyword
    arguments of :func:`neurolab.course.explorer.stdp_run`). Each value is simulated here.

    Diagnosed: an answer not on the grid, one where the correlated group does not yet win
    by the margin (what the gap is there), one above the smallest (which smaller value
    already wins, and by how much).
    """
    grid = _param_array("correlations", correlations)
    margin = _param("margin", margin, nonneg=True)
    name = "check_winning_correlation"
    value, why = _number(answer, "a correlation from the grid")
    if why:
        return _result(name, False, why, quiet)
    gaps = []
    for c in grid:
        run = _explorer_run({**params, "correlation": float(c)})
        gaps.append(run.mean_w["correlated"] - run.mean_w["independent"])
    gaps = np.array(gaps)
    wins = np.flatnonzero(gaps >= margin)
    on_grid = np.flatnonzero(np.isclose(grid, value, rtol=0, atol=1e-9))
    if not on_grid.size:
        return _result(name, False, f"{value:g} is not one of the correlations to try: "
                       f"{', '.join(f'{c:g}' for c in grid)}.", quiet)
    k = int(on_grid[0])
    if not wins.size:
        return _result(name, False, f"no correlation on the grid wins by {margin:g} w_max "
                       f"(largest gap {gaps.max():.3f}); the answer cannot be checked: "
                       "ask for another grid or margin.", quiet)
    first = int(wins[0])
    if k == first:
        return _result(name, True, f"from correlation {grid[k]:g} the correlated inputs end "
                       f"{gaps[k]:.3f} w_max above the independent ones on average "
                       f"(at {grid[k - 1]:g}: {gaps[k - 1]:.3f})." if k else
                       f"already at correlation {grid[k]:g} the correlated inputs end "
                       f"{gaps[k]:.3f} w_max above the independent ones.", quiet)
    if gaps[k] < margin:
        return _result(name, False, f"at correlation {grid[k]:g} the gap is only "
                       f"{gaps[k]:.3f} w_max (< {margin:g}): try larger correlations.", quiet)
    return _result(name, False, f"{grid[k]:g} wins, but so does a smaller correlation: "
                   f"{grid[first]:g} (gap {gaps[first]:.3f} w_max).", quiet)


QUESTIONS.update({
    "lesson4_ratio": (
        "With tau_plus = tau_minus, raise A_minus / A_plus from 1.0 to 1.5 in the explorer. "
        "What happens?",
        {
            "a": ("every weight grows faster, so the output rate rises", False,
                  "a larger A_minus strengthens depression, not potentiation: the window's "
                  "area becomes negative."),
            "b": ("the independent inputs' weights fall and the output rate drops, while the "
                  "correlated inputs can still end high", True,
                  "the negative area depresses inputs whose spikes are unrelated to the "
                  "output's; correlated inputs cause output spikes, so their pre-before-post "
                  "pairs outnumber chance and can still win."),
            "c": ("nothing changes: only the time constants matter", False,
                  "the area is A_plus tau_plus - A_minus tau_minus: the amplitudes matter as "
                  "much as the time constants."),
            "d": ("the correlated inputs lose first, because they fire together", False,
                  "firing together makes them cause output spikes, which gives them extra "
                  "pre-before-post pairs: they are the last to lose."),
        },
    ),
    "lesson4_tau_minus": (
        "With A_minus = A_plus, double tau_minus (20 ms to 40 ms). What does the rule do to "
        "an input whose spikes are unrelated to the output's?",
        {
            "a": ("it depresses it on average: the depression lobe's area doubled", True,
                  "the area A_plus tau_plus - A_minus tau_minus becomes negative, so random "
                  "pairs depress on average."),
            "b": ("it potentiates it on average: a longer window catches more pairs", False,
                  "the longer window catches more post-before-pre pairs, which depress."),
            "c": ("nothing: the amplitudes are equal, so the rule is balanced", False,
                  "balance needs equal areas, A_plus tau_plus = A_minus tau_minus, not equal "
                  "amplitudes."),
        },
    ),
})
