"""Inputs that are not populations: ``PoissonInput`` drives and injected currents.

:class:`PoissonInput` adds Poisson spike counts to a target's conductance or potential
without a population of sources (Brian2's ``PoissonInput``); :class:`CurrentSource` a
current (mV, as a drive of ``v``) that changes at given times.

Room: ``neurolab.model``. May import: numpy and ``neurolab.base``.
"""

from __future__ import annotations

import numpy as np

from ..base import validate as V
from ..base.io import summary as _summary
from ..base.streams import _check_rate


class PoissonInput:
    """A Poisson drive onto a LIF population (see :meth:`Network.add_poisson_input`).

    Attributes: ``name``, ``target`` (population), ``ids`` (local target ids),
    ``n_sources``, ``rate`` (Hz; settable between runs), ``weight``, ``receptor``.
    """

    def __init__(self, name, target, ids, n_sources, rate, weight, receptor, index, net):
        self.name, self.target, self.ids = name, target, ids
        self.n_sources, self._rate, self.weight = n_sources, rate, weight
        self.receptor, self.index, self._net = receptor, index, net

    @property
    def rate(self) -> float:
        return self._rate

    @rate.setter
    def rate(self, value):
        value = _check_rate("rate", value, self._net.dt)
        self._rate = value
        if self._net._state is not None:
            self._net._state.set_drive_rate(self, value)

    def __repr__(self):
        return (f"PoissonInput({self.name!r} -> {self.target.name!r}, n_targets="
                f"{self.ids.size}, n_sources={self.n_sources}, rate={self._rate} Hz)")

    def to_dict(self) -> dict:
        return {"name": self.name, "target": self.target.name, "n_targets": int(self.ids.size),
                "n_sources": self.n_sources, "rate_hz": self._rate, "weight": self.weight,
                "receptor": self.receptor}


class CurrentSource:
    """An injected current (see :meth:`Network.add_current`). Setting ``amplitude`` (and
    optionally calling :meth:`set` with times) between runs changes it from ``net.t`` on."""

    def __init__(self, name, target, ids, net, index):
        self.name, self.target, self.ids, self._net, self.index = name, target, ids, net, index
        self._segments = []

    @property
    def amplitude(self):
        """The amplitude schedule given last: (times_ms or None, values)."""
        seg = self._segments[-1]
        return seg["times_ms"], seg["values"]

    @amplitude.setter
    def amplitude(self, value):
        self.set(value)

    def set(self, amplitude, times=None) -> None:
        """New amplitude (mV) from ``net.t`` on (``times`` None) or a schedule whose times
        (ms of network time, >= net.t) are as in :meth:`Network.add_current`."""
        start = 0 if self._net._state is None else self._net._state.step
        seg = _current_segment(self.name, amplitude, times, self.ids.size, self._net.dt, start)
        if self._net._state is None:
            self._segments = [seg]
        else:
            self._net._state.set_current(self, seg)

    def __repr__(self):
        return f"CurrentSource({self.name!r} -> {self.target.name!r}, n={self.ids.size})"

    def to_dict(self) -> dict:
        times, values = self.amplitude
        return {"name": self.name, "target": self.target.name, "n_targets": int(self.ids.size),
                "times_ms": None if times is None else _summary(times),
                "values_mv": _summary(np.asarray(values))}


def _current_segment(name, amplitude, times, n_target, dt, start):
    """A validated current schedule from step ``start``: change steps and values."""
    if times is None:
        values = V.float_array(f"amplitude of {name!r}", amplitude, length=n_target)
        return {"start": start, "steps": np.array([start], np.int64),
                "values": values[None, :].copy(), "times_ms": None}
    times = V.float_array(f"times of {name!r}", times, allow_scalar=True)
    if times.size == 0:
        raise ValueError(f"times of {name!r} must hold at least one time")
    V.within_steps(f"times of {name!r}", times, dt)
    steps = np.rint(times / dt).astype(np.int64)
    if (np.diff(steps) <= 0).any():
        k = int(np.flatnonzero(np.diff(steps) <= 0)[0]) + 1
        raise ValueError(f"times of {name!r} must increase by at least dt={dt!r} ms, got "
                         f"{float(times[k])!r} ms after {float(times[k - 1])!r} ms at index {k}")
    if steps[0] < start:
        raise ValueError(f"times of {name!r} must be >= the network's time "
                         f"{start * dt:g} ms, got {float(times[0])!r} ms")
    values = V.float_table(f"amplitude of {name!r} (one row per time)", amplitude,
                           times.size, n_target)
    if steps[0] > start:       # zero before the first time
        steps = np.concatenate([[start], steps])
        values = np.concatenate([np.zeros((1, n_target)), values])
    return {"start": start, "steps": steps, "values": values, "times_ms": times}
