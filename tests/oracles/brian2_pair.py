"""Brian2 equations for every form of neurolab's pair rule (neurolab/plasticity/pair.py).

tests/brian2_model.py translates the default forms (all-to-all or nearest-symmetric
pairing, ``same_step="potentiate"``, additive or Gütig weight dependence) itself, unchanged;
every other form comes from here: :func:`pair_code` gives the Synapses' equations and
pathway code, :func:`set_pathway_orders` the order of the pathways within a step.

Written from the rule's definition (Morrison, Diesmann & Gerstner 2008, Fig. 7; NEST's
``stdp_*`` models), not from neurolab's kernel:

- traces ``Apre`` (decays with tau_plus) and ``Apost`` (tau_minus) are per-synapse
  event-driven variables, as in Brian2's own STDP examples; a presynaptic arrival runs
  ``Apre += A_plus`` (all-to-all, presynaptic-centred) or ``Apre = A_plus`` (nearest
  symmetric, restricted), a postsynaptic spike ``Apost += A_minus`` (all-to-all) or
  ``Apost = A_minus`` (the others: each arrival pairs with its nearest postsynaptic spike);
- depression at the arrival ``w -= Apost * f_minus(w)``, potentiation at the postsynaptic
  spike ``w += Apre * f_plus(w)``, each clipped to ``[w_min, w_max]``;
- presynaptic-centred: a postsynaptic spike pairs with every arrival since the previous
  postsynaptic spike (``Apre`` accumulates) and then sets ``Apre = 0``: later postsynaptic
  spikes find nothing to pair with until the next arrival;
- restricted: two synapse flags, ``pre_new`` (an arrival happened since the last
  postsynaptic spike) and ``post_new`` (a postsynaptic spike since the last arrival), both
  0 at the start (no spike yet). An arrival depresses only when ``post_new`` (its nearest
  postsynaptic spike has no nearer arrival after it), a postsynaptic spike potentiates only
  when ``pre_new``. Flags rather than compared spike times: the start needs no sentinel
  time, and which of two same-step spikes came first is then decided by the pathway order
  alone (below), not re-encoded in ``>`` versus ``>=``;
- weight dependence: additive; Gütig ``f_plus = ((w_max - w)/(w_max - w_min))**mu``,
  ``f_minus = ((w - w_min)/(w_max - w_min))**mu_minus``; power law (Morrison, Aertsen &
  Diesmann 2007) ``f_plus = w**mu`` with ``A_plus = lambda_ * w0**(1 - mu)``, ``f_minus = w``
  with ``A_minus = lambda_ * alpha``.

Same-step pairs, by the order of the pathways in Brian2's ``synapses`` slot (objects run
by ``order``; the presynaptic pathway has order -1). The postsynaptic code is split in two
parts: the trace increment (``inc``) and the potentiation (``pot``):

- ``"potentiate"``: pre (-1), then post = pot + inc (+1): Brian2's default;
- ``"depress"``:    post = pot + inc (-2), then pre (-1);
- ``"both"``:       inc (-2), pre (-1), pot (+1): the arrival sees the same-step
  postsynaptic spike in ``Apost`` and the potentiation sees the arrival in ``Apre``;
- ``"neither"``:    pot (-2), pre (-1), inc (+1): neither sees the other.

Across projections the order of pathways does not matter: a pathway writes only its own
synapses' variables and adds to the targets' inputs.
"""

from __future__ import annotations

__all__ = ["is_default_form", "pair_code", "pathway_orders", "set_pathway_orders"]


def _power_law(s):
    return type(s).__name__ == "PowerLawSTDP"


def is_default_form(s):
    """Whether tests/brian2_model.py's own translation covers rule ``s`` (or ``s`` is not a
    pair rule at all: other families have their own translations)."""
    if type(s).__name__ not in ("STDPParams", "PowerLawSTDP"):
        return True
    return (not _power_law(s) and s.pairing in ("all_to_all", "nearest_symmetric")
            and s.same_step == "potentiate")


def _weight_factors(s):
    """(f_plus, f_minus) code: each '' or '*<factor>'."""
    if _power_law(s):
        return "*w**mu", "*w"
    f_plus = "*((w_max - w)/(w_max - w_min))**mu" if s.mu != 0 else ""
    f_minus = "*((w - w_min)/(w_max - w_min))**mu_minus" if s.mu_minus != 0 else ""
    return f_plus, f_minus


def _amplitudes(s):
    if _power_law(s):
        return s.lambda_ * s.w0 ** (1.0 - s.mu), s.lambda_ * s.alpha, 1.0
    return s.A_plus, s.A_minus, s.mu_minus


def pair_code(s, deliver, ms):
    """``(model, on_pre, on_post, namespace)`` of pair rule ``s`` (STDPParams or
    PowerLawSTDP) with delivery code ``deliver``; ``on_post`` is a dict of pathways
    (``post``, or ``post_inc`` and ``post_pot``) when the same-step order needs two."""
    restricted = s.pairing == "restricted"
    centred = s.pairing == "presynaptic_centred"
    op_pre = "+=" if s.pairing in ("all_to_all", "presynaptic_centred") else "="
    op_post = "+=" if s.pairing == "all_to_all" else "="
    f_plus, f_minus = _weight_factors(s)
    model = ("w : 1\n"
             "dApre/dt = -Apre/tau_plus : 1 (event-driven)\n"
             "dApost/dt = -Apost/tau_minus : 1 (event-driven)\n")
    if restricted:
        model += "pre_new : 1\npost_new : 1\n"
    when_post = "post_new*" if restricted else ""
    when_pre = "pre_new*" if restricted else ""
    on_pre = (f"{deliver}\n"
              f"Apre {op_pre} A_plus\n"
              f"w = clip(w - {when_post}Apost{f_minus}, w_min, w_max)\n")
    if restricted:
        on_pre += "post_new = 0\npre_new = 1\n"
    inc = f"Apost {op_post} A_minus\n" + ("post_new = 1\n" if restricted else "")
    pot = f"w = clip(w + {when_pre}Apre{f_plus}, w_min, w_max)\n"
    if restricted:
        pot += "pre_new = 0\n"
    if centred:
        pot += "Apre = 0\n"
    if s.same_step in ("potentiate", "depress"):
        on_post = {"post": pot + inc}
    else:
        on_post = {"post_inc": inc, "post_pot": pot}
    a_plus, a_minus, mu_minus = _amplitudes(s)
    ns = {"tau_plus": s.tau_plus * ms, "tau_minus": s.tau_minus * ms,
          "A_plus": a_plus, "A_minus": a_minus, "w_min": s.w_min, "w_max": s.w_max,
          "mu": s.mu, "mu_minus": mu_minus}
    return model, on_pre, on_post, ns


def pathway_orders(s):
    """``{pathway name: order}`` of the postsynaptic pathways (the presynaptic one keeps
    Brian2's -1)."""
    return {"potentiate": {"post": 1}, "depress": {"post": -2},
            "both": {"post_inc": -2, "post_pot": 1},
            "neither": {"post_pot": -2, "post_inc": 1}}[s.same_step]


def set_pathway_orders(S, s):
    """Give the pathways of Synapses ``S`` (built from :func:`pair_code`) their order."""
    for name, order in pathway_orders(s).items():
        getattr(S, name).order = order
