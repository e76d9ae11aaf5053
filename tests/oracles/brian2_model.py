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
- inhibitory STDP of Vogels et al. 2011: :func:`vogels_code`;
- the triplet rule (Pfister & Gerstner 2006): four event-driven traces, see
  :func:`triplet_synapse_code`;
- every other pairing scheme, same-step order and the power-law rule: tests/brian2_pair.py
  (pathway orders decide same-step pairs there);
- reward-modulated STDP (``RewardSTDP``): tests/brian2_reward.py (its pathways onto the
  plastic synapses are in ``Brian2Model.extra``; read final weights as ``S.w_now``);
- axonal delays: a delay shared by every synapse of a projection is the ``Synapses``'
  scalar ``delay`` (left out when 0); heterogeneous axonal delays through ``S.delay``
  (the whole on_pre runs at arrival);
- homeostasis (Diehl & Cook 2015; neurolab/plasticity/homeostasis.py): an adaptive
  threshold is ``dtheta/dt = -theta/tau_theta`` (no ``unless refractory``: it decays while
  refractory too), ``threshold='v > v_th + theta'``, ``reset='v = v_reset; theta +=
  theta_plus'`` (frozen: ``theta`` constant, no jump); a normalisation is a
  ``network_operation`` at the start of every ``every`` ms (before the monitors) scaling
  each postsynaptic neuron's weights, ``w = clip(w * (target / sum), w_min, w_max)``.

Input populations are ``SpikeGeneratorGroup``s replaying ``net.input_spike_steps(duration)``
(exactly the spikes neurolab's kernel receives), or, with ``poisson_inputs=True``, Poisson
populations are ``PoissonGroup``s drawing their own input inside Brian2's loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from brian2_pair import is_default_form, pair_code, set_pathway_orders
from brian2_reward import is_reward_rule, reward_code, reward_synapses

__all__ = ["Brian2Model", "build_brian2", "monitor_steps"]


@dataclass
class Brian2Model:
    """The Brian2 objects of one network, keyed by neurolab population / projection name."""

    groups: dict
    monitors: dict
    synapses: dict
    operations: list = field(default_factory=list)   # weight normalisations
    extra: list = field(default_factory=list)   # e.g. reward pathways (brian2_reward.py)

    @property
    def objects(self):
        """Every object, ready for ``b2.Network(model.objects)``."""
        out = []
        for name, g in self.groups.items():
            out += [g, self.monitors[name]]
        return out + list(self.synapses.values()) + self.operations + self.extra


def refractory_steps(params, dt):
    """The largest refractory period in steps, ``K = round(refractory / dt)``."""
    return int(round(float(np.max(params.refractory)) / dt))


_LIF_PARAMS = ("tau_m", "tau_e", "tau_i", "v_rest", "v_th", "v_reset", "E_e", "E_i", "I_bias")
_TIMES = ("tau_m", "tau_e", "tau_i")


def _lif_group(b2, pop, dt, name, scalar_params=False):
    """A NeuronGroup with every LIF parameter as a per-neuron constant (so heterogeneous
    populations translate one to one) and an injected current ``I_ext`` (mV) that the
    caller may set between runs.

    ``scalar_params=True``: a parameter (or the refractory period) that every neuron of the
    population shares is a scalar in the group's namespace instead, as a Brian2 user writes
    a homogeneous population; Brian2 then computes the integration factors once per step,
    not once per neuron (on the recurrent B3 at 1k neurons its cpp_standalone loop is about
    10x shorter), with the same spikes. The benchmarks use it; the oracle tests keep the
    default."""
    p = pop.params
    ms = b2.ms
    K = np.rint(pop.param("refractory") / dt).astype(int)
    refractory = bool((K > 0).any())
    flag = " (unless refractory)" if refractory else ""
    values = {key: np.asarray(pop.param(key), dtype=float) for key in _LIF_PARAMS}
    values["ref"] = K * dt
    scalars = {}
    if scalar_params:
        scalars = {key: float(v.flat[0]) for key, v in values.items()
                   if v.size and np.all(v == v.flat[0])}
    per_neuron = "".join(f"{key} : {'second' if key in _TIMES + ('ref',) else '1'} (constant)\n"
                         for key in values if key not in scalars) + "I_ext : 1\n"
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
    extra, threshold, reset, ns = adaptive_threshold_code(pop, b2)
    ns = dict(ns, **{key: v * ms if key in _TIMES + ("ref",) else v
                     for key, v in scalars.items()})
    g = b2.NeuronGroup(pop.n, eqs + extra + per_neuron, threshold=threshold, reset=reset,
                       refractory="ref" if refractory else False, method=method, name=name,
                       namespace=ns)
    for key, v in values.items():
        if key not in scalars:
            setattr(g, key, v * ms if key in _TIMES + ("ref",) else v)
    g.v = np.asarray(pop.v, dtype=float)
    if extra:
        g.theta = np.asarray(pop.theta, dtype=float)
    return g


def adaptive_threshold_code(pop, b2):
    """``(equations, threshold, reset, namespace)`` of a population's threshold: fixed, or
    Diehl & Cook's adaptive ``v > v_th + theta``."""
    rule = pop.threshold
    if rule is None:
        return "", "v > v_th", "v = v_reset", {}
    if rule.frozen:
        return "theta : 1\n", "v > v_th + theta", "v = v_reset", {}
    ode = ("theta : 1\n" if rule.tau_theta == float("inf")
           else "dtheta/dt = -theta/tau_theta : 1\n")
    return (ode, "v > v_th + theta", "v = v_reset\ntheta += theta_plus",
            {"tau_theta": rule.tau_theta * b2.ms, "theta_plus": rule.theta_plus})


def normalization_operation(b2, pr, S, dt, name):
    """A ``network_operation`` normalising the weights of projection ``pr`` (Brian2
    ``Synapses`` ``S``) at network times 0, every, 2 every, ... before the monitors."""
    norm, n_post = pr.normalize, pr.post.n
    w_min, w_max = pr.stdp.w_min, pr.stdp.w_max
    j = np.asarray(pr.post_ids, dtype=np.int64)

    @b2.network_operation(dt=norm.steps(dt) * dt * b2.ms, when="start", order=-1, name=name)
    def normalize():
        w = np.asarray(S.w[:], dtype=float)
        total = np.bincount(j, weights=w, minlength=n_post)
        scaled = np.clip(w * (norm.target / np.where(total == 0.0, 1.0, total))[j], w_min,
                         w_max)
        S.w[:] = np.where(total[j] == 0.0, w, scaled)

    return normalize


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
    if type(s).__name__ == "VogelsSTDP":
        return vogels_code(s, deliver, ms)
    if type(s).__name__ == "TripletSTDP":
        return triplet_synapse_code(s, deliver, ms)
    if is_reward_rule(s):
        return reward_code(pr, deliver, ms)
    if not is_default_form(s):      # other pairing schemes, same-step orders, power law
        return pair_code(s, deliver, ms)
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


def vogels_code(s, deliver, ms):
    """Inhibitory STDP of Vogels et al. 2011 (``VogelsSTDP``): traces +1 per spike, both
    decaying with ``tau``; on_pre delivers ``w``, then ``w += eta (x_post - alpha)``;
    on_post ``w += eta x_pre``; clipped to [w_min, w_max]. Brian2's order of pathways (pre
    before post) is ``same_step="potentiate"``, the only order translated. (The Brian2
    example of the paper's network delivers after the update; neurolab delivers first.)"""
    if s.same_step != "potentiate":
        raise NotImplementedError(f"same_step={s.same_step!r} has no Brian2 translation here")
    model = ("w : 1\n"
             "dxpre/dt = -xpre/tau_v : 1 (event-driven)\n"
             "dxpost/dt = -xpost/tau_v : 1 (event-driven)\n")
    on_pre = f"{deliver}\nxpre += 1\nw = clip(w + eta*(xpost - alpha), w_min, w_max)\n"
    on_post = "xpost += 1\nw = clip(w + eta*xpre, w_min, w_max)\n"
    ns = {"tau_v": s.tau * ms, "eta": s.eta, "alpha": s.alpha, "w_min": s.w_min,
          "w_max": s.w_max}
    return model, on_pre, on_post, ns


def triplet_synapse_code(s, deliver, ms):
    """Pfister & Gerstner's (2006) triplet rule as Brian2 equations: four event-driven
    per-synapse traces (r1: tau_plus, r2: tau_x, o1: tau_minus, o2: tau_y); on_pre
    depresses by ``o1 (A2_minus + A3_minus r2)`` before r1, r2 count the spike, on_post
    potentiates by ``r1 (A2_plus + A3_plus o2)`` before o1, o2 count it; all-to-all adds 1,
    nearest-spike sets 1. Written from the paper, not from Brian2's examples."""
    model = ("w : 1\n"
             "dr1/dt = -r1/tau_plus : 1 (event-driven)\n"
             "dr2/dt = -r2/tau_x : 1 (event-driven)\n"
             "do1/dt = -o1/tau_minus : 1 (event-driven)\n"
             "do2/dt = -o2/tau_y : 1 (event-driven)\n")
    op = "=" if s.interaction == "nearest_spike" else "+="
    on_pre = (f"{deliver}\n"
              "w = clip(w - o1*(A2_minus + A3_minus*r2), w_min, w_max)\n"
              f"r1 {op} 1\nr2 {op} 1\n")
    on_post = ("w = clip(w + r1*(A2_plus + A3_plus*o2), w_min, w_max)\n"
               f"o1 {op} 1\no2 {op} 1\n")
    ns = {"tau_plus": s.tau_plus * ms, "tau_x": s.tau_x * ms, "tau_minus": s.tau_minus * ms,
          "tau_y": s.tau_y * ms, "A2_plus": s.A2_plus, "A3_plus": s.A3_plus,
          "A2_minus": s.A2_minus, "A3_minus": s.A3_minus, "w_min": s.w_min, "w_max": s.w_max}
    return model, on_pre, on_post, ns


def build_brian2(net, duration, *, prefix="", poisson_inputs=False, b2=None,
                 scalar_params=False):
    """Brian2 objects for neurolab network ``net`` run for ``duration`` ms.

    ``prefix`` starts every object name (distinct networks in one ``cpp_standalone``
    project). ``poisson_inputs=False``: every source population is a ``SpikeGeneratorGroup``
    replaying ``net.input_spike_steps(duration)``; ``True``: Poisson populations are
    ``PoissonGroup``s (seed Brian2 with ``b2.seed`` beforehand for reproducible input).
    ``b2``: the ``brian2`` module (imported when ``None``). ``scalar_params``: parameters
    shared by a whole population as scalars (see :func:`_lif_group`; the benchmarks' form,
    as a Brian2 user writes it). The caller sets the device,
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
            g = _lif_group(b2, pop, dt, f"{prefix}lif{q}", scalar_params=scalar_params)
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
        if pr.stdp is not None and not is_default_form(pr.stdp):
            set_pathway_orders(S, pr.stdp)
        if not uniform_delay:
            S.delay = np.asarray(pr.delay, dtype=float) * ms
        synapses[name] = S
        if is_reward_rule(pr.stdp):
            extra += reward_synapses(b2, groups, S, pr, f"{prefix}rwd{q}")
    ops = [normalization_operation(b2, pr, synapses[name], dt, f"{prefix}norm{q}")
           for q, (name, pr) in enumerate(net.projections.items())
           if getattr(pr, "normalize", None) is not None and pr.learning]
    return Brian2Model(groups, monitors, synapses, ops, extra)


def monitor_steps(monitor, dt, b2=None):
    """``(steps, ids)`` (int64) of the spikes a ``SpikeMonitor`` recorded, in its order."""
    if b2 is None:
        import brian2 as b2
    steps = np.rint(np.asarray(monitor.t[:] / b2.ms) / dt).astype(np.int64)
    return steps, np.asarray(monitor.i[:], dtype=np.int64)
