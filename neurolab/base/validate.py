"""Argument checks shared by the public API.

Every check raises a ``ValueError`` or ``TypeError`` whose message names the parameter,
shows the offending value and says what is allowed, so that bad input never reaches the
numba kernels (where it would surface as a typing traceback or a silent NaN).

Room: ``neurolab.base``. May import: numpy and the standard library only.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import numbers

import numpy as np


def plain(value):
    """``value`` with every numpy scalar replaced by the Python number, string or boolean it
    holds (``np.float64(nan)`` -> ``nan``, ``np.int64(0)`` -> ``0``), also inside tuples,
    lists and dicts; anything else unchanged. Messages print ``plain(value)``, so that they
    read ``nan`` and ``(0, 0)``, not numpy 2's ``np.float64(nan)``, ``(np.int64(0),
    np.int64(0))``."""
    if isinstance(value, np.generic):
        return value.item()
    if type(value) in (tuple, list):
        return type(value)(plain(v) for v in value)
    if type(value) is dict:
        return {plain(k): plain(v) for k, v in value.items()}
    return value


def _show(value, limit: int = 80) -> str:
    """``repr`` of ``value`` with numpy scalars as plain numbers (:func:`plain`), cut to
    ``limit`` characters."""
    text = repr(plain(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def index_text(index) -> str:
    """An array index for a message: ``3`` or ``(0, 2)`` (plain ints, never ``np.int64``)."""
    if isinstance(index, tuple):
        return str(tuple(int(k) for k in index)) if len(index) != 1 else str(int(index[0]))
    return str(int(index))


def real(name: str, value) -> float:
    """Return ``value`` as a finite Python float or raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_show(value)} "
                        f"of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def positive(name: str, value, unit: str = "") -> float:
    value = real(name, value)
    if value <= 0.0:
        raise ValueError(f"{name} must be > 0{(' ' + unit) if unit else ''}, got {value!r}")
    return value


def non_negative(name: str, value, unit: str = "") -> float:
    value = real(name, value)
    if value < 0.0:
        raise ValueError(f"{name} must be >= 0{(' ' + unit) if unit else ''}, got {value!r}")
    return value


def integer(name: str, value, minimum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_show(value)} "
                        f"of type {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def choice(name: str, value, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {_show(value)}")
    return value


def name_string(name: str, value) -> str:
    if not isinstance(value, str) or not value or any(c in value for c in "/\\\0"):
        raise ValueError(f"{name} must be a non-empty string without '/', '\\' or NUL, "
                         f"got {_show(value)}")
    return value


def float_array(name: str, value, length: int | None = None, allow_scalar: bool = True,
                ) -> np.ndarray:
    """Finite float64 1-d array; a scalar is broadcast to ``length`` when allowed."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number or an array of numbers, got {_show(value)}")
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number or an array of numbers, got the boolean "
                        f"{_show(value)}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, "
                        f"got {_show(value)}") from None
    if not isinstance(value, np.ndarray) and np.asarray(value).dtype == bool:
        raise TypeError(f"{name} must be a number or an array of numbers, got the booleans "
                        f"{_show(value)}")
    if isinstance(value, np.ndarray) and value.dtype == bool:
        raise TypeError(f"{name} must be a number or an array of numbers, got a boolean "
                        f"array")
    if arr.ndim == 0:
        if not allow_scalar:
            raise ValueError(f"{name} must be a 1-d array, got the scalar {_show(value)}")
        if length is None:
            arr = arr.reshape(1)
        else:
            arr = np.full(length, float(arr))
    elif arr.ndim != 1:
        raise ValueError(f"{name} must be 1-d, got an array of shape {arr.shape}")
    elif length is not None and arr.shape[0] != length:
        raise ValueError(f"{name} must have length {length}, got length {arr.shape[0]}")
    bad = ~np.isfinite(arr)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be finite everywhere, got {float(arr[k])!r} at index {k}")
    return np.ascontiguousarray(arr)


#: the latest step a time may round to: 2**53 steps of dt, up to which float64 counts
#: every step exactly (about 28 500 years at dt = 0.1 ms); a later time would overflow
#: (or lose) its int64 step number
MAX_STEP = 2 ** 53


def within_steps(name: str, times: np.ndarray, dt: float, unit: str = "ms") -> np.ndarray:
    """Check that every time of the finite array ``times`` (ms) rounds to a step number
    ``round(t / dt)`` of at most :data:`MAX_STEP` in magnitude; ``ValueError`` naming
    ``name``, the first offending value, its index and the limit otherwise."""
    bad = np.abs(times) / dt > MAX_STEP
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be <= {MAX_STEP * dt:.17g} {unit} (2**53 steps of "
                         f"dt={plain(dt)!r} {unit}), got {float(times[k])!r} {unit} at "
                         f"index {k}")
    return times


def index_array(name: str, value, upper: int, length: int | None = None) -> np.ndarray:
    """int64 1-d array with every entry in [0, upper)."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of integers, got {_show(value)}")
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-d, got an array of shape {arr.shape}")
    if arr.size and not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool):
        if np.issubdtype(arr.dtype, np.floating):
            if not np.all(np.isfinite(arr)):
                k = int(np.flatnonzero(~np.isfinite(arr))[0])
                raise ValueError(f"{name} must hold integers, got {float(arr[k])!r} at index {k}")
            if not np.all(arr == np.round(arr)):
                k = int(np.flatnonzero(arr != np.round(arr))[0])
                raise ValueError(f"{name} must hold integers, got {float(arr[k])!r} at index {k}")
        else:
            raise TypeError(f"{name} must be an array of integers, got dtype {arr.dtype}")
    if arr.dtype == bool:
        raise TypeError(f"{name} must be an array of integers, got a boolean array")
    arr = arr.astype(np.int64)
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"{name} must have length {length}, got length {arr.shape[0]}")
    if arr.size:
        bad = (arr < 0) | (arr >= upper)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name} must lie in [0, {upper}), got {int(arr[k])} at index {k}")
    return np.ascontiguousarray(arr)


def _bounds_text(low, high, low_inclusive: bool = True, high_inclusive: bool = True,
                 unit: str = "") -> str:
    """``">= 0 ms"``, ``"in [0.0, 1.0]"``, ``"in (0.0, 1.0]"``... for error messages."""
    u = f" {unit}" if unit else ""
    low, high = plain(low), plain(high)
    if low is not None and high is not None:
        return (f"in {'[' if low_inclusive else '('}{low!r}, {high!r}"
                f"{']' if high_inclusive else ')'}{u}")
    if low is not None:
        return f"{'>=' if low_inclusive else '>'} {low!r}{u}"
    if high is not None:
        return f"{'<=' if high_inclusive else '<'} {high!r}{u}"
    return "finite"


def outside(arr: np.ndarray, low=None, high=None, low_inclusive: bool = True,
            high_inclusive: bool = True) -> np.ndarray:
    """Boolean mask of the entries of ``arr`` outside the bounds (``None``: unbounded)."""
    bad = np.zeros(arr.shape, dtype=bool)
    if low is not None:
        bad |= (arr < low) if low_inclusive else (arr <= low)
    if high is not None:
        bad |= (arr > high) if high_inclusive else (arr >= high)
    return bad


def bounded_array(name: str, arr: np.ndarray, low=None, high=None,
                  low_inclusive: bool = True, high_inclusive: bool = True,
                  unit: str = "", scalar: bool = False) -> np.ndarray:
    """Check every entry of a finite float array against the bounds; raise naming ``name``,
    the first offending value, its index (unless ``scalar``: the array is one broadcast
    value) and the allowed range."""
    bad = outside(arr, low, high, low_inclusive, high_inclusive)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        where = "" if scalar else f" at index {k}"
        allowed = _bounds_text(low, high, low_inclusive, high_inclusive, unit)
        raise ValueError(f"{name} must be {allowed}, got {float(arr[k])!r}{where}")
    return arr


def float_table(name: str, value, n_rows: int, n_cols: int) -> np.ndarray:
    """Finite float64 (n_rows, n_cols) array from an (n_rows, n_cols) array, or an
    (n_rows,) or (n_rows, 1) one repeated over the columns (one value per row for all)."""
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise TypeError(f"{name} must be an array of numbers, got {_show(value)}")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {_show(value)}") from None
    if np.asarray(value).dtype == bool:
        raise TypeError(f"{name} must be an array of numbers, got booleans {_show(value)}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim == 2 and arr.shape[1] == 1 and n_cols != 1:
        arr = np.repeat(arr, n_cols, axis=1)
    if arr.shape != (n_rows, n_cols):
        raise ValueError(f"{name} must have shape ({n_rows},), ({n_rows}, 1) or "
                         f"({n_rows}, {n_cols}), got {np.shape(value)}")
    bad = ~np.isfinite(arr)
    if bad.any():
        k = np.unravel_index(int(np.flatnonzero(bad)[0]), arr.shape)
        raise ValueError(f"{name} must be finite everywhere, got {float(arr[k])!r} at "
                         f"index {tuple(int(x) for x in k)}")
    return arr


def known_keywords(label: str):
    """Decorator: a call of the decorated function with a keyword argument it does not
    take raises ``TypeError`` naming ``label`` (e.g. ``"Network.run"``, not an internal
    function the call is forwarded to), the unknown keyword, the closest known one and
    every keyword it takes, before the function runs. The signature (``help()``,
    ``inspect.signature``) stays the function's own (``functools.wraps``)."""
    def decorate(fn):
        params = inspect.signature(fn).parameters
        names = [p.name for p in params.values()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        keywords = [n for n in names if n not in ("self", "net")]

        @functools.wraps(fn)
        def checked(*args, **kwargs):
            for key in kwargs:
                if key not in names:
                    close = difflib.get_close_matches(key, keywords, n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise TypeError(f"{label}() got an unexpected keyword argument "
                                    f"{key!r}{hint}; its keywords: {', '.join(keywords)}")
            return fn(*args, **kwargs)

        return checked

    return decorate
