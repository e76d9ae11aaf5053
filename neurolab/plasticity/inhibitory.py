"""Inhibitory STDP of Vogels, Sprekeler, Zenke, Clopath & Gerstner (2011, Science 334:1569).

Rule
----
Every spike of the presynaptic (inhibitory) neuron and of the postsynaptic neuron adds 1 to
its trace; both traces decay with the same time constant ``tau`` (ms) and every spike counts
(all-to-all)::

    x_pre  -> x_pre  + 1 at each presynaptic arrival,   tau dx_pre/dt  = -x_pre
    x_post -> x_post + 1 at each postsynaptic spike,    tau dx_post/dt = -x_post

    presynaptic arrival:  w -> clip(w + eta (x_post - alpha), w_min, w_max)
    postsynaptic spike:   w -> clip(w + eta x_pre,            w_min, w_max)

with ``alpha = 2 rho_0 tau`` (``rho_0`` in Hz, ``tau`` in ms, so ``alpha = 2 * rho_0 * tau
/ 1000``, dimensionless). Summed over pairs, a pre/post pair at any ``Δt = t_post - t_pre``
changes ``w`` by ``+eta exp(-|Δt|/tau)`` (a symmetric window: near coincidence strengthens
inhibition whatever the order) and every presynaptic spike by ``-eta alpha``. For
independent Poisson trains at rates ``r_pre``, ``r_post`` (Hz) the mean drift is
``E[dw/dt] = eta r_pre (2 r_post tau/1000 - alpha) = 2 eta r_pre (tau/1000) (r_post - rho_0)``
(per second): inhibition grows while the postsynaptic neuron fires above ``rho_0`` and
shrinks below, which drives its rate towards ``rho_0`` (the paper's homeostatic
balance of excitation and inhibition).

Where the traces are read (same-step order)
-------------------------------------------
A presynaptic arrival increments ``x_pre`` and updates ``w`` with ``x_post``; a postsynaptic
spike increments ``x_post`` and updates ``w`` with ``x_pre``: a spike's own increment never
enters its own update (in Brian2's translation of the paper's network the increment comes
first and the update reads the other trace; NEST's synapse updates its presynaptic trace
after the update). The paper's rule is written in continuous time, where a presynaptic and
a postsynaptic spike never coincide; on a time grid they can share a step (``Δt = 0``), and
which trace value each then sees is ``same_step``, with the names of
:class:`~neurolab.plasticity.pair.STDPParams`:

- ``"potentiate"`` (default; Brian2's order, presynaptic pathways before postsynaptic
  ones): the post spike reads an ``x_pre`` that includes the arrival, the arrival reads an
  ``x_post`` without the spike: the pair counts once, ``+eta``.
- ``"depress"``: the post spike counts as first: the arrival reads ``x_post`` with the
  spike; the pair again counts once, ``+eta`` (the window is symmetric); only the order of
  the two updates, so of the clipping, differs from ``"potentiate"``.
- ``"both"``: the pair counts on both sides, ``+2 eta``.
- ``"neither"``: the two are not partners (``+0``); each still pairs with every other
  spike. This is what NEST's ``vogels_sprekeler_synapse`` does with a zero interval (it
  reads the postsynaptic trace strictly before the presynaptic spike, and potentiates a
  coincident postsynaptic spike with the presynaptic trace of earlier spikes).

The weight a presynaptic spike delivers is ``w`` before that spike's own update (deliver,
then learn: neurolab's order for every rule). NEST's synapse and Brian2's example of the
paper's network deliver the updated weight instead; the two differ by that one update,
``eta (x_post - alpha)``, in the one postsynaptic potential.

Delays are axonal (Brian2's meaning): the presynaptic pathway, the increment of ``x_pre``
and the update at the arrival included, runs when the spike arrives, ``delay`` after it was
emitted; ``Δt`` is measured from the arrival. The postsynaptic side acts without delay.

Use
---
Typically on inhibitory projections: ``net.connect(I, E, receptor="inh",
stdp=VogelsSTDP(...))``. Weights in neurolab are magnitudes (``w >= 0``), the receptor gives
the sign of their effect, so ``w`` here is the strength of inhibition (in mV for delta and
current synapses, dimensionless for conductance synapses: NEST and the paper write
inhibitory weights as conductances too; a NEST model with negative inhibitory weights and a
negative ``Wmax`` applies this rule to ``|w|``).

Correspondence with NEST 3.10 ``vogels_sprekeler_synapse``: ``eta`` = ``eta``, ``alpha`` =
``alpha`` (:attr:`VogelsSTDP.alpha`), ``tau`` = ``tau`` (and the postsynaptic neuron's
``tau_minus`` = ``tau``), ``w_max`` = ``|Wmax|``, ``w_min`` = 0 (NEST's lower bound is
always 0). Two differences: NEST discards zero-interval pairs (``same_step="neither"``
here), and at a presynaptic spike NEST clips ``w + eta x_post`` at ``Wmax`` before it
subtracts ``eta alpha`` (clipped at 0), where this rule clips once after the whole update;
the two agree whenever ``w + eta x_post`` stays below ``w_max``. NEST's delays are
dendritic, neurolab's axonal: the same spike times *at the synapse* (arrival times, post
spike times) give the same weights whatever the delays.

Implementation: the kernel keeps one trace per presynaptic neuron and one per postsynaptic
neuron of each pathway (the slots the pair rule uses), event-driven (decayed when read,
with the per-pathway tables of ``exp(-d dt / tau)``). Its parameters in ``pw_f[p]`` are
``ETA, ALPHA, C_TAU, C_TAU, W_MIN, W_MAX`` (``C_TAU = dt/tau`` in both of the pair rule's
trace columns, so that the table builder makes the decay tables of ``tau``).

Room: ``neurolab.plasticity``. May import: numpy, numba, ``neurolab.base`` and
``neurolab.plasticity.pair``.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..base import validate as V
from ..base.jit import CALLEE
from ..base.layout import (C_MINUS, C_PLUS, COL_OFF, LEARN, N_PW_F, POST_LO, POST_POP, PRE_LO,
                           RULE_VOGELS, SAME_POTENTIATE, SAME_STEP, W_MAX, W_MIN, XPOST_OFF,
                           XPRE_OFF)
from . import pair as _pair
from .pair import SAME_STEP_CODES, SAME_STEPS, PlasticityRule

# the family's columns of pw_f[p]: eta and alpha in the first two, dt/tau in the pair
# rule's trace columns (C_PLUS: x_pre, C_MINUS: x_post), the bounds where the pair rule has them
ETA, ALPHA = 0, 1
C_TAU = C_PLUS

VogelsState = namedtuple("VogelsState", ["pathways"])
VogelsState.__doc__ = """The kernel's state of the Vogels family: ``pathways``, the indices
(int64) of the pathways whose rule is :class:`VogelsSTDP` (their traces are the pathways'
own ``xpre``/``xpost`` slots)."""


@dataclass(frozen=True)
class VogelsSTDP(PlasticityRule):
    """Inhibitory STDP of Vogels, Sprekeler, Zenke, Clopath & Gerstner (2011, Science
    334:1569): a symmetric window and a constant depression per presynaptic spike, which
    drive the postsynaptic rate towards ``rho_0``.

    Traces ``x_pre``, ``x_post`` (+1 per spike, all-to-all, both decaying with ``tau``). At a
    presynaptic arrival (axonal delays: ``Δt`` counts from the arrival)
    ``w -> clip(w + eta (x_post - alpha), w_min, w_max)``; at a postsynaptic spike
    ``w -> clip(w + eta x_pre, w_min, w_max)``; ``alpha = 2 rho_0 tau / 1000``. Per pair:
    ``+eta exp(-|Δt|/tau)``; per presynaptic spike: ``-eta alpha``. Mean drift for
    independent Poisson trains: ``2 eta r_pre (tau/1000) (r_post - rho_0)`` per second.
    Details, same-step order and the NEST correspondence: :mod:`neurolab.plasticity.inhibitory`.

    Typical use: ``net.connect(inh, exc, receptor="inh", stdp=VogelsSTDP(...))``; ``w`` is
    the magnitude of the inhibitory weight.

    Parameters
    ----------
    eta : learning rate (units of ``w``), >= 0 (paper: η; NEST: ``eta``; NEST's default
        0.001).
    rho_0 : target postsynaptic rate (Hz), >= 0; the default 3 Hz with ``tau = 20`` ms gives
        NEST's default ``alpha = 0.12``.
    tau : time constant of both traces (ms), > 0 (paper: tau_STDP = 20 ms).
    w_min, w_max : hard bounds on the weight magnitude, ``0 <= w_min < w_max``
        (:meth:`Network.connect` refuses ``w_min < 0``).
    same_step : what a presynaptic arrival and a postsynaptic spike in the same step do:
        ``"potentiate"`` (default, Brian2's order: the pair counts once, ``+eta``),
        ``"depress"`` (the post spike counts as first: also ``+eta`` once), ``"both"``
        (``+2 eta``) or ``"neither"`` (not partners: NEST's behaviour).

    Raises ``TypeError`` / ``ValueError`` naming the parameter, its value and what is
    allowed.
    """

    eta: float = 0.001
    rho_0: float = 3.0
    tau: float = 20.0
    w_min: float = 0.0
    w_max: float = 1.0
    same_step: str = "potentiate"

    family = RULE_VOGELS
    reference = ("Vogels, Sprekeler, Zenke, Clopath & Gerstner 2011 "
                 "(NEST vogels_sprekeler_synapse)")

    def __post_init__(self):
        object.__setattr__(self, "eta", V.non_negative("eta", self.eta))
        object.__setattr__(self, "rho_0", V.non_negative("rho_0", self.rho_0, "Hz"))
        object.__setattr__(self, "tau", V.positive("tau", self.tau, "ms"))
        V.choice("same_step", self.same_step, SAME_STEPS)
        self._check_bounds()

    @property
    def alpha(self) -> float:
        """The constant depression per presynaptic spike in units of ``eta``:
        ``2 rho_0 tau`` with ``rho_0`` in Hz and ``tau`` in ms, ``2 * rho_0 * tau / 1000``
        (NEST's ``alpha``)."""
        return 2.0 * self.rho_0 * self.tau / 1000.0

    def window(self, dt):
        """Weight change (units of w) of one isolated pre/post pair at ``dt = t_post -
        t_pre`` (ms; array or scalar), without the ``-eta alpha`` that each presynaptic
        spike costs: ``eta exp(-|dt|/tau)``; at ``dt = 0`` as ``same_step`` says."""
        dt = np.asarray(dt, dtype=np.float64)
        zero = {"potentiate": 1.0, "depress": 1.0, "both": 2.0, "neither": 0.0}[self.same_step]
        return np.where(dt == 0, zero * self.eta, self.eta * np.exp(-np.abs(dt) / self.tau))

    def time_constants(self):
        return {"tau": self.tau}

    def kernel_row(self, dt):
        row = [0.0] * N_PW_F
        row[ETA], row[ALPHA] = self.eta, self.alpha
        row[C_PLUS] = row[C_MINUS] = dt / self.tau
        row[W_MIN], row[W_MAX] = self.w_min, self.w_max
        return row

    def kernel_codes(self):
        return {"same_step": SAME_STEP_CODES[self.same_step]}


def build_state(state, net):
    """The kernel's :class:`VogelsState` for ``net`` (the pathways of its projections whose
    rule is :class:`VogelsSTDP`, from ``state.pathways_of``), or ``None`` when it has none:
    then the kernel is compiled without this family."""
    pws = [p for name, proj in net.projections.items() if isinstance(proj.stdp, VogelsSTDP)
           for p in state.pathways_of[name]]
    if not pws:
        return None
    return VogelsState(pathways=np.array(pws, dtype=np.int64))


# ------------------------------------------------------------------ kernel functions
@njit(**CALLEE)
def _clip(w, w_min, w_max):
    if w > w_max:
        return w_max
    if w < w_min:
        return w_min
    return w


@njit(**CALLEE)
def pre_pathway(n, p, r, s0, s1, target, post_lo, xs, xq, learn, pw_f, syn_post, syn_w,
                xpre, xpre_t, xpost, xpost_t, tab, v, ge, gi, accept):
    """Presynaptic pathway p (Vogels rule) for the arrival of presynaptic (local) neuron r at
    step n: ``x_pre += 1``, then for each synapse s0 .. s1-1 deliver ``w`` to its target and
    (unless learning is frozen) ``w = clip(w + eta (x_post - alpha))`` with the postsynaptic
    trace as it stands (this step's postsynaptic spikes are in it only if their pathway ran
    before, as ``same_step`` orders it). Traces of pathway p start at ``xs`` (pre) and ``xq``
    (post); ``tab[p, d] = exp(-d dt/tau)``."""
    c = pw_f[p, C_TAU]
    _pair.trace_spike(xpre, xpre_t, xs + r, n, c, tab, p, 1.0, False)
    eta = pw_f[p, ETA]
    alpha = pw_f[p, ALPHA]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    off = xq - post_lo
    for s in range(s0, s1):
        j = syn_post[s]
        w = syn_w[s]
        _pair.deliver(j, w, target, v, ge, gi, accept)
        if learn:
            x = _pair.trace_now(xpost[off + j], xpost_t[off + j], n, c, tab, p)
            syn_w[s] = _clip(w + eta * (x - alpha), w_min, w_max)


@njit(**CALLEE)
def post_pathway(n, p, c, t0, t1, pre_lo, xs, xq, learn, do_inc, do_pot, pw_f, col_syn,
                 col_pre, syn_w, xpre, xpre_t, xpost, xpost_t, tab):
    """Postsynaptic pathway p (Vogels rule) for the spike of postsynaptic (local) neuron c at
    step n, in one or two parts: ``do_inc`` adds 1 to ``x_post``, ``do_pot`` adds
    ``eta x_pre`` to every synapse onto c (not while learning is frozen)."""
    ct = pw_f[p, C_TAU]
    if do_inc:
        _pair.trace_spike(xpost, xpost_t, xq + c, n, ct, tab, p, 1.0, False)
    if not (do_pot and learn):
        return
    eta = pw_f[p, ETA]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    off = xs - pre_lo
    for t in range(t0, t1):
        s = col_syn[t]
        r = off + col_pre[t]
        syn_w[s] = _clip(syn_w[s] + eta * _pair.trace_now(xpre[r], xpre_t[r], n, ct, tab, p),
                         w_min, w_max)


@njit(**CALLEE)
def any_early(pathways, pw_i):
    """Whether some Vogels pathway has postsynaptic work before the presynaptic pathways."""
    for m in range(pathways.shape[0]):
        if pw_i[pathways[m], SAME_STEP] != SAME_POTENTIATE:
            return True
    return False


@njit(**CALLEE)
def post_phase(n, early, pathways, pw_i, pw_f, seg, ring, slot, col_ptr, col_syn, col_pre,
               syn_w, xpre, xpre_t, xpost, xpost_t, tab):
    """The postsynaptic pathways of the Vogels pathways for the spikes of step n: the part
    that counts as before the presynaptic pathways (``early``) or after them, as
    ``same_step`` says (potentiate: all after; depress: all before; both: trace before,
    potentiation after; neither: potentiation before, trace after)."""
    for m in range(pathways.shape[0]):
        p = pathways[m]
        same = pw_i[p, SAME_STEP]
        do_inc, do_pot = _pair.post_parts(same, early)
        if not (do_inc or do_pot):
            continue
        q = pw_i[p, POST_POP]
        post_lo = pw_i[p, POST_LO]
        col_off = pw_i[p, COL_OFF] - post_lo
        learn = pw_i[p, LEARN] == 1
        for k in range(seg[slot, q], seg[slot, q + 1]):
            j = ring[slot, k]
            post_pathway(n, p, j - post_lo, col_ptr[col_off + j], col_ptr[col_off + j + 1],
                         pw_i[p, PRE_LO], pw_i[p, XPRE_OFF], pw_i[p, XPOST_OFF],
                         learn, do_inc, do_pot, pw_f, col_syn, col_pre, syn_w, xpre, xpre_t,
                         xpost, xpost_t, tab)


__all__ = ["VogelsSTDP", "VogelsState", "build_state"]
