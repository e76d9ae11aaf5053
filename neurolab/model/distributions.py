"""Per-element values given as a number, an array or a distribution.

One function, :func:`resolve`, turns what a user writes for a per-element quantity (a
synaptic weight or delay, a neuron parameter, an initial membrane potential) into a float64
array of length ``n``:

- a real number: the same value for every element (broadcast);
- a 1-d array-like of length ``n``: used as given, after checking each element;
- a distribution, drawn from the caller's ``numpy.random.Generator``:

  - ``("uniform", lo, hi)``: uniform on ``[lo, hi)``, ``lo <= hi``;
  - ``("normal", mean, sd)``: Gaussian, ``sd >= 0``;
  - ``("lognormal", mean, sd)``: log-normal whose *own* mean and standard deviation are
    ``mean`` (> 0) and ``sd`` (>= 0), in the unit of the value (not those of its log).

  A list such as ``["uniform", 0, 1]`` (what JSON gives back) is the same as the tuple.

Bounds. A quantity may have to lie in ``[low, high]`` (each end optional, open or closed).
Explicit values outside are refused (``ValueError`` naming the quantity, the index and the
value). Drawn values outside are **redrawn** until they fall inside, so a distribution is
truncated to the bounds (the shape inside is unchanged, renormalised): this is NEST's
"redraw" policy, never clipping (clipping piles probability on the bound). When less than
:data:`MIN_ACCEPTANCE` of the distribution's probability lies inside the bounds, the request
is refused with a ``ValueError`` instead of drawing for ever.

Random numbers. A number or an array never consumes random numbers, so adding a
distribution elsewhere does not change what a seed gives here, and networks built before
distributions existed are unchanged. The first ``n`` draws are exactly
``rng.uniform(lo, hi, n)``, ``rng.normal(mean, sd, n)`` or ``rng.lognormal(mu, sigma, n)``;
redraws (only when some fall outside the bounds) follow in order.

Room: ``neurolab.model``. May import: numpy and ``neurolab.base``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..base import validate as V

#: Smallest fraction of a distribution's probability that must lie inside the bounds.
MIN_ACCEPTANCE = 0.01
#: Most rounds of redrawing before giving up (never reached when the acceptance is at least
#: MIN_ACCEPTANCE: each round draws enough to finish with high probability).
MAX_ROUNDS = 200

DISTRIBUTIONS = {"uniform": ("lo", "hi"), "normal": ("mean", "sd"),
                 "lognormal": ("mean", "sd")}
FORMS = ("a number, a 1-d array of length n, ('uniform', lo, hi), ('normal', mean, sd) "
         "or ('lognormal', mean, sd)")


def is_distribution(value) -> bool:
    """True when ``value`` is written as a distribution: a tuple or list whose first element
    is a string (``("normal", 0.5, 0.1)``, ``["uniform", 0, 1]``). Whether the name and the
    parameters are valid is checked by :func:`resolve`."""
    return (isinstance(value, (tuple, list)) and len(value) > 0
            and isinstance(value[0], str))


def _phi(z: float) -> float:
    """Standard normal CDF."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _normal_mass(a: float, b: float) -> float:
    """P(a <= Z <= b) for a standard normal Z, accurate in both tails."""
    if a > 0.0:  # upper tail: 1 - Phi(a) - (1 - Phi(b)), computed without cancellation
        return _phi(-a) - _phi(-b)
    return _phi(b) - _phi(a)


def _lognormal_log_params(mean: float, sd: float) -> tuple[float, float]:
    """(mu, sigma) of log X for a log-normal X with mean ``mean`` and sd ``sd``:
    ``sigma**2 = ln(1 + sd**2 / mean**2)``, ``mu = ln(mean) - sigma**2 / 2``."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - 0.5 * sigma2, math.sqrt(sigma2)


class _Dist:
    """A validated distribution: its sampler and the probability mass inside bounds."""

    def __init__(self, name: str, value):
        kind = value[0]
        if kind not in DISTRIBUTIONS:
            raise ValueError(f"{name}: unknown distribution {kind!r} in {V._show(value)}; "
                             f"allowed: {FORMS}")
        params = DISTRIBUTIONS[kind]
        if len(value) != 1 + len(params):
            raise ValueError(f"{name}: ({kind!r}, {', '.join(params)}) takes {len(params)} "
                             f"parameters, got {V._show(value)}; allowed: {FORMS}")
        a, b = (self._number(name, value, p, v) for p, v in zip(params, value[1:]))
        if kind == "uniform" and b < a:
            raise ValueError(f"{name}: ('uniform', lo, hi) needs lo <= hi, got "
                             f"{V._show(value)}")
        if kind in ("normal", "lognormal") and b < 0.0:
            raise ValueError(f"{name}: ({kind!r}, mean, sd) needs sd >= 0, got "
                             f"{V._show(value)}")
        if kind == "lognormal" and a <= 0.0:
            raise ValueError(f"{name}: ('lognormal', mean, sd) needs mean > 0 (the mean of "
                             f"the value itself, not of its log), got {V._show(value)}")
        self.kind, self.a, self.b, self.text = kind, a, b, V._show(value)
        # a distribution of zero width is one value: checked exactly against the bounds
        self.point = None
        if (kind == "uniform" and a == b or kind == "normal" and b == 0.0
                or kind == "lognormal" and _lognormal_log_params(a, b)[1] == 0.0):
            self.point = a

    @staticmethod
    def _number(name, value, param, v) -> float:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name}: {param} of {V._show(value)} must be a real number, "
                            f"got {V._show(v)}; allowed: {FORMS}")
        v = float(v)
        if not math.isfinite(v):
            raise ValueError(f"{name}: {param} of {V._show(value)} must be finite, got {v!r}")
        return v

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b, size=size)
        if self.kind == "normal":
            return rng.normal(self.a, self.b, size=size)
        mu, sigma = _lognormal_log_params(self.a, self.b)
        return rng.lognormal(mu, sigma, size=size)

    def mass(self, low, high, low_inclusive=True, high_inclusive=True) -> float:
        """Probability that one draw lies within the bounds (a continuous distribution
        puts no mass on an end, so open and closed ends give the same result)."""
        if self.point is not None:
            return 0.0 if V.outside(np.array([self.point]), low, high, low_inclusive,
                                    high_inclusive)[0] else 1.0
        lo = -math.inf if low is None else low
        hi = math.inf if high is None else high
        if self.kind == "uniform":
            return max(0.0, min(hi, self.b) - max(lo, self.a)) / (self.b - self.a)
        if self.kind == "normal":
            return _normal_mass((lo - self.a) / self.b, (hi - self.a) / self.b)
        mu, sigma = _lognormal_log_params(self.a, self.b)
        if hi <= 0.0:
            return 0.0
        log_lo = -math.inf if lo <= 0.0 else math.log(lo)
        return _normal_mass((log_lo - mu) / sigma, (math.log(hi) - mu) / sigma)


def resolve(name: str, value, n: int, rng: np.random.Generator, *, low=None, high=None,
            low_inclusive: bool = True, high_inclusive: bool = True,
            unit: str = "") -> np.ndarray:
    """Per-element values of the quantity ``name`` as a float64 array of shape ``(n,)``.

    Parameters
    ----------
    name : the quantity, as the user knows it (``"weight"``, ``"delay"``, ``"v_th"``); every
        error message starts with it.
    value : one of

        - a real number (not a bool): every element gets it; no random numbers are used;
        - a 1-d array-like of length ``n``: used as given (always a new float64 array,
          never a view of the caller's); no random numbers are used;
        - ``("uniform", lo, hi)``: uniform on ``[lo, hi)``, ``lo <= hi``;
        - ``("normal", mean, sd)``: Gaussian with mean ``mean`` and standard deviation
          ``sd >= 0``;
        - ``("lognormal", mean, sd)``: log-normal whose mean and standard deviation *of the
          value itself* are ``mean > 0`` and ``sd >= 0`` (what NEST and Brian2 users give
          for weights). It is drawn as ``exp(N(mu, sigma))`` with
          ``sigma**2 = ln(1 + sd**2 / mean**2)`` and ``mu = ln(mean) - sigma**2 / 2``;
        - a list with the same items (JSON has no tuples): ``["normal", 0.5, 0.1]``.

        Distribution parameters are in the unit of the quantity (``unit``).
    n : number of elements, >= 0.
    rng : the generator distributions are drawn from (``n`` draws, plus redraws).
    low, high : bounds on every element (``None``: unbounded on that side), in ``unit``.
    low_inclusive, high_inclusive : whether a value equal to the bound is allowed.
    unit : unit for error messages (``"ms"``, ``"mV"``), ``""`` when dimensionless.

    Returns
    -------
    numpy.ndarray, float64, shape ``(n,)``, finite, every element within the bounds.

    Bounds
    ------
    An explicit number or array element outside the bounds is refused. A drawn value
    outside the bounds is **redrawn** (the distribution is truncated to the bounds, never
    clipped); drawing stops with ``ValueError`` when less than ``MIN_ACCEPTANCE`` (1 %) of
    the distribution lies inside the bounds, or after ``MAX_ROUNDS`` rounds of redrawing.

    Raises
    ------
    TypeError : ``value`` is a bool, a string, or holds something that is not a number.
    ValueError : a non-finite value, a wrong length or shape, a value outside the bounds
        (naming the index and the value), an unknown distribution name, a wrong number of
        distribution parameters, ``lo > hi``, ``sd < 0``, a log-normal ``mean <= 0``, or a
        distribution (almost) entirely outside the bounds.
    """
    n = V.integer("n", n, minimum=0)
    bounds = dict(low=low, high=high, low_inclusive=low_inclusive,
                  high_inclusive=high_inclusive)
    if not is_distribution(value):
        if value is None:
            raise TypeError(f"{name} must be {FORMS}, got None")
        scalar = isinstance(value, numbers.Real) or (
            isinstance(value, np.ndarray) and value.ndim == 0)
        arr = V.float_array(name, value, length=n)
        if isinstance(value, np.ndarray) and np.may_share_memory(arr, value):
            arr = arr.copy()  # the caller's array stays the caller's
        return V.bounded_array(name, arr, unit=unit, scalar=scalar and n > 0, **bounds)
    dist = _Dist(name, value)
    mass = dist.mass(**bounds)
    allowed = V._bounds_text(low, high, low_inclusive, high_inclusive, unit)
    if n and mass < MIN_ACCEPTANCE:
        raise ValueError(f"{name}: the distribution {dist.text} puts {mass:.3g} of its "
                         f"probability on values {allowed} (at least {MIN_ACCEPTANCE:g} "
                         f"needed: draws outside the bounds are redrawn); choose parameters "
                         f"that mostly lie {allowed}")
    out = dist.draw(rng, n)
    bad = np.flatnonzero(V.outside(out, **bounds))
    rounds = 0
    while bad.size:
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise ValueError(f"{name}: could not draw {n} values {allowed} from "
                             f"{dist.text} within {MAX_ROUNDS} rounds of redrawing "
                             f"({bad.size} still outside)")
        # enough draws to replace every rejected one with high probability, memory bounded
        m = min(int(math.ceil(bad.size / max(mass, MIN_ACCEPTANCE) * 1.25)) + 64,
                max(2 * n, 1 << 22))
        fresh = dist.draw(rng, m)
        fresh = fresh[~V.outside(fresh, **bounds)][:bad.size]
        out[bad[:fresh.size]] = fresh
        bad = bad[fresh.size:]
    if not np.isfinite(out).all():  # e.g. a normal with a huge sd overflowing to inf
        k = int(np.flatnonzero(~np.isfinite(out))[0])
        raise ValueError(f"{name}: {dist.text} drew the non-finite value {float(out[k])!r} at "
                         f"index {k}; use finite bounds or a smaller spread")
    return out
