"""Network description: populations, projections (connectivity and initial weights).

A :class:`Network` is a specification. Connectivity and initial weights are drawn when a
projection is made, from a numpy Generator seeded by the network seed and the
projection's position, so they can be inspected before running; Poisson input is drawn
at run time from the seed and the population's position. :meth:`Network.run` always
starts from the initial state, so the same network, duration and seed give bitwise
identical spikes and weights.
"""

from __future__ import annotations

import hashlib
import math
import numbers

import numpy as np

from . import _validate as V
from .distributions import is_distribution, resolve
from .inputs import explicit_steps, poisson_steps
from .params import LIFParams, STDPParams

RULES = ("all_to_all", "one_to_one", "probability", "fixed_indegree", "fixed_outdegree",
         "explicit")
RECEPTORS = ("exc", "inh")

# stream identifiers for numpy SeedSequence-style seeding: [seed, stream, index]
_STREAM_CONNECT = 1
_STREAM_POISSON = 2


class Population:
    """A group of neurons of one kind: ``"poisson"``, ``"spikes"`` or ``"lif"``.

    Attributes: ``name``, ``n``, ``kind``; ``rates`` (Hz, poisson); ``times`` (ms) and
    ``indices`` (spikes); ``params`` (:class:`LIFParams`) and ``v_init`` (mV) for lif.
    """

    def __init__(self, name, n, kind, index, **attrs):
        self.name = name
        self.n = n
        self.kind = kind
        self.index = index
        self.params = attrs.get("params")
        self.rates = attrs.get("rates")
        self.times = attrs.get("times")
        self.indices = attrs.get("indices")
        self.v_init = attrs.get("v_init")

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

    def to_dict(self) -> dict:
        d = {"name": self.name, "n": self.n, "kind": self.kind}
        if self.kind == "lif":
            d["params"] = self.params.to_dict()
            d["v_init"] = _summary(self.v_init)
        elif self.kind == "poisson":
            d["rates_hz"] = _summary(self.rates)
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
    ``pre_ids`` then ``post_ids``.

    Weights are magnitudes, ``weight >= 0`` (mV for delta and current synapses,
    dimensionless for conductance synapses); ``receptor`` (``"exc"``/``"inh"``) says whether
    they depolarise or hyperpolarise. ``stdp`` is an :class:`STDPParams` for a plastic
    projection (pair-based; pairing scheme and weight dependence as it says), ``None`` for
    a static one.
    """

    def __init__(self, name, pre, post, pre_ids, post_ids, weight, delay, receptor, stdp,
                 index, spec):
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
             "weight_init": _summary(self.weight), "delay_ms": _summary(self.delay),
             "connectivity_sha256": hashlib.sha256(
                 self.pre_ids.tobytes() + self.post_ids.tobytes()).hexdigest()}
        d.update(self.spec)
        return d


def _summary(arr: np.ndarray):
    """A JSON-friendly description of a parameter array: the value when uniform."""
    if arr.size and np.all(arr == arr[0]):
        return float(arr[0])
    if arr.size == 0:
        return []
    return {"min": float(arr.min()), "max": float(arr.max()), "mean": float(arr.mean()),
            "sha256": hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()}


class Network:
    """A spiking network: populations of sources and LIF neurons, and projections.

    Parameters
    ----------
    dt : simulation time step (ms), > 0; default 0.1 ms.
    seed : integer >= 0 seeding connectivity, random initial weights and Poisson input.

    Example
    -------
    >>> import neurolab as nl
    >>> net = nl.Network(dt=0.1, seed=1)
    >>> inp = net.add_poisson("inp", n=100, rates=15.0)
    >>> out = net.add_lif("out", n=1, params=nl.LIFParams(synapse="conductance"))
    >>> proj = net.connect(inp, out, weight=0.01, stdp=nl.STDPParams(w_max=0.02))
    >>> res = net.run(200.0)
    """

    def __init__(self, dt: float = 0.1, seed: int = 0):
        self.dt = V.positive("dt", dt, "ms")
        self.seed = V.integer("seed", seed, minimum=0)
        self.populations: dict[str, Population] = {}
        self.projections: dict[str, Projection] = {}

    # ------------------------------------------------------------------ populations
    def _new_name(self, name):
        V.name_string("name", name)
        if name in self.populations or name in self.projections:
            raise ValueError(f"name {name!r} is already used in this network; "
                             f"names must be unique")
        return name

    def _add(self, name, n, kind, **attrs):
        pop = Population(name, n, kind, len(self.populations), **attrs)
        self.populations[name] = pop
        return pop

    def add_poisson(self, name: str, n: int, rates) -> Population:
        """Independent Poisson sources (Brian2's ``PoissonGroup``).

        ``rates``: Hz, a scalar or an array of length ``n``; each ``rate * dt`` must be
        at most 1000 Hz·ms (at most one spike per step).
        """
        self._new_name(name)
        n = V.integer("n", n, minimum=1)
        rates = V.float_array("rates", rates, length=n)
        if (rates < 0).any():
            k = int(np.flatnonzero(rates < 0)[0])
            raise ValueError(f"rates must be >= 0 Hz, got {rates[k]!r} at index {k}")
        # the same expression as the spike probability per step the input is drawn with
        over = rates * (self.dt / 1000.0) > 1.0 + 1e-12
        if over.any():
            k = int(np.flatnonzero(over)[0])
            raise ValueError(f"rates must be <= 1000/dt = {1000.0 / self.dt!r} Hz (at most "
                             f"one spike per step), got {rates[k]!r} at index {k}")
        return self._add(name, n, "poisson", rates=rates)

    def add_spikes(self, name: str, n: int, times, indices) -> Population:
        """Sources that spike at explicit times (Brian2's ``SpikeGeneratorGroup``).

        ``times``: ms, each rounded to the nearest step; ``indices``: the source of each
        spike, in ``[0, n)``. Times must lie inside the run, ``[0, duration)``, which is
        checked when the network runs.
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
            raise ValueError(f"times must be >= 0 ms, got {times[k]!r} at index {k}")
        explicit_steps(times, indices, self.dt, math.inf, name)  # same-step duplicates
        return self._add(name, n, "spikes", times=times, indices=indices)

    def add_lif(self, name: str, n: int, params: LIFParams | None = None,
                v_init=None) -> Population:
        """Leaky integrate-and-fire neurons (see :class:`LIFParams`).

        ``v_init``: initial membrane potential (mV), scalar or array of length ``n``;
        default ``params.v_rest``.
        """
        self._new_name(name)
        n = V.integer("n", n, minimum=1)
        if params is None:
            params = LIFParams()
        if not isinstance(params, LIFParams):
            raise TypeError(f"params must be a LIFParams, got {type(params).__name__}")
        tau_min = params.shortest_tau()
        if self.dt > tau_min:
            raise ValueError(f"dt must not exceed the shortest time constant of population "
                             f"{name!r} ({tau_min!r} ms), got dt={self.dt!r} ms")
        v_init = V.float_array("v_init", params.v_rest if v_init is None else v_init,
                               length=n)
        return self._add(name, n, "lif", params=params, v_init=v_init)

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
                name: str | None = None) -> Projection:
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
        if stdp is not None and not isinstance(stdp, STDPParams):
            raise TypeError(f"stdp must be an STDPParams or None, got {type(stdp).__name__}")
        if stdp is not None and self.dt > min(stdp.tau_plus, stdp.tau_minus):
            raise ValueError(f"dt must not exceed the shortest STDP time constant "
                             f"({min(stdp.tau_plus, stdp.tau_minus)!r} ms), "
                             f"got dt={self.dt!r} ms")
        if stdp is not None and stdp.w_min < 0:
            raise ValueError(f"w_min must be >= 0, got w_min={stdp.w_min!r}: {_SIGN_RULE}")
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
                if p is None:
                    raise ValueError("rule='probability' needs p, got p=None")
                p = V.real("p", p)
                if not 0.0 <= p <= 1.0:
                    raise ValueError(f"p must lie in [0, 1], got {p!r}")
                spec["p"] = p
                pre_ids, post_ids = _random_pairs(n_pre, n_post, p, no_self, rng)
            else:
                if k is None:
                    raise ValueError(f"rule={rule!r} needs k, got k=None")
                k = V.integer("k", k, minimum=0)
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
                          stdp, index, spec)
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

    def input_spike_steps(self, duration: float) -> dict:
        """Input spikes every source population emits in a run of ``duration`` ms.

        Returns ``{name: (steps, ids)}`` (int64, sorted by step then id): exactly what the
        kernel receives. Poisson trains are drawn from the network seed and the
        population's position, so they do not depend on other populations.
        """
        n_steps = self.n_steps(duration)
        duration = float(duration)
        out = {}
        for pop in self.populations.values():
            if pop.kind == "poisson":
                out[pop.name] = poisson_steps(pop.rates, self.dt, n_steps,
                                              [self.seed, _STREAM_POISSON, pop.index])
            elif pop.kind == "spikes":
                out[pop.name] = explicit_steps(pop.times, pop.indices, self.dt, duration,
                                               pop.name)
        return out

    def run(self, duration: float, **kwargs):
        """Simulate for ``duration`` ms from the initial state; see :func:`neurolab.simulate`."""
        from .simulate import simulate

        return simulate(self, duration, **kwargs)

    def to_dict(self) -> dict:
        return {"dt": self.dt, "seed": self.seed,
                "populations": [p.to_dict() for p in self.populations.values()],
                "projections": [p.to_dict() for p in self.projections.values()]}


_INT64_MAX = int(np.iinfo(np.int64).max)
_SIGN_RULE = "weights are magnitudes >= 0; use receptor='inh' for inhibition"


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
        if p is None:
            raise ValueError("rule='probability' needs p, got p=None")
        p = V.real("p", p)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p!r}")
        count = min(pairs, math.ceil(pairs * p + 6.0 * math.sqrt(pairs * p * (1.0 - p))))
    elif rule in ("fixed_indegree", "fixed_outdegree"):
        if k is None:
            raise ValueError(f"rule={rule!r} needs k, got k=None")
        k = V.integer("k", k, minimum=0)
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
                raise TypeError(f"{label}[...]: slice {part} must be an integer, got {v!r}")
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
                        f"indices, got {key!r}")
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
    (excluded as a partner), -1 for none."""
    if k == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    _pair_count("pre", n_pre, "post", n_post)
    choice = _k_subsets(n_pre, n_post, k, back, rng)
    choice.sort(axis=1)  # rows drawn without replacement come unsorted
    pre_ids = np.repeat(np.arange(n_pre, dtype=np.int64), k)
    return pre_ids, choice.reshape(-1)


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
