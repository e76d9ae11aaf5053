"""B1, B2 and B3r written for Brian2 by hand, as its users write them (issue 20, point 5).

``bench.py`` measures Brian2 twice on these networks: with the oracle's mechanical
translation of neurolab's network (``tests/oracles/brian2_model.py``), and with the models
here, written the way Brian2's own examples write them (``examples/CUBA.py``;
``examples/synapses/STDP.py`` and ``frompapers/Song_Miller_Abbott_2000``):

- one ``NeuronGroup`` per network, with physical units (``volt``, ``ms``) and every
  shared parameter a scalar constant of the namespace; E and I are subgroups ``P[:n_e]``,
  ``P[n_e:]`` of one group, as in ``CUBA.py``; one ``SpikeMonitor`` on the whole group;
- one ``Synapses`` per projection; a static projection has no weight variable: its
  on_pre adds a scalar constant (``ge += we``, ``gi += wi`` with ``wi`` negative, as in
  ``CUBA.py``); a delay shared by every synapse is a scalar delay of each pathway
  (``delay={"pre": ..., "post": 0*ms}``, so that no pathway keeps a delay per synapse);
- STDP with event-driven per-synapse traces as in Brian2's STDP example: ``Apre`` grows by
  ``dApre`` on a presynaptic spike, ``Apost`` by the negative ``dApost`` on a postsynaptic
  one, ``w = clip(w + Apost, 0, w_max)`` on pre (after delivering ``w``) and
  ``w = clip(w + Apre, 0, w_max)`` on post: the additive all-to-all pair rule that
  neurolab's ``STDPParams(pairing="all_to_all")`` implements. The delay is axonal (the
  whole on_pre, traces included, runs when the spike arrives), as in neurolab.

Two things differ from Brian2's examples on purpose, because the benchmark runs neurolab's
networks, not the examples': B1's membrane equation is the conductance form
``ge*(Ee - v)`` of Song, Miller & Abbott (2000), which Brian2 integrates with
``exponential_euler`` (its STDP example linearises the synaptic current, ``ge*(Ee - vr)``);
and the connectivity, initial weights, initial potentials and (for the "same" input) the
input spikes are read from the neurolab network, so both simulators run the same network
and produce the same spikes, which ``bench.py`` checks. Parameter values are read from the
network too (checked to be shared by every neuron / synapse, since a hand-written model
has them as scalars).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["HAND_BUILDERS", "HandModel", "build_hand", "hand_b1", "hand_cuba"]


@dataclass
class HandModel:
    """A hand-written Brian2 network for a neurolab network.

    ``objects``: everything for ``b2.Network``; ``synapses``: ``{projection name:
    Synapses}`` (plastic ones hold ``w``); ``monitors``: ``[(SpikeMonitor, {population:
    (first index, size)})]``, the populations a monitor's group covers; ``w_unit``: what a
    Brian2 weight is divided by to give neurolab's unit (``mV`` for current synapses, 1 for
    conductances)."""

    objects: list
    synapses: dict
    monitors: list
    w_unit: object = 1.0
    notes: list = field(default_factory=list)

    def spike_steps(self, dt, b2):
        """``{population: (steps, ids)}`` (int64, ids within the population)."""
        out = {}
        for mon, pops in self.monitors:
            steps = np.rint(np.asarray(mon.t[:] / b2.ms) / dt).astype(np.int64)
            ids = np.asarray(mon.i[:], dtype=np.int64)
            for name, (first, n) in pops.items():
                sel = (ids >= first) & (ids < first + n)
                out[name] = (steps[sel], ids[sel] - first)
        return out

    def final_weights(self, name):
        """Weights of plastic projection ``name`` in neurolab's unit, in its synapse order."""
        return np.asarray(self.synapses[name].w[:] / self.w_unit, dtype=float)


def _shared(values, what):
    """The single value every element of ``values`` shares (a scalar in a hand-written
    model); ``ValueError`` when they differ."""
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0 or np.any(v != v[0]):
        raise ValueError(f"{what} differs between elements: a hand-written model has it "
                         "as one scalar")
    return float(v[0])


def _delay_ms(pr):
    return _shared(pr.delay, f"delay of {pr.name}") if pr.n_syn else 0.0


def _ij(pr):
    return {"i": np.asarray(pr.pre_ids, dtype=np.int32),
            "j": np.asarray(pr.post_ids, dtype=np.int32)}


def _spike_source(b2, net, pop, duration, variant, name):
    """Input population ``pop``: neurolab's own spikes replayed (``variant="same"``), or
    a ``PoissonGroup`` drawing its own (``"poisson"``)."""
    if variant == "poisson":
        return b2.PoissonGroup(pop.n, rates=_shared(pop.rates, "rate") * b2.Hz, name=name)
    steps, ids = net.input_spike_steps(duration)[pop.name]
    return b2.SpikeGeneratorGroup(pop.n, indices=np.asarray(ids, dtype=np.int32),
                                  times=np.asarray(steps, dtype=float) * net.dt * b2.ms,
                                  name=name)


def hand_b1(b2, net, duration, prefix="", variant="same"):
    """B1, Song, Miller & Abbott (2000): Poisson inputs -> one conductance LIF, additive
    all-to-all STDP with event-driven traces (``bench.build_b1``'s network)."""
    ms, mV = b2.ms, b2.mV
    (inp,) = [p for p in net.populations.values() if p.kind != "lif"]
    (out,) = [p for p in net.populations.values() if p.kind == "lif"]
    (pr,) = net.projections.values()
    prm = out.param
    if _shared(prm("refractory"), "refractory") != 0.0:
        raise ValueError("B1's neuron has no refractory period")
    s = pr.stdp
    ns = {"taum": _shared(prm("tau_m"), "tau_m") * ms,
          "El": _shared(prm("v_rest"), "v_rest") * mV,
          "vt": _shared(prm("v_th"), "v_th") * mV,
          "vr": _shared(prm("v_reset"), "v_reset") * mV,
          "Ee": _shared(prm("E_e"), "E_e") * mV,
          "taue": _shared(prm("tau_e"), "tau_e") * ms,
          "taupre": s.tau_plus * ms, "taupost": s.tau_minus * ms,
          "gmax": s.w_max, "dApre": s.A_plus, "dApost": -s.A_minus}
    assert s.w_min == 0.0 and s.mu == 0.0 and s.pairing == "all_to_all"
    eqs = """
    dv/dt = (ge*(Ee - v) + El - v)/taum : volt
    dge/dt = -ge/taue : 1
    """
    neuron = b2.NeuronGroup(out.n, eqs, threshold="v > vt", reset="v = vr",
                            method="exponential_euler", namespace=ns, name=f"{prefix}neuron")
    neuron.v = np.asarray(out.v, dtype=float) * mV
    source = _spike_source(b2, net, inp, duration, variant, f"{prefix}input")
    d = _delay_ms(pr) * ms
    S = b2.Synapses(source, neuron,
                    """w : 1
                    dApre/dt = -Apre/taupre : 1 (event-driven)
                    dApost/dt = -Apost/taupost : 1 (event-driven)""",
                    on_pre="""ge += w
                    Apre += dApre
                    w = clip(w + Apost, 0, gmax)""",
                    on_post="""Apost += dApost
                    w = clip(w + Apre, 0, gmax)""",
                    delay={"pre": d, "post": 0 * ms}, namespace=ns, name=f"{prefix}S")
    S.connect(**_ij(pr))
    S.w = np.asarray(pr.weight, dtype=float)
    out_mon = b2.SpikeMonitor(neuron, name=f"{prefix}out_mon")
    in_mon = b2.SpikeMonitor(source, name=f"{prefix}in_mon")
    return HandModel([neuron, source, S, out_mon, in_mon], {pr.name: S},
                     [(out_mon, {out.name: (0, out.n)}), (in_mon, {inp.name: (0, inp.n)})])


def hand_cuba(b2, net, duration, prefix="", variant="same"):
    """B2 and B3r: the CUBA network (Brian2's ``CUBA.py``; Brette et al. 2007) with STDP on
    E->E: one group of current-based LIF, E and I its subgroups, four ``Synapses`` (E->E
    plastic, the others adding a scalar weight), one delay (``bench.build_b2``,
    ``bench.build_b3r``'s networks). ``variant`` is ignored (no input population)."""
    ms, mV = b2.ms, b2.mV
    exc, inh = net.populations["exc"], net.populations["inh"]
    n_e, n = exc.n, exc.n + inh.n
    ns = {}
    for key, b2name, unit in (("tau_m", "taum", ms), ("tau_e", "taue", ms),
                              ("tau_i", "taui", ms), ("v_rest", "El", mV),
                              ("v_th", "Vt", mV), ("v_reset", "Vr", mV),
                              ("refractory", "ref", ms)):
        ns[b2name] = _shared(np.concatenate([exc.param(key), inh.param(key)]), key) * unit
    for key in ("I_bias",):
        if _shared(np.concatenate([exc.param(key), inh.param(key)]), key) != 0.0:
            raise ValueError("the hand-written CUBA model has no bias current")
    eqs = """
    dv/dt = (ge + gi - (v - El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(n, eqs, threshold="v > Vt", reset="v = Vr", refractory="ref",
                       method="exact", namespace=ns, name=f"{prefix}P")
    P.v = np.concatenate([exc.v, inh.v]) * mV
    groups = {"exc": P[:n_e], "inh": P[n_e:]}
    synapses, objects = {}, [P]
    for pr in net.projections.values():
        pre, post = groups[pr.pre.name], groups[pr.post.name]
        d = _delay_ms(pr) * ms
        name = f"{prefix}C{pr.pre.name[0]}{pr.post.name[0]}"
        if pr.stdp is not None:
            s = pr.stdp
            assert s.w_min == 0.0 and s.mu == 0.0 and s.pairing == "all_to_all"
            assert pr.receptor == "exc"
            syn_ns = {"taupre": s.tau_plus * ms, "taupost": s.tau_minus * ms,
                      "wmax": s.w_max * mV, "dApre": s.A_plus * mV,
                      "dApost": -s.A_minus * mV}
            S = b2.Synapses(pre, post,
                            """w : volt
                            dApre/dt = -Apre/taupre : volt (event-driven)
                            dApost/dt = -Apost/taupost : volt (event-driven)""",
                            on_pre="""ge += w
                            Apre += dApre
                            w = clip(w + Apost, 0*mV, wmax)""",
                            on_post="""Apost += dApost
                            w = clip(w + Apre, 0*mV, wmax)""",
                            delay={"pre": d, "post": 0 * ms}, namespace=syn_ns, name=name)
            S.connect(**_ij(pr))
            S.w = np.asarray(pr.weight, dtype=float) * mV
        else:
            w = _shared(pr.weight, f"weight of {pr.name}")
            if pr.receptor == "exc":
                on_pre, syn_ns = "ge += we", {"we": w * mV}
            else:           # neurolab's inhibitory weights are magnitudes
                on_pre, syn_ns = "gi += wi", {"wi": -w * mV}
            S = b2.Synapses(pre, post, on_pre=on_pre, delay=d, namespace=syn_ns, name=name)
            S.connect(**_ij(pr))
        synapses[pr.name] = S
        objects.append(S)
    mon = b2.SpikeMonitor(P, name=f"{prefix}spikes")
    objects.append(mon)
    return HandModel(objects, synapses, [(mon, {"exc": (0, n_e), "inh": (n_e, inh.n)})],
                     w_unit=mV)


HAND_BUILDERS = {"B1": hand_b1, "B2": hand_cuba, "B3r": hand_cuba}


def build_hand(group, b2, net, duration, prefix="", variant="same"):
    """The hand-written model of benchmark ``group`` ("B1", "B2", "B3r") for ``net``."""
    return HAND_BUILDERS[group](b2, net, duration, prefix=prefix, variant=variant)
