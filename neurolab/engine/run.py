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
    if rows.size == 0 or np.isfinite(rows).all():
        return
    r, c = (int(k) for k in np.argwhere(~np.isfinite(rows))[0])
    for name, ids in sel.items():
        if c < ids.size:
            break
        c -= ids.size
    step = (int(sched[K.ROW0]) + r) * every
    kind, var = what
    raise NonFiniteStateError(
        f"a recorded {var} became non-finite: {kind} {int(ids[c])} of {name!r} has "
        f"{var} = {float(rows[r, c])} at t = {step * dt:g} ms; check the weights, currents "
        f"and parameters that reach it")


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


def simulate(net, duration: float, *, record_spikes=None, record_weights=None,
             weight_dt: float | None = None, weight_window=None, record_state=None,
             state_vars=("v",), state_dt=None, state_window=None, progress=None,
             chunk_steps=None, threads: int = 1) -> SimResult:
    """Run ``net`` for ``duration`` ms from where it is (``net.t``) and return a
    :class:`SimResult` of this run, ``[t_start, t_end)``.

    The network keeps its state: a following call continues (membrane and synaptic state,
    refractoriness, traces, weights, spikes in flight, input streams with new random
    numbers), and ``run(a)`` then ``run(b)`` gives bitwise the same spikes and weights as
    ``run(a + b)`` when nothing is changed in between. ``Network.store``/``restore``
    return to a snapshot. In a notebook, a re-executed ``net.run(...)`` cell therefore
    continues from where the previous execution ended; rebuild the network in the same cell
    (or restore a stored state) to start again from t = 0.

    Semantics: clock-driven with fixed ``net.dt``, Brian2's default schedule (state update,
    threshold, presynaptic then postsynaptic pathways, reset); STDP is pair-based with the
    pairing scheme and weight dependence each projection's :class:`STDPParams` names, and
    delays are axonal. See the README, "Simulation semantics".

    Parameters
    ----------
    duration : ms, > 0, a multiple of dt.
    record_spikes : whose spikes to keep: ``None`` (default) every LIF population (not the
        inputs), ``"all"`` every population, a list of population names / populations /
        slices (``E[:100]``), or ``{name: "all" | slice | ids}``. Selections of ids (here,
        in ``record_weights`` and in ``record_state``) are sets: an id given twice raises
        ``ValueError``.
    record_weights : ``{projection name: "all" | slice | synapse indices}``; ``None`` = none.
    weight_dt : weight sampling period (ms), a multiple of dt; default 1 ms rounded to
        whole steps (at least one). Samples are taken at the multiples of ``weight_dt`` of
        network time.
    weight_window, state_window : ``(start, stop)`` ms of network time: sample only then.
    record_state : ``{population name: "all" | slice | neuron indices}`` (LIF, AdEx or
        Izhikevich populations).
    state_vars : subset of ``("v", "ge", "gi", "theta", "w", "u")``; ``"theta"`` (the
        adaptive threshold offset, mV) needs every population of ``record_state`` to have
        one; ``"w"`` (AdEx adaptation current, pA) every one to be AdEx, ``"u"``
        (Izhikevich recovery variable) every one to be Izhikevich.
    state_dt : state sampling period (ms), a multiple of dt; default dt.
    progress : ``True``/``False`` to force a tqdm progress bar on/off; ``None`` shows one
        when the run is expected to take more than about two seconds.
    chunk_steps : steps per kernel call; ``None`` adapts it so that each call takes about
        0.1 s. Results do not depend on it (bitwise).
    threads : worker threads for the step loop, 1 (default) up to numba's thread count
        (``numba.config.NUMBA_NUM_THREADS``, the machine's cores unless the environment
        variable ``NUMBA_NUM_THREADS`` says otherwise). Each thread owns a range of neurons
        and the synapses onto them (see :mod:`neurolab.engine.parallel`), so spikes and weights
        are bitwise the same for every thread count. Networks with the pair rule's variants,
        the other rule families or homeostasis run on one thread (with a warning). Worth it
        for large networks only: each step pays ~4-5 us for the parallel region on numba's
        OpenMP threading layer (~0.1 ms on its ``workqueue`` fallback, where neither OpenMP
        nor TBB is found), and on a 2-core machine two threads beat one from about
        5 000-10 000 neurons of a recurrent network with in-degree 100; on cores busy with
        other work a threaded run can be much slower. The first run with threads > 1
        compiles the threaded kernel (about 15 s on 2 cores, once; then cached). Threaded
        runs started from several Python threads of one process take turns, a kernel call
        (~0.1 s) at a time (``workqueue`` aborts the process on concurrent parallel calls).
        In a process forked after a threaded run on the OpenMP layer (not fork-safe),
        threads > 1 runs on one thread with a warning; start worker processes with
        ``"spawn"`` instead. AdEx and Izhikevich populations run on threads like LIF ones.
        With NEST imported, threads > 1 also runs on one thread with a
        warning: NEST's bundled OpenMP runtime and numba's crash a process that runs both.

    Input is drawn chunk by chunk, so memory does not grow with the duration unless a
    recording does. The run advances in chunks (which changes no result). Ctrl-C, or a
    notebook's stop button, ends it cleanly after the current chunk (also while input is
    being drawn or the kernel is being compiled) and raises
    :class:`~neurolab.SimulationInterrupted` (a ``KeyboardInterrupt``), so that nothing
    after the stopped line runs on a partial run: ``net.t`` is where it stopped, the
    network can continue from there with ``net.run`` (bitwise as if never stopped), and the
    partial result (``interrupted=True``) is the exception's ``result``.

    Raises
    ------
    ValueError, TypeError : bad arguments (naming the parameter, the value, what is allowed).
    MemoryError : the recordings (or the network's tables) would not fit in the available
        memory; the message says how much is needed and what to change. Raised before
        anything is allocated or simulated.
    NonFiniteStateError : the state, or a recorded sample of it or of a weight, became
        infinite or NaN; names the population, the variable, the neuron (or synapse) and
        the time.
    Any exception raised while the run is under way (a rate function that fails, a
    non-finite state) leaves the network consistent where it stopped (``net.t``), gets a
    note saying where that is, and carries what ran as ``.partial_result``.
    SimulationInterrupted : the run was stopped (Ctrl-C, a notebook's stop button) before
        its end; carries the partial result.
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
    if isinstance(state_vars, str):
        state_vars = (state_vars,)
    if not isinstance(state_vars, (list, tuple)):
        raise TypeError(f"state_vars must be a tuple of names from {STATE_VARS}, got "
                        f"{state_vars!r}")
    for var in state_vars:
        V.choice("state_vars", var, STATE_VARS)
    if "theta" in state_vars:
        for name in s_sel:
            if pops[name]._threshold_now() is None:
                raise ValueError(f"state_vars has 'theta' but population {name!r} has no "
                                 f"adaptive threshold (add_lif(..., threshold="
                                 f"AdaptiveThreshold(...)) or Population.threshold)")
    for var, kind in (("w", "adex"), ("u", "izhikevich")):
        if var in state_vars:
            for name in s_sel:
                if pops[name].kind != kind:
                    raise ValueError(f"state_vars has {var!r} but population {name!r} is of "
                                     f"kind {pops[name].kind!r}; {var!r} exists for {kind} "
                                     f"populations only (record the others in another run)")
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
    n_svars = sum(1 for var in STATE_VARS if var in state_vars)
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
    s_out = {var: np.zeros((n_srows, s_ids.size) if (s_ids.size and var in state_vars)
                           else (0, 0)) for var in STATE_VARS}

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
        s_w = s_out["w"] if s_out["w"].size else s_out["u"]
        kernel = _kernel_for(state, pv, threads, state.models_for_run(s_w))
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
                for var in state_vars:
                    if s_out[var].size:
                        _check_recorded(s_out[var][s_checked:n_s], s_sched, s_every, s_sel,
                                        dt, ("neuron", var))
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
        "state_vars": list(state_vars), "state_dt": s_every * dt,
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
                                         w_out[:n_w, col:col + sel.size].copy())
        col += sel.size
    n_s = _schedule(s_every, s_lo, s_hi, n_start, reached)[1]
    col = 0
    for name, sel in s_sel.items():
        rec = StateRecord((s_sched[K.ROW0] + np.arange(n_s)) * (s_every * dt), sel)
        for var in state_vars:
            setattr(rec, var, s_out[var][:n_s, col:col + sel.size].copy())
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
