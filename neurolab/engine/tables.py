"""The tables a network runs on, and the state its runs continue from (:class:`RunState`).

:class:`RunState` builds, from a network's documented attributes, the packed neuron,
synapse and trace tables whose column layout :mod:`neurolab.base.layout` defines, keeps
them between runs (so ``run(a)`` then ``run(b)`` equals ``run(a + b)``), and applies the
changes a user makes between runs.

Room: ``neurolab.engine``. May import: numpy, ``neurolab.base``, ``neurolab.plasticity``
and ``neurolab.engine.kernels``.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernels as K
from . import models as _models
from ..plasticity.pair import uses_variants
from ..base import validate as V
from ..base.poisson import _CountBlocks, explicit_steps, step_table
from ..base.resources import NEURON_BYTES, SYNAPSE_BYTES, check_memory
from ..base.streams import _STREAM_DRIVE, _poisson_stream, _rates_summary
from ..base.io import summary as _summary
from ..plasticity import clopath as _clopath
from ..plasticity import homeostasis as _homeo
from ..plasticity import inhibitory as _inh
from ..plasticity import reward as _reward
from ..plasticity import triplet


STATE_VARS = ("v", "ge", "gi", "theta", "w", "u")
#: population kinds of the neuron models beyond LIF, and their kernel codes
MODEL_KINDS = {"adex": K.L.MODEL_ADEX, "izhikevich": K.L.MODEL_IZHIKEVICH}
EXP_TABLE = 4096   # trace lags (steps) whose decay factor is looked up, not computed
NEVER = -(1 << 40)  # the step of a spike that has not happened
#: the largest id an int32 index table holds
INDEX32_MAX = 2 ** 31 - 1
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
        self.models = self._build_models(net)
        self._build_pathways(net)
        # the optional rule families' state: (triplet, inhibitory, reward, homeostasis)
        self.families = (triplet.build_state(self, net), _inh.build_state(self, net),
                         _reward.build_state(self, net), _homeo.build_state(self, net))
        # Clopath's voltage rule (its own kernel argument, after the neuron models)
        self.clopath = _clopath.build_state(self, net)

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

    def _build_models(self, net):
        """The AdEx and Izhikevich populations' tables and state
        (:class:`neurolab.engine.models.Models`), or None when there are none."""
        pops = [p for p in net.populations.values() if p.kind in MODEL_KINDS]
        if not pops:
            return None
        size = max(self.n_total, 1)
        m_i = np.zeros((len(pops), K.L.N_M_I), dtype=np.int64)
        self.model_row = {}
        w = np.zeros(size)
        for r, pop in enumerate(pops):
            lo = self.offset[pop.name]
            self.model_row[pop.name] = r
            m_i[r, K.L.M_LO], m_i[r, K.L.M_HI] = lo, lo + pop.n
            m_i[r, K.L.M_KIND] = MODEL_KINDS[pop.kind]
            m_i[r, K.L.M_MODE] = _MODES[pop.params.synapse]
            m_i[r, K.L.M_METHOD] = (K.L.IZH_HALF_STEPS
                                    if getattr(pop.params, "method", "") == "half_steps"
                                    else K.L.IZH_EULER)
            m_i[r, K.L.M_HAS_IEXT] = any(c.target is pop for c in net.currents.values())
            self.nrn.v[lo:lo + pop.n] = pop.v_init
            w[lo:lo + pop.n] = pop._w_init
        self.models = _models.Models(
            pop_row=np.array([self.model_row.get(p, -1) for p in net.populations], np.int64),
            m_i=m_i, m_f=np.array([self.dt]), mpar=np.zeros((K.L.N_MPAR, size)), w=w,
            s_w=np.zeros((0, 0)), z=np.zeros(size), v_th=np.zeros(size))
        for pop in pops:
            self._fill_model_params(pop, pop.neuron_params, initial=True)
        return self.models

    def _fill_model_params(self, pop, values, initial=False):
        """An AdEx or Izhikevich population's per-neuron parameters into ``models.mpar``."""
        L = K.L
        lo = self.offset[pop.name]
        sl = slice(lo, lo + pop.n)
        mpar = self.models.mpar
        if pop.kind == "adex":
            for row, name in ((L.A_C, "C"), (L.A_GL, "g_L"), (L.A_EL, "E_L"), (L.A_VT, "V_T"),
                              (L.A_DT, "Delta_T"), (L.A_VP, "V_peak"), (L.A_VR, "V_reset"),
                              (L.A_TW, "tau_w"), (L.A_A, "a"), (L.A_B, "b"),
                              (L.A_IB, "I_bias"), (L.A_TE, "tau_e"), (L.A_TI, "tau_i"),
                              (L.A_EE, "E_e"), (L.A_EI, "E_i")):
                mpar[row, sl] = values[name]
            self.nrn.kref[sl] = np.rint(values["refractory"] / self.dt).astype(np.int64)
            mpar[L.A_VC, sl] = values["V_clamp"]
            mpar[L.A_KC, sl] = np.rint(np.asarray(values["t_clamp"]) / self.dt)
            # Clopath's after-spike current and adaptive threshold (V_th_max >= V_T is
            # checked neuron by neuron when the values are resolved)
            vmax = values.get("V_th_max")
            mpar[L.A_ISP, sl] = values["I_sp"]
            mpar[L.A_VTM, sl] = values["V_T"] if vmax is None else vmax
            mpar[L.A_EZH, sl] = _per_value(lambda x: math.exp(-0.5 * self.dt / x),
                                           values["tau_z"])
            mpar[L.A_EVH, sl] = _per_value(lambda x: math.exp(-0.5 * self.dt / x),
                                           values["tau_V_th"])
            if initial or vmax is None:
                # v_th starts at (and, without the adaptive threshold, stays) V_T
                self.models.v_th[sl] = values["V_T"]
        else:
            for row, name in ((L.Z_A, "a"), (L.Z_B, "b"), (L.Z_C, "c"), (L.Z_D, "d"),
                              (L.Z_VP, "v_peak"), (L.Z_IB, "I_bias"), (L.Z_EE, "E_e"),
                              (L.Z_EI, "E_i")):
                mpar[row, sl] = values[name]
            mpar[L.Z_PE, sl] = _per_value(lambda x: math.exp(-self.dt / x), values["tau_e"])
            mpar[L.Z_PI, sl] = _per_value(lambda x: math.exp(-self.dt / x), values["tau_i"])
            self.nrn.kref[sl] = 0

    def models_for_run(self, s_w):
        """The models' tables with this run's recording of ``w``/``u``, or None."""
        if self.models is None:
            return None
        return self.models._replace(s_w=s_w)

    def _build_pathways(self, net):
        """The kernel's synapse tables (:class:`neurolab.engine.kernels.Pathways`), the STDP traces
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
        partitions (:mod:`neurolab.engine.parallel`); kept, as the structure cannot change."""
        from . import parallel as _parallel

        cache = self.__dict__.setdefault("_thread_tables", {})
        if parts not in cache:
            if "sorted_rows" not in cache:
                cache["sorted_rows"] = _parallel.rows_ascending(self.syn)
            n_pop = self.nrn.pop_lif.shape[0]
            rows = None if self.models is None else self.models.pop_row
            cache[parts] = (*_parallel.partition(self.nrn, parts, rows), cache["sorted_rows"],
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
        ``[n0, n1)``, sorted by step then id: at each step where some source changes, every
        neuron of the changing sources gets the sum over its sources (in creation order,
        from 0) of their values at that step, computed afresh (no running sums, so no
        drift). Vectorised: a schedule with a value per step and neuron costs numpy work
        per entry, not Python work per step."""
        sources = list(self.currents.values())
        changes = [_change_steps(c["segments"], n0, n1) for c in sources]
        if not any(s.size for s in changes):
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        steps = np.unique(np.concatenate(changes))
        ids = np.unique(np.concatenate([c["ids"] for c in sources]))
        n_pairs = sum(s.size * c["ids"].size for s, c in zip(changes, sources))
        if steps.size * ids.size > 2 * n_pairs + 4096:
            return self._current_changes_sparse(sources, changes)
        # dense: (changing steps) x (neurons with a current); a source's ids are distinct
        total = np.zeros((steps.size, ids.size))
        changed = np.zeros((steps.size, ids.size), bool)
        for c, s in zip(sources, changes):      # creation order, as the sum's order
            col = np.searchsorted(ids, c["ids"])
            every = col.size == ids.size
            vals = _current_rows(c["segments"], steps)
            if every:
                total += vals
            else:
                total[:, col] += vals
            if s.size:
                row = np.searchsorted(steps, s)
                if every:
                    changed[row] = True
                else:
                    changed[np.ix_(row, col)] = True
        if changed.all():
            shape = (steps.size, ids.size)
            return (np.broadcast_to(steps[:, None], shape).ravel(),
                    np.broadcast_to(ids[None, :], shape).ravel(), total.ravel())
        r, k = np.nonzero(changed)
        return steps[r], ids[k], total[r, k]

    def _current_changes_sparse(self, sources, changes):
        """:meth:`_current_changes` pair by pair (step, neuron), for schedules that touch few
        of the (step, neuron) pairs of the dense layout."""
        n = max(self.n_total, 1)
        key = np.unique(np.concatenate([(s[:, None] * n + c["ids"][None, :]).ravel()
                                        for s, c in zip(changes, sources)]))
        step, ids = np.divmod(key, n)
        total = np.zeros(key.size)
        local = np.full(n, -1, np.int64)
        for c in sources:
            local[:] = -1
            local[c["ids"]] = np.arange(c["ids"].size)
            pos = local[ids]
            sel = np.flatnonzero(pos >= 0)
            if sel.size:
                total[sel] += _current_rows(c["segments"], step[sel], pos[sel])
        return step, ids, total

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

    def _var_array(self, var):
        if var in ("z", "v_th"):
            return getattr(self.models, var)
        return self.models.w if var in ("w", "u") else getattr(self.nrn, var)

    def get_var(self, pop, var):
        lo = self.offset[pop.name]
        return self._var_array(var)[lo:lo + pop.n].copy()

    def set_var(self, pop, var, values):
        lo = self.offset[pop.name]
        self._var_array(var)[lo:lo + pop.n] = values
        self._log(f"{pop.name}.{var}", value=_summary(values))

    def set_neuron_params(self, pop, values, names):
        if pop.kind in MODEL_KINDS:
            self._fill_model_params(pop, values)
        else:
            self._fill_params(pop, values)
        self._log(f"{pop.name}.params", changed={k: _summary(values[k]) if k in values
                                                 else None for k in names})

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

    def set_explicit(self, pop, times, indices):
        """Explicit source ``pop`` emits ``times``/``indices`` (all its spikes, ms; the
        kernel reaches only those from ``self.step`` on)."""
        s, i = explicit_steps(times, indices, self.dt, pop.name)
        self.explicit[pop.name] = (s, i + self.offset[pop.name])
        self._log(f"{pop.name}.add_spikes", n_spikes=int(s.size))

    def set_current(self, src, seg):
        c = self.currents[src.name]
        # the new segment starts at this step and holds from here on: the earlier ones are
        # never read again (chunks start at or after this step), so they are dropped, which
        # keeps a schedule set every chunk of a long run (a noise current) from piling up
        c["segments"] = [seg]
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
    """Steps in ``[n0, n1)`` at which a current source's value is (re)set, ascending
    (int64): each segment's schedule from its start until the next segment's start."""
    parts = []
    for k, seg in enumerate(segments):
        stop = segments[k + 1]["start"] if k + 1 < len(segments) else n1
        steps = seg["steps"]
        parts.append(steps[(steps >= max(n0, seg["start"])) & (steps < min(n1, stop))])
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _current_rows(segments, steps, pos=None):
    """A current source's values at ``steps`` (m,): its (m, n_target) rows or, with ``pos``
    (m,) local target indices, one value per step. In each step the segment in force (the
    last that starts at or before it), its last scheduled value at or before the step (0
    before the first)."""
    out = np.zeros(steps.size if pos is not None else (steps.size,
                                                       segments[0]["values"].shape[1]))
    for k, seg in enumerate(segments):
        nxt = segments[k + 1]["start"] if k + 1 < len(segments) else None
        sel = steps >= seg["start"]
        if nxt is not None:
            sel &= steps < nxt
        idx = np.flatnonzero(sel)
        if not idx.size:
            continue
        row = np.searchsorted(seg["steps"], steps[idx], side="right") - 1
        ok = row >= 0
        if pos is None:
            out[idx[ok]] = seg["values"][row[ok]]
        else:
            out[idx[ok]] = seg["values"][row[ok], pos[idx[ok]]]
    return out


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
    if any(p.kind in MODEL_KINDS for p in net.populations.values()):
        extra += n_total * 8 * (K.L.N_MPAR + 3)       # the models' parameters, w/u, z, v_th
    return n_syn * (SYNAPSE_BYTES - 32) + n_total * NEURON_BYTES + extra
