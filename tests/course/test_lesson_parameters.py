"""Honest notebooks (issue 19): a lesson's parameters are checked against the ranges the
lesson states, in its "Derived values" cell, with a short message naming the parameter;
and after the parameters cell was edited and run without the derived-values cell, every
exercise check refuses (it would otherwise grade an answer computed from a mix of old and
new values, as lesson 1 once said "Right! ... 200 Hz" beside a stale printout)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from neurolab.course import exercises as X

COURSE = Path(__file__).resolve().parents[2] / "notebooks" / "course"
LESSONS = sorted(p.stem for p in COURSE.glob("lesson*.ipynb"))


def _parameters(lesson: str) -> dict:
    cells = json.loads((COURSE / f"{lesson}.ipynb").read_text())["cells"]
    values: dict = {}
    exec("".join(cells[1]["source"]), {}, values)
    assert "exercises.lesson_parameters(" in "".join(cells[2]["source"])
    return values


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_registers_its_default_parameters(lesson):
    values = _parameters(lesson)
    assert X.lesson_parameters(lesson, **values) == values
    assert set(X.LESSON_RANGES[lesson]) <= set(values), "a range names no parameter"


@pytest.mark.parametrize("lesson, name, bad, allowed", [
    ("lesson1_lif_neuron", "refractory", 0.0, "(0, 100] ms"),
    ("lesson1_lif_neuron", "dt", 2.0, "(0, 1] ms"),
    ("lesson3_many_inputs", "rate", -5.0, "(0, 1000] Hz"),
    ("lesson4_explorer", "correlation", 1.5, "[0, 1]"),
])
def test_a_parameter_outside_the_lesson_range_is_named(lesson, name, bad, allowed):
    values = {**_parameters(lesson), name: bad}
    with pytest.raises(X.LessonParameterError) as err:
        X.lesson_parameters(lesson, **values)
    text = str(err.value)
    assert text.startswith(f"{name} = {bad:g}") and allowed in text and "\n" not in text


def test_a_non_number_is_named():
    with pytest.raises(X.LessonParameterError, match="tau_m = '10' in the parameters cell"):
        X.lesson_parameters("lesson1_lif_neuron", tau_m="10")


def test_checks_refuse_after_the_parameters_changed_without_the_derived_values(monkeypatch):
    """The notebook's namespace (IPython's user_ns) as a dict: the parameters cell re-run
    with refractory = 5 ms, the derived-values cell not."""
    values = _parameters("lesson1_lif_neuron")
    ns = dict(values)
    monkeypatch.setattr(X, "_user_namespace", lambda: ns)
    monkeypatch.setattr(X, "_DERIVED_FROM", {})
    X.lesson_parameters("lesson1_lif_neuron", **values)
    right = 1000.0 / values["refractory"]
    assert X.check_max_rate(right, refractory=values["refractory"], quiet=True)
    ns["refractory"] = 5.0                                   # edited and re-run: stale
    r = X.check_max_rate(right, refractory=values["refractory"], quiet=True)
    assert not r and "refractory = 5.0 (derived values made with 2.0)" in r.message
    r = X.check_max_rate(200.0, refractory=5.0, quiet=True)  # even the new right answer
    assert not r and "Run All" in r.message
    X.lesson_parameters("lesson1_lif_neuron", **ns)          # derived cell re-run
    assert X.check_max_rate(200.0, refractory=5.0, quiet=True)


def test_lesson_cells_never_rebind_a_parameter():
    """The staleness test compares the notebook's variables with the registered values: a
    later cell that rebinds a parameter name would make every check refuse."""
    for lesson in LESSONS:
        names = set(X.LESSON_RANGES[lesson])
        cells = json.loads((COURSE / f"{lesson}.ipynb").read_text())["cells"]
        for k, cell in enumerate(cells[3:], 3):
            if cell["cell_type"] != "code":
                continue
            src = "\n".join(ln for ln in "".join(cell["source"]).split("\n")
                            if not ln.startswith("%"))
            for node in ast.walk(ast.parse(src)):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    assert node.id not in names, (lesson, k, node.id)
