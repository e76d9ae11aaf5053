"""The headroom of neurolab's kernel on the recurrent B3: a plain numba loop written for this
one network only, against ``neurolab.engine.kernels.run_steps``, on the same connectivity.

Run from the repository root::

    python benchmarks/plain_b3r.py [--sizes 10000,50000] [--repeat 3]

The plain loop (:func:`plain_loop`) knows everything in advance that neurolab's kernel
reads from its tables: one current-based LIF population of N neurons (80 % E, 20 % I),
one delay, one pair-rule projection (E->E, additive, all-to-all pairing), its constants
folded in. It has no monitors but the spike count, no chunking, no other rules, synapse
types or pairing schemes. It follows the same schedule and arithmetic as neurolab's
kernel (exact current-synapse propagator, event-driven traces with the same table of
decay factors, the same order of additions), so it produces the same spikes and weights,
which the script checks: the comparison is like for like.

Both are timed in the same process, interleaved, after compilation: neurolab as the time
inside ``run_steps`` (tables, input drawing and results excluded; one thread), the plain
loop as its call. What this measures: how much of neurolab's kernel time is the price of
its generality (tables read at run time, every rule family's branches, monitors).
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

REPO = Path(__file__).resolve().parents[1]
for _p in (REPO / "benchmarks", REPO / "tests" / "oracles", REPO / "tests" / "reference", REPO):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import bench  # noqa: E402

_sim = importlib.import_module("neurolab.engine.tables")
K = importlib.import_module("neurolab.engine.kernels")
L = importlib.import_module("neurolab.base.layout")

NEVER = -(10 ** 12)


@njit(cache=True, inline="always")
def _decay(x, x_t, n, tab, c):
    """Trace x set at step x_t, at step n (neurolab's ``trace_now``)."""
    if x_t == n or x == 0.0:
        return x
    d = n - x_t
    if d < tab.shape[0]:
        return x * tab[d]
    return x * math.exp(-d * c)


@njit(cache=True)
def plain_loop(n_steps, n_e, v, ge, gi, last, rp, pend, post, w, cp, csyn, cpre, xpre,
               xpre_t, xpost, xpost_t, tab, c, delay, a_plus, a_minus, w_max, u0, pm, ce,
               ci, pe, pi_, k_ref, v_th, v_reset):
    """The recurrent B3 for ``n_steps`` steps. Synapses of presynaptic neuron i:
    ``rp[i] .. rp[i + 1]``, the plastic (E->E) ones first, up to ``pend[i]``; targets
    ``post`` (global ids), weights ``w``; E->E synapses onto E neuron j in postsynaptic
    order: ``csyn[cp[j] .. cp[j + 1]]`` with presynaptic ids ``cpre``. Returns the number of
    spikes."""
    n = v.shape[0]
    H = delay + 1
    ring = np.zeros((H, n), dtype=np.int64)
    cnt = np.zeros(H, dtype=np.int64)
    total = 0
    for step in range(n_steps):
        slot = step % H
        for j in range(n):
            x = u0 + (v[j] - u0) * pm + ge[j] * ce - gi[j] * ci
            v[j] = x if step >= last[j] + k_ref else v[j]
            ge[j] *= pe
            gi[j] *= pi_
        c_n = 0
        for j in range(n):
            if v[j] > v_th and step >= last[j] + k_ref:
                last[j] = step
                v[j] = v_reset
                ring[slot, c_n] = j
                c_n += 1
        cnt[slot] = c_n
        total += c_n
        if step >= delay:
            a = (step - delay) % H
            for k in range(cnt[a]):
                i = ring[a, k]
                if i < n_e:
                    xpre[i] = _decay(xpre[i], xpre_t[i], step, tab, c) + a_plus
                    xpre_t[i] = step
                    for s in range(rp[i], pend[i]):          # E->E: deliver, depress
                        j = post[s]
                        ws = w[s]
                        ge[j] += ws
                        ws -= _decay(xpost[j], xpost_t[j], step, tab, c)
                        w[s] = min(max(ws, 0.0), w_max)
                    for s in range(pend[i], rp[i + 1]):      # E->I
                        ge[post[s]] += w[s]
                else:
                    for s in range(rp[i], rp[i + 1]):        # I->E, I->I
                        gi[post[s]] += w[s]
        for k in range(c_n):                                  # E spikes: potentiate
            j = ring[slot, k]
            if j >= n_e:
                continue
            xpost[j] = _decay(xpost[j], xpost_t[j], step, tab, c) + a_minus
            xpost_t[j] = step
            for t in range(cp[j], cp[j + 1]):
                s = csyn[t]
                i = cpre[t]
                w[s] = min(max(w[s] + _decay(xpre[i], xpre_t[i], step, tab, c), 0.0), w_max)
    return total


def tables(net):
    """The plain loop's arguments for ``net`` (built by ``bench.build_b3r``), from the
    projections and neurolab's own per-neuron constants and decay table, and the mask of
    the E->E synapses in the loop's synapse order."""
    P = net.projections
    n_e = net.populations["exc"].n
    n = n_e + net.populations["inh"].n
    parts = []
    for name, pre_off, post_off, plastic in (("exc->exc", 0, 0, 1), ("exc->inh", 0, n_e, 0),
                                             ("inh->exc", n_e, 0, 0), ("inh->inh", n_e, n_e, 0)):
        pr = P[name]
        parts.append((pr.pre_ids + pre_off, pr.post_ids + post_off,
                      np.asarray(pr.weight, dtype=float), np.full(pr.n_syn, plastic)))
    pre, post, w, plastic = (np.concatenate(x) for x in zip(*parts))
    order = np.lexsort((1 - plastic, pre))          # by presynaptic neuron, plastic first
    pre, post, w, plastic = pre[order], post[order], w[order], plastic[order]   # (stable)
    rp = np.searchsorted(pre, np.arange(n + 1))
    pend = rp[:-1] + np.bincount(pre[plastic == 1], minlength=n)
    idx = np.flatnonzero(plastic == 1)
    csyn = idx[np.argsort(post[idx], kind="stable")]
    cp = np.zeros(n_e + 1, dtype=np.int64)
    np.cumsum(np.bincount(post[idx], minlength=n_e), out=cp[1:])
    st = net._ensure_state()
    par = st.nrn.par
    stdp = P["exc->exc"].stdp
    c = net.dt / stdp.tau_plus
    assert stdp.tau_plus == stdp.tau_minus
    return dict(n_e=n_e, v=st.nrn.v.copy(), ge=np.zeros(n), gi=np.zeros(n),
                last=np.full(n, NEVER, np.int64), rp=rp, pend=pend, post=post, w=w, cp=cp,
                csyn=csyn, cpre=pre[csyn], xpre=np.zeros(n_e),
                xpre_t=np.full(n_e, NEVER, np.int64), xpost=np.zeros(n_e),
                xpost_t=np.full(n_e, NEVER, np.int64), tab=_sim._exp_table(c), c=c,
                delay=int(round(P["exc->exc"].delay[0] / net.dt)), a_plus=stdp.A_plus,
                a_minus=stdp.A_minus, w_max=stdp.w_max,
                u0=par[L.VREST, 0] + par[L.IB, 0], pm=par[L.PM, 0], ce=par[L.CE, 0],
                ci=par[L.CI, 0], pe=par[L.PE, 0], pi_=par[L.PI, 0],
                k_ref=int(st.nrn.kref[0]), v_th=par[L.VTH, 0], v_reset=par[L.VRESET, 0]), \
        plastic == 1


def run_plain(n, duration):
    net = bench.build_b3r(n)
    args, plastic = tables(net)
    n_steps = net.n_steps(duration)
    t0 = time.perf_counter()
    spikes = plain_loop(n_steps, **args)
    # E->E weights: sorted by presynaptic neuron, stably, they are in the projection's
    # order (pre, then post)
    return time.perf_counter() - t0, spikes, args["w"][plastic]


def run_neurolab(n, duration):
    net = bench.build_b3r(n)
    with bench._KernelTimer() as kt:
        res = net.run(duration, progress=False, record_spikes="all")
    spikes = sum(r.i.size for r in res.spikes.values())
    return kt.seconds, spikes, res.final_weights["exc->exc"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,50000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    a = ap.parse_args(argv)
    print(f"load average at start: {os.getloadavg()}")
    run_plain(1000, 1.0)             # compile (or load) both
    run_neurolab(1000, 1.0)
    for n in (int(x) for x in a.sizes.split(",")):
        t_nl, t_pl = [], []
        for _ in range(a.repeat):
            s_nl, k_nl, w_nl = run_neurolab(n, a.duration)
            s_pl, k_pl, w_pl = run_plain(n, a.duration)
            t_nl.append(s_nl)
            t_pl.append(s_pl)
        same_w = np.array_equal(w_nl, w_pl)
        print(f"N={n}: neurolab run_steps {np.median(t_nl):.3f} s, plain loop "
              f"{np.median(t_pl):.3f} s, ratio {np.median(t_nl) / np.median(t_pl):.2f}; "
              f"spikes {k_nl} / {k_pl} ({'same' if k_nl == k_pl else 'DIFFERENT'}), E->E "
              f"weights {'bitwise the same' if same_w else 'DIFFERENT'}; runs "
              f"{[round(x, 3) for x in t_nl]} / {[round(x, 3) for x in t_pl]}", flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
