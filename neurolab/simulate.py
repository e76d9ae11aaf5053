"""The one public entry point: validate -> allocate -> call the kernel -> SimResult."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from . import _kernels as K
from . import _validate as V
from .inputs import step_table
from .io import git_commit, versions
from .monitors import SimResult, SpikeRecord, StateRecord, WeightRecord

STATE_VARS = ("v", "ge", "gi")
EXP_TABLE = 4096   # trace lags (steps) whose decay factor is looked up, not computed
_MODES = {"delta": K.MODE_DELTA, "current": K.MODE_CURRENT,
          "conductance": K.MODE_CONDUCTANCE}


def _steps_of(name, value, dt):
    """A sampling period (ms) as a whole number of steps >= 1."""
    value = V.positive(name, value, "ms")
    steps = value / dt
    if abs(steps - round(steps)) > 1e-6 or round(steps) < 1:
        raise ValueError(f"{name} must be a positive multiple of dt={dt!r} ms, got {value!r}")
    return int(round(steps))


def _is_sorted(a):
    return a.shape[0] < 2 or bool(np.all(a[1:] >= a[:-1]))


def _exp_table(c):
    """exp(-d c) for d = 0 .. EXP_TABLE-1 with the C library's exp, as the kernel's
    math.exp computes it for longer lags."""
    return np.array([math.exp(-d * c) for d in range(EXP_TABLE)])


def _current_coefficient(dt, tau_m, tau_s):
    """Weight of a decaying synaptic current I(0) in v(dt) for
    tau_m dv/dt = -v + I, tau_s dI/dt = -I: tau_s/(tau_s-tau_m) (e^{-dt/tau_s} - e^{-dt/tau_m}),
    written with expm1 so that it stays accurate when tau_s is close to tau_m."""
    pm = math.exp(-dt / tau_m)
    if tau_s == tau_m:
        return dt / tau_m * pm
    return tau_s / (tau_s - tau_m) * pm * math.expm1(dt * (tau_s - tau_m) / (tau_m * tau_s))


class _Compiled:
    """Flat arrays the kernel runs on, built from a Network."""

    def __init__(self, net, duration):
        dt = net.dt
        self.n_steps = net.n_steps(duration)
        self.offset = {}
        n_total = 0
        for pop in net.populations.values():
            self.offset[pop.name] = n_total
            n_total += pop.n
        self.n_total = n_total

        lifs = [p for p in net.populations.values() if p.kind == "lif"]
        self.lif_i = np.zeros((len(lifs), 4), dtype=np.int64)
        self.lif_f = np.zeros((len(lifs), 11), dtype=np.float64)
        self.v = np.zeros(n_total)
        self.ge = np.zeros(n_total)
        self.gi = np.zeros(n_total)
        self.last_spike = np.full(n_total, -(1 << 40), dtype=np.int64)
        self.accept = np.ones(n_total, dtype=np.bool_)   # delta input allowed this step
        for q, pop in enumerate(lifs):
            prm = pop.params
            lo = self.offset[pop.name]
            self.lif_i[q] = (lo, lo + pop.n, _MODES[prm.synapse],
                             int(round(prm.refractory / dt)))
            f = self.lif_f[q]
            f[K.VREST], f[K.VTH], f[K.VRESET] = prm.v_rest, prm.v_th, prm.v_reset
            f[K.PM] = math.exp(-dt / prm.tau_m)
            f[K.PE] = math.exp(-dt / prm.tau_e)
            f[K.PI] = math.exp(-dt / prm.tau_i)
            f[K.CE] = _current_coefficient(dt, prm.tau_m, prm.tau_e)
            f[K.CI] = _current_coefficient(dt, prm.tau_m, prm.tau_i)
            f[K.EE], f[K.EI] = prm.E_e, prm.E_i
            f[K.DTM] = dt / prm.tau_m
            self.v[lo:lo + pop.n] = pop.v_init

        # input spikes: a step-sorted table of global ids. Each population's spikes are
        # sorted by step then id and populations come in order, so a stable counting sort
        # by step leaves the ids of one step ascending.
        steps, ids = [], []
        for name, (s, i) in net.input_spike_steps(duration).items():
            steps.append(s)
            ids.append(i + self.offset[name])
        steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
        ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        self.src_ptr, self.src_ids = step_table(steps.astype(np.int64), ids.astype(np.int64),
                                                self.n_steps)

        # pathways: one per (projection, distinct delay)
        pw_i, pw_f = [], []
        row_ptr, col_ptr, col_syn = [], [], []
        syn_post, syn_w, col_pre = [], [], []
        self.perm = {}           # projection -> kernel index of each of its synapses
        n_syn = 0
        n_row = n_col = n_xpre = n_xpost = 0
        n_colsyn = 0
        max_delay = 0
        for proj in net.projections.values():
            dsteps = np.rint(proj.delay / dt).astype(np.int64)
            pre_lo = self.offset[proj.pre.name]
            post_lo = self.offset[proj.post.name]
            post_prm = proj.post.params
            if post_prm.synapse == "delta":
                target = K.TARGET_V
            else:
                target = K.TARGET_E if proj.receptor == "exc" else K.TARGET_I
            stdp = proj.stdp
            uniform = proj.n_syn == 0 or bool(np.all(dsteps == dsteps[0]))
            if uniform and _is_sorted(proj.pre_ids):
                # the common case: one delay, synapses already ordered by presynaptic
                # neuron: the kernel uses the projection's arrays in place
                groups = [(int(dsteps[0]) if proj.n_syn else 0, None)]
                self.perm[proj.name] = np.arange(n_syn, n_syn + proj.n_syn, dtype=np.int64)
            else:
                kidx = np.empty(proj.n_syn, dtype=np.int64)
                groups = []
                base = n_syn
                for d in np.unique(dsteps):
                    members = np.flatnonzero(dsteps == d)
                    members = members[np.argsort(proj.pre_ids[members], kind="stable")]
                    kidx[members] = base + np.arange(members.size)
                    base += members.size
                    groups.append((int(d), members))
                self.perm[proj.name] = kidx
            for d, members in groups:
                if members is None:
                    pre_local, post_local, w = proj.pre_ids, proj.post_ids, proj.weight
                else:
                    pre_local = proj.pre_ids[members]
                    post_local = proj.post_ids[members]
                    w = proj.weight[members]
                m = pre_local.shape[0]
                rp = np.searchsorted(pre_local, np.arange(proj.pre.n + 1)) + n_syn
                row_ptr.append(rp.astype(np.int64))
                syn_post.append(post_local + post_lo)
                syn_w.append(np.array(w, dtype=np.float64))     # a copy: the kernel writes
                row = [d, target, pre_lo, pre_lo + proj.pre.n, post_lo,
                       post_lo + proj.post.n, n_row, -1, -1, -1, 0, 0, proj.pre.index,
                       proj.post.index]
                fl = [0.0] * 8
                n_row += proj.pre.n + 1
                if stdp is not None:
                    by_post = np.argsort(post_local, kind="stable")
                    cp = np.zeros(proj.post.n + 1, dtype=np.int64)
                    np.cumsum(np.bincount(post_local, minlength=proj.post.n), out=cp[1:])
                    col_ptr.append(cp + n_colsyn)
                    col_syn.append((by_post + n_syn).astype(np.int64))
                    col_pre.append((pre_local[by_post] + pre_lo).astype(np.int64))
                    n_colsyn += m
                    row[K.COL_OFF] = n_col
                    n_col += proj.post.n + 1
                    row[K.XPRE_OFF] = n_xpre
                    n_xpre += proj.pre.n
                    row[K.XPOST_OFF] = n_xpost
                    n_xpost += proj.post.n
                    row[K.PLASTIC] = 1
                    row[K.PAIRING] = K.PAIR_NEAREST if stdp.pairing == "nearest" else K.PAIR_ALL
                    fl = [stdp.A_plus, stdp.A_minus, dt / stdp.tau_plus, dt / stdp.tau_minus,
                          stdp.w_min, stdp.w_max, stdp.mu, stdp.mu_minus]
                pw_i.append(row)
                pw_f.append(fl)
                n_syn += m
                max_delay = max(max_delay, d)

        def cat(parts, dtype):
            if len(parts) == 1:
                return np.ascontiguousarray(parts[0], dtype=dtype)
            return (np.ascontiguousarray(np.concatenate(parts), dtype=dtype) if parts
                    else np.zeros(0, dtype=dtype))

        self.pw_i = np.array(pw_i, dtype=np.int64).reshape(-1, 14)
        self.pw_f = np.array(pw_f, dtype=np.float64).reshape(-1, 8)
        self.row_ptr = cat(row_ptr, np.int64)
        self.col_ptr = cat(col_ptr, np.int64)
        self.col_syn = cat(col_syn, np.int64)
        self.syn_post = cat(syn_post, np.int64)
        self.col_pre = cat(col_pre, np.int64)
        self.syn_w = cat(syn_w, np.float64)
        self.xpre = np.zeros(n_xpre)
        self.xpost = np.zeros(n_xpost)
        self.xpre_t = np.zeros(n_xpre, dtype=np.int64)
        # trace decay factors exp(-d dt/tau) for lags d < EXP_TABLE steps, per pathway
        self.tab_plus = np.ones((len(pw_i), 1))
        self.tab_minus = np.ones((len(pw_i), 1))
        if any(row[K.PLASTIC] for row in pw_i):
            self.tab_plus = np.ones((len(pw_i), EXP_TABLE))
            self.tab_minus = np.ones((len(pw_i), EXP_TABLE))
            for p, row in enumerate(pw_i):
                if row[K.PLASTIC]:
                    self.tab_plus[p] = _exp_table(pw_f[p][K.C_PLUS])
                    self.tab_minus[p] = _exp_table(pw_f[p][K.C_MINUS])
        self.xpost_t = np.zeros(n_xpost, dtype=np.int64)
        # spikes of the last H steps; a delay of the whole run or more never delivers
        H = min(max_delay, self.n_steps) + 1
        self.pw_i[:, K.DELAY] = np.minimum(self.pw_i[:, K.DELAY], self.n_steps)
        self.ring = np.zeros((H, max(n_total, 1)), dtype=np.int64)
        self.seg = np.zeros((H, len(net.populations) + 1), dtype=np.int64)
        self.pop_lo = np.array([self.offset[p] for p in net.populations] + [n_total],
                               dtype=np.int64)
        lif_row = {pop.name: q for q, pop in enumerate(lifs)}
        self.pop_lif = np.array([lif_row.get(p, -1) for p in net.populations], dtype=np.int64)


def _select(what, sel, n):
    if isinstance(sel, str):
        if sel != "all":
            raise ValueError(f"{what} must be 'all' or an array of indices, got {sel!r}")
        return np.arange(n, dtype=np.int64)
    return V.index_array(what, sel, upper=n)


def simulate(net, duration: float, *, record_spikes=None, record_weights=None,
             weight_dt: float | None = None, record_state=None, state_vars=("v",), state_dt=None,
             progress=None, chunk_steps=None) -> SimResult:
    """Run ``net`` for ``duration`` ms from its initial state and return a :class:`SimResult`.

    Semantics: clock-driven with fixed ``net.dt``, Brian2's default schedule (state update,
    threshold, presynaptic then postsynaptic pathways, reset); STDP is pair-based with the
    pairing scheme and weight dependence each projection's :class:`STDPParams` names, and
    delays are axonal. See DESIGN.md, "Simulation semantics".

    Parameters
    ----------
    duration : ms, > 0.
    record_spikes : population names whose spikes to keep; ``None`` = every population.
    record_weights : ``{projection name: "all" | synapse indices}``; ``None`` = none.
    weight_dt : weight sampling period (ms), a multiple of dt; default 1 ms rounded to
        whole steps (at least one).
    record_state : ``{population name: "all" | neuron indices}`` (LIF populations).
    state_vars : subset of ``("v", "ge", "gi")``.
    state_dt : state sampling period (ms), a multiple of dt; default dt.
    progress : ``True``/``False`` to force a tqdm progress bar on/off; ``None`` shows one
        when the run is expected to take more than about two seconds.
    chunk_steps : steps per kernel call; ``None`` adapts it so that each call takes about
        0.1 s. Results do not depend on it (bitwise).

    The run advances in chunks (which changes no result). Ctrl-C, or a notebook's stop
    button, ends it cleanly after the current chunk: the partial result is returned with
    ``interrupted=True`` and a warning says so.
    """
    dt = net.dt
    n_steps = net.n_steps(duration)
    duration = float(duration)
    if not net.populations:
        raise ValueError("the network has no populations; add some before running")

    # ---- monitors (validated before any allocation of the big arrays)
    pops = net.populations
    if record_spikes is None:
        spike_pops = list(pops)
    else:
        if isinstance(record_spikes, str):
            record_spikes = [record_spikes]
        if not isinstance(record_spikes, (list, tuple)):
            raise TypeError(f"record_spikes must be None or a list of population names, got "
                            f"{record_spikes!r}")
        spike_pops = []
        for name in record_spikes:
            if not isinstance(name, str) or name not in pops:
                raise ValueError(f"record_spikes names an unknown population {name!r}; "
                                 f"known: {list(pops)}")
            spike_pops.append(name)
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
    s_sel = {}
    for name, sel in (record_state or {}).items():
        if name not in pops or pops[name].kind != "lif":
            raise ValueError(f"record_state names {name!r}, which is not a LIF population; "
                             f"LIF populations: {[p for p in pops if pops[p].kind == 'lif']}")
        s_sel[name] = _select(f"record_state[{name!r}]", sel, pops[name].n)
    if isinstance(state_vars, str):
        state_vars = (state_vars,)
    if not isinstance(state_vars, (list, tuple)):
        raise TypeError(f"state_vars must be a tuple of names from {STATE_VARS}, got "
                        f"{state_vars!r}")
    for var in state_vars:
        V.choice("state_vars", var, STATE_VARS)
    s_every = _steps_of("state_dt", dt if state_dt is None else state_dt, dt)
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    if chunk_steps is not None:
        chunk_steps = V.integer("chunk_steps", chunk_steps, minimum=1)

    c = _Compiled(net, duration)
    spk_mask = np.zeros(max(c.n_total, 1), dtype=np.uint8)
    for name in spike_pops:
        lo = c.offset[name]
        spk_mask[lo:lo + pops[name].n] = 1
    n_mask = int(spk_mask.sum())
    cap = max(4096, 4 * n_mask)
    spk_step = np.zeros(cap, dtype=np.int64)
    spk_id = np.zeros(cap, dtype=np.int64)

    w_syn = (np.concatenate([c.perm[k][v] for k, v in w_sel.items()]).astype(np.int64)
             if w_sel else np.zeros(0, np.int64))
    n_wsamp = -(-n_steps // w_every)
    w_out = np.zeros((n_wsamp if w_syn.size else 0, w_syn.size))
    s_ids = (np.concatenate([v + c.offset[k] for k, v in s_sel.items()]).astype(np.int64)
             if s_sel else np.zeros(0, np.int64))
    n_ssamp = -(-n_steps // s_every)
    s_out = {var: np.zeros((n_ssamp, s_ids.size) if (s_ids.size and var in state_vars)
                           else (0, 0)) for var in STATE_VARS}
    counters = np.zeros(2, dtype=np.int64)

    # ---- the step loop, in chunks
    interrupted = False
    bar = None
    chunk = 256 if chunk_steps is None else chunk_steps
    t_base = None   # wall time and step after the first call (which may include the JIT)
    n_base = 0
    try:
        while counters[K.C_STEP] < n_steps:
            n0 = int(counters[K.C_STEP])
            n1 = min(n_steps, n0 + chunk)
            t0 = time.perf_counter()
            K.run_steps(n0, n1, c.lif_i, c.lif_f, c.v, c.ge, c.gi, c.last_spike, c.accept,
                        c.src_ptr, c.src_ids, c.pop_lo, c.pop_lif, c.ring, c.seg,
                        c.pw_i, c.pw_f, c.row_ptr, c.syn_post, c.syn_w, c.col_ptr,
                        c.col_syn, c.col_pre, c.xpre, c.xpre_t, c.xpost, c.xpost_t,
                        c.tab_plus, c.tab_minus,
                        spk_mask, spk_step, spk_id, w_every, w_syn, w_out,
                        s_every, s_ids, s_out["v"], s_out["ge"], s_out["gi"], counters)
            reached = int(counters[K.C_STEP])
            if reached < n1:  # spike buffer full: grow it and go on
                cap = max(2 * cap, int(counters[K.C_NSPK]) + 4 * n_mask)
                spk_step = np.concatenate([spk_step, np.zeros(cap - spk_step.size, np.int64)])
                spk_id = np.concatenate([spk_id, np.zeros(cap - spk_id.size, np.int64)])
            now = time.perf_counter()
            if t_base is None:
                t_base, n_base = now, reached
            elif reached > n0 and chunk_steps is None:
                # aim at chunks of ~0.1 s so that Ctrl-C and the bar respond quickly
                chunk = int(min(max(chunk * 0.1 / max(now - t0, 1e-4), 16), 4 * chunk, 10**6))
            if bar is None and progress is not False:
                spent = now - t_base
                remaining = (spent / (reached - n_base) * (n_steps - reached)
                             if reached > n_base else 0.0)
                if progress or (remaining > 2.0 and spent > 0.1):
                    from tqdm.auto import tqdm

                    bar = tqdm(total=n_steps, initial=reached, unit="step",
                               desc=f"simulating {duration:g} ms", leave=False)
            if bar is not None:
                bar.update(reached - bar.n)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
    reached = int(counters[K.C_STEP])
    interrupted = interrupted or reached < n_steps
    if interrupted:
        warnings.warn(f"simulation interrupted at t = {reached * dt:g} ms of {duration:g} ms; "
                      f"the partial result is kept (SimResult.interrupted is True)",
                      RuntimeWarning, stacklevel=2)

    # ---- results
    params = {"network": net.to_dict(), "run": {
        "duration": duration, "dt": dt, "seed": net.seed, "n_steps": n_steps,
        "record_spikes": spike_pops, "weight_dt": w_every * dt,
        "record_weights": {k: int(v.size) for k, v in w_sel.items()},
        "record_state": {k: int(v.size) for k, v in s_sel.items()},
        "state_vars": list(state_vars), "state_dt": s_every * dt},
        "versions": versions(), "git_commit": git_commit()}
    res = SimResult(dt=dt, duration=duration, t_end=reached * dt, interrupted=interrupted,
                    seed=net.seed, params=params)
    nspk = int(counters[K.C_NSPK])
    st, si = spk_step[:nspk], spk_id[:nspk]
    for name in spike_pops:
        lo = c.offset[name]
        sel = (si >= lo) & (si < lo + pops[name].n)
        res.spikes[name] = SpikeRecord(st[sel] * dt, si[sel] - lo, pops[name].n)
    for name, proj in net.projections.items():
        res.final_weights[name] = c.syn_w[c.perm[name]].copy()
    n_w = -(-reached // w_every)
    col = 0
    for name, sel in w_sel.items():
        proj = net.projections[name]
        res.weights[name] = WeightRecord(np.arange(n_w) * (w_every * dt), sel,
                                         proj.pre_ids[sel], proj.post_ids[sel],
                                         w_out[:n_w, col:col + sel.size].copy())
        col += sel.size
    n_s = -(-reached // s_every)
    col = 0
    for name, sel in s_sel.items():
        rec = StateRecord(np.arange(n_s) * (s_every * dt), sel)
        for var in state_vars:
            setattr(rec, var, s_out[var][:n_s, col:col + sel.size].copy())
        res.state[name] = rec
        col += sel.size
    res.populations.update((name, int(pop.n)) for name, pop in pops.items())
    for name, proj in net.projections.items():
        res.projections[name] = (proj.pre.name, proj.post.name)
        res.connectivity[name] = (proj.pre_ids.astype(np.int64), proj.post_ids.astype(np.int64))
    return res
