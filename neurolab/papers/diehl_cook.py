"""Diehl & Cook (2015, Front. Comput. Neurosci. 9:99) on MNIST: a dedicated presentation loop.

The network (the authors' released code's constants; every one is a field of
:class:`DiehlCookParams` with that default):

- input: one Poisson source per pixel, ``rate = pixel / 8 * intensity`` Hz (pixel 0-255,
  ``intensity`` 2 at first: 63.75 Hz at most), Bernoulli per step with ``p = rate dt``
  (Brian's ``PoissonGroup``), for ``presentation`` = 350 ms, then ``rest`` = 150 ms with no
  input while the network keeps running. Fewer than ``min_spikes`` = 5 excitatory spikes in
  the attempt's count (``count_rest``, below): ``intensity += 1``, and after the rest the same digit is shown again (at most
  ``max_repeats`` times; the authors set no limit). Every attempt takes 500 ms;
- excitatory neurons (``n_e``), conductance LIF:
  ``tau_m dv/dt = (v_rest - v) + g_e (E_exc - v) + g_i (E_inh - v)``, ``tau_m`` 100 ms,
  ``v_rest = v_reset`` -65 mV, spike when ``v > v_thresh - offset + theta`` (-52 mV, 20 mV),
  ``theta`` from 20 mV, ``+0.05`` mV per spike, decaying with ``tau_theta`` = 1e7 ms;
  refractory 5 ms; ``E_exc`` 0, ``E_inh`` -100 mV; ``g_e``, ``g_i`` decay with 1 and 2 ms;
  ``v`` starts at -105 mV;
- inhibitory neurons (``n_e``): ``tau_m`` 10 ms, rest -60, reset -45, threshold -40 mV,
  refractory 2 ms, ``E_inh`` -85 mV, ``v`` from -100 mV; E -> I one to one (``g_e += 10.4``),
  I -> E all but the partner (``g_i += 17``);
- input -> E all to all, ``w0 = (U(0,1) + 0.01) 0.3``, ``w`` in [0, 1], axonal delays
  ``U(0, 10)`` ms in steps (``delay_rounding``, below; the whole presynaptic pathway, trace
  and depression included, runs when the spike arrives: Brian's and neurolab's meaning);
  before every attempt each neuron's input weights are scaled to sum to 78 (clipped to
  [0, 1] only with ``norm_clip``, below);
- learning, the nearest-spike triplet rule of the authors' code: at a presynaptic arrival
  ``w -= nu_pre * post1`` and ``pre = 1``; at a postsynaptic spike
  ``w += nu_post * pre * post2(before)``, then ``post1 = post2 = 1``; ``w`` clipped to
  [0, 1] after each update; ``pre`` and ``post1`` decay with 20 ms, ``post2`` with 40 ms
  (``nu_pre`` 1e-4, ``nu_post`` 1e-2);
- test phase (:meth:`DiehlCook.respond`): weights and ``theta`` frozen, no normalisation.

How Brian 1 ran the authors' script (``Diehl&Cook_spiking_MNIST.py``, peter-u-diehl/
stdp-mnist; Brian 1.4's ``stateupdater.magic_state_updater``, ``neurongroup``,
``reset.select_reset``, ``connections/delayconnection.py``, ``experimental/c_stdp.py``),
each a field with the general engine's choice as the alternative. The defaults are the
authors', except the integration: Brian 1's forward Euler is a property of the simulator,
not of the model, and at dt = 0.5 ms it is coarse (``g_e`` loses half of itself per step
where the equation says 39 %); it costs accuracy (the notebook's measurements), so the
default solves the equations as written (``"exponential"``) and ``"euler"`` reproduces
Brian 1:

- ``integration="euler"``: the equations are nonlinear (``g v``), so Brian 1 integrates
  them with forward Euler (its default, ``order=1``, ``implicit=False``): per step
  ``v += dt/tau_m ((v_rest - v) + g_e (E_exc - v) + g_i (E_inh - v))``, ``g_e *= 1 -
  dt/tau_ge`` (0.5, where the exact factor is exp(-0.5) = 0.61), ``g_i *= 1 - dt/tau_gi``
  (0.75), ``theta *= 1 - dt/tau_theta``, all from the start-of-step values.
  ``"exponential"``: the engine's exponential Euler (exact for frozen conductances). The
  STDP traces are exact exponentials in both (Brian 1's trace groups are linear: exact);
- ``hold_v_e=False``: the excitatory reset is a string (``v = v_reset_e; theta += ...``),
  which Brian 1 runs as a plain reset: during the 5 ms of refractoriness the neuron
  cannot spike (``_next_allowed_spiketime``) but its ``v`` integrates on. The inhibitory
  reset is a number, which Brian 1 holds for the refractory period (``Refractoriness``),
  as here. ``True``: held (the engine);
- ``count_rest=True``: the authors read the spike counter right after each 350 ms, before
  the rest, so an attempt's count (for the retry and for the labels) is the rest before it
  plus its presentation (a pass starts with no rest before it). ``False``: the
  presentation only;
- ``norm_clip=False``: ``normalize_weights`` scales each column to 78 and does not clip
  (a weight above ``w_max`` is clipped at its next STDP update). ``True``: clip (the
  engine's :class:`neurolab.Normalization`);
- ``delay_rounding="floor"``: Brian 1's DelayConnection turns a delay into
  ``int(delay / dt)`` steps (0..19 for U(0, 10) ms). ``"nearest"``: the engine's rounding.

Not modelled (each a step's or a ``1e-4`` difference, not measured): Brian 1 transmits
the weight at emission, not at arrival (the two differ by one ``1e-4`` depression at
most); it holds the inhibitory ``v`` at reset one step longer than it forbids a spike
(``int(2 ms/dt) + 1`` steps against 1.75 ms); the authors' ``timer > refrac_e`` threshold
term is true one step after a reset (``dtimer/dt = 100`` in SI units), so the 5 ms
refractoriness is Brian's.

Why a loop of its own (``benchmarks/diehl_cook.py``, 100 neurons, 2 shared cores):
through :meth:`neurolab.Network.run`, one call per presentation
(:func:`neurolab.papers.protocols.present_images`), a digit costs 34-39 ms of CPU, most
of it in the general kernel (denormal conductances, see below, and code for every rule),
and 4-40 ms more of wall time per presentation outside it, growing with the load (tables,
the worker thread, provenance, result assembly); 60 000 digits would take over an hour.
:func:`_run_digits` runs many attempts per call with nothing but arrays: ~3.5 ms of CPU per digit.

With the engine's choices above (``integration="exponential"``, ``hold_v_e=True``,
``count_rest=False``, ``norm_clip=True``, ``delay_rounding="nearest"``) it is the same
model as neurolab's general engine, step for step (``tests/papers/
test_diehl_cook.py`` checks spikes and weights against :meth:`Network.run` on a small
network given the same input spikes): the engine's schedule (state update with exponential
Euler and start-of-step conductances, threshold against ``v_th + theta``, reset, ``theta``
jump; presynaptic pathways by ascending delay, then postsynaptic pathways), its
event-driven traces (a trace's value is ``exp(-lag dt / tau)`` since its last reset,
looked up in the same table) and :class:`neurolab.TripletSTDP` with ``A2_plus = 0``,
``A3_plus = nu_post``, ``A2_minus = nu_pre``, ``A3_minus = 0``,
``interaction="nearest_spike"``; :class:`neurolab.AdaptiveThreshold`;
:class:`neurolab.Normalization` every 500 ms. Where the engine cannot follow the authors,
this loop can: ``theta`` starts at 20 mV under a threshold 20 mV lower (neurolab's
``add_lif`` refuses ``v_reset >= v_th``).

One difference from the engine, in values only: a conductance that decays below
``G_TINY`` = 1e-250 is set to 0. Left alone it would decay into the denormal range, where
arithmetic is about a hundred times slower (most inhibitory neurons sit there most of the
time: the engine pays for it); and it changes nothing it enters: ``1 + g_e + g_i`` and
``v_rest + g_e E_exc + g_i E_inh`` are of order 1 to 100, so adding less than 1e-248 to
them rounds back to the same number.

Input spikes are drawn per spike, not per input per step: the gaps of each source's
Bernoulli train are geometric, ``gap = floor(log(1 - u) / log(1 - p)) + 1`` with ``u``
uniform in [0, 1), so an attempt costs one uniform per input spike plus one per active
pixel. The uniforms come from ``numpy.random.default_rng`` in Python (randomness outside
the kernel) as one stream, handed over in blocks; the result does not depend on the block
size.

Room: ``neurolab.papers``. May import: numpy, numba, ``neurolab.base`` and
``neurolab.analysis``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from ..base import validate as V

__all__ = ["EXP_TABLE", "NEVER", "DiehlCook", "DiehlCookParams", "Responses", "draw_input",
           "online_accuracy"]

NEVER = -(1 << 40)      # the step of a spike that has not happened (the engine's value)
EXP_TABLE = 4096        # trace lags looked up in a table of math.exp (the engine's size)
G_TINY = 1e-250         # conductances below this are set to 0 (no denormals)


@dataclass(frozen=True)
class DiehlCookParams:
    """The constants of Diehl & Cook's network (the authors' code), units ms, mV, Hz.

    Protocol: ``dt``, ``presentation``, ``rest`` (ms); ``intensity`` (start),
    ``intensity_step``: the rate is ``pixel / pixel_divisor * intensity`` Hz;
    ``min_spikes``, ``max_repeats`` (the authors: no limit; a digit still short then is
    accepted and flagged). Excitatory: ``tau_e`` (membrane), ``v_rest_e``, ``v_reset_e``,
    ``v_thresh_e``, ``theta_offset`` (threshold ``v_thresh_e - theta_offset + theta``),
    ``theta_init``, ``theta_plus``, ``tau_theta``, ``refrac_e``, ``E_exc``, ``E_inh_e``,
    ``tau_ge``, ``tau_gi``, ``v_init_e``. Inhibitory: ``tau_i``, ``v_rest_i``, ``v_reset_i``,
    ``v_thresh_i``, ``refrac_i``, ``E_inh_i``, ``v_init_i``. Connections: ``w_ei`` (E -> I),
    ``w_ie`` (I -> E), ``w_init_low``/``w_init_scale`` (``w0 = (U(0,1) + low) scale``),
    ``w_max``, ``delay_max`` (input delays ``U(0, delay_max)``), ``norm_target``. STDP:
    ``nu_pre``, ``nu_post``, ``tau_pre``, ``tau_post1``, ``tau_post2``. How Brian 1 ran
    them (the module docstring): ``integration`` (``"euler"`` or ``"exponential"``),
    ``hold_v_e``, ``count_rest``, ``norm_clip``, ``delay_rounding`` (``"floor"`` or
    ``"nearest"``).
    """

    dt: float = 0.5
    presentation: float = 350.0
    rest: float = 150.0
    intensity: float = 2.0
    intensity_step: float = 1.0
    pixel_divisor: float = 8.0
    min_spikes: int = 5
    max_repeats: int = 20
    tau_e: float = 100.0
    v_rest_e: float = -65.0
    v_reset_e: float = -65.0
    v_thresh_e: float = -52.0
    theta_offset: float = 20.0
    theta_init: float = 20.0
    theta_plus: float = 0.05
    tau_theta: float = 1e7
    refrac_e: float = 5.0
    E_exc: float = 0.0
    E_inh_e: float = -100.0
    tau_ge: float = 1.0
    tau_gi: float = 2.0
    v_init_e: float = -105.0
    tau_i: float = 10.0
    v_rest_i: float = -60.0
    v_reset_i: float = -45.0
    v_thresh_i: float = -40.0
    refrac_i: float = 2.0
    E_inh_i: float = -85.0
    v_init_i: float = -100.0
    w_ei: float = 10.4
    w_ie: float = 17.0
    w_init_low: float = 0.01
    w_init_scale: float = 0.3
    w_max: float = 1.0
    delay_max: float = 10.0
    norm_target: float = 78.0
    nu_pre: float = 1e-4
    nu_post: float = 1e-2
    tau_pre: float = 20.0
    tau_post1: float = 20.0
    tau_post2: float = 40.0
    integration: str = "exponential"
    hold_v_e: bool = False
    count_rest: bool = True
    norm_clip: bool = False
    delay_rounding: str = "floor"

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("min_spikes", "max_repeats"):
                object.__setattr__(self, f.name, V.integer(f.name, value, minimum=0))
            elif f.name in ("hold_v_e", "count_rest", "norm_clip"):
                if not isinstance(value, (bool, np.bool_)):
                    raise TypeError(f"{f.name} must be a bool, got {value!r}")
                object.__setattr__(self, f.name, bool(value))
            elif f.name == "integration":
                if value not in ("euler", "exponential"):
                    raise ValueError(f"integration must be 'euler' or 'exponential', got "
                                     f"{value!r}")
            elif f.name == "delay_rounding":
                if value not in ("floor", "nearest"):
                    raise ValueError(f"delay_rounding must be 'floor' or 'nearest', got "
                                     f"{value!r}")
            else:
                object.__setattr__(self, f.name, V.real(f.name, value))
        for name in ("dt", "presentation", "tau_e", "tau_ge", "tau_gi", "tau_i", "tau_theta",
                     "tau_pre", "tau_post1", "tau_post2", "pixel_divisor", "w_max",
                     "norm_target"):
            V.positive(name, getattr(self, name))
        for name in ("rest", "intensity", "intensity_step", "refrac_e", "refrac_i",
                     "theta_plus", "w_init_scale", "delay_max", "nu_pre", "nu_post",
                     "w_ei", "w_ie"):
            V.non_negative(name, getattr(self, name))
        for name in ("presentation", "rest"):
            steps = getattr(self, name) / self.dt
            if abs(steps - round(steps)) > 1e-6:
                raise ValueError(f"{name} must be a multiple of dt={self.dt!r} ms, got "
                                 f"{getattr(self, name)!r}")
        if round(self.delay_max / self.dt) >= round(self.rest / self.dt):
            raise ValueError(f"rest ({self.rest!r} ms) must be longer than delay_max "
                             f"({self.delay_max!r} ms): every input spike arrives within "
                             f"its own attempt")

    def replace(self, **changes) -> DiehlCookParams:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Responses:
    """What a pass over digits gave. ``counts``: excitatory spikes during the accepted
    attempt's ``presentation`` of each digit, ``(n_digits, n_e)`` int16; ``repeats``: the
    attempts beyond the first, ``(n_digits,)``; ``intensity``: the intensity of the accepted
    attempt; ``short``: still under ``min_spikes`` after ``max_repeats`` repeats;
    ``wall_s``: seconds; ``t_start``/``t_stop``: network time (ms)."""

    counts: np.ndarray
    repeats: np.ndarray
    intensity: np.ndarray
    short: np.ndarray
    wall_s: float
    t_start: float
    t_stop: float


# ------------------------------------------------------------------ the kernel
@njit(cache=True)
def draw_input(img, scale, dt_s, n_pres, u, upos, in_ptr, in_ids, cnt):
    """One attempt's input spikes: pixel i fires as a Bernoulli train with ``p =
    img[i] * scale * dt_s`` per step over ``n_pres`` steps, drawn by geometric gaps from
    the uniforms ``u[upos:]``. Fills ``in_ptr`` (``n_pres + 1``) and ``in_ids`` (spikes of
    step s are ``in_ids[in_ptr[s]:in_ptr[s + 1]]``, pixels ascending; ``cnt`` is scratch of
    ``n_pres`` ints) and returns the new ``upos``."""
    n_in = img.shape[0]
    for s in range(n_pres):
        cnt[s] = 0
    # pass 1: draw every pixel's steps into in_ids, pixel by pixel (ascending steps)
    m = 0
    for i in range(n_in):
        if img[i] == 0:
            continue
        p = img[i] * scale * dt_s
        lq = math.log1p(-p)
        s = -1
        while True:
            x = math.log(1.0 - u[upos]) / lq
            upos += 1
            if x >= n_pres:
                break
            s += int(x) + 1
            if s >= n_pres:
                break
            in_ids[m] = s * n_in + i
            cnt[s] += 1
            m += 1
    # pass 2: counting sort by step (pixels stay ascending within a step)
    in_ptr[0] = 0
    for s in range(n_pres):
        in_ptr[s + 1] = in_ptr[s] + cnt[s]
        cnt[s] = in_ptr[s]
    keys = in_ids[:m].copy()
    for k in range(m):
        s = keys[k] // n_in
        in_ids[cnt[s]] = keys[k] - s * n_in
        cnt[s] += 1
    return upos


@njit(cache=True, inline="always")
def _flush(g):
    """A decayed conductance, 0 below ``G_TINY``: it would reach the denormal range (a
    hundred times slower to compute with) and changes no sum it enters (see the module
    docstring)."""
    return g if g >= G_TINY else 0.0


@njit(cache=True, inline="always")
def _trace(t_last, n, c, tab):
    """A nearest-spike trace (1 at its last spike at step ``t_last``) at step n: the
    engine's ``trace_now`` (table for short lags, ``exp`` beyond)."""
    if t_last == NEVER:
        return 0.0
    d = n - t_last
    if d == 0:
        return 1.0
    if d < tab.shape[0]:
        return tab[d]
    return math.exp(-d * c)


@njit(cache=True)
def _normalize(wd, col, n_e, target, w_max, clip):
    """Scale each excitatory neuron's input weights to sum to ``target`` (summed in the
    engine's order: by delay, then pixel), then clip to [0, w_max] if ``clip`` (the
    engine; the authors' ``normalize_weights`` does not clip); zero, denormal or
    non-finite sums leave a neuron alone."""
    n_in = col.shape[0] // n_e
    tiny = 2.2250738585072014e-308
    huge = 1.7976931348623157e308
    for j in range(n_e):
        total = 0.0
        for m in range(j * n_in, (j + 1) * n_in):
            total += wd[col[m]]
        if not tiny <= abs(total) <= huge:
            continue
        f = target / total
        if not abs(f) <= huge:
            continue
        for m in range(j * n_in, (j + 1) * n_in):
            x = col[m]
            w = wd[x] * f
            if clip:
                wd[x] = w_max if w > w_max else (max(w, 0.0))
            else:
                wd[x] = w


@njit(cache=True)
def _run_digits(images, order, k_stop, st, fpar, ipar, wd, post_of, dptr, col, r1t, v, ge, gi, last, theta, post_t, tab_pre, tab_post1, u, in_ptr, in_ids,
                cnt_scratch, counts, repeats, intensity, log, spk_step, spk_id, rest_cnt):
    """Run the digits ``order[st[K]] .. order[k_stop - 1]`` (``st``: the loop's state,
    kept between calls), attempt by attempt; returns 1 when all are done, 0 when the
    uniforms ``u`` run low before an attempt (refill and call again).

    ``st`` = (k, n, upos, reps, n_log, n_spk); ``fpar`` = (intensity0, intensity_step,
    1/pixel_divisor, dt in s, E: v_rest, v_reset, v_th - offset, P_ge, P_gi, dt/tau_m,
    E_exc, E_inh, theta decay, theta_plus; I: v_rest, v_reset, v_th, P_ge, P_gi,
    dt/tau_m, E_exc, E_inh; w_ei, w_ie, w_max, norm_target, nu_pre, nu_post,
    dt/tau_pre, dt/tau_post1, dt/tau_post2); ``ipar`` = (n_pres, n_rest, K_e, K_i,
    min_spikes, max_repeats, learn, max delay D). Neurons 0 .. n_e-1 excitatory, n_e ..
    2 n_e - 1 inhibitory (``v``, ``ge``, ``gi``, ``last``). Synapses flat, ``x = i n_e +
    k``: ``wd[x]`` the weight of pixel i's k-th synapse (a row sorted by delay: delay d
    holds ``k`` in ``dptr[i (D + 2) + d] .. dptr[i (D + 2) + d + 1]``) onto
    ``post_of[x]``; ``r1t[x]``: its last arrival step; ``col[j n_in .. (j + 1) n_in]``:
    neuron j's synapses by delay, then pixel. ``post_t[j]``: last spike
    of excitatory j (both postsynaptic traces are 1 there). ``log`` (attempts, 3): digit,
    intensity, excitatory spikes; ``spk_step``/``spk_id``: every spike, while room.
    """
    n_pres, n_rest = ipar[0], ipar[1]
    K_e, K_i = ipar[2], ipar[3]
    min_spikes, max_repeats = ipar[4], ipar[5]
    learn = ipar[6] == 1
    D = ipar[7]
    euler = ipar[8] == 1
    hold_e = ipar[9] == 1
    count_rest = ipar[10] == 1
    norm_clip = ipar[11] == 1
    inten0, inten_step, inv_div, dt_s = fpar[0], fpar[1], fpar[2], fpar[3]
    vr_e, vreset_e, vth_e, pe_e, pi_e, dtm_e, ee_e, ei_e = (fpar[4], fpar[5], fpar[6],
                                                           fpar[7], fpar[8], fpar[9],
                                                           fpar[10], fpar[11])
    th_decay, th_plus = fpar[12], fpar[13]
    vr_i, vreset_i, vth_i, pe_i, pi_i, dtm_i, ee_i, ei_i = (fpar[14], fpar[15], fpar[16],
                                                           fpar[17], fpar[18], fpar[19],
                                                           fpar[20], fpar[21])
    w_ei, w_ie, w_max, target = fpar[22], fpar[23], fpar[24], fpar[25]
    nu_pre, nu_post = fpar[26], fpar[27]
    c_pre, c_post1, c_post2 = fpar[28], fpar[29], fpar[30]
    pm_e = math.exp(-dtm_e * 1.0)       # the factor at g = 0, as the general formula has it
    pm_i = math.exp(-dtm_i * 1.0)
    n_e = theta.shape[0]
    n_in = wd.shape[0] // n_e
    D2 = D + 2
    n_att = n_pres + n_rest
    bound = n_in * (n_pres + 1)          # the most uniforms an attempt can use
    o1 = np.zeros(n_e)                   # post1 of each excitatory neuron at this step
    spk_e = np.zeros(n_e, np.int64)      # this step's excitatory spikes
    spk_i = np.zeros(n_e, np.int64)
    cnt = np.zeros(n_e, np.int64)
    cap = spk_step.shape[0]
    k, n, upos, reps, n_log, n_spk = st[0], st[1], st[2], st[3], st[4], st[5]
    while k < k_stop:
        if upos + bound > u.shape[0]:
            st[0], st[1], st[2], st[3], st[4], st[5] = k, n, upos, reps, n_log, n_spk
            return 0
        img = images[order[k]]
        inten = inten0 + reps * inten_step
        if learn:
            _normalize(wd, col, n_e, target, w_max, norm_clip)
        upos = draw_input(img, inv_div * inten, dt_s, n_pres, u, upos, in_ptr, in_ids,
                          cnt_scratch)
        for j in range(n_e):
            cnt[j] = rest_cnt[j] if count_rest else 0
            rest_cnt[j] = 0
        for s in range(n_att):
            # ---- 1.+2. state update, threshold, reset: excitatory (theta), inhibitory
            ne = 0
            for j in range(n_e):
                if euler:
                    if not hold_e or n >= last[j] + K_e:
                        v[j] += dtm_e * ((vr_e - v[j]) + ge[j] * (ee_e - v[j])
                                         + gi[j] * (ei_e - v[j]))
                elif not hold_e or n >= last[j] + K_e:
                    if ge[j] == 0.0 and gi[j] == 0.0:     # the same numbers, one exp less
                        v[j] = vr_e + (v[j] - vr_e) * pm_e
                    else:
                        gt = 1.0 + ge[j] + gi[j]
                        vinf = (vr_e + ge[j] * ee_e + gi[j] * ei_e) / gt
                        v[j] = vinf + (v[j] - vinf) * math.exp(-dtm_e * gt)
                ge[j] = _flush(ge[j] * pe_e)
                gi[j] = _flush(gi[j] * pi_e)
            if learn:
                for j in range(n_e):
                    theta[j] *= th_decay
            for j in range(n_e):
                if v[j] > vth_e + theta[j] and n >= last[j] + K_e:
                    last[j] = n
                    v[j] = vreset_e
                    if learn:
                        theta[j] += th_plus
                    spk_e[ne] = j
                    ne += 1
            ni = 0
            for j in range(n_e, 2 * n_e):
                if n >= last[j] + K_i and euler:
                    v[j] += dtm_i * ((vr_i - v[j]) + ge[j] * (ee_i - v[j])
                                     + gi[j] * (ei_i - v[j]))
                elif n >= last[j] + K_i:
                    if ge[j] == 0.0 and gi[j] == 0.0:     # the same numbers, one exp less
                        v[j] = vr_i + (v[j] - vr_i) * pm_i
                    else:
                        gt = 1.0 + ge[j] + gi[j]
                        vinf = (vr_i + ge[j] * ee_i + gi[j] * ei_i) / gt
                        v[j] = vinf + (v[j] - vinf) * math.exp(-dtm_i * gt)
                ge[j] = _flush(ge[j] * pe_i)
                gi[j] = _flush(gi[j] * pi_i)
            for j in range(n_e, 2 * n_e):
                if v[j] > vth_i and n >= last[j] + K_i:
                    last[j] = n
                    v[j] = vreset_i
                    spk_i[ni] = j - n_e
                    ni += 1
            if s < n_pres:
                for m in range(ne):
                    cnt[spk_e[m]] += 1
            else:
                for m in range(ne):
                    rest_cnt[spk_e[m]] += 1
            for m in range(ne):
                if n_spk < cap:
                    spk_step[n_spk] = n
                    spk_id[n_spk] = spk_e[m]
                n_spk += 1
            for m in range(ni):
                if n_spk < cap:
                    spk_step[n_spk] = n
                    spk_id[n_spk] = spk_i[m] + n_e
                n_spk += 1
            # ---- 3a. presynaptic pathways: input arrivals, by ascending delay
            if learn and s < n_pres + D:
                for j in range(n_e):
                    o1[j] = _trace(post_t[j], n, c_post1, tab_post1)
            for d in range(D + 1):
                s0 = s - d
                if s0 < 0:
                    break
                if s0 >= n_pres:
                    continue
                for a in range(in_ptr[s0], in_ptr[s0 + 1]):
                    i = in_ids[a]
                    base = i * n_e
                    g0 = dptr[i * D2 + d] + base
                    g1 = dptr[i * D2 + d + 1] + base
                    if learn:
                        for x in range(g0, g1):
                            j = post_of[x]
                            w = wd[x]
                            ge[j] += w
                            w = w - o1[j] * nu_pre
                            wd[x] = w_max if w > w_max else (max(w, 0.0))
                            r1t[x] = n
                    else:
                        for x in range(g0, g1):
                            ge[post_of[x]] += wd[x]
            for m in range(ne):                       # E -> I, one to one
                ge[n_e + spk_e[m]] += w_ei
            for m in range(ni):                       # I -> E, all but the partner
                q = spk_i[m]
                for j in range(n_e):
                    if j != q:
                        gi[j] += w_ie
            # ---- 3b. postsynaptic pathways: potentiation, then post1 = post2 = 1
            for m in range(ne):
                j = spk_e[m]
                t2 = post_t[j]
                if t2 == NEVER or t2 == n:
                    o2 = 0.0 if t2 == NEVER else 1.0
                else:
                    o2 = math.exp(-(n - t2) * c_post2)
                if learn:
                    pot = 0.0 + nu_post * o2
                    for mm in range(j * n_in, (j + 1) * n_in):
                        x = col[mm]
                        w = wd[x] + _trace(r1t[x], n, c_pre, tab_pre) * pot
                        wd[x] = w_max if w > w_max else (max(w, 0.0))
                post_t[j] = n
            n += 1
        total = 0
        for j in range(n_e):
            total += cnt[j]
        if n_log < log.shape[0]:
            log[n_log, 0] = order[k]
            log[n_log, 1] = inten
            log[n_log, 2] = total
        n_log += 1
        if total >= min_spikes or reps >= max_repeats:
            for j in range(n_e):
                counts[k, j] = cnt[j]
            repeats[k] = reps
            intensity[k] = inten
            reps = 0
            k += 1
        else:
            reps += 1
    st[0], st[1], st[2], st[3], st[4], st[5] = k, n, upos, reps, n_log, n_spk
    return 1


# ------------------------------------------------------------------ the network
def _exp_table(c):
    """exp(-d c), d = 0 .. EXP_TABLE-1, with the C library's exp (the engine's table)."""
    return np.array([math.exp(-d * c) for d in range(EXP_TABLE)])


class DiehlCook:
    """Diehl & Cook's network: ``n_input`` Poisson pixels -> ``n_e`` excitatory neurons
    (plastic, adaptive threshold) <-> ``n_e`` inhibitory neurons. The model and its step
    order: the module docstring.

    ``params``: a :class:`DiehlCookParams` (the authors' constants by default);
    ``seed``: the initial weights and delays (``default_rng([seed, 0])``) and the input
    spikes (``default_rng([seed, 1])``, one stream across all calls). ``weights`` /
    ``delays``: explicit initial weights ``(n_input, n_e)`` and delays in steps
    ``(n_input, n_e)`` instead of drawn ones. ``block``: uniforms handed to the kernel at a
    time (memory, not results).

    State, readable and settable between calls: :attr:`weights` ``(n_input, n_e)``,
    :attr:`theta` (mV, ``(n_e,)``), :attr:`v` (mV, ``(2 n_e,)``), :attr:`t` (ms).
    """

    def __init__(self, n_e: int = 100, params: DiehlCookParams | None = None, *,
                 n_input: int = 784, seed: int = 0, weights=None, delays=None,
                 block: int = 1 << 21):
        self.n_e = V.integer("n_e", n_e, minimum=1)
        self.n_input = V.integer("n_input", n_input, minimum=1)
        self.params = DiehlCookParams() if params is None else params
        if not isinstance(self.params, DiehlCookParams):
            raise TypeError(f"params must be a DiehlCookParams, got {type(params).__name__}")
        self.seed = V.integer("seed", seed, minimum=0)
        P = self.params
        dt = P.dt
        self.n_pres = round(P.presentation / dt)
        self.n_rest = round(P.rest / dt)
        self.block = max(V.integer("block", block, minimum=1),
                         4 * self.n_input * (self.n_pres + 1))
        rng = np.random.default_rng([self.seed, 0])
        shape = (self.n_input, self.n_e)
        if weights is None:
            weights = (rng.random(shape) + P.w_init_low) * P.w_init_scale
        weights = np.array(weights, dtype=np.float64)
        if weights.shape != shape or not np.all(np.isfinite(weights)) or weights.min() < 0:
            raise ValueError(f"weights must be finite, >= 0 and of shape {shape}")
        if delays is None:
            x = rng.random(shape) * P.delay_max / dt
            if P.delay_rounding == "nearest":
                x = x + 0.5
            delays = np.floor(x).astype(np.int64)
        delays = np.array(delays, dtype=np.int64)
        self.D = round(P.delay_max / dt)
        if delays.shape != shape or delays.min() < 0 or delays.max() > self.D:
            raise ValueError(f"delays must be steps in [0, {self.D}] of shape {shape}")
        self.delays = delays
        # rows sorted by delay (stable: posts ascending within a delay), stored flat:
        # synapse (i, k) at i * n_e + k
        post_of = np.argsort(delays, axis=1, kind="stable")
        rows = np.arange(self.n_input)[:, None]
        self._order = post_of                                   # (i, k) -> j
        self._post_of = post_of.astype(np.int64).ravel()
        dptr = np.zeros((self.n_input, self.D + 2), np.int64)
        dptr[:, 1:] = np.cumsum(
            np.stack([np.sum(delays == d, axis=1) for d in range(self.D + 1)], axis=1),
            axis=1)
        self._dptr = dptr.ravel()
        pos = np.empty(shape, np.int64)                         # (i, j) -> k
        pos[rows, post_of] = np.arange(self.n_e)[None, :]
        # each neuron's synapses by delay, then pixel (the engine's column order)
        col_i = np.argsort(delays.T, axis=1, kind="stable")
        self._col = (col_i * self.n_e + pos[col_i, np.arange(self.n_e)[:, None]]).ravel()
        self._wd = np.ascontiguousarray(weights[rows, post_of]).ravel()
        self._r1t = np.full(self.n_input * self.n_e, NEVER, np.int64)
        self.v = np.concatenate([np.full(self.n_e, P.v_init_e), np.full(self.n_e, P.v_init_i)])
        self._ge = np.zeros(2 * self.n_e)
        self._gi = np.zeros(2 * self.n_e)
        self._last = np.full(2 * self.n_e, NEVER, np.int64)
        self.theta = np.full(self.n_e, P.theta_init)
        self._post_t = np.full(self.n_e, NEVER, np.int64)
        self._step = 0
        self._rng_in = np.random.default_rng([self.seed, 1])
        self._u = self._rng_in.random(self.block)
        self._upos = 0
        self._tab_pre = _exp_table(dt / P.tau_pre)
        self._tab_post1 = _exp_table(dt / P.tau_post1)
        self._in_ptr = np.zeros(self.n_pres + 1, np.int64)
        self._in_ids = np.zeros(self.n_input * self.n_pres + 1, np.int64)
        self._cnt = np.zeros(self.n_pres, np.int64)
        self.attempts = np.zeros((0, 3))      # the last call's log: digit, intensity, spikes

    # ---------------------------------------------------------------- state
    @property
    def weights(self) -> np.ndarray:
        """Input weights ``(n_input, n_e)`` (a copy)."""
        out = np.empty((self.n_input, self.n_e))
        out[np.arange(self.n_input)[:, None], self._order] = self._wd.reshape(out.shape)
        return out

    @weights.setter
    def weights(self, value):
        w = np.asarray(value, dtype=np.float64)
        if w.shape != (self.n_input, self.n_e):
            raise ValueError(f"weights must have shape {(self.n_input, self.n_e)}")
        self._wd[:] = w[np.arange(self.n_input)[:, None], self._order].ravel()

    @property
    def t(self) -> float:
        """Network time (ms)."""
        return self._step * self.params.dt

    def _fpar(self):
        P = self.params
        dt = P.dt

        def decay(tau):
            # one step of dx/dt = -x / tau: forward Euler (Brian 1) or exact
            return 1.0 - dt / tau if P.integration == "euler" else math.exp(-dt / tau)

        return np.array([
            P.intensity, P.intensity_step, 1.0 / P.pixel_divisor, dt * 1e-3,
            P.v_rest_e, P.v_reset_e, P.v_thresh_e - P.theta_offset, decay(P.tau_ge),
            decay(P.tau_gi), dt / P.tau_e, P.E_exc, P.E_inh_e,
            decay(P.tau_theta), P.theta_plus,
            P.v_rest_i, P.v_reset_i, P.v_thresh_i, decay(P.tau_ge),
            decay(P.tau_gi), dt / P.tau_i, P.E_exc, P.E_inh_i,
            P.w_ei, P.w_ie, P.w_max, P.norm_target, P.nu_pre, P.nu_post,
            dt / P.tau_pre, dt / P.tau_post1, dt / P.tau_post2])

    def _ipar(self, learn):
        P = self.params
        return np.array([self.n_pres, self.n_rest, round(P.refrac_e / P.dt),
                         round(P.refrac_i / P.dt), P.min_spikes, P.max_repeats,
                         1 if learn else 0, self.D, 1 if P.integration == "euler" else 0,
                         1 if P.hold_v_e else 0, 1 if P.count_rest else 0,
                         1 if P.norm_clip else 0], np.int64)

    # ---------------------------------------------------------------- running
    def _images(self, images):
        img = np.asarray(images)
        if img.ndim == 3:
            img = img.reshape(img.shape[0], -1)
        if img.ndim != 2 or img.shape[1] != self.n_input or img.shape[0] == 0:
            raise ValueError(f"images must have shape (n, {self.n_input}) or (n, 28, 28), "
                             f"got {np.shape(images)}")
        img = np.ascontiguousarray(img, dtype=np.float64)
        P = self.params
        top = img.max() / P.pixel_divisor * (P.intensity + P.max_repeats * P.intensity_step)
        if img.min() < 0 or not np.isfinite(top) or top * P.dt * 1e-3 >= 1.0:
            raise ValueError(f"images must be >= 0 with rates below {1000 / P.dt:g} Hz at "
                             f"the highest intensity a repeat can reach")
        return img

    def _pass(self, images, learn, *, progress=None, chunk=1000, record_spikes=0,
              log_attempts=0):
        img = self._images(images)
        n = img.shape[0]
        counts = np.zeros((n, self.n_e), np.int16)
        repeats = np.zeros(n, np.int64)
        intensity = np.zeros(n)
        log = np.zeros((log_attempts, 3))
        spk_step = np.zeros(record_spikes, np.int64)
        spk_id = np.zeros(record_spikes, np.int64)
        order = np.arange(n, dtype=np.int64)
        st = np.array([0, self._step, self._upos, 0, 0, 0], np.int64)
        rest_cnt = np.zeros(self.n_e, np.int64)   # a pass starts with no rest before it
        fpar, ipar = self._fpar(), self._ipar(learn)
        t0 = time.perf_counter()
        t_start = self.t
        done = 0
        while done < n:
            stop = min(n, done + chunk)
            while True:
                ok = _run_digits(img, order, stop, st, fpar, ipar, self._wd, self._post_of,
                                 self._dptr, self._col, self._r1t, self.v,
                                 self._ge, self._gi, self._last, self.theta, self._post_t,
                                 self._tab_pre, self._tab_post1, self._u, self._in_ptr,
                                 self._in_ids, self._cnt, counts, repeats, intensity, log,
                                 spk_step, spk_id, rest_cnt)
                self._step = int(st[1])
                if ok:
                    break
                rest = self._u[st[2]:]                 # refill: the same single stream
                self._u = np.concatenate([rest, self._rng_in.random(self.block - rest.size)])
                st[2] = 0
            self._upos = int(st[2])
            done = stop
            if progress is not None:
                progress(done, n, counts[:done], time.perf_counter() - t0)
        self.attempts = log[:min(int(st[4]), log_attempts)]
        self.spikes = (spk_step[:min(int(st[5]), record_spikes)],
                       spk_id[:min(int(st[5]), record_spikes)])
        short = counts.sum(axis=1) < self.params.min_spikes
        return Responses(counts=counts, repeats=repeats, intensity=intensity, short=short,
                         wall_s=time.perf_counter() - t0, t_start=t_start, t_stop=self.t)

    def train(self, images, **kw) -> Responses:
        """Show ``images`` (``(n, n_input)`` or ``(n, 28, 28)``, pixels 0-255) once each, in
        order, learning: normalisation before every attempt, STDP, ``theta`` adapting.
        ``progress(done, n, counts_so_far, seconds)``: called every ``chunk`` digits.
        ``record_spikes`` / ``log_attempts``: room for that many spikes (kept in
        :attr:`spikes`, ``(steps, ids)``, inhibitory ids from ``n_e``) and attempts (kept in
        :attr:`attempts`: digit, intensity, excitatory spikes in the presentation)."""
        return self._pass(images, True, **kw)

    def respond(self, images, **kw) -> Responses:
        """Show ``images`` with weights and ``theta`` frozen (the test phase); same
        protocol otherwise (repeats at higher intensity, rest)."""
        return self._pass(images, False, **kw)


def online_accuracy(counts, labels, window: int, n_classes: int = 10):
    """Accuracy during learning, as the authors plotted it: the digits of each window of
    ``window`` are classified from their responses with the labels assigned from the
    previous window's responses. Returns (digits seen at each window's end, accuracy)."""
    from ..analysis import accuracy, assign_labels, predict_labels

    seen, acc = [], []
    for a in range(window, counts.shape[0] - window + 1, window):
        assigned = assign_labels(counts[a - window:a], labels[a - window:a], n_classes)
        pred = predict_labels(counts[a:a + window], assigned, n_classes)
        seen.append(a + window)
        acc.append(accuracy(pred, labels[a:a + window]))
    return np.array(seen), np.array(acc)
