"""Marking a number of a notebook as a result, for sweeps and summaries.

A notebook calls ``mark_result(name, value, folder=raw_dir)`` for each number it wants
reported (a fraction of strong weights, an output rate, an accuracy). The value is added
to ``FOLDER/results.json``, beside the run's data, so it travels with that run: under
``neurolab reproduce`` into the notebook's data folder, under ``neurolab sweep`` into the
point's folder, from which the sweep collects one table per sweep (``neurolab.lab.sweep``).

The file is canonical JSON (sorted keys, no time stamps), written to a temporary name and
renamed into place: the same values give the same bytes, and an interrupted write never
leaves a half-written file. A run has one writer of its folder (the pipeline gives each
run a staging folder of its own), so the read-modify-write needs no lock.

File format (``neurolab-results/1``)::

    {"format": "neurolab-results/1",
     "results": {"fraction_strong": {"unit": null, "value": 0.31}, ...}}

Non-finite values are kept as the strings ``"nan"``, ``"inf"``, ``"-inf"`` (JSON has no
such numbers); ``read_results`` turns them back into floats.

Room: ``neurolab.lab`` (imported by ``neurolab`` itself for ``nl.mark_result``). May import:
numpy and ``neurolab.base``.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from pathlib import Path

import numpy as np

from ..base.io import atomic_write_json
from ..base.validate import _show

RESULTS_FILE = "results.json"
RESULTS_FORMAT = "neurolab-results/1"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _number(name: str, value):
    """``value`` as a plain int or float (bool and numpy scalars accepted; ``TypeError``
    naming ``name`` otherwise; ``ValueError`` for a masked value, which is missing, not
    a number: ``np.ma.masked`` would otherwise read as 0.0)."""
    if np.ma.is_masked(value):
        raise ValueError(f"mark_result({_show(name)}, value=masked): the value is masked "
                         f"(missing), not a number; mark a number, or float('nan') to "
                         f"record that it is missing")
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return int(bool(value))
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    size = getattr(value, "size", None)
    if size == 1 and hasattr(value, "item"):            # a 0-d or 1-element array
        return _number(name, value.item())
    raise TypeError(f"mark_result({_show(name)}, value={_show(value)}): expected a real "
                    f"number (int, float, bool or a numpy scalar), got {type(value).__name__}")


def _stored(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def mark_result(name: str, value, *, folder, unit: str | None = None):
    """Record ``value`` as the result ``name`` of this run in ``folder/results.json``.

    ``name``: an identifier (letters, digits, ``_``; it becomes a column of the sweep's
    table). ``value``: a real number (int, float, bool, numpy scalar or one-element
    array); NaN and infinities are kept (see the module docstring). ``folder``: the run's
    data folder, e.g. ``paths.raw_dir("03_song_abbott")``. ``unit``: optional, e.g. "Hz".
    Marking the same name again replaces its value. Returns the value as stored (a plain
    int or float). Raises ``ValueError`` for a bad name or a masked value (``np.ma.masked``,
    a masked one-element array: missing, not a number; mark ``float('nan')`` for a
    missing result), ``TypeError`` for a value that is not a real number."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"mark_result(name={_show(name)}): expected an identifier (letters, "
                         f"digits and '_', not starting with a digit)")
    if unit is not None and not isinstance(unit, str):
        raise TypeError(f"mark_result({_show(name)}, unit={_show(unit)}): expected a string "
                        f"or None")
    number = _number(name, value)
    path = Path(folder) / RESULTS_FILE
    marked = read_results(path, raw=True) if path.is_file() else {}
    marked[name] = {"value": _stored(number), "unit": unit}
    atomic_write_json(path, {"format": RESULTS_FORMAT, "results": marked})
    return number


def read_results(path, *, raw: bool = False) -> dict:
    """The results of one ``results.json``: name -> value (float or int), or with ``raw``
    the stored records (name -> {"value", "unit"}). ``ValueError`` naming the file when it
    is not a ``neurolab-results/1`` file."""
    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT or \
            not isinstance(data.get("results"), dict):
        raise ValueError(f"{path}: not a {RESULTS_FORMAT} file")
    if raw:
        return dict(data["results"])
    out = {}
    for name, record in data["results"].items():
        value = record.get("value") if isinstance(record, dict) else None
        out[name] = float(value) if isinstance(value, str) else value
    return out
