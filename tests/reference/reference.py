"""A slow, obviously-correct pure-Python reference simulator for neurolab networks.

Written from the semantics in /work/shared/DESIGN.md ("Simulation semantics") and the API
contract, independently of ``neurolab/_kernels.py``: plain Python loops, Python floats and
``math.exp``; no numpy in the arithmetic. The tests compare the numba kernel with it on small
random networks (``tests/test_kernel_vs_reference.py``).

It reads only the documented attributes of a ``neurolab.Network``:
``net.dt``, ``net.populations`` (``.name``, ``.n``, ``.kind``, ``.params.synapse``,
``.param(name)`` per neuron, ``.v``), ``net.projections`` (``.pre``, ``.post``, ``.pre_ids``,
``.post_ids``, ``.weight``, ``.delay``, ``.receptor``, ``.stdp``, ``.learning``) and
``net.input_spike_steps(duration)``; it simulates from a fresh network (t = 0), so call it
before running the network itself.

Units: ms, mV; weights in mV (delta, current synapses) or relative to the leak conductance
(conductance synapses).

Schedule of step ``n`` (time ``t = n*dt``), Brian2's default ``groups, thresholds, synapses,
resets``:

1. state update over ``[t, t + dt)``. ``not_refractory = n - lastspike >= K`` with
   ``K = round(refractory / dt)`` (``K = 0``: never refractory). ``v`` is integrated only when
   not refractory; synaptic currents/conductances always decay.
   Every parameter is per neuron; ``u = v_rest + I_bias``.
   - delta:       v <- u + (v - u) e_m,            e_m = exp(-dt / tau_m)
   - current:     v <- u + (v - u) e_m + I_e P_e - I_i P_i, then I_x <- I_x e_x,
                  with P_x the exact propagator derived below (I_i >= 0 is inhibitory)
   - conductance: exponential Euler with g at the start of the step,
                  G = 1 + g_e + g_i, v_inf = (u + g_e E_e + g_i E_i) / G,
                  v <- v_inf + (v - v_inf) exp(-dt G / tau_m), then g_x <- g_x e_x
2. threshold: spike when ``v > v_th`` and not refractory; ``lastspike = n`` at once, so the
   neuron counts as refractory during the rest of this step when ``K > 0``.
3. synaptic pathways of the spikes of this step: the presynaptic pathway of every
   projection (insertion order) and the postsynaptic pathway of every plastic projection,
   in the order the rule says (below).
   Delays are axonal: a spike of step ``s`` runs the whole presynaptic pathway of synapse
   ``k`` (delivery and plasticity) at step ``s + round(delay_k / dt)``.
   - delivery (weights are magnitudes >= 0): delta ``v += w`` ("exc") or ``v -= w``
     ("inh") unless refractory (discarded while refractory, spike step included);
     current ``I_e += w`` ("exc") or ``I_i += w`` ("inh"); conductance
     ``g_e += w`` or ``g_i += w`` (also while refractory).
   - plasticity: each rule family has its own file with the rule in its plainest form
     (explicit spike lists, no traces): the pair rule ``STDPParams`` / ``PowerLawSTDP``
     in tests/reference_pair.py and the Vogels rule in tests/reference_vogels.py
     (``FAMILIES``: hooks ``on_post(..., early=True)`` before the presynaptic pathways,
     ``on_pre`` after each delivery, ``on_post(..., early=False)`` after them), the
     triplet rule ``TripletSTDP`` in tests/reference_triplet.py, Clopath's voltage rule
     ``ClopathSTDP`` in tests/reference_clopath.py (its LTP after the reset, step 5). A rule's postsynaptic
     events of a step come before or after the step's arrivals as its ``same_step`` says.
   - reward-modulated STDP (``RewardSTDP``): tests/reference_reward.py (explicit sums over
     pairs and reward spikes, exact integral of ``dw/dt = c (d - b)`` between events).
4. reset: ``v = v_reset`` for the neurons that spiked.

Current-synapse propagator. With ``u = v - v_rest`` and ``I(t') = I_0 exp(-t'/tau_s)``,
``tau_m du/dt' = -u + I`` gives

    u(dt) = u_0 exp(-dt/tau_m) + I_0 P,
    P = (1/tau_m) int_0^dt exp(-(dt - t')/tau_m) exp(-t'/tau_s) dt'
      = tau_s / (tau_s - tau_m) * (exp(-dt/tau_s) - exp(-dt/tau_m))   (tau_s != tau_m)
      = (dt / tau_m) exp(-dt/tau_m)                                     (tau_s == tau_m).
"""

from __future__ import annotations

import math

import numpy as np

import reference_models
import reference_pair
import reference_vogels
from reference_clopath import ClopathReference, is_clopath
from reference_homeostasis import Homeostasis
from reference_reward import RewardReference, is_reward_rule
from reference_triplet import TripletReference, is_triplet

# rule families: modules with handles(rule), setup(pj, pr, dt), on_pre(pj, k, n) and
# on_post(pj, fired_ids, n, early)
FAMILIES = (reference_pair, reference_vogels)

__all__ = ["reference_simulate", "current_propagator"]


def current_propagator(dt: float, tau_m: float, tau_s: float) -> float:
    """Exact weight of a synaptic current ``I_0`` (mV) in ``v(dt) - v_rest`` after one step.

    ``dt``, ``tau_m``, ``tau_s`` in ms; see the module docstring for the derivation.
    """
    if tau_s == tau_m:
        return (dt / tau_m) * math.exp(-dt / tau_m)
    return tau_s / (tau_s - tau_m) * (math.exp(-dt / tau_s) - math.exp(-dt / tau_m))


def reference_simulate(net, duration: float, record_v: bool = True) -> dict:
    """Simulate ``net`` for ``duration`` ms, one Python loop iteration per step and neuron.

    Returns a dict with
    - ``"n_steps"``: ``round(duration / dt)``;
    - ``"spikes"``: pop name -> list of ``(step, id)`` sorted by step then id (every
      population, inputs included, spikes of steps ``0 .. n_steps-1``);
    - ``"weights"``: projection name -> float64 array (n_syn,) of final weights;
    - ``"v"`` (when ``record_v``): lif pop name -> float64 array (n_steps, n), ``v`` at the
      start of each step (before its state update), as a Brian2 ``StateMonitor`` samples it;
    - ``"theta"``: the same for the adaptive thresholds (tests/reference_homeostasis.py);
    - ``"w"`` (with ``record_v``): AdEx ``w`` / Izhikevich ``u``, sampled like ``v``.
    AdEx and Izhikevich populations: tests/reference/reference_models.py.
    """
    dt = float(net.dt)
    n_steps = int(round(duration / dt))

    # --- neuron state -------------------------------------------------------------------
    lif = {}
    for name, pop in net.populations.items():
        if pop.kind in ("adex", "izhikevich"):
            # the other neuron models (tests/reference/reference_models.py)
            lif[name] = reference_models.make_state(pop, dt)
            continue
        if pop.kind != "lif":
            continue
        p = pop.params
        # every parameter per neuron (scalars, arrays and drawn distributions alike)
        q = {f: [float(x) for x in pop.param(f)] for f in (
            "tau_m", "v_rest", "v_th", "v_reset", "refractory", "tau_e", "tau_i", "E_e",
            "E_i", "I_bias")}
        nn = int(pop.n)
        st = {
            "p": p,
            "q": q,
            "n": nn,
            "v": [float(x) for x in pop.v],
            "ge": [0.0] * nn,
            "gi": [0.0] * nn,
            "last": [None] * nn,
            "K": [int(round(q["refractory"][i] / dt)) for i in range(nn)],
            # the membrane's input without synapses: v_rest + I_bias
            "u": [q["v_rest"][i] + q["I_bias"][i] for i in range(nn)],
            "e_m": [math.exp(-dt / q["tau_m"][i]) for i in range(nn)],
            "e_e": [math.exp(-dt / q["tau_e"][i]) for i in range(nn)],
            "e_i": [math.exp(-dt / q["tau_i"][i]) for i in range(nn)],
            "P_e": [current_propagator(dt, q["tau_m"][i], q["tau_e"][i]) for i in range(nn)],
            "P_i": [current_propagator(dt, q["tau_m"][i], q["tau_i"][i]) for i in range(nn)],
            "v_rec": [],
        }
        lif[name] = st

    def refractory(st, i, n):
        last = st["last"][i]
        return last is not None and n - last < st["K"][i]

    # --- input spikes ---------------------------------------------------------------------
    inputs = net.input_spike_steps(duration)
    input_by_step = {}  # step -> list of (pop, id)
    for pname, (steps, ids) in inputs.items():
        for s, i in zip(steps.tolist(), ids.tolist()):
            if 0 <= s < n_steps:
                input_by_step.setdefault(int(s), []).append((pname, int(i)))

    # --- synapses ---------------------------------------------------------------------------
    projs = []
    for name, pr in net.projections.items():
        n_syn = len(pr.pre_ids)
        d_steps = [int(round(float(d) / dt)) for d in pr.delay]
        syn_of_pre = {}
        syn_of_post = {}
        for k in range(n_syn):
            syn_of_pre.setdefault(int(pr.pre_ids[k]), []).append(k)
            syn_of_post.setdefault(int(pr.post_ids[k]), []).append(k)
        s = pr.stdp
        # reward-modulated STDP: its own bookkeeping (tests/reference_reward.py)
        reward = RewardReference(pr, dt) if is_reward_rule(s) else None
        s = None if reward is not None else s
        family = next((f for f in FAMILIES if s is not None and f.handles(s)), None)
        projs.append({
            "name": name,
            "pre": pr.pre.name,
            "post": pr.post.name,
            "pre_ids": [int(x) for x in pr.pre_ids],
            "post_ids": [int(x) for x in pr.post_ids],
            "w": [float(x) for x in pr.weight],
            "d": d_steps,
            "receptor": pr.receptor,
            "stdp": s,
            "reward": reward,
            "syn_of_pre": syn_of_pre,
            "syn_of_post": syn_of_post,
            "pending": {},  # arrival step -> list of synapse indices
            "family": family,
            "trip": TripletReference(s, dt, n_syn) if is_triplet(s) else None,
            "clopath": (ClopathReference(pr, dt, lif[pr.post.name]["v"]) if is_clopath(s)
                        else None),
        })
        if family is not None:
            family.setup(projs[-1], pr, dt)

    spikes = {name: [] for name in net.populations}
    homeo = Homeostasis(net, dt)

    for n in range(n_steps):
        homeo.start_step(n, projs)      # weight normalisation, theta samples
        # 1. state update
        for name, st in lif.items():
            p = st["p"]
            v, ge, gi = st["v"], st["ge"], st["gi"]
            if record_v:
                st["v_rec"].append(list(v))
            if "model" in st:
                st["w_rec"].append(list(st["w"]))
                for i in range(st["n"]):
                    reference_models.update(st, i, dt, refractory(st, i, n), n)
                continue
            for i in range(st["n"]):
                frozen = refractory(st, i, n)
                u = st["u"][i]
                if p.synapse == "delta":
                    if not frozen:
                        v[i] = u + (v[i] - u) * st["e_m"][i]
                elif p.synapse == "current":
                    # inhibitory currents are magnitudes that enter with a minus sign
                    if not frozen:
                        v[i] = (u + (v[i] - u) * st["e_m"][i]
                                + ge[i] * st["P_e"][i] - gi[i] * st["P_i"][i])
                    ge[i] *= st["e_e"][i]
                    gi[i] *= st["e_i"][i]
                elif p.synapse == "conductance":
                    if not frozen:
                        G = 1.0 + ge[i] + gi[i]
                        v_inf = (u + ge[i] * st["q"]["E_e"][i] + gi[i] * st["q"]["E_i"][i]) / G
                        v[i] = v_inf + (v[i] - v_inf) * math.exp(-dt * G / st["q"]["tau_m"][i])
                    ge[i] *= st["e_e"][i]
                    gi[i] *= st["e_i"][i]
                else:  # pragma: no cover - guarded by LIFParams validation
                    raise ValueError(f"unknown synapse type {p.synapse!r}")
            homeo.decay(name)

        # 2. threshold (lif) and this step's input spikes
        fired = {}  # pop -> list of ids spiking at step n
        for name, st in lif.items():
            ids = []
            for i in range(st["n"]):
                if "model" in st:
                    above = reference_models.crosses(st, i)
                else:
                    above = st["v"][i] > st["q"]["v_th"][i] + homeo.offset(name, i)
                if above and not refractory(st, i, n):
                    ids.append(i)
                    st["last"][i] = n
                    homeo.spiked(name, i)
            if ids:
                fired[name] = ids
        for pname, i in input_by_step.get(n, []):
            fired.setdefault(pname, []).append(i)
        for name in fired:
            fired[name].sort()
            spikes[name].extend((n, i) for i in fired[name])

        # schedule arrivals (axonal delays)
        for pj in projs:
            for i in fired.get(pj["pre"], []):
                for k in pj["syn_of_pre"].get(i, []):
                    pj["pending"].setdefault(n + pj["d"][k], []).append(k)

        # postsynaptic work that a rule family does before the presynaptic pathways
        for pj in projs:
            if pj["family"] is not None:
                pj["family"].on_post(pj, fired.get(pj["post"], []), n, True)
        # reward-modulated synapses with an event now are brought to this step first
        for pj in projs:
            if pj["reward"] is not None:
                pj["reward"].step(n, fired, set(pj["pending"].get(n, ())), pj["w"])

        # 3a. presynaptic pathways of every projection
        for pj in projs:
            arriving = pj["pending"].pop(n, None)
            if not arriving:
                continue
            st = lif[pj["post"]]
            syn_type = st["p"].synapse
            for k in sorted(arriving):
                j = pj["post_ids"][k]
                w = pj["w"][k]
                if syn_type == "delta":
                    # weights are magnitudes: an inhibitory delta synapse lowers v
                    if not refractory(st, j, n):
                        st["v"][j] += w if pj["receptor"] == "exc" else -w
                elif pj["receptor"] == "exc":
                    st["ge"][j] += w
                else:
                    st["gi"][j] += w
                if pj["family"] is not None:
                    pj["family"].on_pre(pj, k, n)
                elif pj["trip"] is not None:
                    pj["w"][k] = pj["trip"].on_pre(k, j, n, w)
                elif pj["clopath"] is not None:
                    pj["w"][k] = pj["clopath"].on_pre(k, n, w)

        # 3b. postsynaptic pathways of every plastic projection
        for pj in projs:
            s = pj["stdp"]
            if pj["family"] is not None:
                pj["family"].on_post(pj, fired.get(pj["post"], []), n, False)
                continue
            if s is None:
                continue
            for j in fired.get(pj["post"], []):
                syns = pj["syn_of_post"].get(j)
                if not syns:
                    continue
                if pj["trip"] is not None:
                    for k in syns:
                        pj["w"][k] = pj["trip"].on_post(k, j, n, pj["w"][k])
                    pj["trip"].record_post(j, n)

        # 4. reset
        for name, ids in fired.items():
            if name in lif:
                st = lif[name]
                for i in ids:
                    if "model" in st:
                        reference_models.reset(st, i)
                    else:
                        st["v"][i] = st["q"]["v_reset"][i]

        # 5. Clopath's voltage rule: v at the end of the step, continuous LTP
        for pj in projs:
            if pj["clopath"] is not None:
                pj["clopath"].end_step(n, lif[pj["post"]]["v"], pj["w"])

    for pj in projs:
        if pj["reward"] is not None:
            pj["reward"].finish(n_steps, pj["w"])
    out = {
        "n_steps": n_steps,
        "spikes": spikes,
        "weights": {pj["name"]: np.array(pj["w"], dtype=np.float64) for pj in projs},
        "theta": {name: np.array(r, dtype=np.float64) for name, r in homeo.rec.items()},
        # the AdEx's after-spike current and adaptive threshold at the end
        "z": {name: np.array(st["z"]) for name, st in lif.items() if "z" in st},
        "vth": {name: np.array(st["vth"]) for name, st in lif.items() if "vth" in st},
    }
    if record_v:
        out["v"] = {
            name: np.array(st["v_rec"], dtype=np.float64).reshape(n_steps, st["n"])
            for name, st in lif.items()
        }
        out["w"] = {name: np.array(st["w_rec"], dtype=np.float64).reshape(n_steps, st["n"])
                    for name, st in lif.items() if "model" in st}
    return out
