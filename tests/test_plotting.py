"""Plot helpers and slider explorers, on synthetic data (no simulation needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import neurolab as nl  # noqa: E402
from neurolab import plotting  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def spikes(n, count, t_max=1000.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, t_max, count))
    return t, rng.integers(0, n, count)


def weights(n_samples=50, n_syn=40, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) * 10.0
    w = np.clip(0.5 + np.cumsum(rng.normal(0, 0.02, (n_samples, n_syn)), axis=0), 0, 1)
    return t, w


# ----------------------------------------------------------------------------- raster
def test_raster_stacks_populations_top_to_bottom(ax):
    a, b = spikes(10, 100), spikes(5, 30, seed=1)
    out = plotting.plot_raster({"a": nl.SpikeRecord(*a, 10), "b": b}, ax, sizes={"b": 5})
    assert out is ax
    assert len(ax.collections) == 2
    ya = ax.collections[0].get_offsets()[:, 1]
    yb = ax.collections[1].get_offsets()[:, 1]
    assert ya.min() >= 5 and ya.max() <= 14          # "a" occupies the top 10 rows
    assert yb.min() >= 0 and yb.max() <= 4
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["a\n(n=10)", "b\n(n=5)"]
    assert ax.get_xlabel() == "time (ms)"


def test_raster_max_neurons_window_and_seconds(ax):
    t, i = spikes(100, 2000)
    plotting.plot_raster({"inp": (t, i)}, ax, sizes={"inp": 100}, max_neurons=20,
                         t_range=(500.0, 1000.0), t_unit="s")
    xy = ax.collections[0].get_offsets()
    keep = (i < 20) & (t >= 500) & (t <= 1000)
    assert len(xy) == keep.sum()
    assert xy[:, 0].min() >= 0.5 and xy[:, 0].max() <= 1.0
    assert ax.get_xlim() == (0.5, 1.0)
    assert "20 of 100" in ax.get_yticklabels()[0].get_text()


def test_raster_accepts_a_result_and_rejects_unknown_population(ax):
    class Result:                     # anything with .spikes {name: record}
        spikes = {"out": nl.SpikeRecord(np.array([1.0, 2.0]), np.array([0, 1]), 3)}

    plotting.plot_raster(Result(), ax)
    assert ax.get_ylim() == (-0.5, 2.5)
    with pytest.raises(ValueError, match="populations: 'nope'"):
        plotting.plot_raster(Result(), ax, populations=["nope"])
    with pytest.raises(ValueError, match="t_unit"):
        plotting.plot_raster(Result(), ax, t_unit="min")


def separators(ax):
    """y of the horizontal lines drawn between bands, top to bottom."""
    return [ln.get_ydata()[0] for ln in ax.lines]


def test_raster_gives_a_single_neuron_under_1000_inputs_a_visible_band(ax):
    inp = spikes(1000, 3000)
    out = (np.array([100.0, 400.0]), np.array([0, 0]))
    plotting.plot_raster({"inp": inp, "out": out}, ax, sizes={"inp": 1000, "out": 1})
    # 1001 rows: y spans [-0.5, 1000.5]; "out" gets 15 % of it, 0.15 * 1001 = 150.15
    assert ax.get_ylim() == (-0.5, 1000.5)
    (sep,) = separators(ax)
    assert sep == pytest.approx(-0.5 + 150.15, abs=1e-9)             # 149.65
    out_band = sep - ax.get_ylim()[0]
    assert out_band == pytest.approx(150.15) and out_band >= 0.15 * 1001 - 1e-9
    # the one neuron sits in the middle of its band
    np.testing.assert_allclose(ax.collections[1].get_offsets()[:, 1], [74.575, 74.575])
    # the 1000 inputs share the other 850.85 units: neuron i at 149.65 + (999.5 - i) 0.85085
    t, i = inp
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1],
                               149.65 + (999.5 - i) * 0.85085, rtol=1e-12)
    labels = [tl.get_text() for tl in ax.get_yticklabels()]
    assert labels == ["inp\n(n=1000)", "out\n(n=1)"]
    np.testing.assert_allclose(ax.get_yticks(), [(1000.5 + 149.65) / 2, (149.65 - 0.5) / 2])


def test_raster_bands_share_the_rest_in_proportion(ax):
    recs = {"a": spikes(100, 50), "b": spikes(100, 50, seed=1), "c": spikes(1, 3, seed=2)}
    plotting.plot_raster(recs, ax, sizes={"a": 100, "b": 100, "c": 1})
    # 201 rows; c raised to 0.15 -> 30.15; a and b 0.425 each -> 85.425
    np.testing.assert_allclose(separators(ax), [200.5 - 85.425, 200.5 - 2 * 85.425])
    ax.clear()
    plotting.plot_raster(recs, ax, sizes={"a": 100, "b": 100, "c": 1}, min_share=0.0)
    np.testing.assert_allclose(separators(ax), [100.5, 0.5])        # one unit per row


def test_band_shares_by_hand():
    np.testing.assert_allclose(plotting.band_shares([1000, 1]), [0.85, 0.15])
    np.testing.assert_allclose(plotting.band_shares([1000, 1, 1]), [0.7, 0.15, 0.15])
    np.testing.assert_allclose(plotting.band_shares([10, 5]), [2 / 3, 1 / 3])
    # 8 bands cannot all get 15 %: equal shares
    np.testing.assert_allclose(plotting.band_shares([1000] + [1] * 7), [1 / 8] * 8)
    # raising one band can push another below the minimum: both end at 0.2
    np.testing.assert_allclose(plotting.band_shares([100, 30, 1], min_share=0.2),
                               [0.6, 0.2, 0.2])
    with pytest.raises(ValueError, match=r"min_share must be a number in \[0, 1\], got 1.5"):
        plotting.band_shares([1, 2], 1.5)
    with pytest.raises(TypeError, match="min_share must be a number"):
        plotting.band_shares([1, 2], "0.1")


def test_every_time_axis_defaults_to_ms(ax):
    t, w = weights()                       # samples every 10 ms up to 490 ms
    plotting.plot_weight_evolution((t, w), ax)
    assert ax.get_xlabel() == "time (ms)" and ax.get_xlim() == (0.0, 490.0)
    ax.clear()
    plotting.plot_weight_density((t, w), ax, colorbar=False)
    assert ax.get_xlabel() == "time (ms)"
    assert ax.images[0].get_extent()[:2] == [-5.0, 495.0]
    ax.clear()
    plotting.plot_weight_evolution((t, w), ax, t_unit="s")
    assert ax.get_xlabel() == "time (s)" and ax.get_xlim() == pytest.approx((0.0, 0.49))
    ax.clear()
    plotting.plot_raster({"a": spikes(3, 10)}, ax)
    assert ax.get_xlabel() == "time (ms)"


# ----------------------------------------------------------------------------- weights
def test_weight_evolution_samples_mean_and_band(ax):
    t, w = weights()
    groups = {"first": np.arange(20), "second": np.arange(40) >= 20}
    out = plotting.plot_weight_evolution((t, w), ax, groups=groups, n_sample=5,
                                         w_range=(0.0, 1.0), t_unit="ms")
    assert out is ax
    lines = [ln for ln in ax.lines if ln.get_linestyle() == "-"]
    assert len(lines) == 2 * 5 + 2                     # 5 samples + 1 mean per group
    means = [ln for ln in lines if ln.get_linewidth() > 2]
    np.testing.assert_allclose(means[0].get_ydata(), w[:, :20].mean(axis=1))
    np.testing.assert_allclose(means[1].get_ydata(), w[:, 20:].mean(axis=1))
    assert len(ax.collections) == 2                    # one shaded band per group
    assert ax.get_ylim()[0] < 0.0 and ax.get_ylim()[1] > 1.0
    assert "first (n=20)" in ax.get_legend().get_texts()[0].get_text()


def test_weight_evolution_accepts_a_weight_record_and_checks_input(ax):
    t, w = weights(n_syn=3)
    rec = nl.WeightRecord(t, np.arange(3), np.arange(3), np.zeros(3, int), w)
    plotting.plot_weight_evolution(rec, ax, band="p10-p90")
    with pytest.raises(ValueError, match="band"):
        plotting.plot_weight_evolution(rec, ax, band="iqr")
    with pytest.raises(ValueError, match="mask of shape"):
        plotting.plot_weight_evolution(rec, ax, groups={"g": np.ones(5, bool)})
    with pytest.raises(ValueError, match=r"w has shape \(50, 3\), expected \(10, n_syn"):
        plotting.plot_weight_evolution((t[:10], w), ax)


def test_weight_histogram_gives_fractions(ax):
    w = np.random.default_rng(0).uniform(0, 0.01, 500)
    plotting.plot_weight_histogram(w, ax, bins=10, w_range=(0, 0.01), label="final",
                                   histtype="bar")
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 10 and sum(heights) == pytest.approx(1.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["final"]
    plotting.plot_weight_histogram(w, ax, bins=10, w_range=(0, 0.01), relative=True,
                                   histtype="step")
    assert ax.get_xlabel() == "w / w_max"


def test_weight_density_columns_are_distributions(ax):
    t, w = weights()
    plotting.plot_weight_density((t, w), ax, bins=8, w_range=(0, 1))
    img = ax.images[0].get_array()
    assert img.shape == (8, t.size)
    np.testing.assert_allclose(img.sum(axis=0), 1.0)


def test_firing_patterns_one_trace_per_axes_spikes_to_the_peak():
    from types import SimpleNamespace

    t = np.arange(100) * 0.5
    v = -70.0 + 0.2 * t
    responses = {
        "a": SimpleNamespace(t=t, v=v, spikes=np.array([10.0, 20.0]), v_peak=0.0,
                             current=500.0, unit="pA", onset=5.0),
        "b": SimpleNamespace(t=t, v=v - 5.0, spikes=np.array([]), v_peak=30.0),
    }
    fig, axes = plt.subplots(1, 3)
    out = plotting.plot_firing_patterns(responses, axes, t_unit="s")
    assert out == list(axes)
    assert [ax.get_title() for ax in axes[:2]] == ["a: 500 pA", "b"]
    np.testing.assert_array_equal(axes[0].lines[0].get_ydata(), v)
    np.testing.assert_allclose(axes[0].lines[0].get_xdata(), t / 1000.0)
    segs = axes[0].collections[0].get_segments()           # spikes: v at the spike -> 0 mV
    assert [s.tolist() for s in segs] == [[[0.01, -68.0], [0.01, 0.0]],
                                          [[0.02, -66.0], [0.02, 0.0]]]
    assert not axes[1].collections and axes[0].get_xlabel() == "time (s)"
    assert not axes[2].axison                               # left over: switched off
    with pytest.raises(ValueError, match="one Axes per response: 2 responses, 1 axes"):
        plotting.plot_firing_patterns(responses, axes[:1])
    plt.close(fig)


def reward_run(n_samples=61, n_other=199, seed=0):
    """Weights every 1000 ms: the rewarded synapse (column 3) climbs from 0 to 4 mV and
    stays there; the others wander in [0, 2.5]."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) * 1000.0
    w = np.clip(1.0 + np.cumsum(rng.normal(0, 0.1, (n_samples, n_other + 1)), axis=0),
                0.0, 2.5)
    w[:, 3] = np.minimum(4.0, np.linspace(0.0, 6.0, n_samples))
    return t, w


@pytest.mark.parametrize("size", [(8.0, 4.2), (5.0, 3.5)])
def test_reward_weights_legend_stays_clear_of_the_maximum(size):
    """The legend's box lies above the dashed 4 mV line and above the rewarded synapse's
    trace, which sits on that line (notebook 10's figure)."""
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    t, w = reward_run()
    out = plotting.plot_reward_weights((t, w), 3, ax, rewards=[5000.0, 12000.0], w_max=4.0,
                                       t_unit="s")
    assert out is ax
    fig.canvas.draw()
    box = ax.get_legend().get_window_extent()
    line_y = ax.transData.transform((0.0, 4.0))[1]
    assert box.y0 > line_y + 3.0                       # pixels of clearance
    assert box.y1 <= ax.get_window_extent().y1 + 1.0   # inside the axes
    labels = [x.get_text() for x in ax.get_legend().get_texts()]
    assert labels == ["199 other synapses: 5-95 %", "others: mean", "rewarded synapse",
                      "rewards", "maximum (4)"]
    chosen = ax.lines[1]
    np.testing.assert_array_equal(chosen.get_ydata(), w[:, 3])
    np.testing.assert_allclose(chosen.get_xdata(), t / 1000.0)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.delete(w, 3, axis=1).mean(axis=1))
    assert ax.get_xlabel() == "time (s)"
    plt.close(fig)


def test_reward_weights_checks_its_input(ax):
    t, w = reward_run(n_samples=5, n_other=3)
    with pytest.raises(ValueError, match=r"chosen must index a recorded synapse, "
                                         r"0 <= chosen < 4, got chosen=4"):
        plotting.plot_reward_weights((t, w), 4, ax)
    plotting.plot_reward_weights((t, w), 0, ax)        # no w_max, no rewards
    assert [x.get_text() for x in ax.get_legend().get_texts()] == [
        "3 other synapses: 5-95 %", "others: mean", "rewarded synapse"]
    assert ax.get_ylim()[1] == pytest.approx(1.45 * w.max())


def test_stdp_window_plot_matches_the_rule(ax):
    stdp = nl.STDPParams(A_plus=0.01, A_minus=0.0105, tau_plus=16.8, tau_minus=33.7)
    dts = np.array([-20.0, 10.0])
    plotting.plot_stdp_window(stdp, ax, t_range=(-50, 50), measured=(dts, stdp.window(dts)))
    neg, pos, dots = ax.lines[:3]
    np.testing.assert_allclose(pos.get_ydata(), 0.01 * np.exp(-pos.get_xdata() / 16.8))
    np.testing.assert_allclose(neg.get_ydata(), -0.0105 * np.exp(neg.get_xdata() / 33.7))
    np.testing.assert_allclose(dots.get_ydata(), stdp.window(dts))


# ----------------------------------------------------------------------------- rule protocols
def test_spike_pairs_draws_one_line_per_listed_pair(ax):
    ltp = [(100.0, 120.0), (110.0, 120.0)]
    ltd = [(130.0, 125.0)]
    out = plotting.plot_spike_pairs([100.0, 110.0, 130.0], [120.0, 125.0], ax,
                                    potentiation=ltp, depression=ltd)
    assert out is ax
    assert len(ax.lines) == 3
    for line, (a, b) in zip(ax.lines, ltp + ltd):
        np.testing.assert_array_equal(line.get_xdata(), [a, b])
        np.testing.assert_array_equal(line.get_ydata(), [1.0, 0.0])
    assert [line.get_linestyle() for line in ax.lines] == ["-", "-", "--"]
    assert ax.lines[0].get_color() == plotting.POTENTIATION
    assert ax.lines[2].get_color() == plotting.DEPRESSION
    pre_ticks, post_ticks = (c.get_offsets() for c in ax.collections)
    np.testing.assert_array_equal(pre_ticks, [[100, 1], [110, 1], [130, 1]])
    np.testing.assert_array_equal(post_ticks, [[120, 0], [125, 0]])
    lo, hi = ax.get_xlim()
    assert lo < 100.0 and hi > 130.0
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pre", "post"]


def test_spike_pairs_without_pairs_or_spikes(ax):
    plotting.plot_spike_pairs([], [5.0], ax, t_range=(0.0, 10.0))
    assert len(ax.lines) == 0 and ax.get_xlim() == (0.0, 10.0)


def test_rule_check_line_and_points(ax):
    w = np.linspace(0.0, 1.0, 11)
    out = plotting.plot_rule_check(w, 1.0 - w, ax, simulated=([0.2, 0.6], [0.8, 0.4]))
    assert out is ax
    line, dots = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), w)
    np.testing.assert_array_equal(line.get_ydata(), 1.0 - w)
    np.testing.assert_array_equal(dots.get_xdata(), [0.2, 0.6])
    np.testing.assert_array_equal(dots.get_ydata(), [0.8, 0.4])
    assert dots.get_linestyle() == "None"
    plotting.plot_rule_check(w, w, ax, linestyle="--", color="k", label=None)
    assert ax.lines[-1].get_linestyle() == "--" and len(ax.lines) == 3


def test_rule_check_categories_side_by_side(ax):
    names = ["a", "b", "c"]
    plotting.plot_rule_check(names, [1.0, -2.0, 3.0], ax, simulated=[1.0, -2.0, 3.0],
                             offset=-0.2, width=0.4)
    plotting.plot_rule_check(names, [0.5, 0.5, 0.5], ax, offset=0.2, width=0.4,
                             label=None)
    bars = ax.patches
    assert len(bars) == 6
    np.testing.assert_allclose([b.get_x() + b.get_width() / 2 for b in bars],
                               [-0.2, 0.8, 1.8, 0.2, 1.2, 2.2])
    np.testing.assert_allclose([b.get_height() for b in bars], [1, -2, 3, 0.5, 0.5, 0.5])
    dots = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert len(dots) == 1
    np.testing.assert_allclose(dots[0].get_xdata(), [-0.2, 0.8, 1.8])
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    with pytest.raises(ValueError, match="expected \\(3,\\)"):
        plotting.plot_rule_check(names, [1.0, 2.0], ax)
    with pytest.raises(ValueError, match="2 positions and 3 values"):
        plotting.plot_rule_check([0.0, 1.0], [0.0, 1.0], ax, simulated=([0, 1], [0, 1, 2]))


# ----------------------------------------------------------------------------- saving
def draw_figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    plotting.plot_raster({"a": spikes(5, 50)}, ax)
    return fig


def test_save_figure_is_byte_identical_png_without_software_stamp(tmp_path):
    paths = []
    for k in range(2):
        fig = draw_figure()
        paths.append(plotting.save_figure(fig, tmp_path / f"f{k}.png"))
        plt.close(fig)
    data = [p.read_bytes() for p in paths]
    assert data[0] == data[1]
    assert data[0][:8] == b"\x89PNG\r\n\x1a\n"
    assert b"matplotlib" not in data[0].lower() and b"Software" not in data[0]
    assert not list(tmp_path.glob(".*.tmp"))                     # atomic write cleaned up
    from PIL import Image

    with Image.open(io.BytesIO(data[0])) as im:
        assert im.size[0] > 100


# ----------------------------------------------------------------------------- widgets
def test_explorer_redraws_with_slider_values():
    pytest.importorskip("ipywidgets")
    from neurolab.course import widgets

    calls = []

    def draw(fig, **kw):
        calls.append(kw)
        ax = fig.add_subplot()
        ax.plot([0, 1])
        ax.set_title(f"tau_minus {kw.get('tau_minus')}")
        return len(calls)

    ex = widgets.explorer(draw, {"A_plus": 0.01, "tau_minus": 20.0}, backend="image")
    assert calls == [{"A_plus": 0.01, "tau_minus": 20.0}]        # drawn once at start
    ex.sliders["tau_minus"].value = 33.7                          # no event loop: at once
    assert calls[-1] == {"A_plus": 0.01, "tau_minus": 33.7}
    assert ex.values == {"A_plus": 0.01, "tau_minus": 33.7}
    assert ex.result == 2                                         # what draw returned
    # the figure is drawn anew, not on top of the old one
    assert len(ex.figure.axes) == 1
    assert ex.figure.axes[0].get_title() == "tau_minus 33.7"
    assert ex.sliders["tau_minus"].continuous_update is True
    assert plt.get_fignums() == []                                 # no pyplot figures
    # a starting value beyond the usual range widens the slider instead of failing
    ex = widgets.explorer(draw, {"A_plus": 0.2}, backend="image")
    assert ex.sliders["A_plus"].max == 0.2 and ex.sliders["A_plus"].value == 0.2
    with pytest.raises(ValueError, match="no slider range for \\['w_max'\\]"):
        widgets.explorer(draw, {"w_max": 1.0}, backend="image")


def test_window_and_network_explorers_build():
    pytest.importorskip("ipywidgets")
    from neurolab.course import widgets

    seen = []
    ex = widgets.stdp_window_explorer(
        measure=lambda **kw: (seen.append(kw) or (np.array([5.0]), np.array([0.003]))),
        backend="image")
    assert set(ex.sliders) == {"A_plus", "A_minus", "tau_plus", "tau_minus"}
    assert seen[0]["tau_minus"] == 33.7
    ex.set(tau_plus=40.0)
    assert seen[-1]["tau_plus"] == 40.0
    assert "τ+=40.0 ms" in ex.figure.axes[0].get_title()

    runs = []
    ex = widgets.network_explorer(lambda **kw: runs.append(kw) or dict(kw),
                                  lambda fig, res: fig.add_subplot().set_title(str(res)),
                                  backend="image")
    ex.sliders["A_minus"].value = 0.02
    assert [r["A_minus"] for r in runs] == [0.0105, 0.02]
    assert ex.result == runs[-1]                                  # the last run's result
    assert ex.figure.axes[0].get_title() == str(runs[-1])
