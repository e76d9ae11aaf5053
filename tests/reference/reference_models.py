"""The AdEx and Izhikevich neurons of the slow reference simulator (tests/reference/reference.py).

Written from the equations in the papers and the documented semantics of
``neurolab.AdExParams`` / ``neurolab.IzhikevichParams``, not from the kernel: Python floats,
``math.exp``, one neuron at a time.

AdEx (Brette & Gerstner 2005), state y = (V, w, s_e, s_i), s_x the synaptic currents (pA)
or conductances (nS)::

    C dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_T)/Delta_T) - w + I_bias + I_syn
    tau_w dw/dt = a (V - E_L) - w,   tau_x ds_x/dt = -s_x

with V read as min(V, V_peak) on the right-hand side, dV/dt = 0 while refractory, integrated
with the classical Runge-Kutta scheme (the textbook's four stages, whole state at once).
Spike when V >= V_peak and not refractory; then V = V_reset, w += b.

Spike clamp (t_clamp > 0, Kc = round(t_clamp / dt) steps, as NEST's aeif_psc_delta_clopath):
the spike at step s sets V = V_clamp (w += b); in steps s+1 .. s+Kc V and w are held, and
step s+Kc ends with V = V_reset; the neuron then counts as refractory (v frozen, delta input
discarded, no threshold) until step s + Kc + max(1, K) (K = round(refractory / dt)).

After-spike current and adaptive threshold (Clopath et al. 2010; NEST's
aeif_psc_delta_clopath): two more state variables::

    tau_z dz/dt = -z  (z added to C dV/dt),   tau_V_th dV_th/dt = -(V_th - V_T)

with V_th in place of V_T in the exponential; they evolve also while clamped or refractory.
Their solutions are exact exponentials: the RK4 stages read them at the stage times (t,
t + dt/2, t + dt), as neurolab.AdExParams documents. A spike sets z = I_sp and
V_th = V_th_max (V_T when V_th_max is None).

Izhikevich (2003)::

    dv/dt = 0.04 v^2 + 5 v + 140 - u + I_bias + I_syn,   du/dt = a (b v - u)

forward Euler from the start-of-step values ("euler"), or v in two half steps then u from
the new v ("half_steps"); the synaptic variables then decay by exp(-dt/tau). Spike when
v >= v_peak; then v = c, u += d.
"""

from __future__ import annotations

import math

ADEX_NAMES = ("C", "g_L", "E_L", "V_T", "Delta_T", "V_peak", "V_reset", "tau_w", "a", "b",
              "refractory", "I_bias", "tau_e", "tau_i", "E_e", "E_i", "t_clamp", "V_clamp")
IZH_NAMES = ("a", "b", "c", "d", "v_peak", "I_bias", "tau_e", "tau_i", "E_e", "E_i")


def make_state(pop, dt):
    """The reference's state dict of an AdEx or Izhikevich population (the keys the LIF
    reference uses for delivery: ``p``, ``n``, ``v``, ``ge``, ``gi``, ``last``, ``K``)."""
    names = ADEX_NAMES if pop.kind == "adex" else IZH_NAMES
    q = {f: [float(x) for x in pop.param(f)] for f in names}
    n = int(pop.n)
    second = pop.w if pop.kind == "adex" else pop.u
    K = ([round(q["refractory"][i] / dt) for i in range(n)] if pop.kind == "adex"
         else [0] * n)
    Kc = ([round(q["t_clamp"][i] / dt) for i in range(n)] if pop.kind == "adex"
          else [0] * n)
    # with a clamp, "refractory" (v frozen, no input, no threshold) spans the clamp too
    K = [k if c == 0 else c + max(1, k) for k, c in zip(K, Kc)]
    return {"model": pop.kind, "p": pop.params, "q": q, "n": n,
            "v": [float(x) for x in pop.v], "w": [float(x) for x in second],
            "ge": [0.0] * n, "gi": [0.0] * n, "last": [None] * n, "K": K, "Kc": Kc, "v_rec": [],
            "w_rec": [], "z": [0.0] * n,
            "vth": list(q["V_T"]) if pop.kind == "adex" else [0.0] * n}


def _adex_f(y, zt, q, i, synapse, frozen):
    """dy/dt for y = (V, w, s_e, s_i) with z and V_th at the stage's time (zt)."""
    V, w, se, si = y
    z, vth = zt
    Vc = min(V, q["V_peak"][i])
    dT = q["Delta_T"][i]
    gL = q["g_L"][i]
    spike = gL * dT * math.exp((Vc - vth) / dT) if dT > 0 else 0.0
    if synapse == "delta":
        syn = 0.0
    elif synapse == "current":
        syn = se - si
    else:
        syn = se * (q["E_e"][i] - Vc) + si * (q["E_i"][i] - Vc)
    dV = 0.0 if frozen else (-gL * (Vc - q["E_L"][i]) + spike - w + q["I_bias"][i] + z
                             + syn) / q["C"][i]
    dw = (q["a"][i] * (Vc - q["E_L"][i]) - w) / q["tau_w"][i]
    return [dV, dw, -se / q["tau_e"][i], -si / q["tau_i"][i]]


def _z_vth(st, i, t):
    """z and V_th of neuron i a time t (ms) after the start of the step."""
    p, VT = st["p"], st["q"]["V_T"][i]
    return (st["z"][i] * math.exp(-t / p.tau_z),
            VT + (st["vth"][i] - VT) * math.exp(-t / p.tau_V_th))


def update(st, i, dt, frozen, n=None):
    """Integrate neuron i of a model population over step n."""
    q = st["q"]
    synapse = st["p"].synapse
    if st["model"] == "adex":
        last, Kc = st["last"][i], st["Kc"][i]
        clamped = Kc > 0 and last is not None and n - last <= Kc
        y = [st["v"][i], st["w"][i], st["ge"][i], st["gi"][i]]
        z0, zh, z1 = _z_vth(st, i, 0.0), _z_vth(st, i, dt / 2), _z_vth(st, i, dt)
        k1 = [dt * x for x in _adex_f(y, z0, q, i, synapse, frozen)]
        k2 = [dt * x for x in _adex_f([a + b / 2 for a, b in zip(y, k1)], zh, q, i, synapse,
                                      frozen)]
        k3 = [dt * x for x in _adex_f([a + b / 2 for a, b in zip(y, k2)], zh, q, i, synapse,
                                      frozen)]
        k4 = [dt * x for x in _adex_f([a + b for a, b in zip(y, k3)], z1, q, i, synapse,
                                      frozen)]
        new = [y[m] + (k1[m] + 2 * k2[m] + 2 * k3[m] + k4[m]) / 6 for m in range(4)]
        st["z"][i], st["vth"][i] = z1
        if not frozen:
            st["v"][i] = new[0]
        if clamped:
            if n - last == Kc:
                st["v"][i] = q["V_reset"][i]
        else:
            st["w"][i] = new[1]
        if synapse != "delta":
            st["ge"][i], st["gi"][i] = new[2], new[3]
        return
    v, u, se, si = st["v"][i], st["w"][i], st["ge"][i], st["gi"][i]

    def f(x):
        if synapse == "current":
            syn = se - si
        elif synapse == "conductance":
            syn = se * (q["E_e"][i] - x) + si * (q["E_i"][i] - x)
        else:
            syn = 0.0
        return 0.04 * x * x + 5.0 * x + 140.0 - u + q["I_bias"][i] + syn

    if st["p"].method == "euler":
        st["v"][i] = v + dt * f(v)
        st["w"][i] = u + dt * q["a"][i] * (q["b"][i] * v - u)
    else:
        half = v + dt / 2 * f(v)
        new = half + dt / 2 * f(half)
        st["v"][i] = new
        st["w"][i] = u + dt * q["a"][i] * (q["b"][i] * new - u)
    if synapse != "delta":
        st["ge"][i] = se * math.exp(-dt / q["tau_e"][i])
        st["gi"][i] = si * math.exp(-dt / q["tau_i"][i])


def crosses(st, i):
    """Whether neuron i is above its spike cut-off."""
    peak = st["q"]["V_peak" if st["model"] == "adex" else "v_peak"][i]
    return st["v"][i] >= peak


def reset(st, i):
    q = st["q"]
    if st["model"] == "adex":
        st["v"][i] = q["V_reset"][i] if st["Kc"][i] == 0 else q["V_clamp"][i]
        st["w"][i] += q["b"][i]
        p = st["p"]
        st["z"][i] = p.I_sp
        st["vth"][i] = q["V_T"][i] if p.V_th_max is None else p.V_th_max
    else:
        st["v"][i] = q["c"][i]
        st["w"][i] += q["d"][i]
