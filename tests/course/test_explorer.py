"""Live explorers (neurolab.course.explorer): what the artists show, throttling, errors, fallback.

Expected values come from independent runs of ``neurolab.Network`` written here, or from
closed forms written here, never from the explorer's own code. The throttling tests move
sliders faster than updates can follow, in an asyncio loop and in a real ipykernel that
receives the comm messages a browser would send.
"""

from __future__ import annotations

import asyncio
import json
import sys

import numpy as np
import pytest

import neurolab as nl
from neurolab.course import explorer as E

LIF = dict(v_rest=-70.0, v_th=-54.0, v_reset=-60.0)


def closed_form_rate(I, tau_m, ref, v_rest=-70.0, v_th=-54.0, v_reset=-60.0):
    """LIF rate (Hz) under constant input I (mV), written out here for the tests."""
    out = []
    for x in np.atleast_1d(I):
        if v_rest + x <= v_th:
            out.append(0.0)
        else:
            T = ref + tau_m * np.log((v_rest + x - v_reset) / (v_rest + x - v_th))
            out.append(1000.0 / T)
    return np.array(out)


# ----------------------------------------------------------------------------- neuron
def test_neuron_explorer_shows_a_direct_simulation_and_the_closed_form():
    ex = E.neuron_explorer(I=20.0, tau_m=10.0, refractory=2.0, backend="ipympl")
    ex.set(I=27.5, tau_m=15.0, refractory=3.0)
    st = ex._state
    net = nl.Network(dt=0.1, seed=0)
    net.add_lif("n", 1, nl.LIFParams(tau_m=15.0, refractory=3.0, synapse="delta",
                                     I_bias=27.5, **LIF))
    res = net.run(200.0, record_state={"n": "all"}, state_dt=0.1, progress=False)
    t, v = st["v"].get_data()
    np.testing.assert_array_equal(t, res.state["n"].t)
    np.testing.assert_array_equal(v, res.state["n"].v[:, 0])
    np.testing.assert_array_equal(st["spikes"].get_offsets()[:, 0], res.spikes["n"].t)
    isi = np.diff(res.spikes["n"].t)
    assert res.spikes["n"].t.size >= 5
    x, y = st["pt_sim"].get_data()
    assert x[0] == 27.5 and y[0] == pytest.approx(1000.0 / isi.mean(), rel=1e-12)
    x, y = st["fI"].get_data()
    np.testing.assert_allclose(y, closed_form_rate(x, 15.0, 3.0), rtol=1e-12)
    assert x.min() == 0.0 and x.max() == 50.0
    _, y = st["pt_cf"].get_data()
    assert y[0] == pytest.approx(closed_form_rate(27.5, 15.0, 3.0)[0], rel=1e-12)
    # the simulated interval is the closed form's to within one step (discrete time)
    T_cf = 1000.0 / closed_form_rate(27.5, 15.0, 3.0)[0]
    assert abs(isi.mean() - T_cf) <= 0.1 + 1e-9
    assert "Hz" in ex.status and ex.values == {"I": 27.5, "tau_m": 15.0, "refractory": 3.0}


def test_neuron_explorer_below_rheobase_and_poisson_drive():
    ex = E.neuron_explorer(I=10.0, backend="ipympl")          # 10 mV < 16 mV: silent
    assert ex._state["pt_sim"].get_data()[1][0] == 0.0
    assert ex._state["spikes"].get_offsets().shape[0] == 0
    ex = E.neuron_explorer(drive="poisson", rate=30.0, backend="ipympl", seed=3)
    ex.set(rate=35.0)
    net = nl.Network(dt=0.1, seed=3)
    out = net.add_lif("neuron", 1, nl.LIFParams(tau_m=10.0, refractory=2.0,
                                                synapse="delta", **LIF))
    net.add_poisson_input("drive", out, 100, 35.0, 0.5)
    res = net.run(200.0, record_state={"neuron": "all"}, state_dt=0.1, progress=False)
    np.testing.assert_array_equal(ex._state["v"].get_data()[1], res.state["neuron"].v[:, 0])
    x, _ = ex._state["pt_cf"].get_data()
    assert x[0] == pytest.approx(100 * 35.0 * 0.5 * 10.0 / 1000.0)   # mean drive, mV


# ----------------------------------------------------------------------------- STDP
SET = dict(A_plus=0.08, A_minus=0.1, tau_plus=15.0, tau_minus=30.0, w_max=0.08,
           rate=20.0, correlation=0.3, seed=5)


def test_stdp_explorer_shows_a_direct_simulation():
    ex = E.stdp_explorer(n_correlated=40, n_independent=30, duration=1000.0, n_traces=5,
                         bins=10, backend="ipympl")
    ex.set(**SET)
    st = ex._state
    t_in, i_in = ex.inputs
    # the network, written out independently of the explorer
    wm = 0.08
    net = nl.Network(dt=0.1, seed=SET["seed"])
    src = net.add_spikes("x", 70, t_in, i_in)
    out = net.add_lif("y", 1, nl.LIFParams(tau_m=10.0, v_rest=-74.0, v_th=-54.0,
                                           v_reset=-60.0, synapse="conductance", tau_e=5.0,
                                           E_e=0.0))
    stdp = nl.STDPParams(A_plus=0.08 * wm, A_minus=0.1 * wm, tau_plus=15.0, tau_minus=30.0,
                         w_min=0.0, w_max=wm)
    net.connect(src, out, weight=("uniform", 0.0, wm), stdp=stdp, name="p")
    res = net.run(1000.0, record_spikes="all", record_weights={"p": "all"}, weight_dt=10.0,
                  progress=False)
    assert res.spikes["y"].t.size > 3
    # raster: every input spike at its row, the output neuron's on the row below them
    off = np.concatenate([np.asarray(c.get_offsets()) for c in st["raster"]])
    want = np.concatenate([np.column_stack([res.spikes["x"].t, res.spikes["x"].i]),
                           np.column_stack([res.spikes["y"].t,
                                            np.full(res.spikes["y"].t.size, 73)])])
    order = np.lexsort((off[:, 0], off[:, 1]))
    want_order = np.lexsort((want[:, 0], want[:, 1]))
    np.testing.assert_array_equal(off[order], want[want_order])
    assert np.all(np.asarray(st["raster"][0].get_offsets())[:, 1] < 40)   # correlated
    assert np.all(np.asarray(st["raster"][1].get_offsets())[:, 1] >= 40)  # independent
    # weight trajectories (first 5 of each group) and group means, in units of w_max
    w = np.vstack([res.weights["p"].w, res.final_weights["p"][None, :]]) / wm
    segs = st["traj"].get_segments()
    assert len(segs) == 10
    for seg, k in zip(segs, [0, 1, 2, 3, 4, 40, 41, 42, 43, 44]):
        np.testing.assert_allclose(seg[:, 1], w[:, k], rtol=0, atol=1e-15)
    np.testing.assert_allclose(st["means"][0].get_data()[1], w[:, :40].mean(axis=1), atol=1e-15)
    np.testing.assert_allclose(st["means"][1].get_data()[1], w[:, 40:].mean(axis=1), atol=1e-15)
    # final histogram per group
    final = res.final_weights["p"] / wm
    edges = np.linspace(0, 1, 11)
    np.testing.assert_array_equal(st["hist"][0].get_data().values,
                                  np.histogram(final[:40], edges)[0])
    np.testing.assert_array_equal(st["hist"][1].get_data().values,
                                  np.histogram(final[40:], edges)[0])
    # the window is the pair rule, in units of w_max
    x, y = st["win_pos"].get_data()
    np.testing.assert_allclose(y, 0.08 * np.exp(-x / 15.0), rtol=1e-12)
    x, y = st["win_neg"].get_data()
    np.testing.assert_allclose(y, -0.1 * np.exp(x / 30.0), rtol=1e-12)
    rate = res.spikes["y"].t.size / 1.0
    assert f"output rate <b>{rate:.1f} Hz</b>" in ex.status


def test_correlated_inputs_rate_correlation_and_seed():
    dur, dt, r, c = 20_000.0, 0.1, 20.0, 0.3
    t, i = E.correlated_inputs(20, 20, r, c, dur, dt, seed=1)
    t2, i2 = E.correlated_inputs(20, 20, r, c, dur, dt, seed=1)
    np.testing.assert_array_equal(t, t2)
    np.testing.assert_array_equal(i, i2)
    t3, _ = E.correlated_inputs(20, 20, r, c, dur, dt, seed=2)
    assert t3.size != t.size or not np.array_equal(t3, t)
    assert t.min() >= 0 and t.max() < dur
    steps = np.round(t / dt).astype(int)
    np.testing.assert_allclose(steps * dt, t)
    counts = np.bincount(i, minlength=40) / (dur / 1000.0)
    # 400 expected spikes per train: mean rate within 2 %, each train within 25 %
    assert abs(counts.mean() - r) < 0.02 * r * 2
    assert np.all(np.abs(counts - r) < 0.25 * r)
    x = np.zeros((40, int(dur / dt)), dtype=bool)
    x[i, steps] = True
    cc = np.corrcoef(x)
    corr_pairs = cc[:20, :20][np.triu_indices(20, 1)]
    ind_pairs = cc[20:, 20:][np.triu_indices(20, 1)]
    cross = cc[:20, 20:]
    assert abs(corr_pairs.mean() - c) < 0.03
    assert abs(ind_pairs.mean()) < 0.01 and abs(cross.mean()) < 0.01
    # no two spikes of one train in one step
    assert np.unique(i * 10**7 + steps).size == i.size


@pytest.mark.parametrize("kwargs, match", [
    (dict(correlation=1.5), "correlation must be within"),
    (dict(rate=-1.0), "rate"),
    (dict(n_correlated=-1), "n_correlated"),
])
def test_correlated_inputs_bad_arguments(kwargs, match):
    args = dict(n_correlated=5, n_independent=5, rate=10.0, correlation=0.2, duration=100.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        E.correlated_inputs(**args)


# ----------------------------------------------------------------------------- errors
def test_bad_ranges_and_values_give_clear_errors():
    with pytest.raises(ValueError, match=r"I must be within \[0.0, 50.0\] mV, got 80.0"):
        E.neuron_explorer(I=80.0)
    with pytest.raises(ValueError, match=r"tau_m: the range must have lo < hi, got lo=20, hi=5"):
        E.neuron_explorer(ranges={"tau_m": (20, 5)})
    with pytest.raises(ValueError, match=r"step must be > 0"):
        E.neuron_explorer(ranges={"I": (0, 10, 0)})
    with pytest.raises(ValueError, match=r"unknown slider\(s\) \['bogus'\]"):
        E.stdp_explorer(ranges={"bogus": (0, 1)})
    with pytest.raises(ValueError, match="drive must be 'current' or 'poisson'"):
        E.neuron_explorer(drive="noise")
    with pytest.raises(ValueError, match="backend must be one of"):
        E.neuron_explorer(backend="qt")
    with pytest.raises(ValueError, match="throttle_s must be"):
        E.neuron_explorer(throttle_s=-1)
    with pytest.raises(ValueError, match="v_reset must be < v_th"):
        E.neuron_explorer(v_reset=-50.0)
    ex = E.neuron_explorer(ranges={"I": (0.0, 100.0)})
    ex.set(I=80.0)                                      # allowed by the wider range
    with pytest.raises(ValueError, match=r"refractory must be within \[0.0, 10.0\], got 20"):
        ex.set(refractory=20)
    with pytest.raises(ValueError, match="unknown slider"):
        ex.set(tau=3.0)


def test_without_ipympl_a_clear_error_or_the_image_fallback(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipympl", None)           # import ipympl fails
    monkeypatch.setitem(sys.modules, "ipympl.backend_nbagg", None)
    with pytest.raises(ImportError, match="needs the ipympl package"):
        E.neuron_explorer(backend="ipympl")
    with pytest.warns(UserWarning, match="ipympl is not installed"):
        ex = E.neuron_explorer(backend="auto")
    assert ex.backend == "image"
    first = ex._view.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    ex.set(I=30.0)
    assert ex._view.value != first and ex._view.value[:4] == b"\x89PNG"


def test_explorers_draw_once_then_blit():
    ex = E.stdp_explorer(n_correlated=20, n_independent=20, duration=300.0)
    full = ex.n_full_draws
    for a in (0.050, 0.051, 0.052, 0.053):
        ex.set(A_plus=a)
    assert ex.n_full_draws == full          # no axis range changed: only blits
    ex.set(A_plus=0.15)                     # the window's range changes: one full draw
    assert ex.n_full_draws == full + 1
    assert len(ex.figure.axes) == 4


# ----------------------------------------------------------------------------- throttling
def test_throttling_drops_intermediate_values_in_an_event_loop():
    ex = E.neuron_explorer(backend="ipympl", throttle_s=0.02)
    values = np.round(np.linspace(16.5, 41.0, 50), 1)
    before = ex.n_updates

    async def drag():
        for v in values:
            ex.sliders["I"].value = float(v)      # what a comm message from a drag does
            await asyncio.sleep(0.002)            # faster than one update
        await asyncio.sleep(0.5)

    asyncio.run(drag())
    n = ex.n_updates - before
    assert ex.n_changes == 50
    assert 1 <= n <= 25, n
    assert ex.history[-1]["I"] == values[-1]              # ends on the last value
    assert ex._state["pt_sim"].get_data()[0][0] == values[-1]
    seen = [h["I"] for h in ex.history[before:]]
    assert seen == sorted(seen)                           # newest value each time


KERNEL_CODE = """
from neurolab.course.explorer import neuron_explorer
ex = neuron_explorer(backend="ipympl", throttle_s=0.02)
naive = []
ex.sliders["I"].observe(lambda change: naive.append(change["new"]), names="value")
print(ex.sliders["I"].comm.comm_id)
"""


def _execute(kc, code, timeout=120):
    msg_id = kc.execute(code)
    out = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(out)


def test_throttling_in_a_real_kernel_drops_queued_comm_messages(tmp_path):
    """A browser dragging a slider sends one comm message per value. The kernel handles
    them one by one (a plain observer sees every value: they are queued, not merged); the
    explorer simulates for far fewer of them and ends on the last."""
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    # a kernel of this interpreter, whatever kernel specs the machine has installed
    write_kernel_spec(str(tmp_path / "python3"))
    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path)], ensure_native_kernel=False)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=ksm)
    assert km.kernel_spec.argv[0] == sys.executable
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        comm_id = _execute(kc, KERNEL_CODE).strip().splitlines()[-1]
        values = [round(16.5 + 0.5 * k, 1) for k in range(50)]
        for v in values:                      # as fast as the socket takes them
            msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {
                "method": "update", "state": {"value": v}, "buffer_paths": []}})
            kc.shell_channel.send(msg)
        # the last change schedules an update ``throttle_s`` later; an execute request
        # queued behind the comm messages can run before it: wait for it in the kernel
        _execute(kc, "import asyncio, json\nwhile ex.n_changes < 50 or ex.pending:\n"
                     "    await asyncio.sleep(0.01)")
        got = json.loads(_execute(kc, "print(json.dumps([ex.n_updates, ex.n_changes, "
                                      "naive, ex.history[-1]]))"))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    n_updates, n_changes, naive, last = got
    assert naive == values                   # every message reached the kernel, in order
    assert n_changes == 50
    assert n_updates - 1 <= 10, n_updates    # first update at open, then few
    assert last["I"] == values[-1]


# ----------------------------------------------------------------------------- frames
def _png_rgba(png):
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.mark.parametrize("lost", [[1], [0, 2], [1, 2]])
def test_a_page_that_loses_frames_still_ends_on_the_figure(lost):
    """ipympl's page draws a frame of changed pixels over the picture it has, and loses a
    frame that arrives while the previous one still loads. A page modelled here draws the
    frames it gets (a whole frame replaces the picture, a frame of changed pixels is drawn
    over it, its transparent pixels leaving the picture as it was) but loses the frames
    numbered ``lost`` of a drag; once the explorer has settled, its picture is the
    kernel's figure, pixel for pixel."""
    ex = E.neuron_explorer(backend="ipympl", throttle_s=0.02)
    picture = np.asarray(ex.canvas.buffer_rgba()).copy()    # what the page shows now
    frames = []
    ex.canvas.send_binary = lambda png: frames.append((ex.canvas._current_image_mode, png))

    async def drag():
        for v in (22.0, 27.0, 33.0, 41.0):
            ex.sliders["I"].value = v
            while ex.pending:
                await asyncio.sleep(0.005)
        while not ex.settled:
            await asyncio.sleep(0.01)

    asyncio.run(drag())
    assert ex.settled and ex.history[-1]["I"] == 41.0
    assert [m for m, _ in frames[:4]] == ["diff"] * 4       # one frame per update
    for k, (mode, png) in enumerate(frames):
        if k in lost:
            continue
        img = _png_rgba(png)
        picture = img if mode == "full" else np.where(img[..., 3:] > 0, img, picture)
    figure = np.asarray(ex.canvas.buffer_rgba())
    assert np.count_nonzero((picture != figure).any(axis=2)) == 0
    ex.close()


# ----------------------------------------------------------------------------- bad values
def test_set_refuses_values_a_slider_cannot_take_naming_them():
    ex = E.stdp_explorer(n_correlated=5, n_independent=5, duration=100.0)
    n = ex.n_updates
    with pytest.raises(TypeError, match=r"A_plus must be a number within \[0.0, 0.2\], "
                                        r"got '0.02' of type str"):
        ex.set(A_plus="0.02")
    with pytest.raises(ValueError, match=r"seed must be a whole number within \[0, 100\], "
                                         r"got 1.5"):
        ex.set(seed=1.5)
    with pytest.raises(ValueError, match=r"rate must be within \[1.0, 50.0\], got nan"):
        ex.set(rate=float("nan"))
    with pytest.raises(TypeError, match=r"correlation must be a number .*, "
                                        r"got True of type bool"):
        ex.set(correlation=True)
    assert ex.n_updates == n and ex.sliders["seed"].value == 0      # nothing moved
    ex.set(seed=2.0, A_plus=np.float64(0.03))                       # whole and numpy: fine
    assert ex.values["seed"] == 2 and ex.values["A_plus"] == 0.03


@pytest.mark.parametrize("name, value, error, match", [
    ("A_plus", "0.01", TypeError, r"A_plus must be a real number, got '0.01' of type str"),
    ("tau_minus", None, TypeError, r"tau_minus must be a real number, got None"),
    ("correlation", [0.1], TypeError, r"correlation must be a real number, got \[0.1\]"),
    ("seed", 1.5, ValueError, r"seed must be a whole number >= 0, got 1.5"),
    ("seed", "3", TypeError, r"seed must be a whole number >= 0, got '3' of type str"),
])
def test_stdp_run_names_a_bad_parameter(name, value, error, match):
    args = dict(n_correlated=5, n_independent=5, duration=50.0)
    with pytest.raises(error, match=match):
        E.stdp_run(**{name: value}, **args)
    # the lesson's check passes its changes to stdp_run: the same message
    from neurolab.course import exercises

    with pytest.raises(error, match=match):
        exercises.check_explorer_rate(10.0, changes={name: value}, params=args, quiet=True)
