"""Network description: populations, projections (connectivity and initial weights).

A :class:`Network` is a specification. Connectivity and initial weights are drawn when a
projection is made, from a numpy Generator seeded by the network seed and the
projection's position, so they can be inspected before running; Poisson input is drawn
at run time from the seed and the population's position. :meth:`Network.run` always
starts from the initial state, so the same network, duration and seed give bitwise
identical spikes and weights.
"""

from __future__ import annotations

import copy
import hashlib
import math
import numbers

import numpy as np

from . import _validate as V
from ._resources import SYNAPSE_BYTES, check_memory
from .distributions import is_distribution, resolve
from .inputs import _ConstantBlocks, _VaryingBlocks, explicit_steps
from .params import NEURON_FIELDS, LIFParams, STDPParams
from .plasticity import RULES as PLASTICITY_RULES, PlasticityRule
from .plasticity import homeostasis as _homeo
from .params import summary as _summary

RULES = ("all_to_all", "one_to_one", "probability", "fixed_indegree", "fixed_outdegree",
         "explicit")
RECEPTORS = ("exc", "inh")

# stream identifiers for numpy SeedSequence-style seeding: [seed, stream, index]
_STREAM_CONNECT = 1
_STREAM_POISSON = 2
_STREAM_NEURON = 3          # per-neuron parameters and v_init drawn from distributions
_STREAM_POISSON_EPOCH = 4   # Poisson input after a change of rates between runs
_STREAM_DRIVE = 5           # PoissonInput counts
_STREAM_CHANGE = 6          # values drawn from distributions by changes between runs
_STREAM_POISSON_VARYING = 7  # Poisson input with time-varying rates


class Population:
    """A group of neurons of one kind: ``"poisson"``, ``"spikes"`` or ``"lif"``.

    Attributes: ``name``, ``n``, ``kind``; ``rates`` (Hz, poisson: read, or set between
    runs); ``times`` (ms) and ``indices`` (spikes); ``params`` (:class:`LIFParams` as given)
    and ``v_init`` (mV, (n,)) for lif; :meth:`param` gives one parameter of every neuron,
    ``v`` the membrane potential now (mV, (n,), settable between runs); ``threshold`` the
    :class:`~neurolab.plasticity.AdaptiveThreshold` or ``None`` and ``theta`` its offsets
    (mV, (n,)), both settable between runs.
    """

    def __init__(self, name, n, kind, index, **attrs):
        self.name = name
        self.n = n
        self.kind = kind
        self.index = index
        self.params = attrs.get("params")
        self._rates = attrs.get("rates")
        self.times = attrs.get("times")
        self.indices = attrs.get("indices")
        self.v_init = attrs.get("v_init")
        self.neuron_params = attrs.get("neuron_params")   # lif: {name: (n,) float64}
        self._net = attrs.get("net")
        self._threshold = attrs.get("threshold")       # lif: AdaptiveThreshold or None
        self._theta_init = attrs.get("theta_init")     # its theta when the run starts

    @property
    def is_source(self) -> bool:
        return self.kind != "lif"

    def __getitem__(self, key) -> "Subgroup":
        """A :class:`Subgroup` of this population (Brian2's ``G[10:20]``).

        ``key``: a slice ``a:b`` or ``a:b:step`` (0 <= a < b <= n, step >= 1), one index
        ``i`` (0 <= i < n), or a 1-d array/list of strictly increasing indices in [0, n).
        Negative indices, slices reaching past ``n``, empty selections, repeated or
        unsorted indices and boolean masks raise ``ValueError``/``TypeError``.
        """
        return Subgroup(self, _subgroup_ids(self.name, self.n, key))

    def __repr__(self):
        return f"Population({self.name!r}, n={self.n}, kind={self.kind!r})"

    # ------------------------------------------------------------ between runs
    @property
    def rates(self):
        """Poisson rates (Hz): an (n,) array, or the time-varying form given last.
        Setting it (any form :meth:`Network.add_poisson` takes) changes the rates from the
        network's current time ``net.t`` on; the input continues with new random numbers."""
        if self.kind != "poisson":
            return None
        return self._rates

    @rates.setter
    def rates(self, value):
        if self.kind != "poisson":
            raise AttributeError(f"population {self.name!r} of kind {self.kind!r} has no "
                                 f"rates; only Poisson populations do")
        self._net._set_rates(self, value)

    def param(self, name: str) -> np.ndarray:
        """The current value of LIF parameter ``name`` for every neuron: (n,) float64 in its
        unit (ms or mV), a copy."""
        self._lif_only("param")
        V.choice("name", name, tuple(f for f, _, _ in NEURON_FIELDS))
        return self.neuron_params[name].copy()

    def set_params(self, **changes) -> None:
        """Change LIF parameters of this population between runs (or before the first).

        Each value is a scalar, an (n,) array or a distribution, validated as in
        :class:`LIFParams` (``synapse`` cannot change). Takes effect from ``net.t`` on and is
        recorded in the next run's provenance. Raises ``ValueError``/``TypeError`` naming
        the parameter.
        """
        self._lif_only("set_params")
        self._net._set_neuron_params(self, changes)

    @property
    def v(self) -> np.ndarray:
        """Membrane potential (mV) of every neuron now: (n,) copy; before the first run
        ``v_init``. Settable (scalar, (n,) array or distribution) between runs."""
        self._lif_only("v")
        return self._net._get_state_var(self, "v")

    @v.setter
    def v(self, value):
        self._lif_only("v")
        self._net._set_v(self, value)

    @property
    def threshold(self):
        """The adaptive threshold (:class:`~neurolab.plasticity.AdaptiveThreshold`,
        Diehl & Cook 2015) of this LIF population, or ``None`` (a fixed ``v_th``). Settable
        before or between runs: an adaptive threshold replacing another keeps ``theta``
        (``E.threshold = E.threshold.replace(frozen=True)`` freezes it for a test phase),
        one added to a population without starts from its ``theta_init``, ``None``
        removes it. Recorded in the next run's provenance."""
        self._lif_only("threshold")
        return self._threshold_now()

    @threshold.setter
    def threshold(self, value):
        self._lif_only("threshold")
        self._net._set_threshold(self, value)

    def _threshold_now(self):
        state = self._net._state if self._net is not None else None
        if state is None:
            return self._threshold
        return state.homeo_spec["thresholds"].get(self.name)

    @property
    def theta(self) -> np.ndarray:
        """Adaptive threshold offset (mV) of every neuron now, (n,) copy: the neuron spikes
        at ``v > v_th + theta``. Settable (scalar, (n,) array or distribution) before or
        between runs. Only for a population with an adaptive threshold."""
        self._adaptive_only("theta")
        return self._net._get_theta(self)

    @theta.setter
    def theta(self, value):
        self._adaptive_only("theta")
        self._net._set_theta(self, value)

    def _adaptive_only(self, what):
        self._lif_only(what)
        if self._threshold_now() is None:
            raise AttributeError(f"{what} exists for populations with an adaptive threshold "
                                 f"only; {self.name!r} has none (set "
                                 f"{self.name}.threshold = AdaptiveThreshold(...))")

    def _lif_only(self, what):
        if self.kind != "lif":
            raise AttributeError(f"{what} exists for LIF populations only; {self.name!r} is "
                                 f"of kind {self.kind!r}")

    def to_dict(self) -> dict:
        d = {"name": self.name, "n": self.n, "kind": self.kind}
        if self.kind == "lif":
            d["params"] = self.params.to_dict()
            d["neuron_params"] = {k: _summary(v) for k, v in self.neuron_params.items()}
            d["v_init"] = _summary(self.v_init)
            if self._threshold_now() is not None:
                d["threshold"] = self._threshold_now().to_dict()
                d["theta_init"] = _summary(self._theta_init)
        elif self.kind == "poisson":
            d["rates_hz"] = _rates_summary(self._rates)
        else:
            d["n_spikes"] = int(self.times.size)
            d["spikes_sha256"] = hashlib.sha256(
                self.times.tobytes() + self.indices.tobytes()).hexdigest()
        return d


class Subgroup:
    """A part of a population, made by indexing it: ``E[:100]``, ``E[10:20]``,
    ``E[[1, 5, 7]]``, ``E[np.arange(0, 100, 2)]`` (Brian2's subgroups, which must be
    contiguous; here any strictly increasing set of indices is allowed).

    Usable wherever :meth:`Network.connect` takes a population, as ``pre`` and/or ``post``:
    connectivity is drawn among the subgroup's neurons and mapped to the parent, so the
    :class:`Projection` connects the parent populations and its ``pre_ids``/``post_ids``
    are indices in the parents.

    Attributes
    ----------
    population : the parent :class:`Population`.
    ids : int64 array, shape ``(n,)``, strictly increasing local indices in the parent;
        neuron ``j`` of the subgroup is neuron ``ids[j]`` of the parent.
    n : number of neurons.
    name : ``"E[0:100]"`` for a contiguous range, ``"E[5]"`` for one neuron,
        ``"E[0:100:2]"`` for a regular step, ``"E[1,5,7]"`` for a few indices, and
        ``"E[<n> ids <first>..<last> #<hash>]"`` otherwise; the same neurons always give the
        same name. Indexing a subgroup again gives a subgroup of the parent.
    """

    def __init__(self, population: Population, ids: np.ndarray):
        self.population = population
        self.ids = ids
        self.ids.setflags(write=False)
        self.n = int(ids.shape[0])
        self.name = f"{population.name}[{_ids_label(ids)}]"

    @property
    def kind(self) -> str:
        return self.population.kind

    @property
    def is_source(self) -> bool:
        return self.population.is_source

    def __getitem__(self, key) -> "Subgroup":
        """A subgroup of this subgroup, indexed like a population (in ``[0, n)``),
        returned as a subgroup of the parent population."""
        return Subgroup(self.population, self.ids[_subgroup_ids(self.name, self.n, key)])

    def __len__(self) -> int:
        return self.n

    def __repr__(self):
        return f"Subgroup({self.name!r}, n={self.n}, kind={self.kind!r})"

    def to_dict(self) -> dict:
        return {"name": self.name, "population": self.population.name, "n": self.n,
                "ids": self.ids.tolist()}


class Projection:
    """Synapses from one population to another.

    Synapse ``k`` connects ``pre_ids[k]`` (int64 local index in ``pre``) to ``post_ids[k]``
    (local index in ``post``) with initial weight ``weight[k]`` and axonal delay
    ``delay[k]`` (ms, a multiple of ``dt``): the whole presynaptic pathway, STDP trace
    update included, runs when the spike arrives (Brian2's meaning of ``delay``). ``pre``
    and ``post`` are whole populations even when the projection was made from subgroups
    (``spec`` then names them); every rule but ``"explicit"`` orders synapses by
    ``pre_ids`` then ``post_ids``. ``pre_ids``/``post_ids`` become read-only when the
    network first runs or is stored: its structure (the kernel's tables) is fixed then, and
    assigning other arrays to them raises ``RuntimeError`` (the runs' connectivity, its
    digest in the provenance and ``SimResult.connectivity`` stay those the kernel uses).

    Weights are magnitudes, ``weight >= 0`` (mV for delta and current synapses,
    dimensionless for conductance synapses); ``receptor`` (``"exc"``/``"inh"``) says whether
    they depolarise or hyperpolarise. ``stdp`` is an :class:`STDPParams` for a plastic
    projection (pair-based; pairing scheme and weight dependence as it says), ``None`` for
    a static one. ``normalize`` is a :class:`~neurolab.plasticity.Normalization` of each
    neuron's summed incoming weights (plastic projections), or ``None``.
    """

    def __init__(self, name, pre, post, pre_ids, post_ids, weight, delay, receptor, stdp,
                 index, spec, normalize=None):
        self.name = name
        self.pre = pre
        self.post = post
        self.pre_ids = pre_ids
        self.post_ids = post_ids
        self.weight = weight
        self.delay = delay
        self.receptor = receptor
        self.stdp = stdp
        self.index = index
        self.spec = spec
        self._normalize = normalize

    def _ids_property(which, side):
        """The ``pre_ids``/``post_ids`` property: the array, and replacing it refused once
        the structure is fixed (:meth:`_replace_ids`)."""
        return property(lambda self: getattr(self, "_" + which),
                        lambda self, value: self._replace_ids(which, value),
                        doc=f"{side} local index of each synapse, (n_syn,) int64; read-only "
                            f"once the network's structure is fixed.")

    pre_ids = _ids_property("pre_ids", "Presynaptic")
    post_ids = _ids_property("post_ids", "Postsynaptic")
    del _ids_property

    def _replace_ids(self, which, value):
        net = self._net
        if net is not None and net._state is not None:
            raise RuntimeError(
                f"cannot replace {which} of projection {self.name!r}: the network's "
                f"structure is fixed once it has run or been stored (t = {net.t:g} ms), and "
                f"its runs use the synapses it had then; connect every projection before "
                f"the first run (or build a new Network)")
        setattr(self, "_" + which, value)

    @property
    def _net(self):
        """The network once this projection is registered in it, else None."""
        net = self.pre._net
        return net if net is not None and net.projections.get(self.name) is self else None

    # ------------------------------------------------------------ between runs
    @property
    def weight(self) -> np.ndarray:
        """Weights now, in synapse order ((n_syn,) copy; mV for delta/current synapses,
        dimensionless for conductance synapses). Before the first run the initial weights;
        afterwards what the next run starts from. Settable (scalar, (n_syn,) array or
        distribution) before or between runs, validated as in :meth:`Network.connect`."""
        net = self._net
        if net is None or net._state is None:
            return self._weight
        return net._state.get_weights(self)

    @weight.setter
    def weight(self, value):
        net = self._net
        if net is None:                  # set by the constructor, already validated
            self._weight = value
            return
        net._set_weights(self, value)

    @property
    def delay(self) -> np.ndarray:
        """Axonal delays (ms), (n_syn,). Can be set before the first run only (spikes in
        flight would otherwise be lost or duplicated)."""
        return self._delay

    @delay.setter
    def delay(self, value):
        net = self._net
        if net is None:
            self._delay = value
            return
        net._set_delay(self, value)

    @property
    def learning(self) -> bool:
        """Whether a plastic projection changes its weights (default True). ``False``
        freezes the weights, e.g. for a test phase; the STDP traces keep following the
        spikes, so switching learning back on continues as if the rule had been watching.
        Frozen weights are not normalised either (``normalize``). Recorded in the next
        run's provenance."""
        return getattr(self, "_learning", True)

    @learning.setter
    def learning(self, value):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"learning must be True or False, got {V._show(value)}")
        if self.stdp is None and value:
            raise ValueError(f"projection {self.name!r} is static (stdp=None); it cannot "
                             f"learn")
        self._net._set_learning(self, bool(value))

    def set_stdp(self, stdp: STDPParams) -> None:
        """Replace the STDP parameters of a plastic projection (before or between runs): the
        same rule family and pairing scheme (the state the kernel keeps), otherwise
        ``ValueError``; ``None`` raises ``TypeError`` (set ``learning = False`` instead).
        The traces keep their values (spikes before the change keep the amplitudes they
        had); a trace is decayed over the whole time since its last spike with the time
        constants in force when it is read, as Brian2's event-driven traces are."""
        self._net._set_stdp(self, stdp)

    @property
    def normalize(self):
        """The :class:`~neurolab.plasticity.Normalization` of this plastic projection
        (each postsynaptic neuron's incoming weights scaled to sum to ``target`` every
        ``every`` ms; Diehl & Cook 2015), or ``None``. Settable before or between runs."""
        net = self._net
        if net is None or net._state is None:
            return self._normalize
        return net._state.homeo_spec["normalize"].get(self.name)

    @normalize.setter
    def normalize(self, value):
        self._net._set_normalize(self, value)

    @property
    def n_syn(self) -> int:
        return int(self.pre_ids.shape[0])

    @property
    def plastic(self) -> bool:
        return self.stdp is not None

    def __repr__(self):
        return (f"Projection({self.name!r}, {self.pre.name!r} -> {self.post.name!r}, "
                f"n_syn={self.n_syn}, plastic={self.plastic})")

    def to_dict(self) -> dict:
        d = {"name": self.name, "pre": self.pre.name, "post": self.post.name,
             "n_syn": self.n_syn, "receptor": self.receptor,
             "stdp": None if self.stdp is None else self.stdp.to_dict(),
             # the weights a run starts from (to_dict is called as a run starts)
             "weight_init": _summary(self.weight), "delay_ms": _summary(self.delay),
             "connectivity_sha256": self._connectivity_sha256()}
        if self.normalize is not None:
            d["normalize"] = self.normalize.to_dict()
        d.update(self.spec)
        return d

    def _connectivity_sha256(self) -> str:
        """sha256 (hex) of the bytes of ``pre_ids`` followed by those of ``post_ids``.

        Remembered once it cannot change: the network's first run (or ``store``) builds the
        kernel's tables from these arrays and makes them read-only (``RunState``), so while
        ``pre_ids``/``post_ids`` are the same, read-only arrays the digest stays valid; any
        other arrays (before the first run, or replaced ones) are hashed afresh."""
        pre, post = self.pre_ids, self.post_ids
        known = getattr(self, "_conn_digest", None)
        frozen = not (pre.flags.writeable or post.flags.writeable)
        if known is not None and frozen and known[0] is pre and known[1] is post:
            return known[2]
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(pre))      # the bytes of tobytes(), without a copy
        h.update(np.ascontiguousarray(post))
        digest = h.hexdigest()
        self._conn_digest = (pre, post, digest) if frozen else None
        return digest


class Network:
    """A spiking network: populations of sources and LIF neurons, projections, Poisson
    drives and injected currents; and the state it has reached.

    A network keeps its state between runs, as Brian2's and NEST's do: ``net.run(500)``
    twice is the same as ``net.run(1000)`` (bitwise: spikes and weights), ``net.t`` says
    where the network is, and :meth:`store` / :meth:`restore` snapshot and return. The
    structure (populations, projections, drives, currents) is fixed by the first run or
    :meth:`store`; between runs rates, weights, learning, neuron parameters, membrane
    potentials and injected currents can change (each change is validated and recorded in
    the next run's provenance).

    Parameters
    ----------
    dt : simulation time step (ms), > 0; default 0.1 ms.
    seed : integer >= 0 seeding connectivity, random initial values and all random input
        (each from its own stream: adding a population does not change the others).

    Example
    -------
    >>> import neurolab as nl
    >>> net = nl.Network(dt=0.1, seed=1)
    >>> inp = net.add_poisson("inp", n=100, rates=15.0)
    >>> out = net.add_lif("out", n=1, params=nl.LIFParams(synapse="conductance"))
    >>> proj = net.connect(inp, out, weight=0.01, stdp=nl.STDPParams(w_max=0.02))
    >>> train = net.run(200.0)                 # 0 .. 200 ms
    >>> proj.learning = False                  # freeze the weights
    >>> test = net.run(100.0)                  # 200 .. 300 ms, from where training ended
    """

    def __init__(self, dt: float = 0.1, seed: int = 0):
        self.dt = V.positive("dt", dt, "ms")
        self.seed = V.integer("seed", seed, minimum=0)
        self.populations: dict[str, Population] = {}
        self.projections: dict[str, Projection] = {}
        self.drives: dict[str, PoissonInput] = {}
        self.currents: dict[str, CurrentSource] = {}
        self._state = None          # the simulation state, built by the first run / store
        self._stored = {}

    # ------------------------------------------------------------------ populations
    def _new_name(self, name):
        V.name_string("name", name)
        if self._state is not None:
            raise RuntimeError(
                f"cannot add {name!r}: the network's structure is fixed once it has run or "
                f"been stored (t = {self.t:g} ms); add every population, projection, drive "
                f"and current before the first run (or build a new Network)")
        if (name in self.populations or name in self.projections or name in self.drives
                or name in self.currents):
            raise ValueError(f"name {name!r} is already used in this network; "
                             f"names must be unique")
        return name

    def _add(self, name, n, kind, **attrs):
        pop = Population(name, n, kind, len(self.populations), net=self, **attrs)
        self.populations[name] = pop
        return pop

    def _rng(self, stream, *key):
        return np.random.default_rng([self.seed, stream, *key])

    def add_poisson(self, name: str, n: int, rates, *, rate_dt: float | None = None
                    ) -> Population:
        """Independent Poisson sources (Brian2's ``PoissonGroup``): each source spikes in
        each step with probability ``rate * dt / 1000``.

        ``rates`` (Hz) is one of:

        - a scalar or an (n,) array: constant rates;
        - an (n_bins,) or (n_bins, n) array with ``rate_dt`` (ms): piecewise-constant rates,
          row k applying in ``[k rate_dt, (k + 1) rate_dt)`` of network time (like Brian2's
          ``TimedArray``); after the last bin its rates hold;
        - a function of time, ``rates(t)`` with ``t`` an (m,) array of step start times
          (ms, network time) returning (m,) or (m, n) rates.

        Every rate must lie in ``[0, 1000/dt]`` Hz (at most one spike per step); a function's
        values are checked as they are drawn. Constant rates are drawn as geometric gaps in
        blocks of steps (cheap at low rates), time-varying ones as one uniform number per
        source per step. Either way the input of a step depends only on the seed, the
        population's position and the step. Raises ``ValueError``/``TypeError`` naming the
        parameter.
        """
        self._new_name(name)
        n = V.integer("n", n, minimum=1)
        rates = _rates_spec(name, rates, n, self.dt, rate_dt)
        return self._add(name, n, "poisson", rates=rates)

    def add_spikes(self, name: str, n: int, times, indices) -> Population:
        """Sources that spike at explicit times (Brian2's ``SpikeGeneratorGroup``).

        ``times``: ms of network time, each rounded to the nearest step, >= 0 and below
        ``2**53 * dt`` (the steps float64 counts exactly); ``indices``: the source of each
        spike, in ``[0, n)``. Spikes after the end of a run are emitted by the run that
        reaches them (continued runs). Raises ``ValueError`` / ``TypeError`` naming the
        parameter, the value and its index.
        """
        self._new_name(name)
        n = V.integer("n", n, minimum=1)
        times = V.float_array("times", times, allow_scalar=True)
        indices = V.index_array("indices", indices, upper=n)
        if times.shape[0] != indices.shape[0]:
            raise ValueError(f"times and indices must have the same length, got "
                             f"len(times)={times.shape[0]} and len(indices)={indices.shape[0]}")
        if (times < 0).any():
            k = int(np.flatnonzero(times < 0)[0])
            raise ValueError(f"times must be >= 0 ms, got {float(times[k])!r} at index {k}")
        V.within_steps("times", times, self.dt)        # step numbers that fit in int64
        explicit_steps(times, indices, self.dt, name)  # same-step duplicates
        return self._add(name, n, "spikes", times=times, indices=indices)

    def add_lif(self, name: str, n: int, params: LIFParams | None = None,
                v_init=None, threshold=None) -> Population:
        """Leaky integrate-and-fire neurons (see :class:`LIFParams`).

        Per-neuron parameters given as arrays must have length ``n``; distributions are
        drawn here from the network's generator (stream of this population and parameter).
        ``v_init``: initial membrane potential (mV): scalar, (n,) array or distribution;
        default ``v_rest``. ``threshold``: ``None`` (spike at ``v > v_th``) or an
        :class:`~neurolab.plasticity.AdaptiveThreshold` (spike at ``v > v_th + theta``,
        Diehl & Cook 2015; a property of the population, like ``synapse``, not of each
        neuron: it carries state, ``theta``, and decides which kernel code runs).
        Raises ``ValueError``/``TypeError`` naming the parameter, the value and its index
        (e.g. ``v_reset >= v_th`` for one neuron, ``dt`` longer than a time constant).
        """
        self._new_name(name)
        n = V.integer("n", n, minimum=1)
        if params is None:
            params = LIFParams()
        if not isinstance(params, LIFParams):
            raise TypeError(f"params must be a LIFParams, got {type(params).__name__}")
        index = len(self.populations)
        values = _resolve_neuron_params(params, n, self.dt, name,
                                        lambda k: self._rng(_STREAM_NEURON, index, k))
        v_init = resolve("v_init", values["v_rest"] if v_init is None else v_init, n,
                         self._rng(_STREAM_NEURON, index, len(NEURON_FIELDS)), unit="mV")
        _homeo.check_threshold(threshold)
        theta_init = None if threshold is None else np.full(n, threshold.theta_init)
        return self._add(name, n, "lif", params=params, v_init=v_init, neuron_params=values,
                         threshold=threshold, theta_init=theta_init)

    def add_poisson_input(self, name: str, target, n_sources: int, rate: float, weight,
                          receptor: str = "exc") -> "PoissonInput":
        """External drive without synapses (Brian2's ``PoissonInput``): ``n_sources``
        independent Poisson sources of ``rate`` Hz onto *every* neuron of ``target``, each
        target with its own sources. In each step target j receives
        ``k_j ~ Binomial(n_sources, rate dt / 1000)`` spikes and its variable changes by
        ``k_j * weight`` (mV for delta synapses, ``v``; current/conductance synapses: ``I``/
        ``g`` of the receptor), delivered with the synaptic pathways (delta input to a
        refractory neuron is discarded). Static: no plasticity.

        Parameters: ``target`` a LIF population (or its name, or a slice of it);
        ``n_sources`` >= 1; ``rate`` (Hz) with ``rate dt / 1000 <= 1``; ``weight`` >= 0 (a
        magnitude: ``receptor="inh"`` makes it inhibitory). ``rate`` can be set between
        runs (``drive.rate = 20.0``).
        """
        self._new_name(name)
        pop, ids = self._target("target", target)
        n_sources = V.integer("n_sources", n_sources, minimum=1)
        rate = _check_rate("rate", rate, self.dt)
        weight = V.non_negative("weight", weight)
        V.choice("receptor", receptor, RECEPTORS)
        drive = PoissonInput(name, pop, ids, n_sources, rate, weight, receptor,
                             len(self.drives), self)
        self.drives[name] = drive
        return drive

    def add_current(self, name: str, target, amplitude, times=None) -> "CurrentSource":
        """Inject a current into LIF neurons (NEST's ``dc_generator`` /
        ``step_current_generator``, Brian2's ``TimedArray`` current), as the potential it
        adds, R_m I (mV): ``tau_m dv/dt = ... + I_ext``, the sum of all sources on a neuron.

        - ``times=None``: ``amplitude`` (scalar or one value per target neuron) constant
          from t = 0;
        - ``times`` (k,) ms, ascending: ``amplitude`` (k,) or (k, n_target) gives the value
          from each time on (rounded to the nearest step) until the next; 0 before the
          first. Times are network time.

        The current of a step is taken at its start and held over the step; with the exact
        propagator the membrane follows ``v_rest + I (1 - exp(-t / tau_m))`` exactly at the
        steps. ``amplitude`` can be set between runs (then it holds from ``net.t`` on).
        """
        self._new_name(name)
        pop, ids = self._target("target", target)
        src = CurrentSource(name, pop, ids, self, len(self.currents))
        src._segments = [_current_segment(name, amplitude, times, ids.size, self.dt, 0)]
        self.currents[name] = src
        return src

    def _target(self, what, target):
        """(population, local ids) of a LIF population, its name, or a slice of it."""
        if hasattr(target, "population") and hasattr(target, "ids"):
            pop = self._population(what, target.population)
            ids = np.asarray(target.ids, dtype=np.int64)
        else:
            pop = self._population(what, target)
            ids = np.arange(pop.n, dtype=np.int64)
        if pop.kind != "lif":
            raise ValueError(f"{what} must be a LIF population, got {pop.name!r} of kind "
                             f"{pop.kind!r}")
        return pop, ids

    # ------------------------------------------------------------------ projections
    def _population(self, what, pop):
        if isinstance(pop, str):
            if pop not in self.populations:
                raise ValueError(f"{what} must be a population of this network, got "
                                 f"{pop!r}; known: {list(self.populations)}")
            return self.populations[pop]
        if not isinstance(pop, Population) or self.populations.get(pop.name) is not pop:
            raise ValueError(f"{what} must be a population of this network, got {pop!r}")
        return pop

    def connect(self, pre, post, rule: str = "all_to_all", *, p=None, k=None,
                pre_ids=None, post_ids=None, weight=1.0, delay=0.0, receptor: str = "exc",
                stdp: STDPParams | None = None, autapses: bool = True,
                name: str | None = None, normalize=None) -> Projection:
        """Connect ``pre`` to ``post`` (LIF) and return the :class:`Projection`.

        Parameters
        ----------
        pre, post : populations, their names, or :class:`Subgroup` slices of them
            (``E[:100]``); ``post`` must be LIF. With a subgroup, connectivity is drawn among
            its neurons and the projection connects the parent populations (its
            ``pre_ids``/``post_ids`` are indices in the parents).
        rule : how synapses are made; every rule but ``"explicit"`` orders them by
            presynaptic then postsynaptic index:

            - ``"all_to_all"``: every pair;
            - ``"one_to_one"``: neuron ``i`` to neuron ``i`` (equal sizes);
            - ``"probability"``: each pair independently with probability ``p``;
            - ``"fixed_indegree"``: each postsynaptic neuron gets ``k`` distinct presynaptic
              partners, every ``k``-subset equally likely;
            - ``"fixed_outdegree"``: each presynaptic neuron gets ``k`` distinct
              postsynaptic partners, every ``k``-subset equally likely;
            - ``"explicit"``: synapse ``s`` from ``pre_ids[s]`` to ``post_ids[s]`` (indices
              within ``pre``/``post``, subgroup-local for a subgroup), kept in that order.
        p : connection probability in [0, 1] (``"probability"`` only).
        k : in- or out-degree, integer >= 0 (``"fixed_indegree"``/``"fixed_outdegree"``).
        weight : initial weight of every synapse: a number, an array of length n_syn (in
            synapse order), or a distribution ``("uniform", lo, hi)``, ``("normal", mean,
            sd)``, ``("lognormal", mean, sd)`` (mean and sd of the weight itself), drawn from
            the projection's generator after the connectivity (see
            :func:`neurolab.distributions.resolve`). Unit: mV for delta and current
            synapses, dimensionless (relative to the leak conductance) for conductance
            synapses. **Weights are magnitudes >= 0 on every synapse type; ``receptor``
            gives the sign of the effect.** A negative weight, a ``w_min < 0``, a uniform
            with ``lo < 0`` or a normal with ``mean <= 0`` (they describe signed weights)
            raise ``ValueError``. Bounds: ``[0, inf)``, or ``[w_min, w_max]`` of ``stdp``
            for a plastic projection; explicit values outside are refused, drawn values
            outside are redrawn (truncated distribution).
        delay : axonal delay (ms) >= 0: the whole presynaptic pathway, STDP trace update
            included, runs when the spike arrives (Brian2's meaning). A number or an array
            of length n_syn must be a multiple of ``dt`` (within 1e-6 of a step; otherwise
            ``ValueError``) and is kept as given. A distribution (forms as for ``weight``;
            draws below 0 are redrawn) is drawn after the weights and each value rounded to
            the nearest step, ties up, ``round(d / dt) * dt``: that is what
            ``Projection.delay`` holds and what runs. (Brian2 rounds every delay to the
            nearest step silently: ``int(d / dt + 0.5)`` in its C++ spike queue, used by
            the Cython runtime and C++ standalone, ``np.round`` (ties to even) with the
            numpy target; it keeps the unrounded value in ``S.delay``.)
        receptor : ``"exc"`` (depolarising) or ``"inh"`` (hyperpolarising). Delta synapses:
            ``v += w`` / ``v -= w``; current synapses: ``w`` is added to ``I_e`` / ``I_i``
            and ``I_i`` enters ``dv/dt`` with a minus sign; conductance synapses: ``w`` is
            added to ``g_e`` / ``g_i``, which drive ``v`` towards ``E_e`` / ``E_i``.
        stdp : :class:`STDPParams` to make the projection plastic (needs ``w_min >= 0``).
        autapses : allow a neuron to connect to itself (pre and post in the same
            population, possibly through overlapping subgroups). With ``False`` such pairs
            are never made: ``k`` partners are drawn among the others.
        name : default ``"<pre>-><post>"`` with subgroup names (``"E[0:100]->I"``).
        normalize : a :class:`~neurolab.plasticity.Normalization` (plastic projections):
            every ``every`` ms each postsynaptic neuron's incoming weights are scaled to
            sum to ``target`` (Diehl & Cook 2015); ``None`` (default): never.

        Raises
        ------
        ValueError / TypeError naming the argument and its value: unknown rule or receptor,
        a parameter given for a rule that does not use it, ``p`` outside [0, 1], ``k`` larger
        than the partners available, sizes whose pair count exceeds int64, bad ids, weights
        or delays as above, a name already used.
        """
        pre_pop, pre_sel, pre_label = _group(self, "pre", pre)
        post_pop, post_sel, post_label = _group(self, "post", post)
        if post_pop.kind != "lif":
            raise ValueError(f"post must be a LIF population, got {post_label!r} of kind "
                             f"{post_pop.kind!r}")
        name = self._new_name(name if name is not None else f"{pre_label}->{post_label}")
        V.choice("rule", rule, RULES)
        degree_rules = ("fixed_indegree", "fixed_outdegree")
        for arg, val, uses in (("p", p, ("probability",)), ("k", k, degree_rules)):
            if val is not None and rule not in uses:
                raise ValueError(f"{arg} is only used with rule={' or '.join(map(repr, uses))}"
                                 f", got {arg}={val!r} with rule={rule!r}")
        V.choice("receptor", receptor, RECEPTORS)
        if not isinstance(autapses, (bool, np.bool_)):
            raise TypeError(f"autapses must be True or False, got {autapses!r}")
        if stdp is not None:
            _check_stdp(stdp, self.dt, self)
        _homeo.check_normalize(normalize, stdp, self.dt, name)
        n_pre = pre_pop.n if pre_sel is None else pre_sel.shape[0]
        n_post = post_pop.n if post_sel is None else post_sel.shape[0]
        _pair_count(pre_label, n_pre, post_label, n_post)
        index = len(self.projections)
        rng = np.random.default_rng([self.seed, _STREAM_CONNECT, index])
        # autapses: forbid[j] = the pre index (local) that is post neuron j itself, or -1
        forbid = None
        if pre_pop is post_pop and not autapses:
            a = np.arange(n_pre, dtype=np.int64) if pre_sel is None else pre_sel
            b = np.arange(n_post, dtype=np.int64) if post_sel is None else post_sel
            pos = np.minimum(np.searchsorted(a, b), n_pre - 1)
            forbid = np.where(a[pos] == b, pos, -1)
            if not (forbid >= 0).any():
                forbid = None  # disjoint subgroups: no pair can be an autapse
        # the same neurons on both sides (the case before subgroups): local i is i itself
        no_self = forbid is not None and n_pre == n_post and bool(
            (forbid == np.arange(n_post)).all())
        spec = {"rule": rule, "autapses": bool(autapses)}
        for side, sel, label in (("pre", pre_sel, pre_label), ("post", post_sel, post_label)):
            if sel is not None:
                spec[f"{side}_subgroup"] = label
        if rule == "explicit":
            if pre_ids is None or post_ids is None:
                raise ValueError("rule='explicit' needs pre_ids and post_ids, got "
                                 f"pre_ids={pre_ids!r}, post_ids={post_ids!r}")
            pre_ids = V.index_array("pre_ids", pre_ids, upper=n_pre)
            post_ids = V.index_array("post_ids", post_ids, upper=n_post)
            if pre_ids.shape[0] != post_ids.shape[0]:
                raise ValueError(f"pre_ids and post_ids must have the same length, got "
                                 f"{pre_ids.shape[0]} and {post_ids.shape[0]}")
            if forbid is not None and (forbid[post_ids] == pre_ids).any():
                kk = int(np.flatnonzero(forbid[post_ids] == pre_ids)[0])
                own = int(pre_ids[kk] if pre_sel is None else pre_sel[pre_ids[kk]])
                raise ValueError(f"pre_ids/post_ids hold the autapse {int(pre_ids[kk])}->"
                                 f"{int(post_ids[kk])} at index {kk} (neuron {own} of "
                                 f"{pre_pop.name!r} onto itself) but autapses=False")
        else:
            for arg, val in (("pre_ids", pre_ids), ("post_ids", post_ids)):
                if val is not None:
                    raise ValueError(f"{arg} is only used with rule='explicit', got "
                                     f"rule={rule!r}")
            drop_self = forbid is not None and not no_self  # overlapping subgroups
            p, k = _rule_args(rule, p, k)
            # before anything is allocated: would the synapses fit in memory?
            n_est = estimate_synapses(rule, n_pre, n_post, p=p, k=k)
            check_memory(f"{n_est:.3g} synapses ({rule}, {n_pre} x {n_post} neurons)",
                         n_est * SYNAPSE_BYTES,
                         "use rule='fixed_indegree' or 'probability' with a smaller p, "
                         "or fewer neurons")
            if rule == "all_to_all":
                pre_ids, post_ids = _all_to_all(n_pre, n_post, no_self)
            elif rule == "one_to_one":
                if n_pre != n_post:
                    raise ValueError(f"rule='one_to_one' needs populations of equal size, got "
                                     f"{pre_label!r} n={n_pre} and {post_label!r} n={n_post}")
                pre_ids = np.arange(n_pre, dtype=np.int64)
                post_ids = pre_ids.copy()
                if forbid is not None and (forbid == pre_ids).all():
                    raise ValueError("rule='one_to_one' from a population onto itself makes "
                                     "only autapses, but autapses=False")
            elif rule == "probability":
                spec["p"] = p
                pre_ids, post_ids = _random_pairs(n_pre, n_post, p, no_self, rng)
            else:
                spec["k"] = k
                if rule == "fixed_indegree":
                    _check_degree(k, n_pre, forbid, "presynaptic")
                    pre_ids, post_ids = _fixed_indegree(n_pre, n_post, k, forbid, rng)
                else:
                    back = None if forbid is None else _invert_forbid(forbid, n_pre)
                    _check_degree(k, n_post, back, "postsynaptic")
                    pre_ids, post_ids = _fixed_outdegree(n_pre, n_post, k, back, rng)
                drop_self = False  # drawn without autapses already
            if drop_self:
                keep = forbid[post_ids] != pre_ids
                pre_ids, post_ids = pre_ids[keep], post_ids[keep]
        if pre_sel is not None:
            pre_ids = pre_sel[pre_ids]
        if post_sel is not None:
            post_ids = post_sel[post_ids]
        n_syn = pre_ids.shape[0]
        weight = _weights(weight, n_syn, rng, post_pop.params.synapse, stdp)
        delay = _delays(delay, n_syn, self.dt, rng)
        proj = Projection(name, pre_pop, post_pop, pre_ids, post_ids, weight, delay, receptor,
                          stdp, index, spec, normalize)
        self.projections[name] = proj
        return proj

    # ------------------------------------------------------------------ running
    def n_steps(self, duration: float) -> int:
        """Number of steps of a run of ``duration`` ms, a positive multiple of ``dt``."""
        duration = V.positive("duration", duration, "ms")
        steps = duration / self.dt
        n = int(round(steps))
        if n < 1 or abs(steps - n) > 1e-6:
            raise ValueError(f"duration must be a positive multiple of dt={self.dt!r} ms, "
                             f"got {duration!r} ms")
        return n

    def input_spike_steps(self, duration: float, start: float = 0.0) -> dict:
        """Input spikes every source population emits in ``[start, start + duration)`` ms
        of network time, with the current rates.

        Returns ``{name: (steps, ids)}`` (int64, absolute steps, sorted by step then id):
        exactly what the kernel receives when no rates change in between. Poisson trains
        are drawn from the network seed and the population's position, so they do not
        depend on other populations. Does not change the network.
        """
        n0 = int(round(V.non_negative("start", start, "ms") / self.dt))
        n1 = n0 + self.n_steps(duration)
        out = {}
        for pop in self.populations.values():
            if pop.kind == "poisson":
                out[pop.name] = _poisson_stream(self.seed, self.dt, pop, 0).steps(n0, n1)
            elif pop.kind == "spikes":
                s, i = explicit_steps(pop.times, pop.indices, self.dt, pop.name)
                keep = (s >= n0) & (s < n1)
                out[pop.name] = (s[keep], i[keep])
        return out

    @property
    def t(self) -> float:
        """Network time reached (ms): 0 for a fresh network, the end of the last run."""
        return 0.0 if self._state is None else self._state.step * self.dt

    def run(self, duration: float, **kwargs):
        """Simulate ``duration`` ms from where the network is (``net.t``) and return the
        :class:`SimResult` of this run; see :func:`neurolab.simulate`."""
        from .simulate import simulate

        return simulate(self, duration, **kwargs)

    def store(self, name: str = "default") -> None:
        """Snapshot the whole state under ``name`` (Brian2's ``store``): time, membrane and
        synaptic state, refractory counters, STDP traces, adaptive thresholds (``theta``),
        weights, spikes in flight, input streams, rates, neuron parameters, learning
        switches, normalisations and currents. Storing fixes the
        network's structure, as a run does."""
        V.name_string("name", name)
        self._stored[name] = copy.deepcopy(self._ensure_state())

    def restore(self, name: str = "default") -> None:
        """Return to the state stored under ``name`` (Brian2's ``restore``); ``net.t``
        becomes the stored time, and the input streams replay the same random numbers from
        there. Raises ``KeyError`` listing the stored names."""
        if name not in self._stored:
            raise KeyError(f"no state stored under {name!r}; stored: {sorted(self._stored)} "
                           f"(call net.store({name!r}) first)")
        self._state = copy.deepcopy(self._stored[name])

    def _ensure_state(self):
        if self._state is None:
            from .simulate import RunState

            self._state = RunState(self)
        return self._state

    # ------------------------------------------------------------ changes between runs
    def _set_rates(self, pop, value):
        pop._rates = _rates_spec(pop.name, value, pop.n, self.dt, None)
        if self._state is not None:
            self._state.set_rates(pop, pop._rates)

    def _set_neuron_params(self, pop, changes):
        fields = [f for f, _, _ in NEURON_FIELDS]
        for key in changes:
            if key not in fields:
                raise ValueError(f"set_params: unknown or fixed parameter {key!r}; allowed: "
                                 f"{fields}")
        new = pop.params.replace(**changes)
        k = len(getattr(self._state, "changes", []))
        values = _resolve_neuron_params(
            new, pop.n, self.dt, pop.name,
            lambda f: self._rng(_STREAM_CHANGE, pop.index, k, f), only=changes)
        merged = dict(pop.neuron_params)
        merged.update(values)
        _check_reset_below_threshold(pop.name, merged)
        pop.params = new
        pop.neuron_params = merged
        if self._state is not None:
            self._state.set_neuron_params(pop, merged, sorted(changes))

    def _get_state_var(self, pop, var):
        if self._state is None:
            return pop.v_init.copy()
        return self._state.get_var(pop, var)

    def _set_v(self, pop, value):
        k = len(getattr(self._state, "changes", []))
        v = resolve("v", value, pop.n, self._rng(_STREAM_CHANGE, pop.index, k, 99),
                    unit="mV")
        if self._state is None:
            pop.v_init = v
        else:
            self._state.set_var(pop, "v", v)

    def _set_threshold(self, pop, value):
        _homeo.check_threshold(value)
        if value is not None and pop._threshold_now() is None:
            pop._theta_init = np.full(pop.n, value.theta_init)   # a new adaptive threshold
        pop._threshold = value
        if self._state is not None:
            _homeo.refresh(self._state, self, threshold=(pop, value))
            self._state._log(f"{pop.name}.threshold",
                             value=None if value is None else value.to_dict())

    def _get_theta(self, pop):
        if self._state is None:
            return pop._theta_init.copy()
        return _homeo.get_theta(self._state, pop)

    def _set_theta(self, pop, value):
        k = len(getattr(self._state, "changes", []))
        theta = resolve("theta", value, pop.n, self._rng(_STREAM_CHANGE, pop.index, k, 98),
                        unit="mV")
        if self._state is None:
            pop._theta_init = theta
        else:
            _homeo.set_theta(self._state, pop, theta)
            self._state._log(f"{pop.name}.theta", value=_summary(theta))

    def _set_normalize(self, proj, value):
        _homeo.check_normalize(value, proj.stdp, self.dt, proj.name)
        proj._normalize = value
        if self._state is not None:
            _homeo.refresh(self._state, self, normalize=(proj, value))
            self._state._log(f"{proj.name}.normalize",
                             value=None if value is None else value.to_dict())

    def _set_weights(self, proj, value):
        k = len(getattr(self._state, "changes", []))
        w = _weights(value, proj.n_syn, self._rng(_STREAM_CHANGE, 1000 + proj.index, k),
                     proj.post.params.synapse, proj.stdp)
        if self._state is None:
            proj._weight = w
        else:
            self._state.set_weights(proj, w)

    def _set_delay(self, proj, value):
        if self._state is not None:
            raise RuntimeError(f"delays of {proj.name!r} cannot change once the network has "
                               f"run or been stored (spikes are in flight); build a new "
                               f"Network with the new delays")
        proj._delay = _delays(value, proj.n_syn, self.dt,
                              self._rng(_STREAM_CHANGE, 2000 + proj.index, 0))

    def _set_learning(self, proj, on):
        proj._learning = on
        if self._state is not None:
            self._state.set_learning(proj, on)

    def _set_stdp(self, proj, stdp):
        if proj.stdp is None:
            raise ValueError(f"projection {proj.name!r} is static; set_stdp needs a plastic "
                             f"projection")
        if stdp is None:
            raise TypeError(f"set_stdp needs a plasticity rule, got None: a projection stays "
                            f"plastic; to stop its learning set "
                            f"net.projections[{proj.name!r}].learning = False")
        _check_stdp(stdp, self.dt, self)
        if stdp.layout() != proj.stdp.layout():
            def describe(rule):
                pairing = getattr(rule, "pairing", None)
                return type(rule).__name__ + (f", pairing {pairing!r}" if pairing else "")
            raise ValueError(f"set_stdp changes a rule's parameters, not the state the kernel "
                             f"keeps for it: projection {proj.name!r} has {describe(proj.stdp)}"
                             f" -> {describe(stdp)}; the rule family and pairing scheme stay "
                             f"what connect set; connect a new projection for another rule "
                             f"(set_stdp cannot change that)")
        # the weights now must lie within the new bounds (the same check as connect's)
        _weights(proj.weight, proj.n_syn, None, proj.post.params.synapse, stdp)
        proj.stdp = stdp
        if self._state is not None:
            self._state.set_stdp(proj, stdp)
            _homeo.refresh(self._state, self)      # the bounds of normalised weights

    def to_dict(self) -> dict:
        return {"dt": self.dt, "seed": self.seed,
                "populations": [p.to_dict() for p in self.populations.values()],
                "projections": [p.to_dict() for p in self.projections.values()],
                "drives": [d.to_dict() for d in self.drives.values()],
                "currents": [c.to_dict() for c in self.currents.values()]}


class PoissonInput:
    """A Poisson drive onto a LIF population (see :meth:`Network.add_poisson_input`).

    Attributes: ``name``, ``target`` (population), ``ids`` (local target ids),
    ``n_sources``, ``rate`` (Hz; settable between runs), ``weight``, ``receptor``.
    """

    def __init__(self, name, target, ids, n_sources, rate, weight, receptor, index, net):
        self.name, self.target, self.ids = name, target, ids
        self.n_sources, self._rate, self.weight = n_sources, rate, weight
        self.receptor, self.index, self._net = receptor, index, net

    @property
    def rate(self) -> float:
        return self._rate

    @rate.setter
    def rate(self, value):
        value = _check_rate("rate", value, self._net.dt)
        self._rate = value
        if self._net._state is not None:
            self._net._state.set_drive_rate(self, value)

    def __repr__(self):
        return (f"PoissonInput({self.name!r} -> {self.target.name!r}, n_targets="
                f"{self.ids.size}, n_sources={self.n_sources}, rate={self._rate} Hz)")

    def to_dict(self) -> dict:
        return {"name": self.name, "target": self.target.name, "n_targets": int(self.ids.size),
                "n_sources": self.n_sources, "rate_hz": self._rate, "weight": self.weight,
                "receptor": self.receptor}


class CurrentSource:
    """An injected current (see :meth:`Network.add_current`). Setting ``amplitude`` (and
    optionally calling :meth:`set` with times) between runs changes it from ``net.t`` on."""

    def __init__(self, name, target, ids, net, index):
        self.name, self.target, self.ids, self._net, self.index = name, target, ids, net, index
        self._segments = []

    @property
    def amplitude(self):
        """The amplitude schedule given last: (times_ms or None, values)."""
        seg = self._segments[-1]
        return seg["times_ms"], seg["values"]

    @amplitude.setter
    def amplitude(self, value):
        self.set(value)

    def set(self, amplitude, times=None) -> None:
        """New amplitude (mV) from ``net.t`` on (``times`` None) or a schedule whose times
        (ms of network time, >= net.t) are as in :meth:`Network.add_current`."""
        start = 0 if self._net._state is None else self._net._state.step
        seg = _current_segment(self.name, amplitude, times, self.ids.size, self._net.dt, start)
        if self._net._state is None:
            self._segments = [seg]
        else:
            self._net._state.set_current(self, seg)

    def __repr__(self):
        return f"CurrentSource({self.name!r} -> {self.target.name!r}, n={self.ids.size})"

    def to_dict(self) -> dict:
        times, values = self.amplitude
        return {"name": self.name, "target": self.target.name, "n_targets": int(self.ids.size),
                "times_ms": None if times is None else _summary(times),
                "values_mv": _summary(np.asarray(values))}


# ---------------------------------------------------------------- input and parameter helpers
def _check_rate(name, value, dt):
    value = V.non_negative(name, value, "Hz")
    if value * (dt / 1000.0) > 1.0 + 1e-12:
        raise ValueError(f"{name} must be <= 1000/dt = {1000.0 / dt!r} Hz (at most one spike "
                         f"per step), got {value!r}")
    return value


def _check_rate_array(what, rates, dt):
    if (rates < 0).any():
        k = np.unravel_index(int(np.flatnonzero(rates < 0)[0]), rates.shape)
        raise ValueError(f"{what} must be >= 0 Hz, got {float(rates[k])!r} at index "
                         f"{V.index_text(k)}")
    over = rates * (dt / 1000.0) > 1.0 + 1e-12
    if over.any():
        k = np.unravel_index(int(np.flatnonzero(over)[0]), rates.shape)
        raise ValueError(f"{what} must be <= 1000/dt = {1000.0 / dt!r} Hz (at most one spike "
                         f"per step), got {float(rates[k])!r} at index "
                         f"{V.index_text(k)}")


class _RateTable:
    """Piecewise-constant rates: row k in [k rate_dt, (k+1) rate_dt); the last row holds."""

    def __init__(self, table, rate_dt, dt):
        self.table, self.rate_dt, self.dt = table, rate_dt, dt

    def __call__(self, steps):
        k = np.minimum((steps * self.dt / self.rate_dt + 1e-9).astype(np.int64),
                       self.table.shape[0] - 1)
        return self.table[k]


class _RateFunction:
    """A user's rate function, checked on every block of steps it is evaluated on."""

    def __init__(self, fn, n, dt, name):
        self.fn, self.n, self.dt, self.name = fn, n, dt, name

    def __call__(self, steps):
        t = steps * self.dt
        try:
            r = np.asarray(self.fn(t), dtype=np.float64)
        except Exception as exc:
            raise ValueError(f"rates of population {self.name!r}: the rate function raised "
                             f"{type(exc).__name__}: {exc} for t in [{t[0]:g}, {t[-1]:g}] ms"
                             ) from exc
        if r.shape == (t.size,):
            r = np.repeat(r[:, None], self.n, axis=1)
        if r.shape != (t.size, self.n):
            raise ValueError(f"rates of population {self.name!r}: the rate function must "
                             f"return shape ({t.size},) or ({t.size}, {self.n}) for {t.size} "
                             f"times, got {r.shape}")
        if not np.all(np.isfinite(r)):
            k = int(np.flatnonzero(~np.isfinite(r))[0]) // self.n
            raise ValueError(f"rates of population {self.name!r} must be finite, got "
                             f"{float(r.reshape(-1)[np.flatnonzero(~np.isfinite(r))[0]])!r} "
                             f"at t = {t[k]:g} ms")
        _check_rate_array(f"rates of population {self.name!r} (function)", r, self.dt)
        return r


def _rates_spec(name, rates, n, dt, rate_dt):
    """Validated rates: an (n,) array (constant), a _RateTable or a _RateFunction."""
    if callable(rates):
        if rate_dt is not None:
            raise ValueError("rate_dt is only used with a table of rates, not a function")
        return _RateFunction(rates, n, dt, name)
    if rate_dt is None:
        arr = V.float_array("rates", rates, length=n)
        _check_rate_array("rates", arr, dt)
        return arr
    rate_dt = V.positive("rate_dt", rate_dt, "ms")
    n_bins = np.shape(rates)[0] if np.ndim(rates) else 0
    if n_bins < 1:
        raise ValueError(f"rates with rate_dt must be a table of at least one bin, shape "
                         f"(n_bins,) or (n_bins, {n}), got {V._show(rates)}")
    table = V.float_table("rates", rates, n_bins, n)
    _check_rate_array("rates", table, dt)
    return _RateTable(table, rate_dt, dt)


def _rates_summary(spec):
    if isinstance(spec, np.ndarray):
        return _summary(spec)
    if isinstance(spec, _RateTable):
        return {"table": _summary(spec.table), "rate_dt": spec.rate_dt,
                "n_bins": int(spec.table.shape[0])}
    return {"function": getattr(spec.fn, "__qualname__", repr(spec.fn))}


def _poisson_stream(seed, dt, pop, epoch, start=0):
    """The input stream of a Poisson population from step ``start`` with rates epoch
    ``epoch`` (0: the rates given to add_poisson; each change between runs adds one), keyed
    by the network's ``seed`` and the population's position."""
    spec = pop._rates
    if isinstance(spec, np.ndarray):
        key = ([seed, _STREAM_POISSON, pop.index] if epoch == 0
               else [seed, _STREAM_POISSON_EPOCH, pop.index, epoch])
        return _ConstantBlocks(spec, dt, key, start)
    key = [seed, _STREAM_POISSON_VARYING, pop.index, epoch]
    return _VaryingBlocks(spec, pop.n, dt, key, start)


def _resolve_neuron_params(params, n, dt, name, rng_for, only=None):
    """Every (or the ``only``) LIF parameter as an (n,) array, checked element by element."""
    out = {}
    for k, (field, unit, check) in enumerate(NEURON_FIELDS):
        if only is not None and field not in only:
            continue
        low = 0.0 if check in ("positive", "non_negative") else None
        out[field] = resolve(field, getattr(params, field), n, rng_for(k), low=low,
                             low_inclusive=(check == "non_negative"), unit=unit)
    if only is None:
        _check_reset_below_threshold(name, out)
    taus = ("tau_m",) if params.synapse == "delta" else ("tau_m", "tau_e", "tau_i")
    for tau in taus:
        if tau in out and (out[tau] < dt).any():
            j = int(np.flatnonzero(out[tau] < dt)[0])
            raise ValueError(f"dt must not exceed the shortest time constant of population "
                             f"{name!r} ({tau} = {float(out[tau][j])!r} ms at neuron {j}), got "
                             f"dt={dt!r} ms")
    return out


def _check_reset_below_threshold(name, values):
    bad = values["v_reset"] >= values["v_th"]
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"v_reset must be < v_th in population {name!r}, got v_reset="
                         f"{float(values['v_reset'][j])!r} mV >= "
                         f"v_th={float(values['v_th'][j])!r} mV at neuron {j}")


def _check_stdp(stdp, dt, net=None):
    """A plasticity rule usable at this dt on a projection (weights are magnitudes) of
    ``net`` (a rule that names populations checks them: ``check_network``)."""
    if not isinstance(stdp, PlasticityRule):
        names = ", ".join(r.__name__ for r in PLASTICITY_RULES)
        raise TypeError(f"stdp must be a plasticity rule ({names}) or None, "
                        f"got {type(stdp).__name__}")
    taus = stdp.time_constants()
    shortest = min(taus.values())
    if dt > shortest:
        raise ValueError(f"dt must not exceed the shortest STDP time constant "
                         f"({shortest!r} ms), got dt={dt!r} ms")
    if stdp.w_min < 0:
        raise ValueError(f"w_min must be >= 0, got w_min={stdp.w_min!r}: {_SIGN_RULE}")
    if net is not None and hasattr(stdp, "check_network"):
        stdp.check_network(net)


def _current_segment(name, amplitude, times, n_target, dt, start):
    """A validated current schedule from step ``start``: change steps and values."""
    if times is None:
        values = V.float_array(f"amplitude of {name!r}", amplitude, length=n_target)
        return {"start": start, "steps": np.array([start], np.int64),
                "values": values[None, :].copy(), "times_ms": None}
    times = V.float_array(f"times of {name!r}", times, allow_scalar=True)
    if times.size == 0:
        raise ValueError(f"times of {name!r} must hold at least one time")
    V.within_steps(f"times of {name!r}", times, dt)
    steps = np.rint(times / dt).astype(np.int64)
    if (np.diff(steps) <= 0).any():
        k = int(np.flatnonzero(np.diff(steps) <= 0)[0]) + 1
        raise ValueError(f"times of {name!r} must increase by at least dt={dt!r} ms, got "
                         f"{float(times[k])!r} ms after {float(times[k - 1])!r} ms at index {k}")
    if steps[0] < start:
        raise ValueError(f"times of {name!r} must be >= the network's time "
                         f"{start * dt:g} ms, got {float(times[0])!r} ms")
    values = V.float_table(f"amplitude of {name!r} (one row per time)", amplitude,
                           times.size, n_target)
    if steps[0] > start:       # zero before the first time
        steps = np.concatenate([[start], steps])
        values = np.concatenate([np.zeros((1, n_target)), values])
    return {"start": start, "steps": steps, "values": values, "times_ms": times}


_INT64_MAX = int(np.iinfo(np.int64).max)
_SIGN_RULE = "weights are magnitudes >= 0; use receptor='inh' for inhibition"


def _rule_args(rule, p, k):
    """``(p, k)`` validated for ``rule``: ``p`` in [0, 1] for "probability", ``k`` an
    integer >= 0 for the degree rules (required there, passed through otherwise)."""
    if rule == "probability":
        if p is None:
            raise ValueError("rule='probability' needs p, got p=None")
        p = V.real("p", p)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p!r}")
    elif rule in ("fixed_indegree", "fixed_outdegree"):
        if k is None:
            raise ValueError(f"rule={rule!r} needs k, got k=None")
        k = V.integer("k", k, minimum=0)
    return p, k


def estimate_synapses(rule: str, n_pre: int, n_post: int, p=None, k=None) -> int:
    """How many synapses :meth:`Network.connect` makes with ``rule`` between ``n_pre`` and
    ``n_post`` neurons, before drawing anything (for a memory estimate).

    Exact for ``"all_to_all"`` (``n_pre * n_post``), ``"one_to_one"`` (``n_pre``),
    ``"fixed_indegree"`` (``n_post * k``) and ``"fixed_outdegree"`` (``n_pre * k``), counting
    autapses (``autapses=False`` removes at most ``min(n_pre, n_post)`` of all-to-all's, none
    of the degree rules'). For ``"probability"``: an upper bound, the mean plus six standard
    deviations of Binomial(n_pre * n_post, p), capped at ``n_pre * n_post``.
    ``"explicit"`` makes ``len(pre_ids)`` synapses and is refused here.

    Raises ``ValueError``/``TypeError`` for an unknown rule, sizes < 1, ``p`` outside [0, 1],
    ``k < 0``, a missing ``p``/``k``, or a count beyond int64.
    """
    V.choice("rule", rule, RULES)
    n_pre = V.integer("n_pre", n_pre, minimum=1)
    n_post = V.integer("n_post", n_post, minimum=1)
    pairs = n_pre * n_post
    if rule == "all_to_all":
        count = pairs
    elif rule == "one_to_one":
        count = n_pre
    elif rule == "probability":
        p, _ = _rule_args(rule, p, None)
        count = min(pairs, math.ceil(pairs * p + 6.0 * math.sqrt(pairs * p * (1.0 - p))))
    elif rule in ("fixed_indegree", "fixed_outdegree"):
        _, k = _rule_args(rule, None, k)
        count = k * (n_post if rule == "fixed_indegree" else n_pre)
    else:
        raise ValueError("rule='explicit' makes len(pre_ids) synapses; estimate_synapses "
                         "takes the other rules")
    if count > _INT64_MAX:
        raise ValueError(f"{rule!r} between {n_pre} and {n_post} neurons makes {count} "
                         f"synapses, more than int64 can index ({_INT64_MAX})")
    return int(count)


def _pair_count(pre_label, n_pre, post_label, n_post) -> int:
    """n_pre * n_post, refused when flat pair indices would not fit in int64."""
    pairs = int(n_pre) * int(n_post)
    if pairs > _INT64_MAX:
        raise ValueError(f"{pre_label!r} (n={n_pre}) x {post_label!r} (n={n_post}) has "
                         f"{pairs} neuron pairs, more than int64 can index ({_INT64_MAX}); "
                         f"connect smaller populations or subgroups")
    return pairs


def _group(net, what, value):
    """(parent population, int64 ids in it or None for all of it, label) for connect."""
    if isinstance(value, Subgroup):
        net._population(what, value.population)
        return value.population, np.asarray(value.ids, dtype=np.int64), value.name
    pop = net._population(what, value)
    return pop, None, pop.name


def _subgroup_ids(label, n, key) -> np.ndarray:
    """Strictly increasing int64 indices in [0, n) that ``key`` selects (see
    ``Population.__getitem__``)."""
    if isinstance(key, slice):
        parts = {}
        for part in ("start", "stop", "step"):
            v = getattr(key, part)
            if v is not None and (isinstance(v, (bool, np.bool_))
                                  or not isinstance(v, numbers.Integral)):
                raise TypeError(f"{label}[...]: slice {part} must be an integer, got "
                                f"{V._show(v)}")
            parts[part] = None if v is None else int(v)
        start = 0 if parts["start"] is None else parts["start"]
        stop = n if parts["stop"] is None else parts["stop"]
        step = 1 if parts["step"] is None else parts["step"]
        shown = f"{label}[{'' if key.start is None else key.start}:" \
                f"{'' if key.stop is None else key.stop}" \
                f"{'' if key.step is None else ':' + str(key.step)}]"
        if start < 0 or stop < 0:
            raise ValueError(f"{shown}: negative indices are not supported (count from 0: "
                             f"the population has n={n}, indices 0..{n - 1})")
        if step < 1:
            raise ValueError(f"{shown}: the step must be >= 1, got {step}")
        if stop > n:
            raise ValueError(f"{shown}: stop must be <= n={n}, got {stop}")
        if start >= stop:
            raise ValueError(f"{shown} is empty (start {start} >= stop {stop}); a subgroup "
                             f"needs at least one neuron")
        return np.arange(start, stop, step, dtype=np.int64)
    if isinstance(key, (bool, np.bool_)):
        raise TypeError(f"{label}[...]: index must be an integer, a slice or an array of "
                        f"indices, got {V._show(key)}")
    if isinstance(key, numbers.Integral):
        if not 0 <= int(key) < n:
            raise ValueError(f"{label}[{int(key)}]: index must lie in [0, {n}) (negative "
                             f"indices are not supported), got {int(key)}")
        return np.array([int(key)], dtype=np.int64)
    if isinstance(key, (list, tuple, np.ndarray, range)):
        arr = np.asarray(key)
        if arr.dtype == bool:
            raise TypeError(f"{label}[...]: boolean masks are not supported; use "
                            f"{label}[np.flatnonzero(mask)]")
        ids = V.index_array(f"{label}[...] indices", key, upper=n)
        if ids.shape[0] == 0:
            raise ValueError(f"{label}[...]: no indices given; a subgroup needs at least "
                             f"one neuron")
        step = np.diff(ids)
        if (step <= 0).any():
            kk = int(np.flatnonzero(step <= 0)[0]) + 1
            raise ValueError(f"{label}[...] indices must be strictly increasing (sorted, no "
                             f"repeats), got {int(ids[kk])} after {int(ids[kk - 1])} at "
                             f"index {kk}")
        return ids
    raise TypeError(f"{label}[...]: index must be an integer, a slice or an array of "
                    f"indices, got {V._show(key)} of type {type(key).__name__}")


def _ids_label(ids: np.ndarray) -> str:
    """Canonical text for a strictly increasing id set: the same ids, the same text."""
    first, last, n = int(ids[0]), int(ids[-1]), int(ids.shape[0])
    if n == 1:
        return str(first)
    step = int(ids[1] - ids[0])
    if (step == 1 or n > 2) and last - first == step * (n - 1) and bool(
            (np.diff(ids) == step).all()):
        return f"{first}:{last + 1}" if step == 1 else f"{first}:{last + 1}:{step}"
    if n <= 8:
        return ",".join(str(int(i)) for i in ids)
    digest = hashlib.sha256(np.ascontiguousarray(ids, dtype=np.int64).tobytes()).hexdigest()
    return f"{n} ids {first}..{last} #{digest[:8]}"


def _all_to_all(n_pre, n_post, no_self):
    pre_ids = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
    post_ids = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
    if no_self:
        keep = pre_ids != post_ids
        pre_ids, post_ids = pre_ids[keep], post_ids[keep]
    return pre_ids, post_ids


def _random_pairs(n_pre, n_post, p, no_self, rng):
    """Each (pre, post) pair independently with probability p, sorted by pre then post.

    The number of synapses is Binomial(pairs, p); the pairs are a uniformly random subset
    of that size, found by drawing flat pair indices (int64) until enough distinct ones are
    seen (no dense n_pre x n_post mask, so large sparse networks stay cheap).
    """
    cols = n_post - 1 if no_self else n_post
    total = _pair_count("pre", n_pre, "post", cols)
    count = int(rng.binomial(total, p)) if total else 0
    if count == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if count > total // 3:
        flat = np.sort(rng.choice(total, size=count, replace=False))
    else:
        seen = np.zeros(0, dtype=np.int64)
        while seen.size < count:
            draw = rng.integers(0, total, size=int((count - seen.size) * 1.2) + 16)
            allv = np.concatenate([seen, draw])
            _, first = np.unique(allv, return_index=True)
            seen = allv[np.sort(first)][:count]
        flat = np.sort(seen)
    flat = flat.astype(np.int64, copy=False)
    pre_ids = flat // cols
    post_ids = flat % cols
    if no_self:
        post_ids = post_ids + (post_ids >= pre_ids)
    return pre_ids.astype(np.int64), post_ids.astype(np.int64)


def _check_degree(k, n_src, forbid, word):
    """Refuse a degree k larger than the distinct partners every neuron has."""
    self_out = forbid is not None and bool((forbid >= 0).any())
    avail = n_src - (1 if self_out else 0)
    if k > avail:
        raise ValueError(f"k must be <= {avail} (distinct {word} neurons available"
                         f"{', autapses excluded' if self_out else ''}), got {k}")


def _invert_forbid(forbid, n_pre):
    """From 'post j is pre forbid[j]' to 'pre i is post back[i]' (-1: not in the other)."""
    back = np.full(n_pre, -1, dtype=np.int64)
    has = np.flatnonzero(forbid >= 0)
    back[forbid[has]] = has
    return back


def _draw_rows(rows, avail, k, rng):
    """(rows, k) int64: each row k distinct values in [0, avail), every k-subset equally
    likely. Rows are drawn with replacement and rows holding a repeat are redrawn whole
    (rejection keeps the subsets uniform); when repeats are likely (k^2 > avail) each row
    is drawn without replacement instead."""
    if k * k > avail:
        choice = np.empty((rows, k), dtype=np.int64)
        for c in range(rows):
            choice[c] = rng.choice(avail, size=k, replace=False)
        return choice
    choice = rng.integers(0, avail, size=(rows, k))
    while True:
        choice.sort(axis=1)
        dup_rows = np.flatnonzero((choice[:, 1:] == choice[:, :-1]).any(axis=1))
        if dup_rows.size == 0:
            return choice
        choice[dup_rows] = rng.integers(0, avail, size=(dup_rows.size, k))


def _k_subsets(rows, n_src, k, forbid, rng):
    """(rows, k) int64: row r holds k distinct sources in [0, n_src), never ``forbid[r]``
    (``forbid``: None, or int64 per row with -1 for nothing forbidden), uniformly.

    Rows with a forbidden source draw from the n_src - 1 others and skip it by shifting
    values >= forbid[r] up by one; rows without draw from all n_src. The two kinds are drawn
    as two blocks (rows without first), so that a projection without autapse exclusion, or
    with every row excluding one source, draws exactly as before subgroups existed.
    """
    out = np.empty((rows, k), dtype=np.int64)
    has = np.zeros(rows, dtype=bool) if forbid is None else forbid >= 0
    for excluded in (False, True):
        sel = np.flatnonzero(has == excluded)
        if sel.size == 0:
            continue
        block = _draw_rows(sel.size, n_src - int(excluded), k, rng)
        if excluded:
            block = block + (block >= forbid[sel][:, None])
        out[sel] = block
    return out


def _fixed_indegree(n_pre, n_post, k, forbid, rng):
    """Each post neuron gets k distinct presynaptic partners, uniformly; sorted by pre, post.

    ``forbid``: None, or int64 per post neuron: the pre index that is that neuron itself
    (excluded as a partner), -1 for none."""
    if k == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    _pair_count("pre", n_pre, "post", n_post)
    choice = _k_subsets(n_post, n_pre, k, forbid, rng)
    post_ids = np.repeat(np.arange(n_post, dtype=np.int64), k)
    pre_ids = choice.reshape(-1)
    key = np.sort(pre_ids * n_post + post_ids)
    return key // n_post, key % n_post


def _fixed_outdegree(n_pre, n_post, k, back, rng):
    """Each pre neuron gets k distinct postsynaptic partners, uniformly; sorted by pre, post.

    ``back``: None, or int64 per pre neuron: the post index that is that neuron itself
    (excluded as a partner), -1 for none. The same draw as :func:`_fixed_indegree` with the
    roles of pre and post swapped."""
    post_ids, pre_ids = _fixed_indegree(n_post, n_pre, k, back, rng)
    key = np.sort(pre_ids * n_post + post_ids)
    return key // n_post, key % n_post


def _weights(weight, n_syn, rng, synapse, stdp):
    """Initial weights (float64, n_syn): magnitudes >= 0, in [w_min, w_max] when plastic."""
    unit = "" if synapse == "conductance" else "mV"
    if is_distribution(weight):
        kind = weight[0]
        if len(weight) == 3 and kind in ("uniform", "normal"):
            first = weight[1]
            if (isinstance(first, numbers.Real) and not isinstance(first, (bool, np.bool_))
                    and (first < 0 if kind == "uniform" else first <= 0)):
                what = "lo < 0" if kind == "uniform" else "mean <= 0"
                raise ValueError(f"weight {V._show(weight)} has {what}, so it describes "
                                 f"signed weights: {_SIGN_RULE}")
    else:
        arr = V.float_array("weight", weight, length=n_syn)
        if (arr < 0).any():
            kk = int(np.flatnonzero(arr < 0)[0])
            scalar = np.ndim(weight) == 0
            raise ValueError(f"weight must be >= 0, got {float(arr[kk])!r}"
                             f"{'' if scalar else f' at index {kk}'}: {_SIGN_RULE}")
        if np.ndim(weight) != 0:
            weight = arr  # validated once: resolve takes the float64 array without a copy
    if stdp is None:
        return resolve("weight", weight, n_syn, rng, low=0.0, unit=unit)
    try:
        return resolve("weight", weight, n_syn, rng, low=stdp.w_min, high=stdp.w_max,
                       unit=unit)
    except ValueError as err:
        raise ValueError(f"{err} ([w_min, w_max] of the plastic projection's STDPParams)"
                         ) from None


def _delays(delay, n_syn, dt, rng):
    """Axonal delays (ms, float64, n_syn) >= 0 on the dt grid: explicit values must be
    multiples of dt, drawn values are rounded to the nearest step (ties up)."""
    if is_distribution(delay):
        drawn = resolve("delay", delay, n_syn, rng, low=0.0, unit="ms")
        return np.floor(drawn / dt + 0.5) * dt
    delay = resolve("delay", delay, n_syn, rng, low=0.0, unit="ms")
    steps = delay / dt
    off = np.abs(steps - np.rint(steps)) > 1e-6
    if off.any():
        kk = int(np.flatnonzero(off)[0])
        raise ValueError(f"delay must be a multiple of dt={dt!r} ms, got {float(delay[kk])!r} "
                         f"ms at index {kk} (explicit delays are not rounded; round them "
                         f"yourself, np.round(d / dt) * dt, or give a distribution, whose "
                         f"draws are rounded to the nearest step)")
    return delay
