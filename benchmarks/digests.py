"""Same results: a digest of the spikes and final weights of 19 small networks, one per
kernel path (neuron models, synapse kinds, every rule family and pairing, threads).

Run it with two trees and compare (a change to the kernel's layout must not change a bit)::

    PYTHONPATH=/path/to/other/tree python benchmarks/digests.py > a.txt
    PYTHONPATH=. python benchmarks/digests.py > b.txt
    diff a.txt b.txt

Each line: network, SHA-256 prefix of its spikes and weights, number of spikes. The
neurolab on ``PYTHONPATH`` is the one measured (imported before ``bench``, which would put
this repository first on ``sys.path``).
"""
import hashlib
import os
import sys
import warnings

import numpy as np

import neurolab as nl
from neurolab.model.neuron_models import AdExParams, IzhikevichParams
from neurolab.plasticity import (
    AdaptiveThreshold,
    ClopathSTDP,
    Normalization,
    PowerLawSTDP,
    RewardSTDP,
    TripletSTDP,
    VogelsSTDP,
)


def base(synapse="delta", refractory=2.0, threshold=None, n_out=20, seed=1):
    net = nl.Network(dt=0.1, seed=seed)
    inp = net.add_poisson("inp", 200, rates=20.0)
    out = net.add_lif("out", n_out, nl.LIFParams(synapse=synapse, refractory=refractory), threshold=threshold)
    return net, inp, out

def digest(net, res):
    h = hashlib.sha256()
    for name in sorted(res.spikes):
        sp = res.spikes[name]
        h.update(name.encode()); h.update(np.asarray(sp.t).tobytes()); h.update(np.asarray(sp.i).tobytes())
    for pr in (net.projections.values() if isinstance(net.projections, dict) else net.projections):
        h.update(pr.name.encode()); h.update(np.asarray(pr.weight, dtype=float).tobytes())
    n = sum(np.asarray(res.spikes[k].t).size for k in res.spikes)
    return h.hexdigest()[:16], n

cases = {}
def case(f): cases[f.__name__] = f; return f

@case
def lif_delta_pair():
    net, inp, out = base("delta"); net.connect(inp, out, weight=1.0, delay=1.0, stdp=nl.STDPParams()); return net, {}
@case
def lif_cond_pair():
    net, inp, out = base("conductance"); net.connect(inp, out, weight=0.05, stdp=nl.STDPParams(A_plus=0.01, A_minus=0.0105, w_max=0.1)); return net, {}
@case
def lif_current_static_rec():
    net, inp, out = base("current"); net.connect(inp, out, "probability", weight=3.0, p=0.5)
    net.connect(out, out, "probability", weight=1.0, p=0.2, receptor="inh", delay=1.5); return net, {}
@case
def pair_nearest():
    net, inp, out = base("delta"); net.connect(inp, out, weight=1.0, stdp=nl.STDPParams(pairing="nearest_symmetric")); return net, {}
@case
def pair_precentred():
    net, inp, out = base("delta"); net.connect(inp, out, weight=1.0, stdp=nl.STDPParams(pairing="presynaptic_centred")); return net, {}
@case
def pair_restricted():
    net, inp, out = base("delta"); net.connect(inp, out, weight=1.0, stdp=nl.STDPParams(pairing="restricted")); return net, {}
@case
def pair_mu():
    net, inp, out = base("delta"); net.connect(inp, out, weight=1.0, stdp=nl.STDPParams(mu=0.5)); return net, {}
@case
def powerlaw():
    net, inp, out = base("delta"); net.connect(inp, out, weight=1.0, stdp=PowerLawSTDP()); return net, {}
@case
def triplet():
    net, inp, out = base("delta"); net.connect(inp, out, weight=1.0, stdp=TripletSTDP()); return net, {}
@case
def vogels():
    net, inp, out = base("conductance"); net.connect(inp, out, weight=0.05)
    net.connect(inp, out, weight=0.05, stdp=VogelsSTDP(), receptor="inh", name="vogels"); return net, {}
@case
def reward():
    net, inp, out = base("delta"); net.add_spikes("reward", 1, times=[50.0, 150.0, 300.0], indices=[0, 0, 0])
    net.connect(inp, out, weight=1.0, stdp=RewardSTDP(reward="reward")); return net, {}
@case
def homeostasis():
    net, inp, out = base("conductance", threshold=AdaptiveThreshold())
    net.connect(inp, out, weight=0.05, stdp=nl.STDPParams(w_max=0.1), normalize=Normalization(target=1.0, every=10.0)); return net, {}
@case
def adex_clopath():
    net = nl.Network(dt=0.1, seed=3); inp = net.add_poisson("inp", 200, rates=20.0)
    adex = net.add_adex("adex", 10, AdExParams(V_peak=33.0, t_clamp=2.0))
    net.connect(inp, adex, weight=0.5, stdp=ClopathSTDP()); return net, {}
@case
def adex_static():
    net = nl.Network(dt=0.1, seed=3); inp = net.add_poisson("inp", 200, rates=20.0)
    adex = net.add_adex("adex", 10, AdExParams()); net.connect(inp, adex, weight=0.5); return net, {}
@case
def izhikevich():
    net = nl.Network(dt=0.1, seed=4); inp = net.add_poisson("inp", 200, rates=20.0)
    iz = net.add_izhikevich("iz", 10, IzhikevichParams()); net.connect(inp, iz, weight=1.0, stdp=nl.STDPParams()); return net, {}
@case
def poisson_input_threads2():
    net = nl.Network(dt=0.1, seed=5); E = net.add_lif("E", 400, nl.LIFParams(synapse="current", refractory=2.0))
    net.add_poisson_input("drive", E, 50, 20.0, 2.0)
    net.connect(E, E, "probability", weight=0.5, p=0.05, delay=1.5, stdp=nl.STDPParams()); return net, {"threads": 2}
@case
def poisson_input_threads1():
    net, _ = poisson_input_threads2(); return net, {}

@case
def b3r1k_threads2():
    import bench
    return bench.build_b3r(1000), {"threads": 2}
@case
def b3r1k_threads1():
    net, _ = b3r1k_threads2(); return net, {}

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
names = sys.argv[1:] or list(cases)
for name in names:
    net, kw = cases[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = net.run(500.0, progress=False, record_spikes="all", **kw)
    print(name, *digest(net, res), flush=True)

