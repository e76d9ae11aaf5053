"""Per-element values given as a scalar, an array or a distribution (provisional).

``resolve(name, value, n, rng, *, low=None, high=None, ...)`` -> float64 array (n,).
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _validate as V

DISTRIBUTIONS = ("uniform", "normal", "lognormal")


def is_distribution(value) -> bool:
    return (isinstance(value, (tuple, list)) and len(value) > 0
            and isinstance(value[0], str))


def resolve(name, value, n, rng, *, low=None, high=None, low_inclusive=True,
            high_inclusive=True, unit=""):
    if is_distribution(value):
        kind = value[0]
        if kind not in DISTRIBUTIONS or len(value) != 3:
            raise ValueError(f"{name} must be a number, an array or one of ('uniform', lo, hi), "
                             f"('normal', mean, sd), ('lognormal', mean, sd); got {value!r}")
        a = V.real(f"{name} {kind} parameter", value[1])
        b = V.real(f"{name} {kind} parameter", value[2])
        if kind == "uniform":
            arr = rng.uniform(a, b, size=n)
        elif kind == "normal":
            arr = rng.normal(a, b, size=n)
        else:
            s2 = np.log1p((b / a) ** 2)
            arr = rng.lognormal(np.log(a) - s2 / 2, np.sqrt(s2), size=n)
    else:
        arr = V.float_array(name, value, length=n)
    _check_bounds(name, arr, low, high, low_inclusive, high_inclusive, unit)
    return arr


def _check_bounds(name, arr, low, high, low_inc, high_inc, unit):
    u = f" {unit}" if unit else ""
    if low is not None:
        bad = arr < low if low_inc else arr <= low
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            op = ">=" if low_inc else ">"
            raise ValueError(f"{name} must be {op} {low!r}{u}, got {arr[k]!r} at index {k}")
    if high is not None:
        bad = arr > high if high_inc else arr >= high
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            op = "<=" if high_inc else "<"
            raise ValueError(f"{name} must be {op} {high!r}{u}, got {arr[k]!r} at index {k}")
