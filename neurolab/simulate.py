"""The one public entry point: validate -> allocate -> call the kernel -> SimResult; and
the state a network's runs continue from (:class:`RunState`)."""

from __future__ import annotations

import math
import os
import sys
import threading
import time
import warnings

import numpy as np

from . import _kernels as K
from .plasticity.pair import uses_variants
from . import _validate as V
from .inputs import _CountBlocks, explicit_steps, step_table
from ._resources import SYNAPSE_BYTES, check_memory
from .io import git_commit, versions
from .monitors import SimResult, SpikeRecord, StateRecord, WeightRecord
from .network import _STREAM_DRIVE, _poisson_stream, _rates_summary
from .params import summary as _summary
from .plasticity import homeostasis as _homeo
from .plasticity import inhibitory as _inh
from .plasticity import reward as _reward
from .plasticity import triplet

STATE_VARS = ("v", "ge", "gi", "theta")
EXP_TABLE = 4096   # trace lags (steps) whose decay factor is looked up, not computed
NEVER = -(1 << 40)  # the step of a spike that has not happened
_MODES = {"delta": K.MODE_DELTA, "current": K.MODE_CURRENT,
          "conductance": K.MODE_CONDUCTANCE}


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _caller_level():
    """The ``stacklevel`` that points a warning of the function calling this one at the
    first frame outside neurolab: the user's line, whether it called ``net.run`` or
    ``simulate``."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def _steps_of(name, value, dt):
    """A sampling period (ms) as a whole number of steps >= 1."""
    value = V.positive(name, value, "ms")
    steps = value / dt
    if abs(steps - round(steps)) > 1e-6 or round(steps) < 1:
        raise ValueError(f"{name} must be a positive multiple of dt={dt!r} ms, got {value!r}")
    return int(round(steps))


def _is_sorted(a):
    return a.shape[0] < 2 or bool(np.all(a[1:] >= a[:-1]))


#: the largest count whose indices the kernel's tables hold in 32 bits
INDEX32_MAX = 2 ** 31 - 1


def index_dtype(count: int) -> np.dtype:
    """The integer type of a kernel index array whose entries lie in ``[0, count)``: int32
    when ``count <= INDEX32_MAX`` (2**31 - 1), else int64.

    The one rule for the per-synapse index arrays of the kernel's tables: ``syn_post`` and
    ``col_pre`` (global neuron ids, ``count`` = neurons in the network), ``col_syn`` and
    each projection's ``perm`` (kernel synapse indices, ``count`` = synapses in the
    network). 32-bit entries halve their memory and the bytes the kernel streams per
    synapse; an int32 entry is at most 2**31 - 2, so adding 1 (an end of range) cannot
    overflow, and every sum the kernel forms with one adds an int64 offset (numba widens
    the result to int64). numba compiles one kernel per combination of dtypes: every
    network below 2**31 - 1 neurons and synapses uses the same (all int32).

    Raises ValueError when ``count`` is negative."""
    count = int(count)
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count!r}")
    return np.dtype(np.int32) if count <= INDEX32_MAX else np.dtype(np.int64)


def _delay_steps(delay, n_syn, dt):
    """(distinct delays in steps, ascending, as ints; per-synapse steps or None when they
    are all equal) of a projection's delays (ms, (n_syn,)): ``rint(delay / dt)``. The
    common homogeneous case checks the delays once instead of converting all of them."""
    if n_syn == 0:
        return [0], None
    if bool(np.all(delay == delay[0])):
        return [int(np.rint(delay[:1] / dt).astype(np.int64)[0])], None
    dsteps = np.rint(delay / dt).astype(np.int64)
    delays = np.unique(dsteps)
    return [int(d) for d in delays], (None if delays.size == 1 else dsteps)


def _stable_order(keys, n_keys):
    """``np.argsort(keys, kind="stable")`` for integer keys in ``[0, n_keys)``, (n,) int64
    (intp): the permutation that orders ``keys``, ties in their original order.

    Sorted by 16-bit digits, least significant first: numpy sorts 16-bit keys stably with
    a radix sort in O(n), several times faster than the merge sort it uses for 64-bit
    keys (3.2 M keys < 40 000: 0.06 s instead of 0.29 s). A stable sort's permutation is
    unique, so the result is the same whichever way it is computed."""
    if n_keys <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if n_keys <= 1 << 32:
        order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
        high = (keys[order] >> 16).astype(np.uint16)
        return order[np.argsort(high, kind="stable")]
    return np.argsort(keys, kind="stable")


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


class RunState:
    """Everything a network's run continues from: the kernel's tables (built once, from
    the network's structure) and its state (time, membrane and synaptic state, refractory
    counters, STDP traces, weights, spikes in flight, input streams and what changed
    between runs). Deep-copied by ``Network.store``."""

    def __init__(self, net):
        dt = net.dt
        self.dt = dt
        self.step = 0
        self.changes = []          # provenance of changes between runs: [{t, what, ...}]
        self.reported = 0          # changes already reported in a run's provenance
        self.offset = {}
        n_total = 0
        for pop in net.populations.values():
            self.offset[pop.name] = n_total
            n_total += pop.n
        self.n_total = n_total
        for proj in net.projections.values():
            # the structure is fixed from here on: the tables are built from these ids,
            # and the run's provenance records (and remembers) their digest
            proj.pre_ids.flags.writeable = False
            proj.post_ids.flags.writeable = False
        check_memory("the network's tables", _table_bytes(net, n_total),
                     "use fewer neurons or synapses (e.g. rule='fixed_indegree')")

        lifs = [p for p in net.populations.values() if p.kind == "lif"]
        lif_i = np.zeros((len(lifs), K.N_LIF_I), dtype=np.int64)
        par = np.zeros((K.N_PAR, max(n_total, 1)))
        kref = np.zeros(max(n_total, 1), dtype=np.int64)
        v = np.zeros(max(n_total, 1))
        for q, pop in enumerate(lifs):
            lo = self.offset[pop.name]
            lif_i[q, :3] = (lo, lo + pop.n, _MODES[pop.params.synapse])
            lif_i[q, K.HAS_IEXT] = any(c.target is pop for c in net.currents.values())
            v[lo:lo + pop.n] = pop.v_init
        self.lif_row = lif_row = {pop.name: q for q, pop in enumerate(lifs)}
        self.nrn = K.Neurons(
            lif_i=lif_i,
            pop_lo=np.array([self.offset[p] for p in net.populations] + [n_total], np.int64),
            pop_lif=np.array([lif_row.get(p, -1) for p in net.populations], np.int64),
            par=par, kref=kref, v=v, ge=np.zeros_like(v), gi=np.zeros_like(v),
            iext=np.zeros_like(v), last_spike=np.full(v.size, -(1 << 40), np.int64),
            accept=np.ones(v.size, dtype=np.bool_))
        for pop in lifs:
            self._fill_params(pop, pop.neuron_params)
        self._build_pathways(net)
        # the optional rule families' state: (triplet, inhibitory, reward, homeostasis)
        self.families = (triplet.build_state(self, net), _inh.build_state(self, net),
                         _reward.build_state(self, net), _homeo.build_state(self, net))

        # sources: explicit spikes (global ids, sorted by step then id), Poisson streams
        # (segments (start step, stream), one more per change of rates)
        self.explicit = {}
        self.poisson = {}
        for pop in net.populations.values():
            if pop.kind == "spikes":
                s, i = explicit_steps(pop.times, pop.indices, dt, pop.name)
                self.explicit[pop.name] = (s, i + self.offset[pop.name])
            elif pop.kind == "poisson":
                self.poisson[pop.name] = [(0, _poisson_stream(net.seed, dt, pop, 0))]
        self.pop_order = list(net.populations)
        self.drives = {}
        col = 0
        for d in net.drives.values():
            target = _target_code(d.target.params.synapse, d.receptor)
            self.drives[d.name] = {
                "lo": self.offset[d.target.name], "ids": d.ids, "target": target,
                "weight": d.weight, "col": col, "n_sources": d.n_sources, "index": d.index,
                "segments": [(0, _CountBlocks(d.n_sources, d.rate, d.ids.size, dt,
                                              [net.seed, _STREAM_DRIVE, d.index, 0]))]}
            col += d.ids.size
        self.n_drive_cols = col
        # the drives' count table: drive k's targets are columns col .. col + n of it,
        # global ids pin_ids[col + j]
        self.pin_ids = (np.concatenate([d["ids"] + d["lo"] for d in self.drives.values()])
                        if self.drives else np.zeros(0, np.int64)).astype(np.int64)
        self.pin_i = np.array([(0, d["ids"].size, d["target"], d["col"])
                               for d in self.drives.values()], np.int64).reshape(-1, 4)
        self.pin_w = np.array([d["weight"] for d in self.drives.values()], np.float64)
        self.currents = {}
        for c in net.currents.values():
            self.currents[c.name] = {"ids": c.ids + self.offset[c.target.name],
                                     "segments": list(c._segments)}
        self.seed = net.seed
        self.rate_epochs = {}      # changes of rates so far, per Poisson population
        self.drive_epochs = {}     # and per Poisson drive

    # ---------------------------------------------------------------- tables
    def _fill_params(self, pop, values):
        dt = self.dt
        lo = self.offset[pop.name]
        sl = slice(lo, lo + pop.n)
        par = self.nrn.par
        tau_m, tau_e, tau_i = values["tau_m"], values["tau_e"], values["tau_i"]
        par[K.VREST, sl] = values["v_rest"]
        par[K.VTH, sl] = values["v_th"]
        par[K.VRESET, sl] = values["v_reset"]
        par[K.PM, sl] = _per_value(lambda x: math.exp(-dt / x), tau_m)
        par[K.PE, sl] = _per_value(lambda x: math.exp(-dt / x), tau_e)
        par[K.PI, sl] = _per_value(lambda x: math.exp(-dt / x), tau_i)
        par[K.CE, sl] = _per_value(lambda a, b: _current_coefficient(dt, a, b), tau_m, tau_e)
        par[K.CI, sl] = _per_value(lambda a, b: _current_coefficient(dt, a, b), tau_m, tau_i)
        par[K.EE, sl] = values["E_e"]
        par[K.EI, sl] = values["E_i"]
        par[K.DTM, sl] = dt / tau_m
        par[K.IB, sl] = values["I_bias"]
        self.nrn.kref[sl] = np.rint(values["refractory"] / dt).astype(np.int64)
        # one code path reads the parameters once per step when they are all equal
        uniform = (bool(np.all(par[:, sl] == par[:, lo:lo + 1]))
                   and bool(np.all(self.nrn.kref[sl] == self.nrn.kref[lo])))
        self.nrn.lif_i[self.lif_row[pop.name], K.HET] = 0 if uniform else 1

    def _build_pathways(self, net):
        """The kernel's synapse tables (:class:`neurolab._kernels.Pathways`), the STDP traces
        and, per projection, the kernel index of each of its synapses (``perm``).

        Built in two passes: the sizes first, then every table written in place into one
        preallocated array (no per-projection parts to concatenate). Synapse and neuron
        index arrays use :func:`index_dtype` (32-bit for every network below 2**31 - 1
        neurons and synapses); ``row_ptr``/``col_ptr`` (one entry per neuron) stay int64.
        """
        dt = self.dt
        projs = list(net.projections.values())
        # ---- pass 1: each projection's delays (steps), and the tables' sizes
        plans = []
        n_syn_all = n_row_all = n_col_all = n_colsyn_all = 0
        for proj in projs:
            delays, dsteps = _delay_steps(proj.delay, proj.n_syn, dt)
            keep = len(delays) == 1 and _is_sorted(proj.pre_ids)
            plans.append((delays, keep, dsteps))
            n_syn_all += proj.n_syn
            n_row_all += len(delays) * (proj.pre.n + 1)
            if proj.stdp is not None:
                n_col_all += len(delays) * (proj.post.n + 1)
                n_colsyn_all += proj.n_syn
        nrn_t = index_dtype(self.n_total)      # syn_post, col_pre: global neuron ids
        syn_t = index_dtype(n_syn_all)         # col_syn, perm: kernel synapse indices
        row_ptr = np.empty(n_row_all, np.int64)
        syn_post = np.empty(n_syn_all, nrn_t)
        syn_w = np.empty(n_syn_all, np.float64)
        col_ptr = np.empty(n_col_all, np.int64)
        col_syn = np.empty(n_colsyn_all, syn_t)
        col_pre = np.empty(n_colsyn_all, nrn_t)

        # ---- pass 2: fill them, projection by projection, pathway (delay) by pathway
        pw_i, pw_f = [], []
        self.perm = {}           # projection -> kernel index of each of its synapses
        self._span = {}          # projection -> (lo, hi) when those are lo .. hi-1 in order
        self.pathways_of = {}    # projection -> its pathway rows
        n_syn = n_row = n_col = n_xpre = n_xpost = n_colsyn = max_delay = 0
        n_xsyn = 0
        for proj, (delays, keep, dsteps) in zip(projs, plans):
            pre_lo = self.offset[proj.pre.name]
            post_lo = self.offset[proj.post.name]
            target = _target_code(proj.post.params.synapse, proj.receptor)
            stdp = proj.stdp
            weight = proj._weight
            if keep:
                # the common case: one delay, synapses already ordered by presynaptic
                # neuron: the kernel keeps the projection's synapse order
                groups = [(delays[0], None)]
                self.perm[proj.name] = np.arange(n_syn, n_syn + proj.n_syn, dtype=syn_t)
                self._span[proj.name] = (n_syn, n_syn + proj.n_syn)
            else:
                kidx = np.empty(proj.n_syn, dtype=syn_t)
                groups = []
                base = n_syn
                for d in delays:
                    members = (np.arange(proj.n_syn) if dsteps is None
                               else np.flatnonzero(dsteps == d))
                    members = members[_stable_order(proj.pre_ids[members], proj.pre.n)]
                    kidx[members] = np.arange(base, base + members.size)
                    base += members.size
                    groups.append((d, members))
                self.perm[proj.name] = kidx
            self.pathways_of[proj.name] = []
            for d, members in groups:
                if members is None:
                    pre_local, post_local, w = proj.pre_ids, proj.post_ids, weight
                else:
                    pre_local = proj.pre_ids[members]
                    post_local = proj.post_ids[members]
                    w = weight[members]
                m = pre_local.shape[0]
                rows = row_ptr[n_row:n_row + proj.pre.n + 1]
                rows[:] = np.searchsorted(pre_local, np.arange(proj.pre.n + 1))
                rows += n_syn
                np.add(post_local, post_lo, out=syn_post[n_syn:n_syn + m], casting="unsafe")
                syn_w[n_syn:n_syn + m] = w          # a copy: the kernel writes
                row = [0] * K.N_PW_I
                row[K.DELAY], row[K.TARGET] = d, target
                row[K.PRE_LO], row[K.PRE_HI] = pre_lo, pre_lo + proj.pre.n
                row[K.POST_LO], row[K.POST_HI] = post_lo, post_lo + proj.post.n
                row[K.ROW_OFF], row[K.COL_OFF] = n_row, -1
                row[K.XPRE_OFF] = row[K.XPOST_OFF] = -1
                row[K.PRE_POP], row[K.POST_POP] = proj.pre.index, proj.post.index
                fl = [0.0] * K.N_PW_F
                n_row += proj.pre.n + 1
                if stdp is not None:
                    # the synapses onto each postsynaptic neuron, in kernel order
                    by_post = _stable_order(post_local, proj.post.n)
                    cols = col_ptr[n_col:n_col + proj.post.n + 1]
                    cols[0] = 0
                    np.cumsum(np.bincount(post_local, minlength=proj.post.n), out=cols[1:])
                    cols += n_colsyn
                    np.add(by_post, n_syn, out=col_syn[n_colsyn:n_colsyn + m],
                           casting="unsafe")
                    np.add(pre_local[by_post], pre_lo, out=col_pre[n_colsyn:n_colsyn + m],
                           casting="unsafe")
                    del by_post
                    n_colsyn += m
                    row[K.COL_OFF] = n_col
                    n_col += proj.post.n + 1
                    row[K.XPRE_OFF] = n_xpre
                    n_xpre += proj.pre.n
                    row[K.XPOST_OFF] = n_xpost
                    n_xpost += proj.post.n
                    row[K.PLASTIC] = 1
                    row[K.LEARN] = 1 if proj.learning else 0
                    _rule_codes(row, stdp)
                    if stdp.synapse_state:
                        # per-synapse state, indexed by the kernel's synapse index
                        row[K.XSYN_BASE] = n_xsyn - n_syn
                        n_xsyn += m * stdp.synapse_state
                    fl = stdp.kernel_row(dt)
                self.pathways_of[proj.name].append(len(pw_i))
                pw_i.append(row)
                pw_f.append(fl)
                n_syn += m
                max_delay = max(max_delay, d)
        assert (n_syn, n_row, n_col, n_colsyn) == (n_syn_all, n_row_all, n_col_all,
                                                   n_colsyn_all)

        n_pw = len(pw_i)
        pw_f = np.array(pw_f, dtype=np.float64).reshape(-1, K.N_PW_F)
        plastic = any(row[K.PLASTIC] for row in pw_i)
        width = EXP_TABLE if plastic else 1
        tab_plus = np.ones((n_pw, width))
        tab_minus = np.ones((n_pw, width))
        for p, row in enumerate(pw_i):
            if row[K.PLASTIC]:
                tab_plus[p] = _exp_table(pw_f[p, K.C_PLUS])
                tab_minus[p] = _exp_table(pw_f[p, K.C_MINUS])
        # spikes of the last H steps: every delay reads a step still in the ring
        H = max_delay + 1
        check_memory("the spike ring buffer (max delay x neurons)",
                      H * max(self.n_total, 1) * 8,
                      "shorten the longest delay or use fewer neurons")
        self.syn = K.Pathways(
            pw_i=np.array(pw_i, dtype=np.int64).reshape(-1, K.N_PW_I), pw_f=pw_f,
            row_ptr=row_ptr, syn_post=syn_post, syn_w=syn_w, col_ptr=col_ptr,
            col_syn=col_syn, col_pre=col_pre,
            ring=np.zeros((H, max(self.n_total, 1)), dtype=np.int64),
            seg=np.zeros((H, len(net.populations) + 1), dtype=np.int64))
        # trace times start at NEVER: no spike yet (a trace of 0 is never decayed)
        self.tr = K.Traces(xpre=np.zeros(n_xpre), xpre_t=np.full(n_xpre, NEVER, np.int64),
                           xpost=np.zeros(n_xpost), xpost_t=np.full(n_xpost, NEVER, np.int64),
                           tab_plus=tab_plus, tab_minus=tab_minus)
        self.pair_variants = K.PairVariants(xpost_prev=np.full(n_xpost, NEVER, np.int64),
                                            xsyn=np.zeros(n_xsyn))

    def thread_tables(self, parts):
        """``(qb, owner, sorted_rows, buf, bseg)`` for the threaded kernel on ``parts``
        partitions (:mod:`neurolab._parallel`); kept, as the structure cannot change."""
        from . import _parallel

        cache = self.__dict__.setdefault("_thread_tables", {})
        if parts not in cache:
            if "sorted_rows" not in cache:
                cache["sorted_rows"] = _parallel.rows_ascending(self.syn)
            n_pop = self.nrn.pop_lif.shape[0]
            cache[parts] = (*_parallel.partition(self.nrn, parts), cache["sorted_rows"],
                            np.zeros((parts, max(self.n_total, 1)), dtype=np.int64),
                            np.zeros((parts, n_pop + 1), dtype=np.int64))
        return cache[parts]

    def variants(self, net):
        """The pair-rule variants' state for the kernel, or None when no projection uses a
        variant now (the kernel without their code runs then)."""
        for proj in net.projections.values():
            if proj.stdp is not None and proj.stdp.family == K.RULE_PAIR \
                    and uses_variants(proj.stdp):
                return self.pair_variants
        return None

    # ---------------------------------------------------------------- inputs of a chunk
    def chunk_inputs(self, n0, n1):
        """The kernel's inputs for steps ``[n0, n1)``: source spikes, current changes and
        Poisson-drive counts, drawn now (memory bounded by the chunk, not the run)."""
        steps, ids = [], []
        for name in self.pop_order:
            if name in self.explicit:
                s, i = self.explicit[name]
                a, b = np.searchsorted(s, [n0, n1])
                steps.append(s[a:b])
                ids.append(i[a:b])
            elif name in self.poisson:
                lo = self.offset[name]
                for stream, a, b in _spans(self.poisson[name], n0, n1):
                    s, i = stream.steps(a, b)
                    steps.append(s)
                    ids.append(i + lo)
        steps = np.concatenate(steps) if steps else np.zeros(0, np.int64)
        ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        src_ptr, src_ids = step_table(steps - n0, ids, n1 - n0)

        c_steps, c_ids, c_val = self._current_changes(n0, n1)   # sorted by step
        cur_ptr, cur_ids = step_table(c_steps - n0, c_ids, n1 - n0)

        pin_cnt = np.zeros((n1 - n0 if self.drives else 0, self.n_drive_cols), np.int32)
        for d in self.drives.values():
            for blocks, a, b in _spans(d["segments"], n0, n1):
                blocks.counts(a, b, pin_cnt[a - n0:b - n0, d["col"]:d["col"] + d["ids"].size])
        return K.Inputs(base=np.int64(n0), src_ptr=src_ptr, src_ids=src_ids,
                        cur_ptr=cur_ptr, cur_ids=cur_ids, cur_val=c_val,
                        pin_i=self.pin_i, pin_w=self.pin_w, pin_ids=self.pin_ids, pin_cnt=pin_cnt)

    def _current_changes(self, n0, n1):
        """(steps, global ids, values) where the injected current of a neuron changes in
        ``[n0, n1)``, sorted by step: at each step where some source changes, every neuron
        of the changing sources gets the sum over its sources (in creation order) of their
        values at that step, computed afresh (no running sums, so no drift)."""
        events = {}                                   # step -> sources changing then
        for k, c in enumerate(self.currents.values()):
            for s in _change_steps(c["segments"], n0, n1):
                events.setdefault(s, []).append(k)
        out_s, out_i, out_v = [], [], []
        sources = list(self.currents.values())
        for s in sorted(events):
            total = np.zeros(max(self.n_total, 1))
            for c in sources:
                np.add.at(total, c["ids"], _current_value(c["segments"], s))
            changed = np.unique(np.concatenate([sources[k]["ids"] for k in events[s]]))
            out_s.append(np.full(changed.size, s, np.int64))
            out_i.append(changed)
            out_v.append(total[changed])
        if not out_s:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(out_s), np.concatenate(out_i), np.concatenate(out_v)

    # ---------------------------------------------------------------- between runs
    def _log(self, what, **details):
        self.changes.append({"t": self.step * self.dt, "what": what, **details})

    def get_weights(self, proj):
        """The weights of ``proj`` now, in its synapse order: (n_syn,) copy."""
        w = _reward.weights(self, proj)                  # reward-modulated: w at this step
        if w is not None:
            return w
        span = self._span.get(proj.name)
        if span is not None:                             # kept in order: one block
            return self.syn.syn_w[span[0]:span[1]].copy()
        return self.syn.syn_w[self.perm[proj.name]]      # (a copy)

    def set_weights(self, proj, w):
        _reward.sync(self, proj)
        span = self._span.get(proj.name)
        self.syn.syn_w[slice(*span) if span is not None else self.perm[proj.name]] = w
        self._log(f"{proj.name}.weight", value=_summary(w))

    def table_bytes(self) -> dict:
        """Memory of the kernel's synapse tables, in bytes.

        Returns a dict:

        - ``"static_per_synapse"``, ``"plastic_per_synapse"``: bytes held per static and
          per plastic synapse for the network's life: its postsynaptic id (``syn_post``),
          weight (``syn_w``) and kernel index (``perm``, for reading and writing weights
          in the projection's order); a plastic synapse adds its entry in the
          postsynaptic (column) order (``col_syn``) and its presynaptic id there
          (``col_pre``);
        - ``"per_synapse_arrays"``: ``{array name: bytes per entry}`` for those five;
        - ``"n_static"``, ``"n_plastic"``: synapses of static and plastic projections;
        - ``"synapse_bytes"``: ``n_static * static_per_synapse + n_plastic *
          plastic_per_synapse``;
        - ``"rule_state_bytes"``: per-synapse state of rules that keep one (the
          presynaptic-centred pair scheme's traces, the reward rule's eligibility), apart;
        - ``"per_neuron_bytes"``: ``{name: bytes}`` of the tables that grow with neurons,
          delays or pathways, not synapses (``row_ptr``, ``col_ptr``, the STDP traces, the
          spike ring, the pathway rows and decay tables);
        - ``"total_bytes"``: all of the above.

        Counts the kernel's copies only (the projections' own ``pre_ids``, ``post_ids``,
        initial weights and delays are the network's, 32 bytes per synapse, apart)."""
        syn = self.syn
        item = {"syn_post": syn.syn_post.itemsize, "syn_w": syn.syn_w.itemsize,
                "perm": next((a.itemsize for a in self.perm.values()),
                             syn.col_syn.itemsize),
                "col_syn": syn.col_syn.itemsize, "col_pre": syn.col_pre.itemsize}
        static = item["syn_post"] + item["syn_w"] + item["perm"]
        plastic = static + item["col_syn"] + item["col_pre"]
        n_plastic = int(syn.col_syn.shape[0])
        n_static = int(syn.syn_post.shape[0]) - n_plastic
        rule_state = int(self.pair_variants.xsyn.nbytes)
        da = self.families[2]
        if da is not None:
            rule_state += int(da.c.nbytes + da.c_t.nbytes)
        tr = self.tr
        per_neuron = {"row_ptr": syn.row_ptr.nbytes, "col_ptr": syn.col_ptr.nbytes,
                      "traces": sum(a.nbytes for a in (tr.xpre, tr.xpre_t, tr.xpost,
                                                        tr.xpost_t,
                                                        self.pair_variants.xpost_prev)),
                      "ring": syn.ring.nbytes + syn.seg.nbytes,
                      "pathways": (syn.pw_i.nbytes + syn.pw_f.nbytes + tr.tab_plus.nbytes
                                   + tr.tab_minus.nbytes)}
        per_neuron = {k: int(v) for k, v in per_neuron.items()}
        synapse_bytes = n_static * static + n_plastic * plastic
        return {"static_per_synapse": static, "plastic_per_synapse": plastic,
                "per_synapse_arrays": item, "n_static": n_static, "n_plastic": n_plastic,
                "synapse_bytes": synapse_bytes, "rule_state_bytes": rule_state,
                "per_neuron_bytes": per_neuron,
                "total_bytes": synapse_bytes + rule_state + sum(per_neuron.values())}

    def get_var(self, pop, var):
        lo = self.offset[pop.name]
        return getattr(self.nrn, var)[lo:lo + pop.n].copy()

    def set_var(self, pop, var, values):
        lo = self.offset[pop.name]
        getattr(self.nrn, var)[lo:lo + pop.n] = values
        self._log(f"{pop.name}.{var}", value=_summary(values))

    def set_neuron_params(self, pop, values, names):
        self._fill_params(pop, values)
        self._log(f"{pop.name}.params", changed={k: _summary(values[k]) for k in names})

    def set_learning(self, proj, on):
        _reward.sync(self, proj)
        for p in self.pathways_of[proj.name]:
            self.syn.pw_i[p, K.LEARN] = 1 if on else 0
        self._log(f"{proj.name}.learning", value=on)

    def set_stdp(self, proj, stdp):
        _reward.sync(self, proj)
        for p in self.pathways_of[proj.name]:
            self.syn.pw_f[p] = stdp.kernel_row(self.dt)
            _rule_codes(self.syn.pw_i[p], stdp)
            self.tr.tab_plus[p] = _exp_table(self.syn.pw_f[p, K.C_PLUS])
            self.tr.tab_minus[p] = _exp_table(self.syn.pw_f[p, K.C_MINUS])
        _reward.set_source(self, proj, stdp)
        self._log(f"{proj.name}.stdp", value=stdp.to_dict())

    def set_rates(self, pop, spec):
        epoch = self.rate_epochs.get(pop.name, 0) + 1
        self.rate_epochs[pop.name] = epoch
        segs = [s for s in self.poisson[pop.name] if s[0] < self.step]
        segs.append((self.step, _poisson_stream(self.seed, self.dt, pop, epoch, self.step)))
        self.poisson[pop.name] = segs
        self._log(f"{pop.name}.rates", value=_rates_summary(spec))

    def set_drive_rate(self, drive, rate):
        d = self.drives[drive.name]
        epoch = self.drive_epochs.get(drive.name, 0) + 1
        self.drive_epochs[drive.name] = epoch
        segs = [s for s in d["segments"] if s[0] < self.step]
        segs.append((self.step, _CountBlocks(d["n_sources"], rate, d["ids"].size, self.dt,
                                             [self.seed, _STREAM_DRIVE, d["index"], epoch],
                                             self.step)))
        d["segments"] = segs
        self._log(f"{drive.name}.rate", value=rate)

    def set_current(self, src, seg):
        c = self.currents[src.name]
        c["segments"] = [s for s in c["segments"] if s["start"] < self.step] + [seg]
        src._segments = list(c["segments"])
        self._log(f"{src.name}.amplitude", value=_summary(np.asarray(seg["values"])))


def _spans(segments, n0, n1):
    """(stream, a, b) for each input-stream segment ``(start, stream)`` in force during part
    ``[a, b)`` of the steps ``[n0, n1)`` (a segment lasts until the next one starts)."""
    for k, (start, stream) in enumerate(segments):
        stop = segments[k + 1][0] if k + 1 < len(segments) else n1
        a, b = max(n0, start), min(n1, stop)
        if a < b:
            yield stream, a, b


def _change_steps(segments, n0, n1):
    """Steps in ``[n0, n1)`` at which a current source's value is (re)set: each segment's
    schedule from its start until the next segment's start."""
    for k, seg in enumerate(segments):
        stop = segments[k + 1]["start"] if k + 1 < len(segments) else n1
        steps = seg["steps"]
        yield from steps[(steps >= max(n0, seg["start"])) & (steps < min(n1, stop))].tolist()


def _current_value(segments, s):
    """A current source's value at step s, (n_target,): the segment in force at s, its
    last scheduled value at or before s (0 before the first)."""
    seg = [g for g in segments if g["start"] <= s][-1]
    k = int(np.searchsorted(seg["steps"], s, side="right")) - 1
    return seg["values"][k] if k >= 0 else np.zeros(seg["values"].shape[1])


def _read_only(ids):
    """A read-only int64 view of a projection's ids (no copy of millions of synapses)."""
    view = np.asarray(ids, dtype=np.int64).view()
    view.flags.writeable = False
    return view


def _per_value(f, *arrays):
    """``f`` applied element by element, evaluated once per distinct argument tuple (the C
    library's exp, as for one scalar; a homogeneous population costs one call)."""
    keys = np.stack(arrays, axis=1)
    if keys.shape[0] and bool((keys == keys[0]).all()):
        return np.full(keys.shape[0], f(*keys[0].tolist()))
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    return np.array([f(*row) for row in uniq.tolist()])[inverse.reshape(-1)]


def _target_code(synapse, receptor):
    """The kernel's target of a spike onto ``synapse``-type neurons through ``receptor``:
    v up or down (delta), or the excitatory / inhibitory current or conductance."""
    if synapse == "delta":
        return K.TARGET_V if receptor == "exc" else K.TARGET_V_INH
    return K.TARGET_E if receptor == "exc" else K.TARGET_I


def _rule_codes(row, rule):
    """Write a plasticity rule's family and codes into a pathway row (``pw_i[p]``)."""
    codes = rule.kernel_codes()
    row[K.RULE] = rule.family
    row[K.PAIRING] = codes.get("pairing", 0)
    row[K.SAME_STEP] = codes.get("same_step", 0)
    row[K.WDEP] = codes.get("wdep", 0)


# ---------------------------------------------------------------- memory
def _table_bytes(net, n_total):
    """Bytes of the kernel's tables: per synapse, per neuron, and the per-synapse state of
    rules that keep one."""
    n_syn = sum(p.n_syn for p in net.projections.values())
    extra = sum(p.n_syn * p.stdp.state_bytes_per_synapse
                for p in net.projections.values() if p.stdp is not None)
    return n_syn * (SYNAPSE_BYTES - 32) + n_total * 8 * (K.N_PAR + 8) + extra


class NonFiniteStateError(FloatingPointError):
    """The simulation state became infinite or NaN (e.g. a huge weight or current)."""


def _check_finite(state, net, n0, n1):
    """Raise NonFiniteStateError naming population, variable, neuron and time when any
    LIF state variable is not finite after steps [n0, n1)."""
    nrn = state.nrn
    for q in range(nrn.lif_i.shape[0]):
        lo, hi = int(nrn.lif_i[q, K.LO]), int(nrn.lif_i[q, K.HI])
        for var in ("v", "ge", "gi", "iext"):
            arr = getattr(nrn, var)[lo:hi]
            if not np.isfinite(arr).all():
                j = int(np.flatnonzero(~np.isfinite(arr))[0])
                name = next(p for p, off in state.offset.items()
                            if off == lo and net.populations[p].kind == "lif")
                label = {"ge": "ge (g_e or I_e)", "gi": "gi (g_i or I_i)",
                         "iext": "iext (injected current)"}.get(var, var)
                raise NonFiniteStateError(
                    f"the state became non-finite: {label} of neuron {j} of population "
                    f"{name!r} is {float(arr[j])!r} at t = {n1 * state.dt:g} ms (it was finite at "
                    f"t = {n0 * state.dt:g} ms); check the weights, currents and parameters "
                    f"that reach it")


def _select(what, sel, n):
    """The ids ``sel`` selects of ``n`` (``"all"``, a slice, or ids in ``[0, n)``). A
    selection is a set: an id given twice raises ``ValueError`` naming ``what`` and it."""
    if isinstance(sel, str):
        if sel != "all":
            raise ValueError(f"{what} must be 'all', a slice or an array of indices, got "
                             f"{V._show(sel)}")
        return np.arange(n, dtype=np.int64)
    if isinstance(sel, slice):
        return np.arange(n, dtype=np.int64)[sel]
    ids = V.index_array(what, sel, upper=n)
    order = np.argsort(ids, kind="stable")
    same = ids[order][1:] == ids[order][:-1]
    if same.any():
        k = int(np.flatnonzero(same)[0])
        first, second = sorted((int(order[k]), int(order[k + 1])))
        raise ValueError(f"{what} must not repeat an id (a selection is a set), got "
                         f"{int(ids[first])} twice (at indices {first} and {second}); give "
                         f"each id once, e.g. np.unique(ids)")
    return ids


def _named_selection(what, value, names, sizes, default):
    """``{name: local ids}`` from None (``default`` names, all ids), ``"all"``, a name, a
    population or subgroup, a list of those, or a dict ``{name: "all" | slice | ids}``."""
    def one(item):
        if hasattr(item, "population") and hasattr(item, "ids"):      # a subgroup
            name = getattr(item.population, "name", item.population)
            if name not in sizes:
                raise ValueError(f"{what} names an unknown population {name!r}; "
                                 f"known: {names}")
            return name, V.index_array(what, item.ids, upper=sizes[name])
        name = getattr(item, "name", item)
        if not isinstance(name, str) or name not in sizes:
            raise ValueError(f"{what} names an unknown population {V._show(item)}; known: "
                             f"{names}")
        return name, np.arange(sizes[name], dtype=np.int64)

    if value is None:
        return {name: np.arange(sizes[name], dtype=np.int64) for name in default}
    if isinstance(value, str) and value == "all":
        return {name: np.arange(sizes[name], dtype=np.int64) for name in names}
    if isinstance(value, dict):
        out = {}
        for name, sel in value.items():
            if name not in sizes:
                raise ValueError(f"{what} names an unknown population {name!r}; known: "
                                 f"{names}")
            out[name] = _select(f"{what}[{name!r}]", sel, sizes[name])
        return out
    if isinstance(value, (str,)) or hasattr(value, "name") or hasattr(value, "ids"):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be None, 'all', a list of populations (names or "
                        f"slices) or a dict {{name: 'all' | slice | ids}}, got "
                        f"{V._show(value)}")
    out = {}
    for item in value:
        name, ids = one(item)
        out[name] = np.union1d(out[name], ids) if name in out else ids
    return out


def _window(what, window, dt):
    """(lo, hi) steps of a recording window given in ms of network time (None: always)."""
    if window is None:
        return 0, np.iinfo(np.int64).max
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise TypeError(f"{what} must be None or (start, stop) in ms, got "
                        f"{V._show(window)}")
    a = V.non_negative(f"{what} start", window[0], "ms")
    b = V.positive(f"{what} stop", window[1], "ms")
    if b <= a:
        raise ValueError(f"{what} must have start < stop, got {V._show(window)}")
    return int(math.ceil(a / dt - 1e-9)), int(math.ceil(b / dt - 1e-9))


def _schedule(every, lo, hi, n_start, n_stop):
    """(every, lo, hi, row0) for samples at the multiples of ``every`` in the window
    ``[lo, hi)`` intersected with the run ``[n_start, n_stop)``, and the number of rows."""
    lo, hi = max(lo, n_start), min(hi, n_stop)
    row0 = -(-lo // every)
    rows = max(0, -(-hi // every) - row0) if hi > lo else 0
    return np.array([every, lo, hi, row0], dtype=np.int64), rows


def _check_threads(threads):
    """``threads`` as an int in [1, numba's thread count]; TypeError for a non-integer,
    ValueError naming the range and where its top comes from otherwise."""
    import numba

    limit = numba.config.NUMBA_NUM_THREADS
    threads = V.integer("threads", threads)
    if not 1 <= threads <= limit:
        env = os.environ.get("NUMBA_NUM_THREADS")
        source = (f"NUMBA_NUM_THREADS={env} in the environment" if env else
                  "the cores it found; the environment variable NUMBA_NUM_THREADS sets it")
        allowed = "1 here" if limit == 1 else f"between 1 and {limit}"
        raise ValueError(f"threads must be {allowed} (numba's thread count is {limit}: "
                         f"{source}), got threads={threads}")
    return threads


#: held around every call of the threaded kernel (see _kernel_for)
_PARALLEL_CALL = threading.Lock()


def _new_lock_in_child():
    """A forked child gets a fresh lock: one held by another thread of the parent at the
    fork would never be released in the child."""
    global _PARALLEL_CALL
    _PARALLEL_CALL = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)
#: the process that last called the threaded kernel (a forked child inherits it)
_threaded_pid = None


def _forked_after_openmp():
    """Whether this process was forked from one that ran the threaded kernel on numba's
    OpenMP layer: GNU OpenMP is not fork-safe, and numba terminates such a child when it
    enters a parallel region."""
    if _threaded_pid is None or _threaded_pid == os.getpid():
        return False
    import numba

    try:
        return numba.threading_layer() == "omp"
    except ValueError:                     # no layer started (none was inherited)
        return False


def _kernel_for(state, pv, threads):
    """The kernel call for this run: ``kernel(start, stop, inp, mon, counters)``, on one
    thread (:func:`neurolab._kernels.run_steps`) or on ``threads``
    (:func:`neurolab._parallel.run_steps_threads`, for the networks it is written for)."""
    if threads > 1:
        unsupported = [name for name, f in zip(("the triplet rule", "Vogels' inhibitory rule",
                                                "reward-modulated STDP", "homeostasis"),
                                               state.families) if f is not None]
        if pv is not None:
            unsupported.append("a pair-rule variant (pre-centred or restricted pairing, "
                               "power-law weights or a same-step order other than "
                               "'potentiate')")
        if unsupported:
            warnings.warn(f"threads={threads}: this network uses {', '.join(unsupported)}, "
                          f"which the threaded kernel does not implement; it runs on one "
                          f"thread (same results)", RuntimeWarning,
                          stacklevel=_caller_level())
            threads = 1
        elif "nest" in sys.modules:
            warnings.warn(f"threads={threads}: NEST is loaded in this process; its OpenMP "
                          f"runtime and numba's crash a process that runs both (a "
                          f"segmentation fault in nest.ResetKernel); it runs on one thread "
                          f"(same results). Run NEST and threaded neurolab in separate "
                          f"processes", RuntimeWarning, stacklevel=_caller_level())
            threads = 1
        elif _forked_after_openmp():
            warnings.warn(f"threads={threads}: this process was forked from one that ran "
                          f"threads > 1 on numba's OpenMP threading layer, which is not "
                          f"fork-safe; it runs on one thread (same results). Start worker "
                          f"processes with the 'spawn' method to use threads in them",
                          RuntimeWarning, stacklevel=_caller_level())
            threads = 1
    if threads == 1:
        def kernel(start, stop, inp, mon, counters):
            K.run_steps(start, stop, state.nrn, state.syn, state.tr, inp, mon, counters,
                        *state.families, pv)
        return kernel

    import numba

    from . import _parallel

    tables = state.thread_tables(threads)

    def kernel(start, stop, inp, mon, counters):
        # one threaded call at a time in this process: numba's workqueue threading layer
        # (its fallback without OpenMP or TBB) aborts the process on concurrent calls
        global _threaded_pid
        with _PARALLEL_CALL:
            _threaded_pid = os.getpid()
            before = numba.get_num_threads()
            numba.set_num_threads(threads)
            try:
                _parallel.run_steps_threads(start, stop, state.nrn, state.syn, state.tr, inp,
                                            mon, counters, *tables, None)
            finally:
                numba.set_num_threads(before)
    return kernel


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
    record_state : ``{population name: "all" | slice | neuron indices}`` (LIF populations).
    state_vars : subset of ``("v", "ge", "gi", "theta")``; ``"theta"`` (the adaptive
        threshold offset, mV) needs every population of ``record_state`` to have one.
    state_dt : state sampling period (ms), a multiple of dt; default dt.
    progress : ``True``/``False`` to force a tqdm progress bar on/off; ``None`` shows one
        when the run is expected to take more than about two seconds.
    chunk_steps : steps per kernel call; ``None`` adapts it so that each call takes about
        0.1 s. Results do not depend on it (bitwise).
    threads : worker threads for the step loop, 1 (default) up to numba's thread count
        (``numba.config.NUMBA_NUM_THREADS``, the machine's cores unless the environment
        variable ``NUMBA_NUM_THREADS`` says otherwise). Each thread owns a range of neurons
        and the synapses onto them (see :mod:`neurolab._parallel`), so spikes and weights
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
        ``"spawn"`` instead. With NEST imported, threads > 1 also runs on one thread with a
        warning: NEST's bundled OpenMP runtime and numba's crash a process that runs both.

    Input is drawn chunk by chunk, so memory does not grow with the duration unless a
    recording does. The run advances in chunks (which changes no result). Ctrl-C, or a
    notebook's stop button, ends it cleanly after the current chunk (also while input is
    being drawn): the partial result is returned with ``interrupted=True``, a warning says
    so, and ``net.t`` is where it stopped.

    Raises
    ------
    ValueError, TypeError : bad arguments (naming the parameter, the value, what is allowed).
    MemoryError : the recordings (or the network's tables) would not fit in the available
        memory; the message says how much is needed and what to change. Raised before
        anything is allocated or simulated.
    NonFiniteStateError : the state became infinite or NaN; names the population, the
        variable, the neuron and the time.
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
                               [k for k, p in pops.items() if p.kind == "lif"])
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
    lif_names = [p for p in pops if pops[p].kind == "lif"]
    s_sel = {}
    for name, sel in (record_state or {}).items():
        if name not in pops or pops[name].kind != "lif":
            raise ValueError(f"record_state names {name!r}, which is not a LIF population; "
                             f"LIF populations: {lif_names}")
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
    bar = None
    chunk = min(256, max_chunk) if chunk_steps is None else chunk_steps
    t_base = None   # wall time and step after the first call (which may include the JIT)
    n_base = 0
    try:
        pv = state.variants(net)       # the rules cannot change during a run
        kernel = _kernel_for(state, pv, threads)
        while counters[K.C_STEP] < n_stop:
            n0 = int(counters[K.C_STEP])
            n1 = min(n_stop, n0 + chunk)
            t0 = time.perf_counter()
            inp = state.chunk_inputs(n0, n1)
            while True:
                start = int(counters[K.C_STEP])
                kernel(start, n1, inp, mon, counters)
                reached = int(counters[K.C_STEP])
                state.step = reached
                _check_finite(state, net, start, reached)
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
    finally:
        if bar is not None:
            bar.close()
    reached = int(counters[K.C_STEP])
    state.step = reached
    interrupted = interrupted or reached < n_stop
    if interrupted:
        warnings.warn(f"simulation interrupted at t = {reached * dt:g} ms of "
                      f"{n_stop * dt:g} ms; the partial result is kept (SimResult.interrupted "
                      f"is True) and the network stays at t = {reached * dt:g} ms",
                      RuntimeWarning, stacklevel=_caller_level())

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
    return res
