"""NEST 3.10 as a test oracle for single STDP synapses: impose spike trains, read weights.

``run_synapse(model, pre_times, post_times, ...)`` builds, per call (``nest.ResetKernel()``)::

    spike_generator -> parrot_neuron (pre) --plastic synapse, receptor 1--> parrot_neuron (post)
    spike_generator -> parrot_neuron (post)
    spike_generator -> parrot_neuron -> volume_transmitter    (stdp_dopamine_synapse only)

and returns the weight after each presynaptic spike (NEST's ``weight_recorder``) and the
final weight. A parrot_neuron repeats the spikes that arrive on receptor 0 and ignores, for
its own spiking, those on receptor 1, so the plastic synapse (on port 1) never makes the
postsynaptic parrot fire: the postsynaptic train is exactly the one imposed. Every call
checks this (spike_recorders on both parrots: each parrot spikes exactly where asked, or
``RuntimeError``).

All times given to and returned by this module are *as seen at the synapse*, in ms, on the
grid of ``dt`` (exact multiples of dt, or ``ValueError``; NEST runs with grid spike times,
``precise_times`` off, ``allow_offgrid_times`` off):

- ``pre_times``: arrival times of presynaptic spikes at the synapse. In neurolab's (Brian2's)
  axonal-delay convention that is ``t_pre + d_axonal``.
- ``post_times``: postsynaptic spike times as they act at the synapse. In neurolab's
  convention that is simply ``t_post`` (the postsynaptic side acts without delay).
- ``dopa_times`` (stdp_dopamine_synapse only): dopamine spike times as the synapse uses them.

Three NEST facts decide every comparison
========================================

1. NEST's delays are dendritic. A plastic synapse with delay ``d`` computes its pairs with
   the presynaptic spike at the presynaptic neuron's spike time ``t_pre`` and a postsynaptic
   spike at ``t_post + d``: the interval NEST uses is ``(t_post + d) - t_pre``. neurolab's
   (Brian2's) delays are axonal: the interval is ``t_post - (t_pre + d)``. This harness
   takes the trains in the synapse's frame and shifts what it hands to NEST so that NEST sees
   the same intervals whatever ``delay`` is: the presynaptic parrot spikes at
   ``pre_time + offset``, the postsynaptic parrot at ``post_time - delay + offset``
   (``offset``, a whole number of steps >= 0, only keeps every NEST time positive; intervals
   do not depend on it). A spike_generator spike at ``t`` makes a parrot spike at
   ``t + dt`` (generator -> parrot delay = dt), so the generators get those times minus dt.
   The result does not depend on ``delay`` (tests/test_nest_oracle.py checks this).

2. NEST applies the potentiation due to a postsynaptic spike only when the *next*
   presynaptic spike is processed (``send()`` reads the postsynaptic history since the
   previous presynaptic spike); every model here is updated only at presynaptic spikes (the
   dopamine synapse also at the volume transmitter's deliveries, every step here: the same
   exact integration cut into more pieces, so the weight at each presynaptic spike, which
   ``weight_recorder`` reports, is the same). A train whose last postsynaptic
   spike follows its last presynaptic spike would lose that potentiation. So by default the
   harness appends one flush presynaptic spike ``flush`` ms (default 1000) after the last
   pre/post/dopamine spike. That spike is a real spike: it also depresses, by
   ``A_minus * K_minus(t_flush)`` (tiny, ``exp(-flush/tau_minus)``, but not zero), and for
   the dopamine synapse the weight keeps integrating ``c * (n - b)`` up to it. Compare with
   the flush spike included on the neurolab side too: ``result.pre_times`` is the train NEST
   saw (flush included). ``result.weights[i]`` is the weight right after pre spike ``i``
   (its own depression and the potentiation it flushed included); with the flush spike,
   ``result.weights[-2]`` is the weight after the caller's last pre spike, before the
   flush. Pass ``flush=None`` to append nothing.

3. Some models act as if a presynaptic spike happened at t = 0: every NEST synapse starts
   with ``t_lastspike_ = 0``, and at the first presynaptic spike reads the postsynaptic
   spikes in (0, t_first_pre] (synapse frame, NEST time). Where a presynaptic trace starts
   at 0 that does nothing (stdp_synapse, stdp_nn_pre_centered_synapse, stdp_pl_synapse_hom,
   stdp_triplet_synapse, vogels_sprekeler_synapse, stdp_dopamine_synapse: ``Kplus`` = 0),
   but ``stdp_nn_symm_synapse`` and ``stdp_nn_restr_synapse`` keep no presynaptic trace and
   potentiate with ``exp(-(t_post - t_lastspike_)/tau_plus)``: a postsynaptic spike before
   the first presynaptic spike is potentiated as if paired with a presynaptic spike at NEST
   time 0 (observed, see the tests). For those two models the harness refuses (ValueError)
   trains whose first postsynaptic spike is not strictly after the first presynaptic spike:
   start the presynaptic train with a spike before the first postsynaptic spike.

Per model: parameters, pairing, same-step (zero-interval) behaviour observed
=============================================================================

Zero interval = a presynaptic arrival and a postsynaptic spike at the same time at the
synapse. NEST's history look-ups make that pair count for neither side in every model here:
``get_history(t_last - d, t_pre - d)`` returns posts in (t_last, t_pre] (so a coincident post
is potentiated at this presynaptic spike, but with the presynaptic trace from *earlier*
spikes only), and ``get_K_value(t_pre - d)`` reads posts strictly before ``t_pre``. Only the
zero-interval pair is lost; the coincident spikes still pair with all other spikes as usual.

- ``stdp_synapse`` (Gütig et al. 2003; all-to-all): ``lambda``, ``alpha``, ``mu_plus``,
  ``mu_minus``, ``Wmax``, ``tau_plus`` on the synapse; ``tau_minus`` on the postsynaptic
  neuron. In w-units: potentiation ``dw = lambda*Wmax*(1-w/Wmax)**mu_plus * K_plus``
  (A_plus = lambda*Wmax), depression ``dw = -alpha*lambda*Wmax*(w/Wmax)**mu_minus * K_minus``
  (A_minus = alpha*lambda*Wmax); traces add 1 per spike. Clipped to [0, Wmax] after each
  step (w and Wmax must have the same sign). Zero interval: pair discarded (observed).
- ``stdp_nn_symm_synapse``: same parameters; symmetric nearest neighbour: each post is
  potentiated with the nearest pre before it, each pre depressed with the nearest post
  before it (traces reset to 1). Zero interval: discarded; the coincident post pairs with
  the pre before it instead (observed). t = 0 artifact: yes.
- ``stdp_nn_pre_centered_synapse``: same parameters; presynaptic-centred (Izhikevich &
  Desai 2003): each pre is depressed by the nearest post before it; the first post after a
  run of pres is potentiated by all of those pres (``Kplus`` accumulates, then is reset to
  0 by that post); later posts before the next pre get nothing. Zero interval: discarded
  (observed). t = 0 artifact: no.
- ``stdp_nn_restr_synapse``: same parameters; restricted symmetric nearest neighbour: only
  the first post after a pre is potentiated (with that pre), and a pre is depressed only
  when a post occurred since the previous pre (with the nearest such post). t = 0
  artifact: yes. Zero interval: the coincident post counts as "a post since the previous
  pre": it is potentiated with the previous pre, and the depression of the current pre is
  then done with the nearest post *strictly before* it, which can be a post before the
  previous pre (observed; a quirk of NEST's look-ups).
- ``stdp_pl_synapse_hom`` (Morrison, Aertsen & Diesmann 2007; all-to-all): common
  (``CopyModel``) parameters ``lambda``, ``alpha``, ``mu``, ``tau_plus``; ``tau_minus`` on
  the postsynaptic neuron; ``dw+ = lambda * w**mu * K_plus``, ``dw- = -lambda*alpha*w*K_minus``
  (no w0; no upper bound; w clipped at 0). Zero interval: discarded (observed).
- ``stdp_triplet_synapse`` (Pfister & Gerstner 2006, all-to-all): ``Aplus`` (A2+),
  ``Aplus_triplet`` (A3+), ``Aminus`` (A2-), ``Aminus_triplet`` (A3-), ``tau_plus`` (r1),
  ``tau_plus_triplet`` (tau_x, r2), ``Wmax``; ``tau_minus`` (o1) and ``tau_minus_triplet``
  (tau_y, o2) on the postsynaptic neuron. At a post: ``w += r1*(A2+ + A3+ * o2_before)``;
  at a pre: ``w -= o1*(A2- + A3- * r2_before)``; |w| clipped to [0, |Wmax|]. Zero interval:
  discarded (observed).
- ``vogels_sprekeler_synapse`` (Vogels et al. 2011): ``eta``, ``alpha``, ``tau`` (pre trace),
  ``Wmax``; the post trace is the postsynaptic neuron's ``K_minus`` with ``tau_minus``: the
  harness sets the post parrot's ``tau_minus`` to the synapse's ``tau`` unless told
  otherwise. At a pre: ``w += eta*x_post`` then ``w -= eta*alpha`` (each clipped to
  [0, |Wmax|]); at a post: ``w += eta*x_pre``. Zero interval: discarded (observed).
- ``stdp_dopamine_synapse`` (Izhikevich 2007; Potjans et al. 2010): common parameters
  ``A_plus``, ``A_minus``, ``tau_plus``, ``tau_c``, ``tau_n``, ``b``, ``Wmin``, ``Wmax`` and
  ``volume_transmitter`` (set by the harness); ``tau_minus`` on the postsynaptic neuron.
  Eligibility ``c`` (decays with tau_c): at a post ``c += A_plus*K_plus``, at a pre
  ``c -= A_minus*K_minus`` (all-to-all traces). Dopamine ``n`` (decays with tau_n): each
  dopamine spike adds ``1/tau_n``. Between events NEST integrates ``dw/dt = c*(n - b)``
  exactly: over ``[t0, t0+T]`` with ``c0``, ``n0`` at ``t0`` and ``k = 1/tau_c + 1/tau_n``,
  ``w += c0*n0*(1 - exp(-k*T))/k - b*c0*tau_c*(1 - exp(-T/tau_c))``, clipped to [Wmin, Wmax].
  Zero interval: discarded (observed). The harness uses min_delay = dt, so the volume
  transmitter's deliveries fall on every step and coincide with presynaptic spike times.

Verbosity: the harness sets ``PYNEST_QUIET`` (before ``import nest``: no banner) and
``nest.verbosity = nest.VerbosityLevel.ERROR`` (NEST 3.10; ``nest.set_verbosity("M_ERROR")``
still works there but warns that it is kept for backward compatibility only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

__all__ = ["MODELS", "T0_ARTIFACT_MODELS", "OracleResult", "run_synapse", "final_weight"]

MODELS = (
    "stdp_synapse",
    "stdp_nn_symm_synapse",
    "stdp_nn_pre_centered_synapse",
    "stdp_nn_restr_synapse",
    "stdp_pl_synapse_hom",
    "stdp_triplet_synapse",
    "vogels_sprekeler_synapse",
    "stdp_dopamine_synapse",
)
# models that act as if a presynaptic spike happened at t = 0 (no presynaptic trace)
T0_ARTIFACT_MODELS = ("stdp_nn_symm_synapse", "stdp_nn_restr_synapse")

_SYN_NAME = "nest_oracle_synapse"


def _nest():
    """``import nest``, quietly (no banner, errors only)."""
    os.environ.setdefault("PYNEST_QUIET", "1")
    import nest

    try:
        nest.verbosity = nest.VerbosityLevel.ERROR
    except AttributeError:          # NEST < 3.10
        nest.set_verbosity("M_ERROR")
    return nest


def _steps(times, dt: float, what: str) -> np.ndarray:
    """Times (ms) as integer steps of ``dt``; each must be a multiple of dt and the train
    strictly increasing."""
    t = np.asarray(times, dtype=float).ravel()
    s = np.rint(t / dt).astype(np.int64)
    if t.size and np.max(np.abs(s * dt - t)) > 1e-6 * dt:
        raise ValueError(f"{what}: times must be multiples of dt={dt} ms, got {t}")
    if np.any(np.diff(s) <= 0):
        raise ValueError(f"{what}: times must be strictly increasing (one spike per step)")
    return s


@dataclass(frozen=True)
class OracleResult:
    """What NEST did with one synapse. All times in the synapse's frame (ms, caller's clock).

    weights[i] is the weight right after the presynaptic spike at pre_times[i] was processed
    (its depression, and the potentiation from the posts since the previous pre, included);
    pre_times includes the flush spike when one was appended (flush_time)."""

    model: str
    w_final: float
    weights: np.ndarray
    pre_times: np.ndarray
    post_times: np.ndarray
    flush_time: float | None
    # the connection's weight read back (GetStatus) at the end of the run: w_final, except for
    # stdp_dopamine_synapse, whose weight the volume transmitter's deliveries keep
    # integrating (c * (n - b)) after the last presynaptic spike, up to the end of the run
    w_status: float
    offset: float                   # NEST time = synapse-frame time + offset
    syn_status: dict = field(default_factory=dict)     # the connection's GetStatus


def run_synapse(model: str, pre_times, post_times, *, syn_params: dict | None = None,
                w0: float | None = None, delay: float = 1.0, dt: float = 0.1,
                tau_minus: float | None = None, tau_minus_triplet: float | None = None,
                dopa_times=(), flush: float | None = 1000.0,
                allow_t0_artifact: bool = False) -> OracleResult:
    """Impose ``pre_times`` and ``post_times`` (synapse frame, ms, multiples of ``dt``) on one
    NEST synapse of type ``model`` and return its weights.

    syn_params: the model's parameters (NEST names; for the *_hom and dopamine models these
    are common properties, set through ``CopyModel``). w0: initial weight (NEST's default
    when None). delay: the NEST (dendritic) delay of the plastic synapse; it does not change
    the result (see the module docstring). tau_minus, tau_minus_triplet: set on the
    postsynaptic parrot (NEST defaults 20 and 110 ms when None; for the Vogels-Sprekeler
    synapse tau_minus defaults to the synapse's ``tau``). dopa_times: dopamine spike times at
    the synapse (stdp_dopamine_synapse only). flush: append one presynaptic spike this many
    ms after the last spike of any train (None: append nothing). allow_t0_artifact: let
    stdp_nn_symm/stdp_nn_restr run trains whose first post does not follow the first pre.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    nest = _nest()
    syn_params = dict(syn_params or {})
    pre = _steps(pre_times, dt, "pre_times")
    post = _steps(post_times, dt, "post_times")
    dopa = _steps(dopa_times, dt, "dopa_times")
    if dopa.size and model != "stdp_dopamine_synapse":
        raise ValueError("dopa_times is for stdp_dopamine_synapse only")
    d = int(round(delay / dt))
    if d < 1 or abs(d * dt - delay) > 1e-6 * dt:
        raise ValueError(f"delay must be a positive multiple of dt, got {delay}")

    flush_step = None
    if flush is not None:
        last = max([int(a[-1]) for a in (pre, post, dopa) if a.size], default=0)
        flush_step = last + int(round(flush / dt))
        if pre.size and flush_step <= pre[-1]:
            raise ValueError("flush must be > 0")
        pre = np.append(pre, flush_step)
    if pre.size == 0:
        raise ValueError("no presynaptic spike: NEST changes weights only at presynaptic spikes")
    if model in T0_ARTIFACT_MODELS and not allow_t0_artifact and post.size and post[0] <= pre[0]:
        raise ValueError(
            f"{model} pairs postsynaptic spikes before the first presynaptic spike with a "
            "phantom presynaptic spike at t = 0: start pre_times with a spike before the "
            "first postsynaptic spike (or pass allow_t0_artifact=True)")

    # NEST steps: pre parrot at pre + off, post parrot at post - d + off, dopamine parrot at
    # dopa - 1 + off (its spikes reach the volume transmitter one step later, see below);
    # generators one step before their parrots; every generator time >= 1 step.
    firsts = [int(pre[0]) - 1]
    if post.size:
        firsts.append(int(post[0]) - d - 1)
    if dopa.size:
        firsts.append(int(dopa[0]) - 2)
    off = max(0, 1 - min(firsts))

    nest.ResetKernel()
    nest.resolution = dt

    def ms(steps):
        return [round(float(s) * dt, 10) for s in steps]

    pre_parrot_steps = pre + off
    post_parrot_steps = post - d + off

    def generator(parrot_steps):
        return nest.Create("spike_generator", params={
            "spike_times": ms(parrot_steps - 1), "precise_times": False,
            "allow_offgrid_times": False})

    g_pre = generator(pre_parrot_steps)
    g_post = generator(post_parrot_steps)
    parrot_params = {}
    if model == "vogels_sprekeler_synapse" and tau_minus is None:
        tau_minus = syn_params.get("tau", nest.GetDefaults(model)["tau"])
    if tau_minus is not None:
        parrot_params["tau_minus"] = float(tau_minus)
    if tau_minus_triplet is not None:
        parrot_params["tau_minus_triplet"] = float(tau_minus_triplet)
    p_pre = nest.Create("parrot_neuron")
    p_post = nest.Create("parrot_neuron", params=parrot_params)
    nest.Connect(g_pre, p_pre, syn_spec={"delay": dt})
    nest.Connect(g_post, p_post, syn_spec={"delay": dt})
    rec_pre = nest.Create("spike_recorder")
    rec_post = nest.Create("spike_recorder")
    nest.Connect(p_pre, rec_pre)
    nest.Connect(p_post, rec_post)
    wr = nest.Create("weight_recorder")

    model_params = {"weight_recorder": wr, **syn_params}
    if model == "stdp_dopamine_synapse":
        vt = nest.Create("volume_transmitter")
        # a spike emitted at step s and sent with delay D steps is recorded by the volume
        # transmitter at step s + D (observed), so generator -> parrot -> vt, dt each
        g_dopa = generator(dopa + off - 1)
        p_dopa = nest.Create("parrot_neuron")
        nest.Connect(g_dopa, p_dopa, syn_spec={"delay": dt})
        nest.Connect(p_dopa, vt, syn_spec={"delay": dt})
        model_params["volume_transmitter"] = vt
    nest.CopyModel(model, _SYN_NAME, model_params)
    conn = {"synapse_model": _SYN_NAME, "delay": d * dt, "receptor_type": 1}
    if w0 is not None:
        conn["weight"] = float(w0)
    nest.Connect(p_pre, p_post, syn_spec=conn)

    t_end = max(int(pre_parrot_steps[-1]), int(post_parrot_steps[-1]) if post.size else 0)
    nest.Simulate(round((t_end + d + 2) * dt, 10))

    # the parrots spiked exactly where asked (the plastic synapse on receptor 1 did not make
    # the postsynaptic parrot fire)
    for rec, want, what in ((rec_pre, pre_parrot_steps, "pre"),
                            (rec_post, post_parrot_steps, "post")):
        got = np.rint(np.asarray(rec.events["times"]) / dt).astype(np.int64)
        if not np.array_equal(np.sort(got), want):
            raise RuntimeError(f"{what} parrot spiked at steps {got}, expected {want}")

    ev = wr.events
    wt = np.rint(np.asarray(ev["times"]) / dt).astype(np.int64)
    order = np.argsort(wt, kind="stable")
    weights = np.asarray(ev["weights"], dtype=float)[order]
    if not np.array_equal(wt[order], pre_parrot_steps):
        raise RuntimeError(f"weight_recorder saw pre spikes at {wt[order]}, expected "
                           f"{pre_parrot_steps}")
    status = nest.GetConnections(p_pre, p_post).get()      # one connection: plain values
    return OracleResult(
        model=model,
        w_final=float(weights[-1]),
        weights=weights,
        pre_times=np.round(pre * dt, 10),
        post_times=np.round(post * dt, 10),
        flush_time=None if flush_step is None else round(flush_step * dt, 10),
        w_status=float(status["weight"]),
        offset=off * dt,
        syn_status=status,
    )


def final_weight(model: str, pre_times, post_times, **kwargs) -> float:
    """The weight after the last presynaptic spike (the flush spike by default)."""
    return run_synapse(model, pre_times, post_times, **kwargs).w_final
