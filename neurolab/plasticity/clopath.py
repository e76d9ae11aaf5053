"""Clopath's voltage-based STDP (Clopath, Büsing, Vasilaki & Gerstner 2010, Nat Neurosci
13:344-352).

Rule
----
The postsynaptic membrane potential ``v`` (mV) is low-pass filtered twice,

    tau_minus du_minus/dt = v - u_minus,      tau_plus du_plus/dt = v - u_plus,

and (homeostasis, optional) ``tau_bar_bar du_bar_bar/dt = u_minus - u_bar_bar``; each
presynaptic spike train ``X`` is filtered into ``tau_x dx_bar/dt = -x_bar + X`` (a jump
of ``1/tau_x`` per spike). With ``(y)+ = max(y, 0)``:

- LTD at each presynaptic arrival: ``w -= A_LTD (u_minus - theta_minus)+``, where
  ``A_LTD`` is multiplied by ``u_bar_bar^2 / u_ref^2`` when ``u_ref`` is given
  (the homeostatic scaling of the paper, as NEST's ``A_LTD_const = False`` writes it:
  ``u_bar_bar`` in mV, filtered from ``u_minus``);
- LTP, continuous: ``dw/dt = A_LTP x_bar (v - theta_plus)+ (u_plus - theta_minus)+``;

``w`` clipped to ``[w_min, w_max]`` after each update. As in the authors' code (ModelDB
144566) and NEST's ``clopath_synapse``, the filtered potentials enter both terms delayed by
``delay_u`` ms (default 4 ms as in NEST's pairing example; 0 for no delay).

Discretisation (step n goes from ``t_n = n dt`` to ``t_{n+1}``; ``v_n`` is ``v`` as a
monitor samples it at the start of step n, i.e. after step n-1's reset and input)
-----------------------------------------------------------------------------------
After the synaptic pathways of step n (so ``v_{n+1}`` is known), for every postsynaptic
neuron of a Clopath projection, with ``e = exp(-dt/tau)`` and ``g = tau/dt (1 - e)``:

    u_{n+1} = e u_n + (g - e) v_n + (1 - g) v_{n+1}

(the exact solution for ``v`` linear between ``v_n`` and ``v_{n+1}``; exact for a
constant ``v``), ``u_bar_bar`` likewise from ``u_minus``. Then, with ``D = round(delay_u
/ dt)`` and the delayed value ``u^D_{n+1} = u_{n+1-D}``, every synapse onto the neuron gains

    w += A_LTP dt x_bar (v_{n+1} - theta_plus)+ (u_plus^D_{n+1} - theta_minus)+

with ``x_bar`` of its presynaptic neuron at ``t_{n+1}`` too (arrivals up to step n,
decayed to the end of the step). This is NEST's sum: its neuron writes ``A_LTP (u -
theta_plus)(u_plus - theta_minus) dt`` for the state at the end of each step, and the
synapse weighs it with ``x_bar`` at that time. A presynaptic arrival at step n depresses by
``A_LTD (u_minus^D_n - theta_minus)+`` (``u_bar_bar_n`` for the homeostatic factor), the
delivered weight being the one before the update (Brian2's order; NEST delivers the
updated weight), then ``x_bar += 1/tau_x``. ``x_bar`` is event driven (exact decay).

Initial state: ``u_minus = u_plus = u_bar_bar = v`` of the neuron when the network's
tables are built, and the delay line holds that value (NEST's line starts at 0 mV, which
makes a presynaptic spike in the first ``delay_u`` ms depress by ``A_LTD theta_minus``);
``x_bar = 0``. The state lives per (projection pathway, postsynaptic neuron) and continues
across runs.

Neurons: any target (LIF, AdEx, Izhikevich); the rule reads ``v`` as the kernel integrates
it. The paper's AdEx has a spike clamp (``v`` held high for 2 ms after a spike) that
drives the LTP term, an after-spike depolarising current and an adaptive threshold:
``AdExParams.clopath()`` (NEST's ``aeif_psc_delta_clopath``; the clamp alone:
``AdExParams(t_clamp=2.0, V_clamp=33.0)``). The after-spike current keeps ``v`` (and the
delayed ``u_plus``) up after the clamp, which is what makes a pre-post pairing potentiate
at 10-50 Hz; with it, NEST's spike-pairing example is matched within 1e-4
(tests/oracles/test_nest_clopath.py). Without the clamp (LIF, or the AdEx's default ``t_clamp = 0``) the
neuron resets at once and LTP comes from depolarisation above ``theta_plus`` only (set
``theta_plus`` accordingly, e.g. below ``v_th`` for LIF). The filters interpolate ``v``
linearly across the spike step and the step that ends the clamp, where NEST integrates the
upswing and holds ``V_clamp`` through that last step: with spikes that the neuron's own
dynamics time, weight changes differ from NEST's by up to ~2-3 % (the spike steps may differ
by one, RK4 against NEST's adaptive solver; tests/oracles/test_nest_clopath.py). Not on the threaded kernel (a
network with this rule runs on one thread, with a warning).

Kernel parameters per pathway (``pw_f[p]``): ``A_LTP`` (``A_PLUS``), ``A_LTD``
(``A_MINUS``), ``dt/tau_x`` (``C_PLUS`` and ``C_MINUS``), ``w_min``, ``w_max``, then the
columns below.

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
from ..base.layout import (
    A_MINUS,
    A_PLUS,
    C_MINUS,
    C_PLUS,
    COL_OFF,
    LEARN,
    N_PW_F,
    PLASTIC,
    POST_HI,
    POST_LO,
    PRE_LO,
    RULE,
    RULE_CLOPATH,
    W_MAX,
    W_MIN,
    XPOST_OFF,
    XPRE_OFF,
)
from .pair import PlasticityRule, deliver, trace_now

# the family's columns of pw_f beyond A_PLUS, A_MINUS, C_PLUS, C_MINUS, W_MIN, W_MAX
(TH_MINUS, TH_PLUS, E_M, G_M, E_P, G_P, E_BB, G_BB, U_REF2, X_JUMP) = range(6, 16)

ClopathState = namedtuple("ClopathState", ["u_m", "u_p", "u_bb", "v_prev", "line_m",
                                           "line_p", "delay"])
ClopathState.__doc__ = """The Clopath family's state passed to the kernel (``cl``), per
postsynaptic slot k (a pathway's ``XPOST_OFF`` + local index): ``u_m``, ``u_p``, ``u_bb``
(mV), ``v_prev`` (``v`` at the last filter update), the delay lines ``line_m[r, k]``,
``line_p[r, k]`` (row ``n % (D + 1)`` holds the value at step n) and ``delay[p]`` (D of
pathway p, steps; -1 for pathways of other rules)."""


@dataclass(frozen=True)
class ClopathSTDP(PlasticityRule):
    """Clopath et al. (2010) voltage-based STDP, per synapse.

    LTD at each presynaptic arrival ``w -= A_LTD (u_minus - theta_minus)+`` (times
    ``u_bar_bar^2 / u_ref^2`` when ``u_ref`` is given); LTP every step ``w += A_LTP dt
    x_bar (v - theta_plus)+ (u_plus - theta_minus)+``, with ``u_minus``, ``u_plus`` the
    postsynaptic ``v`` low-pass filtered with ``tau_minus``, ``tau_plus`` and delayed by
    ``delay_u``; ``x_bar`` the presynaptic trace (jump ``1/tau_x``). ``w`` clipped to
    ``[w_min, w_max]``. Equations, discretisation and differences from NEST's
    ``clopath_synapse`` in :mod:`neurolab.plasticity.clopath`.

    Parameters
    ----------
    A_LTD : depression amplitude (units of ``w`` per mV), >= 0 (NEST: 14e-5).
    A_LTP : potentiation amplitude (units of ``w`` per mV^2 per ms), >= 0 (NEST: 8e-5).
    theta_minus, theta_plus : thresholds (mV) (NEST: -70.6, -45.3).
    tau_minus, tau_plus : time constants of ``u_minus``, ``u_plus`` (ms), > 0
        (NEST's pairing example: 10, 7).
    tau_x : time constant of the presynaptic trace (ms), > 0 (NEST: 15).
    delay_u : delay of ``u_minus``, ``u_plus`` (ms), >= 0 (NEST's example: 4).
    u_ref : reference for the homeostatic LTD factor ``u_bar_bar^2 / u_ref^2`` (mV), > 0,
        or ``None`` (default: no homeostasis, ``A_LTD`` constant). NEST's
        ``u_ref_squared`` is ``u_ref**2``.
    tau_bar_bar : time constant of ``u_bar_bar`` (ms), > 0 (NEST: 500).
    w_min, w_max : hard bounds (units of ``w``), ``0 <= w_min < w_max``.

    Raises ``TypeError`` / ``ValueError`` naming the parameter, its value and what is
    allowed.
    """

    A_LTD: float = 14e-5
    A_LTP: float = 8e-5
    theta_minus: float = -70.6
    theta_plus: float = -45.3
    tau_minus: float = 10.0
    tau_plus: float = 7.0
    tau_x: float = 15.0
    delay_u: float = 4.0
    u_ref: float | None = None
    tau_bar_bar: float = 500.0
    w_min: float = 0.0
    w_max: float = 1.0

    family = RULE_CLOPATH
    reference = "Clopath et al. 2010 (NEST clopath_synapse)"

    def __post_init__(self):
        for name in ("A_LTD", "A_LTP"):
            object.__setattr__(self, name, V.non_negative(name, getattr(self, name)))
        for name in ("theta_minus", "theta_plus"):
            object.__setattr__(self, name, V.real(name, getattr(self, name)))
        for name in ("tau_minus", "tau_plus", "tau_x", "tau_bar_bar"):
            object.__setattr__(self, name, V.positive(name, getattr(self, name), "ms"))
        object.__setattr__(self, "delay_u", V.non_negative("delay_u", self.delay_u, "ms"))
        if self.u_ref is not None:
            object.__setattr__(self, "u_ref", V.positive("u_ref", self.u_ref, "mV"))
        self._check_bounds()

    def time_constants(self):
        return {"tau_minus": self.tau_minus, "tau_plus": self.tau_plus, "tau_x": self.tau_x}

    def delay_steps(self, dt) -> int:
        """``delay_u`` in steps of ``dt``."""
        return round(self.delay_u / dt)

    def layout(self):
        # the delay line's length is part of the state the kernel keeps
        return (type(self).family, 0, self.delay_u)

    def kernel_row(self, dt):
        row = [0.0] * N_PW_F
        row[A_PLUS], row[A_MINUS] = self.A_LTP, self.A_LTD
        row[C_PLUS] = row[C_MINUS] = dt / self.tau_x
        row[W_MIN], row[W_MAX] = self.w_min, self.w_max
        row[TH_MINUS], row[TH_PLUS] = self.theta_minus, self.theta_plus
        row[E_M], row[G_M] = _hold_coefficients(dt, self.tau_minus)
        row[E_P], row[G_P] = _hold_coefficients(dt, self.tau_plus)
        row[E_BB], row[G_BB] = _hold_coefficients(dt, self.tau_bar_bar)
        row[U_REF2] = 0.0 if self.u_ref is None else self.u_ref ** 2
        row[X_JUMP] = 1.0 / self.tau_x
        return row


def _hold_coefficients(dt, tau):
    """``(e, g)`` with ``e = exp(-dt/tau)``, ``g = tau/dt (1 - e)``: the filter over one step
    for an input linear in time is ``u' = e u + (g - e) v0 + (1 - g) v1``."""
    e = math.exp(-dt / tau)
    return e, -math.expm1(-dt / tau) * tau / dt


def build_state(state, net):
    """The Clopath family's kernel state for ``state`` (a :class:`RunState` whose pathways
    and neurons are built), or ``None`` when no projection of ``net`` uses the rule (the
    kernel then compiles without it)."""
    if not any(isinstance(p.stdp, ClopathSTDP) for p in net.projections.values()):
        return None
    pw_i = state.syn.pw_i
    n_x = state.tr.xpost.shape[0]
    u = np.zeros(n_x)
    delay = np.full(pw_i.shape[0], -1, np.int64)
    for name, proj in net.projections.items():
        if not isinstance(proj.stdp, ClopathSTDP):
            continue
        for p in state.pathways_of[name]:
            delay[p] = proj.stdp.delay_steps(state.dt)
            lo, hi, xq = pw_i[p, POST_LO], pw_i[p, POST_HI], pw_i[p, XPOST_OFF]
            u[xq:xq + hi - lo] = state.nrn.v[lo:hi]
    rows = int(delay.max()) + 1
    return ClopathState(u_m=u.copy(), u_p=u.copy(), u_bb=u.copy(), v_prev=u.copy(),
                        line_m=np.tile(u, (rows, 1)), line_p=np.tile(u, (rows, 1)),
                        delay=delay)


# ------------------------------------------------------------------ kernel functions
@njit(**CALLEE)
def pre_pathway(n, p, r, s0, s1, target, post_lo, xs, xq, learn, pw_f, syn_post, syn_w,
                xpre, xpre_t, tab_plus, v, ge, gi, accept, u_bb, line_m, delay):
    """Presynaptic pathway p of a Clopath projection for the arrival of presynaptic (local)
    neuron r at step n: for each synapse s0 .. s1-1 deliver ``w`` to its target, then
    (``learn``) depress it by ``A_LTD (u_minus^D_n - theta_minus)+`` (homeostatic factor
    ``u_bar_bar_n^2 / u_ref^2`` when ``u_ref`` is set); then ``x_bar += 1/tau_x``."""
    k = xs + r
    xpre[k] = trace_now(xpre[k], xpre_t[k], n, pw_f[p, C_PLUS], tab_plus, p) + pw_f[p, X_JUMP]
    xpre_t[k] = n
    row = (n - delay[p]) % (delay[p] + 1)
    th = pw_f[p, TH_MINUS]
    a_ltd = pw_f[p, A_MINUS]
    uref2 = pw_f[p, U_REF2]
    w_min = pw_f[p, W_MIN]
    w_max = pw_f[p, W_MAX]
    off = xq - post_lo
    for s in range(s0, s1):
        j = syn_post[s]
        deliver(j, syn_w[s], target, v, ge, gi, accept)
        if learn:
            c = off + j
            d = line_m[row, c] - th
            if d > 0.0:
                a = a_ltd if uref2 == 0.0 else a_ltd * u_bb[c] * u_bb[c] / uref2
                w = syn_w[s] - a * d
                syn_w[s] = min(max(w, w_min), w_max)


@njit(**CALLEE)
def post_phase(n, pw_i, pw_f, col_ptr, col_syn, col_pre, syn_w, xpre, xpre_t, tab_plus, v,
               u_m, u_p, u_bb, v_prev, line_m, line_p, delay):
    """After the synaptic pathways of step n: every Clopath pathway's filters advance to
    ``t_{n+1}`` with ``v_{n+1}`` (the delay lines take the new values at row
    ``(n + 1) % (D + 1)``), then LTP ``A_LTP dt x_bar (v - theta_plus)+ (u_plus^D -
    theta_minus)+`` on every synapse onto a neuron with ``v > theta_plus`` (``x_bar`` at
    ``t_{n+1}``)."""
    for p in range(pw_i.shape[0]):
        if pw_i[p, PLASTIC] != 1 or pw_i[p, RULE] != RULE_CLOPATH:
            continue
        post_lo = pw_i[p, POST_LO]
        xq = pw_i[p, XPOST_OFF]
        xs = pw_i[p, XPRE_OFF] - pw_i[p, PRE_LO]
        col_off = pw_i[p, COL_OFF] - post_lo
        learn = pw_i[p, LEARN] == 1
        D = delay[p]
        wrow = (n + 1) % (D + 1)
        rrow = (n + 1 - D) % (D + 1)
        em, gm, ep, gp = pw_f[p, E_M], pw_f[p, G_M], pw_f[p, E_P], pw_f[p, G_P]
        eb, gb = pw_f[p, E_BB], pw_f[p, G_BB]
        th_m, th_p = pw_f[p, TH_MINUS], pw_f[p, TH_PLUS]
        # A_LTP dt: dt = C_PLUS tau_x = C_PLUS / X_JUMP
        a_ltp = pw_f[p, A_PLUS] * pw_f[p, C_PLUS] / pw_f[p, X_JUMP]
        c_x = pw_f[p, C_PLUS]
        w_min = pw_f[p, W_MIN]
        w_max = pw_f[p, W_MAX]
        for j in range(post_lo, pw_i[p, POST_HI]):
            c = xq + j - post_lo
            v0 = v_prev[c]
            v1 = v[j]
            um_old = u_m[c]
            um = em * um_old + (gm - em) * v0 + (1.0 - gm) * v1
            u_bb[c] = eb * u_bb[c] + (gb - eb) * um_old + (1.0 - gb) * um
            u_m[c] = um
            u_p[c] = ep * u_p[c] + (gp - ep) * v0 + (1.0 - gp) * v1
            v_prev[c] = v1
            line_m[wrow, c] = um
            line_p[wrow, c] = u_p[c]
            if not learn or v1 <= th_p:
                continue
            dp = line_p[rrow, c] - th_m
            if dp <= 0.0:
                continue
            f = a_ltp * (v1 - th_p) * dp
            for t in range(col_ptr[col_off + j], col_ptr[col_off + j + 1]):
                s = col_syn[t]
                r = xs + col_pre[t]
                x = trace_now(xpre[r], xpre_t[r], n + 1, c_x, tab_plus, p)
                if x == 0.0:
                    continue
                w = syn_w[s] + f * x
                syn_w[s] = min(max(w, w_min), w_max)
