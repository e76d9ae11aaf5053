"""A neurolab ``Network`` translated to Brian2 objects: the test oracle's model.

Used by tests/test_brian2_oracle.py (spike-for-spike comparison, runtime ``numpy`` target)
and benchmarks/bench.py (runtime and ``cpp_standalone``). The translation reads the
network's documented attributes only: the same explicit input spike times, the same
connectivity, initial weights and delays, the same initial membrane potentials.

Brian2 model conventions (see /work/shared/DESIGN.md, "Simulation semantics"); they are the
contract of the oracle:

- potentials are plain numbers in mV (dimensionless in Brian2), times carry units;
- delta / current synapses: ``method="exact"``; conductance: ``"exponential_euler"``;
- ``refractory = K*dt`` with ``dv/dt ... (unless refractory)`` when ``K > 0``; no refractory
  mechanism at all when ``K == 0``; delta delivery ``v_post += w*int(not_refractory_post)``
  when ``K > 0``;
- STDP with event-driven per-synapse traces: on_pre
  ``<deliver>; Apre += A_plus; w = clip(w - Apost, w_min, w_max)``, on_post
  ``Apost += A_minus; w = clip(w + Apre, w_min, w_max)`` (``Apost`` holds positive values);
  Brian2 runs every presynaptic pathway (order -1) before every postsynaptic one (order +1);
  nearest pairing sets the trace (``Apre = A_plus``) instead of adding to it;
  multiplicative weight dependence: depression scaled by
  ``((w - w_min)/(w_max - w_min))**mu_minus``, potentiation by
  ``((w_max - w)/(w_max - w_min))**mu`` (each factor left out when its exponent is 0);
- reward-modulated STDP (``RewardSTDP``): tests/brian2_reward.py (its pathways onto the
  plastic synapses are in ``Brian2Model.extra``; read final weights as ``S.w_now``);
- axonal delays: a delay shared by every synapse of a projection is the ``Synapses``'
  scalar ``delay`` (left out when 0); heterogeneous axonal delays through ``S.delay``
  (the whole on_pre runs at arrival).

Input populations are ``SpikeGeneratorGroup``s replaying ``net.input_spike_steps(duration)``
(exactly the spikes neurolab's kernel receives), or, with ``poisson_inputs=True``, Poisson
populations are ``PoissonGroup``s drawing their own input inside Brian2's loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

try:
    from brian2_reward import is_reward_rule, reward_code, reward_synapses
except ImportError:  # tests/ imported as a package
    from tests.brian2_reward import is_reward_rule, reward_code, reward_synapses

__all__ = ["Brian2Model", "build_brian2", "monitor_steps"]


@dataclass
class Brian2Model:
    """The Brian2 objects of one network, keyed by neurolab population / projection name."""

    groups: dict
    monitors: dict
    synapses: dict
    extra: list = field(default_factory=list)   # e.g. reward pathways (brian2_reward.py)

    @property
    def objects(self):
        """Every object, ready for ``b2.Network(model.objects)``."""
        out = []
        for name, g in self.groups.items():
            out += [g, self.monitors[name]]
        return out + list(self.synapses.values()) + self.extra


def refractory_steps(params, dt):
    """The largest refractory period in steps, ``K = round(refractory / dt)``."""
    return int(round(float(np.max(params.refractory)) / dt))


def _lif_group(b2, pop, dt, name):
    """A NeuronGroup with every LIF parameter as a per-neuron constant (so heterogeneous
    populations translate one to one) and an injected current ``I_ext`` (mV) that the
    caller may set between runs."""
    p = pop.params
    ms = b2.ms
    K = np.rint(pop.param("refractory") / dt).astype(int)
    refractory = bool((K > 0).any())
    flag = " (unless refractory)" if refractory else ""
    per_neuron = ("tau_m : second (constant)\ntau_e : second (constant)\n"
                  "tau_i : second (constant)\nv_rest : 1 (constant)\nv_th : 1 (constant)\n"
                  "v_reset : 1 (constant)\nE_e : 1 (constant)\nE_i : 1 (constant)\n"
                  "I_bias : 1 (constant)\nref : second (constant)\nI_ext : 1\n")
    u = "(v_rest + I_bias + I_ext)"
    if p.synapse == "delta":
        eqs, method = f"dv/dt = ({u} - v)/tau_m : 1{flag}\n", "exact"
    elif p.synapse == "current":
        # weights are magnitudes: the inhibitory current enters with a minus sign
        eqs = (f"dv/dt = ({u} - v + Ie - Ii)/tau_m : 1{flag}\n"
               "dIe/dt = -Ie/tau_e : 1\n"
               "dIi/dt = -Ii/tau_i : 1\n")
        method = "exact"
    else:
        eqs = (f"dv/dt = ({u} - v + ge*(E_e - v) + gi*(E_i - v))/tau_m : 1{flag}\n"
               "dge/dt = -ge/tau_e : 1\n"
               "dgi/dt = -gi/tau_i : 1\n")
        method = "exponential_euler"
    g = b2.NeuronGroup(pop.n, eqs + per_neuron, threshold="v > v_th", reset="v = v_reset",
                       refractory="ref" if refractory else False, method=method, name=name)
    for key in ("tau_m", "tau_e", "tau_i"):
        setattr(g, key, pop.param(key) * ms)
    for key in ("v_rest", "v_th", "v_reset", "E_e", "E_i", "I_bias"):
        setattr(g, key, pop.param(key))
    g.ref = K * dt * ms
    g.v = np.asarray(pop.v, dtype=float)
    return g


def synapse_code(pr, dt, ms):
    """``(model, on_pre, on_post, namespace)`` of projection ``pr``."""
    post = pr.post.params
    if post.synapse == "delta":
        op = "+=" if pr.receptor == "exc" else "-="
        deliver = (f"v_post {op} w*int(not_refractory_post)" if refractory_steps(post, dt) > 0
                   else f"v_post {op} w")
    else:
        var = {"current": ("Ie", "Ii"), "conductance": ("ge", "gi")}[post.synapse]
        deliver = f"{var[0] if pr.receptor == 'exc' else var[1]}_post += w"
    s = pr.stdp
    if s is None:
        return "w : 1", deliver, None, {}
    if is_reward_rule(s):
        return reward_code(pr, deliver, ms)
    model = ("w : 1\n"
             "dApre/dt = -Apre/tau_plus : 1 (event-driven)\n"
             "dApost/dt = -Apost/tau_minus : 1 (event-driven)\n")
    f_minus = "*((w - w_min)/(w_max - w_min))**mu_minus" if s.mu_minus != 0 else ""
    f_plus = "*((w_max - w)/(w_max - w_min))**mu" if s.mu != 0 else ""
    op = "=" if s.pairing == "nearest_symmetric" else "+="
    on_pre = (f"{deliver}\n"
              f"Apre {op} A_plus\n"
              f"w = clip(w - Apost{f_minus}, w_min, w_max)\n")
    on_post = (f"Apost {op} A_minus\n"
               f"w = clip(w + Apre{f_plus}, w_min, w_max)\n")
    ns = {"tau_plus": s.tau_plus * ms, "tau_minus": s.tau_minus * ms,
          "A_plus": s.A_plus, "A_minus": s.A_minus, "w_min": s.w_min,
          "w_max": s.w_max, "mu": s.mu, "mu_minus": s.mu_minus}
    return model, on_pre, on_post, ns


def build_brian2(net, duration, *, prefix="", poisson_inputs=False, b2=None):
    """Brian2 objects for neurolab network ``net`` run for ``duration`` ms.

    ``prefix`` starts every object name (distinct networks in one ``cpp_standalone``
    project). ``poisson_inputs=False``: every source population is a ``SpikeGeneratorGroup``
    replaying ``net.input_spike_steps(duration)``; ``True``: Poisson populations are
    ``PoissonGroup``s (seed Brian2 with ``b2.seed`` beforehand for reproducible input).
    ``b2``: the ``brian2`` module (imported when ``None``). The caller sets the device,
    the code generation target and ``defaultclock.dt`` (``net.dt``).

    Returns a :class:`Brian2Model`: ``groups``, ``monitors`` (one ``SpikeMonitor`` per
    population) and ``synapses`` (in the order of ``pr.pre_ids``/``pr.post_ids``), keyed by
    neurolab name; ``objects`` lists them all for ``b2.Network``.
    """
    if b2 is None:
        import brian2 as b2
    ms = b2.ms
    dt = net.dt
    inputs = None if poisson_inputs else net.input_spike_steps(duration)
    groups, monitors, synapses, extra = {}, {}, {}, []
    for q, (name, pop) in enumerate(net.populations.items()):
        if pop.kind == "poisson" and poisson_inputs:
            rates = np.asarray(pop.rates, dtype=float)
            rates = float(rates[0]) if np.all(rates == rates[0]) else rates
            g = b2.PoissonGroup(pop.n, rates=rates * b2.Hz, name=f"{prefix}src{q}")
        elif pop.kind != "lif":
            if inputs is None:
                inputs = net.input_spike_steps(duration)
            steps, ids = inputs[name]
            g = b2.SpikeGeneratorGroup(pop.n, indices=np.asarray(ids, dtype=np.int32),
                                       times=np.asarray(steps, dtype=float) * dt * ms,
                                       name=f"{prefix}src{q}")
        else:
            g = _lif_group(b2, pop, dt, f"{prefix}lif{q}")
        groups[name] = g
        monitors[name] = b2.SpikeMonitor(g, name=f"{prefix}mon{q}")
    for q, (name, pr) in enumerate(net.projections.items()):
        model, on_pre, on_post, ns = synapse_code(pr, dt, ms)
        uniform_delay = pr.n_syn == 0 or bool(np.all(pr.delay == pr.delay[0]))
        kw = {}
        if uniform_delay and pr.n_syn and pr.delay[0] > 0:
            kw["delay"] = float(pr.delay[0]) * ms
        S = b2.Synapses(groups[pr.pre.name], groups[pr.post.name], model=model,
                        on_pre=on_pre, on_post=on_post, namespace=ns,
                        name=f"{prefix}syn{q}", **kw)
        S.connect(i=np.asarray(pr.pre_ids, dtype=np.int32),
                  j=np.asarray(pr.post_ids, dtype=np.int32))
        S.w = np.asarray(pr.weight, dtype=float)
        if not uniform_delay:
            S.delay = np.asarray(pr.delay, dtype=float) * ms
        synapses[name] = S
        if is_reward_rule(pr.stdp):
            extra += reward_synapses(b2, groups, S, pr, f"{prefix}rwd{q}")
    return Brian2Model(groups, monitors, synapses, extra)


def monitor_steps(monitor, dt, b2=None):
    """``(steps, ids)`` (int64) of the spikes a ``SpikeMonitor`` recorded, in its order."""
    if b2 is None:
        import brian2 as b2
    steps = np.rint(np.asarray(monitor.t[:] / b2.ms) / dt).astype(np.int64)
    return steps, np.asarray(monitor.i[:], dtype=np.int64)
