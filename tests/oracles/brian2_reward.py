"""``RewardSTDP`` as Brian2 equations (the oracle's model of tests/brian2_model.py).

Each plastic synapse keeps its weight ``w``, its eligibility ``c`` and its own copy ``dr``
of the dopamine signal, all valid at its last update time ``tl``; the pair traces ``Apre``,
``Apost`` are Brian2's event-driven traces (all-to-all). The weight at the current time is
the subexpression ``w_now``: ``dw/dt = c (dr - b)`` integrated exactly from ``tl`` (``c`` and
``dr`` are single exponentials there) and held in ``[w_min, w_max]``: the drive changes sign
at most once, at ``s = tau_d log(dr / b)``; the piece before it is added and clipped, then
the piece after it (``F_1``, ``F_2``; times in ms as plain numbers), with the primitive::

    F(x) = c dr tau_k (1 - exp(-x/tau_k)) - b c tau_c (1 - exp(-x/tau_c))

The presynaptic pathway (axonal delay) brings the synapse to ``t`` (``w = w_now``, ``c`` and
``dr`` decayed, ``tl = t``), delivers ``w``, then ``Apre += A_plus; c -= Apost``; the
postsynaptic pathway brings it to ``t``, then ``Apost += A_minus; c += Apre``. One more
``Synapses`` object per reward neuron onto the plastic synapses (Brian2's synapses onto
synapses) brings every synapse to ``t`` and adds ``d_jump`` to its ``dr`` at each reward
spike. Brian2 runs presynaptic pathways before postsynaptic ones: same-step pairs
potentiate (``same_step="potentiate"``); nothing else depends on the order within a step.
Final weights: read ``S.w_now`` after the run.
"""

from __future__ import annotations

import numpy as np

from reference_reward import is_reward_rule  # noqa: F401  (used by brian2_model)

_UPDATE = ("w{p} = w_now{p}\n"
           "c{p} = c{p}*exp(-T_now{p}/tau_c)\n"
           "dr{p} = dr{p}*exp(-T_now{p}/tau_d)\n")


def reward_code(pr, deliver, ms):
    """``(model, on_pre, on_post, namespace)`` of reward-modulated projection ``pr``."""
    r = pr.stdp
    model = """w : 1
c : 1
dr : 1
tl : second
dApre/dt = -Apre/tau_plus_ : 1 (event-driven)
dApost/dt = -Apost/tau_minus_ : 1 (event-driven)
T_now = (t - tl)/ms : 1
s_now = clip(tau_d*log((dr + tiny)/(b_pos + tiny)), 0, T_now) : 1
r_now = T_now - s_now : 1
F_1 = c*(dr*tau_k*(1 - exp(-s_now/tau_k)) - b*tau_c*(1 - exp(-s_now/tau_c))) : 1
c_s = c*exp(-s_now/tau_c) : 1
d_s = dr*exp(-s_now/tau_d) : 1
F_2 = c_s*(d_s*tau_k*(1 - exp(-r_now/tau_k)) - b*tau_c*(1 - exp(-r_now/tau_c))) : 1
w_now = clip(clip(w + F_1, w_min, w_max) + F_2, w_min, w_max) : 1
"""
    update = _UPDATE.format(p="") + "tl = t\n"
    on_pre = update + f"{deliver}\nApre += A_plus\nc -= Apost\n"
    on_post = update + "Apost += A_minus\nc += Apre\n"
    ns = {"tau_plus_": r.tau_plus * ms, "tau_minus_": r.tau_minus * ms,
          "A_plus": r.A_plus, "A_minus": r.A_minus, "tau_c": r.tau_c, "tau_d": r.tau_d,
          "tau_k": 1.0 / (1.0 / r.tau_c + 1.0 / r.tau_d), "b": r.b - r.d_tonic,
          "b_pos": max(r.b - r.d_tonic, 0.0), "d_jump": r.d_jump,
          "w_min": r.w_min, "w_max": r.w_max, "tiny": 1e-300}
    return model, on_pre, on_post, ns


def reward_synapses(b2, groups, S, pr, name):
    """The reward pathways of ``pr``: one ``Synapses`` per neuron of its reward population
    onto every synapse of ``S`` (none when the rule has no reward source). One per neuron:
    with the numpy target, two reward spikes in one step reaching the same synapse through
    one ``Synapses`` object did not give the sequential result (the update reads and writes
    the target's variables; observed), while separate objects run one after the other."""
    r = pr.stdp
    if r.reward is None:
        return []
    _, _, _, ns = reward_code(pr, "", b2.ms)
    on_pre = _UPDATE.format(p="_post") + "dr_post += d_jump\ntl_post = t\n"
    source = groups[r.reward]
    out = []
    for i in range(len(source)):
        R = b2.Synapses(source, S, on_pre=on_pre, namespace=ns, name=f"{name}_{i}")
        R.connect(i=np.full(len(S), i, dtype=np.int32), j=np.arange(len(S), dtype=np.int32))
        out.append(R)
    return out
