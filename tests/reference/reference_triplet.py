"""The triplet rule (Pfister & Gerstner 2006) in its plainest form, for tests/reference.py.

No traces: every quantity is a sum over explicit lists of spike steps, written from the
paper's definition, independently of ``neurolab/plasticity/triplet.py``. For a synapse with
presynaptic arrival steps ``a_i`` (axonal delays: the arrival at the synapse) and the
postsynaptic spike steps ``p_k`` of its target, at step ``n`` (time ``t = n dt``):

- at an arrival ``n``: ``w <- clip(w - o1 (A2_minus + A3_minus r2), w_min, w_max)`` with
  ``o1 = sum_{p_k < n} exp(-(n - p_k) dt / tau_minus)`` (postsynaptic spikes of earlier
  steps: a postsynaptic spike of step n comes after the presynaptic pathway, Brian2's
  order) and ``r2 = sum_{a_i < n} exp(-(n - a_i) dt / tau_x)`` (earlier arrivals only:
  "just before");
- at a postsynaptic spike ``n``: ``w <- clip(w + r1 (A2_plus + A3_plus o2), w_min,
  w_max)`` with ``r1 = sum_{a_i <= n} exp(-(n - a_i) dt / tau_plus)`` (an arrival of the
  same step counts: it came first) and ``o2 = sum_{p_k < n} exp(-(n - p_k) dt / tau_y)``.

``"nearest_spike"`` interaction: each sum keeps only its latest term (the trace remembers
the last spike only).
"""

from __future__ import annotations

import math

__all__ = ["is_triplet", "TripletReference"]


def is_triplet(stdp) -> bool:
    """Whether a projection's rule is the triplet rule (read by name, not by import)."""
    return stdp is not None and type(stdp).__name__ == "TripletSTDP"


class TripletReference:
    """Spike histories of one plastic projection and the weight updates they imply."""

    def __init__(self, stdp, dt: float, n_syn: int):
        self.s = stdp
        self.dt = dt
        self.nearest = stdp.interaction == "nearest_spike"
        self.arrivals = [[] for _ in range(n_syn)]      # per synapse: arrival steps
        self.posts = {}                                  # post id -> spike steps

    def _sum(self, steps, n, tau, include_now):
        terms = [math.exp(-(n - m) * self.dt / tau) for m in steps
                 if m < n or (include_now and m == n)]
        if self.nearest:
            return terms[-1] if terms else 0.0
        return sum(terms)

    def _clip(self, w):
        return min(max(w, self.s.w_min), self.s.w_max)

    def on_pre(self, k: int, j: int, n: int, w: float) -> float:
        """Synapse k (onto post neuron j) receives an arrival at step n: its new weight."""
        s = self.s
        o1 = self._sum(self.posts.get(j, []), n, s.tau_minus, False)
        r2 = self._sum(self.arrivals[k], n, s.tau_x, False)
        self.arrivals[k].append(n)
        return self._clip(w - o1 * (s.A2_minus + s.A3_minus * r2))

    def on_post(self, k: int, j: int, n: int, w: float) -> float:
        """Post neuron j of synapse k spikes at step n (not yet recorded): the new weight."""
        s = self.s
        r1 = self._sum(self.arrivals[k], n, s.tau_plus, True)
        o2 = self._sum(self.posts.get(j, []), n, s.tau_y, False)
        return self._clip(w + r1 * (s.A2_plus + s.A3_plus * o2))

    def record_post(self, j: int, n: int) -> None:
        """After every synapse onto j has been potentiated for its spike at step n."""
        self.posts.setdefault(j, []).append(n)
