"""The step loop on several threads: :func:`run_steps_threads`, used by ``net.run(...,
threads=T)`` with T > 1.

How the work is split, and why the result cannot depend on it
--------------------------------------------------------------
The neurons are cut into ``P`` partitions of consecutive global ids (:func:`partition`:
about equal numbers of LIF neurons each). Partition ``t`` owns its neurons and everything
that is written on their behalf: their state (``v``, ``g_e``, ``g_i``, refractoriness),
their postsynaptic traces, and the weights of the synapses *onto* them. Each step has two
parallel phases, one partition per task, and serial work between them:

1. (parallel) state update, threshold and reset of the partition's neurons, exactly as
   :func:`neurolab.engine.kernels._lif_step` does them; each task lists its spikes apart;
2. (serial) the lists are joined into the step's spike ring, population by population in id
   order (partitions are ascending id ranges, so the ring is the one the one-thread kernel
   writes); spike monitors; the presynaptic traces of the spikes that arrive now (the pair
   rule's depression does not read them, so updating them first changes nothing);
3. (parallel) Poisson drives, then every presynaptic pathway, then the postsynaptic
   pathways (potentiation), each task touching only synapses onto its own neurons.

No two tasks write the same memory, so nothing needs atomics or locks, and each neuron,
trace and weight receives its updates in exactly the order of the one-thread kernel
(arrivals in ring order, synapses in row order, the same additions in the same order):
floating-point results are bitwise those of ``threads=1`` for every thread and partition
count, whatever the scheduling. A task finds its synapses in a row by binary search when
the row's targets are ascending (every connection rule but ``"explicit"`` makes them so),
or by testing each target otherwise.

What runs on threads: LIF, AdEx and Izhikevich populations of any synapse type (the
models' tables are the argument ``nm``, None for LIF-only networks, as in ``run_steps``),
static projections, and pair-
rule plasticity without the variants (all-to-all or nearest pairing, additive or soft-
bound weight dependence, same-step pairs potentiating). The other rule families,
homeostasis and the pair rule's variants are not written for it: ``simulate`` runs such a
network on one thread and says so in a warning.

The kernel is compiled (numba ``parallel=True``) only when a network first runs with
``threads > 1``; importing neurolab does not load it.

Room: ``neurolab.engine``. May import: numpy, numba, ``neurolab.base``,
``neurolab.plasticity`` and ``neurolab.engine.kernels``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import models as _models
from .kernels import (_deliver_counts, _deliver_static, _lif_step, _post_phase,
                      _post_pop_mask, _sample_row)
from ..base.jit import CALLEE
from ..base.layout import (A_PLUS, C_MINUS, C_NSPK, C_PLUS, C_STEP, DELAY, HAS_IEXT, HET, LEARN,
                           MODE, MU_MINUS, PAIR_ALL, PAIRING, PIN_COL, PIN_N, PIN_TARGET, PLASTIC,
                           POST_LO, POST_POP, PRE_HI, PRE_LO, PRE_POP, ROW_OFF, RULE, RULE_PAIR,
                           TARGET, W_MAX, W_MIN, WDEP, XPOST_OFF, XPRE_OFF)
from ..base.layout import M_HAS_IEXT, M_KIND, M_METHOD, M_MODE, MODEL_ADEX
from ..plasticity import pair as _pair


def partition(nrn, parts, model_row=None):
    """Cut every LIF population into ``parts`` ranges of consecutive ids of (nearly) equal
    size, one per partition, so that each partition gets the same share of every population
    (populations differ in their work per neuron: plastic or static input, rates).

    Returns ``(qb, owner)``: ``qb`` (int64, shape (n_pop, parts + 1)): partition t owns
    neurons ``[qb[q, t], qb[q, t + 1])`` of population q (global ids; empty for a spike
    source); ``owner`` (int64, shape (n_total,)): the partition of each neuron (-1 for
    spike sources). ``model_row``: the AdEx/Izhikevich populations' rows (``nm.pop_row``),
    partitioned like LIF populations."""
    n_pop = nrn.pop_lif.shape[0]
    qb = np.zeros((n_pop, parts + 1), dtype=np.int64)
    owner = np.full(max(nrn.v.shape[0], 1), -1, dtype=np.int64)
    for q in range(n_pop):
        lo, hi = int(nrn.pop_lo[q]), int(nrn.pop_lo[q + 1])
        if nrn.pop_lif[q] < 0 and (model_row is None or model_row[q] < 0):
            qb[q, :] = lo
            continue
        qb[q] = lo + (np.arange(parts + 1) * (hi - lo)) // parts
        for t in range(parts):
            owner[qb[q, t]:qb[q, t + 1]] = t
    return qb, owner


def rows_ascending(syn):
    """Per pathway: 1 when the targets of every row are in ascending order (a task then
    finds its part of a row by binary search), else 0."""
    pw_i, row_ptr, post = syn.pw_i, syn.row_ptr, syn.syn_post
    out = np.zeros(pw_i.shape[0], dtype=np.int64)
    for p in range(pw_i.shape[0]):
        a = pw_i[p, ROW_OFF]
        n_rows = pw_i[p, PRE_HI] - pw_i[p, PRE_LO]
        s0, s1 = int(row_ptr[a]), int(row_ptr[a + n_rows])
        t = post[s0:s1]
        if t.size < 2:
            out[p] = 1
            continue
        down = np.flatnonzero(t[1:] < t[:-1]) + s0 + 1     # positions s with post[s] < post[s-1]
        starts = row_ptr[a:a + n_rows + 1]
        # a descent is allowed only where a row starts
        out[p] = 1 if np.all(np.isin(down, starts)) else 0
    return out


@njit(**CALLEE)
def _lower_bound(post, a, b, x):
    """First s in [a, b) with post[s] >= x (post ascending on [a, b)), or b."""
    while a < b:
        m = (a + b) >> 1
        if post[m] < x:
            a = m + 1
        else:
            b = m
    return a


@njit(cache=True, parallel=True)
def run_steps_threads(n_start, n_stop, nrn, syn, tr, inp, mon, counters, qb, owner,
                      sorted_rows, buf, bseg, pv, nm):
    """:func:`neurolab.engine.kernels.run_steps` for a network of LIF populations, static
    projections and pair-rule projections without variants, on ``qb.shape[1] - 1``
    partitions run in parallel (see the module docstring; ``qb``, ``owner`` from
    :func:`partition`). ``buf`` (int64, (P, n_total)) and ``bseg`` (int64,
    (P, n_pop + 1)) are the partitions' spike lists; ``sorted_rows`` from
    :func:`rows_ascending`; ``pv`` must be None. Same stopping rule and counters as
    ``run_steps``; returns the step reached.

    One parallel region per step: the end of step n (deliveries, plasticity) and the start
    of step n + 1 (monitors, injected currents, state update, threshold, reset) run in the
    same task, as each task's part of both touches only its own neurons and synapses; the
    serial joining of the spikes sits between the start and the end of a step."""
    n_part = qb.shape[1] - 1
    pw_i = syn.pw_i
    cap = mon.spk_step.shape[0]
    n_mask = 0
    for j in range(mon.spk_mask.shape[0]):
        n_mask += mon.spk_mask[j]
    post_mask = _post_pop_mask(pw_i)
    # one prange loop only (each costs numba seconds of compilation): its task p does the
    # end of step ``prev`` (when one is pending) and the start of step ``n`` (when ``go``)
    # (the casts keep numba from compiling the parts once more for other integer types: a
    # literal -1 or False, prange's unsigned index)
    n = n_start
    prev = n_start - n_start - 1
    post_spikes = n_start > n_stop          # False, typed as a plain bool
    while True:
        go = n < n_stop and counters[C_NSPK] + n_mask <= cap
        if prev < 0 and not go:
            return n
        for t in prange(n_part):
            tt = np.int64(t)
            if prev >= 0:
                _deliver_part(prev, tt, syn, tr, inp, nrn, qb, owner, sorted_rows, post_spikes,
                              pv)
            if go:
                _start_part(n, tt, nrn, syn, inp, mon, qb, owner, buf, bseg, nm)
        if prev >= 0:
            counters[C_STEP] = prev + 1
        if not go:
            return n
        post_spikes = _join(n, nrn, syn, tr, inp, mon, counters, buf, bseg, post_mask, nm)
        prev = n
        n += 1


@njit(cache=True)
def _start_part(n, t, nrn, syn, inp, mon, qb, owner, buf, bseg, nm):
    """The start of step n for partition t (neurons ``[qb[q, t], qb[q, t + 1])`` of each
    population q): the monitors' samples of its neurons and of the synapses onto them, its
    injected-current changes, then state update, threshold and reset of its neurons
    (:func:`neurolab.engine.kernels._lif_step`), its spikes listed in ``buf[t]``, population q's
    at ``bseg[t, q] .. bseg[t, q + 1]``."""
    lif_i, pop_lif, par, kref = nrn.lif_i, nrn.pop_lif, nrn.par, nrn.kref
    v, ge, gi, iext = nrn.v, nrn.ge, nrn.gi, nrn.iext
    last_spike, accept = nrn.last_spike, nrn.accept
    w_syn, s_ids = mon.w_syn, mon.s_ids
    if w_syn.shape[0] > 0:
        r = _sample_row(n, mon.w_sched)
        if r >= 0:
            for k in range(w_syn.shape[0]):
                if owner[syn.syn_post[w_syn[k]]] == t:
                    mon.w_out[r, k] = syn.syn_w[w_syn[k]]
    if s_ids.shape[0] > 0:
        r = _sample_row(n, mon.s_sched)
        if r >= 0:
            for k in range(s_ids.shape[0]):
                j = s_ids[k]
                if owner[j] != t:
                    continue
                if mon.s_v.shape[0] > 0:
                    mon.s_v[r, k] = v[j]
                if mon.s_ge.shape[0] > 0:
                    mon.s_ge[r, k] = ge[j]
                if mon.s_gi.shape[0] > 0:
                    mon.s_gi[r, k] = gi[j]
                if nm is not None:      # noqa: SIM102 (numba prunes a lone `is not None`)
                    if nm.s_w.shape[0] > 0:
                        nm.s_w[r, k] = nm.w[j]
    b = n - inp.base
    for k in range(inp.cur_ptr[b], inp.cur_ptr[b + 1]):
        j = inp.cur_ids[k]
        if owner[j] == t:
            iext[j] = inp.cur_val[k]
    cnt = np.int64(0)
    for q in range(pop_lif.shape[0]):
        bseg[t, q] = cnt
        lq = pop_lif[q]
        if lq >= 0:
            lo = qb[q, t]
            hi = qb[q, t + 1]
            if hi > lo:
                # a homogeneous population's parameters are read at its first index: any
                # of its neurons has them
                cnt = _lif_step(n, lo, hi, lif_i[lq, MODE], lif_i[lq, HET],
                                lif_i[lq, HAS_IEXT], par, kref, v, ge, gi, iext, last_spike,
                                accept, buf, t, cnt)
        elif nm is not None:
            r = nm.pop_row[q]
            lo = qb[q, t]
            hi = qb[q, t + 1]
            if r >= 0 and hi > lo:
                m_i = nm.m_i
                if m_i[r, M_KIND] == MODEL_ADEX:
                    cnt = _models.adex_step(n, lo, hi, m_i[r, M_MODE], m_i[r, M_HAS_IEXT] == 1,
                                            nm.m_f[0], nm.mpar, kref, v, ge, gi, iext,
                                            last_spike, accept, nm.w, nm.z, nm.v_th, buf, t,
                                            cnt)
                else:
                    cnt = _models.izhikevich_step(n, lo, hi, m_i[r, M_MODE], m_i[r, M_METHOD],
                                                  m_i[r, M_HAS_IEXT] == 1, nm.m_f[0],
                                                  nm.mpar, v, ge, gi, iext, last_spike,
                                                  accept, nm.w, buf, t, cnt)
    bseg[t, pop_lif.shape[0]] = cnt


@njit(cache=True)
def _join(n, nrn, syn, tr, inp, mon, counters, buf, bseg, post_mask, nm):
    """Serial, between the start and the end of step n: the step's spikes into the ring
    (sources, then each population's partitions in id order: the one-thread order), the
    spike monitor, and the presynaptic traces of the spikes arriving now. Returns whether
    a population with plastic input spiked."""
    pop_lo, pop_lif = nrn.pop_lo, nrn.pop_lif
    ring, seg, pw_i, pw_f = syn.ring, syn.seg, syn.pw_i, syn.pw_f
    src_ids = inp.src_ids
    n_pop = pop_lif.shape[0]
    n_part = buf.shape[0]
    H = ring.shape[0]
    slot = n % H
    b = n - inp.base
    cnt = np.int64(0)
    k = inp.src_ptr[b]
    kend = inp.src_ptr[b + 1]
    for q in range(n_pop):
        seg[slot, q] = cnt
        source = pop_lif[q] < 0
        if nm is not None:          # noqa: SIM102 (numba prunes a lone `is not None`)
            if nm.pop_row[q] >= 0:
                source = False
        if source:
            hi = pop_lo[q + 1]
            while k < kend and src_ids[k] < hi:
                ring[slot, cnt] = src_ids[k]
                cnt += 1
                k += 1
        else:
            for t in range(n_part):
                for m in range(bseg[t, q], bseg[t, q + 1]):
                    ring[slot, cnt] = buf[t, m]
                    cnt += 1
    seg[slot, n_pop] = cnt
    post_spikes = False
    for q in range(n_pop):
        if (post_mask >> (q % 63)) & 1 and seg[slot, q + 1] > seg[slot, q]:
            post_spikes = True
    spk_mask = mon.spk_mask
    for k in range(cnt):
        j = ring[slot, k]
        if spk_mask[j]:
            m = counters[C_NSPK]
            mon.spk_step[m] = n
            mon.spk_id[m] = j
            counters[C_NSPK] = m + 1
    xpre, xpre_t, tab_plus = tr.xpre, tr.xpre_t, tr.tab_plus
    for p in range(pw_i.shape[0]):
        if pw_i[p, PLASTIC] != 1:
            continue
        d = pw_i[p, DELAY]
        if n - d < 0:
            continue
        aslot = (n - d) % H
        q = pw_i[p, PRE_POP]
        xs = pw_i[p, XPRE_OFF] - pw_i[p, PRE_LO]
        c_plus = pw_f[p, C_PLUS]
        a_plus = pw_f[p, A_PLUS]
        reset = pw_i[p, PAIRING] != PAIR_ALL
        for k in range(seg[aslot, q], seg[aslot, q + 1]):
            _pair.trace_spike(xpre, xpre_t, xs + ring[aslot, k], n, c_plus, tab_plus, p,
                              a_plus, reset)
    return post_spikes


@njit(cache=True)
def _deliver_part(n, t, syn, tr, inp, nrn, qb, owner, sorted_rows, post_spikes, pv):
    """The end of step n for partition t (see :func:`_start_part`): Poisson drives, the
    presynaptic pathways (delivery; depression of plastic synapses), then the postsynaptic
    pathways (trace update, potentiation), each on the synapses onto its own neurons."""
    v, ge, gi, accept = nrn.v, nrn.ge, nrn.gi, nrn.accept
    pw_i, pw_f, row_ptr, syn_post, syn_w = syn.pw_i, syn.pw_f, syn.row_ptr, syn.syn_post, syn.syn_w
    col_ptr, col_syn, col_pre, ring, seg = syn.col_ptr, syn.col_syn, syn.col_pre, syn.ring, syn.seg
    xpre, xpre_t, xpost, xpost_t = tr.xpre, tr.xpre_t, tr.xpost, tr.xpost_t
    tab_plus, tab_minus = tr.tab_plus, tr.tab_minus
    pin_i, pin_w, pin_ids, pin_cnt = inp.pin_i, inp.pin_w, inp.pin_ids, inp.pin_cnt
    n_pw = pw_i.shape[0]
    n_pin = pin_i.shape[0]
    H = ring.shape[0]
    slot = n % H
    b = n - inp.base
    for dd in range(n_pin):
        _deliver_counts(b, pin_i[dd, PIN_COL], pin_i[dd, PIN_N], pin_i[dd, PIN_TARGET],
                        pin_w[dd], pin_cnt, pin_ids, v, ge, gi, accept, owner, t)
    for p in range(n_pw):
        d = pw_i[p, DELAY]
        if n - d < 0:
            continue
        lo_t = qb[pw_i[p, POST_POP], t]
        hi_t = qb[pw_i[p, POST_POP], t + 1]
        if hi_t == lo_t:
            continue
        aslot = (n - d) % H
        q = pw_i[p, PRE_POP]
        row_off = pw_i[p, ROW_OFF] - pw_i[p, PRE_LO]
        target = pw_i[p, TARGET]
        plastic = pw_i[p, PLASTIC] == 1
        learn = pw_i[p, LEARN] == 1
        # ascending rows: [s0, s1) below holds only this partition's targets, and the
        # test per synapse drops out
        asc = sorted_rows[p] == 1
        off = pw_i[p, XPOST_OFF] - pw_i[p, POST_LO]
        c_minus = pw_f[p, C_MINUS]
        w_min = pw_f[p, W_MIN]
        w_max = pw_f[p, W_MAX]
        mu = pw_f[p, MU_MINUS]
        wdep = pw_i[p, WDEP]
        for k in range(seg[aslot, q], seg[aslot, q + 1]):
            i = ring[aslot, k]
            s0 = row_ptr[row_off + i]
            s1 = row_ptr[row_off + i + 1]
            if asc:
                s0 = _lower_bound(syn_post, s0, s1, lo_t)
                s1 = _lower_bound(syn_post, s0, s1, hi_t)
            if not plastic:
                _deliver_static(s0, s1, target, syn_post, syn_w, v, ge, gi, accept, asc,
                                lo_t, hi_t)
            else:
                # the presynaptic trace was updated in _join (depression does not read it)
                _pair.deliver_depress(n, p, s0, s1, target, off, learn, c_minus, w_min,
                                      w_max, mu, wdep, syn_post, syn_w, xpost, xpost_t,
                                      tab_minus, v, ge, gi, accept, pv, asc, lo_t, hi_t)
    if post_spikes:
        _post_phase(n, False, pw_i, pw_f, seg, ring, slot, col_ptr, col_syn, col_pre, syn_w,
                    xpre, xpre_t, xpost, xpost_t, tab_plus, tab_minus, pv, owner, t)
