"""Cost of each plasticity rule on one network: synaptic events per second, neurolab only.

Run from the repository root (on an idle machine; it prints the load average)::

    python benchmarks/rules.py [--duration MS] [--repeat N] [--only NAME,NAME]

Network (the same for every rule, built from one seed): 1000 Poisson inputs at 15 Hz, all
to all onto 100 conductance LIF neurons (Song et al. 2000's neuron: tau_m 10 ms, E_L -74,
v_th -54, v_reset -60, E_e 0 mV, tau_e 5 ms), 100 000 plastic synapses, initial weights
uniform in [0, 0.7 g_max] with g_max = 0.015 (output rates of tens of Hz), 10 s. Each rule keeps its time constants at
20 ms and its amplitudes near Song et al.'s (A_plus = 0.005 g_max), so that the output
rates stay comparable; the table prints them beside the times.

Each row: the median over ``--repeat`` runs of ``net.run`` with the rule's kernel already
compiled (a first, short run compiles it, timed apart as ``compile``; a kernel already in
numba's cache loads in a fraction of a second), the synaptic events per second, the output rate, and the time
relative to the default rule (all-to-all, additive). Synaptic events are the synapses a
step's spikes touch: each input spike's 100 synapses (delivery and depression) and each
output spike's 1000 (potentiation). The default rule's row is the cost of
the kernel that a user of the default rule runs; the other rows say what a rule adds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import neurolab as nl  # noqa: E402
import neurolab.plasticity as P  # noqa: E402

G_MAX = 0.015
A = 0.005 * G_MAX


def _pair(**kw):
    args = dict(A_plus=A, A_minus=1.05 * A, tau_plus=20.0, tau_minus=20.0, w_min=0.0,
                w_max=G_MAX)
    args.update(kw)
    return nl.STDPParams(**args)


def rules():
    """``{row name: rule factory}``: the factory returns the rule, or ``(rule, extras)``
    with ``extras`` a dict of ``threshold`` (for ``add_lif``), ``normalize`` (for
    ``connect``) and ``reward_hz`` (a Poisson reward population at that rate)."""
    out = {
        "pair, all-to-all, additive (default)": lambda: _pair(),
        "pair, nearest symmetric": lambda: _pair(pairing="nearest_symmetric"),
        "pair, presynaptic-centred": lambda: _pair(pairing="presynaptic_centred"),
        "pair, restricted": lambda: _pair(pairing="restricted"),
        "pair, same_step='neither'": lambda: _pair(same_step="neither"),
        "pair, Gütig mu=0.5": lambda: _pair(mu=0.5),
        "power law (Morrison 2007)": lambda: P.PowerLawSTDP(
            lambda_=A / G_MAX, alpha=1.05, mu=0.4, w0=G_MAX, w_max=G_MAX),
    }
    if hasattr(P, "TripletSTDP"):
        def triplet(interaction):
            return P.TripletSTDP(A2_plus=A, A3_plus=0.5 * A, A2_minus=1.05 * A,
                                 A3_minus=0.5 * A, tau_plus=20.0, tau_x=20.0, tau_minus=20.0,
                                 tau_y=20.0, w_max=G_MAX, interaction=interaction)
        out["triplet, all-to-all (Pfister & Gerstner 2006)"] = lambda: triplet("all_to_all")
        out["triplet, nearest spike"] = lambda: triplet("nearest_spike")
    if hasattr(P, "VogelsSTDP"):
        # on this network's excitatory inputs (its cost does not depend on the receptor),
        # where the rule is unstable (inhibitory STDP on excitation): rho_0 near the
        # initial output rate and a small eta keep the weights and rates near their start
        out["inhibitory STDP (Vogels 2011)"] = lambda: P.VogelsSTDP(
            eta=A / 5, rho_0=70.0, tau=20.0, w_max=G_MAX)
    # reward-modulated STDP with a 1 Hz reward: every reward spike brings all 100 000
    # synapses up to date (its cost scales with the reward rate)
    out["reward-modulated (Izhikevich 2007), 1 Hz reward"] = lambda: (
        P.RewardSTDP(A_plus=A, A_minus=1.05 * A, tau_plus=20.0, tau_minus=20.0, tau_c=1000.0,
                     tau_d=200.0, w_max=G_MAX, reward="reward"), {"reward_hz": 1.0})
    out["pair + adaptive threshold + normalisation every 100 ms (Diehl & Cook)"] = lambda: (
        _pair(), {"threshold": P.AdaptiveThreshold(theta_plus=0.05, tau_theta=1e4),
                  "normalize": P.Normalization(target=1000 * 0.35 * G_MAX, every=100.0)})
    return out


def build(made, seed=5, n_in=1000, n_out=100):
    rule, extras = made if isinstance(made, tuple) else (made, {})
    net = nl.Network(dt=0.1, seed=seed)
    inp = net.add_poisson("inp", n=n_in, rates=15.0)
    if "reward_hz" in extras:
        net.add_poisson("reward", n=1, rates=extras["reward_hz"])
    out = net.add_lif("out", n=n_out, params=nl.LIFParams(
        tau_m=10.0, v_rest=-74.0, v_th=-54.0, v_reset=-60.0, synapse="conductance",
        tau_e=5.0, E_e=0.0), threshold=extras.get("threshold"))
    net.connect(inp, out, rule="all_to_all", weight=("uniform", 0.0, 0.7 * G_MAX), stdp=rule,
                normalize=extras.get("normalize"), name="inp->out")
    return net


def measure(name, factory, duration, repeat):
    t0 = time.perf_counter()
    build(factory()).run(10.0, progress=False)          # compile (or load) the kernel
    compile_s = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        net = build(factory())
        t0 = time.perf_counter()
        res = net.run(duration, progress=False, record_spikes="all")
        times.append(time.perf_counter() - t0)
    # every input spike reaches all 100 outputs (no delay); every output spike updates
    # its 1000 incoming synapses
    events = res.spikes["inp"].t.size * 100 + res.spikes["out"].t.size * 1000
    loop = statistics.median(times)
    rate = res.spikes["out"].t.size / 100 / (duration / 1000.0)
    return {"name": name, "loop_s": loop, "compile_s": compile_s, "events": events,
            "events_per_s": events / loop, "out_rate_hz": rate,
            "mean_w": float(np.mean(res.final_weights["inp->out"]))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10_000.0, help="ms (default 10 s)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default=None, help="comma-separated substrings of row names")
    args = ap.parse_args(argv)
    table = rules()
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        table = {n: f for n, f in table.items() if any(k in n for k in keys)}
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), cores: {os.cpu_count()}")
    rows = [measure(n, f, args.duration, args.repeat) for n, f in table.items()]
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")
    base = rows[0]["loop_s"] if rows and "default" in rows[0]["name"] else None
    print()
    print("| rule | loop (s) | x default | events/s | compile (s) | output rate (Hz) "
          "| mean w / g_max |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        rel = f"{r['loop_s'] / base:.2f}" if base else "–"
        print(f"| {r['name']} | {r['loop_s']:.3f} | {rel} | {r['events_per_s'] / 1e6:.1f} M "
              f"| {r['compile_s']:.1f} | {r['out_rate_hz']:.1f} | {r['mean_w'] / G_MAX:.2f} |")
    return rows


if __name__ == "__main__":
    main()
