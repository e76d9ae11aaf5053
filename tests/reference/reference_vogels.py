"""The Vogels et al. (2011) inhibitory STDP rule in its plainest form, for tests/reference.py.

Written from the rule's definition, not from the kernel: every synapse keeps the explicit
list of the steps at which presynaptic spikes arrived, every postsynaptic neuron the list of
the steps at which it spiked, and each update sums over those lists (no traces)::

    arrival at step n (synapse k onto j):
        w += eta * (sum over post spikes m of j that count as before it of
                    exp(-(n - m) dt / tau)  -  alpha)
    post spike of j at step n:
        w_k += eta * sum over arrivals a at k that count as before it of exp(-(n - a) dt/tau)

each followed by ``w = clip(w, w_min, w_max)``. A spike of an earlier step always counts as
before. For a post spike and an arrival in the *same step* the rule's ``same_step`` says:
the arrival counts as before the post spike when ``same_step`` is "potentiate" or "both",
the post spike as before the arrival when it is "depress" or "both", neither way for
"neither". Within a step the updates happen in this order (it matters only for clipping):
postsynaptic updates first when ``same_step`` is "depress" or "neither", then the
arrivals, then postsynaptic updates when it is "potentiate" or "both".

Hooks (called by tests/reference.py): ``setup(pj, projection, dt)`` once per projection,
``on_post(pj, fired_ids, n, early)`` twice per step (``early`` before the presynaptic
pathways, then after them), ``on_pre(pj, k, n)`` after synapse k delivered its weight.
"""

from __future__ import annotations

import math

__all__ = ["handles", "setup", "on_pre", "on_post"]


def handles(rule) -> bool:
    return type(rule).__name__ == "VogelsSTDP"


def setup(pj, pr, dt):
    n_syn = len(pj["pre_ids"])
    pj["vogels"] = {"dt": dt, "learn": bool(pr.learning),
                    "arrivals": [[] for _ in range(n_syn)], "posts": {}}


def _clip(w, lo, hi):
    return lo if w < lo else (hi if w > hi else w)


def on_pre(pj, k, n):
    s, st = pj["stdp"], pj["vogels"]
    post_first = s.same_step in ("depress", "both")
    j = pj["post_ids"][k]
    total = 0.0
    for m in st["posts"].get(j, []):
        if m < n or (m == n and post_first):
            total += math.exp(-(n - m) * st["dt"] / s.tau)
    if st["learn"]:
        alpha = 2.0 * s.rho_0 * s.tau / 1000.0
        pj["w"][k] = _clip(pj["w"][k] + s.eta * (total - alpha), s.w_min, s.w_max)
    st["arrivals"][k].append(n)


def on_post(pj, fired_ids, n, early):
    s, st = pj["stdp"], pj["vogels"]
    if early:
        for j in fired_ids:
            st["posts"].setdefault(j, []).append(n)
    if early != (s.same_step in ("depress", "neither")) or not st["learn"]:
        return
    pre_first = s.same_step in ("potentiate", "both")
    for j in fired_ids:
        for k in pj["syn_of_post"].get(j, []):
            total = 0.0
            for a in st["arrivals"][k]:
                if a < n or (a == n and pre_first):
                    total += math.exp(-(n - a) * st["dt"] / s.tau)
            pj["w"][k] = _clip(pj["w"][k] + s.eta * total, s.w_min, s.w_max)
