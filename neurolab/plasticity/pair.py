"""Pair-based STDP: pairing schemes, same-step pairs and weight dependence.

Rules
-----
For a pre/post spike pair with ``Δt = t_post - t_pre`` (``t_pre`` is the *arrival* time at
the synapse: delays are axonal, Brian2's meaning) the weight changes by

    Δt >= 0:  Δw = +f_plus(w)  * A_plus  * exp(-Δt / tau_plus)     (potentiation)
    Δt <  0:  Δw = -f_minus(w) * A_minus * exp( Δt / tau_minus)    (depression)

(Bi & Poo 1998; Song, Miller & Abbott 2000), applied at the later spike of the pair and
clipped to ``[w_min, w_max]`` after each update. Which pairs count is the *pairing scheme*
(Morrison, Diesmann & Gerstner 2008, Biol Cybern 98:459, Fig. 7; NEST's ``stdp_synapse`` and
``stdp_nn_*_synapse`` models):

- ``"all_to_all"``: every pair (NEST ``stdp_synapse``).
- ``"nearest_symmetric"`` (old name ``"nearest"``): each postsynaptic spike pairs with the
  nearest presynaptic spike before it (potentiation) and each presynaptic spike with the
  nearest postsynaptic spike before it (depression) (NEST ``stdp_nn_symm_synapse``).
- ``"presynaptic_centred"``: each presynaptic spike pairs with the nearest postsynaptic spike
  before it (depression) and the nearest one after it (potentiation); a postsynaptic spike
  therefore potentiates with every presynaptic spike since the previous postsynaptic spike
  (Izhikevich & Desai 2003; Burkitt et al. 2004 model II; NEST
  ``stdp_nn_pre_centered_synapse``).
- ``"restricted"``: nearest-symmetric, but a pair counts only when each spike is the other's
  nearest partner: a spike takes part in at most one potentiation and one depression pair
  (Burkitt et al. 2004 model IV; NEST ``stdp_nn_restr_synapse``; the rule of Masquelier,
  Guyonneau & Thorpe 2008).

A pre and a post spike in the *same step* (``Δt = 0``) are ordered by ``same_step``:
``"potentiate"`` (the presynaptic spike counts as first: a potentiation pair, Brian2's order
of pathways; the default), ``"depress"`` (the postsynaptic spike counts as first: a
depression pair), ``"both"`` (the pair counts once each way) or ``"neither"`` (the two are
not partners: each pairs with its next nearest one instead, what NEST's nearest-neighbour
models do with exactly coinciding spikes).

Weight dependence ``f_plus``, ``f_minus``:

- :class:`STDPParams`: additive (``mu = 0``: f = 1; Song et al. 2000) or Gütig's soft bounds
  ``f_plus = ((w_max - w)/(w_max - w_min))**mu_plus``,
  ``f_minus = ((w - w_min)/(w_max - w_min))**mu_minus`` (Gütig, Aharonov, Rotter &
  Sompolinsky 2003; ``mu = 1`` is the multiplicative rule of Rubin, Lee & Sompolinsky
  2001; ``mu_plus = 0, mu_minus = 1`` that of van Rossum, Bi & Turrigiano 2000).
- :class:`PowerLawSTDP`: ``Δw+ = lambda w0**(1 - mu) w**mu x_pre``,
  ``Δw- = -lambda alpha w x_post`` (Morrison, Aertsen & Diesmann 2007, Neural Comput
  19:1437; NEST ``stdp_pl_synapse_hom``, which has ``w0 = 1``).

Implementation: traces per presynaptic neuron and pathway (``x_pre``, decays with
``tau_plus``) and per postsynaptic neuron (``x_post``, ``tau_minus``), event-driven
(decayed when read). All-to-all traces add their amplitude at a spike; nearest-neighbour
traces are reset to it. The presynaptic-centred scheme keeps one presynaptic trace per
synapse, reset to 0 by a postsynaptic spike (its only per-synapse state). The restricted
scheme compares each trace's time with the partner's previous spike. The same-step orders
are orders of the kernel's phases: postsynaptic work that counts as earlier than the
presynaptic pathway runs before it.

Room: ``neurolab.plasticity``. May import: numpy, numba and ``neurolab.base``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

from collections import namedtuple

import numpy as np
from numba import njit

from ..base import validate as V
from ..base.jit import CALLEE
from ..base.layout import (A_MINUS, A_PLUS, C_MINUS, C_PLUS, MU_MINUS, MU_PLUS, N_PW_F, PAIR_ALL,
                           PAIR_NEAREST, PAIR_PRE_CENTRED, PAIR_RESTRICTED, RULE_PAIR, SAME_BOTH,
                           SAME_DEPRESS, SAME_NEITHER, SAME_POTENTIATE, TARGET_E, TARGET_V,
                           TARGET_V_INH, W_MAX, W_MIN, WD_ADDITIVE, WD_POWER, WD_SOFT)

#: The pairing schemes ``STDPParams(pairing=...)`` accepts.
PAIRINGS = ("all_to_all", "nearest_symmetric", "presynaptic_centred", "restricted")
PAIRING_ALIASES = {"nearest": "nearest_symmetric"}
#: What a pre and a post spike in the same step do: ``STDPParams(same_step=...)``.
SAME_STEPS = ("potentiate", "depress", "both", "neither")
PAIRING_CODES = {"all_to_all": PAIR_ALL, "nearest_symmetric": PAIR_NEAREST,
                 "presynaptic_centred": PAIR_PRE_CENTRED, "restricted": PAIR_RESTRICTED}
SAME_STEP_CODES = {"potentiate": SAME_POTENTIATE, "depress": SAME_DEPRESS,
                   "both": SAME_BOTH, "neither": SAME_NEITHER}


class PlasticityRule:
    """Base of the rule dataclasses: what the table builder asks of a rule.

    ``family``: the kernel's rule family; ``kernel_row(dt)``: the rule's parameters as the
    kernel reads them (``pw_f[p]``); ``kernel_codes()``: its integer codes (``pw_i``
    columns); ``synapse_state``: floats of per-synapse state (0 for most rules);
    ``layout()``: what must stay the same for :meth:`Projection.set_stdp` to swap a rule
    between runs (the state the kernel keeps for it).
    """

    family = RULE_PAIR
    synapse_state = 0
    reference = ""
    #: fields whose default ``None`` is derived from other fields in ``__post_init__``
    #: (``RewardSTDP.d_jump = 1/tau_d``, ``STDPParams.mu_minus = mu``): :meth:`replace`
    #: derives them again unless they were given
    _derived = ()

    def kernel_row(self, dt) -> list:
        raise NotImplementedError

    def kernel_codes(self) -> dict:
        return {}

    def check_dt(self, dt):
        """Refuse a step longer than the rule's shortest time constant."""
        taus = self.time_constants()
        name = min(taus, key=taus.get)
        if dt > taus[name]:
            raise ValueError(f"dt must be <= {name} ({taus[name]!r} ms), got dt={dt!r} ms")

    def time_constants(self) -> dict:
        return {"tau_plus": self.tau_plus, "tau_minus": self.tau_minus}

    def layout(self):
        return (type(self).family, self.synapse_state, self.kernel_codes().get("pairing"))

    @property
    def state_bytes_per_synapse(self) -> int:
        """Memory of the rule's per-synapse state (checked before a run allocates it)."""
        return 8 * self.synapse_state

    def _check_bounds(self):
        """``w_min`` and ``w_max`` as finite floats with ``w_min < w_max`` (``__post_init__``
        of the rules with hard bounds)."""
        for name in ("w_min", "w_max"):
            object.__setattr__(self, name, V.real(name, getattr(self, name)))
        if self.w_max <= self.w_min:
            raise ValueError(f"w_max must be > w_min ({self.w_min!r}), got w_max={self.w_max!r}")

    def _note_given(self):
        """Remember which derived fields (``_derived``) were given a value (not ``None``);
        called by ``__post_init__`` before it fills in the derived ones."""
        object.__setattr__(self, "_given", frozenset(
            name for name in self._derived if getattr(self, name) is not None))

    def replace(self, **changes):
        """A copy with some fields changed (validated like the constructor: ``TypeError``
        / ``ValueError`` naming the parameter).

        A field whose default is derived from others (``RewardSTDP.d_jump = 1/tau_d``,
        ``STDPParams.mu_minus = mu``) is derived again from the new values unless a value
        was given for it, to the constructor, to an earlier ``replace`` or in
        ``changes``; such a value stays. ``d_jump=None`` (``mu_minus=None``) in
        ``changes`` makes it derived again. (``dataclasses.replace`` does not know this
        and copies the derived value: use this method.)"""
        given = getattr(self, "_given", frozenset())
        for name in self._derived:
            if name not in changes and name not in given:
                changes[name] = None
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["rule"] = type(self).__name__
        return out


def _pairing(value):
    if isinstance(value, str) and value in PAIRING_ALIASES:
        return PAIRING_ALIASES[value]
    return V.choice("pairing", value, PAIRINGS)


def _pair_common(rule):
    object.__setattr__(rule, "pairing", _pairing(rule.pairing))
    V.choice("same_step", rule.same_step, SAME_STEPS)
    for name in ("tau_plus", "tau_minus"):
        object.__setattr__(rule, name, V.positive(name, getattr(rule, name), "ms"))


@dataclass(frozen=True)
class STDPParams(PlasticityRule):
    """Pair-based STDP with additive or Gütig soft-bound weight dependence.

    Equations and pairing schemes: see :mod:`neurolab.plasticity.pair`. Per pair
    ``Δt = t_post - t_pre`` (ms, ``t_pre`` the arrival time: delays are axonal):
    ``+A_plus exp(-Δt/tau_plus) f_plus(w)`` for ``Δt > 0``, ``-A_minus exp(Δt/tau_minus)
    f_minus(w)`` for ``Δt < 0``; ``Δt = 0`` (the same step) as ``same_step`` says (default:
    potentiation); ``w`` clipped to ``[w_min, w_max]`` after each update.
    Implemented with traces: on a presynaptic arrival ``x_pre += A_plus`` (nearest schemes:
    ``= A_plus``), then ``w -= x_post f_minus(w)``; on a postsynaptic spike
    ``x_post += A_minus`` (``= A_minus``), then ``w += x_pre f_plus(w)``.

    Parameters
    ----------
    A_plus, A_minus : potentiation / depression amplitudes (units of ``w``), >= 0.
    tau_plus, tau_minus : window time constants (ms), > 0.
    w_min, w_max : hard bounds on the weight, ``w_min < w_max``; weights are magnitudes
        (the projection's ``receptor`` gives the sign of their effect), so a plastic
        projection needs ``w_min >= 0`` (:meth:`Network.connect` refuses ``w_min < 0``).
        Units of ``w``: mV (delta, current synapses) or dimensionless (conductance).
    pairing : ``"all_to_all"`` (default), ``"nearest_symmetric"`` (``"nearest"`` is
        accepted as its old name), ``"presynaptic_centred"`` or ``"restricted"``
        (Morrison et al. 2008, Fig. 7; definitions in :mod:`neurolab.plasticity.pair`).
    same_step : what a pre and a post spike in the same step do: ``"potentiate"``
        (default, Brian2's order), ``"depress"``, ``"both"`` or ``"neither"``.
    mu : weight dependence (Gütig et al. 2003): ``f_plus(w) = ((w_max - w)/(w_max -
        w_min))**mu``, ``f_minus(w) = ((w - w_min)/(w_max - w_min))**mu_minus``; ``mu = 0``
        is additive (Song et al. 2000), ``mu = 1`` multiplicative on both sides (Rubin,
        Lee & Sompolinsky 2001). 0 <= mu <= 1.
    mu_minus : exponent of the depression factor; ``None`` (default) means ``mu``
        (also after :meth:`replace` changes ``mu``, unless ``mu_minus`` was given).
        ``mu=0, mu_minus=1`` is the rule of van Rossum, Bi & Turrigiano (2000).

    Raises ``TypeError`` / ``ValueError`` naming the parameter, its value and what is
    allowed.
    """

    A_plus: float = 0.01
    A_minus: float = 0.0105
    tau_plus: float = 20.0
    tau_minus: float = 20.0
    w_min: float = 0.0
    w_max: float = 1.0
    pairing: str = "all_to_all"
    mu: float = 0.0
    mu_minus: float | None = None
    same_step: str = "potentiate"

    reference = ("Bi & Poo 1998; Song, Miller & Abbott 2000; Gütig et al. 2003; "
                 "pairing schemes: Morrison, Diesmann & Gerstner 2008")
    _derived = ("mu_minus",)

    def __post_init__(self):
        self._note_given()
        for name in ("A_plus", "A_minus"):
            object.__setattr__(self, name, V.non_negative(name, getattr(self, name)))
        _pair_common(self)
        self._check_bounds()
        for name in ("mu", "mu_minus"):
            if name == "mu_minus" and self.mu_minus is None:
                object.__setattr__(self, "mu_minus", self.mu)
                continue
            value = V.real(name, getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
            object.__setattr__(self, name, value)

    def window(self, dt):
        """Analytic weight change (units of w) for one isolated pair at ``dt = t_post -
        t_pre`` (ms), additive rule (``mu = 0``; any pairing scheme: one pair is nearest
        in all of them); ``dt`` may be an array. ``dt = 0`` follows ``same_step``."""
        import numpy as np

        dt = np.asarray(dt, dtype=np.float64)
        ltp = self.A_plus * np.exp(-np.abs(dt) / self.tau_plus)
        ltd = -self.A_minus * np.exp(-np.abs(dt) / self.tau_minus)
        zero = {"potentiate": self.A_plus, "depress": -self.A_minus,
                "both": self.A_plus - self.A_minus, "neither": 0.0}[self.same_step]
        return np.where(dt > 0, ltp, np.where(dt < 0, ltd, zero))

    def kernel_row(self, dt):
        row = [0.0] * N_PW_F
        row[A_PLUS], row[A_MINUS] = self.A_plus, self.A_minus
        row[C_PLUS], row[C_MINUS] = dt / self.tau_plus, dt / self.tau_minus
        row[W_MIN], row[W_MAX] = self.w_min, self.w_max
        row[MU_PLUS], row[MU_MINUS] = self.mu, self.mu_minus
        return row

    def kernel_codes(self):
        additive = self.mu == 0.0 and self.mu_minus == 0.0
        return {"pairing": PAIRING_CODES[self.pairing],
                "same_step": SAME_STEP_CODES[self.same_step],
                "wdep": WD_ADDITIVE if additive else WD_SOFT}

    @property
    def synapse_state(self):
        return 1 if self.pairing == "presynaptic_centred" else 0


@dataclass(frozen=True)
class PowerLawSTDP(PlasticityRule):
    """Power-law STDP of Morrison, Aertsen & Diesmann (2007, Neural Comput 19:1437),
    NEST's ``stdp_pl_synapse_hom``.

    Per pair ``Δt = t_post - t_pre`` (ms; arrival time, axonal delays):
    ``Δw = +lambda_ w0**(1 - mu) w**mu exp(-Δt/tau_plus)`` for ``Δt >= 0`` and
    ``Δw = -lambda_ alpha w exp(Δt/tau_minus)`` for ``Δt < 0``; potentiation grows
    sublinearly with ``w``, depression is multiplicative, so weights settle in a unimodal
    distribution without an upper bound. Traces add 1 per spike (all-to-all by default);
    ``w`` is clipped to ``[w_min, w_max]`` after each update.

    Parameters
    ----------
    lambda_ : learning rate (dimensionless), >= 0 (NEST: ``lambda``; paper: λ).
    alpha : asymmetry of depression to potentiation, >= 0.
    mu : exponent of the weight dependence of potentiation, in [0, 1] (paper: 0.4).
    w0 : reference weight (units of ``w``), > 0; NEST has ``w0 = 1`` (in pA).
    tau_plus, tau_minus : window time constants (ms), > 0 (paper: 20 ms both).
    w_min : lower bound, >= 0 (default 0). w_max : upper bound, > w_min, a real number
        (numpy scalars included) or ``inf`` (default).
    pairing, same_step : as for :class:`STDPParams` (NEST's model is all-to-all).
    """

    lambda_: float = 0.1
    alpha: float = 0.0945
    mu: float = 0.4
    w0: float = 1.0
    tau_plus: float = 20.0
    tau_minus: float = 20.0
    w_min: float = 0.0
    w_max: float = math.inf
    pairing: str = "all_to_all"
    same_step: str = "potentiate"

    reference = "Morrison, Aertsen & Diesmann 2007 (NEST stdp_pl_synapse_hom)"

    def __post_init__(self):
        for name in ("lambda_", "alpha"):
            object.__setattr__(self, name, V.non_negative(name, getattr(self, name)))
        mu = V.real("mu", self.mu)
        if not 0.0 <= mu <= 1.0:
            raise ValueError(f"mu must lie in [0, 1], got {mu!r}")
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "w0", V.positive("w0", self.w0))
        _pair_common(self)
        w_min = V.non_negative("w_min", self.w_min)
        object.__setattr__(self, "w_min", w_min)
        w_max = self.w_max                    # numpy scalars too (np.float32(2.0), ...)
        if isinstance(w_max, (bool, np.bool_)) or not isinstance(w_max, numbers.Real):
            raise TypeError(f"w_max must be a real number or inf, got {V._show(w_max)}")
        if math.isnan(float(w_max)) or float(w_max) <= w_min:
            raise ValueError(f"w_max must be > w_min ({w_min!r}), got w_max={V._show(w_max)}")
        object.__setattr__(self, "w_max", float(w_max))

    def kernel_row(self, dt):
        row = [0.0] * N_PW_F
        row[A_PLUS] = self.lambda_ * self.w0 ** (1.0 - self.mu)
        row[A_MINUS] = self.lambda_ * self.alpha
        row[C_PLUS], row[C_MINUS] = dt / self.tau_plus, dt / self.tau_minus
        row[W_MIN], row[W_MAX] = self.w_min, self.w_max
        row[MU_PLUS], row[MU_MINUS] = self.mu, 1.0
        return row

    def kernel_codes(self):
        return {"pairing": PAIRING_CODES[self.pairing],
                "same_step": SAME_STEP_CODES[self.same_step], "wdep": WD_POWER}

    @property
    def synapse_state(self):
        return 1 if self.pairing == "presynaptic_centred" else 0


# ------------------------------------------------------------------ kernel functions
# the state of the pair rule's variants (kernel argument ``pv``, None when no pathway uses
# one): the previous postsynaptic spike step per postsynaptic trace (restricted scheme)
# and one presynaptic trace per synapse (presynaptic-centred scheme)
PairVariants = namedtuple("PairVariants", ["xpost_prev", "xsyn"])


def uses_variants(rule) -> bool:
    """Whether a pair rule needs the variant code (anything but all-to-all or nearest
    symmetric pairing, additive or soft-bound weights and same-step potentiation)."""
    codes = rule.kernel_codes()
    return (codes["pairing"] in (PAIR_PRE_CENTRED, PAIR_RESTRICTED)
            or codes["same_step"] != SAME_POTENTIATE or codes["wdep"] == WD_POWER)


@njit(**CALLEE)
def trace_now(x, x_t, n, c, table, p):
    """Trace value at step n, last set at step x_t, decaying by exp(-c) per step; the factor
    comes from row p of ``table`` (same values as math.exp) when the lag is short."""
    if x_t == n or x == 0.0:
        return x
    d = n - x_t
    if d < table.shape[1]:
        return x * table[p, d]
    return x * math.exp(-d * c)


@njit(**CALLEE)
def trace_spike(x, x_t, k, n, c, table, p, amplitude, reset):
    """Trace k after its neuron's spike at step n, in place: add ``amplitude`` to the
    decayed trace (all-to-all), or set it to ``amplitude`` (``reset``: nearest neighbour)."""
    if reset:
        x[k] = amplitude
    else:
        x[k] = trace_now(x[k], x_t[k], n, c, table, p) + amplitude
    x_t[k] = n


@njit(**CALLEE)
def post_parts(same, early):
    """Which parts of a postsynaptic spike's work run in the phase before the step's
    presynaptic pathways (``early``) or after them, for a same-step order ``same``:
    ``(update the postsynaptic traces, potentiate)``. potentiate: both after; depress:
    both before; both: traces before, potentiation after; neither: potentiation before,
    traces after."""
    if early:
        return (same == SAME_DEPRESS or same == SAME_BOTH,
                same == SAME_DEPRESS or same == SAME_NEITHER)
    return (same == SAME_POTENTIATE or same == SAME_NEITHER,
            same == SAME_POTENTIATE or same == SAME_BOTH)


@njit(**CALLEE)
def deliver(j, w, target, v, ge, gi, accept):
    """Add weight ``w`` to neuron j's target variable: v up (delta, excitatory; not while
    ``accept[j]`` is False: refractory or spiking now) or down (delta, inhibitory), or the
    excitatory / inhibitory current or conductance."""
    if target == TARGET_V:
        if accept[j]:
            v[j] += w
    elif target == TARGET_V_INH:
        if accept[j]:
            v[j] -= w
    elif target == TARGET_E:
        ge[j] += w
    else:
        gi[j] += w


@njit(**CALLEE)
def _clip(w, w_min, w_max):
    if w > w_max:
        return w_max
    if w < w_min:
        return w_min
    return w


@njit(**CALLEE)
def potentiate(w, x, w_min, w_max, mu, wdep, pv):
    """``w + x f_plus(w)`` clipped: additive, soft bound ``((w_max-w)/range)**mu``
    (Guetig et al. 2003) or power law ``w**mu`` (Morrison et al. 2007; only compiled
    with the variants, ``pv`` not None). ``wdep`` is the same for a whole pathway (the
    compiler hoists the branch out of the synapse loop)."""
    if wdep == WD_SOFT:
        if mu != 0.0:
            f = (w_max - w) / (w_max - w_min)
            x = x * f ** mu if f > 0.0 else 0.0
    elif pv is not None:
        if wdep == WD_POWER:
            x = x * w ** mu
    return _clip(w + x, w_min, w_max)


@njit(**CALLEE)
def depress(w, x, w_min, w_max, mu, wdep, pv):
    """``w - x f_minus(w)`` clipped: additive, soft bound ``((w-w_min)/range)**mu`` or
    multiplicative ``w`` (power-law rule, only compiled with the variants)."""
    if wdep == WD_SOFT:
        if mu != 0.0:
            f = (w - w_min) / (w_max - w_min)
            x = x * f ** mu if f > 0.0 else 0.0
    elif pv is not None:
        if wdep == WD_POWER:
            x = x * w
    return _clip(w - x, w_min, w_max)


@njit(**CALLEE)
def pre_pathway(n, p, r, s0, s1, target, post_lo, xs, xq, pairing, same, wdep, learn, xsb,
                pw_f, syn_post, syn_w, xpre, xpre_t, xpost, xpost_t, tab_plus, tab_minus, v,
                ge, gi, accept, pv):
    """Presynaptic pathway p of a pair-rule projection for the arrival of presynaptic
    (local) neuron r at step n: the presynaptic trace, then for each synapse s0 .. s1-1:
    deliver ``w`` to its target and depress ``w`` by the postsynaptic trace (nearest
    partner only, or not at all, as the pairing scheme says; not while learning is
    frozen). The traces of pathway p start at ``xs`` (pre) and ``xq`` (post).

    ``pv`` (:class:`PairVariants` or None): the state of the presynaptic-centred and
    restricted schemes, the power law and the same-step orders; a network that uses none
    of them passes None and its kernel does not contain their code. The per-synapse
    traces of the presynaptic-centred scheme are ``pv.xsyn[xsb + s]``."""
    k = xs + r
    prev = xpre_t[k]                       # the previous arrival
    c_plus = pw_f[p, C_PLUS]
    a_plus = pw_f[p, A_PLUS]
    c_minus = pw_f[p, C_MINUS]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    mu = pw_f[p, MU_MINUS]
    off = xq - post_lo
    if pv is not None:
        if pairing == PAIR_PRE_CENTRED or pairing == PAIR_RESTRICTED:
            _pre_variant(n, p, k, prev, s0, s1, target, off, pairing, same, wdep, learn, xsb,
                         c_plus, a_plus, c_minus, w_min, w_max, mu, syn_post, syn_w, xpre, xpre_t,
                         xpost, xpost_t, tab_plus, tab_minus, v, ge, gi, accept, pv)
            return
    trace_spike(xpre, xpre_t, k, n, c_plus, tab_plus, p, a_plus, pairing != PAIR_ALL)
    deliver_depress(n, p, s0, s1, target, off, learn, c_minus, w_min, w_max, mu, wdep,
                    syn_post, syn_w, xpost, xpost_t, tab_minus, v, ge, gi, accept, pv, True,
                    0, 0)


@njit(**CALLEE)
def deliver_depress(n, p, s0, s1, target, off, learn, c_minus, w_min, w_max, mu, wdep,
                    syn_post, syn_w, xpost, xpost_t, tab_minus, v, ge, gi, accept, pv, every,
                    lo_t, hi_t):
    """The synapse loop of :func:`pre_pathway` (all-to-all and nearest pairing): for each
    synapse s0 .. s1-1, deliver ``w`` to its target, then (``learn``) depress ``w`` by the
    postsynaptic trace ``xpost[off + target]``. ``every`` False: only the targets in
    ``[lo_t, hi_t)`` (a partition of the threaded kernel, :mod:`neurolab.engine.parallel`); the
    one-thread kernel passes the constant True.

    The delivery is written out here, not a call of :func:`deliver`: that call per synapse
    makes the plastic pathway twice as slow (CUBA benchmark B2: 1.0 -> 2.3 s, measured
    again 2026-11-30)."""
    for s in range(s0, s1):
        j = syn_post[s]
        if not every and (j < lo_t or j >= hi_t):
            continue
        w = syn_w[s]
        if target == TARGET_V:
            if accept[j]:
                v[j] += w
        elif target == TARGET_V_INH:
            if accept[j]:
                v[j] -= w
        elif target == TARGET_E:
            ge[j] += w
        else:
            gi[j] += w
        if learn:
            c = off + j
            syn_w[s] = depress(w, trace_now(xpost[c], xpost_t[c], n, c_minus, tab_minus, p),
                               w_min, w_max, mu, wdep, pv)


@njit(**CALLEE)
def _pre_variant(n, p, k, prev, s0, s1, target, off, pairing, same, wdep, learn, xsb, c_plus,
                 a_plus, c_minus, w_min, w_max, mu, syn_post, syn_w, xpre, xpre_t, xpost,
                 xpost_t, tab_plus, tab_minus, v, ge, gi, accept, pv):
    """The presynaptic pathway of the presynaptic-centred and restricted schemes (see
    :func:`pre_pathway`); compiled once, apart from the hot loop."""
    xsyn = pv.xsyn
    centred = pairing == PAIR_PRE_CENTRED
    if centred:
        # one trace per synapse, decayed from the previous arrival (0 until the first)
        d = n - prev
        dec = tab_plus[p, d] if d < tab_plus.shape[1] else math.exp(-d * c_plus)
    else:
        dec = 0.0
        xpre[k] = a_plus                   # restricted: a nearest-neighbour trace
    xpre_t[k] = n
    # restricted: the last postsynaptic spike pairs only if it came after the previous
    # arrival (one in the same step counts as after it unless post spikes count as first)
    tie = same == SAME_POTENTIATE or same == SAME_NEITHER
    for s in range(s0, s1):
        j = syn_post[s]
        w = syn_w[s]
        deliver(j, w, target, v, ge, gi, accept)
        if centred:
            xsyn[xsb + s] = xsyn[xsb + s] * dec + a_plus
        if learn:
            c = off + j
            if not centred:
                tq = xpost_t[c]
                if tq < prev or (tq == prev and not tie):
                    continue
            syn_w[s] = depress(w, trace_now(xpost[c], xpost_t[c], n, c_minus, tab_minus, p),
                               w_min, w_max, mu, wdep, pv)


@njit(**CALLEE)
def post_pathway(n, p, c, t0, t1, pre_lo, xs, xq, pairing, same, wdep, learn, do_inc,
                 do_pot, xsb, pw_f, col_syn, col_pre, syn_w, xpre, xpre_t, xpost, xpost_t,
                 tab_plus, tab_minus, pv):
    """Postsynaptic pathway p of a pair-rule projection for the spike of postsynaptic
    (local) neuron c at step n, in one or two parts (``same`` decides which part runs
    before the presynaptic pathways of the step): ``do_inc`` updates the postsynaptic
    trace, ``do_pot`` potentiates every synapse onto c by its presynaptic trace (nearest
    partners as the pairing scheme says; not while learning is frozen). ``pv``: as for
    :func:`pre_pathway`; ``pv.xpost_prev[k]`` is the step of the postsynaptic spike before
    the latest one."""
    k = xq + c
    if do_inc:
        if pv is not None:
            pv.xpost_prev[k] = xpost_t[k]
        trace_spike(xpost, xpost_t, k, n, pw_f[p, C_MINUS], tab_minus, p, pw_f[p, A_MINUS],
                    pairing != PAIR_ALL)
    if not do_pot:
        return
    c_plus = pw_f[p, C_PLUS]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    mu = pw_f[p, MU_PLUS]
    off = xs - pre_lo
    if pv is not None:
        if pairing == PAIR_PRE_CENTRED or pairing == PAIR_RESTRICTED:
            _post_variant(n, p, k, t0, t1, off, pairing, same, wdep, learn, xsb, c_plus,
                          w_min, w_max, mu, col_syn, col_pre, syn_w, xpre, xpre_t, xpost_t,
                          tab_plus, pv)
            return
    for t in range(t0, t1 if learn else t0):
        s = col_syn[t]
        r = off + col_pre[t]
        syn_w[s] = potentiate(syn_w[s], trace_now(xpre[r], xpre_t[r], n, c_plus, tab_plus, p),
                              w_min, w_max, mu, wdep, pv)


@njit(**CALLEE)
def _post_variant(n, p, k, t0, t1, off, pairing, same, wdep, learn, xsb, c_plus, w_min, w_max,
                  mu, col_syn, col_pre, syn_w, xpre, xpre_t, xpost_t, tab_plus, pv):
    """Potentiation of the presynaptic-centred and restricted schemes (see
    :func:`post_pathway`)."""
    xsyn = pv.xsyn
    if pairing == PAIR_PRE_CENTRED:
        # every arrival since the previous postsynaptic spike, then the traces restart
        for t in range(t0, t1):
            s = col_syn[t]
            r = off + col_pre[t]
            x = trace_now(xsyn[xsb + s], xpre_t[r], n, c_plus, tab_plus, p)
            xsyn[xsb + s] = 0.0
            if learn:
                syn_w[s] = potentiate(syn_w[s], x, w_min, w_max, mu, wdep, pv)
        return
    # restricted: the latest arrival pairs only if it came after the previous postsynaptic
    # spike (the step before this one's)
    prev = pv.xpost_prev[k] if xpost_t[k] == n else xpost_t[k]
    tie = same == SAME_DEPRESS or same == SAME_NEITHER
    for t in range(t0, t1 if learn else t0):
        s = col_syn[t]
        r = off + col_pre[t]
        tp = xpre_t[r]
        if tp < prev or (tp == prev and not tie):
            continue
        syn_w[s] = potentiate(syn_w[s], trace_now(xpre[r], xpre_t[r], n, c_plus, tab_plus, p),
                              w_min, w_max, mu, wdep, pv)
