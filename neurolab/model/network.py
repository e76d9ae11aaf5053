"""Network description: populations, projections (connectivity and initial weights).

A :class:`Network` is a specification. Connectivity and initial weights are drawn when a
projection is made, from a numpy Generator seeded by the network seed and the
projection's position, so they can be inspected before running; Poisson input is drawn
at run time from the seed and the population's position. :meth:`Network.run` always
starts from the initial state, so the same network, duration and seed give bitwise
identical spikes and weights.

Room: ``neurolab.model`` (what a user describes; no numba). May import:
``neurolab.base``, ``neurolab.plasticity``, the other ``neurolab.model`` modules, and
``neurolab.engine`` (``run`` and ``store`` hand the network to the engine).
"""

from __future__ import annotations

import copy

import numpy as np

from ..base import validate as V
from ..base.resources import NEURON_BYTES, SYNAPSE_BYTES, check_memory
from .distributions import resolve
from ..base.poisson import explicit_steps
from .params import NEURON_FIELDS, LIFParams, STDPParams
from ..plasticity import homeostasis as _homeo
from ..base.io import summary as _summary
from ..base.streams import (_STREAM_CHANGE, _STREAM_CONNECT, _STREAM_NEURON, _check_rate,
                            _poisson_stream, _rates_spec)
from ..engine.run import simulate
from ..results.records import SimResult
from ..engine.tables import RunState
from .connectivity import (RECEPTORS, RULES, _all_to_all, _check_degree, _delays, _fixed_indegree,
                           _fixed_outdegree, _invert_forbid, _pair_count, _random_pairs,
                           _rule_args, _weights, estimate_synapses)
from .neuron_models import AdExParams, IzhikevichParams
from .populations import (NEURON_KINDS, Population, Subgroup, _check_reset_below_threshold,
                          _resolve_model_params, _resolve_neuron_params)
from .projections import Projection, _check_stdp
from .sources import CurrentSource, PoissonInput, _current_segment


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

    def _check_fits(self, what: str, *, n_neurons: int = 0, n_synapses: float = 0) -> None:
        """``MemoryError`` now, before anything is built, when the network with ``n_neurons``
        more neurons and ``n_synapses`` more synapses would not fit in the available memory
        when it runs (its projections' arrays and the kernel's tables; a request of 10^8
        inputs used to fail only after ~20 s of building)."""
        neurons = sum(p.n for p in self.populations.values()) + n_neurons
        synapses = sum(p.n_syn for p in self.projections.values()) + n_synapses
        check_memory(f"{what}: the network ({neurons:.3g} neurons, {synapses:.3g} synapses) "
                     f"would", neurons * NEURON_BYTES + synapses * SYNAPSE_BYTES,
                     "use fewer neurons or synapses (e.g. rule='fixed_indegree')")

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
        self._check_fits(f"population {name!r} of {n} neurons", n_neurons=n)
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
        self._check_fits(f"population {name!r} of {n} neurons", n_neurons=n)
        times, indices = self._spike_arrays(name, n, times, indices)
        return self._add(name, n, "spikes", times=times, indices=indices)

    def _spike_arrays(self, name, n, times, indices):
        """``times`` and ``indices`` of explicit source ``name`` checked (as ``add_spikes``
        says) and copied into read-only arrays that the network owns: a later edit of the
        caller's buffers changes nothing, and an edit of the population's arrays in place
        is refused by numpy (assign ``pop.times`` / ``pop.indices`` instead)."""
        times = np.array(V.float_array("times", times, allow_scalar=True), copy=True)
        indices = np.array(V.index_array("indices", indices, upper=n), copy=True)
        if times.shape[0] != indices.shape[0]:
            raise ValueError(f"times and indices must have the same length, got "
                             f"len(times)={times.shape[0]} and len(indices)={indices.shape[0]}")
        if (times < 0).any():
            k = int(np.flatnonzero(times < 0)[0])
            raise ValueError(f"times must be >= 0 ms, got {float(times[k])!r} at index {k}")
        V.within_steps("times", times, self.dt)        # step numbers that fit in int64
        explicit_steps(times, indices, self.dt, name)  # same-step duplicates
        times.setflags(write=False)
        indices.setflags(write=False)
        return times, indices

    def _set_spikes(self, pop, which, value):
        """``pop.times = value`` / ``pop.indices = value``: checked with the other array as
        ``add_spikes`` checks them, before the first run only."""
        if self._state is not None:
            raise RuntimeError(
                f"cannot change {which} of population {pop.name!r}: explicit spikes are fixed "
                f"once the network has run or been stored (t = {self.t:g} ms), and its runs "
                f"emit the spikes it had then; give every spike to add_spikes before the "
                f"first run (or build a new Network)")
        times, indices = ((value, pop.indices) if which == "times" else (pop.times, value))
        pop._times, pop._indices = self._spike_arrays(pop.name, pop.n, times, indices)

    def _append_spikes(self, pop, times, indices):
        """``pop.add_spikes(times, indices)``: checked, merged with the population's spikes
        and, between runs, with the kernel's (which emits from ``net.t`` on)."""
        t_new, i_new = self._spike_arrays(pop.name, pop.n, times, indices)
        state = self._state
        if state is not None and t_new.size:
            steps = np.rint(t_new / self.dt).astype(np.int64)
            if (steps < state.step).any():
                k = int(np.flatnonzero(steps < state.step)[0])
                raise ValueError(f"times of population {pop.name!r} must be >= the network's "
                                 f"time {self.t:g} ms between runs, got {float(t_new[k])!r} "
                                 f"at index {k}")
        merged = self._spike_arrays(pop.name, pop.n, np.concatenate([pop.times, t_new]),
                                    np.concatenate([pop.indices, i_new]))
        pop._times, pop._indices = merged
        if state is not None:
            state.set_explicit(pop, *merged)

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
        n, params, index = self._new_population(name, n, LIFParams, params)
        values = _resolve_neuron_params(params, n, self.dt, name,
                                        lambda k: self._rng(_STREAM_NEURON, index, k))
        v_init = resolve("v_init", values["v_rest"] if v_init is None else v_init, n,
                         self._rng(_STREAM_NEURON, index, len(NEURON_FIELDS)), unit="mV")
        _homeo.check_threshold(threshold)
        theta_init = None if threshold is None else np.full(n, threshold.theta_init)
        return self._add(name, n, "lif", params=params, v_init=v_init, neuron_params=values,
                         threshold=threshold, theta_init=theta_init)

    def add_adex(self, name: str, n: int, params: AdExParams | None = None, v_init=None,
                 w_init=0.0) -> Population:
        """Adaptive exponential integrate-and-fire neurons (Brette & Gerstner 2005; see
        :class:`AdExParams` for the equations, units, integration method and safe ``dt``).

        Per-neuron parameters as for :meth:`add_lif` (scalars, arrays of length ``n``,
        distributions drawn here). ``v_init``: initial ``V`` (mV), default ``E_L``;
        ``w_init``: initial adaptation current (pA), default 0. ``Population.v`` and
        ``Population.w`` read and set them between runs; ``record_state`` with
        ``state_vars=("v", "w")`` records them. Connect to it, drive it
        (:meth:`add_poisson_input`, :meth:`add_current`: pA) and make its synapses plastic as
        for LIF, on one thread or several (``threads``).
        Raises ``ValueError``/``TypeError`` naming the parameter, the value and the neuron
        (e.g. ``V_reset >= V_peak``, or a ``dt`` the RK4 step cannot resolve).
        """
        return self._add_model(name, n, AdExParams, params, v_init, w_init, "w")

    def add_izhikevich(self, name: str, n: int, params: IzhikevichParams | None = None,
                       v_init=None, u_init=None) -> Population:
        """Izhikevich neurons (Izhikevich 2003; see :class:`IzhikevichParams` for the
        equations, units, integration methods and presets).

        Per-neuron parameters as for :meth:`add_lif`. ``v_init`` (mV): default ``c``;
        ``u_init``: default ``b * v_init`` (the paper's code). ``Population.v`` and
        ``Population.u`` read and set them between runs; ``state_vars=("v", "u")`` records
        them. Runs on one thread or several (``threads``), like LIF.
        """
        return self._add_model(name, n, IzhikevichParams, params, v_init, u_init, "u")

    def _new_population(self, name, n, cls, params):
        """The checks every new population passes (a new name, ``n`` >= 1 that fits in
        memory, ``params`` an instance of ``cls`` or None for ``cls()``): ``(n, params,
        its index)``."""
        self._new_name(name)
        n = V.integer("n", n, minimum=1)
        self._check_fits(f"population {name!r} of {n} neurons", n_neurons=n)
        if params is None:
            params = cls()
        if not isinstance(params, cls):
            raise TypeError(f"params must be a {cls.__name__}, got {type(params).__name__}")
        return n, params, len(self.populations)

    def _add_model(self, name, n, cls, params, v_init, w_init, second):
        n, params, index = self._new_population(name, n, cls, params)
        values = _resolve_model_params(params, n, self.dt, name,
                                       lambda k: self._rng(_STREAM_NEURON, index, k))
        rest = values["E_L"] if cls is AdExParams else values["c"]
        nf = params.N_STREAMS               # the streams after the fields' (see stream)
        v_init = resolve("v_init", rest if v_init is None else v_init, n,
                         self._rng(_STREAM_NEURON, index, nf), unit="mV")
        if w_init is None:                   # Izhikevich: u = b v
            w_init = values["b"] * v_init
        w_init = resolve(f"{second}_init", w_init, n,
                         self._rng(_STREAM_NEURON, index, nf + 1))
        return self._add(name, n, params.MODEL, params=params, v_init=v_init,
                         neuron_params=values, w_init=w_init)

    def add_poisson_input(self, name: str, target, n_sources: int, rate: float, weight,
                          receptor: str = "exc") -> "PoissonInput":
        """External drive without synapses (Brian2's ``PoissonInput``): ``n_sources``
        independent Poisson sources of ``rate`` Hz onto *every* neuron of ``target``, each
        target with its own sources. In each step target j receives
        ``k_j ~ Binomial(n_sources, rate dt / 1000)`` spikes and its variable changes by
        ``k_j * weight`` (mV for delta synapses, ``v``; current/conductance synapses: ``I``/
        ``g`` of the receptor), delivered with the synaptic pathways (delta input to a
        refractory neuron is discarded). Static: no plasticity.

        Parameters: ``target`` a LIF, AdEx or Izhikevich population (or its name, or a
        slice of it);
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
        For AdEx neurons the amplitude is a current in pA (``C dV/dt = ... + I_ext``), for
        Izhikevich neurons in the model's own unit (``dv/dt = ... + I_ext``).

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
        if pop.kind not in NEURON_KINDS:
            raise ValueError(f"{what} must be a population of neurons (LIF, AdEx or "
                             f"Izhikevich), got {pop.name!r} of kind {pop.kind!r}")
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
        """Connect ``pre`` to ``post`` (LIF, AdEx or Izhikevich) and return the
        :class:`Projection`. Weight units for AdEx and Izhikevich targets: see
        :class:`AdExParams` / :class:`IzhikevichParams`.

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
            :func:`neurolab.model.distributions.resolve`). Unit: mV for delta and current
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
        if post_pop.kind not in NEURON_KINDS:
            raise ValueError(f"post must be a population of neurons (LIF, AdEx or "
                             f"Izhikevich), got {post_label!r} of kind {post_pop.kind!r}")
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
            self._check_fits(f"{n_est:.3g} more synapses ({rule}, {n_pre} x {n_post})",
                             n_synapses=n_est)
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

    @V.known_keywords("Network.run")
    def run(self, duration: float, *, record_spikes=None, record_weights=None,
            weight_dt: float | None = None, weight_window=None, record_state=None,
            state_vars=("v",), state_dt: float | None = None, state_window=None,
            progress: bool | None = None, chunk_steps: int | None = None,
            threads: int = 1) -> SimResult:
        """Simulate ``duration`` ms from where the network is (``net.t``) and return the
        :class:`~neurolab.SimResult` of this run, ``[t_start, t_end)``.

        The network keeps its state: a following call continues (membrane and synaptic
        state, refractoriness, traces, weights, spikes in flight, input streams with new
        random numbers), and ``run(a)`` then ``run(b)`` gives bitwise the same spikes and
        weights as ``run(a + b)`` when nothing is changed in between. :meth:`store` /
        :meth:`restore` return to a snapshot. In a notebook, a re-executed ``net.run(...)``
        cell therefore continues from where the previous execution ended; rebuild the
        network in the same cell (or restore a stored state) to start again from t = 0.

        Semantics: clock-driven with fixed ``net.dt``, Brian2's default schedule (state
        update, threshold, presynaptic then postsynaptic pathways, reset); STDP is
        pair-based with the pairing scheme and weight dependence each projection's
        :class:`~neurolab.STDPParams` names, and delays are axonal. The neuron equations
        and their sources are in :class:`~neurolab.LIFParams`,
        :class:`~neurolab.AdExParams` and :class:`~neurolab.IzhikevichParams`; see the
        README, "Simulation semantics". ``nl.simulate(net, duration, ...)`` is the same
        call.

        Parameters
        ----------
        duration : float
            ms, > 0, a multiple of ``dt``.
        record_spikes : None, "all", list or dict, optional
            Whose spikes to keep: ``None`` (default) every LIF, AdEx and Izhikevich
            population (not the inputs), ``"all"`` every population, a list of population
            names / populations / slices (``E[:100]``), or ``{name: "all" | slice | ids}``.
            Selections of ids (here, in ``record_weights`` and in ``record_state``) are
            sets: an id given twice raises ``ValueError``.
        record_weights : dict, optional
            ``{projection name: "all" | slice | synapse indices}``; ``None`` (default):
            none.
        weight_dt : float, optional
            Weight sampling period (ms), a multiple of dt; default 1 ms rounded to whole
            steps (at least one). Samples are taken at the multiples of ``weight_dt`` of
            network time.
        weight_window : (float, float), optional
            ``(start, stop)`` ms of network time: sample weights only then.
        record_state : dict, optional
            ``{population name: "all" | slice | neuron indices}`` (LIF, AdEx or Izhikevich
            populations); ``None`` (default): none.
        state_vars : str, tuple of str, or dict, default ``("v",)``
            The variables recorded for the populations of ``record_state``: ``"v"``
            (membrane potential, mV), ``"ge"``, ``"gi"`` (synaptic variables: conductances
            or currents, in the units of the population's synapse type), ``"theta"``
            (adaptive threshold offset, mV; populations with an adaptive threshold),
            ``"w"`` (AdEx adaptation current, pA), ``"u"`` (Izhikevich recovery variable).
            A name or a tuple applies to every population of ``record_state``; a dict
            ``{population name: tuple of names}`` gives each its own (e.g. ``{"A": ("v",
            "w"), "Z": ("v", "u")}`` records an AdEx ``w`` and an Izhikevich ``u`` in one
            run; a population of ``record_state`` the dict leaves out records ``("v",)``).
        state_dt : float, optional
            State sampling period (ms), a multiple of dt; default dt.
        state_window : (float, float), optional
            ``(start, stop)`` ms of network time: sample the state only then.
        progress : bool, optional
            ``True``/``False`` to force a tqdm progress bar on/off; ``None`` (default)
            shows one when the run is expected to take more than about two seconds.
        chunk_steps : int, optional
            Steps per kernel call; ``None`` (default) adapts it so that each call takes
            about 0.1 s. Results do not depend on it (bitwise).
        threads : int, default 1
            Worker threads for the step loop, 1 up to numba's thread count
            (``numba.config.NUMBA_NUM_THREADS``, the machine's cores unless the environment
            variable ``NUMBA_NUM_THREADS`` says otherwise). Each thread owns a range of
            neurons and the synapses onto them (see :mod:`neurolab.engine.parallel`), so
            spikes and weights are bitwise the same for every thread count. Networks with
            the pair rule's variants, the other rule families or homeostasis run on one
            thread (with a warning). Worth it for large networks only: each step pays ~4-5
            us for the parallel region on numba's OpenMP threading layer (~0.1 ms on its
            ``workqueue`` fallback, where neither OpenMP nor TBB is found), and on a
            2-core machine two threads beat one from about 5 000-10 000 neurons of a
            recurrent network with in-degree 100; on cores busy with other work a threaded
            run can be much slower. The first run with ``threads > 1`` compiles the
            threaded kernel (about 15 s on 2 cores, once; then cached). Threaded runs
            started from several Python threads of one process take turns, a kernel call
            (~0.1 s) at a time (``workqueue`` aborts the process on concurrent parallel
            calls). In a process forked after a threaded run on the OpenMP layer (not
            fork-safe), ``threads > 1`` runs on one thread with a warning; start worker
            processes with ``"spawn"`` instead. AdEx and Izhikevich populations run on
            threads like LIF ones. With NEST imported, ``threads > 1`` also runs on one
            thread with a warning: NEST's bundled OpenMP runtime and numba's crash a
            process that runs both.

        Returns
        -------
        SimResult
            ``spikes[name]``: :class:`~neurolab.SpikeRecord` (``t`` ms, ``i`` local ids,
            each (n_spikes,)); ``weights[name]``: :class:`~neurolab.WeightRecord` (``t``
            (n_samples,) ms, ``w`` (n_samples, n_rec)); ``state[name]``:
            :class:`~neurolab.StateRecord` (``t`` (n_samples,) ms, ``ids`` (n_ids,), one
            (n_samples, n_ids) array per recorded variable, ``None`` for the others);
            ``final_weights[name]``: (n_syn,) every weight at ``t_end``; ``params``: the
            network and these options (provenance).

        Raises
        ------
        TypeError
            A keyword this method does not take (the message lists those it takes), or an
            argument of the wrong type (naming the parameter and the value).
        ValueError
            A bad value, naming the parameter, the value and what is allowed; for
            ``state_vars``: the population, the variable and the variables that
            population's model has.
        MemoryError
            The recordings (or the network's tables) would not fit in the available
            memory; the message says how much is needed and what to change. Raised before
            anything is allocated or simulated.
        NonFiniteStateError
            The state, or a recorded sample of it or of a weight, became infinite or NaN;
            names the population, the variable, the neuron (or synapse) and the time.
        SimulationInterrupted
            The run was stopped (Ctrl-C, a notebook's stop button) before its end; carries
            the partial result (``.result``, ``interrupted=True``).

        Notes
        -----
        Input is drawn chunk by chunk, so memory does not grow with the duration unless a
        recording does. Ctrl-C, or a notebook's stop button, ends the run cleanly after
        the current chunk (also while input is being drawn or the kernel is being
        compiled): ``net.t`` is where it stopped and ``net.run`` continues from there
        (bitwise as if never stopped). Any exception raised while the run is under way (a
        rate function that fails, a non-finite state) leaves the network consistent where
        it stopped (``net.t``), gets a note saying where that is, and carries what ran as
        ``.partial_result``.

        Examples
        --------
        >>> import neurolab as nl
        >>> net = nl.Network(dt=0.1)
        >>> A = net.add_adex("A", 1, nl.AdExParams.preset("adapting"))
        >>> Z = net.add_izhikevich("Z", 1, nl.IzhikevichParams.preset("RS"))
        >>> res = net.run(10.0, record_state={"A": "all", "Z": "all"},
        ...               state_vars={"A": ("v", "w"), "Z": ("v", "u")})
        >>> res.state["A"].w.shape, res.state["Z"].u.shape
        ((100, 1), (100, 1))
        """
        return simulate(self, duration, record_spikes=record_spikes,
                        record_weights=record_weights, weight_dt=weight_dt,
                        weight_window=weight_window, record_state=record_state,
                        state_vars=state_vars, state_dt=state_dt, state_window=state_window,
                        progress=progress, chunk_steps=chunk_steps, threads=threads)

    def store(self, name: str = "default") -> None:
        """Snapshot the whole state under ``name`` (Brian2's ``store``): time, membrane and
        synaptic state, refractory counters, STDP traces, adaptive thresholds (``theta``),
        weights, spikes in flight, input streams, rates, neuron parameters, learning
        switches, normalisations and currents, in the kernel's state and as the Python side
        reports them (getters, the next run's provenance). Storing fixes the network's
        structure, as a run does."""
        V.name_string("name", name)
        state = self._ensure_state()
        self._stored[name] = copy.deepcopy((state, self._settings()))

    def restore(self, name: str = "default") -> None:
        """Return to the state stored under ``name`` (Brian2's ``restore``); ``net.t``
        becomes the stored time, and the input streams replay the same random numbers from
        there. Every setting ``store`` covers comes back in the kernel, in what the getters
        report (``rates``, ``param``, ``params``, ``learning``, ``stdp``, ``rate``,
        ``amplitude``...) and in the next run's provenance; a later change starts from the
        restored values. Raises ``KeyError`` listing the stored names."""
        if name not in self._stored:
            raise KeyError(f"no state stored under {name!r}; stored: {sorted(self._stored)} "
                           f"(call net.store({name!r}) first)")
        state, settings = copy.deepcopy(self._stored[name])
        self._state = state
        self._apply_settings(settings)

    # the settings that live on the Python objects (beside the kernel's copies in RunState):
    # what the getters and the provenance (to_dict) read and later changes start from
    _POP_SETTINGS = ("_rates", "params", "neuron_params", "v_init", "_threshold",
                     "_theta_init", "_w_init", "_times", "_indices")
    _PROJ_SETTINGS = ("_learning", "stdp", "_normalize", "_weight")

    def _settings(self) -> dict:
        """The Python side's copy of every setting ``store`` covers (not copied here)."""
        return {
            "populations": {name: {a: getattr(pop, a) for a in self._POP_SETTINGS}
                            for name, pop in self.populations.items()},
            "projections": {name: {a: getattr(proj, a, True if a == "_learning" else None)
                                   for a in self._PROJ_SETTINGS}
                            for name, proj in self.projections.items()},
            "drives": {name: d._rate for name, d in self.drives.items()},
            "currents": {name: list(c._segments) for name, c in self.currents.items()},
        }

    def _apply_settings(self, settings: dict) -> None:
        """Put back what ``_settings`` returned (the structure is the same: it is fixed
        once a state exists)."""
        for name, values in settings["populations"].items():
            for attr, value in values.items():
                setattr(self.populations[name], attr, value)
        for name, values in settings["projections"].items():
            for attr, value in values.items():
                setattr(self.projections[name], attr, value)
        for name, rate in settings["drives"].items():
            self.drives[name]._rate = rate
        for name, segments in settings["currents"].items():
            self.currents[name]._segments = segments

    def _ensure_state(self):
        if self._state is None:

            self._state = RunState(self)
        return self._state

    # ------------------------------------------------------------ changes between runs
    def _set_rates(self, pop, value):
        pop._rates = _rates_spec(pop.name, value, pop.n, self.dt, None)
        if self._state is not None:
            self._state.set_rates(pop, pop._rates)

    def _set_neuron_params(self, pop, changes):
        if pop.kind != "lif":
            return self._set_model_params(pop, changes)
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

    def _set_model_params(self, pop, changes):
        fields = [f for f, _, _ in pop.params.FIELDS]
        if pop.kind == "adex":
            fields.append("V_th_max")
        for key in changes:
            if key not in fields:
                raise ValueError(f"set_params: unknown or fixed parameter {key!r} of a "
                                 f"{pop.kind} population; allowed: {fields}")
        new = pop.params.replace(**changes)
        k = len(getattr(self._state, "changes", []))
        values = _resolve_model_params(
            new, pop.n, self.dt, pop.name,
            lambda f: self._rng(_STREAM_CHANGE, pop.index, k, f), only=changes,
            current=pop.neuron_params)
        merged = dict(pop.neuron_params)
        merged.update(values)
        if pop.kind == "adex" and new.V_th_max is None:
            merged.pop("V_th_max", None)
        pop.params = new
        pop.neuron_params = merged
        if self._state is not None:
            self._state.set_neuron_params(pop, merged, sorted(changes))

    def _get_state_var(self, pop, var):
        if self._state is None:
            if var == "z":
                return np.zeros(pop.n)
            if var == "v_th":
                return np.array(pop.neuron_params["V_T"], dtype=float)
            return (pop._w_init if var in ("w", "u") else pop.v_init).copy()
        return self._state.get_var(pop, var)

    def _set_second(self, pop, var, value):
        """``pop.w = value`` (AdEx) / ``pop.u = value`` (Izhikevich)."""
        k = len(getattr(self._state, "changes", []))
        x = resolve(var, value, pop.n, self._rng(_STREAM_CHANGE, pop.index, k, 97))
        if self._state is None:
            pop._w_init = x
        else:
            self._state.set_var(pop, var, x)

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
        delay = _delays(value, proj.n_syn, self.dt,
                        self._rng(_STREAM_CHANGE, 2000 + proj.index, 0))
        delay.setflags(write=False)         # changed by assignment only, validated here
        proj._delay = delay

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


def _group(net, what, value):
    """(parent population, int64 ids in it or None for all of it, label) for connect."""
    if isinstance(value, Subgroup):
        net._population(what, value.population)
        return value.population, np.asarray(value.ids, dtype=np.int64), value.name
    pop = net._population(what, value)
    return pop, None, pop.name
