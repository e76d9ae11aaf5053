"""One truth for checks (issue 19): an exercise check says the same in class (the student's
session, sliders dragged by hand) as when nbgrader grades (the notebook run again from the
top, nobody dragging), for right answers and for the typical wrong ones.

Every exercise of every lesson, both ways (``slow``): the teacher's answers and a typical
wrong answer to each exercise (``grading.WRONG``, one submission per lesson), run in class
(the lesson executed top to bottom with nbclient, reading each check cell's outcome) and
graded (``nbgrader autograde``, the check cell's points from the grade book; one autograde
call for the whole session, the ``autograded`` fixture of conftest.py). Right answers pass
both ways, each wrong answer fails both ways, and the check prints the same message, naming
the mistake, both ways.

Lesson 4's exercise 3 asks for the output rate at ``tau_minus = 40`` ms. A student who drags
the slider and writes ``rate_tau_minus_40 = ex.run.rate_out`` got "Right!" in class and 0
points when graded (the rerun reads the starting rate). Each case below runs the same
answer code twice: once after a hand drag (class), once without (graded). (nbclient cannot
drag a slider, so the whole-lesson test at the end reads that answer without a drag.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grading import (
    LESSONS,
    WRONG,
    check_ids,
    check_outcome,
    errors,
    lesson,
    lesson_env,
    mistaken,
    nbgrader_meta,
    run_in_class,
)

from neurolab.course import exercises, explorer

LESSON4 = Path(__file__).resolve().parents[2] / "notebooks" / "course" / "lesson4_explorer.ipynb"


def _lesson4_params() -> dict:
    """The explorer's starting values, as lesson 4's cells make them."""
    cells = json.loads(LESSON4.read_text())["cells"]
    ns: dict = {}
    exec("".join(cells[1]["source"]), {}, ns)               # the parameters cell
    assert "params = dict(" in "".join(cells[2]["source"])
    return dict(A_plus=ns["A_plus"], A_minus=ns["A_minus"], tau_plus=ns["tau_plus"],
                tau_minus=ns["tau_minus"], w_max=ns["w_max"], rate=ns["rate"],
                correlation=ns["correlation"], seed=ns["seed"],
                n_correlated=ns["n_correlated"], n_independent=ns["n_independent"],
                duration=ns["duration"])


@pytest.fixture(scope="module")
def params():
    return _lesson4_params()


@pytest.fixture(scope="module")
def rates(params):
    """The rate at the starting values and with tau_minus = 40 ms (explorer.stdp_run)."""
    return {"start": explorer.stdp_run(**params).rate_out,
            "40": explorer.stdp_run(**{**params, "tau_minus": 40.0}).rate_out}


def _exercise3(params, answer_code: str, *, drag: bool, values: dict) -> tuple[bool, str]:
    ex = explorer.stdp_explorer(**params, backend="image")
    try:
        if drag:                                   # the student drags the slider by hand
            ex.sliders["tau_minus"].value = 40.0
        ns = {"ex": ex, **values}
        exec(answer_code, ns)                      # the student's answer cell
        result = exercises.check_explorer_rate(ns["rate_tau_minus_40"],
                                               changes={"tau_minus": 40.0}, params=params,
                                               quiet=True)
        return bool(result), result.message
    finally:
        ex.close()


CASES = {
    # name: (answer cell, right?)
    "the rate typed as a number": ("rate_tau_minus_40 = right", True),
    "ex.set in the cell": ("ex.set(tau_minus=40.0)\nrate_tau_minus_40 = ex.run.rate_out", True),
    "read after a drag": ("rate_tau_minus_40 = ex.run.rate_out", False),
    "the starting rate typed": ("rate_tau_minus_40 = start", False),
    "another number": ("rate_tau_minus_40 = right + 3.0", False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_lesson4_exercise3_in_class_and_graded_agree(params, rates, case):
    code, right = CASES[case]
    values = {"right": round(rates["40"], 1), "start": round(rates["start"], 1)}
    in_class, class_msg = _exercise3(params, code, drag=True, values=values)
    graded, graded_msg = _exercise3(params, code, drag=False, values=values)
    assert in_class == graded == right, (case, class_msg, graded_msg)
    if case == "read after a drag":
        assert "moved by hand (tau_minus=40)" in class_msg
        assert "rate before the change" in graded_msg


def test_a_hand_reading_is_the_number_and_says_which_sliders_moved(params):
    ex = explorer.stdp_explorer(**params, backend="image")
    try:
        start = ex.run.rate_out
        assert type(start) is float                # nothing moved by hand: a plain number
        ex.sliders["tau_minus"].value = 40.0
        moved = ex.run.rate_out
        assert isinstance(moved, explorer.HandReading) and moved.moved == {"tau_minus": 40.0}
        assert float(moved) == explorer.stdp_run(**{**params, "tau_minus": 40.0}).rate_out
        ex.sliders["tau_minus"].value = params["tau_minus"]      # dragged back: no mark
        assert type(ex.run.rate_out) is float
        ex.sliders["tau_minus"].value = 40.0
        ex.set(tau_minus=40.0)                     # set by the cell: graded runs repeat it
        assert type(ex.run.rate_out) is float
    finally:
        ex.close()


# ----------------------------------------------------------------------------- every exercise
def _other_errors(nb) -> list:
    """Errors of the cells that are not checks: a wrong answer must fail its check only."""
    return [(k, e) for k, c in enumerate(nb.cells) if c.cell_type == "code"
            and not nbgrader_meta(c).get("grade") for e in errors(c)]


@pytest.mark.slow       # runs each lesson twice in class (~1 min); nbgrader grades them too
@pytest.mark.parametrize("name", LESSONS)
@pytest.mark.parametrize("student", ["teacher", "mistaken"])
def test_every_check_says_the_same_in_class_and_graded(autograded, tmp_path, student, name):
    ids = check_ids(lesson(name))
    if student == "mistaken":
        assert sorted(WRONG[name]) == sorted(ids), "a typical wrong answer for each exercise"
    in_class = run_in_class(lesson(name) if student == "teacher" else mistaken(name),
                            lesson_env(tmp_path), tmp_path)
    graded = autograded.notebook(student, name)
    points = autograded.points(student, name, ids)
    assert _other_errors(in_class) == [] and _other_errors(graded) == []
    for grade_id in ids:
        passed, said = check_outcome(in_class, grade_id)
        graded_passed, graded_said = check_outcome(graded, grade_id)
        score, max_score = points[grade_id]
        assert score in (0.0, max_score) and max_score > 0, (grade_id, score, max_score)
        right = student == "teacher"
        verdicts = {"in class": passed, "graded (points)": score == max_score,
                    "graded (cell)": graded_passed}
        assert set(verdicts.values()) == {right}, (grade_id, verdicts, said, graded_said)
        assert said == graded_said, (grade_id, said, graded_said)
        if right:
            assert said.startswith("Right!") and "Not yet" not in said, (grade_id, said)
        else:
            assert "Not yet: " in said and WRONG[name][grade_id][1] in said, (grade_id, said)
