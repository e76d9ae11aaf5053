"""Homeostasis in the pure-Python reference simulator (tests/reference.py): Diehl & Cook's
(2015) adaptive threshold and weight normalisation, in their plainest form.

Read from the network's documented attributes only: ``pop.threshold`` (an
``AdaptiveThreshold`` or None: ``theta_plus`` mV, ``tau_theta`` ms, ``frozen``),
``pop.theta`` (mV, the values the run starts from), ``proj.normalize`` (a
``Normalization`` or None: ``target``, ``every`` ms), ``proj.learning`` and the bounds
``proj.stdp.w_min``/``w_max``.

Semantics (written from the module docstring of neurolab/plasticity/homeostasis.py):

- at the start of step n, when ``n * dt`` is a multiple of ``every`` (n = 0 included)
  and the projection learns: for each postsynaptic neuron j with incoming weight sum
  ``S > 0``, every synapse onto j gets ``w = clip(w * (target / S), w_min, w_max)``;
  then the monitors sample (``theta`` too);
- state update: ``theta = theta * exp(-dt / tau_theta)`` unless frozen (refractory or not);
- threshold: ``v > v_th + theta`` and not refractory; a neuron that spikes gets
  ``theta += theta_plus`` (unless frozen).
"""

from __future__ import annotations

import math
import sys


class Homeostasis:
    """Adaptive thresholds and normalisations of one reference run."""

    def __init__(self, net, dt):
        self.dt = dt
        self.theta = {}      # pop -> list of theta (mV), adaptive populations only
        self.rule = {}       # pop -> AdaptiveThreshold
        self.rec = {}        # pop -> list of theta lists sampled at the start of each step
        for name, pop in net.populations.items():
            if pop.kind == "lif" and pop.threshold is not None:
                self.rule[name] = pop.threshold
                self.theta[name] = [float(x) for x in pop.theta]
                self.rec[name] = []
        self.norm = {}       # projection -> (every in steps, target, w_min, w_max)
        for name, pr in net.projections.items():
            nm = pr.normalize
            if nm is not None and pr.learning:
                self.norm[name] = (int(round(nm.every / dt)), nm.target,
                                   getattr(pr.stdp, "w_min", 0.0),
                                   getattr(pr.stdp, "w_max", math.inf))

    def start_step(self, n, projs):
        """Normalisation at the start of step n (``projs``: the reference's projection
        dicts with ``name``, ``w`` and ``syn_of_post``), then the theta samples."""
        for pj in projs:
            if pj["name"] not in self.norm:
                continue
            every, target, w_min, w_max = self.norm[pj["name"]]
            if n % every != 0:
                continue
            w = pj["w"]
            for syns in pj["syn_of_post"].values():
                total = sum(w[k] for k in syns)
                # 0, denormal or non-finite sums, and factors that overflow: left alone
                if not sys.float_info.min <= abs(total) <= sys.float_info.max:
                    continue
                f = target / total
                if not abs(f) <= sys.float_info.max:
                    continue
                for k in syns:
                    x = w[k] * f
                    w[k] = w_min if x < w_min else (w_max if x > w_max else x)
        for name, theta in self.theta.items():
            self.rec[name].append(list(theta))

    def decay(self, name):
        """The state update of theta in population ``name``."""
        if name in self.theta and not self.rule[name].frozen:
            f = math.exp(-self.dt / self.rule[name].tau_theta)
            th = self.theta[name]
            for i in range(len(th)):
                th[i] = th[i] * f

    def offset(self, name, i):
        """theta of neuron i (0.0 without an adaptive threshold)."""
        return self.theta[name][i] if name in self.theta else 0.0

    def spiked(self, name, i):
        if name in self.theta and not self.rule[name].frozen:
            self.theta[name][i] += self.rule[name].theta_plus
