"""neurolab.protocols.present_images: Diehl & Cook's presentation loop (show a sample, show
it again at a higher rate while the network answers with too few spikes).

Expected values are worked out by hand from the step schedule (README, "Simulation
semantics"), with inputs that fire in every step (rate 1000/dt Hz: probability 1) or never:
a delta synapse of weight above threshold, no delay, makes the input spike of step s raise
v in step s's synaptic phase, so the neuron crosses and spikes at step s + 1, where the
input of step s + 1 is discarded (it arrives in the spike's own step, and the reset would
erase it). With input in steps 0..P-1 of a presentation of P steps (P even) the neuron
spikes in steps 1, 3, ..., P - 1: P / 2 spikes, all inside the presentation.
"""

import numpy as np
import pytest

import neurolab as nl
from neurolab.papers.protocols import present_images

DT = 0.5
FULL = 1000.0 / DT          # Hz: a spike in every step


def relay(n_pixels=1, n_out=1):
    """Pixel 0 drives every output neuron above threshold with each spike."""
    net = nl.Network(dt=DT, seed=0)
    src = net.add_poisson("X", n_pixels, rates=np.zeros(n_pixels))
    out = net.add_lif("out", n_out, nl.LIFParams(tau_m=10.0, v_rest=0.0, v_th=1.0,
                                                 v_reset=0.0, refractory=0.0))
    net.connect(src[[0]], out, "all_to_all", weight=5.0)
    return net, src, out


def test_counts_are_the_presentation_window_only():
    net, src, out = relay(n_out=2)
    res = present_images(net, src, out, [[16.0]], intensity_max=16.0, max_rate=FULL,
                         presentation=10.0, rest=5.0, min_spikes=0)
    # 20 presentation steps: input in steps 0..19, output in steps 1, 3, ..., 19
    assert res.counts.tolist() == [[10, 10]]
    assert res.repeats.tolist() == [0] and res.max_rate.tolist() == [FULL]
    assert res.short.tolist() == [False]
    assert (res.t_start, res.t_stop) == (0.0, 15.0) and net.t == 15.0
    assert np.all(src.rates == 0.0)             # silent when it returns


def test_intensity_scales_the_rate():
    # intensity 8 of 16 at 2 * 1000/dt Hz is again probability 1
    net, src, out = relay()
    res = present_images(net, src, out, [[8.0]], intensity_max=16.0, max_rate=2 * FULL,
                         presentation=10.0, rest=0.0, min_spikes=0)
    assert res.counts.tolist() == [[10]]


@pytest.mark.parametrize("sequential", [True, False])
def test_a_short_sample_is_shown_again_at_a_higher_rate(sequential):
    # at max_rate 0 nothing fires: shown again at 0 + FULL Hz, which gives 10 spikes
    net, src, out = relay()
    res = present_images(net, src, out, [[16.0], [16.0]], intensity_max=16.0, max_rate=0.0,
                         rate_step=FULL, min_spikes=1, presentation=10.0, rest=5.0,
                         sequential=sequential)
    assert res.counts.tolist() == [[10], [10]]
    assert res.repeats.tolist() == [1, 1]
    assert res.max_rate.tolist() == [FULL, FULL]
    assert net.t == 4 * 15.0                    # four presentations of 15 ms


@pytest.mark.parametrize("sequential", [True, False])
def test_max_repeats_then_accepted_as_short(sequential):
    # pixel 1 drives nothing: sample 1 never reaches min_spikes
    net, src, out = relay(n_pixels=2)
    res = present_images(net, src, out, [[16.0, 0.0], [0.0, 8.0]], intensity_max=16.0,
                         max_rate=FULL, rate_step=1.0, min_spikes=5, max_repeats=3,
                         presentation=10.0, rest=5.0, sequential=sequential)
    assert res.counts.tolist() == [[10], [0]]
    assert res.repeats.tolist() == [0, 3]
    assert res.max_rate.tolist() == [FULL, FULL + 3.0]
    assert res.short.tolist() == [False, True]
    assert net.t == (1 + 4) * 15.0


def test_bad_arguments_are_named():
    net, src, out = relay(n_pixels=2)
    with pytest.raises(ValueError, match="source must be a Poisson population"):
        present_images(net, out, out, [[0.0]])
    with pytest.raises(ValueError, match="target must be a LIF population"):
        present_images(net, src, src, [[0.0, 0.0]])
    with pytest.raises(ValueError, match=r"images must have shape \(n_samples, 2\)"):
        present_images(net, src, out, [[0.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="within \\[0, intensity_max\\]"):
        present_images(net, src, out, [[17.0, 0.0]], intensity_max=16.0)
    with pytest.raises(TypeError, match="images must hold numbers"):
        present_images(net, src, out, [[True, False]])
    with pytest.raises(ValueError, match="presentation must be a multiple of dt"):
        present_images(net, src, out, [[0.0, 0.0]], presentation=10.2)
    with pytest.raises(ValueError, match="min_spikes must be an integer >= 0"):
        present_images(net, src, out, [[0.0, 0.0]], min_spikes=-1)
    with pytest.raises(ValueError, match="rate_step must be >= 0"):
        present_images(net, src, out, [[0.0, 0.0]], rate_step=-1.0)
    assert net.t == 0.0                          # nothing ran


@pytest.mark.parametrize("sequential", [True, False])
def test_a_spike_in_the_rest_is_not_counted(sequential):
    # 19 presentation steps: input in steps 0..18, spikes in steps 1, 3, ..., 17 (9 of
    # them) and in step 19, the first step of the rest (not counted)
    net, src, out = relay()
    res = present_images(net, src, out, [[16.0], [16.0]], intensity_max=16.0,
                         max_rate=FULL, presentation=9.5, rest=5.0, min_spikes=0,
                         sequential=sequential)
    assert res.counts.tolist() == [[9], [9]]
    spikes = net.run(1.0).spikes["out"]
    assert spikes.t.size == 0                    # and the input is silent afterwards
