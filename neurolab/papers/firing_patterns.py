"""The published firing patterns of the AdEx and Izhikevich presets: each preset's neuron
under the step current it was published with, for the figure of course lesson 1 (section
6) and :func:`neurolab.plotting.plot_firing_patterns`.

- Izhikevich (2003), IEEE Trans. Neural Netw. 14:1569, Fig. 2: regular spiking (``"RS"``),
  intrinsically bursting (``"IB"``), chattering (``"CH"``), fast spiking (``"FS"``) and
  low-threshold spiking (``"LTS"``) under a step of ``I = 10`` (the model's unit, mV/ms);
  :class:`~neurolab.IzhikevichParams` gives the equations. (``"TC"`` and ``"RZ"``, the
  thalamo-cortical and resonator cells, show their patterns under other stimuli, a release
  from hyperpolarisation and a pair of pulses, and are not among the defaults.)
- Naud, Marcille, Clopath & Gerstner (2008), Biol. Cybern. 99:335, Fig. 4a-h / Table 1:
  the eight AdEx patterns of :class:`~neurolab.AdExParams` ``.PRESETS`` (tonic, adapting,
  initial burst, regular bursting, delayed accelerating, delayed regular bursting,
  transient, irregular), each under its own step current (pA).

Every preset is one neuron of one network, all run together (one kernel call); the step
starts at ``onset`` ms, before which the AdEx neurons rest at ``E_L``. Izhikevich neurons
use forward Euler (``method="euler"``), AdEx neurons RK4, both at ``dt``.

Room: ``neurolab.papers``. May import: ``neurolab.base``, ``neurolab.model``,
``neurolab.stimuli`` and ``neurolab.analysis``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import validate as V
from ..model.network import Network
from ..model.neuron_models import AdExParams, IzhikevichParams

#: the presets shown by default, in the papers' order
DEFAULT_PRESETS = {"izhikevich": ("RS", "IB", "CH", "FS", "LTS"),
                   "adex": ("tonic", "adapting", "initial_burst", "bursting", "delayed",
                            "delayed_bursting", "transient", "irregular")}
_CLASSES = {"izhikevich": IzhikevichParams, "adex": AdExParams}
_UNITS = {"izhikevich": "mV/ms", "adex": "pA"}


@dataclass(frozen=True, eq=False)
class PresetResponse:
    """One preset's response to its step current.

    ``name``: the preset; ``model``: ``"adex"`` or ``"izhikevich"``; ``t`` (n_samples,) ms
    and ``v`` (n_samples,) mV: the membrane potential sampled at the start of every step;
    ``spikes`` (n_spikes,) ms: spike times; ``current``: the step's amplitude in ``unit``
    (pA for AdEx, mV/ms for Izhikevich) from ``onset`` ms on; ``v_peak``: the spike
    cut-off (mV), where a plot draws the spikes to."""

    name: str
    model: str
    t: np.ndarray
    v: np.ndarray
    spikes: np.ndarray
    current: float
    unit: str
    onset: float
    v_peak: float


def run_presets(model: str, names=None, *, duration: float = 400.0, onset: float = 20.0,
                dt: float = 0.1) -> dict:
    """Each preset of ``model`` under its published step current; see the module docstring
    for the sources.

    Parameters
    ----------
    model : ``"adex"`` or ``"izhikevich"``.
    names : preset names (default ``DEFAULT_PRESETS[model]``), each once.
    duration : ms simulated, > ``onset``, a multiple of ``dt``.
    onset : ms, >= 0: the step current starts then (0 before).
    dt : ms, the time step (AdEx presets need dt <= 0.25 ms, see ``Network.add_adex``).

    Returns
    -------
    dict
        ``{name: PresetResponse}`` in the order of ``names``; ``t``/``v`` have
        ``duration / dt`` samples.

    Raises ``ValueError`` naming the parameter and what is allowed (an unknown model or
    preset, a preset named twice, ``onset`` not below ``duration``) and the errors of
    ``Network.run`` / ``add_adex`` (e.g. a ``dt`` too large for a preset).
    """
    V.choice("model", model, tuple(_CLASSES))
    cls = _CLASSES[model]
    if isinstance(names, str) or (names is not None and not len(names)):
        raise ValueError(f"names must be a non-empty list of preset names from "
                         f"{list(cls.PRESETS)}, got {names!r}")
    names = DEFAULT_PRESETS[model] if names is None else tuple(names)
    for name in names:
        V.choice("names", name, tuple(cls.PRESETS))
    if len(set(names)) < len(names):
        raise ValueError(f"names must name each preset once, got {list(names)}")
    duration = V.positive("duration", duration, "ms")
    onset = V.non_negative("onset", onset, "ms")
    if onset >= duration:
        raise ValueError(f"onset must be below duration={duration!r} ms, got "
                         f"onset={onset!r} ms")
    net = Network(dt=dt)
    params = {}
    for name in names:
        p = cls.preset(name)
        pop = (net.add_adex(name, 1, p) if model == "adex" else net.add_izhikevich(name, 1, p))
        net.add_current(f"I_{name}", pop, [cls.PRESETS[name]["I"]], times=[onset])
        params[name] = p
    res = net.run(duration, record_state={name: "all" for name in names},
                  record_spikes=list(names), progress=False)
    out = {}
    for name in names:
        rec = res.state[name]
        peak = params[name].V_peak if model == "adex" else params[name].v_peak
        out[name] = PresetResponse(name=name, model=model, t=rec.t.copy(),
                                   v=rec.v[:, 0].copy(), spikes=res.spikes[name].t.copy(),
                                   current=float(cls.PRESETS[name]["I"]), unit=_UNITS[model],
                                   onset=onset, v_peak=float(peak))
    return out
