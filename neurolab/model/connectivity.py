"""Connectivity rules: which pairs a projection connects, its initial weights and delays.

The rules of ``Network.connect`` (``RULES``: all-to-all, one-to-one, probability, fixed
in-degree, fixed out-degree, explicit), drawn from the Generator the network gives them,
and :func:`estimate_synapses`, the expected number of synapses of a rule before drawing.

Room: ``neurolab.model``. May import: numpy, ``neurolab.base`` and
``neurolab.model.distributions``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..base import validate as V
from .distributions import is_distribution, resolve


RULES = ("all_to_all", "one_to_one", "probability", "fixed_indegree", "fixed_outdegree",
         "explicit")


RECEPTORS = ("exc", "inh")


_INT64_MAX = int(np.iinfo(np.int64).max)
_SIGN_RULE = "weights are magnitudes >= 0; use receptor='inh' for inhibition"


def _rule_args(rule, p, k):
    """``(p, k)`` validated for ``rule``: ``p`` in [0, 1] for "probability", ``k`` an
    integer >= 0 for the degree rules (required there, passed through otherwise)."""
    if rule == "probability":
        if p is None:
            raise ValueError("rule='probability' needs p, got p=None")
        p = V.real("p", p)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must lie in [0, 1], got {p!r}")
    elif rule in ("fixed_indegree", "fixed_outdegree"):
        if k is None:
            raise ValueError(f"rule={rule!r} needs k, got k=None")
        k = V.integer("k", k, minimum=0)
    return p, k


def estimate_synapses(rule: str, n_pre: int, n_post: int, p=None, k=None) -> int:
    """How many synapses :meth:`Network.connect` makes with ``rule`` between ``n_pre`` and
    ``n_post`` neurons, before drawing anything (for a memory estimate).

    Exact for ``"all_to_all"`` (``n_pre * n_post``), ``"one_to_one"`` (``n_pre``),
    ``"fixed_indegree"`` (``n_post * k``) and ``"fixed_outdegree"`` (``n_pre * k``), counting
    autapses (``autapses=False`` removes at most ``min(n_pre, n_post)`` of all-to-all's, none
    of the degree rules'). For ``"probability"``: an upper bound, the mean plus six standard
    deviations of Binomial(n_pre * n_post, p), capped at ``n_pre * n_post``.
    ``"explicit"`` makes ``len(pre_ids)`` synapses and is refused here.

    Raises ``ValueError``/``TypeError`` for an unknown rule, sizes < 1, ``p`` outside [0, 1],
    ``k < 0``, a missing ``p``/``k``, or a count beyond int64.
    """
    V.choice("rule", rule, RULES)
    n_pre = V.integer("n_pre", n_pre, minimum=1)
    n_post = V.integer("n_post", n_post, minimum=1)
    pairs = n_pre * n_post
    if rule == "all_to_all":
        count = pairs
    elif rule == "one_to_one":
        count = n_pre
    elif rule == "probability":
        p, _ = _rule_args(rule, p, None)
        count = min(pairs, math.ceil(pairs * p + 6.0 * math.sqrt(pairs * p * (1.0 - p))))
    elif rule in ("fixed_indegree", "fixed_outdegree"):
        _, k = _rule_args(rule, None, k)
        count = k * (n_post if rule == "fixed_indegree" else n_pre)
    else:
        raise ValueError("rule='explicit' makes len(pre_ids) synapses; estimate_synapses "
                         "takes the other rules")
    if count > _INT64_MAX:
        raise ValueError(f"{rule!r} between {n_pre} and {n_post} neurons makes {count} "
                         f"synapses, more than int64 can index ({_INT64_MAX})")
    return int(count)


def _pair_count(pre_label, n_pre, post_label, n_post) -> int:
    """n_pre * n_post, refused when flat pair indices would not fit in int64."""
    pairs = int(n_pre) * int(n_post)
    if pairs > _INT64_MAX:
        raise ValueError(f"{pre_label!r} (n={n_pre}) x {post_label!r} (n={n_post}) has "
                         f"{pairs} neuron pairs, more than int64 can index ({_INT64_MAX}); "
                         f"connect smaller populations or subgroups")
    return pairs


def _all_to_all(n_pre, n_post, no_self):
    pre_ids = np.repeat(np.arange(n_pre, dtype=np.int64), n_post)
    post_ids = np.tile(np.arange(n_post, dtype=np.int64), n_pre)
    if no_self:
        keep = pre_ids != post_ids
        pre_ids, post_ids = pre_ids[keep], post_ids[keep]
    return pre_ids, post_ids


def _random_pairs(n_pre, n_post, p, no_self, rng):
    """Each (pre, post) pair independently with probability p, sorted by pre then post.

    The number of synapses is Binomial(pairs, p); the pairs are a uniformly random subset
    of that size, found by drawing flat pair indices (int64) until enough distinct ones are
    seen (no dense n_pre x n_post mask, so large sparse networks stay cheap).
    """
    cols = n_post - 1 if no_self else n_post
    total = _pair_count("pre", n_pre, "post", cols)
    count = int(rng.binomial(total, p)) if total else 0
    if count == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if count > total // 3:
        flat = np.sort(rng.choice(total, size=count, replace=False))
    else:
        seen = np.zeros(0, dtype=np.int64)
        while seen.size < count:
            draw = rng.integers(0, total, size=int((count - seen.size) * 1.2) + 16)
            allv = np.concatenate([seen, draw])
            _, first = np.unique(allv, return_index=True)
            seen = allv[np.sort(first)][:count]
        flat = np.sort(seen)
    flat = flat.astype(np.int64, copy=False)
    pre_ids = flat // cols
    post_ids = flat % cols
    if no_self:
        post_ids = post_ids + (post_ids >= pre_ids)
    return pre_ids.astype(np.int64), post_ids.astype(np.int64)


def _check_degree(k, n_src, forbid, word):
    """Refuse a degree k larger than the distinct partners every neuron has."""
    self_out = forbid is not None and bool((forbid >= 0).any())
    avail = n_src - (1 if self_out else 0)
    if k > avail:
        raise ValueError(f"k must be <= {avail} (distinct {word} neurons available"
                         f"{', autapses excluded' if self_out else ''}), got {k}")


def _invert_forbid(forbid, n_pre):
    """From 'post j is pre forbid[j]' to 'pre i is post back[i]' (-1: not in the other)."""
    back = np.full(n_pre, -1, dtype=np.int64)
    has = np.flatnonzero(forbid >= 0)
    back[forbid[has]] = has
    return back


def _draw_rows(rows, avail, k, rng):
    """(rows, k) int64: each row k distinct values in [0, avail), every k-subset equally
    likely. Rows are drawn with replacement and rows holding a repeat are redrawn whole
    (rejection keeps the subsets uniform); when repeats are likely (k^2 > avail) each row
    is drawn without replacement instead."""
    if k * k > avail:
        choice = np.empty((rows, k), dtype=np.int64)
        for c in range(rows):
            choice[c] = rng.choice(avail, size=k, replace=False)
        return choice
    choice = rng.integers(0, avail, size=(rows, k))
    while True:
        choice.sort(axis=1)
        dup_rows = np.flatnonzero((choice[:, 1:] == choice[:, :-1]).any(axis=1))
        if dup_rows.size == 0:
            return choice
        choice[dup_rows] = rng.integers(0, avail, size=(dup_rows.size, k))


def _k_subsets(rows, n_src, k, forbid, rng):
    """(rows, k) int64: row r holds k distinct sources in [0, n_src), never ``forbid[r]``
    (``forbid``: None, or int64 per row with -1 for nothing forbidden), uniformly.

    Rows with a forbidden source draw from the n_src - 1 others and skip it by shifting
    values >= forbid[r] up by one; rows without draw from all n_src. The two kinds are drawn
    as two blocks (rows without first), so that a projection without autapse exclusion, or
    with every row excluding one source, draws exactly as before subgroups existed.
    """
    out = np.empty((rows, k), dtype=np.int64)
    has = np.zeros(rows, dtype=bool) if forbid is None else forbid >= 0
    for excluded in (False, True):
        sel = np.flatnonzero(has == excluded)
        if sel.size == 0:
            continue
        block = _draw_rows(sel.size, n_src - int(excluded), k, rng)
        if excluded:
            block = block + (block >= forbid[sel][:, None])
        out[sel] = block
    return out


def _fixed_indegree(n_pre, n_post, k, forbid, rng):
    """Each post neuron gets k distinct presynaptic partners, uniformly; sorted by pre, post.

    ``forbid``: None, or int64 per post neuron: the pre index that is that neuron itself
    (excluded as a partner), -1 for none."""
    if k == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    _pair_count("pre", n_pre, "post", n_post)
    choice = _k_subsets(n_post, n_pre, k, forbid, rng)
    post_ids = np.repeat(np.arange(n_post, dtype=np.int64), k)
    pre_ids = choice.reshape(-1)
    key = np.sort(pre_ids * n_post + post_ids)
    return key // n_post, key % n_post


def _fixed_outdegree(n_pre, n_post, k, back, rng):
    """Each pre neuron gets k distinct postsynaptic partners, uniformly; sorted by pre, post.

    ``back``: None, or int64 per pre neuron: the post index that is that neuron itself
    (excluded as a partner), -1 for none. The same draw as :func:`_fixed_indegree` with the
    roles of pre and post swapped."""
    post_ids, pre_ids = _fixed_indegree(n_post, n_pre, k, back, rng)
    key = np.sort(pre_ids * n_post + post_ids)
    return key // n_post, key % n_post


def _weights(weight, n_syn, rng, synapse, stdp):
    """Initial weights (float64, n_syn): magnitudes >= 0, in [w_min, w_max] when plastic."""
    unit = "" if synapse == "conductance" else "mV"
    if is_distribution(weight):
        kind = weight[0]
        if len(weight) == 3 and kind in ("uniform", "normal"):
            first = weight[1]
            if (isinstance(first, numbers.Real) and not isinstance(first, (bool, np.bool_))
                    and (first < 0 if kind == "uniform" else first <= 0)):
                what = "lo < 0" if kind == "uniform" else "mean <= 0"
                raise ValueError(f"weight {V._show(weight)} has {what}, so it describes "
                                 f"signed weights: {_SIGN_RULE}")
    else:
        arr = V.float_array("weight", weight, length=n_syn)
        if (arr < 0).any():
            kk = int(np.flatnonzero(arr < 0)[0])
            scalar = np.ndim(weight) == 0
            raise ValueError(f"weight must be >= 0, got {float(arr[kk])!r}"
                             f"{'' if scalar else f' at index {kk}'}: {_SIGN_RULE}")
        if np.ndim(weight) != 0:
            weight = arr  # validated once: resolve takes the float64 array without a copy
    if stdp is None:
        return resolve("weight", weight, n_syn, rng, low=0.0, unit=unit)
    try:
        return resolve("weight", weight, n_syn, rng, low=stdp.w_min, high=stdp.w_max,
                       unit=unit)
    except ValueError as err:
        raise ValueError(f"{err} ([w_min, w_max] of the plastic projection's STDPParams)"
                         ) from None


def _delays(delay, n_syn, dt, rng):
    """Axonal delays (ms, float64, n_syn) >= 0 on the dt grid: explicit values must be
    multiples of dt, drawn values are rounded to the nearest step (ties up)."""
    if is_distribution(delay):
        drawn = resolve("delay", delay, n_syn, rng, low=0.0, unit="ms")
        return np.floor(drawn / dt + 0.5) * dt
    delay = resolve("delay", delay, n_syn, rng, low=0.0, unit="ms")
    steps = delay / dt
    off = np.abs(steps - np.rint(steps)) > 1e-6
    if off.any():
        kk = int(np.flatnonzero(off)[0])
        raise ValueError(f"delay must be a multiple of dt={dt!r} ms, got {float(delay[kk])!r} "
                         f"ms at index {kk} (explicit delays are not rounded; round them "
                         f"yourself, np.round(d / dt) * dt, or give a distribution, whose "
                         f"draws are rounded to the nearest step)")
    return delay
