"""The course as a teacher grades it and as a class runs it, for the tests in this folder.

- nbgrader as a teacher runs it (docs/teaching.md): :func:`nbgrader_cmd` runs
  ``nbgrader generate_assignment`` / ``nbgrader autograde`` in a temporary course directory
  with its own grade book, reading the repository's ``nbgrader_config.py`` (nbgrader loads it
  from the current folder); :func:`write_submission` hands in a student's notebooks. The
  fixtures ``released`` and ``autograded`` (``conftest.py``) make the student copies once and
  grade every submission of the session in one ``nbgrader autograde`` call.
- The class: :func:`run_in_class` executes a lesson top to bottom with nbclient, as a
  student's session does (a failing check does not stop the cells after it, as a student
  goes on reading); :func:`check_outcome` reads what a check cell showed.
- :data:`WRONG`: a typical wrong answer for every exercise of every lesson, each one a
  mistake the lesson's check diagnoses, with the words of that diagnosis;
  :func:`mistaken` hands them all in at once, one submission per lesson.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "notebooks" / "course"
#: every lesson of the course, by name
LESSONS = sorted(p.stem for p in COURSE.glob("*.ipynb") if not p.name.startswith("."))


def nbgrader_meta(cell) -> dict:
    """A cell's nbgrader metadata ({} for a cell nbgrader does not know)."""
    return cell.metadata.get("nbgrader", {})


def lesson(name: str):
    """The teacher's copy of a lesson (the committed notebook, solutions included)."""
    return nbformat.read(str(COURSE / f"{name}.ipynb"), as_version=4)


def check_ids(nb) -> list[str]:
    """The grade ids of a lesson's autograded check cells, in order."""
    return [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c).get("grade")]


# ----------------------------------------------------------------------------- nbgrader
def nbgrader_cmd(*args, root: Path, env=None):
    """Run nbgrader from the repository root (so its nbgrader_config.py is read) on a
    temporary course directory ``root`` with its own grade book."""
    exe = shutil.which("nbgrader", path=os.path.dirname(sys.executable)) or "nbgrader"
    cmd = [exe, *args, f"--CourseDirectory.root={root}",
           f"--CourseDirectory.source_directory={REPO / 'notebooks'}",
           f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert proc.returncode == 0, (cmd, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def write_submission(root: Path, student: str, notebooks: dict):
    """Hand in ``notebooks`` (lesson name -> notebook) as ``student``'s work."""
    folder = root / "submitted" / student / "course"
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, str(folder / f"{name}.ipynb"))


# ----------------------------------------------------------------------------- the class
def lesson_env(folder: Path) -> dict:
    """This process's environment, with the lessons' data and figures going under
    ``folder`` (never the repository's data/ and results/)."""
    from neurolab.base import paths

    return {**os.environ, paths.DATA_ENV: str(folder / "data"),
            paths.RESULTS_ENV: str(folder / "results")}


def run_in_class(nb, env: dict, cwd: Path):
    """Execute ``nb`` (in place) top to bottom in a fresh kernel, as a student's Run All
    does, except that an error does not stop the cells after it. Returns ``nb``."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute(env=env)
    return nb


def printed(cell) -> str:
    """What a cell printed, its words joined by single spaces (the checks wrap lines)."""
    return " ".join("".join(o.get("text", "") for o in cell.get("outputs", [])
                            if o.get("output_type") == "stream").split())


def errors(cell) -> list[str]:
    """The errors a cell raised, as ``"Name: value"``."""
    return [f"{o['ename']}: {o['evalue']}" for o in cell.get("outputs", [])
            if o.get("output_type") == "error"]


def check_outcome(nb, grade_id: str) -> tuple[bool, str]:
    """(passed, printed message) of the check cell ``grade_id`` of an executed notebook:
    passed when the cell raised nothing (its ``assert result`` held)."""
    [cell] = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id]
    return not errors(cell), printed(cell)


# ----------------------------------------------------------------------------- wrong answers
#: lesson -> {check cell's grade id: (the answer cell a student wrote, words of the check's
#: diagnosis)}. The answer replaces the solution cell just above the check. Each answer is
#: one typical mistake that the check names; all of a lesson's mistakes go into one
#: submission, so none may change what a later exercise is checked against: lesson 2's
#: pairing total does not call the (mirrored) window of exercise 1, and lesson 3's first
#: rate (an input of the drift check) stays right while the last one is wrong.
WRONG = {
    "lesson1_lif_neuron": {
        "lesson1_ex1_check": (
            "v_closed = v_rest + I_sub * np.exp(-t / tau_m)",
            "your trace starts at v_rest + I and decays toward rest"),
        "lesson1_ex2_check": (
            "I_rheobase = v_th - v_reset",
            "you measured from v_reset"),
        "lesson1_ex3_check": (
            ("def lif_rate(I):\n"
             "    v_inf = v_rest + np.asarray(I, dtype=float)\n"
             "    with np.errstate(divide='ignore', invalid='ignore'):\n"
             "        t_charge = tau_m * np.log((v_inf - v_reset) / (v_inf - v_th))\n"
             "        return np.where(v_inf > v_th, 1000.0 / t_charge, 0.0)"),
            "did you forget the refractory period?"),
        "lesson1_ex4_check": (
            "max_rate = 1.0 / refractory",
            "that is spikes per ms"),
    },
    "lesson2_stdp_window": {
        "lesson2_ex1_check": (
            ("def stdp_window(delta_t):\n"
             "    delta_t = np.asarray(delta_t, dtype=float)\n"
             "    d = -delta_t                      # t_pre - t_post\n"
             "    return np.where(d >= 0, A_plus * np.exp(-np.abs(d) / tau_plus),\n"
             "                    -A_minus * np.exp(-np.abs(d) / tau_minus))"),
            "your window is mirrored"),
        "lesson2_ex2_check": (
            "half_time = tau_plus",
            "at Δt = tau_plus the window has fallen to 1/e"),
        "lesson2_ex3_check": (
            ("def pairing_total(n_pairs, frequency, delta_t):\n"
             "    one = A_plus * np.exp(-delta_t / tau_plus) if delta_t >= 0 else \\\n"
             "        -A_minus * np.exp(delta_t / tau_minus)\n"
             "    return n_pairs * one"),
            "you counted only the pair inside each pairing"),
        "lesson2_ex4_check": (
            "window_area = A_plus - A_minus",
            "each lobe's area is its amplitude times its time constant"),
    },
    "lesson3_many_inputs": {
        "lesson3_ex1_check": (
            ("rate_first = np.sum(t_out < window) / (window / 1000.0)\n"
             "rate_last = np.sum(t_out >= duration - window) / (duration / 1000.0)"),
            "you divided by the whole run's duration"),
        "lesson3_ex2_check": (
            "fractions = (np.sum(w < 0.1 * w_max), np.sum(w > 0.9 * w_max))",
            "those are counts"),
        "lesson3_ex3_check": (
            "drift = rate * rate_first * (A_plus * w_max * tau_plus - A_minus * w_max * tau_minus)",
            "1000 times too large: the rates are per second"),
        "lesson3_ex4_check": (
            'answer = "c"',
            "that happens when depression wins by far"),
    },
    "lesson4_explorer": {
        "lesson4_ex1_check": (
            "A_minus_balanced = A_plus * tau_minus_ex1 / tau_plus",
            "the time constants are swapped"),
        "lesson4_ex2_check": (
            'answer_ratio = "a"',
            "a larger A_minus strengthens depression"),
        "lesson4_ex3_check": (            # read before moving the slider
            "rate_tau_minus_40 = ex.run.rate_out",
            "is the rate before the change"),
        "lesson4_ex4_check": (
            'answer_tau_minus = "c"',
            "balance needs equal areas"),
        "lesson4_ex5_check": (            # "the strongest correlation surely wins"
            "c_win = grid[-1]",
            "wins, but so does a smaller correlation"),
    },
}


def mistaken(name: str):
    """Lesson ``name`` with every exercise answered wrong (:data:`WRONG`): each answer cell
    replaced by the student's code, as a student's submission holds it."""
    nb = lesson(name)
    wrong = WRONG[name]
    for k, cell in enumerate(nb.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("grade") and grade_id in wrong:
            answer = nb.cells[k - 1]
            assert nbgrader_meta(answer).get("solution"), (name, grade_id)
            answer.source = wrong[grade_id][0]
    return nb
