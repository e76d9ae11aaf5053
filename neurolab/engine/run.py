"""The one public entry point: validate -> allocate -> call the kernel -> SimResult.

:func:`simulate` (``Network.run``) checks the recording requests, sizes the monitors,
draws input chunk by chunk, calls the kernel chosen by :mod:`neurolab.engine.dispatch`,
checks the state for non-finite values and wraps what was recorded in a
:class:`~neurolab.SimResult`.

Room: ``neurolab.engine`` (how a network runs). May import: numpy, numba,
``neurolab.base``, ``neurolab.plasticity``, ``neurolab.results`` and the other engine
modules. It reads the network only through its documented attributes (``populations``,
``projections``, ``dt``, ``seed``, ``t``...), never through ``neurolab.model`` internals.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from . import kernels as K
from ..base import validate as V
from ..base.resources import check_memory
from ..base.io import git_commit, versions
from ..results.records import SimResult, SpikeRecord, StateRecord, WeightRecord
from ..base.errors import NonFiniteStateError, SimulationInterrupted
from . import compile as _compile
from .dispatch import _check_threads, _kernel_for
from .selection import _named_selection, _schedule, _select, _window
from .tables import STATE_VARS, _read_only, _steps_of


#: the largest count whose indices the kernel's tables hold in 32 bits


def _check_finite(state, net, n0, n1):
    """Raise NonFiniteStateError naming population, variable, neuron and time when any
    LIF state variable is not finite after steps [n0, n1)."""
    nrn = state.nrn
    ranges = [(int(nrn.lif_i[q, K.LO]), int(nrn.lif_i[q, K.HI]), "lif", None)
              for q in range(nrn.lif_i.shape[0])]
    if state.models is not None:
        m_i = state.models.m_i
        ranges += [(int(m_i[r, K.L.M_LO]), int(m_i[r, K.L.M_HI]),
                    "adex" if m_i[r, K.L.M_KIND] == K.L.MODEL_ADEX else "izhikevich",
                    "w" if m_i[r, K.L.M_KIND] == K.L.MODEL_ADEX else "u")
                   for r in range(m_i.shape[0])]
    for lo, hi, kind, second in ranges:
        for var in ("v", "ge", "gi", "iext") + ((second,) if second else ()):
            arr = state._var_array(var)[lo:hi]
            if not np.isfinite(arr).all():
                j = int(np.flatnonzero(~np.isfinite(arr))[0])
                name = next(p for p, off in state.offset.items()
                            if off == lo and net.populations[p].kind == kind)
                label = {"ge": "ge (g_e or I_e)", "gi": "gi (g_i or I_i)",
                         "iext": "iext (injected current)",
                         "w": "w (adaptation current)", "u": "u (recovery variable)"}.get(var, var)
                raise NonFiniteStateError(
                    f"the state became non-finite: {label} of neuron {j} of population "
                    f"{name!r} is {float(arr[j])!r} at t = {n1 * state.dt:g} ms (it was finite at "
                    f"t = {n0 * state.dt:g} ms); check the weights, currents and parameters "
                    f"that reach it")


def _check_recorded(rows, sched, every, sel, dt, what):
    """Raise NonFiniteStateError when a sample recorded in ``rows`` (a block of a state
    or weight recording, columns in the order of ``sel``: name -> ids) is not finite: a
    value can turn infinite and be reset inside a chunk, before the state check sees it,
    but not before it was recorded. ``what``: (kind, variable) for the message."""
    if rows.size == 0:
        return
    # a sum of finite values is finite unless it overflows, and a sum with any inf or NaN
    # in it is not: one pass without a temporary array, the element test only when needed
    with np.errstate(over="ignore", invalid="ignore"):
        total = rows.sum()
    if np.isfinite(total) or np.isfinite(rows).all():
        return
    r, c = (int(k) for k in np.argwhere(~np.isfinite(rows))[0])
    value = float(rows[r, c])
    for name, ids in sel.items():
        if c < ids.size:
            break
        c -= ids.size
    step = (int(sched[K.ROW0]) + r) * every
    kind, var = what
    raise NonFiniteStateError(
        f"a recorded {var} became non-finite: {kind} {int(ids[c])} of {name!r} has "
        f"{var} = {value} at t = {step * dt:g} ms; check the weights, currents "
        f"and parameters that reach it")


#: the state variables every population of neurons has, and each model's own
_COMMON_VARS = ("v", "ge", "gi")
_MODEL_VARS = {"lif": (), "adex": ("w",), "izhikevich": ("u",)}
_MODEL_LABEL = {"lif": "LIF", "adex": "AdEx", "izhikevich": "Izhikevich"}


def _variables_of(pop) -> tuple:
    """The state variables population ``pop`` can record: v, ge, gi, theta (with an
    adaptive threshold), w (AdEx) or u (Izhikevich)."""
    theta = ("theta",) if pop._threshold_now() is not None else ()
    return _COMMON_VARS + theta + _MODEL_VARS.get(pop.kind, ())


def _names_tuple(what, value):
    """``value`` (one name or a list/tuple of names) as a tuple of str."""
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) for x in value):
        raise TypeError(f"{what} must be a name or a tuple of names from {STATE_VARS}, or a "
                        f"dict {{population name: tuple of names}}, got {value!r}")
    return tuple(dict.fromkeys(value))        # in order, each once


def _state_vars_by_population(state_vars, s_sel, pops) -> dict:
    """``state_vars`` of :func:`simulate` as ``{population name: tuple of variables}`` for
    every population of ``record_state`` (``s_sel``), each variable checked against what
    that population's model has. A tuple (or one name) applies to every population; a
    dict gives each population its own (a population of ``record_state`` it leaves out
    records ``("v",)``). Raises ``TypeError`` for a malformed value and ``ValueError``
    naming the population, the variable and the variables that population has."""
    if isinstance(state_vars, dict):
        for key in state_vars:
            if key not in pops:
                raise ValueError(f"state_vars names {key!r}, which is not a population; "
                                 f"populations: {list(pops)}")
            if key not in s_sel:
                raise ValueError(f"state_vars names population {key!r}, which record_state "
                                 f"does not record (add it: record_state={{{key!r}: 'all', "
                                 f"...}}); record_state records: {list(s_sel)}")
        chosen = {name: _names_tuple(f"state_vars[{name!r}]", state_vars.get(name, ("v",)))
                  for name in s_sel}
        per_population = True
    else:
        names = _names_tuple("state_vars", state_vars)
        chosen = {name: names for name in s_sel}
        per_population = False
    for name, names in chosen.items():
        pop = pops[name]
        have = _variables_of(pop)
        for var in names:
            if var in have:
                continue
            where = f"state_vars[{name!r}]" if per_population else "state_vars"
            label = _MODEL_LABEL.get(pop.kind, pop.kind)
            if var == "theta":
                msg = (f"{where} has 'theta', but population {name!r} has no adaptive "
                       f"threshold (add_lif(..., threshold=AdaptiveThreshold(...)) or "
                       f"Population.threshold); its variables ({label}): {have}")
            else:
                msg = (f"{where} has {var!r}, which population {name!r} ({label}) does not "
                       f"have; its variables: {have}")
            if var not in STATE_VARS:
                msg += f" (the variables of any model: {STATE_VARS})"
            if not per_population and any(var in _variables_of(pops[other])
                                           for other in chosen if other != name):
                msg += (f"; give state_vars as a dict {{population name: tuple of names}} to "
                        f"record different variables per population, e.g. state_vars="
                        f"{{{name!r}: {tuple(v for v in names if v in have)!r}, ...}}")
            raise ValueError(msg)
    return chosen


def _block(rows, n_rows, col, width):
    """Rows ``[0, n_rows)`` and columns ``[col, col + width)`` of a recording array, as an
    array of their own: ``rows`` itself when that is all of it (a single monitor of a run
    that finished: a recording can be hundreds of MB, and a copy of it would double the
    memory and take a good part of a short run), else a copy. Each column of a recording
    array belongs to one record, so the array is never handed to two."""
    if n_rows == rows.shape[0] and col == 0 and width == rows.shape[1]:
        return rows
    return rows[:n_rows, col:col + width].copy()


def _shielded(fn, active: bool = True):
    """``fn()``, run so that Ctrl-C cannot land inside it: in a helper thread while the
    calling (main) thread waits; an interrupt that arrives meanwhile is raised as
    ``KeyboardInterrupt`` once ``fn`` has returned. Python delivers signals to the main
    thread only, so no signal handler is touched. Elsewhere (another thread, or not
    ``active``) ``fn()`` runs as it is."""
    if not active or threading.current_thread() is not threading.main_thread():
        return fn()
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:           # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=target, name="neurolab-first-chunk", daemon=True)
    interrupted = started = False
    while True:              # Ctrl-C may land anywhere here: each time, wait on
        try:
            if not started:
                started = True
                worker.start()
            while worker.is_alive():
                worker.join(0.05)
            break
        except KeyboardInterrupt:
            interrupted = True
    if "error" in box:
        raise box["error"]
    if interrupted:
        raise KeyboardInterrupt
    return box.get("value")


@V.known_keywords("simulate")
def simulate(net, duration: float, *, record_spikes=None, record_weights=None,
             weight_dt: float | None = None, weight_window=None, record_state=None,
             state_vars=("v",), state_dt=None, state_window=None, progress=None,
             chunk_steps=None, threads: int = 1) -> SimResult:
    """Run ``net`` for ``duration`` ms from where it is (``net.t``) and return a
    :class:`SimResult` of this run, ``[t_start, t_end)``: ``simulate(net, duration, ...)``
    is ``net.run(duration, ...)``, with the same keywords and defaults.

    Parameters
    ----------
    net : Network
        The network to run; it keeps its state for the next run.
    duration, record_spikes, record_weights, weight_dt, weight_window, record_state, \
state_vars, state_dt, state_window, progress, chunk_steps, threads
        As documented at :meth:`neurolab.Network.run` (units, shapes, what each
        selects).

    Returns
    -------
    SimResult
        See :meth:`neurolab.Network.run`.

    Raises
    ------
    TypeError, ValueError, MemoryError, NonFiniteStateError, SimulationInterrupted
        As :meth:`neurolab.Network.run` raises them; an unknown keyword names
        ``simulate`` and lists the keywords it takes.
    """
    dt = net.dt
    n_steps = net.n_steps(duration)
    duration = float(duration)
    if not net.populations:
        raise ValueError("the network has no populations; add some before running")

    # ---- monitors (validated before any allocation of the big arrays)
    pops = net.populations
    names = list(pops)
    sizes = {k: p.n for k, p in pops.items()}
    spk_sel = _named_selection("record_spikes", record_spikes, names, sizes,
                               [k for k, p in pops.items() if not p.is_source])
    for what, value in (("record_weights", record_weights), ("record_state", record_state)):
        if value is not None and not isinstance(value, dict):
            raise TypeError(f"{what} must be None or a dict {{name: 'all' | indices}}, got "
                            f"{value!r}")
    w_sel = {}
    for name, sel in (record_weights or {}).items():
        if name not in net.projections:
            raise ValueError(f"record_weights names an unknown projection {name!r}; "
                             f"known: {list(net.projections)}")
        w_sel[name] = _select(f"record_weights[{name!r}]", sel, net.projections[name].n_syn)
    if weight_dt is None:
        w_every = max(1, int(round(1.0 / dt)))
    else:
        w_every = _steps_of("weight_dt", weight_dt, dt)
    lif_names = [p for p in pops if not pops[p].is_source]
    s_sel = {}
    for name, sel in (record_state or {}).items():
        if name not in pops or pops[name].is_source:
            raise ValueError(f"record_state names {name!r}, which is not a population of "
                             f"neurons (LIF, AdEx or Izhikevich); those: {lif_names}")
        s_sel[name] = _select(f"record_state[{name!r}]", sel, pops[name].n)
    vars_of = _state_vars_by_population(state_vars, s_sel, pops)
    # one recording array per variable, for every monitored neuron; w (AdEx) and u
    # (Izhikevich) share one: the kernel samples each model's second variable into it
    recorded = {var for names in vars_of.values() for var in names}
    arrays = {var: ("second" if var in ("w", "u") else var) for var in recorded}
    s_every = _steps_of("state_dt", dt if state_dt is None else state_dt, dt)
    w_lo, w_hi = _window("weight_window", weight_window, dt)
    s_lo, s_hi = _window("state_window", state_window, dt)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    if chunk_steps is not None:
        chunk_steps = V.integer("chunk_steps", chunk_steps, minimum=1)
    threads = _check_threads(threads)

    state = net._ensure_state()
    network_record = net.to_dict()   # as the run starts: its weights, rates, parameters
    n_start = state.step
    n_stop = n_start + n_steps
    w_syn = (np.concatenate([state.perm[k][v] for k, v in w_sel.items()]).astype(np.int64)
             if w_sel else np.zeros(0, np.int64))
    w_sched, n_wrows = _schedule(w_every, w_lo, w_hi, n_start, n_stop)
    s_ids = (np.concatenate([v + state.offset[k] for k, v in s_sel.items()]).astype(np.int64)
             if s_sel else np.zeros(0, np.int64))
    s_sched, n_srows = _schedule(s_every, s_lo, s_hi, n_start, n_stop)
    n_svars = len(set(arrays.values()))
    check_memory("the weight and state recordings",
                  8 * (n_wrows * w_syn.size + n_srows * s_ids.size * n_svars),
                  f"record fewer synapses/neurons, sample less often (weight_dt={w_every * dt:g}"
                  f" ms, state_dt={s_every * dt:g} ms) or use weight_window/state_window")

    spk_mask = np.zeros(max(state.n_total, 1), dtype=np.uint8)
    for name, ids in spk_sel.items():
        spk_mask[ids + state.offset[name]] = 1
    n_mask = int(spk_mask.sum())
    cap = max(4096, 4 * n_mask)
    w_out = np.zeros((n_wrows if w_syn.size else 0, w_syn.size))
    s_out = {key: np.zeros((n_srows, s_ids.size) if (s_ids.size and key in arrays.values())
                           else (0, 0)) for key in ("v", "ge", "gi", "theta", "second")}

    def monitors(spk_step, spk_id):
        return K.Monitors(spk_mask=spk_mask, spk_step=spk_step, spk_id=spk_id,
                          w_sched=w_sched, w_syn=w_syn, w_out=w_out, s_sched=s_sched,
                          s_ids=s_ids, s_v=s_out["v"], s_ge=s_out["ge"], s_gi=s_out["gi"],
                          s_theta=s_out["theta"])

    mon = monitors(np.zeros(cap, dtype=np.int64), np.zeros(cap, dtype=np.int64))
    counters = np.array([n_start, 0], dtype=np.int64)
    # chunk length cap: the Poisson-drive count table of a chunk stays below ~32 MB
    max_chunk = max(16, min(10 ** 6, 8_000_000 // max(state.n_drive_cols, 1)))

    # ---- the step loop, in chunks
    interrupted = False
    failure = None
    bar = None
    chunk = min(256, max_chunk) if chunk_steps is None else chunk_steps
    t_base = None   # wall time and step after the first call (which may include the JIT)
    n_base = 0
    try:
        pv = state.variants(net)       # the rules cannot change during a run
        kernel = _kernel_for(state, pv, threads, state.models_for_run(s_out["second"]))
        first = True
        s_checked = w_checked = 0       # recorded rows already checked for non-finite values
        while counters[K.C_STEP] < n_stop:
            n0 = int(counters[K.C_STEP])
            n1 = min(n_stop, n0 + chunk)
            t0 = time.perf_counter()
            # the first chunk compiles the kernel (or loads it from numba's cache): a
            # KeyboardInterrupt inside numba's compiler leaves its typing of our tables broken
            # for the rest of the process, so the first chunk runs shielded from Ctrl-C
            inp = _shielded(lambda: state.chunk_inputs(n0, n1), first)
            if first:        # one line before a wait of seconds: the kernel must compile
                _compile.say(kernel.notice(inp, mon, counters))
            while True:
                start = int(counters[K.C_STEP])
                _shielded(lambda: kernel(start, n1, inp, mon, counters), first)
                first = False
                reached = int(counters[K.C_STEP])
                state.step = reached
                _check_finite(state, net, start, reached)
                n_s = _schedule(s_every, s_lo, s_hi, n_start, reached)[1]
                col = 0
                for name, sel in s_sel.items():
                    for var in vars_of[name]:
                        _check_recorded(s_out[arrays[var]][s_checked:n_s, col:col + sel.size],
                                        s_sched, s_every, {name: sel}, dt, ("neuron", var))
                    col += sel.size
                s_checked = n_s
                n_w = _schedule(w_every, w_lo, w_hi, n_start, reached)[1]
                if w_out.size:
                    _check_recorded(w_out[w_checked:n_w], w_sched, w_every, w_sel, dt,
                                    ("synapse", "weight"))
                w_checked = n_w
                if reached == n1:
                    break
                # spike buffer full: grow it and finish the chunk with the same inputs
                cap = max(2 * cap, int(counters[K.C_NSPK]) + 4 * n_mask)
                mon = monitors(np.concatenate([mon.spk_step, np.zeros(cap - mon.spk_step.size,
                                                                      np.int64)]),
                               np.concatenate([mon.spk_id, np.zeros(cap - mon.spk_id.size,
                                                                    np.int64)]))
            now = time.perf_counter()
            if t_base is None:
                t_base, n_base = now, reached
            elif reached > n0 and chunk_steps is None:
                # aim at chunks of ~0.1 s so that Ctrl-C and the bar respond quickly
                chunk = int(min(max(chunk * 0.1 / max(now - t0, 1e-4), 16), 4 * chunk,
                                max_chunk))
            if bar is None and progress is not False:
                spent = now - t_base
                remaining = (spent / (reached - n_base) * (n_stop - reached)
                             if reached > n_base else 0.0)
                if progress or (remaining > 2.0 and spent > 0.1):
                    from tqdm.auto import tqdm

                    bar = tqdm(total=n_steps, initial=reached - n_start, unit="step",
                               desc=f"simulating {duration:g} ms", leave=False)
            if bar is not None:
                bar.update(reached - n_start - bar.n)
    except KeyboardInterrupt:
        interrupted = True
    except Exception as exc:      # e.g. a rate function that raised, a non-finite state
        failure = exc
    finally:
        if bar is not None:
            bar.close()
    reached = int(counters[K.C_STEP])
    state.step = reached
    interrupted = interrupted or failure is not None or reached < n_stop

    # ---- results
    changes = state.changes[state.reported:]
    state.reported = len(state.changes)
    params = {"network": network_record, "run": {
        "t_start": n_start * dt, "duration": duration, "dt": dt, "seed": net.seed,
        "n_steps": n_steps,
        "record_spikes": {k: "all" if v.size == pops[k].n else v.tolist()
                          for k, v in spk_sel.items()},
        "weight_dt": w_every * dt,
        "record_weights": {k: int(v.size) for k, v in w_sel.items()},
        "record_state": {k: int(v.size) for k, v in s_sel.items()},
        "state_vars": ({k: list(v) for k, v in vars_of.items()}
                       if isinstance(state_vars, dict) else list(_names_tuple("state_vars",
                                                                               state_vars))),
        "state_dt": s_every * dt,
        "weight_window": None if weight_window is None else list(weight_window),
        "state_window": None if state_window is None else list(state_window),
        "changes_before_run": changes},
        "versions": versions(), "git_commit": git_commit()}
    res = SimResult(dt=dt, duration=duration, t_end=reached * dt, interrupted=interrupted,
                    seed=net.seed, params=params, t_start=n_start * dt)
    nspk = int(counters[K.C_NSPK])
    st, si = mon.spk_step[:nspk], mon.spk_id[:nspk]
    for name, ids in spk_sel.items():
        lo = state.offset[name]
        sel = (si >= lo) & (si < lo + pops[name].n)
        res.spikes[name] = SpikeRecord(st[sel] * dt, si[sel] - lo, pops[name].n,
                                       recorded=None if ids.size == pops[name].n else ids)
    for name, proj in net.projections.items():
        res.final_weights[name] = state.get_weights(proj)
    n_w = _schedule(w_every, w_lo, w_hi, n_start, reached)[1]
    col = 0
    for name, sel in w_sel.items():
        proj = net.projections[name]
        t = (w_sched[K.ROW0] + np.arange(n_w)) * (w_every * dt)
        res.weights[name] = WeightRecord(t, sel, proj.pre_ids[sel], proj.post_ids[sel],
                                         _block(w_out, n_w, col, sel.size))
        col += sel.size
    n_s = _schedule(s_every, s_lo, s_hi, n_start, reached)[1]
    col = 0
    for name, sel in s_sel.items():
        rec = StateRecord((s_sched[K.ROW0] + np.arange(n_s)) * (s_every * dt), sel)
        for var in vars_of[name]:
            setattr(rec, var, _block(s_out[arrays[var]], n_s, col, sel.size))
        res.state[name] = rec
        col += sel.size
    res.populations.update((name, int(pop.n)) for name, pop in pops.items())
    for name, proj in net.projections.items():
        res.projections[name] = (proj.pre.name, proj.post.name)
        res.connectivity[name] = (_read_only(proj.pre_ids), _read_only(proj.post_ids))
        delay = np.asarray(proj.delay, dtype=np.float64).view()   # fixed after a first run
        delay.flags.writeable = False
        res.delays[name] = delay
    if failure is not None:
        # the network stays consistent where the run stopped (as after an interrupt); what
        # ran is kept, not lost with the exception
        failure.add_note(f"neurolab: the run stopped at t = {reached * dt:.10g} ms of "
                         f"{n_stop * dt:.10g} ms; the network stays there (net.t) and net.run "
                         f"continues from it; the part that ran is the exception's "
                         f".partial_result")
        try:
            failure.partial_result = res
        except AttributeError:          # an exception type without a __dict__
            pass
        raise failure
    if interrupted:
        raise SimulationInterrupted(
            f"simulation stopped at t = {reached * dt:.10g} ms of {n_stop * dt:.10g} ms; the "
            f"network stays at t = {reached * dt:.10g} ms (net.run continues from there) and the "
            f"partial result is the exception's .result (interrupted=True)",
            result=res, t=reached * dt, t_stop=n_stop * dt)
    return res
