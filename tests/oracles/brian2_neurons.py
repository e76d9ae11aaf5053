"""Brian2 models of neurolab's AdEx and Izhikevich populations (the oracle's contract).

``brian2_run(net, pop_name, input_name, duration)`` translates one population of a neurolab
network (per-neuron parameters, initial ``v`` and ``w``/``u``, the static projections from
one explicit-spike input onto it) into Brian2 (runtime ``numpy`` target) and returns the
spike steps and the traces of ``v`` and ``w``/``u``, sampled at the start of every step.

Equations, written from the papers:

- AdEx (Brette & Gerstner 2005) in SI units, ``method='rk4'`` on the whole system (v, w and
  the synaptic currents/conductances), ``v`` read as ``clip(v, -1 V, V_peak)`` on the
  right-hand side, ``dv/dt (unless refractory)``, threshold ``v >= V_peak``, reset
  ``v = V_reset; w += b``. Delta synapses ``v_post += w*int(not_refractory_post)``.
  Clopath's after-spike current ``z`` and adaptive threshold ``V_th`` (NEST's
  ``aeif_psc_delta_clopath``), when used: their exact solutions since the last spike as
  subexpressions (no spike clamp).
- Izhikevich (2003), ``v`` in mV as a number, ``method='euler'``; the synaptic variables
  decay exactly, ``x *= exp(-dt/tau)``, in the ``before_thresholds`` slot (after the state
  update: the Euler step reads their start-of-step values). Threshold ``v >= v_peak``,
  reset ``v = c; u += d``.
"""

from __future__ import annotations

import numpy as np

ADEX = ("C", "g_L", "E_L", "V_T", "Delta_T", "V_peak", "V_reset", "tau_w", "a", "b",
        "I_bias", "tau_e", "tau_i", "E_e", "E_i")
#: Clopath's extras (NEST's aeif_psc_delta_clopath), when a population uses them
EXTRAS = ("I_sp", "tau_z", "V_th_max", "tau_V_th")
IZH = ("a", "b", "c", "d", "v_peak", "I_bias", "tau_e", "tau_i", "E_e", "E_i")


def _adex_group(pop, b2, dt):
    u = b2.units
    unit = {"C": u.pF, "g_L": u.nS, "a": u.nS, "b": u.pA, "I_bias": u.pA, "tau_w": u.ms,
            "tau_e": u.ms, "tau_i": u.ms, "I_sp": u.pA, "tau_z": u.ms, "tau_V_th": u.ms}
    dims = {"C": "farad", "g_L": "siemens", "a": "siemens", "b": "amp", "I_bias": "amp",
            "tau_w": "second", "tau_e": "second", "tau_i": "second", "I_sp": "amp",
            "tau_z": "second", "tau_V_th": "second"}
    syn = pop.params.synapse
    K = np.rint(pop.param("refractory") / dt).astype(int)
    refr = bool((K > 0).any())
    flag = " (unless refractory)" if refr else ""
    if syn == "delta":
        isyn, extra, sunit = "0*amp", "", None
    elif syn == "current":
        isyn = "Ie - Ii"
        extra = "dIe/dt = -Ie/tau_e : amp\ndIi/dt = -Ii/tau_i : amp\n"
        sunit = u.pA
    else:
        isyn = "ge*(E_e - Vc) + gi*(E_i - Vc)"
        extra = "dge/dt = -ge/tau_e : siemens\ndgi/dt = -gi/tau_i : siemens\n"
        sunit = u.nS
    extras = _adex_extras(pop)
    if extras:
        # Clopath's after-spike current and adaptive threshold, as the exact solutions of
        # tau_z dz/dt = -z and tau_V_th dV_th/dt = V_T - V_th from the end of the last
        # spike's step (lastspike + dt), where a spike sets z = I_sp and V_th = V_th_max:
        # rk4 reads them at its stage times (t, t + dt/2, t + dt), as neurolab does
        theta, zterm = "V_th", " + z"
        extra += ("z = I_sp*exp(-(t - lastspike - dt)/tau_z) : amp\n"
                  "V_th = V_T + (V_th_max - V_T)*exp(-(t - lastspike - dt)/tau_V_th) : volt\n"
                  + "".join(f"{k} : {dims.get(k, 'volt')} (constant)\n" for k in EXTRAS))
    else:
        theta, zterm = "V_T", ""
    eqs = (f"dv/dt = (-g_L*(Vc - E_L) + g_L*Delta_T*exp((Vc - {theta})/Delta_T) - w + I_bias"
           f" + {isyn}{zterm})/C : volt{flag}\n"
           "dw/dt = (a*(Vc - E_L) - w)/tau_w : amp\n"
           "Vc = clip(v, -1*volt, V_peak) : volt\n" + extra
           + "".join(f"{k} : {dims.get(k, 'volt')} (constant)\n" for k in ADEX)
           + "ref : second (constant)\n")
    # lastspike exists when refractory is given (0 ms: none)
    g = b2.NeuronGroup(pop.n, eqs, threshold="v >= V_peak", reset="v = V_reset; w += b",
                       refractory="ref" if refr or extras else False, method="rk4")
    for k in ADEX:
        setattr(g, k, pop.param(k) * unit.get(k, u.mV))
    if extras:
        for k in EXTRAS:
            value = (pop.neuron_params.get("V_th_max", pop.param("V_T")) if k == "V_th_max"
                     else pop.param(k))
            setattr(g, k, value * unit.get(k, u.mV))
    g.ref = K * dt * u.ms
    g.v = pop.v * u.mV
    g.w = pop.w * u.pA
    return g, sunit, (u.mV, u.pA), refr


def _adex_extras(pop) -> bool:
    """Whether an AdEx population uses the after-spike current or the adaptive threshold
    (the spike clamp is not modelled here: ``t_clamp`` must be 0)."""
    if (pop.param("t_clamp") > 0).any():
        raise NotImplementedError("the Brian2 oracle has no spike clamp (t_clamp > 0)")
    return bool((pop.param("I_sp") > 0).any() or "V_th_max" in pop.neuron_params)


def _izh_group(pop, b2, dt):
    syn = pop.params.synapse
    if syn == "delta":
        isyn, extra = "0", ""
    elif syn == "current":
        isyn, extra = "Ie - Ii", "Ie : 1\nIi : 1\n"
    else:
        isyn, extra = "ge*(E_e - v) + gi*(E_i - v)", "ge : 1\ngi : 1\n"
    eqs = (f"dv/dt = (0.04*v**2 + 5*v + 140 - u + I_bias + {isyn})/ms : 1\n"
           "du/dt = a*(b*v - u)/ms : 1\n" + extra
           + "".join(f"{k} : {'second' if k in ('tau_e', 'tau_i') else '1'} (constant)\n"
                     for k in IZH))
    g = b2.NeuronGroup(pop.n, eqs, threshold="v >= v_peak", reset="v = c; u += d",
                       method="euler")
    for k in IZH:
        setattr(g, k, pop.param(k) * (b2.ms if k in ("tau_e", "tau_i") else 1))
    g.v = pop.v
    g.u = pop.u
    if syn == "current":
        g.run_regularly("Ie *= exp(-dt/tau_e)\nIi *= exp(-dt/tau_i)", when="before_thresholds")
    elif syn == "conductance":
        g.run_regularly("ge *= exp(-dt/tau_e)\ngi *= exp(-dt/tau_i)", when="before_thresholds")
    return g, 1, (1, 1), False


def brian2_run(net, pop_name, input_name, duration, extra_vars=()):
    """Spike steps ((n, 2) int array of (step, id)) and ``v``, ``w``/``u`` traces
    ((n_steps, n) in mV and pA / the model's unit) of ``pop_name`` in Brian2; with
    ``extra_vars`` (AdEx: ``"z"``, ``"V_th"``) also a dict of their traces (pA, mV)."""
    import brian2 as b2

    u = b2.units
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    dt = net.dt
    b2.defaultclock.dt = dt * b2.ms
    pop = net.populations[pop_name]
    if pop.kind == "adex":
        g, sunit, (vu, wu), refr = _adex_group(pop, b2, dt)
        second = "w"
    else:
        g, sunit, (vu, wu), refr = _izh_group(pop, b2, dt)
        second = "u"
    steps, ids = net.input_spike_steps(duration)[input_name]
    src = b2.SpikeGeneratorGroup(net.populations[input_name].n, ids, steps * dt * b2.ms)
    objects = [g, src]
    syn = pop.params.synapse
    for pr in net.projections.values():
        if pr.pre.name != input_name or pr.post.name != pop_name:
            continue
        if syn == "delta":
            op = "+=" if pr.receptor == "exc" else "-="
            scale, dim = (b2.mV, "volt") if pop.kind == "adex" else (1, "1")
            code = (f"v_post {op} wt*int(not_refractory_post)" if refr
                    else f"v_post {op} wt")
        else:
            var = ("Ie" if syn == "current" else "ge") if pr.receptor == "exc" else \
                ("Ii" if syn == "current" else "gi")
            code, scale = f"{var}_post += wt", sunit
            dim = ("1" if pop.kind == "izhikevich"
                   else "amp" if syn == "current" else "siemens")
        S = b2.Synapses(src, g, "wt : " + dim, on_pre=code)
        S.connect(i=pr.pre_ids, j=pr.post_ids)
        S.wt = pr.weight * scale
        S.delay = pr.delay * b2.ms
        objects.append(S)
    sm = b2.SpikeMonitor(g)
    st = b2.StateMonitor(g, ["v", second, *extra_vars], record=True)
    objects += [sm, st]
    b2.Network(objects).run(duration * b2.ms)
    spk = np.stack([np.rint(np.asarray(sm.t / b2.ms) / dt).astype(int),
                    np.asarray(sm.i)], axis=1)
    order = np.lexsort((spk[:, 1], spk[:, 0]))
    v = np.asarray(st.v / vu).T
    w = np.asarray(getattr(st, second) / wu).T
    if extra_vars:
        scale = {"z": u.pA, "V_th": u.mV} if pop.kind == "adex" else {}
        return spk[order], v, w, {k: np.asarray(getattr(st, k) / scale.get(k, 1)).T
                                  for k in extra_vars}
    return spk[order], v, w

