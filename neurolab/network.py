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

import numpy as np

from . import _validate as V
from .inputs import explicit_steps, poisson_steps
from .params import LIFParams, STDPParams

RULES = ("all_to_all", "one_to_one", "probability", "fixed_indegree", "explicit")
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


class Projection:
    """Synapses from one population to another.

    Synapse ``k`` connects ``pre_ids[k]`` (local index in ``pre``) to ``post_ids[k]``
    (local index in ``post``) with initial weight ``weight[k]`` and axonal delay
    ``delay[k]`` (ms): the whole presynaptic pathway, STDP trace update included, runs when
    the spike arrives (Brian2's meaning of ``delay``). ``stdp`` is an :class:`STDPParams`
    for a plastic projection (pair-based; pairing scheme and weight dependence as it says),
    ``None`` for a static one.
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
        pre, post : populations (or their names); ``post`` must be LIF.
        rule : ``"all_to_all"``, ``"one_to_one"``, ``"probability"`` (each pair with
            probability ``p``), ``"fixed_indegree"`` (each post neuron gets ``k`` distinct
            presynaptic partners) or ``"explicit"`` (``pre_ids``, ``post_ids``).
        weight : float, array of length n_syn, or ``("uniform", lo, hi)``; mV for delta and
            current synapses, dimensionless for conductance synapses (must be >= 0).
        delay : axonal delay (ms), float or array of length n_syn, a multiple of ``dt``.
        receptor : ``"exc"`` or ``"inh"`` (which synaptic variable the weight is added to;
            delta synapses add to ``v`` either way).
        stdp : :class:`STDPParams` to make the projection plastic; initial weights must lie
            in ``[w_min, w_max]``.
        autapses : allow a neuron to connect to itself when ``pre is post``.
        name : default ``"<pre>-><post>"``.
        """
        pre = self._population("pre", pre)
        post = self._population("post", post)
        if post.kind != "lif":
            raise ValueError(f"post must be a LIF population, got {post.name!r} of kind "
                             f"{post.kind!r}")
        name = self._new_name(name if name is not None else f"{pre.name}->{post.name}")
        V.choice("rule", rule, RULES)
        for arg, val, uses in (("p", p, "probability"), ("k", k, "fixed_indegree")):
            if val is not None and rule != uses:
                raise ValueError(f"{arg} is only used with rule={uses!r}, got "
                                 f"{arg}={val!r} with rule={rule!r}")
        V.choice("receptor", receptor, RECEPTORS)
        if not isinstance(autapses, (bool, np.bool_)):
            raise TypeError(f"autapses must be True or False, got {autapses!r}")
        if stdp is not None and not isinstance(stdp, STDPParams):
            raise TypeError(f"stdp must be an STDPParams or None, got {type(stdp).__name__}")
        if stdp is not None and self.dt > min(stdp.tau_plus, stdp.tau_minus):
            raise ValueError(f"dt must not exceed the shortest STDP time constant "
                             f"({min(stdp.tau_plus, stdp.tau_minus)!r} ms), "
                             f"got dt={self.dt!r} ms")
        index = len(self.projections)
        rng = np.random.default_rng([self.seed, _STREAM_CONNECT, index])
        no_self = (pre is post) and not autapses
        spec = {"rule": rule, "autapses": bool(autapses)}
        if rule == "explicit":
            if pre_ids is None or post_ids is None:
                raise ValueError("rule='explicit' needs pre_ids and post_ids, got "
                                 f"pre_ids={pre_ids!r}, post_ids={post_ids!r}")
            pre_ids = V.index_array("pre_ids", pre_ids, upper=pre.n)
            post_ids = V.index_array("post_ids", post_ids, upper=post.n)
            if pre_ids.shape[0] != post_ids.shape[0]:
                raise ValueError(f"pre_ids and post_ids must have the same length, got "
                                 f"{pre_ids.shape[0]} and {post_ids.shape[0]}")
            if no_self and (pre_ids == post_ids).any():
                kk = int(np.flatnonzero(pre_ids == post_ids)[0])
                raise ValueError(f"pre_ids/post_ids hold the autapse {int(pre_ids[kk])}->"
                                 f"{int(post_ids[kk])} at index {kk} but autapses=False")
        else:
            for arg, val in (("pre_ids", pre_ids), ("post_ids", post_ids)):
                if val is not None:
                    raise ValueError(f"{arg} is only used with rule='explicit', got "
                                     f"rule={rule!r}")
            if rule == "all_to_all":
                pre_ids, post_ids = _all_to_all(pre.n, post.n, no_self)
            elif rule == "one_to_one":
                if pre.n != post.n:
                    raise ValueError(f"rule='one_to_one' needs populations of equal size, got "
                                     f"{pre.name!r} n={pre.n} and {post.name!r} n={post.n}")
                if no_self:
                    raise ValueError("rule='one_to_one' from a population onto itself makes "
                                     "only autapses, but autapses=False")
                pre_ids = np.arange(pre.n, dtype=np.int64)
                post_ids = pre_ids.copy()
            elif rule == "probability":
                if p is None:
                    raise ValueError("rule='probability' needs p, got p=None")
                p = V.real("p", p)
                if not 0.0 <= p <= 1.0:
                    raise ValueError(f"p must lie in [0, 1], got {p!r}")
                spec["p"] = p
                pre_ids, post_ids = _random_pairs(pre.n, post.n, p, no_self, rng)
            else:
                if k is None:
                    raise ValueError("rule='fixed_indegree' needs k, got k=None")
                k = V.integer("k", k, minimum=0)
                avail = pre.n - (1 if no_self else 0)
                if k > avail:
                    raise ValueError(f"k must be <= {avail} (distinct presynaptic neurons "
                                     f"available), got {k}")
                spec["k"] = k
                pre_ids, post_ids = _fixed_indegree(pre.n, post.n, k, no_self, rng)
        n_syn = pre_ids.shape[0]
        weight = _weights(weight, n_syn, rng)
        if post.params.synapse == "conductance" and (weight < 0).any():
            kk = int(np.flatnonzero(weight < 0)[0])
            raise ValueError(f"weight onto conductance synapses must be >= 0, got "
                             f"{weight[kk]!r} at index {kk}")
        if stdp is not None and n_syn:
            bad = (weight < stdp.w_min) | (weight > stdp.w_max)
            if bad.any():
                kk = int(np.flatnonzero(bad)[0])
                raise ValueError(f"weight must lie in [w_min, w_max] = [{stdp.w_min!r}, "
                                 f"{stdp.w_max!r}] for a plastic projection, got "
                                 f"{weight[kk]!r} at index {kk}")
            if post.params.synapse == "conductance" and stdp.w_min < 0:
                raise ValueError(f"w_min must be >= 0 for conductance synapses, got "
                                 f"{stdp.w_min!r}")
        delay = V.float_array("delay", delay, length=n_syn)
        if (delay < 0).any():
            kk = int(np.flatnonzero(delay < 0)[0])
            raise ValueError(f"delay must be >= 0 ms, got {delay[kk]!r} at index {kk}")
        steps = delay / self.dt
        off = np.abs(steps - np.rint(steps)) > 1e-6
        if off.any():
            kk = int(np.flatnonzero(off)[0])
            raise ValueError(f"delay must be a multiple of dt={self.dt!r} ms, got "
                             f"{delay[kk]!r} ms at index {kk}")
        proj = Projection(name, pre, post, pre_ids, post_ids, weight, delay, receptor, stdp,
                          index, spec)
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
    of that size, found by drawing flat pair indices until enough distinct ones are seen
    (no dense n_pre x n_post mask, so large sparse networks stay cheap).
    """
    cols = n_post - 1 if no_self else n_post
    total = n_pre * cols
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
    pre_ids = flat // cols
    post_ids = flat % cols
    if no_self:
        post_ids = post_ids + (post_ids >= pre_ids)
    return pre_ids.astype(np.int64), post_ids.astype(np.int64)


def _fixed_indegree(n_pre, n_post, k, no_self, rng):
    """Each post neuron gets k distinct presynaptic partners, uniformly; sorted by pre, post.

    Rows are drawn with replacement and rows holding a repeat are redrawn whole (rejection
    keeps every k-subset equally likely); when repeats are likely (k^2 > available) each
    row is drawn without replacement instead.
    """
    avail = n_pre - 1 if no_self else n_pre
    if k == 0 or n_post == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if k * k > avail:
        choice = np.empty((n_post, k), dtype=np.int64)
        for c in range(n_post):
            choice[c] = rng.choice(avail, size=k, replace=False)
    else:
        choice = rng.integers(0, avail, size=(n_post, k))
        while True:
            choice.sort(axis=1)
            dup_rows = np.flatnonzero((choice[:, 1:] == choice[:, :-1]).any(axis=1))
            if dup_rows.size == 0:
                break
            choice[dup_rows] = rng.integers(0, avail, size=(dup_rows.size, k))
    post_ids = np.repeat(np.arange(n_post, dtype=np.int64), k)
    pre_ids = choice.reshape(-1)
    if no_self:
        pre_ids = pre_ids + (pre_ids >= post_ids)
    key = np.sort(pre_ids * n_post + post_ids)
    return key // n_post, key % n_post


def _weights(weight, n_syn, rng):
    if isinstance(weight, tuple) and len(weight) == 3 and weight[0] == "uniform":
        lo = V.real("weight low", weight[1])
        hi = V.real("weight high", weight[2])
        if hi < lo:
            raise ValueError(f"weight ('uniform', lo, hi) needs lo <= hi, got {weight!r}")
        return rng.uniform(lo, hi, size=n_syn)
    if isinstance(weight, tuple) and weight and isinstance(weight[0], str):
        raise ValueError(f"weight must be a number, an array or ('uniform', lo, hi), "
                         f"got {weight!r}")
    return V.float_array("weight", weight, length=n_syn)
