"""The course (notebooks/course/): lesson structure, the pipeline's listing, and nbgrader.

nbgrader runs as a teacher runs it (docs/teaching.md): ``nbgrader generate_assignment``
makes the student copies and ``nbgrader autograde`` grades submissions, in a temporary
course directory with its own grade book (the fixtures ``released`` and ``autograded`` of
conftest.py, shared with test_class_vs_graded.py: one autograde call grades them all).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from grading import (
    COURSE,
    LESSONS,
    REPO,
    errors,
    lesson,
    lesson_env,
    printed,
    run_in_class,
)
from grading import nbgrader_meta as _nbgrader

from neurolab.lab.errors import PipelineError
from neurolab.lab.notebooks import find_notebook, notebook_names, notebook_parameters

FIRST = ["lesson1_lif_neuron", "lesson2_stdp_window", "lesson3_many_inputs"]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def _cells(path):
    return nbformat.read(str(path), as_version=4).cells


#: the last line of every graded check cell: the check has printed its (wrapped) message,
#: the assertion only fails the cell (nbgrader showed the message twice, on one line)
NEW_ASSERT = 'assert result, "not yet: see the message printed above"'


def _solution_lines(source: str) -> list[str]:
    """The code lines between the solution markers (stripped, blank lines dropped)."""
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == BEGIN:
            inside = True
        elif line.strip() == END:
            inside = False
        elif inside and line.strip():
            out.append(line.strip())
    return out


# ----------------------------------------------------------------------------- pipeline
def _toy_notebook(path: Path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def test_list_notebooks_puts_the_lessons_after_the_research_notebooks(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    for name in ("02_b", "01_a", "z_last", "course/lesson2_x", "course/lesson1_y",
                 "course/.hidden", ".hidden_top"):
        _toy_notebook(tmp_path / "notebooks" / f"{name}.ipynb")
    # research notebooks by name, then the lessons by name ("z_last" sorts after the
    # lessons' names but still runs before them); hidden files are left out
    assert notebook_names(tmp_path) == ["01_a", "02_b", "z_last", "lesson1_y",
                                                 "lesson2_x"]
    found = find_notebook("lesson1_y", tmp_path)
    assert found == (tmp_path / "notebooks" / "course" / "lesson1_y.ipynb").resolve()
    with pytest.raises(PipelineError, match="lesson1_y, lesson2_x"):
        find_notebook("lesson9", tmp_path)


def test_project_lists_the_lessons_in_order():
    names = notebook_names(REPO)
    lessons = [n for n in names if n.startswith("lesson")]
    assert lessons[:3] == FIRST and lessons == LESSONS
    first_lesson = names.index(LESSONS[0])
    assert all(not n.startswith("lesson") for n in names[:first_lesson])
    assert all(n.startswith("lesson") for n in names[first_lesson:])


# ----------------------------------------------------------------------------- structure
@pytest.mark.parametrize("name", LESSONS)
def test_lesson_structure(name):
    path = COURSE / f"{name}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    cells = nb.cells
    assert notebook_parameters(path), "a parameters cell of literals"
    # at least one printed, seeded result checked by nbval, each stored with its output
    checked = [c for c in cells if c.cell_type == "code" and "# NBVAL_CHECK_OUTPUT" in c.source]
    assert checked and all(c.outputs for c in checked)
    # the figure goes to results/ through neurolab.plotting
    assert any("plotting.save_figure(" in c.source and "results_dir" in c.source
               for c in cells if c.cell_type == "code")
    # 3-5 exercises: each an autograded cell that calls a neurolab.course.exercises check, right
    # after the solution cell holding the teacher's answer between nbgrader's markers
    grades = [k for k, c in enumerate(cells) if _nbgrader(c).get("grade")]
    assert 3 <= len(grades) <= 5
    ids = [_nbgrader(c)["grade_id"] for c in cells if _nbgrader(c)]
    assert len(ids) == len(set(ids))
    for k in grades:
        test = cells[k]
        assert test.cell_type == "code" and _nbgrader(test)["points"] > 0
        assert _nbgrader(test)["locked"] and not _nbgrader(test)["solution"]
        assert re.search(r"exercises\.check_\w+\(", test.source)
        assert NEW_ASSERT in test.source
        answer = cells[k - 1]
        meta = _nbgrader(answer)
        assert meta.get("solution") and not meta.get("grade"), (name, test.source[:60])
        assert BEGIN in answer.source and END in answer.source
        assert answer.source.index(BEGIN) < answer.source.index(END)
        assert _solution_lines(answer.source)
    # markers only in solution cells
    for c in cells:
        if BEGIN in c.source or END in c.source:
            assert _nbgrader(c).get("solution"), c.source[:60]


#: a first cell that makes every run of a lesson show its progress bar (as a long run does:
#: ``net.run``'s default shows one when a run is expected to take more than ~2 s)
ALWAYS_A_BAR = """import neurolab as nl
_run = nl.Network.run
def _run_with_a_bar(self, duration, progress=None, **kwargs):
    return _run(self, duration, progress=True if progress is None else progress, **kwargs)
nl.Network.run = _run_with_a_bar"""


def _bars(cell) -> int:
    return sum("simulating" in o.get("data", {}).get("text/plain", "")
               for o in cell.get("outputs", []) if o.get("output_type") == "display_data")


@pytest.mark.slow       # runs every lesson once (~20 s)
def test_lesson_runs_show_a_progress_bar_and_checked_outputs_stay_plain(tmp_path):
    """Issue 19: a lesson's run that takes more than a couple of seconds (a lesson scaled
    up, a slow laptop) shows a progress bar: the lessons leave ``progress`` at its default
    (``net.run``, ``explorer.stdp_run``; the explorer's redraws show none). A bar is a widget (or stderr) output, which nbval would compare, so no
    cell whose output nbval checks may run a simulation that can show one."""
    env = lesson_env(tmp_path)
    for name in LESSONS:
        nb = lesson(name)
        nb.cells.insert(0, nbformat.v4.new_code_cell(ALWAYS_A_BAR))
        run_in_class(nb, env, tmp_path)
        assert not [e for c in nb.cells for e in errors(c)], name
        assert any(_bars(c) for c in nb.cells), f"{name}: no run showed a progress bar"
        for c in nb.cells:
            if "# NBVAL_CHECK_OUTPUT" in c.source:
                kinds = {(o.output_type, o.get("name")) for o in c.outputs}
                assert kinds == {("stream", "stdout")}, (name, c.source[:80], kinds)


# ----------------------------------------------------------------------------- nbgrader
def test_nbgrader_config_names_the_course():
    text = (REPO / "nbgrader_config.py").read_text()
    assert 'source_directory = "notebooks"' in text
    ignored = (REPO / ".gitignore").read_text().split()
    for folder in ("/release/", "/submitted/", "/autograded/", "/feedback/", "/gradebook.db"):
        assert folder in ignored


def test_student_copies_have_no_solutions(released):
    made = sorted(p.stem for p in (released / "release" / "course").glob("*.ipynb"))
    assert made == LESSONS
    for name in LESSONS:
        teacher = _cells(COURSE / f"{name}.ipynb")
        student = _cells(released / "release" / "course" / f"{name}.ipynb")
        assert len(student) == len(teacher)
        text = "\n".join(c.source for c in student)
        assert BEGIN not in text and END not in text
        hidden = [line for c in teacher for line in _solution_lines(c.source)]
        assert hidden
        for c_teacher, c_student in zip(teacher, student):
            if _nbgrader(c_teacher).get("solution"):
                assert "raise NotImplementedError()" in c_student.source
                for line in _solution_lines(c_teacher.source):
                    assert line not in c_student.source, (name, line)
            else:       # everything else reaches the student unchanged (outputs cleared)
                assert c_student.source == c_teacher.source
                assert not c_student.get("outputs")


def _points(name) -> float:
    return float(sum(_nbgrader(c).get("points", 0) for c in _cells(COURSE / f"{name}.ipynb")
                     if _nbgrader(c).get("grade")))


@pytest.mark.slow       # runs every lesson once more, in nbgrader's kernels (about a minute)
def test_autograde_gives_the_teacher_full_points_and_explains_a_mistake(autograded):
    assert LESSONS[:3] == FIRST
    scores = {student: autograded.scores(student) for student in ("teacher", "forgetful",
                                                                   "blank")}
    assert scores["teacher"] == {n: (_points(n), _points(n)) for n in LESSONS}
    assert all(_points(n) >= 3 for n in LESSONS)
    assert _points("lesson1_lif_neuron") == 4.0
    # a student who forgot the refractory period in lesson 1's f-I curve (and only that)
    assert scores["forgetful"]["lesson1_lif_neuron"] == (3.0, 4.0)
    # a student who handed in the blank copy
    assert scores["blank"]["lesson1_lif_neuron"] == (0.0, 4.0)
    graded = autograded.notebook("forgetful", "lesson1_lif_neuron")
    check = next(c for c in graded.cells if _nbgrader(c).get("grade_id") == "lesson1_ex3_check")
    assert "did you forget the refractory period?" in printed(check)    # wrapped: words joined
    shown = json.dumps(check.outputs)
    assert shown.count("did you forget the") == 1                   # said once, not twice
    assert "see the message printed above" in shown
