"""numba kernels: arrays and scalars in, preallocated arrays out; nothing else.

The step loop follows Brian2's default schedule (see the README, "Simulation semantics"):

1. state update of every LIF neuron over ``dt`` (exact propagators for delta and current
   synapses, exponential Euler with start-of-step conductances for conductance synapses);
   synaptic variables decay exactly;
2. threshold (``v > v_th`` and not refractory), immediately followed by the reset (nothing
   between threshold and reset reads ``v``; delta input to a neuron that spiked in this
   step is discarded, as the reset would erase it, and so is delta input to a refractory
   neuron);
3. presynaptic pathways of all projections (axonal delays: the whole pathway, STDP trace
   update included, runs when the spike arrives), then postsynaptic pathways; a pair-rule
   projection whose same-step pairs do not potentiate (``same_step``) runs its
   postsynaptic work, or part of it, before the presynaptic pathways instead.

Homeostasis (``homeo``, :mod:`neurolab.plasticity.homeostasis`): weight normalisation at
the start of a step, before the monitors; an adaptive threshold decays ``theta`` in 1.,
tests ``v > v_th + theta`` in 2. and raises ``theta`` after the reset.

Randomness never enters the kernel: Poisson and explicit input spikes arrive as a
step-sorted table built with numpy in Python.

Layout (all indices global over the concatenation of populations). The kernel takes five
named tuples of arrays (:class:`Neurons`, :class:`Pathways`, :class:`Traces`,
:class:`Inputs`, :class:`Monitors`) and a counter array:

``Neurons``: ``lif_i[q] = (lo, hi, mode, het, has_iext)``: LIF population q occupies
``[lo, hi)``; mode 0 delta, 1 current, 2 conductance; het 1 when its neurons' parameters
differ (else they are read once per step); has_iext 1 when a current source targets it.
``pop_lo[q] .. pop_lo[q + 1]``: global ids of population q (insertion order);
``pop_lif[q]``: its row in ``lif_i``, or -1 for a spike source.
``par[:, j]``: the parameters of neuron j, rows ``(v_rest, v_th, v_reset, P_m, P_e, P_i,
c_e, c_i, E_e, E_i, dt/tau_m, I_bias)``; ``kref[j]``: its refractory steps. State: ``v``,
``ge``, ``gi`` (conductances, or the non-negative currents ``I_e``, ``I_i``), ``iext``
(injected current, mV), ``last_spike`` (step), ``accept`` (delta input allowed this step).

``Pathways``: ``pw_i[p] = (delay, target, pre_lo, pre_hi, post_lo, post_hi, row_off,
col_off, xpre_off, xpost_off, plastic, pairing, pre_pop, post_pop, learn, rule, same_step,
wdep, xsyn_base)`` (columns in :mod:`neurolab.base.layout`): pathway p (one projection, one
delay); target 0 adds ``w`` to v (delta, excitatory), 3 subtracts it (delta, inhibitory),
1 adds to g_e/I_e, 2 to g_i/I_i. ``learn`` 0 freezes the weights of a plastic pathway (its
traces still follow the spikes). ``rule`` is the plasticity family
(:mod:`neurolab.plasticity`); the pair rule reads ``pairing``, ``same_step`` and ``wdep``
(weight dependence) and, for the presynaptic-centred scheme, one trace per synapse at
``pv.xsyn[xsyn_base + s]``. ``pw_f[p]``: the rule's parameters, as its ``kernel_row(dt)``
writes them (pair rule: ``A_plus, A_minus, dt/tau_plus, dt/tau_minus, w_min, w_max,
mu_plus, mu_minus``).
The spikes of step n are ``ring[n % H, :]``, population by population in id order:
population q's are ``seg[n % H, q] .. seg[n % H, q + 1]``, so a pathway reads only the
spikes of its own presynaptic population.
Synapses of pathway p with local presynaptic index r are
``row_ptr[row_off + r] .. row_ptr[row_off + r + 1]`` in ``syn_post``/``syn_w``; for a
plastic pathway the synapses onto local postsynaptic index c are
``col_syn[col_ptr[col_off + c] .. col_ptr[col_off + c + 1]]``, and ``col_pre`` holds their
presynaptic (global) ids in the same order, so potentiation reads it sequentially.

``Traces``: STDP traces are event-driven: ``x[k]`` holds the trace at step ``x_t[k]`` and
is decayed to the current step, ``x * exp(-(n - x_t) dt / tau)``, only when read or
incremented (what Brian2's ``(event-driven)`` traces do), so idle synapses cost nothing per
step; ``tab_plus``/``tab_minus[p, d]`` hold the decay factors of short lags; times of spikes
that have not happened are ``NEVER`` (a large negative step), with a trace of 0. The pair
rule's variants keep more state (:class:`PairVariants`, argument ``pv``).

``Inputs`` cover the steps ``[base, base + len(src_ptr) - 1)`` of one chunk: source spikes
of step n are ``src_ids[src_ptr[n - base] .. src_ptr[n - base + 1]]``; injected-current
changes of step n set ``iext[cur_ids[k]] = cur_val[k]`` for ``k`` in
``cur_ptr[n - base] .. cur_ptr[n - base + 1]`` (applied before the state update); Poisson
drives (Brian2's ``PoissonInput``) ``pin_i[d] = (unused, n_target, target, col)``,
``pin_w[d]`` weight, ``pin_cnt[n - base, col + j]`` the number of source spikes that neuron
``pin_ids[col + j]`` receives in step n (delivered with the synaptic pathways).

``Monitors``: ``spk_mask[j]`` records neuron j's spikes into ``spk_step``/``spk_id``;
weights of synapses ``w_syn`` and state of neurons ``s_ids`` are sampled at the start of
every step n with ``n % every == 0`` and ``lo <= n < hi`` into row ``n // every - row0``,
``w_sched``/``s_sched = (every, lo, hi, row0)``; ``s_theta`` samples ``theta`` (only
with ``homeo``).

Room: ``neurolab.engine``. May import: numpy, numba, ``neurolab.base``,
``neurolab.plasticity`` (the rule families' ``@njit`` updates) and
``neurolab.engine.compile`` (the compile lock).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

from . import compile as _compile
from . import models as _models
from ..base import layout as L
from ..base.jit import CALLEE
from ..base.layout import *  # noqa: F401,F403  (the column constants, for the table builder)
from ..base.layout import (C_NSPK, C_STEP, COL_OFF, DELAY, EVERY, HAS_IEXT, HET, HI, IB, LEARN, LO,
                           MODE, MODE_DELTA, MODE_CURRENT, PAIRING, PIN_COL, PIN_N, PIN_TARGET,
                           PLASTIC, PM, POST_LO, POST_POP, PRE_LO, PRE_POP, ROW0, ROW_OFF, RULE,
                           RULE_DOPAMINE, RULE_PAIR, SAME_STEP, SCHED_HI, SCHED_LO, TARGET,
                           TARGET_E, TARGET_V, TARGET_V_INH, VREST, VRESET, VTH, WDEP, XPOST_OFF,
                           XPRE_OFF, XSYN_BASE, CE, CI, DTM, EE, EI, PE, PI)
from ..base.layout import RULE_VOGELS
from ..plasticity import clopath as _clopath
from ..plasticity import inhibitory as _inh
from ..plasticity import homeostasis as _homeo
from ..plasticity import pair as _pair
from ..plasticity import reward as _reward
from ..plasticity import triplet as _triplet

Neurons = namedtuple("Neurons", ["lif_i", "pop_lo", "pop_lif", "par", "kref", "v", "ge", "gi",
                                 "iext", "last_spike", "accept"])
Pathways = namedtuple("Pathways", ["pw_i", "pw_f", "row_ptr", "syn_post", "syn_w", "col_ptr",
                                   "col_syn", "col_pre", "ring", "seg"])
Traces = namedtuple("Traces", ["xpre", "xpre_t", "xpost", "xpost_t", "tab_plus",
                               "tab_minus"])
PairVariants = _pair.PairVariants
Inputs = namedtuple("Inputs", ["base", "src_ptr", "src_ids", "cur_ptr", "cur_ids", "cur_val",
                               "pin_i", "pin_w", "pin_ids", "pin_cnt"])
Monitors = namedtuple("Monitors", ["spk_mask", "spk_step", "spk_id", "w_sched", "w_syn",
                                   "w_out", "s_sched", "s_ids", "s_v", "s_ge", "s_gi",
                                   "s_theta"])


@njit(**CALLEE)
def _sample_row(n, sched):
    """Row of step n in a sampled recording, or -1 when step n is not sampled."""
    every = sched[EVERY]
    if n < sched[SCHED_LO] or n >= sched[SCHED_HI] or n % every != 0:
        return -1
    return n // every - sched[ROW0]


@njit(**CALLEE)
def _record(n, syn_w, v, ge, gi, w_sched, w_syn, w_out, s_sched, s_ids, s_v, s_ge, s_gi):
    """Monitors at the start of step n (Brian2's StateMonitor runs in the 'start' slot)."""
    if w_syn.shape[0] > 0:
        r = _sample_row(n, w_sched)
        if r >= 0:
            for k in range(w_syn.shape[0]):
                w_out[r, k] = syn_w[w_syn[k]]
    if s_ids.shape[0] > 0:
        r = _sample_row(n, s_sched)
        if r >= 0:
            for k in range(s_ids.shape[0]):
                j = s_ids[k]
                if s_v.shape[0] > 0:
                    s_v[r, k] = v[j]
                if s_ge.shape[0] > 0:
                    s_ge[r, k] = ge[j]
                if s_gi.shape[0] > 0:
                    s_gi[r, k] = gi[j]


# The helpers below take plain arrays, unpacked from the named tuples once per kernel
# call: arrays taken out of a tuple inside a hot loop cost numba a reference-count update
# each time.
@njit(**CALLEE)
def _v_delta(v, u, pm):
    """``tau_m dv/dt = u - v`` over one step: exact propagator ``pm = exp(-dt/tau_m)``."""
    return u + (v - u) * pm


@njit(**CALLEE)
def _v_current(v, u, pm, ie, ce, ii, ci):
    """``tau_m dv/dt = u - v + I_e - I_i`` with exponentially decaying currents: exact."""
    return u + (v - u) * pm + ie * ce - ii * ci


@njit(**CALLEE)
def _v_conductance(v, u, ge, ee, gi, ei, dtm):
    """``tau_m dv/dt = u - v + g_e (E_e - v) + g_i (E_i - v)``: exponential Euler with the
    conductances of the start of the step (``dtm = dt/tau_m``)."""
    gtot = 1.0 + ge + gi
    vinf = (u + ge * ee + gi * ei) / gtot
    return vinf + (v - vinf) * math.exp(-dtm * gtot)


@njit(**CALLEE)
def _lif_update(n, lo, hi, mode, het, has_iext, par, kref, v, ge, gi, iext, last_spike,
                accept):
    """The state update of :func:`_lif_step` (without threshold and reset)."""
    a = np.uint64(lo)
    b = np.uint64(hi)
    # population-wide values (used when het == 0)
    u0 = par[VREST, lo] + par[IB, lo]
    pm0 = par[PM, lo]
    K0 = kref[lo]
    if het:
        for j in range(a, b):
            K = kref[j]
            u = par[VREST, j] + par[IB, j] + (iext[j] if has_iext else 0.0)
            if mode == MODE_DELTA:
                x = _v_delta(v[j], u, par[PM, j])
                accept[j] = n - last_spike[j] >= (K if K > 1 else 1)
            elif mode == MODE_CURRENT:
                x = _v_current(v[j], u, par[PM, j], ge[j], par[CE, j], gi[j], par[CI, j])
            else:
                x = _v_conductance(v[j], u, ge[j], par[EE, j], gi[j], par[EI, j],
                                   par[DTM, j])
            v[j] = x if n >= last_spike[j] + K else v[j]
            if mode != MODE_DELTA:
                ge[j] *= par[PE, j]
                gi[j] *= par[PI, j]
    elif has_iext:        # the constant flag lets the compiler drop the unused branch
        _lif_uniform(n, a, b, mode, lo, par, u0, pm0, K0, True, v, ge, gi, iext, last_spike,
                     accept)
    else:
        _lif_uniform(n, a, b, mode, lo, par, u0, pm0, K0, False, v, ge, gi, iext,
                     last_spike, accept)


@njit(**CALLEE)
def _lif_step(n, lo, hi, mode, het, has_iext, par, kref, v, ge, gi, iext, last_spike,
              accept, ring, slot, cnt):
    """State update, threshold and reset of the LIF population ``[lo, hi)`` for step n.

    A neuron that spiked at step s is refractory while n < s + K: ``v`` is neither
    integrated nor tested (Brian2: ``not_refractory = (n - s) >= K``, evaluated at the
    state update). The input to the membrane is ``u = v_rest + I_bias + I_ext``, the
    steady state without synaptic input. Each neuron has its own parameters
    (``par[:, j]``); when ``het`` is 0 they are the same for the whole population and are
    read once (``par[:, lo]``), so a homogeneous population streams only its state through
    memory; ``has_iext`` 0 skips the injected current (no source targets the population).
    The updates are written without branches (a refractory neuron keeps its ``v`` through
    a select), so that the compiler can vectorise them; the threshold pass then appends
    spiking neurons to ``ring[slot]`` from position ``cnt`` on and returns the new count.
    ``accept[j]`` says whether delta input may reach neuron j in this step (not refractory
    and not spiking now: at least max(K, 1) steps since its last spike).
    Unsigned loop indices spare numba's negative-index handling.
    """
    # the state update written out, as in _lif_update (one call level less)
    a = np.uint64(lo)
    b = np.uint64(hi)
    # population-wide values (used when het == 0)
    u0 = par[VREST, lo] + par[IB, lo]
    pm0 = par[PM, lo]
    K0 = kref[lo]
    if het:
        for j in range(a, b):
            K = kref[j]
            u = par[VREST, j] + par[IB, j] + (iext[j] if has_iext else 0.0)
            if mode == MODE_DELTA:
                x = _v_delta(v[j], u, par[PM, j])
                accept[j] = n - last_spike[j] >= (K if K > 1 else 1)
            elif mode == MODE_CURRENT:
                x = _v_current(v[j], u, par[PM, j], ge[j], par[CE, j], gi[j], par[CI, j])
            else:
                x = _v_conductance(v[j], u, ge[j], par[EE, j], gi[j], par[EI, j],
                                   par[DTM, j])
            v[j] = x if n >= last_spike[j] + K else v[j]
            if mode != MODE_DELTA:
                ge[j] *= par[PE, j]
                gi[j] *= par[PI, j]
    elif has_iext:        # the constant flag lets the compiler drop the unused branch
        _lif_uniform(n, a, b, mode, lo, par, u0, pm0, K0, True, v, ge, gi, iext, last_spike,
                     accept)
    else:
        _lif_uniform(n, a, b, mode, lo, par, u0, pm0, K0, False, v, ge, gi, iext,
                     last_spike, accept)
    # threshold and reset (a refractory neuron is not tested)
    if het:
        for j in range(a, b):
            if v[j] > par[VTH, j] and n >= last_spike[j] + kref[j]:
                cnt = _fire(j, n, par[VRESET, j], v, last_spike, accept, ring, slot, cnt)
    else:
        vth0 = par[VTH, lo]
        vreset0 = par[VRESET, lo]
        for j in range(a, b):
            if v[j] > vth0 and n >= last_spike[j] + K0:
                cnt = _fire(j, n, vreset0, v, last_spike, accept, ring, slot, cnt)
    return cnt


@njit(**CALLEE)
def _lif_step_theta(n, lo, hi, mode, het, has_iext, par, kref, v, ge, gi, iext, last_spike,
                    accept, ring, slot, cnt, theta, decay, plus, frozen):
    """:func:`_lif_step` for a population with an adaptive threshold
    (:mod:`neurolab.plasticity.homeostasis`): the state update also decays ``theta`` (unless
    ``frozen``), a neuron spikes when ``v > v_th + theta`` and not refractory, and after
    its reset ``theta += plus`` (unless ``frozen``). Only networks with an adaptive
    threshold compile it."""
    _lif_update(n, lo, hi, mode, het, has_iext, par, kref, v, ge, gi, iext, last_spike, accept)
    a = np.uint64(lo)
    b = np.uint64(hi)
    if not frozen:
        _homeo.decay_theta(a, b, theta, decay)
    for j in range(a, b):
        k = j if het else np.uint64(lo)
        if v[j] > par[VTH, k] + theta[j] and n >= last_spike[j] + kref[k]:
            cnt = _fire(j, n, par[VRESET, k], v, last_spike, accept, ring, slot, cnt)
            if not frozen:
                theta[j] += plus
    return cnt


@njit(**CALLEE)
def _lif_uniform(n, a, b, mode, lo, par, u0, pm0, K0, use_iext, v, ge, gi, iext, last_spike,
                 accept):
    """The state update of a population whose neurons share their parameters (read once);
    ``use_iext`` False skips the injected current (no source targets the population)."""
    if mode == MODE_DELTA:
        kmin = K0 if K0 > 1 else 1
        for j in range(a, b):
            u = u0 + iext[j] if use_iext else u0
            x = _v_delta(v[j], u, pm0)
            v[j] = x if n >= last_spike[j] + K0 else v[j]
            accept[j] = n - last_spike[j] >= kmin
    elif mode == MODE_CURRENT:
        ce, ci, pe, pi_ = par[CE, lo], par[CI, lo], par[PE, lo], par[PI, lo]
        for j in range(a, b):
            u = u0 + iext[j] if use_iext else u0
            x = _v_current(v[j], u, pm0, ge[j], ce, gi[j], ci)
            v[j] = x if n >= last_spike[j] + K0 else v[j]
            ge[j] *= pe
            gi[j] *= pi_
    else:
        ee, ei, dtm, pe, pi_ = par[EE, lo], par[EI, lo], par[DTM, lo], par[PE, lo], par[PI, lo]
        for j in range(a, b):
            if n >= last_spike[j] + K0:
                u = u0 + iext[j] if use_iext else u0
                v[j] = _v_conductance(v[j], u, ge[j], ee, gi[j], ei, dtm)
            ge[j] *= pe
            gi[j] *= pi_


@njit(**CALLEE)
def _fire(j, n, v_reset, v, last_spike, accept, ring, slot, cnt):
    """Neuron j spikes at step n: reset, refractory from now, appended to the ring."""
    last_spike[j] = n
    v[j] = v_reset
    accept[j] = False
    ring[slot, cnt] = j
    return cnt + 1


@njit(**CALLEE)
def _deliver_counts(b, col, n_t, target, w, pin_cnt, pin_ids, v, ge, gi, accept, owner, t):
    """A Poisson drive's step b: target ``pin_ids[col + j]`` receives ``pin_cnt[b, col + j]``
    spikes of weight ``w``; the target branch taken once, outside the loop. Delta input to
    a neuron that is refractory or spiking in this step is discarded. ``t`` >= 0: only the
    targets k with ``owner[k] == t`` (a partition of the threaded kernel,
    :mod:`neurolab.engine.parallel`); the one-thread kernel passes the constant -1 (all
    targets)."""
    for j in range(n_t):
        c = pin_cnt[b, col + j]
        if c == 0:
            continue
        k = pin_ids[col + j]
        if t >= 0 and owner[k] != t:
            continue
        if target == TARGET_V:
            if accept[k]:
                v[k] += c * w
        elif target == TARGET_V_INH:
            if accept[k]:
                v[k] -= c * w
        elif target == TARGET_E:
            ge[k] += c * w
        else:
            gi[k] += c * w


@njit(**CALLEE)
def _deliver_static(s0, s1, target, syn_post, syn_w, v, ge, gi, accept, every, lo_t, hi_t):
    """Add the weights of synapses s0 .. s1-1 to their targets (a static pathway), the
    target branch taken once, outside the loop over synapses. Delta input to a neuron that
    is refractory or spiking in this step is discarded. ``every`` False: only the targets
    in ``[lo_t, hi_t)`` (a partition of the threaded kernel); the one-thread kernel passes
    the constant True."""
    a = np.uint64(s0)
    b = np.uint64(s1)
    if target == TARGET_V:
        for s in range(a, b):
            js = syn_post[s]
            if not every and (js < lo_t or js >= hi_t):
                continue
            j = np.uint64(js)
            if accept[j]:
                v[j] += syn_w[s]
    elif target == TARGET_V_INH:
        for s in range(a, b):
            js = syn_post[s]
            if not every and (js < lo_t or js >= hi_t):
                continue
            j = np.uint64(js)
            if accept[j]:
                v[j] -= syn_w[s]
    elif target == TARGET_E:
        for s in range(a, b):
            js = syn_post[s]
            if not every and (js < lo_t or js >= hi_t):
                continue
            ge[np.uint64(js)] += syn_w[s]
    else:
        for s in range(a, b):
            js = syn_post[s]
            if not every and (js < lo_t or js >= hi_t):
                continue
            gi[np.uint64(js)] += syn_w[s]


@njit(**CALLEE)
def _post_pop_mask(pw_i):
    """Which populations are postsynaptic to a pair-rule pathway, as a bit mask: bit
    ``q % 63`` of the int64 is set for population q. A bit shared by two populations
    (from 63 populations on) only makes a step run the postsynaptic phases without work
    for them, never skip work; no array is allocated (numba's ``np.zeros`` would cost the
    kernel's first compile ~0.4 s)."""
    mask = 0
    for p in range(pw_i.shape[0]):
        if pw_i[p, PLASTIC] == 1 and pw_i[p, RULE] == RULE_PAIR:
            mask |= 1 << (pw_i[p, POST_POP] % 63)
    return mask


@njit(**CALLEE)
def _post_phase(n, early, pw_i, pw_f, seg, ring, slot, col_ptr, col_syn, col_pre, syn_w, xpre,
                xpre_t, xpost, xpost_t, tab_plus, tab_minus, pv, owner, t):
    """The postsynaptic pathways of pair-rule projections for the spikes of step n: the
    part that counts as before the presynaptic pathways (``early``) or after them (what
    ``same_step`` says: potentiate -> all after; depress -> all before; both -> trace
    before, potentiation after; neither -> potentiation before, trace after). run_steps
    calls it for the early part, only with the variants; the late part is written out in
    run_steps. ``t`` >= 0: only the postsynaptic neurons j with ``owner[j] == t`` (the
    threaded kernel's partition t, :mod:`neurolab.engine.parallel`, which calls it for the late
    part); -1: all."""
    for p in range(pw_i.shape[0]):
        if pw_i[p, PLASTIC] != 1 or pw_i[p, RULE] != RULE_PAIR:
            continue
        same = pw_i[p, SAME_STEP]
        do_inc, do_pot = _pair.post_parts(same, early)
        if not (do_inc or do_pot):
            continue
        q = pw_i[p, POST_POP]
        post_lo = pw_i[p, POST_LO]
        col_off = pw_i[p, COL_OFF] - post_lo
        learn = pw_i[p, LEARN] == 1
        for k in range(seg[slot, q], seg[slot, q + 1]):
            j = ring[slot, k]
            if t >= 0 and owner[j] != t:
                continue
            _pair.post_pathway(n, p, j - post_lo, col_ptr[col_off + j], col_ptr[col_off + j + 1],
                               pw_i[p, PRE_LO], pw_i[p, XPRE_OFF], pw_i[p, XPOST_OFF],
                               pw_i[p, PAIRING], same, pw_i[p, WDEP], learn, do_inc, do_pot,
                               pw_i[p, XSYN_BASE], pw_f, col_syn, col_pre, syn_w, xpre, xpre_t,
                               xpost, xpost_t, tab_plus, tab_minus, pv)


@njit(cache=True)
def run_steps(n_start, n_stop, nrn, syn, tr, inp, mon, counters, trip, inh, da, homeo, pv,
              nm, cl):
    """Advance the network from step ``n_start`` to ``n_stop`` (exclusive).

    ``trip``, ``inh``, ``da``, ``homeo``: the state of the triplet, inhibitory and
    reward-modulated rule families and of homeostasis, or ``None`` when the network does
    not use them; ``pv``: the state of the pair rule's variants (presynaptic-centred and
    restricted pairing, power law, same-step orders other than potentiation), or
    ``None``; ``nm``: the AdEx and Izhikevich populations (:class:`neurolab.engine.models.Models`),
    or ``None`` for a network of LIF neurons only; ``cl``: the state of Clopath's voltage
    rule (:class:`neurolab.plasticity.clopath.ClopathState`), or ``None``. numba compiles one specialisation per
    combination and drops the code of the absent ones, so a network with the default rule
    and LIF neurons never compiles the others.

    Stops early, before a step, when the spike buffers could overflow in that step; the
    step reached is kept in ``counters[C_STEP]`` after every step, so an interrupted or
    stopped call leaves a consistent state to resume from. Every step's effect depends
    only on the state and the inputs of that step, so the result does not depend on how
    a run is cut into calls.
    """
    # unpack once (see the note above the helpers)
    lif_i, pop_lo, pop_lif, par, kref = nrn.lif_i, nrn.pop_lo, nrn.pop_lif, nrn.par, nrn.kref
    v, ge, gi, iext = nrn.v, nrn.ge, nrn.gi, nrn.iext
    last_spike, accept = nrn.last_spike, nrn.accept
    pw_i, pw_f, row_ptr, syn_post, syn_w = syn.pw_i, syn.pw_f, syn.row_ptr, syn.syn_post, syn.syn_w
    col_ptr, col_syn, col_pre, ring, seg = syn.col_ptr, syn.col_syn, syn.col_pre, syn.ring, syn.seg
    xpre, xpre_t, xpost, xpost_t = tr.xpre, tr.xpre_t, tr.xpost, tr.xpost_t
    tab_plus, tab_minus = tr.tab_plus, tr.tab_minus
    base, src_ptr, src_ids = inp.base, inp.src_ptr, inp.src_ids
    cur_ptr, cur_ids, cur_val = inp.cur_ptr, inp.cur_ids, inp.cur_val
    pin_i, pin_w, pin_ids, pin_cnt = inp.pin_i, inp.pin_w, inp.pin_ids, inp.pin_cnt
    spk_mask, spk_step, spk_id = mon.spk_mask, mon.spk_step, mon.spk_id
    w_sched, w_syn, w_out = mon.w_sched, mon.w_syn, mon.w_out
    s_sched, s_ids, s_v, s_ge, s_gi = mon.s_sched, mon.s_ids, mon.s_v, mon.s_ge, mon.s_gi
    if trip is not None:
        r2, o2 = trip.r2, trip.o2
    if homeo is not None:
        theta, th_i, th_f = homeo.theta, homeo.th_i, homeo.th_f
        nm_i, nm_f, nm_pw, s_theta = homeo.nm_i, homeo.nm_f, homeo.nm_pw, mon.s_theta
    if nm is not None:
        m_row, m_i, m_dt, mpar, m_w, m_sw = nm.pop_row, nm.m_i, nm.m_f[0], nm.mpar, nm.w, nm.s_w
    if cl is not None:
        cl_um, cl_up, cl_ubb, cl_vp = cl.u_m, cl.u_p, cl.u_bb, cl.v_prev
        cl_lm, cl_lp, cl_delay = cl.line_m, cl.line_p, cl.delay

    n_pop = pop_lif.shape[0]
    n_pw = pw_i.shape[0]
    H = ring.shape[0]
    cap = spk_step.shape[0]
    n_mask = 0
    for j in range(spk_mask.shape[0]):
        n_mask += spk_mask[j]
    n_pin = pin_i.shape[0]
    # the postsynaptic populations of pair-rule pathways: a step in which none of them
    # spikes skips the postsynaptic phases (calling them costs ~0.2 us even when idle)
    post_mask = _post_pop_mask(pw_i)
    # whether some Vogels pathway has postsynaptic work before the presynaptic pathways
    inh_early = False
    if inh is not None:
        inh_early = _inh.any_early(inh.pathways, pw_i)

    for n in range(n_start, n_stop):
        if counters[C_NSPK] + n_mask > cap:
            return n
        if homeo is not None:
            # weight normalisation, before the monitors (plasticity/homeostasis.py)
            if nm_i.shape[0] > 0:
                _homeo.normalize(n, nm_i, nm_f, nm_pw, pw_i, col_ptr, col_syn, syn_w)
            if s_theta.shape[0] > 0:
                r = _sample_row(n, s_sched)
                if r >= 0:
                    _homeo.record_theta(r, s_ids, s_theta, theta)
        _record(n, syn_w, v, ge, gi, w_sched, w_syn, w_out, s_sched, s_ids, s_v, s_ge, s_gi)
        if nm is not None:      # noqa: SIM102 (numba prunes a lone `is not None`)
            if m_sw.shape[0] > 0:
                _models.record_w(n, s_sched, s_ids, m_sw, m_w)
        if da is not None:
            _reward.record(n, w_sched, w_syn, w_out, pw_i, pw_f, syn_w, da)
        b = n - base
        # ---- 0. injected currents that change at this step
        for k in range(cur_ptr[b], cur_ptr[b + 1]):
            iext[cur_ids[k]] = cur_val[k]

        # ---- 1.+2. input spikes of this step, then state update, threshold and reset,
        # population by population (ids ascending within the step)
        slot = n % H
        cnt = np.int64(0)     # not the literal 0: a call typed with Literal[int](0) is one more specialisation of its callee
        k = src_ptr[b]
        kend = src_ptr[b + 1]
        for q in range(n_pop):
            seg[slot, q] = cnt
            lq = pop_lif[q]
            if lq < 0:
                if nm is not None:
                    # a population of another neuron model (engine/models.py); it has no
                    # source spikes, so the loop below takes none for it
                    r = m_row[q]
                    if r >= 0:
                        if m_i[r, L.M_KIND] == L.MODEL_ADEX:
                            cnt = _models.adex_step(n, m_i[r, L.M_LO], m_i[r, L.M_HI],
                                                    m_i[r, L.M_MODE], m_i[r, L.M_HAS_IEXT] == 1,
                                                    m_dt, mpar, kref, v, ge, gi, iext,
                                                    last_spike, accept, m_w, nm.z, nm.v_th,
                                                    ring, slot, cnt)
                        else:
                            cnt = _models.izhikevich_step(n, m_i[r, L.M_LO], m_i[r, L.M_HI],
                                                          m_i[r, L.M_MODE],
                                                          m_i[r, L.M_METHOD],
                                                          m_i[r, L.M_HAS_IEXT] == 1, m_dt,
                                                          mpar, v, ge, gi, iext, last_spike,
                                                          accept, m_w, ring, slot, cnt)
                hi = pop_lo[q + 1]
                while k < kend and src_ids[k] < hi:
                    ring[slot, cnt] = src_ids[k]
                    cnt += 1
                    k += 1
            else:
                done = False
                if homeo is not None:
                    if th_i[lq, _homeo.TH_ON] == 1:     # an adaptive threshold
                        cnt = _lif_step_theta(n, lif_i[lq, LO], lif_i[lq, HI],
                                              lif_i[lq, MODE], lif_i[lq, HET],
                                              lif_i[lq, HAS_IEXT], par, kref, v, ge, gi, iext,
                                              last_spike, accept, ring, slot, cnt, theta,
                                              th_f[lq, _homeo.TH_DECAY],
                                              th_f[lq, _homeo.TH_PLUS],
                                              th_i[lq, _homeo.TH_FROZEN] == 1)
                        done = True
                if not done:
                    cnt = _lif_step(n, lif_i[lq, LO], lif_i[lq, HI], lif_i[lq, MODE],
                                    lif_i[lq, HET], lif_i[lq, HAS_IEXT], par, kref, v, ge, gi,
                                    iext, last_spike, accept, ring, slot, cnt)
        seg[slot, n_pop] = cnt
        post_spikes = False
        for q in range(n_pop):
            if (post_mask >> (q % 63)) & 1 and seg[slot, q + 1] > seg[slot, q]:
                post_spikes = True
        for k in range(cnt):
            j = ring[slot, k]
            if spk_mask[j]:
                m = counters[C_NSPK]
                spk_step[m] = n
                spk_id[m] = j
                counters[C_NSPK] = m + 1

        # ---- 3a. postsynaptic work that counts as before this step's presynaptic
        # spikes (pair-rule pathways whose same-step pairs do not potentiate)
        if pv is not None:
            if post_spikes:
                _post_phase(n, True, pw_i, pw_f, seg, ring, slot, col_ptr, col_syn, col_pre,
                            syn_w, xpre, xpre_t, xpost, xpost_t, tab_plus, tab_minus, pv,
                            kref, -1)
        if inh is not None:
            if inh_early:
                _inh.post_phase(n, True, inh.pathways, pw_i, pw_f, seg, ring, slot, col_ptr,
                                col_syn, col_pre, syn_w, xpre, xpre_t, xpost, xpost_t,
                                tab_plus)
        if da is not None:
            # reward spikes of this step (dopamine), then the reward-modulated pathways'
            # postsynaptic work that counts as before the presynaptic pathways
            _reward.rewards(n, slot, seg, pw_i, pw_f, syn_w, da)
            _reward.post_phase(n, True, pw_i, pw_f, seg, ring, slot, col_ptr, col_syn,
                               col_pre, syn_w, xpre, xpre_t, xpost, xpost_t, tab_plus,
                               tab_minus, da)

        # ---- 3b. Poisson drives, then presynaptic pathways (axonal delay: the whole
        # pathway at arrival); all of them add to the targets, so their order is free
        for d in range(n_pin):
            _deliver_counts(b, pin_i[d, PIN_COL], pin_i[d, PIN_N], pin_i[d, PIN_TARGET],
                            pin_w[d], pin_cnt, pin_ids, v, ge, gi, accept, pin_ids, -1)
        for p in range(n_pw):
            d = pw_i[p, DELAY]
            if n - d < 0:
                continue
            aslot = (n - d) % H
            q = pw_i[p, PRE_POP]
            pre_lo = pw_i[p, PRE_LO]
            target = pw_i[p, TARGET]
            row_off = pw_i[p, ROW_OFF] - pre_lo
            plastic = pw_i[p, PLASTIC] == 1
            rule = pw_i[p, RULE]
            learn = pw_i[p, LEARN] == 1
            for k in range(seg[aslot, q], seg[aslot, q + 1]):
                i = ring[aslot, k]
                s0 = row_ptr[row_off + i]
                s1 = row_ptr[row_off + i + 1]
                if not plastic:
                    _deliver_static(s0, s1, target, syn_post, syn_w, v, ge, gi, accept, True,
                                    0, 0)
                elif rule == RULE_PAIR:
                    _pair.pre_pathway(n, p, i - pre_lo, s0, s1, target, pw_i[p, POST_LO],
                                      pw_i[p, XPRE_OFF], pw_i[p, XPOST_OFF], pw_i[p, PAIRING],
                                      pw_i[p, SAME_STEP], pw_i[p, WDEP], learn,
                                      pw_i[p, XSYN_BASE], pw_f, syn_post, syn_w, xpre, xpre_t,
                                      xpost, xpost_t, tab_plus, tab_minus, v, ge, gi, accept,
                                      pv)
                else:
                    # the other families: each block exists only in kernels whose network
                    # uses the family (numba drops it when the argument is None)
                    if trip is not None:
                        if rule == L.RULE_TRIPLET:
                            _triplet.pre_pathway(n, p, i - pre_lo, s0, s1, target,
                                                 pw_i[p, POST_LO], pw_i[p, XPRE_OFF],
                                                 pw_i[p, XPOST_OFF],
                                                 pw_i[p, PAIRING] == L.PAIR_NEAREST, learn,
                                                 pw_f, syn_post, syn_w, xpre, xpre_t, xpost,
                                                 xpost_t, r2, tab_plus, tab_minus, v, ge, gi,
                                                 accept)
                    if inh is not None:
                        if rule == RULE_VOGELS:
                            _inh.pre_pathway(n, p, i - pre_lo, s0, s1, target,
                                             pw_i[p, POST_LO], pw_i[p, XPRE_OFF],
                                             pw_i[p, XPOST_OFF], learn, pw_f, syn_post, syn_w,
                                             xpre, xpre_t, xpost, xpost_t, tab_plus, v, ge, gi,
                                             accept)
                    if da is not None:
                        if rule == RULE_DOPAMINE:
                            _reward.pre_pathway(n, p, i - pre_lo, s0, s1, target, learn, pw_i,
                                                pw_f, syn_post, syn_w, xpre, xpre_t, xpost,
                                                xpost_t, tab_plus, tab_minus, v, ge, gi,
                                                accept, da)
                    if cl is not None:      # noqa: SIM102 (numba prunes a lone `is not None`)
                        if rule == L.RULE_CLOPATH:
                            _clopath.pre_pathway(n, p, i - pre_lo, s0, s1, target,
                                                 pw_i[p, POST_LO], pw_i[p, XPRE_OFF],
                                                 pw_i[p, XPOST_OFF], learn, pw_f, syn_post,
                                                 syn_w, xpre, xpre_t, tab_plus, v, ge, gi,
                                                 accept, cl_ubb, cl_lm, cl_delay)

        # ---- 3c. postsynaptic pathways (plastic projections only)
        # (written out here, not called: a call per step costs more than the whole
        # postsynaptic phase of a small network; _post_phase is the same for the variants'
        # early part)
        for p in range(n_pw if post_spikes else 0):
            if pw_i[p, PLASTIC] != 1 or pw_i[p, RULE] != RULE_PAIR:
                continue
            same = pw_i[p, SAME_STEP]
            do_inc, do_pot = _pair.post_parts(same, False)
            if not (do_inc or do_pot):
                continue
            q = pw_i[p, POST_POP]
            post_lo = pw_i[p, POST_LO]
            col_off = pw_i[p, COL_OFF] - post_lo
            learn = pw_i[p, LEARN] == 1
            for k in range(seg[slot, q], seg[slot, q + 1]):
                j = ring[slot, k]
                _pair.post_pathway(n, p, j - post_lo, col_ptr[col_off + j],
                                   col_ptr[col_off + j + 1], pw_i[p, PRE_LO], pw_i[p, XPRE_OFF],
                                   pw_i[p, XPOST_OFF], pw_i[p, PAIRING], same, pw_i[p, WDEP],
                                   learn, do_inc, do_pot, pw_i[p, XSYN_BASE], pw_f, col_syn,
                                   col_pre, syn_w, xpre, xpre_t, xpost, xpost_t, tab_plus,
                                   tab_minus, pv)
        if trip is not None:
            _triplet.post_phase(n, pw_i, pw_f, seg, ring, slot, col_ptr, col_syn, col_pre,
                                syn_w, xpre, xpre_t, xpost, xpost_t, o2, tab_plus,
                                tab_minus)
        if inh is not None:
            _inh.post_phase(n, False, inh.pathways, pw_i, pw_f, seg, ring, slot, col_ptr,
                            col_syn, col_pre, syn_w, xpre, xpre_t, xpost, xpost_t, tab_plus)
        if da is not None:
            _reward.post_phase(n, False, pw_i, pw_f, seg, ring, slot, col_ptr, col_syn,
                               col_pre, syn_w, xpre, xpre_t, xpost, xpost_t, tab_plus,
                               tab_minus, da)
        if cl is not None:
            # Clopath's voltage rule: filters of v_{n+1} and continuous LTP
            _clopath.post_phase(n, pw_i, pw_f, col_ptr, col_syn, col_pre, syn_w, xpre, xpre_t,
                                tab_plus, v, cl_um, cl_up, cl_ubb, cl_vp, cl_lm, cl_lp,
                                cl_delay)
        counters[C_STEP] = n + 1
    return n_stop


# ---------------------------------------------------------------- stale caches
def _drop_stale_caches():
    """Remove numba's cached kernels when any kernel source changed.

    numba keys a function's on-disk cache on its own file only, but a cached ``run_steps``
    holds the code of every function it calls (the rule modules', :mod:`neurolab.plasticity`,
    compiled apart and linked in: :mod:`neurolab.base.jit`): after a change to one of them
    alone (a ``git checkout``, an edit in an editable install) numba would load the old
    kernel. A digest of every kernel source, kept beside the cache files, catches that;
    the cache files of our modules are then removed, and numba compiles afresh. Unwritable
    cache folders are left alone (numba then compiles in memory or uses another folder).
    """
    import glob
    import hashlib
    import os

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sources = sorted([os.path.join(package, "engine", "kernels.py"),
                      os.path.join(package, "base", "layout.py"),
                      os.path.join(package, "base", "jit.py"),
                      os.path.join(package, "engine", "parallel.py"),
                      os.path.join(package, "engine", "models.py")]
                     + glob.glob(os.path.join(package, "plasticity", "*.py")))
    digest = hashlib.sha256()
    for path in sources:
        with open(path, "rb") as fh:
            digest.update(os.path.basename(path).encode() + b"\0" + fh.read())
    digest = digest.hexdigest()
    folders = set()
    for fn in (run_steps, _pair._pre_variant, _models.adex_step):
        try:
            folders.add(fn._cache._cache_path)
        except AttributeError:      # numba's cache layout changed: nothing to do
            return
    def fresh(stamp):
        try:
            with open(stamp) as fh:
                return fh.read().strip() == digest
        except OSError:
            return False

    for folder in folders:
        stamp = os.path.join(folder, "neurolab-kernel-sources.sha256")
        if fresh(stamp):
            continue
        # under the compile lock (one lock, in run_steps' folder, for every kernel module):
        # another process may be compiling into this folder right now
        try:
            with _compile.compile_lock():
                if fresh(stamp):                 # it was done while we waited
                    continue
                for path in glob.glob(os.path.join(folder, "*.nb[ic]")):
                    os.remove(path)
                os.makedirs(folder, exist_ok=True)
                with open(stamp, "w") as fh:
                    fh.write(digest + "\n")
        except (OSError, TimeoutError):
            pass


_compile.register_default(run_steps)
_drop_stale_caches()
