"""neurolab: spiking networks that learn by spike-timing-dependent plasticity.

Units: ms, mV, Hz; weights dimensionless (conductance synapses) or mV (delta and current).

>>> import neurolab as nl
>>> net = nl.Network(dt=0.1, seed=0)
>>> inp = net.add_poisson("inp", n=100, rates=15.0)
>>> out = net.add_lif("out", n=1, params=nl.LIFParams(synapse="conductance"))
>>> proj = net.connect(inp, out, weight=0.01, stdp=nl.STDPParams(w_max=0.02))
>>> res = net.run(100.0, record_weights={"inp->out": "all"})
"""

from . import analysis, inputs, masquelier
from .inputs import correlated_poisson, rate_coded_images, repeating_pattern
from .marks import mark_result
from .monitors import (SimResult, SpikeRecord, StateRecord, WeightRecord, assert_same,
                       load_run, weight_matrix)
from .network import CurrentSource, Network, PoissonInput, Population, Projection
from .params import LIFParams, STDPParams
from .plasticity import (AdaptiveThreshold, Normalization, PowerLawSTDP, RewardSTDP, TripletSTDP,
                         VogelsSTDP)
from .simulate import NonFiniteStateError, simulate
from . import protocols

__version__ = "0.5.0"

__all__ = ["Network", "Population", "Projection", "PoissonInput", "CurrentSource",
           "LIFParams", "STDPParams", "PowerLawSTDP", "TripletSTDP", "VogelsSTDP",
           "RewardSTDP", "AdaptiveThreshold", "Normalization", "simulate",
           "NonFiniteStateError", "SimResult", "SpikeRecord", "StateRecord", "WeightRecord",
           "load_run", "weight_matrix", "assert_same", "analysis", "mark_result",
           "inputs", "masquelier", "protocols", "correlated_poisson", "repeating_pattern",
           "rate_coded_images",
           "__version__"]
