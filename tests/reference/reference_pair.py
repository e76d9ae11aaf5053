"""The pair rule in its plainest form, for the slow reference simulator (tests/reference.py).

Written from the definitions in the module docstring of ``neurolab/plasticity/pair.py``
(Morrison, Diesmann & Gerstner 2008, Fig. 7), independently of the kernel: no traces. Each
synapse keeps two explicit lists, the steps at which presynaptic spikes *arrived* (delays
are axonal: the arrival is what pairs) and the steps of its postsynaptic neuron's spikes.
At every event (an arrival, a postsynaptic spike) the weight changes by the sum over the
pairs that the pairing scheme makes with this event as the *later* spike of the pair:

    potentiation (the event is a postsynaptic spike at step n, partner arrivals m):
        Δw = +f_plus(w)  * sum_m A_plus  * exp(-(n - m) dt / tau_plus)
    depression (the event is an arrival at step n, partner postsynaptic spikes m):
        Δw = -f_minus(w) * sum_m A_minus * exp(-(n - m) dt / tau_minus)

then ``w = clip(w + Δw, w_min, w_max)``. ``f`` is taken at the weight before the update
(one factor per event: an event's pairs are summed first). Weight dependence:

- ``STDPParams``: ``f_plus = ((w_max - w) / (w_max - w_min))**mu``,
  ``f_minus = ((w - w_min) / (w_max - w_min))**mu_minus`` (``mu = 0``: additive);
- ``PowerLawSTDP``: ``A_plus = lambda_ w0**(1 - mu)``, ``f_plus = w**mu``,
  ``A_minus = lambda_ alpha``, ``f_minus = w``.

Which spike counts as earlier. A pre (arrival at ``a``) and a post spike (at ``b``) are a
*potentiation candidate* when the pre is earlier, ``a < b``, and a *depression candidate*
when the post is earlier, ``b < a``. For ``a == b`` (same step) ``same_step`` decides:
``"potentiate"``: the pre counts as earlier (a potentiation candidate only);
``"depress"``: the post counts as earlier (a depression candidate only); ``"both"``: both;
``"neither"``: neither (the two are not partners; each pairs with its next nearest one).

Pairing schemes, for a postsynaptic spike q (potentiation) / an arrival p (depression):

- all_to_all: every candidate partner.
- nearest_symmetric: the nearest (latest) candidate partner only.
- presynaptic_centred: depression as nearest_symmetric (an arrival pairs with the nearest
  postsynaptic spike before it); potentiation with every candidate arrival p for which q is
  the *first* postsynaptic spike that p is a candidate for (p pairs with the nearest
  postsynaptic spike after it).
- restricted: the nearest candidate partner, and only when the event is also the partner's
  nearest: q pairs with its latest candidate arrival p only if no earlier postsynaptic
  spike is a candidate for p; p pairs with its latest candidate postsynaptic spike q only
  if no earlier arrival is a candidate for q.

Order within one step (the reference simulator follows it because clipping makes order
matter): postsynaptic spikes that count as earlier than the step's arrivals are applied
first (``post_first``: ``same_step`` "depress" or "neither"), otherwise after the arrivals
("potentiate", "both"). An arrival delivers its weight to the target first, then depresses.

``learning=False`` on a projection: the lists keep following the spikes, the weights stay.

Hooks for tests/reference.py (a rule-family module, like tests/reference_vogels.py):
``handles(rule)``, ``setup(pj, projection, dt)`` once per projection,
``on_post(pj, fired_ids, n, early)`` twice per step (``early`` before the presynaptic
pathways: it records the step's postsynaptic spikes, then applies the postsynaptic events
that count as earlier than the arrivals; the call after them applies the others) and
``on_pre(pj, k, n)`` after synapse k delivered its weight (records the arrival, then
depresses).
"""

from __future__ import annotations

import math

__all__ = ["PairRuleReference", "handles", "setup", "on_pre", "on_post"]


class PairRuleReference:
    """The pair rule of one plastic projection with ``n_syn`` synapses (``rule`` a
    ``STDPParams`` or ``PowerLawSTDP``; ``dt`` in ms)."""

    def __init__(self, rule, n_syn, dt, learning=True):
        self.rule = rule
        self.dt = dt
        self.learning = learning
        self.power_law = type(rule).__name__ == "PowerLawSTDP"
        self.pre = [[] for _ in range(n_syn)]    # arrival steps, per synapse
        self.post = [[] for _ in range(n_syn)]   # postsynaptic spike steps, per synapse
        self.post_first = rule.same_step in ("depress", "neither")

    # ------------------------------------------------------------------ which pairs
    def pot_candidate(self, a, b):
        """An arrival at step a and a postsynaptic spike at step b: is the pre earlier?"""
        return a < b or (a == b and self.rule.same_step in ("potentiate", "both"))

    def dep_candidate(self, b, a):
        """A postsynaptic spike at step b and an arrival at step a: is the post earlier?"""
        return b < a or (b == a and self.rule.same_step in ("depress", "both"))

    def potentiation_partners(self, k, n):
        """Arrival steps that pair with synapse k's postsynaptic spike at step n."""
        pairing = self.rule.pairing
        cands = [a for a in self.pre[k] if self.pot_candidate(a, n)]
        earlier_posts = [b for b in self.post[k] if b < n]
        if pairing == "all_to_all" or not cands:
            return cands
        if pairing == "nearest_symmetric":
            return [max(cands)]
        if pairing == "presynaptic_centred":
            return [a for a in cands
                    if not any(self.pot_candidate(a, b) for b in earlier_posts)]
        if pairing == "restricted":
            a = max(cands)
            if any(self.pot_candidate(a, b) for b in earlier_posts):
                return []
            return [a]
        raise ValueError(pairing)

    def depression_partners(self, k, n):
        """Postsynaptic spike steps that pair with synapse k's arrival at step n."""
        pairing = self.rule.pairing
        cands = [b for b in self.post[k] if self.dep_candidate(b, n)]
        earlier_arrivals = [a for a in self.pre[k] if a < n]
        if pairing == "all_to_all" or not cands:
            return cands
        if pairing in ("nearest_symmetric", "presynaptic_centred"):
            return [max(cands)]
        if pairing == "restricted":
            b = max(cands)
            if any(self.dep_candidate(b, a) for a in earlier_arrivals):
                return []
            return [b]
        raise ValueError(pairing)

    # ------------------------------------------------------------------ weight change
    def _bounds(self):
        return self.rule.w_min, self.rule.w_max

    def gain_plus(self, w):
        """``A_plus f_plus(w)``."""
        r = self.rule
        if self.power_law:
            return r.lambda_ * r.w0 ** (1.0 - r.mu) * w ** r.mu
        return r.A_plus * ((r.w_max - w) / (r.w_max - r.w_min)) ** r.mu

    def gain_minus(self, w):
        """``A_minus f_minus(w)``."""
        r = self.rule
        if self.power_law:
            return r.lambda_ * r.alpha * w
        return r.A_minus * ((w - r.w_min) / (r.w_max - r.w_min)) ** r.mu_minus

    @staticmethod
    def _clip(w, lo, hi):
        return lo if w < lo else (hi if w > hi else w)

    # ------------------------------------------------------------------ events
    def record(self, n, arrivals, posts):
        """Step n's spikes, before any of its events: ``arrivals`` and ``posts`` are the
        synapses whose presynaptic spike arrives / whose postsynaptic neuron spikes."""
        for k in arrivals:
            self.pre[k].append(n)
        for k in posts:
            self.post[k].append(n)

    def on_post(self, k, n, w):
        """Synapse k's weight after its postsynaptic spike at step n (potentiation)."""
        partners = self.potentiation_partners(k, n)
        if not self.learning or not partners:
            return w
        s = sum(math.exp(-(n - a) * self.dt / self.rule.tau_plus) for a in partners)
        return self._clip(w + self.gain_plus(w) * s, *self._bounds())

    def on_arrival(self, k, n, w):
        """Synapse k's weight after a presynaptic arrival at step n (depression)."""
        partners = self.depression_partners(k, n)
        if not self.learning or not partners:
            return w
        s = sum(math.exp(-(n - b) * self.dt / self.rule.tau_minus) for b in partners)
        return self._clip(w - self.gain_minus(w) * s, *self._bounds())


# ---------------------------------------------------------------------- family hooks
def handles(rule) -> bool:
    """The pair rule's classes (read by name, not by import)."""
    return type(rule).__name__ in ("STDPParams", "PowerLawSTDP")


def setup(pj, pr, dt):
    pj["pair"] = PairRuleReference(pj["stdp"], len(pj["pre_ids"]), dt,
                                   learning=bool(pr.learning))


def on_pre(pj, k, n):
    ref = pj["pair"]
    ref.record(n, [k], [])
    pj["w"][k] = ref.on_arrival(k, n, pj["w"][k])


def on_post(pj, fired_ids, n, early):
    ref = pj["pair"]
    syns = [k for j in fired_ids for k in pj["syn_of_post"].get(j, [])]
    if early:
        ref.record(n, [], syns)
    if early != ref.post_first:
        return
    for k in syns:
        pj["w"][k] = ref.on_post(k, n, pj["w"][k])
