"""Random input streams and rate specifications, shared by the model and the engine.

Every random draw of a network comes from a numpy Generator keyed by
``[seed, stream, index, ...]``: the stream identifiers below keep connectivity, per-neuron
parameters, Poisson input and PoissonInput counts independent of each other, so adding a
population never changes what another one draws. Rates (Hz) are checked here (at most one
spike per step) and kept as an (n,) array, a table of bins (``_RateTable``) or a checked
user function (``_RateFunction``); ``_poisson_stream`` gives a population's run-time Poisson
stream from ``neurolab.base.poisson``.

Room: ``neurolab.base`` (one floor below ``model`` and ``engine``). May import: numpy and
``neurolab.base`` only.
"""

from __future__ import annotations

import numpy as np

from . import validate as V
from .poisson import _ConstantBlocks, _VaryingBlocks
from .io import summary as _summary


# stream identifiers for numpy SeedSequence-style seeding: [seed, stream, index]
_STREAM_CONNECT = 1
_STREAM_POISSON = 2
_STREAM_NEURON = 3          # per-neuron parameters and v_init drawn from distributions
_STREAM_POISSON_EPOCH = 4   # Poisson input after a change of rates between runs
_STREAM_DRIVE = 5           # PoissonInput counts
_STREAM_CHANGE = 6          # values drawn from distributions by changes between runs
_STREAM_POISSON_VARYING = 7  # Poisson input with time-varying rates


# ---------------------------------------------------------------- input and parameter helpers
def _check_rate(name, value, dt):
    value = V.non_negative(name, value, "Hz")
    if value * (dt / 1000.0) > 1.0 + 1e-12:
        raise ValueError(f"{name} must be <= 1000/dt = {1000.0 / dt!r} Hz (at most one spike "
                         f"per step), got {value!r}")
    return value


def _check_rate_array(what, rates, dt):
    if (rates < 0).any():
        k = np.unravel_index(int(np.flatnonzero(rates < 0)[0]), rates.shape)
        raise ValueError(f"{what} must be >= 0 Hz, got {float(rates[k])!r} at index "
                         f"{V.index_text(k)}")
    over = rates * (dt / 1000.0) > 1.0 + 1e-12
    if over.any():
        k = np.unravel_index(int(np.flatnonzero(over)[0]), rates.shape)
        raise ValueError(f"{what} must be <= 1000/dt = {1000.0 / dt!r} Hz (at most one spike "
                         f"per step), got {float(rates[k])!r} at index "
                         f"{V.index_text(k)}")


class _RateTable:
    """Piecewise-constant rates: row k in [k rate_dt, (k+1) rate_dt); the last row holds."""

    def __init__(self, table, rate_dt, dt):
        self.table, self.rate_dt, self.dt = table, rate_dt, dt

    def __call__(self, steps):
        k = np.minimum((steps * self.dt / self.rate_dt + 1e-9).astype(np.int64),
                       self.table.shape[0] - 1)
        return self.table[k]


class _RateFunction:
    """A user's rate function, checked on every block of steps it is evaluated on."""

    def __init__(self, fn, n, dt, name):
        self.fn, self.n, self.dt, self.name = fn, n, dt, name

    def __call__(self, steps):
        t = steps * self.dt
        try:
            r = np.asarray(self.fn(t), dtype=np.float64)
        except Exception as exc:
            raise ValueError(f"rates of population {self.name!r}: the rate function raised "
                             f"{type(exc).__name__}: {exc} for t in [{t[0]:g}, {t[-1]:g}] ms"
                             ) from exc
        if r.shape == (t.size,):
            r = np.repeat(r[:, None], self.n, axis=1)
        if r.shape != (t.size, self.n):
            raise ValueError(f"rates of population {self.name!r}: the rate function must "
                             f"return shape ({t.size},) or ({t.size}, {self.n}) for {t.size} "
                             f"times, got {r.shape}")
        if not np.all(np.isfinite(r)):
            k = int(np.flatnonzero(~np.isfinite(r))[0]) // self.n
            raise ValueError(f"rates of population {self.name!r} must be finite, got "
                             f"{float(r.reshape(-1)[np.flatnonzero(~np.isfinite(r))[0]])!r} "
                             f"at t = {t[k]:g} ms")
        _check_rate_array(f"rates of population {self.name!r} (function)", r, self.dt)
        return r


def _rates_spec(name, rates, n, dt, rate_dt):
    """Validated rates: an (n,) array (constant), a _RateTable or a _RateFunction."""
    if callable(rates):
        if rate_dt is not None:
            raise ValueError("rate_dt is only used with a table of rates, not a function")
        return _RateFunction(rates, n, dt, name)
    if rate_dt is None:
        arr = V.float_array("rates", rates, length=n)
        _check_rate_array("rates", arr, dt)
        return arr
    rate_dt = V.positive("rate_dt", rate_dt, "ms")
    n_bins = np.shape(rates)[0] if np.ndim(rates) else 0
    if n_bins < 1:
        raise ValueError(f"rates with rate_dt must be a table of at least one bin, shape "
                         f"(n_bins,) or (n_bins, {n}), got {V._show(rates)}")
    table = V.float_table("rates", rates, n_bins, n)
    _check_rate_array("rates", table, dt)
    return _RateTable(table, rate_dt, dt)


def _rates_summary(spec):
    if isinstance(spec, np.ndarray):
        return _summary(spec)
    if isinstance(spec, _RateTable):
        return {"table": _summary(spec.table), "rate_dt": spec.rate_dt,
                "n_bins": int(spec.table.shape[0])}
    return {"function": getattr(spec.fn, "__qualname__", repr(spec.fn))}


def _poisson_stream(seed, dt, pop, epoch, start=0):
    """The input stream of a Poisson population from step ``start`` with rates epoch
    ``epoch`` (0: the rates given to add_poisson; each change between runs adds one), keyed
    by the network's ``seed`` and the population's position."""
    spec = pop._rates
    if isinstance(spec, np.ndarray):
        key = ([seed, _STREAM_POISSON, pop.index] if epoch == 0
               else [seed, _STREAM_POISSON_EPOCH, pop.index, epoch])
        return _ConstantBlocks(spec, dt, key, start)
    key = [seed, _STREAM_POISSON_VARYING, pop.index, epoch]
    return _VaryingBlocks(spec, pop.n, dt, key, start)
