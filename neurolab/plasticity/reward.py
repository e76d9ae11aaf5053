"""Reward-modulated STDP: an eligibility trace per synapse, turned into weight by dopamine.

Rule (Izhikevich 2007, Cereb Cortex 17:2443; NEST ``stdp_dopamine_synapse``, Potjans,
Morrison & Diesmann 2010)
----------------------------------------------------------------------------------------
Each synapse keeps an eligibility trace ``c`` (units of ``w``) that collects what pair STDP
would have done to the weight, and forgets it with ``tau_c``::

    dc/dt = -c / tau_c + sum over pairs of STDP(Δt) δ(t - t_later)
    dd/dt = -d / tau_d + d_jump * sum over reward spikes δ(t - t_reward)
    dw/dt =  c (d + d_tonic - b)

Pairs are all-to-all with ``Δt = t_post - t_pre`` (``t_pre`` the *arrival* at the synapse:
delays are axonal, Brian2's meaning, the whole presynaptic pathway runs at arrival):
``+A_plus exp(-Δt/tau_plus)`` for ``Δt > 0``, ``-A_minus exp(Δt/tau_minus)`` for
``Δt < 0``, added to ``c`` at the later spike of the pair (traces: at a presynaptic
arrival ``x_pre += A_plus`` then ``c -= x_post``; at a postsynaptic spike
``x_post += A_minus`` then ``c += x_pre``). A pre and a post spike in the same step are
ordered by ``same_step`` as in :class:`~neurolab.plasticity.pair.STDPParams`
(``"potentiate"``, Brian2's order, by default; NEST drops the pair: ``"neither"``).

``d`` is the dopamine signal (1/ms), ``b`` its baseline (1/ms): above the baseline
dopamine writes the eligibility into the weight, below it reverses it. ``d_tonic`` (1/ms,
default 0) is a constant tonic dopamine level added to ``d``: Izhikevich's own code
(daspnet.m) writes ``(0.002 + DA) * sd`` into the weights, so eligibility turns into weight
slowly even without reward. Only ``d_tonic - b`` matters: the rule runs with the
effective baseline ``b - d_tonic``, which may be negative (then the drive never changes
sign). Every spike of the
rule's ``reward`` population (any of its neurons; several in one step add up) raises ``d``
by ``d_jump`` at the step of the spike (no delay). The default ``d_jump = 1/tau_d`` is
NEST's (its ``n`` jumps by ``1/tau_n``): the time integral of ``d`` after one reward is 1,
so with ``b = 0`` one reward writes an eligibility ``c`` into the weight as
``c tau_c/(tau_c + tau_d)``, about ``c`` when ``tau_c >> tau_d``. A presynaptic arrival
delivers the weight of its time. Nothing jumps in ``w``, so a reward, an arrival and a
postsynaptic spike in one step give the same weights in any order.

Weights are held in ``[w_min, w_max]`` continuously: ``w`` is the exact solution of
``dw/dt = c (d - b)`` with hard bounds (a weight at a bound stays there while the drive
pushes outwards and leaves it when the drive turns). Between two events of a synapse (its
arrivals, its postsynaptic spikes, the reward spikes) ``c = c0 exp(-t/tau_c)`` and
``d = d0 exp(-t/tau_d)`` are single exponentials, so ``c (d - b)`` changes sign at most
once, at ``t* = tau_d ln(d0/b)``; with ``k = 1/tau_c + 1/tau_d`` the weight moves over
``[0, T]`` by ::

    ∫ c (d - b) dt = c0 d0 (1 - exp(-k T)) / k - b c0 tau_c (1 - exp(-T/tau_c))

(``b`` standing for ``b - d_tonic`` throughout) clipped at ``t*`` (if ``0 < t* < T``) and at ``T``. This is the integral NEST uses; NEST
clips at its updates (every presynaptic spike and every volume-transmitter delivery, by
default every ``min_delay``), which agrees with the continuous bound whenever the drive does
not change sign in a step in which the weight sits at a bound, in particular always when
``b = 0``; otherwise the two differ by a term of second order in the step (2e-8 relative
seen at dt = 0.1 ms). Clipping only at a synapse's events would make the weight depend on
how often it is brought up to date; the continuous bound does not.

One dopamine signal per projection: the rule names its reward source (a population of the
network, by name or object), as NEST's ``stdp_dopamine_synapse`` names its volume
transmitter in the synapse model. One global dopamine signal (Izhikevich's) is the case
where every reward-modulated projection names the same source; separate sources give
separate signals (two learners with their own rewards). Explicit reward times are a spike
source: ``net.add_spikes("reward", 1, times=t_reward, indices=[0] * len(t_reward))``; a
LIF population (a critic) can be the source too. ``reward=None``: no dopamine (``d = 0``).

Implementation (cost)
---------------------
Event-driven, like NEST: a synapse is brought up to date (``w``, ``c``) only when one of
its spikes arrives, its postsynaptic neuron spikes, or its projection's reward source
spikes; a reward step therefore costs one update of every synapse of the projections it
reaches (O(synapses), what NEST's volume transmitter deliveries cost), a spike the synapses
it touches, and a step without events nothing. Weights read between runs
(``Projection.weight``, ``SimResult.final_weights``) and sampled by a weight recording are
the weights at that time, computed from the stored state without changing it (so
recordings and reads do not change a run, and runs continue bitwise). Changing weights,
learning or the rule between runs first brings every synapse of the projection up to date.
State: ``c`` and its last update step per synapse (16 bytes), ``d`` per pathway.

Room: ``neurolab.plasticity``. May import: numpy, numba, ``neurolab.base`` and
``neurolab.plasticity.pair``.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..base import validate as V
from ..base.jit import CALLEE
from ..base.layout import (A_MINUS, A_PLUS, C_MINUS, C_PLUS, EVERY, LEARN, N_PW_F, PAIR_ALL,
                           PLASTIC, POST_LO, POST_POP, PRE_HI, PRE_LO, ROW_OFF, COL_OFF, RULE,
                           RULE_DOPAMINE, SAME_STEP, SCHED_HI, SCHED_LO, ROW0, W_MAX, W_MIN,
                           WD_ADDITIVE, XPOST_OFF, XPRE_OFF)
from .pair import (SAME_STEP_CODES, SAME_STEPS, PlasticityRule, _clip, deliver, post_parts,
                   trace_now, trace_spike)

# this family's columns of pw_f[p] (0..5 as the pair rule: A_PLUS .. W_MAX)
CC, CD, TAU_C, TAU_K, TAU_D, BASE, D_JUMP, DT = range(6, 14)

#: the family's kernel state (``RunState.families[2]``): ``pws`` the reward-modulated
#: pathways; per pathway p: ``src[p]`` the reward population (-1: none), its synapses
#: ``lo[p] .. hi[p]`` (kernel indices), ``base[p]`` (synapse s keeps its state at
#: ``base[p] + s``), dopamine ``d[p]`` at step ``d_t[p]``; per synapse: eligibility ``c``
#: at step ``c_t`` (also the step ``w`` was last brought up to date)
RewardState = namedtuple("RewardState", ["pws", "src", "lo", "hi", "base", "d", "d_t", "c",
                                         "c_t"])


@dataclass(frozen=True)
class RewardSTDP(PlasticityRule):
    """Reward-modulated STDP (Izhikevich 2007; NEST ``stdp_dopamine_synapse``).

    ``dc/dt = -c/tau_c + STDP pairs``, ``dd/dt = -d/tau_d + d_jump * reward spikes``,
    ``dw/dt = c (d + d_tonic - b)``, ``w`` held in ``[w_min, w_max]``; all-to-all pairs, axonal
    delays. Equations, bounds, the reward source and costs: see
    :mod:`neurolab.plasticity.reward`.

    Example (one reward signal; explicit reward times as a spike source)::

        net.add_spikes("reward", 1, times=[500.0, 900.0], indices=[0, 0])
        net.connect(inp, out, weight=0.5, stdp=nl.RewardSTDP(reward="reward"))

    Parameters
    ----------
    A_plus, A_minus : amplitudes of the pair window (units of ``w``), >= 0; they add to
        the eligibility ``c``, not to ``w``.
    tau_plus, tau_minus : window time constants (ms), > 0.
    tau_c : eligibility time constant (ms), > 0 (Izhikevich: 1000 ms).
    tau_d : dopamine time constant (ms), > 0 (Izhikevich: 200 ms; NEST ``tau_n``).
    b : dopamine baseline (1/ms), >= 0 (NEST ``b``); ``dw/dt = c (d + d_tonic - b)``.
    d_tonic : tonic dopamine level (1/ms), >= 0, default 0 (NEST has none): a constant
        added to the dopamine signal, so eligibility becomes weight without reward too.
        Izhikevich 2007's code adds 0.002 to its dopamine in an update every 10 ms, i.e.
        ``d_tonic = 0.0002`` per ms in this rule's units (see notebook 10).
    d_jump : rise of ``d`` per reward spike (1/ms), >= 0; ``None`` (default) means
        ``1/tau_d`` (NEST's: one reward integrates to 1), derived again when
        :meth:`replace` changes ``tau_d`` (a ``d_jump`` that was given stays).
    w_min, w_max : hard bounds, ``0 <= w_min < w_max`` (units of ``w``; NEST ``Wmin``,
        ``Wmax``).
    reward : the reward source: the name of a population of the network (or the
        population), every spike of which is a reward; ``None``: no dopamine. Checked
        against the network by :meth:`Network.connect`.
    same_step : what a pre and a post spike in the same step do: ``"potentiate"``
        (default, Brian2's order), ``"depress"``, ``"both"`` or ``"neither"`` (NEST).

    Raises ``TypeError`` / ``ValueError`` naming the parameter, its value and what is
    allowed.
    """

    #: the eligibility trace and the step it was last brought up to date (float64 + int64)
    state_bytes_per_synapse = 16

    A_plus: float = 0.01
    A_minus: float = 0.015
    tau_plus: float = 20.0
    tau_minus: float = 20.0
    tau_c: float = 1000.0
    tau_d: float = 200.0
    b: float = 0.0
    d_tonic: float = 0.0
    d_jump: float | None = None
    w_min: float = 0.0
    w_max: float = 1.0
    reward: str | None = None
    same_step: str = "potentiate"

    family = RULE_DOPAMINE
    reference = "Izhikevich 2007; NEST stdp_dopamine_synapse (Potjans et al. 2010)"
    _derived = ("d_jump",)

    def __post_init__(self):
        self._note_given()
        for name in ("A_plus", "A_minus"):
            object.__setattr__(self, name, V.non_negative(name, getattr(self, name)))
        for name in ("tau_plus", "tau_minus", "tau_c", "tau_d"):
            object.__setattr__(self, name, V.positive(name, getattr(self, name), "ms"))
        object.__setattr__(self, "b", V.non_negative("b", self.b, "1/ms"))
        object.__setattr__(self, "d_tonic", V.non_negative("d_tonic", self.d_tonic, "1/ms"))
        jump = 1.0 / self.tau_d if self.d_jump is None else V.non_negative(
            "d_jump", self.d_jump, "1/ms")
        object.__setattr__(self, "d_jump", jump)
        self._check_bounds()
        reward = self.reward
        if reward is not None and not isinstance(reward, str):
            if hasattr(reward, "population") and hasattr(reward, "ids"):
                raise TypeError(f"reward must be a whole population (or its name), got the "
                                f"subgroup {reward!r}; make the reward spikes a population "
                                f"of their own")
            if not (hasattr(reward, "name") and hasattr(reward, "kind")):
                raise TypeError(f"reward must be a population, its name or None, got "
                                f"{V._show(reward)}")
            object.__setattr__(self, "reward", reward.name)
            # the object itself too (not a field): check_network refuses one of another
            # network that happens to share a name with one of this network
            object.__setattr__(self, "_reward_population", reward)
        V.choice("same_step", self.same_step, SAME_STEPS)

    def time_constants(self):
        return {"tau_plus": self.tau_plus, "tau_minus": self.tau_minus,
                "tau_c": self.tau_c, "tau_d": self.tau_d}

    def check_network(self, net):
        """Refuse a reward source that is not a population of ``net``."""
        pop = getattr(self, "_reward_population", None)
        if pop is not None and net.populations.get(self.reward) is not pop:
            raise ValueError(f"reward is the population {self.reward!r} of another network; "
                             f"pass a population of this network (or its name); known: "
                             f"{list(net.populations)}")
        if self.reward is not None and self.reward not in net.populations:
            raise ValueError(f"reward names {self.reward!r}, which is not a population of "
                             f"this network; known: {list(net.populations)} (add the reward "
                             f"source before connecting)")

    def kernel_row(self, dt):
        row = [0.0] * N_PW_F
        row[A_PLUS], row[A_MINUS] = self.A_plus, self.A_minus
        row[C_PLUS], row[C_MINUS] = dt / self.tau_plus, dt / self.tau_minus
        row[W_MIN], row[W_MAX] = self.w_min, self.w_max
        row[CC], row[CD] = dt / self.tau_c, dt / self.tau_d
        row[TAU_C], row[TAU_D] = self.tau_c, self.tau_d
        row[TAU_K] = self.tau_c * self.tau_d / (self.tau_c + self.tau_d)
        # the tonic level enters only as the effective baseline b - d_tonic (may be < 0)
        row[BASE], row[D_JUMP], row[DT] = self.b - self.d_tonic, self.d_jump, dt
        return row

    def kernel_codes(self):
        return {"pairing": PAIR_ALL, "same_step": SAME_STEP_CODES[self.same_step],
                "wdep": WD_ADDITIVE}


# ------------------------------------------------------------------ kernel functions
@njit(**CALLEE)
def integrate(w, c0, d0, T, tau_c, tau_k, tau_d, b, w_min, w_max):
    """``w`` after ``T`` ms of ``dw/dt = c (d - b)`` with ``c = c0 exp(-t/tau_c)``,
    ``d = d0 exp(-t/tau_d)``, held in ``[w_min, w_max]``: the drive changes sign at most
    once, at ``t* = tau_d ln(d0/b)``; each piece of constant sign is added, then clipped.
    ``tau_k = 1/(1/tau_c + 1/tau_d)``."""
    if c0 == 0.0 or T <= 0.0:
        return w
    if b > 0.0 and d0 > b:
        ts = tau_d * math.log(d0 / b)
        if ts < T:
            w = _clip(w + c0 * (-d0 * tau_k * math.expm1(-ts / tau_k)
                                + b * tau_c * math.expm1(-ts / tau_c)), w_min, w_max)
            c0 = c0 * math.exp(-ts / tau_c)
            d0 = b
            T = T - ts
    return _clip(w + c0 * (-d0 * tau_k * math.expm1(-T / tau_k)
                           + b * tau_c * math.expm1(-T / tau_c)), w_min, w_max)


@njit(**CALLEE)
def _d_at(d, d_t, n, cd):
    """The dopamine signal of a pathway at step n >= d_t (no reward in between)."""
    if d == 0.0 or n == d_t:
        return d
    return d * math.exp(-(n - d_t) * cd)


@njit(**CALLEE)
def _advance(s, k, n, learn, syn_w, c, c_t, d, d_t, pf):
    """Bring synapse s (state at k) to step n: ``w`` integrated (when learning), ``c``
    decayed. ``pf`` is the pathway's row of pw_f; d, d_t its dopamine state."""
    t = c_t[k]
    if t == n:
        return
    c0 = c[k]
    if c0 != 0.0:
        if learn:
            syn_w[s] = integrate(syn_w[s], c0, _d_at(d, d_t, t, pf[CD]), (n - t) * pf[DT],
                                 pf[TAU_C], pf[TAU_K], pf[TAU_D], pf[BASE], pf[W_MIN],
                                 pf[W_MAX])
        c[k] = c0 * math.exp(-(n - t) * pf[CC])
    c_t[k] = n


@njit(**CALLEE)
def weight_now(s, k, n, learn, syn_w, c, c_t, d, d_t, pf):
    """The weight of synapse s at step n, without changing the state."""
    t = c_t[k]
    if not learn or t == n or c[k] == 0.0:
        return syn_w[s]
    return integrate(syn_w[s], c[k], _d_at(d, d_t, t, pf[CD]), (n - t) * pf[DT], pf[TAU_C],
                     pf[TAU_K], pf[TAU_D], pf[BASE], pf[W_MIN], pf[W_MAX])


@njit(cache=True)       # also called from Python (sync): keeps its wrapper
def _sync(n, p, pw_i, pw_f, syn_w, da):
    """Bring every synapse of pathway p and its dopamine signal to step n."""
    pf = pw_f[p]
    learn = pw_i[p, LEARN] == 1
    c, c_t, base = da.c, da.c_t, da.base[p]
    d, d_t = da.d[p], da.d_t[p]
    for s in range(da.lo[p], da.hi[p]):
        _advance(s, base + s, n, learn, syn_w, c, c_t, d, d_t, pf)
    da.d[p] = _d_at(d, d_t, n, pf[CD])
    da.d_t[p] = n


@njit(**CALLEE)
def rewards(n, slot, seg, pw_i, pw_f, syn_w, da):
    """The reward spikes of step n: for each reward-modulated pathway whose source spiked,
    bring its synapses up to date, then raise its dopamine signal by ``d_jump`` per spike."""
    for m in range(da.pws.shape[0]):
        p = da.pws[m]
        q = da.src[p]
        if q < 0:
            continue
        cnt = seg[slot, q + 1] - seg[slot, q]
        if cnt > 0:
            _sync(n, p, pw_i, pw_f, syn_w, da)
            da.d[p] += cnt * pw_f[p, D_JUMP]


@njit(**CALLEE)
def pre_pathway(n, p, r, s0, s1, target, learn, pw_i, pw_f, syn_post, syn_w, xpre, xpre_t,
                xpost, xpost_t, tab_plus, tab_minus, v, ge, gi, accept, da):
    """Presynaptic pathway p for the arrival of presynaptic (local) neuron r at step n:
    ``x_pre += A_plus``; for each synapse s0 .. s1-1: bring it up to date, deliver its
    weight, ``c -= x_post``."""
    pf = pw_f[p]
    trace_spike(xpre, xpre_t, pw_i[p, XPRE_OFF] + r, n, pf[C_PLUS], tab_plus, p, pf[A_PLUS],
                False)
    c, c_t, base = da.c, da.c_t, da.base[p]
    d, d_t = da.d[p], da.d_t[p]
    c_minus = pf[C_MINUS]
    off = pw_i[p, XPOST_OFF] - pw_i[p, POST_LO]
    for s in range(s0, s1):
        k = base + s
        _advance(s, k, n, learn, syn_w, c, c_t, d, d_t, pf)
        j = syn_post[s]
        w = syn_w[s]
        deliver(j, w, target, v, ge, gi, accept)
        q = off + j
        c[k] -= trace_now(xpost[q], xpost_t[q], n, c_minus, tab_minus, p)


@njit(**CALLEE)
def post_phase(n, early, pw_i, pw_f, seg, ring, slot, col_ptr, col_syn, col_pre, syn_w,
               xpre, xpre_t, xpost, xpost_t, tab_plus, tab_minus, da):
    """Postsynaptic pathways of the reward-modulated projections for the spikes of step n,
    the part before (``early``) or after the presynaptic pathways, as ``same_step`` says
    (as for the pair rule): ``x_post += A_minus``; for each synapse onto the neuron: bring
    it up to date, ``c += x_pre``."""
    c, c_t = da.c, da.c_t
    for m in range(da.pws.shape[0]):
        p = da.pws[m]
        same = pw_i[p, SAME_STEP]
        do_inc, do_pot = post_parts(same, early)
        if not (do_inc or do_pot):
            continue
        pf = pw_f[p]
        q = pw_i[p, POST_POP]
        post_lo = pw_i[p, POST_LO]
        col_off = pw_i[p, COL_OFF] - post_lo
        xq = pw_i[p, XPOST_OFF] - post_lo
        xs = pw_i[p, XPRE_OFF] - pw_i[p, PRE_LO]
        learn = pw_i[p, LEARN] == 1
        base = da.base[p]
        d, d_t = da.d[p], da.d_t[p]
        c_plus = pf[C_PLUS]
        for i in range(seg[slot, q], seg[slot, q + 1]):
            j = ring[slot, i]
            if do_inc:
                trace_spike(xpost, xpost_t, xq + j, n, pf[C_MINUS], tab_minus, p,
                            pf[A_MINUS], False)
            if not do_pot:
                continue
            for t in range(col_ptr[col_off + j], col_ptr[col_off + j + 1]):
                s = col_syn[t]
                k = base + s
                _advance(s, k, n, learn, syn_w, c, c_t, d, d_t, pf)
                r = xs + col_pre[t]
                c[k] += trace_now(xpre[r], xpre_t[r], n, c_plus, tab_plus, p)


@njit(**CALLEE)
def record(n, w_sched, w_syn, w_out, pw_i, pw_f, syn_w, da):
    """Weight recording at the start of step n: the recorded reward-modulated synapses get
    their weight at step n (the kernel's generic sampling wrote the stored one)."""
    if w_syn.shape[0] == 0:
        return
    every = w_sched[EVERY]
    if n < w_sched[SCHED_LO] or n >= w_sched[SCHED_HI] or n % every != 0:
        return
    row = n // every - w_sched[ROW0]
    for i in range(w_syn.shape[0]):
        s = w_syn[i]
        for m in range(da.pws.shape[0]):
            p = da.pws[m]
            if da.lo[p] <= s < da.hi[p]:
                w_out[row, i] = weight_now(s, da.base[p] + s, n, pw_i[p, LEARN] == 1, syn_w,
                                           da.c, da.c_t, da.d[p], da.d_t[p], pw_f[p])
                break


@njit(cache=True)
def _weights_now(n, ss, p_of, pw_i, pw_f, syn_w, da):
    out = np.empty(ss.shape[0])
    for i in range(ss.shape[0]):
        s = ss[i]
        p = p_of[i]
        out[i] = weight_now(s, da.base[p] + s, n, pw_i[p, LEARN] == 1, syn_w, da.c, da.c_t,
                            da.d[p], da.d_t[p], pw_f[p])
    return out


# ------------------------------------------------------------------ Python side
def _uses(state, proj):
    return (state.families[2] is not None and proj.stdp is not None
            and proj.stdp.family == RULE_DOPAMINE)


def build_state(state, net):
    """The family's kernel state for ``RunState`` ``state`` (after its pathways are built),
    or None when no projection of ``net`` uses the rule."""
    pw_i = state.syn.pw_i
    row_ptr = state.syn.row_ptr
    n_pw = pw_i.shape[0]
    pws = [p for p in range(n_pw) if pw_i[p, PLASTIC] == 1 and pw_i[p, RULE] == RULE_DOPAMINE]
    if not pws:
        return None
    src = np.full(n_pw, -1, np.int64)
    lo = np.zeros(n_pw, np.int64)
    hi = np.zeros(n_pw, np.int64)
    base = np.zeros(n_pw, np.int64)
    n_state = 0
    for p in pws:
        row = pw_i[p]
        lo[p] = row_ptr[row[ROW_OFF]]
        hi[p] = row_ptr[row[ROW_OFF] + row[PRE_HI] - row[PRE_LO]]
        base[p] = n_state - lo[p]
        n_state += hi[p] - lo[p]
    for proj in net.projections.values():
        if proj.stdp is not None and proj.stdp.family == RULE_DOPAMINE:
            proj.stdp.check_network(net)
            for p in state.pathways_of[proj.name]:
                src[p] = _source(net, proj.stdp)
    return RewardState(pws=np.array(pws, np.int64), src=src, lo=lo, hi=hi, base=base,
                       d=np.zeros(n_pw), d_t=np.full(n_pw, state.step, np.int64),
                       c=np.zeros(n_state), c_t=np.full(n_state, state.step, np.int64))


def _source(net, rule):
    return -1 if rule.reward is None else net.populations[rule.reward].index


def _pathway_of(state, proj):
    """(kernel synapse indices, pathway of each) of ``proj``, in its synapse order."""
    ss = state.perm[proj.name]
    da = state.families[2]
    p_of = np.empty(ss.shape[0], np.int64)
    for p in state.pathways_of[proj.name]:
        inside = (ss >= da.lo[p]) & (ss < da.hi[p])
        p_of[inside] = p
    return ss, p_of


def weights(state, proj):
    """The weights of ``proj`` at ``state.step`` (its synapse order; a new array), or None
    when the projection does not use the rule."""
    if not _uses(state, proj):
        return None
    ss, p_of = _pathway_of(state, proj)
    return _weights_now(state.step, ss, p_of, state.syn.pw_i, state.syn.pw_f,
                        state.syn.syn_w, state.families[2])


def sync(state, proj):
    """Bring every synapse of ``proj`` and its dopamine signal to ``state.step`` (before a
    change of its weights, learning switch or rule); nothing for other rules."""
    if not _uses(state, proj):
        return
    for p in state.pathways_of[proj.name]:
        _sync(state.step, p, state.syn.pw_i, state.syn.pw_f, state.syn.syn_w,
              state.families[2])


def set_source(state, proj, rule):
    """After ``Projection.set_stdp``: the (possibly new) reward source of ``proj``."""
    if _uses(state, proj):
        q = -1 if rule.reward is None else state.pop_order.index(rule.reward)
        for p in state.pathways_of[proj.name]:
            state.families[2].src[p] = q
