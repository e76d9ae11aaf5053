"""Reward-modulated STDP (``RewardSTDP``) in the reference simulator, in its plainest form.

Written from the rule's definition (Izhikevich 2007; the docstring of
``neurolab.plasticity.reward``), not from the kernel: no traces. At any time ``t`` the
eligibility of synapse ``k`` is the explicit sum over all its spike pairs completed by
``t`` (arrival ``p`` of its presynaptic spikes, axonal delays; postsynaptic spike ``q``)::

    c(t) = sum_{pairs, max(p, q) <= t} STDP(q - p) exp(-(t - max(p, q)) / tau_c)
    STDP(Δ) = +A_plus exp(-Δ/tau_plus) (Δ > 0),  -A_minus exp(Δ/tau_minus) (Δ < 0),
    Δ = 0 (same step): +A_plus, -A_minus, A_plus - A_minus or 0 as ``same_step`` says

and the dopamine signal is the explicit sum over the reward spikes (every spike of the
reward population) ``d(t) = sum_{r <= t} d_jump exp(-(t - r)/tau_d)``.

The weight follows ``dw/dt = c (d + d_tonic - b)``, held in ``[w_min, w_max]``. It is advanced from one
event of the synapse to the next (an arrival, a postsynaptic spike, a reward spike): in
between nothing jumps, ``c`` and ``d`` are single exponentials and the drive
``f(s) = c0 e^{-s/tau_c} (d0 e^{-s/tau_d} - b)`` changes sign at most once, where
``d0 e^{-s/tau_d} = b``. The primitive of ``f`` is
``F(x) = c0 d0 tau_k (1 - e^{-x/tau_k}) - b c0 tau_c (1 - e^{-x/tau_c})`` with ``b`` the
effective baseline ``b - d_tonic`` (the tonic level is constant dopamine; no sign change
when it is <= 0),
``tau_k = 1/(1/tau_c + 1/tau_d)``; the weight moves by ``F(s*)`` (clipped) then by
``F(T) - F(s*)`` (clipped), which is the bounded solution. Final weights are the weights at
the end of the run.
"""

from __future__ import annotations

import math


def is_reward_rule(rule) -> bool:
    return rule is not None and type(rule).__name__ == "RewardSTDP"


def _clip(w, lo, hi):
    return lo if w < lo else (hi if w > hi else w)


class RewardReference:
    """The reward-modulated synapses of one projection (see the module docstring)."""

    def __init__(self, proj, dt: float):
        r = proj.stdp
        self.r = r
        self.dt = dt
        self.post = proj.post.name
        self.post_ids = [int(j) for j in proj.post_ids]
        self.arrivals = [[] for _ in self.post_ids]   # per synapse: arrival steps
        self.posts = {}                               # post neuron -> spike steps
        self.rewards = []                             # one step per reward spike
        self.last = [0] * len(self.post_ids)          # step of the last advance

    def step(self, n, fired, arriving, w):
        """Record the events of step ``n`` and advance every synapse that has one."""
        for k in arriving:
            self.arrivals[k].append(n)
        posts_now = set(fired.get(self.post, []))
        for j in posts_now:
            self.posts.setdefault(j, []).append(n)
        n_rew = len(fired.get(self.r.reward, [])) if self.r.reward is not None else 0
        self.rewards += [n] * n_rew
        for k in range(len(self.post_ids)):
            if n_rew or k in arriving or self.post_ids[k] in posts_now:
                self._advance(k, n, w)

    def finish(self, n, w):
        for k in range(len(self.post_ids)):
            self._advance(k, n, w)

    # -------------------------------------------------------------------------------
    def _stdp(self, p, q):
        r = self.r
        if q > p:
            return r.A_plus * math.exp(-(q - p) * self.dt / r.tau_plus)
        if q < p:
            return -r.A_minus * math.exp(-(p - q) * self.dt / r.tau_minus)
        return {"potentiate": r.A_plus, "depress": -r.A_minus,
                "both": r.A_plus - r.A_minus, "neither": 0.0}[r.same_step]

    def _c(self, k, t):
        total = 0.0
        for p in self.arrivals[k]:
            for q in self.posts.get(self.post_ids[k], []):
                later = max(p, q)
                if later <= t:
                    total += self._stdp(p, q) * math.exp(-(t - later) * self.dt / self.r.tau_c)
        return total

    def _d(self, t):
        return sum(self.r.d_jump * math.exp(-(t - s) * self.dt / self.r.tau_d)
                   for s in self.rewards if s <= t)

    def _advance(self, k, n, w):
        a = self.last[k]
        if n == a:
            return
        # the bookkeeping's own check: no event of synapse k strictly inside (a, n)
        inside = (any(a < s < n for s in self.arrivals[k])
                  or any(a < s < n for s in self.posts.get(self.post_ids[k], []))
                  or any(a < s < n for s in self.rewards))
        assert not inside, (k, a, n)
        r = self.r
        c0, d0, T = self._c(k, a), self._d(a), (n - a) * self.dt
        tau_k = 1.0 / (1.0 / r.tau_c + 1.0 / r.tau_d)
        b = r.b - r.d_tonic                            # the effective baseline

        def F(x):
            return (c0 * d0 * tau_k * (1.0 - math.exp(-x / tau_k))
                    - b * c0 * r.tau_c * (1.0 - math.exp(-x / r.tau_c)))

        # where the drive changes sign (d0 e^{-s/tau_d} = b), if inside (0, T)
        s = r.tau_d * math.log(d0 / b) if (b > 0 and d0 > b) else T
        s = min(s, T)
        wk = _clip(w[k] + F(s), r.w_min, r.w_max)
        w[k] = _clip(wk + (F(T) - F(s)), r.w_min, r.w_max)
        self.last[k] = n
