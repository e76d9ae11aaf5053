"""Homeostasis for competitive learning (Diehl & Cook 2015, Front Comput Neurosci 9:99):
an adaptive threshold on LIF neurons and the normalisation of each neuron's summed
incoming weights.

Adaptive threshold (:class:`AdaptiveThreshold`, per LIF population)
--------------------------------------------------------------------
Each neuron has a threshold offset ``theta`` (mV):

    tau_theta dtheta/dt = -theta,      theta -> theta + theta_plus at each spike,
    the neuron spikes when v > v_th + theta (and it is not refractory).

Step n (the kernel's schedule; see the README, "Simulation semantics"):

1. state update: ``v`` as without homeostasis, and ``theta <- theta exp(-dt/tau_theta)``
   (the exact exponential, once per step, also while the neuron is refractory: the
   refractory period freezes ``v`` only);
2. threshold test against ``v_th + theta`` (``theta`` decayed in 1.), then the reset of
   ``v``, then ``theta <- theta + theta_plus`` for every neuron that spiked;
3. synaptic pathways (nothing in them reads ``theta``).

So ``theta`` sampled at the start of step n (``t = n dt``, where monitors sample) after
spikes at steps ``s_k < n`` (times ``t_k = s_k dt``) and from ``theta_0`` at step 0 is

    theta(t) = theta_0 exp(-t/tau_theta)
               + sum_k theta_plus exp(-(t - t_k - dt)/tau_theta):

a spike's jump happens at the end of its step and decays from the next state update on
(what Brian2 gives with ``threshold='v > v_th + theta'``, ``reset='...; theta +=
theta_plus'`` and ``dtheta/dt = -theta/tau_theta``). ``frozen=True``: ``theta`` neither
decays nor jumps (Diehl & Cook's test phase); the threshold stays ``v_th + theta``.

Diehl & Cook use ``theta_plus = 0.05 mV``, ``tau_theta = 1e7 ms`` and a threshold
``v > v_th - 20 mV + theta`` (fold the offset into ``v_th``). ``theta`` is read and set
between runs through ``Population.theta``, recorded with ``state_vars=("v", "theta")``.

Weight normalisation (:class:`Normalization`, per plastic projection)
---------------------------------------------------------------------
At the start of every step n with ``n % round(every/dt) == 0`` (network time, n = 0
included; before the monitors of that step, so a weight sample taken then shows the
normalised weights) each postsynaptic neuron j's incoming weights of the projection,
over all its pathways (one per axonal delay), are scaled

    w <- clip(w * (target / sum_j w), w_min, w_max),

with the bounds of the projection's plasticity rule. Without clipping the weights onto
j then sum to ``target`` (to rounding); clipped weights make the sum smaller (no
redistribution). A neuron whose incoming weights sum to 0 (or that has none) is left
alone; so is one whose sum is below the smallest normal float64 in magnitude
(``2.2e-308``, denormal sums such as ``1e-320`` included), or not finite, or so small
that ``target / sum`` overflows: its weights stay as they are (scaling them would give
``inf`` and ``0 * inf = NaN``). A projection whose ``learning`` is off is not normalised (its weights are frozen).
A run of N steps ending at a normalisation step leaves that normalisation to the next
run (it belongs to the start of step N). Diehl & Cook: ``target = 78`` for 784 inputs,
normalised before each example.

Room: ``neurolab.plasticity``. May import: numpy, numba and ``neurolab.base``.
"""

from __future__ import annotations

import dataclasses
import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..base import validate as V
from ..base.jit import CALLEE
from ..base.layout import COL_OFF, LEARN, POST_HI, POST_LO

# the kernel's state: theta (global ids), th_i/th_f per LIF population (lif_i row),
# nm_i/nm_f per normalised projection, nm_pw its pathways (nm_pw[lo:hi])
Homeostasis = namedtuple("Homeostasis", ["theta", "th_i", "th_f", "nm_i", "nm_f", "nm_pw"])
TH_ON, TH_FROZEN = 0, 1          # th_i columns
TH_DECAY, TH_PLUS = 0, 1         # th_f columns
NM_EVERY, NM_LO, NM_HI = 0, 1, 2  # nm_i columns
NM_TARGET, NM_WMIN, NM_WMAX = 0, 1, 2  # nm_f columns
# sums outside [NM_TINY, NM_HUGE] in magnitude, and factors target / sum above NM_HUGE,
# leave a neuron's weights alone (see the module docstring)
NM_TINY = float(np.finfo(np.float64).tiny)
NM_HUGE = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class AdaptiveThreshold:
    """Adaptive threshold of a LIF population (Diehl & Cook 2015): the neuron spikes when
    ``v > v_th + theta``; ``theta`` (mV) jumps by ``theta_plus`` at each spike and decays
    to 0 with ``tau_theta``. Equations and step order: :mod:`neurolab.plasticity.homeostasis`.

    Given to :meth:`Network.add_lif` (``threshold=``) or set as ``Population.threshold``
    (before or between runs; replacing one adaptive threshold by another keeps ``theta``,
    e.g. ``E.threshold = E.threshold.replace(frozen=True)`` for a test phase).

    Parameters
    ----------
    theta_plus : jump of ``theta`` at each spike (mV), >= 0 (Diehl & Cook: 0.05 mV).
    tau_theta : decay time constant of ``theta`` (ms), > 0 or ``math.inf`` (no decay)
        (Diehl & Cook: 1e7 ms).
    theta_init : ``theta`` of every neuron when the threshold is added (mV), a real
        number (per-neuron values: set ``Population.theta``).
    frozen : ``True`` keeps ``theta`` constant (no decay, no jumps).
    """

    theta_plus: float = 0.05
    tau_theta: float = 1e7
    theta_init: float = 0.0
    frozen: bool = False

    reference = "Diehl & Cook 2015 (adaptive threshold)"

    def __post_init__(self):
        object.__setattr__(self, "theta_plus", V.non_negative("theta_plus", self.theta_plus,
                                                              "mV"))
        tau = self.tau_theta
        if (isinstance(tau, (float, np.floating)) and tau == math.inf):
            tau = math.inf                    # np.float32(inf) too
        else:
            tau = V.positive("tau_theta", tau, "ms")
        object.__setattr__(self, "tau_theta", tau)
        object.__setattr__(self, "theta_init", V.real("theta_init", self.theta_init))
        if not isinstance(self.frozen, (bool, np.bool_)):
            raise TypeError(f"frozen must be True or False, got {V._show(self.frozen)}")
        object.__setattr__(self, "frozen", bool(self.frozen))

    def decay(self, dt) -> float:
        """The per-step factor ``exp(-dt/tau_theta)``."""
        return math.exp(-dt / self.tau_theta)

    def replace(self, **changes) -> "AdaptiveThreshold":
        """A copy with some fields changed (validated like the constructor)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["rule"] = type(self).__name__
        return out


@dataclass(frozen=True)
class Normalization:
    """Normalisation of each postsynaptic neuron's summed incoming weights of a plastic
    projection (Diehl & Cook 2015): every ``every`` ms, ``w <- clip(w target / sum, w_min,
    w_max)`` over the synapses onto each neuron. When in the step it happens, clipping,
    zero sums, delays: :mod:`neurolab.plasticity.homeostasis`.

    Given to :meth:`Network.connect` (``normalize=``) or set as ``Projection.normalize``
    (before or between runs; ``None`` switches it off).

    Parameters
    ----------
    target : the sum of each neuron's incoming weights (units of ``w``), > 0 (Diehl &
        Cook: 78 for 784 inputs, weights in [0, 1]).
    every : period (ms), a positive multiple of ``dt``; normalisation at network times
        0, every, 2 every, ...

    A neuron whose incoming weights sum to 0, to a denormal (below ``2.2e-308``, e.g.
    ``1e-320``) or to so little that ``target / sum`` overflows keeps its weights
    unchanged (never NaN or inf).
    """

    target: float = 1.0
    every: float = 100.0

    reference = "Diehl & Cook 2015 (weight normalisation)"

    def __post_init__(self):
        object.__setattr__(self, "target", V.positive("target", self.target))
        object.__setattr__(self, "every", V.positive("every", self.every, "ms"))

    def steps(self, dt) -> int:
        """``every`` in steps; ``ValueError`` unless a positive multiple of ``dt``."""
        steps = self.every / dt
        n = int(round(steps))
        if n < 1 or abs(steps - n) > 1e-6:
            raise ValueError(f"every must be a positive multiple of dt={dt!r} ms, got "
                             f"{self.every!r} ms")
        return n

    def replace(self, **changes) -> "Normalization":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["rule"] = type(self).__name__
        return out


# ---------------------------------------------------------------- checks (network.py)
def check_threshold(value):
    if value is not None and not isinstance(value, AdaptiveThreshold):
        raise TypeError(f"threshold must be None or an AdaptiveThreshold, got "
                        f"{type(value).__name__}")
    return value


def check_normalize(value, stdp, dt, name):
    if value is None:
        return None
    if not isinstance(value, Normalization):
        raise TypeError(f"normalize must be None or a Normalization, got "
                        f"{type(value).__name__}")
    if stdp is None:
        raise ValueError(f"normalize needs a plastic projection (stdp=...); {name!r} is "
                         f"static")
    value.steps(dt)
    return value


# ---------------------------------------------------------------- the kernel's state
def build_state(state, net, spec=None, old=None):
    """The kernel's :class:`Homeostasis` tuple for ``state`` (a RunState), or ``None``
    when no population has an adaptive threshold and no projection is normalised (the
    kernel then compiles none of this). ``spec``: ``{"thresholds": {pop: rule},
    "normalize": {proj: Normalization}}`` (default: the network's, kept as
    ``state.homeo_spec``); ``old``: the previous tuple, whose ``theta`` is kept for the
    populations that keep an adaptive threshold."""
    if spec is None:
        spec = {"thresholds": {n: p._threshold for n, p in net.populations.items()
                               if p.kind == "lif" and p._threshold is not None},
                "normalize": {n: p._normalize for n, p in net.projections.items()
                              if p._normalize is not None}}
    state.homeo_spec = spec
    thresholds, norms = spec["thresholds"], spec["normalize"]
    if not thresholds and not norms:
        return None
    dt = state.dt
    n_lif = state.nrn.lif_i.shape[0]
    theta = np.zeros(state.nrn.v.shape[0])
    th_i = np.zeros((max(n_lif, 1), 2), np.int64)
    th_f = np.zeros((max(n_lif, 1), 2))
    for name, rule in thresholds.items():
        pop = net.populations[name]
        q = state.lif_row[name]
        lo = state.offset[name]
        sl = slice(lo, lo + pop.n)
        had = old is not None and old.th_i[q, TH_ON] == 1
        theta[sl] = old.theta[sl] if had else pop._theta_init
        th_i[q] = (1, 1 if rule.frozen else 0)
        th_f[q] = (rule.decay(dt), rule.theta_plus)
    nm_i, nm_f, nm_pw = [], [], []
    for name, norm in norms.items():
        proj = net.projections[name]
        rows = state.pathways_of[name]
        nm_i.append((norm.steps(dt), len(nm_pw), len(nm_pw) + len(rows)))
        nm_f.append((norm.target, float(getattr(proj.stdp, "w_min", 0.0)),
                     float(getattr(proj.stdp, "w_max", math.inf))))
        nm_pw.extend(rows)
    return Homeostasis(theta=theta, th_i=th_i, th_f=th_f,
                       nm_i=np.array(nm_i, np.int64).reshape(-1, 3),
                       nm_f=np.array(nm_f, np.float64).reshape(-1, 3),
                       nm_pw=np.array(nm_pw, np.int64))


def refresh(state, net, *, threshold=None, normalize=None):
    """Rebuild the state after a change between runs (``threshold=(pop, rule)`` or
    ``normalize=(proj, Normalization | None)``; neither: the bounds of a changed rule),
    keeping ``theta``."""
    spec = {"thresholds": dict(state.homeo_spec["thresholds"]),
            "normalize": dict(state.homeo_spec["normalize"])}
    for key, change in (("thresholds", threshold), ("normalize", normalize)):
        if change is not None:
            obj, rule = change
            if rule is None:
                spec[key].pop(obj.name, None)
            else:
                spec[key][obj.name] = rule
    fam = state.families
    state.families = fam[:3] + (build_state(state, net, spec, fam[3]),)


def get_theta(state, pop):
    fam = state.families[3]
    lo = state.offset[pop.name]
    return fam.theta[lo:lo + pop.n].copy()


def set_theta(state, pop, values):
    lo = state.offset[pop.name]
    state.families[3].theta[lo:lo + pop.n] = values


# ---------------------------------------------------------------- kernel helpers
@njit(**CALLEE)
def decay_theta(a, b, theta, decay):
    """The state update of ``theta`` over one step, neurons ``a .. b-1``."""
    for j in range(a, b):
        theta[j] *= decay


@njit(**CALLEE)
def normalize(n, nm_i, nm_f, nm_pw, pw_i, col_ptr, col_syn, syn_w):
    """Weight normalisation at the start of step n: each normalised projection whose period
    divides n and which learns scales the weights onto each postsynaptic neuron (all its
    pathways) to sum to the target, then clips them to the rule's bounds. A neuron whose
    sum is 0, denormal or not finite, or whose factor overflows, keeps its weights."""
    for k in range(nm_i.shape[0]):
        if n % nm_i[k, NM_EVERY] != 0:
            continue
        lo = nm_i[k, NM_LO]
        hi = nm_i[k, NM_HI]
        p0 = nm_pw[lo]
        if pw_i[p0, LEARN] != 1:
            continue
        target = nm_f[k, NM_TARGET]
        w_min = nm_f[k, NM_WMIN]
        w_max = nm_f[k, NM_WMAX]
        for c in range(pw_i[p0, POST_HI] - pw_i[p0, POST_LO]):
            total = 0.0
            for m in range(lo, hi):
                base = pw_i[nm_pw[m], COL_OFF] + c
                for t in range(col_ptr[base], col_ptr[base + 1]):
                    total += syn_w[col_syn[t]]
            if not NM_TINY <= abs(total) <= NM_HUGE:     # 0, denormal, inf or NaN
                continue
            f = target / total
            if not abs(f) <= NM_HUGE:                   # the factor overflows
                continue
            for m in range(lo, hi):
                base = pw_i[nm_pw[m], COL_OFF] + c
                for t in range(col_ptr[base], col_ptr[base + 1]):
                    s = col_syn[t]
                    w = syn_w[s] * f
                    syn_w[s] = w_max if w > w_max else (w_min if w < w_min else w)


@njit(**CALLEE)
def record_theta(r, s_ids, s_theta, theta):
    """theta of the recorded neurons into row r of the state recording."""
    for k in range(s_ids.shape[0]):
        s_theta[r, k] = theta[s_ids[k]]
