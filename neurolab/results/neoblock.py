"""A run as a ``neo.Block``, for Elephant, Viziphant and Neo's writers.

One Segment holds the run: a ``neo.SpikeTrain`` per recorded neuron (times in ms, from
``t_start`` to ``t_end`` of the run), an ``AnalogSignal`` per population and sampled state
variable (samples x recorded neurons) and per projection whose weights were sampled
(samples x recorded synapses). One ``neo.Group`` per population gathers its spike trains
and signals. Units come from ``quantities``: ms, mV; conductances of conductance synapses
(relative to the leak) and their weights are dimensionless.

Annotations: a spike train carries ``population`` and ``id`` (the neuron's local index)
and is named ``"<population>[<id>]"``; a state signal carries ``population`` and
``variable`` and, per channel, the array annotation ``id``; a weight signal carries
``projection``, ``pre_population``, ``post_population`` and, per channel, ``synapse``,
``pre`` and ``post``.

Room: ``neurolab.results``. May import: numpy and ``neurolab.base``; neo and quantities
(the ``export`` extra) inside functions only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["to_neo"]


def _import_neo():
    try:
        import neo
        import quantities as pq
    except ImportError as err:
        raise ImportError("SimResult.to_neo() needs neo (and quantities), which are not "
                          "installed: pip install 'neurolab[export]' (or pip install neo)"
                          ) from err
    return neo, pq


def _state_units(res, pop: str, var: str, pq):
    from .nwb import _synapse_kind

    if var in ("v", "theta"):
        return pq.mV
    if var == "w":                      # AdEx adaptation current
        return pq.pA
    if var == "u":                      # Izhikevich recovery variable (the model's units)
        return pq.dimensionless
    return _kind_units(_synapse_kind(res, pop), pq)


def _kind_units(kind, pq):
    """Units of a synaptic variable or weight onto ``kind`` synapses (see nwb._synapse_kind)."""
    if kind == "adex:conductance":
        return pq.nS
    if kind == "adex:current":
        return pq.pA
    if kind is not None and kind.startswith("izhikevich:") and kind != "izhikevich:delta":
        return pq.dimensionless
    return pq.dimensionless if kind == "conductance" else pq.mV


def _signal(neo, pq, data, t_ms, units, name, dt):
    """An AnalogSignal of ``data`` (n_samples, n_channels) sampled at ``t_ms``: regular
    sampling as a sampling period, else an IrregularlySampledSignal."""
    t_ms = np.asarray(t_ms, dtype=np.float64)
    if t_ms.size >= 2:
        steps = np.diff(t_ms)
        if not np.allclose(steps, steps[0], rtol=1e-9, atol=1e-9 * dt):
            return neo.IrregularlySampledSignal(t_ms * pq.ms, data, units=units, name=name)
        period = float(steps[0])
    else:
        period = dt
    return neo.AnalogSignal(data, units=units, t_start=float(t_ms[0]) * pq.ms,
                            sampling_period=period * pq.ms, name=name)


def _add(neo, seg, sig):
    if isinstance(sig, neo.AnalogSignal):
        seg.analogsignals.append(sig)
    else:
        seg.irregularlysampledsignals.append(sig)


def to_neo(res):
    """The run ``res`` (a :class:`~neurolab.SimResult`) as a ``neo.Block`` (see the module
    docstring for its layout, units and annotations).

    Spike trains hold the recorded spike times as they are (ms, float64), with ``t_start``
    and ``t_stop`` the run's ``t_start`` and ``t_end`` (ms); state and weight samples are
    the run's arrays (no unit conversion). Neurons whose spikes were recorded but which
    did not fire get an empty spike train.

    Raises ``ImportError`` when neo is not installed (``pip install 'neurolab[export]'``).
    """
    neo, pq = _import_neo()
    block = neo.Block(name="neurolab run", description=(
        f"neurolab simulation, {res.t_start:g} to {res.t_end:g} ms, dt = {res.dt:g} ms, seed "
        f"{res.seed}"), dt_ms=res.dt, seed=res.seed, interrupted=bool(res.interrupted))
    seg = neo.Segment(name="run", t_start_ms=res.t_start, t_end_ms=res.t_end)
    block.segments.append(seg)
    groups = {}

    def group(pop):
        if pop not in groups:
            groups[pop] = neo.Group(name=pop, population=pop)
            block.groups.append(groups[pop])
        return groups[pop]

    t_stop = res.t_end * pq.ms
    for pop, rec in res.spikes.items():
        ids = (np.arange(rec.n) if rec.recorded is None
               else np.sort(np.asarray(rec.recorded, dtype=np.int64)))
        i = np.asarray(rec.i, dtype=np.int64)
        t = np.asarray(rec.t, dtype=np.float64)
        order = np.lexsort((t, i))
        i, t = i[order], t[order]
        lo = np.searchsorted(i, ids, side="left")
        hi = np.searchsorted(i, ids, side="right")
        for n, a, b in zip(ids, lo, hi):
            st = neo.SpikeTrain(t[a:b], units=pq.ms, t_start=res.t_start * pq.ms,
                                t_stop=t_stop, name=f"{pop}[{int(n)}]", population=pop,
                                id=int(n))
            seg.spiketrains.append(st)
            group(pop).add(st)
    for pop, rec in res.state.items():
        if np.asarray(rec.t).size == 0:
            continue
        for var in ("v", "ge", "gi", "theta", "w", "u"):
            data = getattr(rec, var)
            if data is None:
                continue
            sig = _signal(neo, pq, data, rec.t, _state_units(res, pop, var, pq),
                          f"{pop}.{var}", res.dt)
            sig.annotate(population=pop, variable=var)
            sig.array_annotate(id=np.asarray(rec.ids, dtype=np.int64))
            _add(neo, seg, sig)
            group(pop).add(sig)
    from .nwb import _synapse_kind

    for proj, rec in res.weights.items():
        if np.asarray(rec.t).size == 0:
            continue
        pre_pop, post_pop = res.projections.get(proj, (None, None))
        units = _kind_units(_synapse_kind(res, post_pop), pq)
        sig = _signal(neo, pq, rec.w, rec.t, units, f"{proj}.w", res.dt)
        sig.annotate(projection=proj, pre_population=pre_pop, post_population=post_pop)
        sig.array_annotate(synapse=np.asarray(rec.syn, dtype=np.int64),
                           pre=np.asarray(rec.pre, dtype=np.int64),
                           post=np.asarray(rec.post, dtype=np.int64))
        _add(neo, seg, sig)
    return block
