"""numba kernels: arrays and scalars in, preallocated arrays out; nothing else.

The step loop follows Brian2's default schedule (see DESIGN.md, "Simulation semantics"):

1. state update of every LIF neuron over ``dt`` (exact propagators for delta and current
   synapses, exponential Euler with start-of-step conductances for conductance synapses);
   synaptic variables decay exactly;
2. threshold (``v > v_th`` and not refractory), immediately followed by the reset (nothing
   between threshold and reset reads ``v``; delta input to a neuron that spiked in this
   step is discarded, as the reset would erase it);
3. presynaptic pathways of all projections (axonal delays: the whole pathway, STDP trace
   update included, runs when the spike arrives), then postsynaptic pathways.

Randomness never enters the kernel: Poisson and explicit input spikes arrive as a
step-sorted table built with numpy in Python.

Layout (all indices global over the concatenation of populations):

``lif_i[q] = (lo, hi, mode, K)``: LIF population q occupies ``[lo, hi)``; mode 0 delta,
1 current, 2 conductance; K refractory steps.
``lif_f[q] = (v_rest, v_th, v_reset, P_m, P_e, P_i, c_e, c_i, E_e, E_i, dt/tau_m)``.
``pw_i[p] = (delay, target, pre_lo, pre_hi, post_lo, post_hi, row_off, col_off,
xpre_off, xpost_off, plastic, pairing, K_post)``: pathway p (one projection, one delay);
target 0 adds to v (delta), 1 to g_e/I_e, 2 to g_i/I_i.
``pw_f[p] = (A_plus, A_minus, dt/tau_plus, dt/tau_minus, w_min, w_max, mu)``.
STDP traces are event-driven: ``x[k]`` holds the trace at step ``x_t[k]`` and is decayed
to the current step, ``x * exp(-(n - x_t) dt / tau)``, only when read or incremented
(what Brian2's ``(event-driven)`` traces do), so idle synapses cost nothing per step.
Synapses of pathway p with local presynaptic index r are
``row_ptr[row_off + r] .. row_ptr[row_off + r + 1]`` in ``syn_post``/``syn_w``; for a
plastic pathway the synapses onto local postsynaptic index c are
``col_syn[col_ptr[col_off + c] .. col_ptr[col_off + c + 1]]``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# column indices, shared with simulate.py
LO, HI, MODE, KREF = 0, 1, 2, 3
VREST, VTH, VRESET, PM, PE, PI, CE, CI, EE, EI, DTM = range(11)
(DELAY, TARGET, PRE_LO, PRE_HI, POST_LO, POST_HI, ROW_OFF, COL_OFF, XPRE_OFF, XPOST_OFF,
 PLASTIC, PAIRING, KPOST) = range(13)
A_PLUS, A_MINUS, C_PLUS, C_MINUS, W_MIN, W_MAX, MU = range(7)
# counters
C_STEP, C_NSPK = 0, 1

MODE_DELTA, MODE_CURRENT, MODE_CONDUCTANCE = 0, 1, 2
TARGET_V, TARGET_E, TARGET_I = 0, 1, 2
PAIR_ALL, PAIR_NEAREST = 0, 1


@njit(cache=True)
def _trace_now(x, x_t, n, c):
    """Trace value at step n, last set at step x_t, decaying with exp(-c) per step."""
    if x_t == n or x == 0.0:
        return x
    return x * math.exp(-(n - x_t) * c)


@njit(cache=True)
def _trace_on_spike(x, amplitude, pairing):
    """Trace after a spike: all-to-all pairing accumulates, nearest-neighbour resets."""
    if pairing == PAIR_NEAREST:
        return amplitude
    return x + amplitude


@njit(cache=True)
def _potentiate(w, x_pre, w_min, w_max, mu):
    """Weight after potentiation by trace ``x_pre``; soft factor ((w_max-w)/range)**mu."""
    if mu != 0.0:
        f = (w_max - w) / (w_max - w_min)
        if f > 0.0:
            x_pre = x_pre * f ** mu
        else:
            x_pre = 0.0
    w = w + x_pre
    if w > w_max:
        return w_max
    if w < w_min:
        return w_min
    return w


@njit(cache=True)
def _depress(w, x_post, w_min, w_max, mu):
    """Weight after depression by trace ``x_post``; soft factor ((w-w_min)/range)**mu."""
    if mu != 0.0:
        f = (w - w_min) / (w_max - w_min)
        if f > 0.0:
            x_post = x_post * f ** mu
        else:
            x_post = 0.0
    w = w - x_post
    if w > w_max:
        return w_max
    if w < w_min:
        return w_min
    return w


@njit(cache=True)
def run_steps(n_start, n_stop,
              lif_i, lif_f, v, ge, gi, last_spike,
              src_ptr, src_ids,
              ring, ring_count,
              pw_i, pw_f, row_ptr, syn_post, syn_w, col_ptr, col_syn, syn_pre,
              xpre, xpre_t, xpost, xpost_t,
              spk_mask, spk_step, spk_id,
              w_every, w_syn, w_out,
              s_every, s_ids, s_v, s_ge, s_gi,
              counters):
    """Advance the network from step ``n_start`` to ``n_stop`` (exclusive).

    Stops early, before a step, when the spike buffers could overflow in that step; the
    step reached is kept in ``counters[C_STEP]`` after every step, so an interrupted or
    stopped call leaves a consistent state to resume from.
    """
    n_lif = lif_i.shape[0]
    n_pw = pw_i.shape[0]
    H = ring.shape[0]
    cap = spk_step.shape[0]
    n_mask = 0
    for j in range(spk_mask.shape[0]):
        n_mask += spk_mask[j]
    n_wrec = w_syn.shape[0]
    n_srec = s_ids.shape[0]
    rec_v = s_v.shape[0] > 0
    rec_ge = s_ge.shape[0] > 0
    rec_gi = s_gi.shape[0] > 0

    for n in range(n_start, n_stop):
        if counters[C_NSPK] + n_mask > cap:
            return n
        # ---- monitors at the start of the step (Brian2 StateMonitor 'start')
        if n_wrec > 0 and n % w_every == 0:
            r = n // w_every
            for k in range(n_wrec):
                w_out[r, k] = syn_w[w_syn[k]]
        if n_srec > 0 and n % s_every == 0:
            r = n // s_every
            for k in range(n_srec):
                j = s_ids[k]
                if rec_v:
                    s_v[r, k] = v[j]
                if rec_ge:
                    s_ge[r, k] = ge[j]
                if rec_gi:
                    s_gi[r, k] = gi[j]

        # ---- 1. state update
        for q in range(n_lif):
            lo = lif_i[q, LO]
            hi = lif_i[q, HI]
            mode = lif_i[q, MODE]
            K = lif_i[q, KREF]
            vr = lif_f[q, VREST]
            pm = lif_f[q, PM]
            pe = lif_f[q, PE]
            pi_ = lif_f[q, PI]
            if mode == MODE_DELTA:
                for j in range(lo, hi):
                    if n >= last_spike[j] + K:
                        v[j] = vr + (v[j] - vr) * pm
            elif mode == MODE_CURRENT:
                ce = lif_f[q, CE]
                ci = lif_f[q, CI]
                for j in range(lo, hi):
                    if n >= last_spike[j] + K:
                        v[j] = vr + (v[j] - vr) * pm + ge[j] * ce + gi[j] * ci
                    ge[j] *= pe
                    gi[j] *= pi_
            else:
                ee = lif_f[q, EE]
                ei = lif_f[q, EI]
                dtm = lif_f[q, DTM]
                for j in range(lo, hi):
                    if n >= last_spike[j] + K:
                        gtot = 1.0 + ge[j] + gi[j]
                        vinf = (vr + ge[j] * ee + gi[j] * ei) / gtot
                        v[j] = vinf + (v[j] - vinf) * math.exp(-dtm * gtot)
                    ge[j] *= pe
                    gi[j] *= pi_
        # ---- 2. threshold (+ reset), input spikes of this step
        slot = n % H
        cnt = 0
        for k in range(src_ptr[n], src_ptr[n + 1]):
            j = src_ids[k]
            ring[slot, cnt] = j
            cnt += 1
        for q in range(n_lif):
            lo = lif_i[q, LO]
            hi = lif_i[q, HI]
            K = lif_i[q, KREF]
            vth = lif_f[q, VTH]
            vres = lif_f[q, VRESET]
            for j in range(lo, hi):
                if v[j] > vth and n >= last_spike[j] + K:
                    last_spike[j] = n
                    v[j] = vres
                    ring[slot, cnt] = j
                    cnt += 1
        ring_count[slot] = cnt
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
            pre_lo = pw_i[p, PRE_LO]
            pre_hi = pw_i[p, PRE_HI]
            post_lo = pw_i[p, POST_LO]
            target = pw_i[p, TARGET]
            row_off = pw_i[p, ROW_OFF]
            plastic = pw_i[p, PLASTIC] == 1
            Kpost = pw_i[p, KPOST]
            kmin = Kpost if Kpost > 1 else 1
            a_plus = pw_f[p, A_PLUS]
            c_plus = pw_f[p, C_PLUS]
            c_minus = pw_f[p, C_MINUS]
            w_min = pw_f[p, W_MIN]
            w_max = pw_f[p, W_MAX]
            mu = pw_f[p, MU]
            pairing = pw_i[p, PAIRING]
            xpre_off = pw_i[p, XPRE_OFF]
            xpost_off = pw_i[p, XPOST_OFF]
            for k in range(ring_count[aslot]):
                i = ring[aslot, k]
                if i < pre_lo or i >= pre_hi:
                    continue
                r = i - pre_lo
                if plastic:
                    x = xpre_off + r
                    xpre[x] = _trace_on_spike(_trace_now(xpre[x], xpre_t[x], n, c_plus),
                                              a_plus, pairing)
                    xpre_t[x] = n
                for s in range(row_ptr[row_off + r], row_ptr[row_off + r + 1]):
                    j = syn_post[s]
                    w = syn_w[s]
                    if target == TARGET_V:
                        if n - last_spike[j] >= kmin:
                            v[j] += w
                    elif target == TARGET_E:
                        ge[j] += w
                    else:
                        gi[j] += w
                    if plastic:
                        x = xpost_off + j - post_lo
                        syn_w[s] = _depress(w, _trace_now(xpost[x], xpost_t[x], n, c_minus),
                                            w_min, w_max, mu)

        # ---- 3b. postsynaptic pathways (plastic projections only)
        for p in range(n_pw):
            if pw_i[p, PLASTIC] != 1:
                continue
            pre_lo = pw_i[p, PRE_LO]
            post_lo = pw_i[p, POST_LO]
            post_hi = pw_i[p, POST_HI]
            col_off = pw_i[p, COL_OFF]
            a_minus = pw_f[p, A_MINUS]
            c_plus = pw_f[p, C_PLUS]
            c_minus = pw_f[p, C_MINUS]
            w_min = pw_f[p, W_MIN]
            w_max = pw_f[p, W_MAX]
            mu = pw_f[p, MU]
            pairing = pw_i[p, PAIRING]
            xpre_off = pw_i[p, XPRE_OFF]
            xpost_off = pw_i[p, XPOST_OFF]
            for k in range(cnt):
                j = ring[slot, k]
                if j < post_lo or j >= post_hi:
                    continue
                c = j - post_lo
                x = xpost_off + c
                xpost[x] = _trace_on_spike(_trace_now(xpost[x], xpost_t[x], n, c_minus),
                                           a_minus, pairing)
                xpost_t[x] = n
                for t in range(col_ptr[col_off + c], col_ptr[col_off + c + 1]):
                    s = col_syn[t]
                    x = xpre_off + syn_pre[s] - pre_lo
                    syn_w[s] = _potentiate(syn_w[s], _trace_now(xpre[x], xpre_t[x], n, c_plus),
                                           w_min, w_max, mu)
        counters[C_STEP] = n + 1
    return n_stop
