"""numba kernels of the neuron models beyond LIF: AdEx (Brette & Gerstner 2005) and
Izhikevich (2003); their equations, units and integration methods are documented with
their parameters (:class:`neurolab.AdExParams`, :class:`neurolab.IzhikevichParams`).

The step loop (:func:`neurolab.engine.kernels.run_steps`) takes one optional argument,
``nm`` (a :class:`Models`), ``None`` for networks of LIF neurons only: numba then drops
every line that reads it, so the default kernel's code and compile time do not change.
Model populations keep ``pop_lif[q] = -1`` (as sources do); ``nm.pop_row[q]`` is their row
in ``nm.m_i`` (-1 for any other population). They share the network's global state arrays
(``v``, ``ge``, ``gi``, ``iext``, ``last_spike``, ``accept``, ``kref``), so delivery,
Poisson drives, currents, recording of ``v``/``ge``/``gi`` and every plasticity family work
on them as on LIF neurons; the second variable (AdEx ``w``, Izhikevich ``u``) is ``nm.w``,
its per-neuron parameters ``nm.mpar[row, j]`` (rows in :mod:`neurolab.base.layout`).

Room: ``neurolab.engine``. May import: numpy, numba, ``neurolab.base``.
"""

from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from ..base.jit import CALLEE
from ..base.layout import (
    A_A,
    A_B,
    A_C,
    A_DT,
    A_EE,
    A_EI,
    A_EL,
    A_EVH,
    A_EZH,
    A_GL,
    A_IB,
    A_ISP,
    A_KC,
    A_TE,
    A_TI,
    A_TW,
    A_VC,
    A_VP,
    A_VR,
    A_VT,
    A_VTM,
    EVERY,
    IZH_EULER,
    MODE_CONDUCTANCE,
    MODE_CURRENT,
    MODE_DELTA,
    ROW0,
    SCHED_HI,
    SCHED_LO,
    Z_A,
    Z_B,
    Z_C,
    Z_D,
    Z_EE,
    Z_EI,
    Z_IB,
    Z_PE,
    Z_PI,
    Z_VP,
)

#: ``m_f``: (dt,); ``s_w``: the recording of ``w``/``u`` of the monitored neurons; ``z``
#: (pA) and ``v_th`` (mV): the AdEx's after-spike current and adaptive threshold (Clopath
#: et al. 2010; ``z = 0``, ``v_th = V_T`` for a plain AdEx and for the other models)
Models = namedtuple("Models", ["pop_row", "m_i", "m_f", "mpar", "w", "s_w", "z", "v_th"])


@njit(**CALLEE)
def _adex_rhs(V, w, ge, gi, frozen, mode, C, gL, EL, VT, DT, VP, tw, a, I, Ee, Ei, te, ti):
    """The AdEx right-hand side (dV/dt, dw/dt, dge/dt, dgi/dt); V is read as
    ``min(V, V_peak)``; a refractory (``frozen``) neuron has dV/dt = 0. ``VT`` is the
    threshold at the stage's time and ``I`` includes the after-spike current ``z``."""
    Vc = min(VP, V)
    ex = gL * DT * math.exp((Vc - VT) / DT) if DT > 0.0 else 0.0
    if mode == MODE_DELTA:
        syn = 0.0
    elif mode == MODE_CURRENT:
        syn = ge - gi
    else:
        syn = ge * (Ee - Vc) + gi * (Ei - Vc)
    dV = 0.0 if frozen else (-gL * (Vc - EL) + ex - w + I + syn) / C
    dw = (a * (Vc - EL) - w) / tw
    return dV, dw, -ge / te, -gi / ti


@njit(**CALLEE)
def adex_step(n, lo, hi, mode, has_iext, dt, mpar, kref, v, ge, gi, iext, last_spike,
              accept, w, z, v_th, ring, slot, cnt):
    """State update (classical RK4 over ``dt`` on V, w and the synaptic variables), threshold
    ``V >= V_peak`` (not refractory) and reset (``V = V_reset``, ``w += b``) of the AdEx
    population ``[lo, hi)`` at step n; spikes are appended to ``ring[slot]`` from ``cnt``.

    Spike clamp (``Kc = mpar[A_KC, j] > 0`` steps, NEST's ``aeif_psc_delta_clopath``): the
    spike sets ``V = V_clamp`` instead of ``V_reset``; in the steps ``n_s + 1 .. n_s + Kc``
    after the spike step ``n_s`` neither ``V`` nor ``w`` is integrated, and step
    ``n_s + Kc`` ends with ``V = V_reset``; refractoriness (K steps) then counts from
    ``n_s + Kc`` as it counts from the spike step without a clamp. Delta input is
    discarded while ``V`` is frozen.

    After-spike current ``z`` (pA, ``tau_z dz/dt = -z``, enters dV/dt as ``+z / C``) and
    adaptive threshold ``v_th`` (mV, ``tau_V_th dv_th/dt = V_T - v_th``, replaces ``V_T``
    in the exponential term), NEST's ``aeif_psc_delta_clopath``: both decay exactly,
    always (also while clamped or refractory); the RK4 stages read their exact values at
    the stage times (``t``, ``t + dt/2``, ``t + dt``). A spike sets ``z = I_sp`` and
    ``v_th = V_th_max``. With ``I_sp = 0`` and ``V_th_max = V_T`` (a plain AdEx) they stay
    ``0`` and ``V_T`` and the step is the plain AdEx's, bit for bit."""
    for j in range(lo, hi):
        K = kref[j]
        Kc = int(mpar[A_KC, j])
        clamped = False
        if Kc > 0:
            clamped = n - last_spike[j] <= Kc    # V and w held
            K = K + Kc                           # refractoriness counted from n_s + Kc
        frozen = clamped or n < last_spike[j] + K
        C, gL, EL, VT = mpar[A_C, j], mpar[A_GL, j], mpar[A_EL, j], mpar[A_VT, j]
        DT, VP, tw, a = mpar[A_DT, j], mpar[A_VP, j], mpar[A_TW, j], mpar[A_A, j]
        Ee, Ei, te, ti = mpar[A_EE, j], mpar[A_EI, j], mpar[A_TE, j], mpar[A_TI, j]
        I = mpar[A_IB, j] + (iext[j] if has_iext else 0.0)
        # z and v_th at t, t + dt/2 and t + dt (exact exponential decay)
        ez, ev = mpar[A_EZH, j], mpar[A_EVH, j]
        z0 = z[j]
        zh = z0 * ez
        z1 = zh * ez
        th0 = v_th[j]
        thh = VT + (th0 - VT) * ev
        th1 = VT + (thh - VT) * ev
        V0, w0, e0, i0 = v[j], w[j], ge[j], gi[j]
        f1 = _adex_rhs(V0, w0, e0, i0, frozen, mode, C, gL, EL, th0, DT, VP, tw, a, I + z0,
                       Ee, Ei, te, ti)
        k1 = (dt * f1[0], dt * f1[1], dt * f1[2], dt * f1[3])
        f2 = _adex_rhs(V0 + 0.5 * k1[0], w0 + 0.5 * k1[1], e0 + 0.5 * k1[2],
                       i0 + 0.5 * k1[3], frozen, mode, C, gL, EL, thh, DT, VP, tw, a, I + zh,
                       Ee, Ei, te, ti)
        k2 = (dt * f2[0], dt * f2[1], dt * f2[2], dt * f2[3])
        f3 = _adex_rhs(V0 + 0.5 * k2[0], w0 + 0.5 * k2[1], e0 + 0.5 * k2[2],
                       i0 + 0.5 * k2[3], frozen, mode, C, gL, EL, thh, DT, VP, tw, a, I + zh,
                       Ee, Ei, te, ti)
        k3 = (dt * f3[0], dt * f3[1], dt * f3[2], dt * f3[3])
        f4 = _adex_rhs(V0 + k3[0], w0 + k3[1], e0 + k3[2], i0 + k3[3], frozen, mode, C, gL,
                       EL, th1, DT, VP, tw, a, I + z1, Ee, Ei, te, ti)
        k4 = (dt * f4[0], dt * f4[1], dt * f4[2], dt * f4[3])
        z[j] = z1
        v_th[j] = th1
        if not frozen:
            v[j] = V0 + (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0]) / 6.0
        if clamped:
            if n - last_spike[j] == Kc:
                v[j] = mpar[A_VR, j]
        else:
            w[j] = w0 + (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1]) / 6.0
        if mode == MODE_DELTA:
            accept[j] = n - last_spike[j] >= (max(1, K) if Kc == 0 else Kc + max(1, K - Kc))
        else:
            ge[j] = e0 + (k1[2] + 2.0 * k2[2] + 2.0 * k3[2] + k4[2]) / 6.0
            gi[j] = i0 + (k1[3] + 2.0 * k2[3] + 2.0 * k3[3] + k4[3]) / 6.0
    for j in range(lo, hi):
        # an overflow (v = inf) is not a spike: it stays, and the run reports it
        Kc = int(mpar[A_KC, j])
        if mpar[A_VP, j] <= v[j] < math.inf and n >= last_spike[j] + kref[j] + Kc:
            last_spike[j] = n
            v[j] = mpar[A_VR, j] if Kc == 0 else mpar[A_VC, j]
            w[j] += mpar[A_B, j]
            z[j] = mpar[A_ISP, j]
            v_th[j] = mpar[A_VTM, j]
            accept[j] = False
            ring[slot, cnt] = j
            cnt += 1
    return cnt


@njit(**CALLEE)
def _izh_dv(v, u, I, mode, ge, gi, Ee, Ei):
    """dv/dt of Izhikevich's model (2003), the synaptic term included."""
    if mode == MODE_CURRENT:
        I = I + ge - gi
    elif mode == MODE_CONDUCTANCE:
        I = I + ge * (Ee - v) + gi * (Ei - v)
    return 0.04 * v * v + 5.0 * v + 140.0 - u + I


@njit(**CALLEE)
def izhikevich_step(n, lo, hi, mode, method, has_iext, dt, mpar, v, ge, gi, iext, last_spike,
                    accept, w, ring, slot, cnt):
    """State update (forward Euler, or the published two half steps for v), threshold
    ``v >= v_peak`` and reset (``v = c``, ``u += d``) of the Izhikevich population
    ``[lo, hi)`` at step n; ``w`` holds ``u``. Synaptic variables then decay exactly."""
    for j in range(lo, hi):
        a, b = mpar[Z_A, j], mpar[Z_B, j]
        I = mpar[Z_IB, j] + (iext[j] if has_iext else 0.0)
        v0, u0, e0, i0 = v[j], w[j], ge[j], gi[j]
        Ee, Ei = mpar[Z_EE, j], mpar[Z_EI, j]
        if method == IZH_EULER:
            v[j] = v0 + dt * _izh_dv(v0, u0, I, mode, e0, i0, Ee, Ei)
            w[j] = u0 + dt * (a * (b * v0 - u0))
        else:
            v1 = v0 + 0.5 * dt * _izh_dv(v0, u0, I, mode, e0, i0, Ee, Ei)
            v2 = v1 + 0.5 * dt * _izh_dv(v1, u0, I, mode, e0, i0, Ee, Ei)
            v[j] = v2
            w[j] = u0 + dt * (a * (b * v2 - u0))
        if mode == MODE_DELTA:
            accept[j] = n - last_spike[j] >= 1
        else:
            ge[j] = e0 * mpar[Z_PE, j]
            gi[j] = i0 * mpar[Z_PI, j]
    for j in range(lo, hi):
        if mpar[Z_VP, j] <= v[j] < math.inf:        # (an overflow is reported, not a spike)
            last_spike[j] = n
            v[j] = mpar[Z_C, j]
            w[j] += mpar[Z_D, j]
            accept[j] = False
            ring[slot, cnt] = j
            cnt += 1
    return cnt


@njit(**CALLEE)
def record_w(n, s_sched, s_ids, s_w, w):
    """Sample ``w`` (AdEx) / ``u`` (Izhikevich) of the monitored neurons at step n."""
    every = s_sched[EVERY]
    if n < s_sched[SCHED_LO] or n >= s_sched[SCHED_HI] or n % every != 0:
        return
    r = n // every - s_sched[ROW0]
    for k in range(s_ids.shape[0]):
        s_w[r, k] = w[s_ids[k]]
