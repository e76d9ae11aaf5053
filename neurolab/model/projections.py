"""Projections: the synapses from one population to another.

A :class:`Projection` holds the synapses made by ``Network.connect`` (presynaptic and
postsynaptic ids, weights, axonal delays in ms), its receptor and its plasticity rule.

Room: ``neurolab.model``. May import: numpy, ``neurolab.base``, ``neurolab.plasticity`` and
``neurolab.model`` modules other than ``network``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .params import STDPParams
from ..plasticity import RULES as PLASTICITY_RULES, PlasticityRule
from ..base import validate as V
from ..base.io import summary as _summary
from .connectivity import _SIGN_RULE


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
        """Axonal delays (ms), (n_syn,), a read-only array. Can be assigned (validated as
        in :meth:`Network.connect`) before the first run only (spikes in flight would
        otherwise be lost or duplicated): ``RuntimeError`` afterwards; writing into it in
        place raises numpy's ``ValueError`` (read-only)."""
        return self._delay

    @delay.setter
    def delay(self, value):
        net = self._net
        if net is None:                  # set by the constructor, already validated
            value.setflags(write=False)
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
