"""Recording requests: which neurons, synapses and times a run keeps.

Parses ``record_spikes`` / ``record_weights`` / ``record_state`` selections (names,
slices, id arrays) into sorted ids, and sampling windows and periods (ms) into steps.

Room: ``neurolab.engine``. May import: numpy and ``neurolab.base``.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import validate as V


def _select(what, sel, n):
    """The ids ``sel`` selects of ``n`` (``"all"``, a slice, or ids in ``[0, n)``). A
    selection is a set: an id given twice raises ``ValueError`` naming ``what`` and it."""
    if isinstance(sel, str):
        if sel != "all":
            raise ValueError(f"{what} must be 'all', a slice or an array of indices, got "
                             f"{V._show(sel)}")
        return np.arange(n, dtype=np.int64)
    if isinstance(sel, slice):
        return np.arange(n, dtype=np.int64)[sel]
    ids = V.index_array(what, sel, upper=n)
    order = np.argsort(ids, kind="stable")
    same = ids[order][1:] == ids[order][:-1]
    if same.any():
        k = int(np.flatnonzero(same)[0])
        first, second = sorted((int(order[k]), int(order[k + 1])))
        raise ValueError(f"{what} must not repeat an id (a selection is a set), got "
                         f"{int(ids[first])} twice (at indices {first} and {second}); give "
                         f"each id once, e.g. np.unique(ids)")
    return ids


def _named_selection(what, value, names, sizes, default):
    """``{name: local ids}`` from None (``default`` names, all ids), ``"all"``, a name, a
    population or subgroup, a list of those, or a dict ``{name: "all" | slice | ids}``."""
    def one(item):
        if hasattr(item, "population") and hasattr(item, "ids"):      # a subgroup
            name = getattr(item.population, "name", item.population)
            if name not in sizes:
                raise ValueError(f"{what} names an unknown population {name!r}; "
                                 f"known: {names}")
            return name, V.index_array(what, item.ids, upper=sizes[name])
        name = getattr(item, "name", item)
        if not isinstance(name, str) or name not in sizes:
            raise ValueError(f"{what} names an unknown population {V._show(item)}; known: "
                             f"{names}")
        return name, np.arange(sizes[name], dtype=np.int64)

    if value is None:
        return {name: np.arange(sizes[name], dtype=np.int64) for name in default}
    if isinstance(value, str) and value == "all":
        return {name: np.arange(sizes[name], dtype=np.int64) for name in names}
    if isinstance(value, dict):
        out = {}
        for name, sel in value.items():
            if name not in sizes:
                raise ValueError(f"{what} names an unknown population {name!r}; known: "
                                 f"{names}")
            out[name] = _select(f"{what}[{name!r}]", sel, sizes[name])
        return out
    if isinstance(value, (str,)) or hasattr(value, "name") or hasattr(value, "ids"):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be None, 'all', a list of populations (names or "
                        f"slices) or a dict {{name: 'all' | slice | ids}}, got "
                        f"{V._show(value)}")
    out = {}
    for item in value:
        name, ids = one(item)
        out[name] = np.union1d(out[name], ids) if name in out else ids
    return out


def _window(what, window, dt):
    """(lo, hi) steps of a recording window given in ms of network time (None: always)."""
    if window is None:
        return 0, np.iinfo(np.int64).max
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise TypeError(f"{what} must be None or (start, stop) in ms, got "
                        f"{V._show(window)}")
    a = V.non_negative(f"{what} start", window[0], "ms")
    b = V.positive(f"{what} stop", window[1], "ms")
    if b <= a:
        raise ValueError(f"{what} must have start < stop, got {V._show(window)}")
    return int(math.ceil(a / dt - 1e-9)), int(math.ceil(b / dt - 1e-9))


def _schedule(every, lo, hi, n_start, n_stop):
    """(every, lo, hi, row0) for samples at the multiples of ``every`` in the window
    ``[lo, hi)`` intersected with the run ``[n_start, n_stop)``, and the number of rows."""
    lo, hi = max(lo, n_start), min(hi, n_stop)
    row0 = -(-lo // every)
    rows = max(0, -(-hi // every) - row0) if hi > lo else 0
    return np.array([every, lo, hi, row0], dtype=np.int64), rows
