"""Issue 24, item 9: a neuron whose incoming weights sum to a denormal (or to so little
that ``target / sum`` overflows) is left alone by the weight normalisation, never made
NaN or infinite."""

from __future__ import annotations

import numpy as np
import pytest

import neurolab as nl

PRE = [0, 1, 0, 1, 0, 1]
POST = [0, 0, 1, 1, 2, 2]
W0 = [1e-320, 0.0, 1e-300, 0.0, 1e-300, 2e-300]


def normalised(target, w0=W0):
    """The weights after the normalisation at step 0 (no spikes, no STDP amplitudes)."""
    net = nl.Network(dt=0.1, seed=0)
    src = net.add_spikes("src", 2, times=[], indices=[])
    out = net.add_lif("out", 3)
    proj = net.connect(src, out, "explicit", pre_ids=PRE, post_ids=POST, weight=w0,
                       stdp=nl.STDPParams(A_plus=0.0, A_minus=0.0, w_max=4.0),
                       normalize=nl.Normalization(target=target, every=1.0))
    res = net.run(0.2, record_weights={"src->out": "all"}, weight_dt=0.1, progress=False)
    return proj.weight, res.weights["src->out"].w


def test_a_denormal_sum_leaves_the_weights_alone():
    w, rec = normalised(5.0)
    assert np.isfinite(w).all() and np.isfinite(rec).all()
    # neuron 0 sums to 1e-320 (denormal): unchanged; neuron 1 sums to 1e-300 (a normal
    # number): 1e-300 * 5e300 = 5 clipped at w_max = 4; neuron 2: 5/3 and 10/3
    np.testing.assert_array_equal(w[:2], [1e-320, 0.0])
    np.testing.assert_allclose(w[2:], [4.0, 0.0, 5.0 / 3.0, 10.0 / 3.0], rtol=1e-14)
    np.testing.assert_array_equal(rec[0], w)


def test_a_factor_that_overflows_leaves_the_weights_alone():
    # target / 1e-300 = 1e310 overflows (inf): every neuron keeps its weights
    w, rec = normalised(1e10)
    np.testing.assert_array_equal(w, W0)
    assert np.isfinite(rec).all()


@pytest.mark.parametrize("total", [5e-324, 1e-310, 2.2e-308])
def test_every_sum_below_the_smallest_normal_number_is_left_alone(total):
    w, _ = normalised(1.0, [total, 0.0, 1.0, 1.0, 0.5, 0.0])
    np.testing.assert_array_equal(w[:2], [total, 0.0])
    np.testing.assert_allclose(w[2:], [0.5, 0.5, 1.0, 0.0], rtol=1e-15)
