"""Fixtures of the course's tests: nbgrader's student copies, made once, and every
submission of the session graded by one ``nbgrader autograde`` call (a lesson takes
seconds to run; nbgrader's start and its kernels cost as much again). Helpers: grading.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from grading import (
    LESSONS,
    lesson,
    lesson_env,
    mistaken,
    nbgrader_cmd,
    write_submission,
)


@pytest.fixture(scope="session")
def released(tmp_path_factory):
    """A temporary course directory with nbgrader's student copies in ``release/``."""
    root = tmp_path_factory.mktemp("course")
    nbgrader_cmd("generate_assignment", "course", root=root)
    return root


@dataclass
class Autograded:
    """The course directory after ``nbgrader autograde``, and what it gave."""

    root: Path

    def _gradebook(self):
        from nbgrader.api import Gradebook

        return Gradebook(f"sqlite:///{self.root / 'gradebook.db'}")

    def scores(self, student: str) -> dict:
        """lesson -> (score, max_score) of ``student``'s submission."""
        with self._gradebook() as gb:
            sub = gb.find_submission("course", student)
            return {nb.name: (nb.score, nb.max_score) for nb in sub.notebooks}

    def points(self, student: str, name: str, grade_ids) -> dict:
        """grade id -> (score, max_score) of each check cell of lesson ``name``."""
        with self._gradebook() as gb:
            return {g: (grade.score, grade.max_score) for g in grade_ids
                    for grade in [gb.find_grade(g, name, "course", student)]}

    def notebook(self, student: str, name: str):
        """``student``'s lesson ``name`` as nbgrader ran it (outputs included)."""
        return nbformat.read(str(self.root / "autograded" / student / "course"
                                 / f"{name}.ipynb"), as_version=4)


@pytest.fixture(scope="session")
def autograded(released, tmp_path_factory):
    """Every submission the course's tests read, graded at once:

    - ``teacher``: the teacher's copies (every answer right);
    - ``mistaken``: every lesson with every exercise answered wrong (grading.WRONG);
    - ``forgetful``: lesson 1 with the refractory period forgotten in the f-I curve only;
    - ``blank``: lesson 1's student copy handed in untouched.
    """
    root = released
    write_submission(root, "teacher", {n: lesson(n) for n in LESSONS})
    write_submission(root, "mistaken", {n: mistaken(n) for n in LESSONS})
    forgetful = lesson("lesson1_lif_neuron")
    [fi] = [c for c in forgetful.cells
            if c.metadata.get("nbgrader", {}).get("grade_id") == "lesson1_ex3_fi"]
    assert "refractory + t_charge" in fi.source
    fi.source = fi.source.replace("refractory + t_charge", "t_charge")
    write_submission(root, "forgetful", {"lesson1_lif_neuron": forgetful})
    blank = nbformat.read(str(root / "release" / "course" / "lesson1_lif_neuron.ipynb"),
                          as_version=4)
    write_submission(root, "blank", {"lesson1_lif_neuron": blank})
    env = lesson_env(tmp_path_factory.mktemp("graded-files"))
    nbgrader_cmd("autograde", "course", root=root, env=env)
    return Autograded(root)
