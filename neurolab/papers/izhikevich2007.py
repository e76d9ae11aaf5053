"""Izhikevich 2007 (Cereb. Cortex 17:2443), Fig. 1: the distal reward problem, closed loop.

The network of the author's program ``daspnet.m`` (ModelDB 84167), built from its facts:
``n_exc`` regular-spiking and ``n_inh`` fast-spiking Izhikevich neurons (a = 0.02 / 0.1,
b = 0.2, c = -65 mV, d = 8 / 2; v in two 0.5 ms half steps at dt = 1 ms, the program's
numerics), ``m`` outgoing synapses each (excitatory ones onto any neuron, inhibitory ones
onto excitatory neurons only; targets drawn with replacement, as the program's
``ceil(N*rand)``), 1 ms axonal delays, excitatory weights starting at 1 mV in ``[0, 4]``
and reward-modulated, inhibitory ones -1 mV and fixed, a uniform random input current in
``[-6.5, 6.5)`` drawn anew every ms for every neuron (``13*(rand-0.5)``).

How the program's rule maps onto :class:`~neurolab.plasticity.RewardSTDP` (see
:func:`da_stdp`):

- STDP traces: +0.1, decaying by 0.95 per ms: ``A_plus = 0.1``, ``tau = -1/ln 0.95 =
  19.5 ms``; depression 1.5 times potentiation. The program pairs a presynaptic *firing*
  with the postsynaptic trace of the next ms, so with our axonal delay of 1 ms (the pair's
  time counted from the arrival) its depression is ``0.15 * 0.95^(t_pre - t_post)`` =
  ``(0.15/0.95) exp((t_arr - t_post)/tau)``: ``A_minus = 0.15/0.95``; a postsynaptic spike
  in the step of the arrival potentiates by 0.1 (``same_step="potentiate"``), as there.
  The program *sets* a trace to 0.1 at a spike (nearest spike); ours add (all-to-all): at
  ~1 Hz the two differ only when a neuron fires twice within a few tens of ms.
- eligibility ``sd``: decays by 0.99 per 10 ms: ``tau_c = -10/ln 0.99 = 995 ms``.
- dopamine ``DA``: decays by 0.995 per ms (``tau_d = -1/ln 0.995 = 199.5 ms``), +0.5 per
  reward; every 10 ms the program adds ``(0.002 + DA) * sd`` to the weights. As a rate that
  is ``dw/dt = sd (DA + 0.002) / 10 ms``: ``d_jump = 0.05``/ms and ``d_tonic = 0.0002``/ms.
  We integrate continuously (exactly between events); the program's 10 ms update is a
  Riemann sum of the same integral (its one reward writes ``0.5/(1 - 0.995^10) = 10.2``
  eligibilities, ours ``d_jump tau_k = 9.8`` with the eligibility's own decay included).

The closed loop (:class:`PairingReward`): the network runs in chunks (``net.run``), and
after each chunk the spikes of the chosen synapse's two neurons decide the rewards, which
are added to the reward source (:meth:`Population.add_spikes`). A reward follows a
postsynaptic spike that comes less than ``window`` = 20 ms after the latest presynaptic
spike (strictly later), ``1000 + ceil(2000 rand)`` ms later (the program's rule; rewards in
one step merge, as ``any(rew == t)`` does). Every reward lies at least 1001 ms after the
spike that earned it, so chunks of at most 1000 ms never decide a reward too late: the
loop gives the same spikes and weights with any such chunk length (tested).

Room: ``neurolab.papers``. May import: numpy, ``neurolab.base``, ``neurolab.model`` and ``neurolab.plasticity``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..base import validate as V
from ..model.network import Network
from ..model.neuron_models import IzhikevichParams
from ..plasticity.reward import RewardSTDP

#: the program's constants as the rule's parameters (see the module docstring)
TAU_STDP = -1.0 / math.log(0.95)          # 19.50 ms
TAU_C = -10.0 / math.log(0.99)            # 995.0 ms
TAU_D = -1.0 / math.log(0.995)            # 199.5 ms
DA_RULE = {"A_plus": 0.1, "A_minus": 0.15 / 0.95, "tau_plus": TAU_STDP,
           "tau_minus": TAU_STDP, "tau_c": TAU_C, "tau_d": TAU_D, "d_jump": 0.05,
           "d_tonic": 0.0002, "w_min": 0.0, "w_max": 4.0, "same_step": "potentiate"}


def da_stdp(reward: str = "reward", **changes) -> RewardSTDP:
    """The program's dopamine-modulated STDP as a :class:`RewardSTDP` (``DA_RULE``), with
    ``changes`` (any field, e.g. ``d_tonic=0``) applied."""
    return RewardSTDP(**{**DA_RULE, "reward": reward, **changes})


@dataclass
class Model:
    """What :func:`build` returns: the network, its population ``pop`` (excitatory
    neurons ``0 .. n_exc-1``, then inhibitory), the excitatory (plastic) projection
    ``exc``, the noise current ``noise``, the reward source ``reward``, the chosen
    synapse (index ``chosen`` of ``exc``, from ``n1`` to ``n2``) and the noise generator."""
    net: Network
    pop: object
    exc: object
    noise: object
    reward: object
    chosen: int
    n1: int
    n2: int
    rng: np.random.Generator = field(repr=False)
    amplitude: float = 13.0

    def drive(self, duration: float) -> None:
        """Schedule the random input of the next ``duration`` ms (whole steps from
        ``net.t``): per ms and neuron ``amplitude * (u - 0.5)``, u uniform in [0, 1), drawn
        in time order from one generator (chunk lengths do not change the numbers)."""
        net = self.net
        k = net.n_steps(duration)
        u = self.rng.random((k, self.pop.n))
        self.noise.set(self.amplitude * (u - 0.5), times=net.t + np.arange(k) * net.dt)


def build(n_exc: int = 800, n_inh: int = 200, m: int = 100, *, seed: int = 0,
          w_init: float = 1.0, rule: RewardSTDP | None = None, delay: float = 1.0,
          amplitude: float = 13.0) -> Model:
    """The network of ``daspnet.m`` (module docstring) at dt = 1 ms, with a reward source
    ``"reward"`` (explicit spikes, none yet) and the chosen synapse: the first synapse of
    excitatory neuron 0, starting at 0 (the program's ``n1 = 1, syn = 1, s(n1,syn) = 0``).
    ``rule``: default :func:`da_stdp`. Connections drawn from
    ``numpy.random.default_rng([seed, 1])``, the input from ``[seed, 2]``."""
    n_exc = V.integer("n_exc", n_exc, minimum=1)
    n_inh = V.integer("n_inh", n_inh, minimum=1)
    m = V.integer("m", m, minimum=1)
    n = n_exc + n_inh
    rng = np.random.default_rng([seed, 1])
    net = Network(dt=1.0, seed=seed)
    a = np.r_[np.full(n_exc, 0.02), np.full(n_inh, 0.1)]
    d = np.r_[np.full(n_exc, 8.0), np.full(n_inh, 2.0)]
    params = IzhikevichParams(a=a, b=0.2, c=-65.0, d=d, synapse="delta", method="half_steps")
    pop = net.add_izhikevich("net", n, params, v_init=-65.0)
    noise = net.add_current("noise", pop, np.zeros(n))
    reward = net.add_spikes("reward", 1, times=[], indices=[])
    post_e = rng.integers(0, n, (n_exc, m))              # excitatory: onto any neuron
    post_i = rng.integers(0, n_exc, (n_inh, m))          # inhibitory: onto excitatory only
    w0 = np.full(n_exc * m, float(w_init))
    w0[0] = 0.0                                          # the chosen synapse starts at 0
    rule = da_stdp() if rule is None else rule
    exc = net.connect(pop, pop, "explicit", pre_ids=np.repeat(np.arange(n_exc), m),
                      post_ids=post_e.ravel(), weight=w0, delay=delay, stdp=rule, name="exc")
    net.connect(pop, pop, "explicit", pre_ids=np.repeat(np.arange(n_exc, n), m),
                post_ids=post_i.ravel(), weight=1.0, delay=delay, receptor="inh", name="inh")
    return Model(net=net, pop=pop, exc=exc, noise=noise, reward=reward, chosen=0, n1=0,
                 n2=int(post_e[0, 0]), rng=np.random.default_rng([seed, 2]),
                 amplitude=amplitude)


class PairingReward:
    """The closed loop's decision (``daspnet.m``): a reward ``delay`` ms after every spike
    of neuron ``post`` that comes less than ``window`` ms after the latest spike of neuron
    ``pre`` (``0 < t_post - t_pre < window``), as a spike of the explicit source ``source``
    (a population of kind ``'spikes'``; neuron 0), added between runs.

    Call :meth:`observe` with each run's result, in order; it returns the reward times
    (ms) it added. ``pre``/``post``: ``(population name, neuron index)``, recorded by the
    runs (``record_spikes``). ``delay``: ``(lo, hi)`` whole ms, drawn uniformly from
    ``lo .. hi`` (both included; the program's ``1000 + ceil(2000 rand)``: 1001 .. 3000),
    one draw per trigger in time order from ``numpy.random.default_rng(seed)``. A reward in
    a step that already has one is dropped (the dopamine jumps once). The rewards of a
    run's spikes must lie after the run: ``delay[0]`` must exceed the run's length, else
    ``ValueError``. ``triggers`` and ``times`` list what it saw and scheduled.
    """

    def __init__(self, source, pre, post, *, window: float = 20.0, delay=(1001, 3000),
                 seed: int = 0):
        if getattr(source, "kind", None) != "spikes":
            raise TypeError(f"source must be a population of kind 'spikes', got {source!r}")
        self.source = source
        self.pre, self.post = (str(pre[0]), int(pre[1])), (str(post[0]), int(post[1]))
        self.window = V.positive("window", window, "ms")
        lo, hi = (V.integer("delay", x, minimum=0) for x in delay)
        if hi < lo:
            raise ValueError(f"delay must be (lo, hi) with lo <= hi, got {delay!r}")
        self.delay = (lo, hi)
        self.rng = np.random.default_rng(seed)
        self.last_pre = -math.inf
        self.triggers: list[float] = []
        self.times: list[float] = []

    def _spikes(self, res, who):
        rec = res.spikes[who[0]]
        return np.asarray(rec.t)[np.asarray(rec.i) == who[1]]

    def observe(self, res) -> np.ndarray:
        """Decide the rewards of run ``res`` and add them to the source; returns them."""
        pre, post = self._spikes(res, self.pre), self._spikes(res, self.post)
        t_end = res.t_end
        new = []
        # events in time order; at equal times the presynaptic spike first (a pre and a
        # post spike in one step earn nothing: the post is not strictly later)
        events = sorted([(t, 0) for t in pre.tolist()] + [(t, 1) for t in post.tolist()])
        for t, kind in events:
            if kind == 0:
                self.last_pre = t
                continue
            if 0.0 < t - self.last_pre < self.window:
                self.triggers.append(t)
                at = t + float(self.rng.integers(self.delay[0], self.delay[1] + 1))
                if at < t_end:
                    raise ValueError(f"a reward at {at:g} ms falls inside the run that "
                                     f"earned it (ends at {t_end:g} ms): run in chunks "
                                     f"shorter than delay[0] = {self.delay[0]} ms")
                if at not in self.times and at not in new:
                    new.append(at)
        if new:
            self.source.add_spikes(new, np.zeros(len(new), np.int64))
            self.times += new
        return np.array(new)


def run(model: Model, duration: float, loop: PairingReward, *, chunk: float = 1000.0,
        weight_dt: float = 1000.0, record=None, progress=None):
    """Run the closed loop for ``duration`` ms in chunks of ``chunk`` ms (at most the
    rewards' least delay): random input scheduled, ``net.run``, rewards decided.

    ``record``: indices of ``model.exc``'s synapses whose weights are sampled every
    ``weight_dt`` ms (default: the chosen synapse only), sorted and distinct. Returns
    ``(t, w, n_spikes)``: sample times (ms), weights ``(len(t), len(record))`` in the
    order of ``record``, and the number of spikes of the network in the run."""
    net = model.net
    chunk = V.positive("chunk", chunk, "ms")
    if chunk > loop.delay[0]:
        raise ValueError(f"chunk must be <= the least reward delay {loop.delay[0]} ms, got "
                         f"{chunk!r}")
    record = [model.chosen] if record is None else [int(k) for k in record]
    t_stop = net.t + duration
    ts, ws = [], []
    n_spikes = 0
    while net.t < t_stop - 1e-9:
        step = min(chunk, t_stop - net.t)
        model.drive(step)
        res = net.run(step, progress=progress, record_spikes={"net": "all"},
                      record_weights={"exc": record}, weight_dt=weight_dt)
        loop.observe(res)
        rec = res.weights["exc"]
        ts.append(np.asarray(rec.t))
        ws.append(np.asarray(rec.w))
        n_spikes += int(np.asarray(res.spikes["net"].t).size)
    if not ts:
        return np.zeros(0), np.zeros((0, len(record))), 0
    return np.concatenate(ts), np.concatenate(ws), n_spikes
