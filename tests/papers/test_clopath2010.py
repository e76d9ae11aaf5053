"""Clopath et al. 2010, Fig. 4 (neurolab.papers.clopath2010): connectivity reflects coding.

The key measure, ``reciprocity``, on matrices written by hand; then the network: under the
rate code the high-rate neurons end up strongly connected in both directions, under the
temporal code only the connections along the firing sequence survive (unidirectional).
The thresholds are the qualitative result of the paper, not numbers taken from the code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurolab.papers import clopath2010 as C


def test_reciprocity_by_hand():
    sym = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], float)      # one bidirectional pair
    assert C.reciprocity(sym, top=2 / 6) == 1.0
    ring = np.roll(np.eye(4), 1, axis=1)                          # 0->1->2->3->0
    assert C.reciprocity(ring, top=4 / 12) == 0.0
    mixed = np.zeros((3, 3))
    mixed[0, 1] = mixed[1, 0] = mixed[1, 2] = 1.0                 # 2 of 3 reciprocated
    assert C.reciprocity(mixed, top=3 / 6) == pytest.approx(2 / 3)
    assert math.isnan(C.reciprocity(np.zeros((3, 3))))
    with pytest.raises(ValueError, match="top must be in"):
        C.reciprocity(sym, top=0.0)
    with pytest.raises(ValueError, match="square"):
        C.reciprocity(np.zeros((2, 3)))


def test_rate_code_gives_bidirectional_temporal_code_unidirectional():
    n = 10
    W_rate, s_rate = C.coding_network("rate", n=n, duration=10000.0)
    W_temp, s_temp = C.coding_network("temporal", n=n, duration=10000.0, gap=10.0)
    assert (np.diff(s_rate[[0, n // 2, n - 1]]) > 0).all()       # rates rise with k
    assert (s_temp == s_temp[0]).all()
    # rate code: the four fastest neurons are strongly connected both ways
    # (Poisson trains: one of the 12 connections may stay weak)
    F = W_rate[n - 4:, n - 4:]
    assert F[~np.eye(4, dtype=bool)].mean() > 0.8, F
    both = [min(F[i, j], F[j, i]) > 0.5 for i in range(4) for j in range(i + 1, 4)]
    assert sum(both) >= 5, F
    # ... while the slowest ones stay weakly connected (below the start, on average)
    slow = W_rate[:3, :3][~np.eye(3, dtype=bool)]
    assert slow.mean() < 0.5, slow
    # temporal code: forward k -> k+1 kept, backward k+1 -> k gone
    fwd = np.array([W_temp[k, (k + 1) % n] for k in range(n)])
    bwd = np.array([W_temp[(k + 1) % n, k] for k in range(n)])
    assert fwd.min() > 0.4 and bwd.max() < 0.05, (fwd, bwd)
    # the key measure
    assert C.reciprocity(W_rate) > 0.25
    assert C.reciprocity(W_temp) == 0.0


def test_bad_arguments():
    with pytest.raises(ValueError, match="code"):
        C.coding_network("phase")
    with pytest.raises(ValueError, match="gap"):
        C.coding_network("temporal", gap=0.0)
