"""Populations of neurons and their subgroups.

:class:`Population` is a group of neurons of one kind (``"poisson"``, ``"spikes"`` or
``"lif"``) of a :class:`~neurolab.Network`; :class:`Subgroup` a slice of one, usable
wherever a population is. Per-neuron LIF parameters are resolved here (scalars,
arrays or distributions drawn from the network's seed) and checked element by element.

Room: ``neurolab.model`` (what a user describes; no numba). May import: numpy,
``neurolab.base``, ``neurolab.plasticity`` and the other ``neurolab.model`` modules below
``network``.
"""

from __future__ import annotations

import hashlib
import numbers

import numpy as np

from ..base import validate as V
from .distributions import resolve
from .params import NEURON_FIELDS
from .neuron_models import check_adex, check_izhikevich, fields_of

#: population kinds that are neurons (not spike sources)
NEURON_KINDS = ("lif", "adex", "izhikevich")
from ..base.io import summary as _summary
from ..base.streams import _rates_summary


class Population:
    """A group of neurons of one kind: ``"poisson"``, ``"spikes"``, ``"lif"``, ``"adex"`` or
    ``"izhikevich"`` (the last two also have ``w`` / ``u``, the model's second variable,
    readable and settable between runs).

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
        self._times = attrs.get("times")               # spikes: read-only arrays
        self._indices = attrs.get("indices")
        self.v_init = attrs.get("v_init")
        self.neuron_params = attrs.get("neuron_params")   # lif: {name: (n,) float64}
        self._net = attrs.get("net")
        self._threshold = attrs.get("threshold")       # lif: AdaptiveThreshold or None
        self._theta_init = attrs.get("theta_init")     # its theta when the run starts
        self._w_init = attrs.get("w_init")             # adex: w, izhikevich: u (n,)

    @property
    def is_source(self) -> bool:
        return self.kind not in NEURON_KINDS

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

    # ------------------------------------------------------------ explicit spikes
    def _spikes_property(which, what):
        def get(self):
            return getattr(self, "_" + which)

        def set_(self, value):
            if self.kind != "spikes":
                raise AttributeError(f"{which} exists for populations of kind 'spikes' "
                                     f"only; {self.name!r} is of kind {self.kind!r}")
            self._net._set_spikes(self, which, value)

        return property(get, set_, doc=(
            f"{what} of each explicit spike (populations of kind ``'spikes'``; None for "
            f"others): a read-only array. Assigning a new one (as long as the other) is "
            f"checked as ``add_spikes`` checks it, before the first run only; afterwards "
            f"``RuntimeError`` (the runs emit the spikes the network had when it first ran "
            f"or was stored, and those added by :meth:`add_spikes`)."))

    times = _spikes_property("times", "Time (ms of network time)")
    indices = _spikes_property("indices", "Source index")
    del _spikes_property

    def add_spikes(self, times, indices) -> None:
        """Add explicit spikes to this population (kind ``'spikes'``), before the first run
        or between runs: the way to close a loop (a reward decided from the network's own
        spikes, delivered later; see notebook 10).

        ``times`` (ms of network time, rounded to the nearest step) and ``indices`` (in
        ``[0, n)``) are checked as :meth:`Network.add_spikes` checks them; between runs every
        time must also be ``>= net.t`` (a spike in the past cannot be emitted). The next runs
        emit them with the earlier ones: adding spikes between runs gives the run that one
        long run with all the spikes given up front gives, spike for spike. Two spikes of one
        source in one step (old or new) raise ``ValueError``. ``store``/``restore`` bring back
        the spikes a population had. Recorded in the next run's provenance (``n_spikes``,
        the spikes' hash).
        """
        if self.kind != "spikes":
            raise AttributeError(f"add_spikes exists for populations of kind 'spikes' "
                                 f"only; {self.name!r} is of kind {self.kind!r}")
        self._net._append_spikes(self, times, indices)

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
        """The current value of parameter ``name`` (LIF, AdEx or Izhikevich) for every
        neuron: (n,) float64 in its unit (see the parameter class), a copy."""
        self._neuron_only("param")
        V.choice("name", name, tuple(f for f, _, _ in fields_of(self.params)))
        return self.neuron_params[name].copy()

    def set_params(self, **changes) -> None:
        """Change neuron parameters of this population between runs (or before the first).

        Each value is a scalar, an (n,) array or a distribution, validated as in
        :class:`LIFParams`, :class:`AdExParams` or :class:`IzhikevichParams` (``synapse``
        and Izhikevich's ``method`` cannot change; an AdEx's ``V_th_max`` can also be
        ``None``, no adaptive threshold). Takes effect from ``net.t`` on and is
        recorded in the next run's provenance. Raises ``ValueError``/``TypeError`` naming
        the parameter.
        """
        self._neuron_only("set_params")
        self._net._set_neuron_params(self, changes)

    @property
    def v(self) -> np.ndarray:
        """Membrane potential (mV) of every neuron now: (n,) copy; before the first run
        ``v_init``. Settable (scalar, (n,) array or distribution) between runs."""
        self._neuron_only("v")
        return self._net._get_state_var(self, "v")

    @v.setter
    def v(self, value):
        self._neuron_only("v")
        self._net._set_v(self, value)

    @property
    def w(self) -> np.ndarray:
        """AdEx adaptation current ``w`` (pA) of every neuron now: (n,) copy; before the
        first run ``w_init``. Settable (scalar, (n,) array or distribution) between runs."""
        self._kind_only("w", "adex")
        return self._net._get_state_var(self, "w")

    @w.setter
    def w(self, value):
        self._kind_only("w", "adex")
        self._net._set_second(self, "w", value)

    @property
    def z(self) -> np.ndarray:
        """AdEx after-spike current ``z`` (pA) of every neuron now (``AdExParams.I_sp``,
        Clopath et al. 2010): (n,) copy, read-only; 0 before the first run."""
        self._kind_only("z", "adex")
        return self._net._get_state_var(self, "z")

    @property
    def v_th(self) -> np.ndarray:
        """AdEx adaptive threshold ``V_th`` (mV) of every neuron now (``AdExParams.V_th_max``,
        Clopath et al. 2010): (n,) copy, read-only; ``V_T`` before the first run."""
        self._kind_only("v_th", "adex")
        return self._net._get_state_var(self, "v_th")

    @property
    def u(self) -> np.ndarray:
        """Izhikevich recovery variable ``u`` of every neuron now: (n,) copy; before the
        first run ``u_init``. Settable (scalar, (n,) array or distribution) between runs."""
        self._kind_only("u", "izhikevich")
        return self._net._get_state_var(self, "u")

    @u.setter
    def u(self, value):
        self._kind_only("u", "izhikevich")
        self._net._set_second(self, "u", value)

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

    def _neuron_only(self, what):
        if self.kind not in NEURON_KINDS:
            raise AttributeError(f"{what} exists for populations of neurons ({NEURON_KINDS}) "
                                 f"only; {self.name!r} is of kind {self.kind!r}")

    def _kind_only(self, what, kind):
        if self.kind != kind:
            raise AttributeError(f"{what} exists for {kind} populations only; {self.name!r} "
                                 f"is of kind {self.kind!r}")

    def to_dict(self) -> dict:
        d = {"name": self.name, "n": self.n, "kind": self.kind}
        if self.kind in ("adex", "izhikevich"):
            d["params"] = self.params.to_dict()
            d["neuron_params"] = {k: _summary(v) for k, v in self.neuron_params.items()}
            d["v_init"] = _summary(self.v_init)
            d["w_init" if self.kind == "adex" else "u_init"] = _summary(self._w_init)
        elif self.kind == "lif":
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


def _resolve_model_params(params, n, dt, name, rng_for, only=None, current=None):
    """Every (or the ``only``) AdEx / Izhikevich parameter as an (n,) array, checked element
    by element; ``current``: the population's other values (for set_params)."""
    out = {}
    for k, (field, unit, check) in enumerate(params.FIELDS):
        if only is not None and field not in only:
            continue
        low = 0.0 if check in ("positive", "non_negative") else None
        out[field] = resolve(field, getattr(params, field), n, rng_for(params.stream(k)),
                             low=low, low_inclusive=(check == "non_negative"), unit=unit)
    merged = dict(current or {})
    merged.update(out)
    if params.MODEL == "adex":
        # V_th_max: an (n,) array when set, absent when None (no adaptive threshold)
        if params.V_th_max is None:
            merged.pop("V_th_max", None)
        elif only is None or "V_th_max" in only:
            out["V_th_max"] = merged["V_th_max"] = resolve(
                "V_th_max", params.V_th_max, n, rng_for(params.stream(len(params.FIELDS))),
                unit="mV")
        check_adex(name, merged, dt, params.synapse)
    else:
        check_izhikevich(name, merged, dt, params.synapse)
    return out


def _check_reset_below_threshold(name, values):
    bad = values["v_reset"] >= values["v_th"]
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"v_reset must be < v_th in population {name!r}, got v_reset="
                         f"{float(values['v_reset'][j])!r} mV >= "
                         f"v_th={float(values['v_th'][j])!r} mV at neuron {j}")


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
