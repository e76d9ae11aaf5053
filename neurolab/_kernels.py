"""numba kernels: arrays and scalars in, preallocated arrays out; nothing else.

The step loop follows Brian2's default schedule (see DESIGN.md, "Simulation semantics"):

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

Layout (all indices global over the concatenation of populations):

``lif_i[q] = (lo, hi, mode, K)``: LIF population q occupies ``[lo, hi)``; mode 0 delta,
1 current, 2 conductance; K refractory steps.
``lif_f[q] = (v_rest, v_th, v_reset, P_m, P_e, P_i, c_e, c_i, E_e, E_i, dt/tau_m)``.
``pop_lo[q] .. pop_lo[q + 1]``: global ids of population q (insertion order);
``pop_lif[q]``: its row in ``lif_i``/``lif_f``, or -1 for a spike source.
``pw_i[p] = (delay, target, pre_lo, pre_hi, post_lo, post_hi, row_off, col_off,
xpre_off, xpost_off, plastic, pairing, pre_pop, post_pop)``: pathway p (one
projection, one delay); target 0 adds to v (delta), 1 to g_e/I_e, 2 to g_i/I_i.
``pw_f[p] = (A_plus, A_minus, dt/tau_plus, dt/tau_minus, w_min, w_max, mu_plus, mu_minus)``.
The spikes of step n are ``ring[n % H, :]``, population by population in id order:
population q's are ``seg[n % H, q] .. seg[n % H, q + 1]``, so a pathway reads only the
spikes of its own presynaptic population.
STDP traces are event-driven: ``x[k]`` holds the trace at step ``x_t[k]`` and is decayed
to the current step, ``x * exp(-(n - x_t) dt / tau)``, only when read or incremented
(what Brian2's ``(event-driven)`` traces do), so idle synapses cost nothing per step.
Synapses of pathway p with local presynaptic index r are
``row_ptr[row_off + r] .. row_ptr[row_off + r + 1]`` in ``syn_post``/``syn_w``; for a
plastic pathway the synapses onto local postsynaptic index c are
``col_syn[col_ptr[col_off + c] .. col_ptr[col_off + c + 1]]``, and ``col_pre`` holds their
presynaptic (global) ids in the same order, so potentiation reads it sequentially.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# column indices, shared with simulate.py
LO, HI, MODE, KREF = 0, 1, 2, 3
VREST, VTH, VRESET, PM, PE, PI, CE, CI, EE, EI, DTM = range(11)
(DELAY, TARGET, PRE_LO, PRE_HI, POST_LO, POST_HI, ROW_OFF, COL_OFF, XPRE_OFF, XPOST_OFF,
 PLASTIC, PAIRING, PRE_POP, POST_POP) = range(14)
A_PLUS, A_MINUS, C_PLUS, C_MINUS, W_MIN, W_MAX, MU_PLUS, MU_MINUS = range(8)
# counters
C_STEP, C_NSPK = 0, 1

MODE_DELTA, MODE_CURRENT, MODE_CONDUCTANCE = 0, 1, 2
TARGET_V, TARGET_E, TARGET_I = 0, 1, 2
PAIR_ALL, PAIR_NEAREST = 0, 1


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
def _record(n, syn_w, v, ge, gi, w_every, w_syn, w_out, s_every, s_ids, s_v, s_ge, s_gi):
    """Monitors at the start of step n (Brian2's StateMonitor runs in the 'start' slot)."""
    if w_syn.shape[0] > 0 and n % w_every == 0:
        r = n // w_every
        for k in range(w_syn.shape[0]):
            w_out[r, k] = syn_w[w_syn[k]]
    if s_ids.shape[0] > 0 and n % s_every == 0:
        r = n // s_every
        for k in range(s_ids.shape[0]):
            j = s_ids[k]
            if s_v.shape[0] > 0:
                s_v[r, k] = v[j]
            if s_ge.shape[0] > 0:
                s_ge[r, k] = ge[j]
            if s_gi.shape[0] > 0:
                s_gi[r, k] = gi[j]


@njit(cache=True, inline="always")
def _lif_step(n, lo, hi, mode, K, f, v, ge, gi, last_spike, accept, ring, slot, cnt):
    """State update, threshold and reset of the LIF population ``[lo, hi)`` for step n.

    A neuron that spiked at step s is refractory while n < s + K: ``v`` is neither
    integrated nor tested (Brian2: ``not_refractory = (n - s) >= K``, evaluated at the
    state update). The update is written without branches (a refractory neuron keeps its
    ``v`` through a select), so that the compiler can vectorise it; the threshold pass
    then appends spiking neurons to ``ring[slot]`` from position ``cnt`` on and returns
    the new count. ``accept[j]`` says whether delta input may reach neuron j in this
    step (not refractory and not spiking now: at least max(K, 1) steps since its last
    spike); a small byte array read by the synaptic loops instead of ``last_spike``.
    Unsigned loop indices spare numba's negative-index handling.
    """
    vr = f[VREST]
    pm = f[PM]
    pe = f[PE]
    pi_ = f[PI]
    a = np.uint64(lo)
    b = np.uint64(hi)
    if mode == MODE_DELTA:
        # tau_m dv/dt = v_rest - v: exact propagator
        kmin = K if K > 1 else 1
        for j in range(a, b):
            x = vr + (v[j] - vr) * pm
            v[j] = x if n >= last_spike[j] + K else v[j]
            accept[j] = n - last_spike[j] >= kmin
    elif mode == MODE_CURRENT:
        # tau_m dv/dt = v_rest - v + I_e + I_i, tau_x dI_x/dt = -I_x: exact propagator
        ce = f[CE]
        ci = f[CI]
        for j in range(a, b):
            x = vr + (v[j] - vr) * pm + ge[j] * ce + gi[j] * ci
            v[j] = x if n >= last_spike[j] + K else v[j]
            ge[j] *= pe
            gi[j] *= pi_
    else:
        # tau_m dv/dt = v_rest - v + g_e (E_e - v) + g_i (E_i - v): exponential Euler with
        # the conductances of the start of the step; conductances decay exactly
        ee = f[EE]
        ei = f[EI]
        dtm = f[DTM]
        for j in range(a, b):
            if n >= last_spike[j] + K:
                gtot = 1.0 + ge[j] + gi[j]
                vinf = (vr + ge[j] * ee + gi[j] * ei) / gtot
                v[j] = vinf + (v[j] - vinf) * math.exp(-dtm * gtot)
            ge[j] *= pe
            gi[j] *= pi_
    # threshold and reset (a refractory neuron is not tested)
    vth = f[VTH]
    vres = f[VRESET]
    for j in range(a, b):
        if v[j] > vth and n >= last_spike[j] + K:
            last_spike[j] = n
            v[j] = vres
            accept[j] = False
            ring[slot, cnt] = j
            cnt += 1
    return cnt


@njit(cache=True, inline="always")
def _deliver_static(s0, s1, target, syn_post, syn_w, v, ge, gi, accept):
    """Add the weights of synapses s0 .. s1-1 to their targets (a static pathway).

    Unsigned indices spare numba's negative-index handling in these hot loops. Delta
    input to a neuron that is refractory or spiking in this step is discarded.
    """
    a = np.uint64(s0)
    b = np.uint64(s1)
    if target == TARGET_V:
        for s in range(a, b):
            j = np.uint64(syn_post[s])
            if accept[j]:
                v[j] += syn_w[s]
    elif target == TARGET_E:
        for s in range(a, b):
            ge[np.uint64(syn_post[s])] += syn_w[s]
    else:
        for s in range(a, b):
            gi[np.uint64(syn_post[s])] += syn_w[s]


@njit(cache=True, inline="always")
def _pre_plastic(n, p, r, s0, s1, target, post_lo, xs, xq, pw_f, pairing, syn_post,
                 syn_w, v, ge, gi, accept, xpre, xpre_t, xpost, xpost_t, tab_plus,
                 tab_minus):
    """Presynaptic pathway p of a plastic projection for presynaptic (local) neuron r:
    ``x_pre += A_plus`` (or ``= A_plus``, nearest), then for each synapse deliver ``w`` and
    depress ``w -= x_post * f_minus(w)``, clipped to [w_min, w_max]. The traces of pathway
    p start at ``xs`` (pre) and ``xq`` (post) in the flat trace arrays."""
    _trace_spike(xpre, xpre_t, xs + r, n, pw_f[p, C_PLUS], tab_plus, p, pw_f[p, A_PLUS],
                 pairing)
    c_minus = pw_f[p, C_MINUS]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    mu = pw_f[p, MU_MINUS]
    off = xq - post_lo
    for s in range(s0, s1):
        j = syn_post[s]
        w = syn_w[s]
        if target == TARGET_V:
            if accept[j]:
                v[j] += w
        elif target == TARGET_E:
            ge[j] += w
        else:
            gi[j] += w
        c = off + j
        syn_w[s] = _depress(w, _trace_now(xpost[c], xpost_t[c], n, c_minus, tab_minus, p),
                            w_min, w_max, mu)


@njit(cache=True, inline="always")
def _post_plastic(n, p, c, t0, t1, pre_lo, xs, xq, pw_f, pairing, col_syn, col_pre, syn_w,
                  xpre, xpre_t, xpost, xpost_t, tab_plus, tab_minus):
    """Postsynaptic pathway p of a plastic projection for postsynaptic (local) neuron c:
    ``x_post += A_minus`` (or ``= A_minus``, nearest), then potentiate every synapse onto it,
    ``w += x_pre * f_plus(w)``, clipped to [w_min, w_max]."""
    _trace_spike(xpost, xpost_t, xq + c, n, pw_f[p, C_MINUS], tab_minus, p,
                 pw_f[p, A_MINUS], pairing)
    c_plus = pw_f[p, C_PLUS]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    mu = pw_f[p, MU_PLUS]
    off = xs - pre_lo
    for t in range(t0, t1):
        s = col_syn[t]
        r = off + col_pre[t]
        syn_w[s] = _potentiate(syn_w[s], _trace_now(xpre[r], xpre_t[r], n, c_plus, tab_plus, p),
                               w_min, w_max, mu)


@njit(cache=True)
def run_steps(n_start, n_stop,
              lif_i, lif_f, v, ge, gi, last_spike, accept,
              src_ptr, src_ids, pop_lo, pop_lif,
              ring, seg,
              pw_i, pw_f, row_ptr, syn_post, syn_w, col_ptr, col_syn, col_pre,
              xpre, xpre_t, xpost, xpost_t, tab_plus, tab_minus,
              spk_mask, spk_step, spk_id,
              w_every, w_syn, w_out,
              s_every, s_ids, s_v, s_ge, s_gi,
              counters):
    """Advance the network from step ``n_start`` to ``n_stop`` (exclusive).

    Stops early, before a step, when the spike buffers could overflow in that step; the
    step reached is kept in ``counters[C_STEP]`` after every step, so an interrupted or
    stopped call leaves a consistent state to resume from.
    """
    n_pop = pop_lif.shape[0]
    n_pw = pw_i.shape[0]
    H = ring.shape[0]
    cap = spk_step.shape[0]
    n_mask = 0
    for j in range(spk_mask.shape[0]):
        n_mask += spk_mask[j]

    for n in range(n_start, n_stop):
        if counters[C_NSPK] + n_mask > cap:
            return n
        _record(n, syn_w, v, ge, gi, w_every, w_syn, w_out, s_every, s_ids, s_v, s_ge, s_gi)

        # ---- 1.+2. input spikes of this step, then state update, threshold and reset,
        # population by population (ids ascending within the step)
        slot = n % H
        cnt = 0
        k = src_ptr[n]
        kend = src_ptr[n + 1]
        for q in range(n_pop):
            seg[slot, q] = cnt
            lq = pop_lif[q]
            if lq < 0:
                hi = pop_lo[q + 1]
                while k < kend and src_ids[k] < hi:
                    ring[slot, cnt] = src_ids[k]
                    cnt += 1
                    k += 1
            else:
                cnt = _lif_step(n, lif_i[lq, LO], lif_i[lq, HI], lif_i[lq, MODE],
                                lif_i[lq, KREF], lif_f[lq], v, ge, gi, last_spike, accept,
                                ring, slot, cnt)
        seg[slot, n_pop] = cnt
        for k in range(cnt):
            j = ring[slot, k]
            if spk_mask[j]:
                m = counters[C_NSPK]
                spk_step[m] = n
                spk_id[m] = j
                counters[C_NSPK] = m + 1

        # ---- 3a. presynaptic pathways (axonal delay: the whole pathway at arrival)
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
            for k in range(seg[aslot, q], seg[aslot, q + 1]):
                i = ring[aslot, k]
                s0 = row_ptr[row_off + i]
                s1 = row_ptr[row_off + i + 1]
                if plastic:
                    _pre_plastic(n, p, i - pre_lo, s0, s1, target, pw_i[p, POST_LO],
                                 pw_i[p, XPRE_OFF], pw_i[p, XPOST_OFF], pw_f,
                                 pw_i[p, PAIRING], syn_post, syn_w, v, ge, gi, accept,
                                 xpre, xpre_t, xpost, xpost_t, tab_plus, tab_minus)
                else:
                    _deliver_static(s0, s1, target, syn_post, syn_w, v, ge, gi, accept)

        # ---- 3b. postsynaptic pathways (plastic projections only)
        for p in range(n_pw):
            if pw_i[p, PLASTIC] != 1:
                continue
            q = pw_i[p, POST_POP]
            post_lo = pw_i[p, POST_LO]
            col_off = pw_i[p, COL_OFF] - post_lo
            for k in range(seg[slot, q], seg[slot, q + 1]):
                j = ring[slot, k]
                _post_plastic(n, p, j - post_lo, col_ptr[col_off + j],
                              col_ptr[col_off + j + 1], pw_i[p, PRE_LO], pw_i[p, XPRE_OFF],
                              pw_i[p, XPOST_OFF], pw_f, pw_i[p, PAIRING], col_syn, col_pre,
                              syn_w, xpre, xpre_t, xpost, xpost_t, tab_plus, tab_minus)
        counters[C_STEP] = n + 1
    return n_stop
