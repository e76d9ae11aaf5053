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
   update included, runs when the spike arrives), then postsynaptic pathways.

Randomness never enters the kernel: Poisson and explicit input spikes arrive as a
step-sorted table built with numpy in Python.

Layout (all indices global over the concatenation of populations). The kernel takes five
named tuples of arrays (:class:`Neurons`, :class:`Pathways`, :class:`Traces`,
:class:`Inputs`, :class:`Monitors`) and a counter array:

``Neurons``: ``lif_i[q] = (lo, hi, mode)``: LIF population q occupies ``[lo, hi)``; mode 0
delta, 1 current, 2 conductance. ``pop_lo[q] .. pop_lo[q + 1]``: global ids of population q
(insertion order); ``pop_lif[q]``: its row in ``lif_i``, or -1 for a spike source.
``par[:, j]``: the parameters of neuron j, rows ``(v_rest, v_th, v_reset, P_m, P_e, P_i,
c_e, c_i, E_e, E_i, dt/tau_m, I_bias)``; ``kref[j]``: its refractory steps. State: ``v``,
``ge``, ``gi`` (conductances, or the non-negative currents ``I_e``, ``I_i``), ``iext``
(injected current, mV), ``last_spike`` (step), ``accept`` (delta input allowed this step).

``Pathways``: ``pw_i[p] = (delay, target, pre_lo, pre_hi, post_lo, post_hi, row_off,
col_off, xpre_off, xpost_off, plastic, pairing, pre_pop, post_pop, learn)``: pathway p (one
projection, one delay); target 0 adds ``w`` to v (delta, excitatory), 3 subtracts it
(delta, inhibitory), 1 adds to g_e/I_e, 2 to g_i/I_i. ``learn`` 0 freezes the weights of a
plastic pathway (its traces still follow the spikes).
``pw_f[p] = (A_plus, A_minus, dt/tau_plus, dt/tau_minus, w_min, w_max, mu_plus, mu_minus)``.
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
step; ``tab_plus``/``tab_minus[p, d]`` hold the decay factors of short lags.

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
``w_sched``/``s_sched = (every, lo, hi, row0)``.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np
from numba import njit

# column indices, shared with the table builder
LO, HI, MODE = 0, 1, 2
VREST, VTH, VRESET, PM, PE, PI, CE, CI, EE, EI, DTM, IB = range(12)
N_PAR = 12
(DELAY, TARGET, PRE_LO, PRE_HI, POST_LO, POST_HI, ROW_OFF, COL_OFF, XPRE_OFF, XPOST_OFF,
 PLASTIC, PAIRING, PRE_POP, POST_POP, LEARN) = range(15)
N_PW_I = 15
A_PLUS, A_MINUS, C_PLUS, C_MINUS, W_MIN, W_MAX, MU_PLUS, MU_MINUS = range(8)
N_PW_F = 8
PIN_LO, PIN_N, PIN_TARGET, PIN_COL = range(4)
EVERY, SCHED_LO, SCHED_HI, ROW0 = range(4)
# counters
C_STEP, C_NSPK = 0, 1

MODE_DELTA, MODE_CURRENT, MODE_CONDUCTANCE = 0, 1, 2
TARGET_V, TARGET_E, TARGET_I, TARGET_V_INH = 0, 1, 2, 3
PAIR_ALL, PAIR_NEAREST = 0, 1

Neurons = namedtuple("Neurons", ["lif_i", "pop_lo", "pop_lif", "par", "kref", "v", "ge", "gi",
                                 "iext", "last_spike", "accept"])
Pathways = namedtuple("Pathways", ["pw_i", "pw_f", "row_ptr", "syn_post", "syn_w", "col_ptr",
                                   "col_syn", "col_pre", "ring", "seg"])
Traces = namedtuple("Traces", ["xpre", "xpre_t", "xpost", "xpost_t", "tab_plus",
                               "tab_minus"])
Inputs = namedtuple("Inputs", ["base", "src_ptr", "src_ids", "cur_ptr", "cur_ids", "cur_val",
                               "pin_i", "pin_w", "pin_ids", "pin_cnt"])
Monitors = namedtuple("Monitors", ["spk_mask", "spk_step", "spk_id", "w_sched", "w_syn",
                                   "w_out", "s_sched", "s_ids", "s_v", "s_ge", "s_gi"])


@njit(cache=True, inline="always")
def _trace_now(x, x_t, n, c, table, p):
    """Trace value at step n, last set at step x_t, decaying by exp(-c) per step; the factor
    comes from row p of ``table`` (same values as math.exp) when the lag is short."""
    if x_t == n or x == 0.0:
        return x
    d = n - x_t
    if d < table.shape[1]:
        return x * table[p, d]
    return x * math.exp(-d * c)


@njit(cache=True, inline="always")
def _trace_spike(x, x_t, k, n, c, table, p, amplitude, pairing):
    """Trace k after its neuron's spike at step n, in place: all-to-all pairing adds
    ``amplitude`` to the decayed trace, nearest-neighbour pairing resets it to ``amplitude``."""
    if pairing == PAIR_NEAREST:
        x[k] = amplitude
    else:
        x[k] = _trace_now(x[k], x_t[k], n, c, table, p) + amplitude
    x_t[k] = n


@njit(cache=True, inline="always")
def _weight_step(w, dw, f, mu, w_min, w_max):
    """``w + dw * f**mu`` clipped to [w_min, w_max]; ``f`` is the soft-bound factor of the
    update's direction (Guetig et al. 2003), ignored when ``mu`` is 0 (additive rule)."""
    if mu != 0.0:
        dw = dw * f ** mu if f > 0.0 else 0.0
    w = w + dw
    if w > w_max:
        return w_max
    if w < w_min:
        return w_min
    return w


@njit(cache=True, inline="always")
def _potentiate(w, x_pre, w_min, w_max, mu):
    """Weight after potentiation by trace ``x_pre``; soft factor ((w_max-w)/range)**mu."""
    return _weight_step(w, x_pre, (w_max - w) / (w_max - w_min), mu, w_min, w_max)


@njit(cache=True, inline="always")
def _depress(w, x_post, w_min, w_max, mu):
    """Weight after depression by trace ``x_post``; soft factor ((w-w_min)/range)**mu."""
    return _weight_step(w, -x_post, (w - w_min) / (w_max - w_min), mu, w_min, w_max)


@njit(cache=True, inline="always")
def _sample_row(n, sched):
    """Row of step n in a sampled recording, or -1 when step n is not sampled."""
    every = sched[EVERY]
    if n < sched[SCHED_LO] or n >= sched[SCHED_HI] or n % every != 0:
        return -1
    return n // every - sched[ROW0]


@njit(cache=True, inline="always")
def _record(n, nrn, syn_w, mon):
    """Monitors at the start of step n (Brian2's StateMonitor runs in the 'start' slot)."""
    if mon.w_syn.shape[0] > 0:
        r = _sample_row(n, mon.w_sched)
        if r >= 0:
            for k in range(mon.w_syn.shape[0]):
                mon.w_out[r, k] = syn_w[mon.w_syn[k]]
    if mon.s_ids.shape[0] > 0:
        r = _sample_row(n, mon.s_sched)
        if r >= 0:
            for k in range(mon.s_ids.shape[0]):
                j = mon.s_ids[k]
                if mon.s_v.shape[0] > 0:
                    mon.s_v[r, k] = nrn.v[j]
                if mon.s_ge.shape[0] > 0:
                    mon.s_ge[r, k] = nrn.ge[j]
                if mon.s_gi.shape[0] > 0:
                    mon.s_gi[r, k] = nrn.gi[j]


@njit(cache=True, inline="always")
def _lif_step(n, lo, hi, mode, nrn, ring, slot, cnt):
    """State update, threshold and reset of the LIF population ``[lo, hi)`` for step n.

    A neuron that spiked at step s is refractory while n < s + K: ``v`` is neither
    integrated nor tested (Brian2: ``not_refractory = (n - s) >= K``, evaluated at the
    state update). Each neuron has its own parameters (``par[:, j]``); the input to the
    membrane is ``u = v_rest + I_bias + I_ext``, the steady state without synaptic input.
    The update is written without branches (a refractory neuron keeps its ``v`` through a
    select), so that the compiler can vectorise it; the threshold pass then appends spiking
    neurons to ``ring[slot]`` from position ``cnt`` on and returns the new count.
    ``accept[j]`` says whether delta input may reach neuron j in this step (not refractory
    and not spiking now: at least max(K, 1) steps since its last spike).
    Unsigned loop indices spare numba's negative-index handling.
    """
    par = nrn.par
    v = nrn.v
    ge = nrn.ge
    gi = nrn.gi
    iext = nrn.iext
    last_spike = nrn.last_spike
    kref = nrn.kref
    a = np.uint64(lo)
    b = np.uint64(hi)
    if mode == MODE_DELTA:
        # tau_m dv/dt = u - v: exact propagator
        accept = nrn.accept
        for j in range(a, b):
            u = par[VREST, j] + par[IB, j] + iext[j]
            x = u + (v[j] - u) * par[PM, j]
            K = kref[j]
            v[j] = x if n >= last_spike[j] + K else v[j]
            accept[j] = n - last_spike[j] >= (K if K > 1 else 1)
    elif mode == MODE_CURRENT:
        # tau_m dv/dt = u - v + I_e - I_i, tau_x dI_x/dt = -I_x: exact propagator
        for j in range(a, b):
            u = par[VREST, j] + par[IB, j] + iext[j]
            x = u + (v[j] - u) * par[PM, j] + ge[j] * par[CE, j] - gi[j] * par[CI, j]
            v[j] = x if n >= last_spike[j] + kref[j] else v[j]
            ge[j] *= par[PE, j]
            gi[j] *= par[PI, j]
    else:
        # tau_m dv/dt = u - v + g_e (E_e - v) + g_i (E_i - v): exponential Euler with
        # the conductances of the start of the step; conductances decay exactly
        for j in range(a, b):
            if n >= last_spike[j] + kref[j]:
                gtot = 1.0 + ge[j] + gi[j]
                vinf = (par[VREST, j] + par[IB, j] + iext[j] + ge[j] * par[EE, j]
                        + gi[j] * par[EI, j]) / gtot
                v[j] = vinf + (v[j] - vinf) * math.exp(-par[DTM, j] * gtot)
            ge[j] *= par[PE, j]
            gi[j] *= par[PI, j]
    # threshold and reset (a refractory neuron is not tested)
    for j in range(a, b):
        if v[j] > par[VTH, j] and n >= last_spike[j] + kref[j]:
            last_spike[j] = n
            v[j] = par[VRESET, j]
            nrn.accept[j] = False
            ring[slot, cnt] = j
            cnt += 1
    return cnt


@njit(cache=True, inline="always")
def _deliver(j, w, target, nrn):
    """Add the weight ``w`` of one arriving spike to neuron j's target variable. Delta
    input to a neuron that is refractory or spiking in this step is discarded."""
    if target == TARGET_V:
        if nrn.accept[j]:
            nrn.v[j] += w
    elif target == TARGET_V_INH:
        if nrn.accept[j]:
            nrn.v[j] -= w
    elif target == TARGET_E:
        nrn.ge[j] += w
    else:
        nrn.gi[j] += w


@njit(cache=True, inline="always")
def _deliver_static(s0, s1, target, syn_post, syn_w, nrn):
    """Add the weights of synapses s0 .. s1-1 to their targets (a static pathway).

    Unsigned indices spare numba's negative-index handling in these hot loops. Delta
    input to a neuron that is refractory or spiking in this step is discarded.
    """
    a = np.uint64(s0)
    b = np.uint64(s1)
    v = nrn.v
    accept = nrn.accept
    if target == TARGET_V:
        for s in range(a, b):
            j = np.uint64(syn_post[s])
            if accept[j]:
                v[j] += syn_w[s]
    elif target == TARGET_V_INH:
        for s in range(a, b):
            j = np.uint64(syn_post[s])
            if accept[j]:
                v[j] -= syn_w[s]
    elif target == TARGET_E:
        ge = nrn.ge
        for s in range(a, b):
            ge[np.uint64(syn_post[s])] += syn_w[s]
    else:
        gi = nrn.gi
        for s in range(a, b):
            gi[np.uint64(syn_post[s])] += syn_w[s]


@njit(cache=True, inline="always")
def _pre_plastic(n, p, r, s0, s1, target, post_lo, xs, xq, pairing, learn, syn, tr, nrn):
    """Presynaptic pathway p of a plastic projection for presynaptic (local) neuron r:
    ``x_pre += A_plus`` (or ``= A_plus``, nearest), then for each synapse deliver ``w`` and
    depress ``w -= x_post * f_minus(w)``, clipped to [w_min, w_max] (unless learning is
    frozen). The traces of pathway p start at ``xs`` (pre) and ``xq`` (post)."""
    pw_f = syn.pw_f
    _trace_spike(tr.xpre, tr.xpre_t, xs + r, n, pw_f[p, C_PLUS], tr.tab_plus, p,
                 pw_f[p, A_PLUS], pairing)
    syn_post = syn.syn_post
    syn_w = syn.syn_w
    if not learn:
        _deliver_static(s0, s1, target, syn_post, syn_w, nrn)
        return
    c_minus = pw_f[p, C_MINUS]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    mu = pw_f[p, MU_MINUS]
    off = xq - post_lo
    xpost = tr.xpost
    xpost_t = tr.xpost_t
    tab = tr.tab_minus
    for s in range(s0, s1):
        j = syn_post[s]
        w = syn_w[s]
        _deliver(j, w, target, nrn)
        c = off + j
        syn_w[s] = _depress(w, _trace_now(xpost[c], xpost_t[c], n, c_minus, tab, p),
                            w_min, w_max, mu)


@njit(cache=True, inline="always")
def _post_plastic(n, p, c, t0, t1, pre_lo, xs, xq, pairing, learn, syn, tr):
    """Postsynaptic pathway p of a plastic projection for postsynaptic (local) neuron c:
    ``x_post += A_minus`` (or ``= A_minus``, nearest), then potentiate every synapse onto it,
    ``w += x_pre * f_plus(w)``, clipped to [w_min, w_max] (unless learning is frozen)."""
    pw_f = syn.pw_f
    _trace_spike(tr.xpost, tr.xpost_t, xq + c, n, pw_f[p, C_MINUS], tr.tab_minus, p,
                 pw_f[p, A_MINUS], pairing)
    if not learn:
        return
    c_plus = pw_f[p, C_PLUS]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    mu = pw_f[p, MU_PLUS]
    off = xs - pre_lo
    col_syn = syn.col_syn
    col_pre = syn.col_pre
    syn_w = syn.syn_w
    xpre = tr.xpre
    xpre_t = tr.xpre_t
    tab = tr.tab_plus
    for t in range(t0, t1):
        s = col_syn[t]
        r = off + col_pre[t]
        syn_w[s] = _potentiate(syn_w[s], _trace_now(xpre[r], xpre_t[r], n, c_plus, tab, p),
                               w_min, w_max, mu)


@njit(cache=True)
def run_steps(n_start, n_stop, nrn, syn, tr, inp, mon, counters):
    """Advance the network from step ``n_start`` to ``n_stop`` (exclusive).

    Stops early, before a step, when the spike buffers could overflow in that step; the
    step reached is kept in ``counters[C_STEP]`` after every step, so an interrupted or
    stopped call leaves a consistent state to resume from. Every step's effect depends
    only on the state and the inputs of that step, so the result does not depend on how
    a run is cut into calls.
    """
    pop_lif = nrn.pop_lif
    pop_lo = nrn.pop_lo
    lif_i = nrn.lif_i
    n_pop = pop_lif.shape[0]
    pw_i = syn.pw_i
    n_pw = pw_i.shape[0]
    ring = syn.ring
    seg = syn.seg
    row_ptr = syn.row_ptr
    col_ptr = syn.col_ptr
    H = ring.shape[0]
    spk_mask = mon.spk_mask
    cap = mon.spk_step.shape[0]
    n_mask = 0
    for j in range(spk_mask.shape[0]):
        n_mask += spk_mask[j]
    base = inp.base
    n_pin = inp.pin_i.shape[0]

    for n in range(n_start, n_stop):
        if counters[C_NSPK] + n_mask > cap:
            return n
        _record(n, nrn, syn.syn_w, mon)
        b = n - base
        # ---- 0. injected currents that change at this step
        for k in range(inp.cur_ptr[b], inp.cur_ptr[b + 1]):
            nrn.iext[inp.cur_ids[k]] = inp.cur_val[k]

        # ---- 1.+2. input spikes of this step, then state update, threshold and reset,
        # population by population (ids ascending within the step)
        slot = n % H
        cnt = 0
        k = inp.src_ptr[b]
        kend = inp.src_ptr[b + 1]
        for q in range(n_pop):
            seg[slot, q] = cnt
            lq = pop_lif[q]
            if lq < 0:
                hi = pop_lo[q + 1]
                while k < kend and inp.src_ids[k] < hi:
                    ring[slot, cnt] = inp.src_ids[k]
                    cnt += 1
                    k += 1
            else:
                cnt = _lif_step(n, lif_i[lq, LO], lif_i[lq, HI], lif_i[lq, MODE], nrn,
                                ring, slot, cnt)
        seg[slot, n_pop] = cnt
        for k in range(cnt):
            j = ring[slot, k]
            if spk_mask[j]:
                m = counters[C_NSPK]
                mon.spk_step[m] = n
                mon.spk_id[m] = j
                counters[C_NSPK] = m + 1

        # ---- 3a. Poisson drives, then presynaptic pathways (axonal delay: the whole
        # pathway at arrival); all of them add to the targets, so their order is free
        for d in range(n_pin):
            col = inp.pin_i[d, PIN_COL]
            target = inp.pin_i[d, PIN_TARGET]
            w = inp.pin_w[d]
            for j in range(inp.pin_i[d, PIN_N]):
                c = inp.pin_cnt[b, col + j]
                if c != 0:
                    _deliver(inp.pin_ids[col + j], c * w, target, nrn)
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
            learn = pw_i[p, LEARN] == 1
            for k in range(seg[aslot, q], seg[aslot, q + 1]):
                i = ring[aslot, k]
                s0 = row_ptr[row_off + i]
                s1 = row_ptr[row_off + i + 1]
                if plastic:
                    _pre_plastic(n, p, i - pre_lo, s0, s1, target, pw_i[p, POST_LO],
                                 pw_i[p, XPRE_OFF], pw_i[p, XPOST_OFF], pw_i[p, PAIRING],
                                 learn, syn, tr, nrn)
                else:
                    _deliver_static(s0, s1, target, syn.syn_post, syn.syn_w, nrn)

        # ---- 3b. postsynaptic pathways (plastic projections only)
        for p in range(n_pw):
            if pw_i[p, PLASTIC] != 1:
                continue
            q = pw_i[p, POST_POP]
            post_lo = pw_i[p, POST_LO]
            col_off = pw_i[p, COL_OFF] - post_lo
            learn = pw_i[p, LEARN] == 1
            for k in range(seg[slot, q], seg[slot, q + 1]):
                j = ring[slot, k]
                _post_plastic(n, p, j - post_lo, col_ptr[col_off + j],
                              col_ptr[col_off + j + 1], pw_i[p, PRE_LO], pw_i[p, XPRE_OFF],
                              pw_i[p, XPOST_OFF], pw_i[p, PAIRING], learn, syn, tr)
        counters[C_STEP] = n + 1
    return n_stop
