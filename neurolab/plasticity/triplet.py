"""Triplet STDP (Pfister & Gerstner 2006, J Neurosci 26:9673-9682).

Rule
----
Each synapse sees two presynaptic traces and two postsynaptic traces (dimensionless, ms):

    r1: decays with tau_plus     r2: decays with tau_x     (presynaptic; t_pre = arrival)
    o1: decays with tau_minus    o2: decays with tau_y     (postsynaptic)

At a presynaptic arrival (delays are axonal, Brian2's meaning: the whole presynaptic
pathway, traces included, runs when the spike arrives at the synapse):

    w <- clip(w - o1 * (A2_minus + A3_minus * r2(just before)), w_min, w_max)
    then r1, r2 updated

and at a postsynaptic spike:

    w <- clip(w + r1 * (A2_plus + A3_plus * o2(just before)), w_min, w_max)
    then o1, o2 updated

where "just before" excludes the spike's own contribution to its slow trace. The update of
a trace at its neuron's spike is the *interaction* (the paper's two spike-interaction
types):

- ``"all_to_all"``: ``r += 1`` (every earlier spike counts: the traces are sums over all
  earlier spikes, ``r1(t) = sum_k exp(-(t - t_k)/tau_plus)``); NEST's
  ``stdp_triplet_synapse``.
- ``"nearest_spike"``: ``r = 1`` (the trace remembers the last spike only,
  ``r1(t) = exp(-(t - t_last)/tau_plus)``); the paper's "nearest-spike" (minimal
  interaction) model.

Pair terms: ``A2_plus`` (pre-then-post), ``A2_minus`` (post-then-pre); triplet terms:
``A3_plus`` (post-pre-post: potentiation grows with recent postsynaptic activity),
``A3_minus`` (pre-post-pre). Setting both triplet amplitudes to 0 gives the pair rule
(:class:`~neurolab.plasticity.pair.STDPParams` with traces of amplitude ``A2_plus``,
``A2_minus``). The *minimal* models of the paper have ``A3_minus = 0`` (and, for the visual
cortex, ``A2_plus = 0``); ``tau_x`` then has no effect.

A pre and a post spike in the *same step* follow Brian2's order of pathways: the
presynaptic pathway runs first, so the arrival updates r1, r2 (and depresses with o1 from
earlier postsynaptic spikes) before the postsynaptic spike potentiates with the r1 that
includes it: a same-step pair counts as pre-then-post (``Δt = 0``: ``+A2_plus + A3_plus
o2``). NEST's ``stdp_triplet_synapse`` instead discards such zero-interval pairs.

Published parameter sets
------------------------
:meth:`TripletSTDP.preset` returns the fits of Pfister & Gerstner (2006), Table 3 (visual
cortex slices, Sjöström, Turrigiano & Nelson 2001) and Table 4 (hippocampal cultures, Wang
et al. 2005), each for both interaction types, full (all four amplitudes) and minimal
models. ``tau_plus = 16.8 ms`` and ``tau_minus = 33.7 ms`` in every row (Bi & Poo's window).
Amplitudes are per spike pair/triplet in units of the weight (the paper's weights are
relative). ``tau_x`` is blank in the paper for the minimal models (``A3_minus = 0`` makes
it inert); those presets carry the same table's full-model value.

=====================================  ======  ======  ========  ========  ========  ========
preset                                 tau_x   tau_y   A2_plus   A3_plus   A2_minus  A3_minus
=====================================  ======  ======  ========  ========  ========  ========
visual_cortex_all_to_all_full          (101)   125     5e-10     6.2e-3    7e-3      2.3e-4
visual_cortex_all_to_all_minimal       --      114     0         6.5e-3    7.1e-3    0
visual_cortex_nearest_spike_full       (714)   40      8.8e-11   5.3e-2    6.6e-3    3.1e-3
visual_cortex_nearest_spike_minimal    --      40      0         5.2e-2    8e-3      0
hippocampal_all_to_all_full            946     27      6.1e-3    6.7e-3    1.6e-3    1.4e-3
hippocampal_all_to_all_minimal         --      40      5.3e-3    8e-3      3.5e-3    0
hippocampal_nearest_spike_full         (575)   47      4.6e-3    9.1e-3    3e-3      7.5e-9
hippocampal_nearest_spike_minimal      --      48      4.6e-3    9.1e-3    3e-3      0
=====================================  ======  ======  ========  ========  ========  ========

(Parentheses: the paper's mark for a time constant the fit is insensitive to.) The values
were read from the paper's tables as quoted by public code, no copy of the paper being at
hand; see :data:`PRESET_SOURCES` for which sources agree on each row.

Implementation
--------------
r1 and o1 are the pathway's ordinary trace slots (``Traces.xpre``/``xpost``: one per
presynaptic / postsynaptic neuron and pathway, decay tables ``tab_plus``/``tab_minus``);
r2 and o2 live in the family state :class:`TripletState` at the same slot indices and share
the time of their fast partner (both change at the same spikes). Traces are event-driven:
decayed when read or updated; r1 and o1, read once per synapse, through the pathway's
decay tables, r2 and o2, read once per spike, with ``math.exp`` (no tables to keep up to
date when :meth:`Projection.set_stdp` changes ``tau_x`` or ``tau_y``). Kernel parameters per pathway (``pw_f[p]``): ``A2_plus``,
``A2_minus``, ``dt/tau_plus``, ``dt/tau_minus``, ``w_min``, ``w_max`` in the pair rule's
columns, then ``A3_plus``, ``A3_minus``, ``dt/tau_x``, ``dt/tau_y``.

Room: ``neurolab.plasticity``. May import: numpy, numba, ``neurolab.base`` and
``neurolab.plasticity.pair``.
"""

from __future__ import annotations

import math
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..base import validate as V
from ..base.jit import CALLEE
from ..base.layout import (A_MINUS, A_PLUS, C_MINUS, C_PLUS, COL_OFF, LEARN, N_PW_F, PAIR_ALL,
                           PAIR_NEAREST, PAIRING, PLASTIC, POST_LO, POST_POP, PRE_LO, RULE,
                           RULE_TRIPLET, W_MAX, W_MIN, XPOST_OFF, XPRE_OFF)
from .pair import PlasticityRule, deliver, trace_now, trace_spike

# the triplet family's columns of pw_f beyond the pair rule's (A_PLUS = A2_plus,
# A_MINUS = A2_minus, C_PLUS, C_MINUS, W_MIN, W_MAX)
A3_PLUS, A3_MINUS, C_X, C_Y = 6, 7, 8, 9

INTERACTIONS = ("all_to_all", "nearest_spike")
INTERACTION_CODES = {"all_to_all": PAIR_ALL, "nearest_spike": PAIR_NEAREST}

TripletState = namedtuple("TripletState", ["r2", "o2"])
TripletState.__doc__ = """The triplet family's state passed to the kernel (``trip``):
``r2[k]``: slow presynaptic trace of presynaptic slot k (the pathway's ``XPRE_OFF`` + local
index; last updated at ``Traces.xpre_t[k]``), ``o2[k]``: slow postsynaptic trace of
postsynaptic slot k (``XPOST_OFF`` + local index; time ``Traces.xpost_t[k]``)."""

#: The published fits, by name: (tau_x, tau_y, A2_plus, A3_plus, A2_minus, A3_minus,
#: interaction); tau_plus = 16.8 ms and tau_minus = 33.7 ms in every row. Minimal models:
#: tau_x is blank in the paper (inert, as A3_minus = 0): the full model's value of the same
#: table and interaction is used.
PRESETS = {
    # Table 3: visual cortex (Sjöström et al. 2001)
    "visual_cortex_all_to_all_full": (101.0, 125.0, 5e-10, 6.2e-3, 7e-3, 2.3e-4, "all_to_all"),
    "visual_cortex_all_to_all_minimal": (101.0, 114.0, 0.0, 6.5e-3, 7.1e-3, 0.0, "all_to_all"),
    "visual_cortex_nearest_spike_full": (714.0, 40.0, 8.8e-11, 5.3e-2, 6.6e-3, 3.1e-3,
                                         "nearest_spike"),
    "visual_cortex_nearest_spike_minimal": (714.0, 40.0, 0.0, 5.2e-2, 8e-3, 0.0,
                                            "nearest_spike"),
    # Table 4: hippocampal cultures (Wang et al. 2005)
    "hippocampal_all_to_all_full": (946.0, 27.0, 6.1e-3, 6.7e-3, 1.6e-3, 1.4e-3, "all_to_all"),
    "hippocampal_all_to_all_minimal": (946.0, 40.0, 5.3e-3, 8e-3, 3.5e-3, 0.0, "all_to_all"),
    "hippocampal_nearest_spike_full": (575.0, 47.0, 4.6e-3, 9.1e-3, 3e-3, 7.5e-9,
                                       "nearest_spike"),
    "hippocampal_nearest_spike_minimal": (575.0, 48.0, 4.6e-3, 9.1e-3, 3e-3, 0.0,
                                          "nearest_spike"),
}

#: Where the preset values were read (the paper itself was not at hand): which public
#: sources quote each row, and where they disagree.
PRESET_SOURCES = {
    "visual_cortex_all_to_all_full":
        "zifeo/nest-stdpmodule examples/PfisterGerstnerPairing*.py (EPFL NEST module); "
        "russelljjarvis/SNNUtils src/learning/stdp.jl pfister_visualcortex(true, true); "
        "a Rust crate's TripletStdp::visual_cortex_full docs (Table 3 'All-to-All / Full'): "
        "all three agree",
    "visual_cortex_all_to_all_minimal":
        "Rust crate TripletStdp::visual_cortex_minimal (A2+ 0, A3+ 6.5e-3, A2- 7.1e-3, "
        "tau_y 114); Auryn (Zenke) TripletConnection.cpp (A3+ 6.5e-3, tau_y = tau_long = "
        "114 ms); SNNUtils pfister_visualcortex(true, false) agrees on the amplitudes but "
        "gives tau_y 125 (the full row's value, which the other two place there only)",
    "visual_cortex_nearest_spike_full":
        "zifeo/nest-stdpmodule (nearest_syn_spec); SNNUtils pfister_visualcortex(false, "
        "true); the Rust crate's docs (tau_x 714, tau_y 40): all agree",
    "visual_cortex_nearest_spike_minimal":
        "SNNUtils pfister_visualcortex(false, false) only (A3+ 5.2e-2, A2- 8e-3, tau_y 40); "
        "not cross-checked with a second source",
    "hippocampal_all_to_all_full":
        "the Rust crate's TripletStdp::hippocampal_full docs (Table 4 'All-to-All / Full'); "
        "one source only",
    "hippocampal_all_to_all_minimal":
        "the Rust crate's docs, note on hippocampal_full ('the hippocampal all-to-all minimal "
        "row ... tau_y is 40 ms'); one source only",
    "hippocampal_nearest_spike_full":
        "the Rust crate's TripletStdp::hippocampal_full_nearest_spike docs (Table 4 "
        "'Nearest-Spike / Full'); one source only",
    "hippocampal_nearest_spike_minimal":
        "no public source found; values as recalled from the paper's Table 4 (tau_y 48 ms, "
        "amplitudes of the nearest-spike full row with A3- = 0): verify against the paper",
}


@dataclass(frozen=True)
class TripletSTDP(PlasticityRule):
    """Triplet STDP of Pfister & Gerstner (2006, J Neurosci 26:9673), per synapse.

    At a presynaptic arrival ``t`` (axonal delays: the arrival time at the synapse)
    ``w -= o1(t) * (A2_minus + A3_minus * r2(t-))``, then ``r1``, ``r2`` are updated; at a
    postsynaptic spike ``w += r1(t) * (A2_plus + A3_plus * o2(t-))``, then ``o1``, ``o2``;
    ``w`` clipped to ``[w_min, w_max]`` after each update. Traces (dimensionless) decay
    with ``tau_plus`` (r1), ``tau_x`` (r2), ``tau_minus`` (o1), ``tau_y`` (o2) and, at
    their neuron's spike, add 1 (``interaction="all_to_all"``) or are set to 1
    (``"nearest_spike"``). A pre and a post spike in the same step: the presynaptic
    pathway runs first (Brian2's order), so the pair potentiates. Equations and the
    parameter table in :mod:`neurolab.plasticity.triplet`; the paper's fits are
    :meth:`preset`\\ s.

    Parameters
    ----------
    A2_plus, A3_plus : pair and triplet potentiation amplitudes (units of ``w``), >= 0.
    A2_minus, A3_minus : pair and triplet depression amplitudes (units of ``w``), >= 0.
    tau_plus, tau_x : presynaptic trace time constants (ms), > 0 (r1, r2).
    tau_minus, tau_y : postsynaptic trace time constants (ms), > 0 (o1, o2).
    w_min, w_max : hard bounds, ``w_min < w_max`` (a plastic projection needs
        ``w_min >= 0``: weights are magnitudes). Units of ``w``.
    interaction : ``"all_to_all"`` (default; traces add 1) or ``"nearest_spike"``
        (traces reset to 1).

    Defaults: the visual-cortex all-to-all minimal model (Table 3), ``w`` in [0, 1].
    Raises ``TypeError`` / ``ValueError`` naming the parameter, its value and what is
    allowed.
    """

    A2_plus: float = 0.0
    A3_plus: float = 6.5e-3
    A2_minus: float = 7.1e-3
    A3_minus: float = 0.0
    tau_plus: float = 16.8
    tau_x: float = 101.0
    tau_minus: float = 33.7
    tau_y: float = 114.0
    w_min: float = 0.0
    w_max: float = 1.0
    interaction: str = "all_to_all"

    family = RULE_TRIPLET
    reference = "Pfister & Gerstner 2006 (NEST stdp_triplet_synapse)"

    def __post_init__(self):
        for name in ("A2_plus", "A3_plus", "A2_minus", "A3_minus"):
            object.__setattr__(self, name, V.non_negative(name, getattr(self, name)))
        for name in ("tau_plus", "tau_x", "tau_minus", "tau_y"):
            object.__setattr__(self, name, V.positive(name, getattr(self, name), "ms"))
        self._check_bounds()
        V.choice("interaction", self.interaction, INTERACTIONS)

    @classmethod
    def preset(cls, name: str, *, w_min: float = 0.0, w_max: float = 1.0) -> "TripletSTDP":
        """One of the paper's parameter sets (Pfister & Gerstner 2006, Tables 3 and 4):
        ``"{visual_cortex|hippocampal}_{all_to_all|nearest_spike}_{full|minimal}"``
        (the table in :mod:`neurolab.plasticity.triplet`; :data:`PRESETS` lists them,
        :data:`PRESET_SOURCES` says where each was read). ``w_min``, ``w_max``: the hard
        bounds (units of ``w``; the paper's amplitudes are relative changes)."""
        V.choice("preset", name, tuple(PRESETS))
        tau_x, tau_y, a2p, a3p, a2m, a3m, interaction = PRESETS[name]
        return cls(A2_plus=a2p, A3_plus=a3p, A2_minus=a2m, A3_minus=a3m, tau_plus=16.8,
                   tau_x=tau_x, tau_minus=33.7, tau_y=tau_y, w_min=w_min, w_max=w_max,
                   interaction=interaction)

    def time_constants(self):
        return {"tau_plus": self.tau_plus, "tau_x": self.tau_x, "tau_minus": self.tau_minus,
                "tau_y": self.tau_y}

    def layout(self):
        # both interactions keep the same traces: set_stdp may switch between them
        return (type(self).family, 0)

    def kernel_row(self, dt):
        row = [0.0] * N_PW_F
        row[A_PLUS], row[A_MINUS] = self.A2_plus, self.A2_minus
        row[C_PLUS], row[C_MINUS] = dt / self.tau_plus, dt / self.tau_minus
        row[W_MIN], row[W_MAX] = self.w_min, self.w_max
        row[A3_PLUS], row[A3_MINUS] = self.A3_plus, self.A3_minus
        row[C_X], row[C_Y] = dt / self.tau_x, dt / self.tau_y
        return row

    def kernel_codes(self):
        return {"pairing": INTERACTION_CODES[self.interaction]}


def build_state(state, net):
    """The triplet family's kernel state for ``state`` (a :class:`RunState` whose
    pathways are built), or ``None`` when no projection of ``net`` uses the rule (the
    kernel then compiles without it)."""
    if not any(isinstance(p.stdp, TripletSTDP) for p in net.projections.values()):
        return None
    return TripletState(r2=np.zeros(state.tr.xpre.shape[0]),
                        o2=np.zeros(state.tr.xpost.shape[0]))


# ------------------------------------------------------------------ kernel functions
@njit(**CALLEE)
def _slow_now(x, x_t, n, c):
    """A slow trace (r2, o2) at step n, last set at step x_t, decaying by exp(-c) per step."""
    if x_t == n or x == 0.0:
        return x
    return x * math.exp(-(n - x_t) * c)


@njit(**CALLEE)
def pre_pathway(n, p, r, s0, s1, target, post_lo, xs, xq, nearest, learn, pw_f, syn_post,
                syn_w, xpre, xpre_t, xpost, xpost_t, r2, tab_plus, tab_minus, v, ge, gi,
                accept):
    """Presynaptic pathway p of a triplet projection for the arrival of presynaptic (local)
    neuron r at step n: for each synapse s0 .. s1-1 deliver ``w`` to its target and
    depress it by ``o1 (A2_minus + A3_minus r2)`` with r2 from before this arrival (not
    while learning is frozen); then r1 (``xpre``) and r2 add 1 or reset to 1."""
    k = xs + r
    t_prev = xpre_t[k]
    r2_before = _slow_now(r2[k], t_prev, n, pw_f[p, C_X])
    dep = pw_f[p, A_MINUS] + pw_f[p, A3_MINUS] * r2_before
    trace_spike(xpre, xpre_t, k, n, pw_f[p, C_PLUS], tab_plus, p, 1.0, nearest)
    r2[k] = 1.0 if nearest else r2_before + 1.0
    c_minus = pw_f[p, C_MINUS]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    off = xq - post_lo
    for s in range(s0, s1):
        j = syn_post[s]
        w = syn_w[s]
        deliver(j, w, target, v, ge, gi, accept)
        if learn:
            c = off + j
            w = w - trace_now(xpost[c], xpost_t[c], n, c_minus, tab_minus, p) * dep
            syn_w[s] = w_max if w > w_max else (w_min if w < w_min else w)


@njit(**CALLEE)
def post_pathway(n, p, c, t0, t1, pre_lo, xs, xq, nearest, learn, pw_f, col_syn, col_pre,
                 syn_w, xpre, xpre_t, xpost, xpost_t, o2, tab_plus, tab_minus):
    """Postsynaptic pathway p of a triplet projection for the spike of postsynaptic (local)
    neuron c at step n: potentiate every synapse onto c by ``r1 (A2_plus + A3_plus o2)``
    with o2 from before this spike (not while learning is frozen); then o1 (``xpost``) and
    o2 add 1 or reset to 1."""
    k = xq + c
    o2_before = _slow_now(o2[k], xpost_t[k], n, pw_f[p, C_Y])
    pot = pw_f[p, A_PLUS] + pw_f[p, A3_PLUS] * o2_before
    trace_spike(xpost, xpost_t, k, n, pw_f[p, C_MINUS], tab_minus, p, 1.0, nearest)
    o2[k] = 1.0 if nearest else o2_before + 1.0
    if not learn:
        return
    c_plus = pw_f[p, C_PLUS]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    off = xs - pre_lo
    for t in range(t0, t1):
        s = col_syn[t]
        r = off + col_pre[t]
        w = syn_w[s] + trace_now(xpre[r], xpre_t[r], n, c_plus, tab_plus, p) * pot
        syn_w[s] = w_max if w > w_max else (w_min if w < w_min else w)


@njit(**CALLEE)
def post_phase(n, pw_i, pw_f, seg, ring, slot, col_ptr, col_syn, col_pre, syn_w, xpre,
               xpre_t, xpost, xpost_t, o2, tab_plus, tab_minus):
    """The postsynaptic pathways of triplet projections for the spikes of step n (after
    every presynaptic pathway of the step: Brian2's order)."""
    for p in range(pw_i.shape[0]):
        if pw_i[p, PLASTIC] != 1 or pw_i[p, RULE] != RULE_TRIPLET:
            continue
        q = pw_i[p, POST_POP]
        post_lo = pw_i[p, POST_LO]
        col_off = pw_i[p, COL_OFF] - post_lo
        learn = pw_i[p, LEARN] == 1
        nearest = pw_i[p, PAIRING] == PAIR_NEAREST
        for m in range(seg[slot, q], seg[slot, q + 1]):
            j = ring[slot, m]
            post_pathway(n, p, j - post_lo, col_ptr[col_off + j], col_ptr[col_off + j + 1],
                         pw_i[p, PRE_LO], pw_i[p, XPRE_OFF], pw_i[p, XPOST_OFF], nearest,
                         learn, pw_f, col_syn, col_pre, syn_w, xpre, xpre_t, xpost, xpost_t,
                         o2, tab_plus, tab_minus)
