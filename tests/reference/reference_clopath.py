"""Clopath's voltage rule (Clopath et al. 2010) in its plainest form, for tests/reference.py.

Written from the equations in the README, independently of
``neurolab/plasticity/clopath.py``: full histories instead of delay lines and traces.
For each postsynaptic neuron j of the projection, ``V[m]`` is its ``v`` at the start of
step m (``V[0]`` the initial value; ``V[n + 1]`` is ``v`` at the end of step n, after the
reset and the step's deliveries), and the filtered histories are

    U[0] = V[0],  U[m + 1] = e U[m] + (g - e) V[m] + (1 - g) V[m + 1]

(``e = exp(-dt/tau)``, ``g = tau/dt (1 - e)``; ``tau_minus`` for u_minus, ``tau_plus`` for
u_plus; u_bar_bar filtered from u_minus the same way with ``tau_bar_bar``); delayed by D
steps, ``U^D[m] = U[max(m - D, 0)]``. For synapse k with arrival steps ``a_i``:

- at an arrival at step n (after its delivery): ``w -= A_LTD (U_minus^D[n] - theta_minus)+``
  (times ``U_bar_bar[n]^2 / u_ref^2`` with homeostasis);
- at the end of every step n: ``w += A_LTP dt x (V[n + 1] - theta_plus)+
  (U_plus^D[n + 1] - theta_minus)+`` with ``x = sum_{a_i <= n} exp(-(n + 1 - a_i) dt /
  tau_x) / tau_x``;

``w`` clipped to ``[w_min, w_max]`` after each update; nothing while learning is off.
"""

from __future__ import annotations

import math

__all__ = ["ClopathReference", "is_clopath"]


def is_clopath(stdp) -> bool:
    """Whether a projection's rule is Clopath's (read by name, not by import)."""
    return stdp is not None and type(stdp).__name__ == "ClopathSTDP"


class ClopathReference:
    """Histories of one Clopath projection and the weight updates they imply."""

    def __init__(self, pr, dt: float, v0):
        self.s = s = pr.stdp
        self.dt = dt
        self.learn = bool(pr.learning)
        self.D = round(s.delay_u / dt)
        self.post_ids = [int(j) for j in pr.post_ids]
        posts = sorted(set(self.post_ids))
        self.V = {j: [float(v0[j])] for j in posts}
        self.Um = {j: [float(v0[j])] for j in posts}
        self.Up = {j: [float(v0[j])] for j in posts}
        self.Ubb = {j: [float(v0[j])] for j in posts}
        self.arrivals = [[] for _ in self.post_ids]

    def _clip(self, w):
        return min(max(w, self.s.w_min), self.s.w_max)

    def _delayed(self, hist, m):
        return hist[max(m - self.D, 0)]

    def on_pre(self, k: int, n: int, w: float) -> float:
        """Synapse k receives an arrival at step n (after delivering w): its new weight."""
        s = self.s
        self.arrivals[k].append(n)
        if not self.learn:
            return w
        j = self.post_ids[k]
        d = self._delayed(self.Um[j], n) - s.theta_minus
        if d <= 0.0:
            return w
        a = s.A_LTD
        if s.u_ref is not None:
            a = a * self.Ubb[j][n] ** 2 / s.u_ref ** 2
        return self._clip(w - a * d)

    def _filter(self, hist, tau, x0, x1):
        e = math.exp(-self.dt / tau)
        g = tau / self.dt * (1.0 - e)
        hist.append(e * hist[-1] + (g - e) * x0 + (1.0 - g) * x1)

    def end_step(self, n: int, v, w: list) -> None:
        """End of step n: v (the post population's v, after the reset) joins the histories;
        then the LTP of step n on every synapse (``w`` updated in place)."""
        s = self.s
        for j in self.V:
            self.V[j].append(float(v[j]))
            self._filter(self.Um[j], s.tau_minus, self.V[j][n], self.V[j][n + 1])
            self._filter(self.Up[j], s.tau_plus, self.V[j][n], self.V[j][n + 1])
            self._filter(self.Ubb[j], s.tau_bar_bar, self.Um[j][n], self.Um[j][n + 1])
        if not self.learn:
            return
        for k, j in enumerate(self.post_ids):
            vp = self.V[j][n + 1] - s.theta_plus
            up = self._delayed(self.Up[j], n + 1) - s.theta_minus
            if vp <= 0.0 or up <= 0.0:
                continue
            x = sum(math.exp(-(n + 1 - a) * self.dt / s.tau_x) / s.tau_x
                    for a in self.arrivals[k])
            if x > 0.0:
                w[k] = self._clip(w[k] + s.A_LTP * self.dt * x * vp * up)
