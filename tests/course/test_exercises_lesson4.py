"""Lesson 4's checks in neurolab.course.exercises: right answers pass, the diagnosed mistakes are
named, bad lesson parameters raise. Expected rates and weights come from networks written
out here with neurolab's public API (not from neurolab.course.explorer.stdp_run)."""

from __future__ import annotations

import pytest

import neurolab as nl
from neurolab.course import exercises as X
from neurolab.course.explorer import correlated_inputs

SMALL = dict(n_correlated=30, n_independent=30, duration=600.0, w_max=0.1, rate=20.0,
             A_plus=0.05, A_minus=0.06, tau_plus=20.0, tau_minus=20.0, correlation=0.2,
             seed=2)


def direct_run(p):
    """The lesson's model, written out: (output rate in Hz, mean final w / w_max of the
    correlated and of the independent group)."""
    t, i = correlated_inputs(p["n_correlated"], p["n_independent"], p["rate"],
                             p["correlation"], p["duration"], 0.1, p["seed"])
    n = p["n_correlated"] + p["n_independent"]
    net = nl.Network(dt=0.1, seed=p["seed"])
    src = net.add_spikes("src", n, t, i)
    out = net.add_lif("out", 1, nl.LIFParams(tau_m=10.0, v_rest=-74.0, v_th=-54.0,
                                             v_reset=-60.0, synapse="conductance",
                                             tau_e=5.0, E_e=0.0))
    wm = p["w_max"]
    net.connect(src, out, weight=("uniform", 0.0, wm), name="c",
                stdp=nl.STDPParams(A_plus=p["A_plus"] * wm, A_minus=p["A_minus"] * wm,
                                   tau_plus=p["tau_plus"], tau_minus=p["tau_minus"],
                                   w_max=wm))
    res = net.run(p["duration"], progress=False)
    w = res.final_weights["c"] / wm
    k = p["n_correlated"]
    return len(res.spikes["out"].t) / (p["duration"] / 1000.0), w[:k].mean(), w[k:].mean()


def test_balanced_depression():
    r = X.check_balanced_depression(0.05 * 20 / 40, A_plus=0.05, tau_plus=20.0,
                                    tau_minus=40.0, quiet=True)
    assert r and "0.025" in r.message
    r = X.check_balanced_depression(0.05 * 40 / 20, A_plus=0.05, tau_plus=20.0,
                                    tau_minus=40.0, quiet=True)
    assert not r and "swapped" in r.message
    r = X.check_balanced_depression(0.05, A_plus=0.05, tau_plus=20.0, tau_minus=40.0,
                                    quiet=True)
    assert not r and "equal amplitudes" in r.message
    r = X.check_balanced_depression(0.0525, A_plus=0.05, tau_plus=20.0, tau_minus=40.0,
                                    quiet=True)
    assert not r and "Song" in r.message
    r = X.check_balanced_depression("b", A_plus=0.05, tau_plus=20.0, tau_minus=40.0,
                                    quiet=True)
    assert not r and "expected one number" in r.message
    with pytest.raises(ValueError, match="tau_minus must be > 0"):
        X.check_balanced_depression(0.1, A_plus=0.05, tau_plus=20.0, tau_minus=0.0)


def test_balanced_depression_refuses_parameters_that_cannot_separate_the_formulas():
    """With tau_plus = tau_minus (lesson 4's starting values) the swapped formula and the
    amplitude alone give the right number: a check there would pass two wrong formulas."""
    with pytest.raises(ValueError, match="wrong formula gives the right answer.*swapped"):
        X.check_balanced_depression(0.05, A_plus=0.05, tau_plus=20.0, tau_minus=20.0)


def _lesson4_exercise1_values():
    """The values lesson 4's exercise 1 check is called with, read from the notebook
    (its parameters cell and the cell that sets ``tau_minus_ex1``)."""
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).resolve().parents[2] / "notebooks" / "course"
                     / "lesson4_explorer.ipynb").read_text())
    values = {}
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "code" and (src.startswith("# Parameters")
                                            or src.startswith("tau_minus_ex1")):
            exec(src, {}, values)
        if "check_balanced_depression" in src:
            assert "tau_minus=tau_minus_ex1" in src
    return values


def test_lesson4_exercise1_fails_every_known_wrong_formula():
    v = _lesson4_exercise1_values()
    a, tp, tm = v["A_plus"], v["tau_plus"], v["tau_minus_ex1"]
    assert tm != tp
    right = X.check_balanced_depression(a * tp / tm, A_plus=a, tau_plus=tp, tau_minus=tm,
                                        quiet=True)
    assert right
    for wrong in (a * tm / tp, a, 1.05 * a, a * tp / v["tau_minus"]):
        r = X.check_balanced_depression(wrong, A_plus=a, tau_plus=tp, tau_minus=tm,
                                        quiet=True)
        assert not r, (wrong, r.message)


def test_explorer_rate_right_before_the_change_and_other():
    changed = {**SMALL, "tau_minus": 40.0}
    rate, _, _ = direct_run(changed)
    rate_before, _, _ = direct_run(SMALL)
    assert rate != rate_before
    r = X.check_explorer_rate(round(rate, 1), changes={"tau_minus": 40.0}, params=SMALL,
                              quiet=True)
    assert r, r.message
    r = X.check_explorer_rate(rate_before, changes={"tau_minus": 40.0}, params=SMALL,
                              quiet=True)
    assert not r and "before the change" in r.message and "ex.set" in r.message
    assert "rerun" in r.message        # a hand-moved slider is not replayed by autograde
    r = X.check_explorer_rate(rate + 7.0, changes={"tau_minus": 40.0}, params=SMALL,
                              quiet=True)
    assert not r and "another slider" in r.message
    with pytest.raises(ValueError, match="changes must be a non-empty dict"):
        X.check_explorer_rate(1.0, changes={}, params=SMALL)


def test_winning_correlation():
    grid = [0.0, 0.1, 0.2, 0.3, 0.4]
    gaps = []
    for c in grid:
        _, wc, wi = direct_run({**SMALL, "correlation": c})
        gaps.append(wc - wi)
    margin = 0.3
    winners = [c for c, g in zip(grid, gaps) if g >= margin]
    assert winners and winners[0] > 0.0, gaps          # the grid brackets the answer
    first = winners[0]
    r = X.check_winning_correlation(first, correlations=grid, margin=margin, params=SMALL,
                                    quiet=True)
    assert r, r.message
    below = grid[grid.index(first) - 1]
    r = X.check_winning_correlation(below, correlations=grid, margin=margin, params=SMALL,
                                    quiet=True)
    assert not r and "only" in r.message
    later = [c for c in winners if c > first]
    if later:
        r = X.check_winning_correlation(later[0], correlations=grid, margin=margin,
                                        params=SMALL, quiet=True)
        assert not r and "smaller correlation" in r.message
    r = X.check_winning_correlation(0.15, correlations=grid, margin=margin, params=SMALL,
                                    quiet=True)
    assert not r and "not one of the correlations" in r.message


@pytest.mark.parametrize("question, right", [("lesson4_ratio", "b"),
                                             ("lesson4_tau_minus", "a")])
def test_lesson4_choices(question, right):
    assert X.check_choice(question, right, quiet=True)
    assert X.check_choice(question, f" {right.upper()} ", quiet=True)
    others = [k for k in X.QUESTIONS[question][1] if k != right]
    for k in others:
        r = X.check_choice(question, k, quiet=True)
        assert not r and len(r.message) > 20
    assert question in X.question_text(question) or "?" in X.question_text(question)
