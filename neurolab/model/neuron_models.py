"""Neuron models beyond LIF: the adaptive exponential (AdEx) and Izhikevich neurons.

Both are two-variable models: a membrane potential ``v`` (mV) and a second, slow variable
(AdEx: the adaptation current ``w``, pA; Izhikevich: the recovery variable ``u``). Their
parameters are frozen, validated dataclasses like :class:`~neurolab.LIFParams`: every
parameter but ``synapse`` (and the Izhikevich ``method``) is per neuron (a scalar, an array
of the population's length, or a distribution drawn when the population is added).

Room: ``neurolab.model``. May import: numpy, ``neurolab.base`` and the other
``neurolab.model`` modules below ``network``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..base import validate as V
from .params import SYNAPSE_TYPES, _neuron_value, params_dict

#: the fields of each model: (name, unit, check), as params.NEURON_FIELDS for LIF
ADEX_FIELDS = (("C", "pF", "positive"), ("g_L", "nS", "positive"), ("E_L", "mV", "real"),
               ("V_T", "mV", "real"), ("Delta_T", "mV", "non_negative"),
               ("V_peak", "mV", "real"), ("V_reset", "mV", "real"),
               ("tau_w", "ms", "positive"), ("a", "nS", "real"), ("b", "pA", "real"),
               ("refractory", "ms", "non_negative"), ("I_bias", "pA", "real"),
               ("tau_e", "ms", "positive"), ("tau_i", "ms", "positive"),
               ("E_e", "mV", "real"), ("E_i", "mV", "real"),
               ("t_clamp", "ms", "non_negative"), ("V_clamp", "mV", "real"),
               ("I_sp", "pA", "non_negative"), ("tau_z", "ms", "positive"),
               ("tau_V_th", "ms", "positive"))
#: random streams: field k of the first ADEX_STREAMS fields draws from stream k, then
#: v_init and w_init from ADEX_STREAMS and ADEX_STREAMS + 1 (as before the later fields
#: existed, so a seed draws what it drew); later fields (Clopath's extras) from
#: LATE_STREAMS + k, V_th_max from LATE_STREAMS + len(ADEX_FIELDS)
ADEX_STREAMS = 18
LATE_STREAMS = 100
IZHIKEVICH_FIELDS = (("a", "1/ms", "positive"), ("b", "1/ms", "real"), ("c", "mV", "real"),
                     ("d", "mV/ms", "real"), ("v_peak", "mV", "real"),
                     ("I_bias", "mV/ms", "real"), ("tau_e", "ms", "positive"),
                     ("tau_i", "ms", "positive"), ("E_e", "mV", "real"),
                     ("E_i", "mV", "real"))
IZHIKEVICH_METHODS = ("euler", "half_steps")

#: the exponential term of the AdEx is evaluated at most at V_peak: exp((V_peak - V_T) /
#: Delta_T) must stay far from float64's overflow (exp(709))
_MAX_EXPONENT = 600.0
#: the AdEx step must resolve the spike's upswing up to V_T + 3 Delta_T (see AdExParams)
ADEX_DT_FRACTION = math.exp(-3.0)


class _ModelParams:
    """What the two parameter classes share (validation, replace, to_dict)."""

    FIELDS = ()
    #: fields drawing from random streams 0, 1, ...; v_init and the second variable's
    #: initial value draw from the next two; later fields from LATE_STREAMS + k
    N_STREAMS = 0

    @classmethod
    def stream(cls, k: int) -> int:
        """The random stream of field ``k`` (its position in ``FIELDS``; ``len(FIELDS)``:
        AdEx's ``V_th_max``)."""
        return k if k < cls.N_STREAMS else LATE_STREAMS + k

    def _validate(self):
        for name, unit, check in self.FIELDS:
            object.__setattr__(self, name, _neuron_value(name, getattr(self, name), unit, check))
        V.choice("synapse", self.synapse, SYNAPSE_TYPES)

    def is_distribution(self, name) -> bool:
        return isinstance(getattr(self, name), tuple)

    def replace(self, **changes):
        """A copy with some fields changed (validated like the constructor)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {"model": self.MODEL, **params_dict(self)}

    @classmethod
    def preset(cls, name: str, **changes):
        """The published parameter set ``name`` (see ``PRESETS``; its source is in the class
        docstring), with ``changes`` applied. Raises ``ValueError`` listing the names."""
        V.choice("name", name, tuple(cls.PRESETS))
        values = dict(cls.PRESETS[name])
        values.pop("I", None)
        values.update(changes)
        return cls(**values)


@dataclass(frozen=True, eq=False)
class AdExParams(_ModelParams):
    """Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005,
    J. Neurophysiol. 94:3637), in NEST's ``aeif_*`` units (pF, nS, pA, mV, ms)::

        C dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_T) / Delta_T) - w
                  + I_bias + I_ext + I_syn
        tau_w dw/dt = a (V - E_L) - w

    Spike when ``V >= V_peak`` (and not refractory): ``V <- V_reset``, ``w <- w + b``.
    While refractory (``refractory`` ms, counted as for LIF) ``V`` is frozen at
    ``V_reset`` and ``w`` keeps integrating (as NEST's ``aeif_*`` models do).
    Spike clamp (off by default, ``t_clamp = 0``; NEST's ``aeif_psc_delta_clopath``, Clopath
    et al. 2010): with ``t_clamp > 0`` a spike sets ``V <- V_clamp`` (and ``w <- w + b``);
    ``V`` stays at ``V_clamp`` and ``w`` is not integrated for ``Kc = round(t_clamp / dt)``
    steps after the spike step, the last of which ends with ``V <- V_reset``; the refractory
    period then counts from that step as it counts from the spike step without a clamp.
    Delta input is discarded while clamped. As in NEST, ``V`` reads ``V_clamp`` at the end of
    the spike step and the next ``Kc - 1`` steps (a monitor samples it at the start of the
    steps ``n_s + 1 .. n_s + Kc``; NEST stamps the spike one step later). This is what lets
    :class:`~neurolab.ClopathSTDP` see the spike (its LTP term needs ``v > theta_plus``).

    After-spike current and adaptive threshold (off by default; NEST's
    ``aeif_psc_delta_clopath``, from Clopath et al. 2010, Nat. Neurosci. 13:344, Methods)::

        C dV/dt = ... + z,            tau_z dz/dt = -z,
        g_L Delta_T exp((V - V_th) / Delta_T) in place of the V_T term,
        tau_V_th dV_th/dt = -(V_th - V_T)

    and a spike sets ``z <- I_sp``, ``V_th <- V_th_max``. ``z`` (pA) and ``V_th`` (mV)
    decay exactly, also while clamped or refractory (as in NEST); RK4 reads them at its
    stage times. ``I_sp = 0`` and ``V_th_max = None`` (the default: ``V_th`` stays ``V_T``)
    give the plain AdEx, bit for bit. Like the other fields they are per neuron (scalars,
    arrays or distributions) and :meth:`Population.set_params` changes them between runs
    (``V_th_max=None`` switches the adaptive threshold off).
    ``AdExParams.clopath()`` gives Clopath's whole neuron: NEST's
    ``aeif_psc_delta_clopath`` defaults (the paper's Table 1 values, with NEST's
    ``V_reset`` -60 mV and ``b`` 80.5 pA), clamp 2 ms at 33 mV. With ``Delta_T = 0`` there
    is no exponential term and ``V_th_max`` is refused (NEST then spikes at ``V_th``).
    ``Delta_T = 0`` drops the exponential term (a LIF with adaptation that spikes at
    ``V_peak``). ``I_ext`` is the current of :meth:`Network.add_current` (pA); ``I_syn``:

    - ``"delta"``: no term; a spike makes ``V`` jump by ``w`` (mV), discarded while
      refractory (NEST ``aeif_psc_delta``);
    - ``"current"``: ``I_syn = I_e - I_i`` (pA), ``I_x`` decays with ``tau_x`` and jumps by
      ``w`` (pA) (NEST ``aeif_psc_exp``);
    - ``"conductance"``: ``I_syn = g_e (E_e - V) + g_i (E_i - V)``, ``g_x`` (nS) decays with
      ``tau_x`` and jumps by ``w`` (nS) (NEST ``aeif_cond_exp``).

    Integration: the classical fixed-step Runge-Kutta method of order 4 on the whole
    system (``V``, ``w`` and the synaptic variables ``I_x``/``g_x``) over each step, what
    Brian2's ``method='rk4'`` does; the right-hand side reads ``min(V, V_peak)`` for ``V``
    (as NEST's ``aeif_*`` do) so that the exponential cannot overflow inside the step in
    which ``V`` crosses ``V_peak``. The local error is O(dt^5); forward Euler at dt = 0.1 ms
    misses spike times by 1.5-3.9 ms and is not offered. The exponential term makes the
    system stiff at the spike: from ``V_T`` alone it diverges in ``tau_m = C / g_L``, from
    ``V_T + k Delta_T`` in ``tau_m exp(-k)``. ``Network.add_adex`` refuses a ``dt`` larger
    than ``tau_m exp(-3)`` (~0.05 tau_m: the step resolves the upswing until
    ``V_T + 3 Delta_T``) or than ``tau_w``, ``tau_e``, ``tau_i``; dt = 0.1 ms with the
    presets (tau_m 5-20 ms) meets NEST's adaptive solver within 0.2 ms at the first spike.

    ``AdExParams.from_tau_m(tau_m, g_L, ...)`` gives the same model in the tau_m form
    (``C = tau_m g_L``).

    Units as NEST's; defaults: Brette & Gerstner 2005, Table 1, V_peak 0 mV.

    Parameters
    ----------
    C : membrane capacitance (pF), > 0.   g_L : leak conductance (nS), > 0.
    E_L : leak reversal potential (mV).   V_T : threshold slope factor's centre (mV).
    Delta_T : slope factor (mV), >= 0.    V_peak : spike cut-off (mV), > V_T.
    V_reset : reset potential (mV), < V_peak.
    tau_w : adaptation time constant (ms), > 0.
    a : subthreshold adaptation (nS).     b : spike-triggered adaptation (pA).
    refractory : ms, >= 0 (default 0).    I_bias : constant current (pA).
    synapse : ``"delta"``, ``"current"`` or ``"conductance"``.
    tau_e, tau_i : synaptic time constants (ms).  E_e, E_i : reversal potentials (mV).
    t_clamp : spike clamp duration (ms), >= 0 (default 0: no clamp; NEST's Clopath neuron: 2).
    V_clamp : potential held during the clamp (mV) (default 33, NEST's).
    I_sp : after-spike current set at each spike (pA), >= 0 (default 0: none; NEST 400).
    tau_z : its time constant (ms), > 0 (default 40, NEST's and the paper's).
    V_th_max : threshold set at each spike (mV), >= ``V_T`` neuron by neuron, or ``None``
        (default: no adaptive threshold; NEST 30.4).
    tau_V_th : the threshold's relaxation time constant (ms), > 0 (default 50).

    Every field but ``synapse`` is a scalar, an (n,) array or a distribution (as for
    :class:`LIFParams`), ``V_th_max`` also ``None``.

    Raises ``TypeError`` / ``ValueError`` naming the parameter, its value and what is
    allowed.

    Presets (:meth:`preset`, ``AdExParams.PRESETS``): the eight firing patterns of Naud,
    Marcille, Clopath & Gerstner 2008 (Biol. Cybern. 99:335), Table 1 and Fig. 4a-h, each with
    the step current ``I`` (pA) that shows the pattern: ``"tonic"`` (4a), ``"adapting"``
    (4b), ``"initial_burst"`` (4c), ``"bursting"`` (4d, regular bursting), ``"delayed"``
    (4e, delayed accelerating), ``"delayed_bursting"`` (4f, delayed regular bursting),
    ``"transient"`` (4g, transient spiking) and ``"irregular"`` (4h). All have ``V_T = -50``
    mV, ``Delta_T = 2`` mV and ``V_peak = 0`` mV. The parameters and currents are those of
    Brian2's example ``frompapers/Naud_et_al_2008_adex_firing_patterns.py`` (adapted by
    P. Mueller to match the paper's figures). ``"transient"`` is driven with 180 pA:
    with ``a = 10`` nS a resting state exists only below 288 pA, the maximum over ``V`` of
    ``(g_L + a)(V - E_L) - g_L Delta_T exp((V - V_T)/Delta_T)``
    (at ``V = V_T + Delta_T ln 2``): with 350 pA
    (this preset's current in early 0.6 drafts) it fires on regularly (ISI 83 ms) after
    the onset burst.
    ``AdExParams.preset("adapting")`` gives the parameters;
    ``AdExParams.PRESETS["adapting"]["I"]`` the current.
    """

    MODEL = "adex"
    FIELDS = ADEX_FIELDS
    N_STREAMS = ADEX_STREAMS
    C: float = 281.0
    g_L: float = 30.0
    E_L: float = -70.6
    V_T: float = -50.4
    Delta_T: float = 2.0
    V_peak: float = 0.0
    V_reset: float = -70.6
    tau_w: float = 144.0
    a: float = 4.0
    b: float = 80.5
    refractory: float = 0.0
    I_bias: float = 0.0
    synapse: str = "delta"
    tau_e: float = 5.0
    tau_i: float = 10.0
    E_e: float = 0.0
    E_i: float = -80.0
    t_clamp: float = 0.0
    V_clamp: float = 33.0
    I_sp: float = 0.0
    tau_z: float = 40.0
    V_th_max: float | None = None
    tau_V_th: float = 50.0

    def __post_init__(self):
        self._validate()
        if self.V_th_max is not None:
            vmax = _neuron_value("V_th_max", self.V_th_max, "mV", "real")
            object.__setattr__(self, "V_th_max", vmax)
            # what can be checked before the population's values are drawn (the rest,
            # neuron by neuron, in check_adex)
            if not (self.is_distribution("V_T") or self.is_distribution("V_th_max")):
                vt, vm = np.asarray(self.V_T), np.asarray(vmax)
                if vt.shape == vm.shape or vt.ndim == 0 or vm.ndim == 0:
                    bad = np.broadcast_to(vt > vm, np.broadcast_shapes(vt.shape, vm.shape))
                    if bad.any():
                        j = int(np.flatnonzero(bad.ravel())[0])
                        raise ValueError(
                            f"V_th_max must be >= V_T (the threshold jumps up at a spike and "
                            f"relaxes to V_T), got V_th_max="
                            f"{float(np.broadcast_to(vm, bad.shape).ravel()[j])!r} mV < V_T="
                            f"{float(np.broadcast_to(vt, bad.shape).ravel()[j])!r} mV"
                            + (f" at neuron {j}" if bad.ndim else ""))
            if not self.is_distribution("Delta_T") and (np.asarray(self.Delta_T) == 0).any():
                raise ValueError(f"V_th_max must be None when Delta_T = 0 (the adaptive "
                                 f"threshold acts through the exponential term, which "
                                 f"Delta_T = 0 removes), got V_th_max={V._show(vmax)} mV")

    @classmethod
    def clopath(cls, **changes) -> AdExParams:
        """Clopath et al. (2010)'s neuron as NEST's ``aeif_psc_delta_clopath`` defines it:
        C 281 pF, g_L 30 nS, E_L -70.6 mV, V_T (``V_th_rest``) -50.4 mV, Delta_T 2 mV,
        V_peak 33 mV, V_reset -60 mV, tau_w 144 ms, a 4 nS, b 80.5 pA, I_sp 400 pA,
        tau_z 40 ms, V_th_max 30.4 mV, tau_V_th 50 ms, spike clamp 2 ms at 33 mV, delta
        synapses; ``changes`` applied (validated like the constructor)."""
        values = {"C": 281.0, "g_L": 30.0, "E_L": -70.6, "V_T": -50.4, "Delta_T": 2.0,
                  "V_peak": 33.0, "V_reset": -60.0, "tau_w": 144.0, "a": 4.0, "b": 80.5,
                  "I_sp": 400.0, "tau_z": 40.0, "V_th_max": 30.4, "tau_V_th": 50.0,
                  "t_clamp": 2.0, "V_clamp": 33.0}
        values.update(changes)
        return cls(**values)

    @classmethod
    def from_tau_m(cls, tau_m, g_L=30.0, **changes) -> AdExParams:
        """The tau_m form: ``C = tau_m * g_L`` (pF = ms x nS), the other parameters as the
        constructor takes them. ``tau_m`` (ms, > 0) and ``g_L`` (nS, > 0): scalars or
        arrays of the population's length (not distributions: draw ``C`` itself)."""
        from .distributions import is_distribution

        for name, value in (("tau_m", tau_m), ("g_L", g_L)):
            if is_distribution(value):
                raise TypeError(f"{name} must be a number or an array in from_tau_m, got the "
                                f"distribution {V._show(value)}; give C (pF) as a "
                                f"distribution to AdExParams instead")
        tau = _neuron_value("tau_m", tau_m, "ms", "positive")
        g = _neuron_value("g_L", g_L, "nS", "positive")
        return cls(C=np.multiply(tau, g) if isinstance(tau, np.ndarray)
                   or isinstance(g, np.ndarray) else tau * g, g_L=g_L, **changes)


@dataclass(frozen=True, eq=False)
class IzhikevichParams(_ModelParams):
    """Izhikevich's simple model (Izhikevich 2003, IEEE Trans. Neural Netw. 14:1569)::

        dv/dt = 0.04 v^2 + 5 v + 140 - u + I_bias + I_ext + I_syn
        du/dt = a (b v - u)

    ``v`` in mV, ``t`` in ms; ``u`` and the currents in the model's own unit (mV/ms, the
    paper's dimensionless ``I``). Spike when ``v >= v_peak`` (30 mV): ``v <- c``,
    ``u <- u + d``. No refractory period (as in the paper and NEST's ``izhikevich``).
    ``I_ext``: the current of :meth:`Network.add_current`; ``I_syn``:

    - ``"delta"``: a spike makes ``v`` jump by ``w`` (mV) (NEST ``izhikevich`` with
      ``consistent_integration=True``); the paper's network adds the weights to ``I`` for
      the next 1 ms step instead (inside both half steps; NEST's
      ``consistent_integration=False`` does that), which is a jump of ``w`` to first order
      only: the quadratic term sees the jumped ``v`` (``benchmarks/izhikevich.py``
      compares the two);
    - ``"current"``: ``I_syn = I_e - I_i``, decaying with ``tau_e``/``tau_i``, jumps by ``w``;
    - ``"conductance"``: ``I_syn = g_e (E_e - v) + g_i (E_i - v)`` (``g`` in 1/ms).

    Integration (``method``):

    - ``"euler"`` (default): forward Euler on ``(v, u)`` with the values at the start of
      the step (NEST's ``izhikevich`` with ``consistent_integration=True``, Brian2's
      ``method='euler'``);
    - ``"half_steps"``: the published code's numerics: ``v`` in two half steps of dt/2,
      then ``u`` with the new ``v`` (Izhikevich's MATLAB code at dt = 1 ms; NEST's
      ``consistent_integration=False``). Use it to match the paper's figures.

    Synaptic currents/conductances decay exactly (``exp(-dt/tau)``) after the update, as
    for LIF. Both methods are first order: results depend on ``dt`` (the model is chaotic
    enough that long spike trains drift apart with any change). ``Network.add_izhikevich``
    refuses ``dt > 1`` ms (the paper's own step), ``a dt >= 1`` (``u`` would overshoot) and
    ``dt`` above ``tau_e``/``tau_i``; use 0.1 ms or less unless matching the paper.

    Presets (:meth:`preset`, ``IzhikevichParams.PRESETS``; Izhikevich 2003, Fig. 2 and its
    caption, with the current ``I`` of the figure's demonstrations): ``"RS"`` regular
    spiking, ``"IB"`` intrinsically bursting, ``"CH"`` chattering, ``"FS"`` fast spiking,
    ``"LTS"`` low-threshold spiking, ``"TC"`` thalamo-cortical, ``"RZ"`` resonator.
    """

    MODEL = "izhikevich"
    FIELDS = IZHIKEVICH_FIELDS
    N_STREAMS = len(IZHIKEVICH_FIELDS)
    a: float = 0.02
    b: float = 0.2
    c: float = -65.0
    d: float = 8.0
    v_peak: float = 30.0
    I_bias: float = 0.0
    synapse: str = "delta"
    tau_e: float = 5.0
    tau_i: float = 10.0
    E_e: float = 0.0
    E_i: float = -80.0
    method: str = "euler"

    def __post_init__(self):
        self._validate()
        V.choice("method", self.method, IZHIKEVICH_METHODS)


# Izhikevich 2003, Fig. 2 (a, b, c, d) and the input of its demonstrations (I = 10)
IzhikevichParams.PRESETS = {
    "RS": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0, "I": 10.0},
    "IB": {"a": 0.02, "b": 0.2, "c": -55.0, "d": 4.0, "I": 10.0},
    "CH": {"a": 0.02, "b": 0.2, "c": -50.0, "d": 2.0, "I": 10.0},
    "FS": {"a": 0.1, "b": 0.2, "c": -65.0, "d": 2.0, "I": 10.0},
    "LTS": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 2.0, "I": 10.0},
    "TC": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 0.05, "I": 10.0},
    "RZ": {"a": 0.1, "b": 0.26, "c": -65.0, "d": 2.0, "I": 10.0},
}

# Naud et al. 2008, Table 1 / Fig. 4 (C pF, g_L nS, E_L mV, a nS, tau_w ms, b pA, V_reset mV,
# I pA; V_T = -50 mV, Delta_T = 2 mV), as in Brian2's example
# frompapers/Naud_et_al_2008_adex_firing_patterns.py (transient spiking: 180 pA, see the
# AdExParams docstring)
AdExParams.PRESETS = {
    name: {"C": C, "g_L": gL, "E_L": EL, "V_T": -50.0, "Delta_T": 2.0, "a": a, "tau_w": tw,
           "b": b, "V_reset": Vr, "I": I}
    for name, (C, gL, EL, a, tw, b, Vr, I) in {
        "tonic": (200.0, 10.0, -70.0, 2.0, 30.0, 0.0, -58.0, 500.0),
        "adapting": (200.0, 12.0, -70.0, 2.0, 300.0, 60.0, -58.0, 500.0),
        "initial_burst": (130.0, 18.0, -58.0, 4.0, 150.0, 120.0, -50.0, 400.0),
        "bursting": (200.0, 10.0, -58.0, 2.0, 120.0, 100.0, -46.0, 210.0),
        "delayed": (200.0, 12.0, -70.0, -10.0, 300.0, 0.0, -58.0, 300.0),
        "delayed_bursting": (100.0, 10.0, -65.0, -10.0, 90.0, 30.0, -47.0, 110.0),
        "transient": (100.0, 10.0, -65.0, 10.0, 90.0, 100.0, -47.0, 180.0),
        "irregular": (100.0, 12.0, -60.0, -11.0, 130.0, 30.0, -48.0, 160.0),
    }.items()}


def check_adex(name, values, dt, synapse):
    """Per-neuron checks of resolved AdEx parameters (``values``: name -> (n,) arrays)."""
    def first(bad):
        return int(np.flatnonzero(bad)[0])

    vp, vt, vr, dT = values["V_peak"], values["V_T"], values["V_reset"], values["Delta_T"]
    bad = vr >= vp
    if bad.any():
        j = first(bad)
        raise ValueError(f"V_reset must be < V_peak in population {name!r}, got V_reset="
                         f"{float(vr[j])!r} mV >= V_peak={float(vp[j])!r} mV at neuron {j}")
    bad = (dT > 0) & (vp <= vt)
    if bad.any():
        j = first(bad)
        raise ValueError(f"V_peak must be > V_T in population {name!r}, got V_peak="
                         f"{float(vp[j])!r} mV <= V_T={float(vt[j])!r} mV at neuron {j}")
    with np.errstate(divide="ignore", invalid="ignore"):
        expo = np.where(dT > 0, (vp - vt) / np.where(dT > 0, dT, 1.0), 0.0)
    bad = expo > _MAX_EXPONENT
    if bad.any():
        j = first(bad)
        raise ValueError(f"Delta_T is too small for V_peak - V_T in population {name!r}: "
                         f"exp((V_peak - V_T) / Delta_T) overflows; Delta_T must be 0 or > "
                         f"(V_peak - V_T) / {_MAX_EXPONENT:g} = "
                         f"{float((vp[j] - vt[j]) / _MAX_EXPONENT)!r} mV, got "
                         f"Delta_T={float(dT[j])!r} mV at neuron {j}")
    tau_m = values["C"] / values["g_L"]
    limit = tau_m * ADEX_DT_FRACTION
    bad = dt > limit
    if bad.any():
        j = first(bad)
        raise ValueError(f"dt={dt!r} ms is too large for the AdEx population {name!r}: the "
                         f"exponential term diverges within tau_m = C/g_L = "
                         f"{float(tau_m[j]):.6g} ms, and RK4 needs dt <= tau_m exp(-3) = "
                         f"{float(limit[j]):.4g} ms (neuron {j}); use a smaller dt (0.1 ms "
                         f"or less is usual) or a larger C/g_L")
    if values.get("V_th_max") is not None:
        vm = values["V_th_max"]
        bad = vt > vm
        if bad.any():
            j = first(bad)
            raise ValueError(f"V_th_max must be >= V_T in population {name!r}, got V_th_max="
                             f"{float(vm[j])!r} mV < V_T={float(vt[j])!r} mV at neuron {j}")
    _check_taus(name, values, dt, ("tau_w",) if synapse == "delta"
                else ("tau_w", "tau_e", "tau_i"))


def check_izhikevich(name, values, dt, synapse):
    """Per-neuron checks of resolved Izhikevich parameters."""
    if dt > 1.0:
        raise ValueError(f"dt must be <= 1 ms for the Izhikevich population {name!r} (the "
                         f"paper's own step, with method='half_steps'; 0.1 ms or less is "
                         f"usual), got dt={dt!r} ms")
    bad = values["a"] * dt >= 1.0
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"a * dt must be < 1 in population {name!r} (forward Euler on u "
                         f"overshoots), got a={float(values['a'][j])!r} 1/ms with dt={dt!r} "
                         f"ms at neuron {j}")
    if synapse != "delta":
        _check_taus(name, values, dt, ("tau_e", "tau_i"))


def _check_taus(name, values, dt, taus):
    for tau in taus:
        if (values[tau] < dt).any():
            j = int(np.flatnonzero(values[tau] < dt)[0])
            raise ValueError(f"dt must not exceed the shortest time constant of population "
                             f"{name!r} ({tau} = {float(values[tau][j])!r} ms at neuron {j}), "
                             f"got dt={dt!r} ms")


def fields_of(params):
    """The per-neuron fields of a LIF, AdEx or Izhikevich parameter object."""
    from .params import NEURON_FIELDS
    return getattr(params, "FIELDS", NEURON_FIELDS)
