"""Model parameters as frozen, validated dataclasses.

Units follow NEST and most papers: times in ms, potentials in mV, weights dimensionless
(conductance synapses, relative to the leak conductance) or in mV (delta and current
synapses).

Room: ``neurolab.model``. May import: numpy, ``neurolab.base``, ``neurolab.plasticity`` and
``neurolab.model.distributions``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..base import validate as V
from ..base.io import summary  # noqa: F401  (importable from here as before)

SYNAPSE_TYPES = ("delta", "current", "conductance")


# per-neuron LIF parameters: (name, unit, check) with check "positive", "non_negative" or
# "real"; each accepts a scalar, an array of length n or a distribution (resolved at add_lif)
NEURON_FIELDS = (("tau_m", "ms", "positive"), ("v_rest", "mV", "real"),
                 ("v_th", "mV", "real"), ("v_reset", "mV", "real"),
                 ("refractory", "ms", "non_negative"), ("tau_e", "ms", "positive"),
                 ("tau_i", "ms", "positive"), ("E_e", "mV", "real"), ("E_i", "mV", "real"),
                 ("I_bias", "mV", "real"))
_LOW = {"positive": {"low": 0.0, "low_inclusive": False},
        "non_negative": {"low": 0.0}, "real": {}}


def _neuron_value(name, value, unit, check):
    """A scalar as a float, an array as a read-only float64 copy, a distribution as a tuple;
    validated as far as possible without knowing the population size."""
    from .distributions import is_distribution

    if is_distribution(value):
        return tuple(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        arr = V.float_array(name, value, allow_scalar=True).copy()
        V.bounded_array(name, arr, unit=unit, **_LOW[check])
        arr.setflags(write=False)
        return arr
    if check == "positive":
        return V.positive(name, value, unit)
    if check == "non_negative":
        return V.non_negative(name, value, unit)
    return V.real(name, value)


@dataclass(frozen=True, eq=False)
class LIFParams:
    """Leaky integrate-and-fire neuron.

    ``tau_m dv/dt = (v_rest - v) + I_bias + I_ext + I_syn``, all terms in mV (a current
    times the membrane resistance). ``I_bias`` is a constant bias, ``I_ext`` the sum of the
    currents injected by :meth:`Network.add_current`; the synaptic term ``I_syn`` depends on
    ``synapse``:

    - ``"delta"``: no term; a presynaptic spike makes ``v`` jump by ``+w`` (receptor
      ``"exc"``) or ``-w`` (``"inh"``), in mV.
    - ``"current"``: ``I_syn = I_e - I_i`` (mV); ``I_e`` and ``I_i`` are non-negative, decay
      exponentially with ``tau_e`` / ``tau_i`` and jump by ``w`` on an excitatory /
      inhibitory presynaptic spike. Integrated with the exact propagator.
    - ``"conductance"``: ``I_syn = g_e (E_e - v) + g_i (E_i - v)``; ``g_e``, ``g_i`` are
      dimensionless (relative to the leak), decay with ``tau_e`` / ``tau_i`` and jump by ``w``.
      Integrated with exponential Euler, conductances taken at the start of the step
      (what Brian2 picks for this model).

    Weights are magnitudes, ``w >= 0`` on every synapse type (a negative weight is refused
    by :meth:`Network.connect`); the projection's ``receptor`` decides whether a spike
    depolarises (``"exc"``) or hyperpolarises (``"inh"``).

    Every parameter but ``synapse`` is per neuron: a scalar (the same for all), an array of
    the population's length, or a distribution ``("uniform", lo, hi)``,
    ``("normal", mean, sd)``, ``("lognormal", mean, sd)`` drawn when the population is
    added, from the network's seeded generator (see :mod:`neurolab.model.distributions`; draws
    outside a parameter's allowed range are redrawn). Arrays and draws are checked element
    by element when the population is added (:meth:`Network.add_lif`), scalars and arrays
    here already.

    Parameters
    ----------
    tau_m : membrane time constant (ms), > 0.
    v_rest : resting (leak reversal) potential E_L (mV).
    v_th : threshold (mV); a neuron spikes when ``v > v_th`` and it is not refractory.
    v_reset : reset potential (mV), must be < ``v_th`` (neuron by neuron).
    refractory : refractory period (ms), >= 0. For K = round(refractory/dt) steps counted
        from the spike step, ``v`` is frozen (not integrated, no threshold, delta input
        discarded); it integrates again from step s + K, as Brian2 does. Brian2 truncates
        refractory/dt instead of rounding: use whole multiples of dt to compare the two.
    synapse : ``"delta"``, ``"current"`` or ``"conductance"`` (one per population).
    tau_e, tau_i : excitatory / inhibitory synaptic time constants (ms), > 0.
    E_e, E_i : excitatory / inhibitory reversal potentials (mV), conductance synapses only.
    I_bias : constant bias current as the potential it adds, R_m I (mV); default 0. The
        steady state without input is ``v_rest + I_bias``.

    Raises ``TypeError`` / ``ValueError`` naming the parameter, the value (and index) and
    what is allowed.
    """

    tau_m: float = 10.0
    v_rest: float = -70.0
    v_th: float = -54.0
    v_reset: float = -60.0
    refractory: float = 0.0
    synapse: str = "delta"
    tau_e: float = 5.0
    tau_i: float = 10.0
    E_e: float = 0.0
    E_i: float = -80.0
    I_bias: float = 0.0

    def __post_init__(self):
        for name, unit, check in NEURON_FIELDS:
            object.__setattr__(self, name, _neuron_value(name, getattr(self, name), unit, check))
        V.choice("synapse", self.synapse, SYNAPSE_TYPES)
        if not self.is_distribution("v_reset") and not self.is_distribution("v_th"):
            vr, vt = np.broadcast_arrays(np.asarray(self.v_reset), np.asarray(self.v_th))
            bad = vr >= vt
            if bad.any():
                k = int(np.flatnonzero(bad.reshape(-1))[0])
                at = f" at index {k}" if vr.ndim else ""
                raise ValueError(f"v_reset must be < v_th ({float(vt.reshape(-1)[k])!r} mV), "
                                 f"got v_reset={float(vr.reshape(-1)[k])!r} mV{at}")

    def is_distribution(self, name) -> bool:
        return isinstance(getattr(self, name), tuple)

    def replace(self, **changes) -> "LIFParams":
        """A copy with some fields changed (validated like the constructor)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return params_dict(self)


def params_dict(params) -> dict:
    """A neuron parameter set as JSON-ready values, field by field: an array of per-neuron
    values as its summary (``base.io.summary``), a distribution as a list."""
    out = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if isinstance(value, np.ndarray):
            value = summary(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


# the pair rule lives with the other rules; importable from here as before
from ..plasticity.pair import PAIRINGS, STDPParams  # noqa: E402,F401
