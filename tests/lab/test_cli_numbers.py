"""Issue 24, item 2: negative numbers on the command line reach the parameter typing."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from neurolab import cli
from neurolab.lab.errors import PipelineError
from neurolab.lab.notebooks import check_parameters, find_notebook
from neurolab.lab import sweep

NEGATIVE = ["-1e-3", "-2E+1", "-inf", "-1", "-.5", "-0.25e-2", "-Infinity", "-nan"]


@pytest.fixture
def repo(tmp_path):
    """A repository with one notebook declaring a float ``x`` and an int ``k``."""
    (tmp_path / "pyproject.toml").write_text("")
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = new_code_cell("x = 0.5   # a float\nk = 3     # an int\n")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell("y = x * k")]
    for n, c in enumerate(nb.cells):
        c.id = f"c{n}"
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, str(tmp_path / "notebooks" / "01_tiny.ipynb"))
    return tmp_path


@pytest.mark.parametrize("value", NEGATIVE)
def test_the_parser_takes_every_negative_number_as_a_value(value):
    parser = cli.build_parser()
    args = parser.parse_args(["reproduce", "NB", "-p", "x", value, "-p", "k", "2"])
    assert args.param == [["x", value], ["k", "2"]]
    args = parser.parse_args(["sweep", "NB", "-p", "x", value])
    assert args.param == [["x", value]]
    # ranges and lists that begin with a negative number are values too
    args = parser.parse_args(["sweep", "NB", "-p", "x", f"{value}:1:3", "-p", "k", "-1,2"])
    assert args.param == [["x", f"{value}:1:3"], ["k", "-1,2"]]


def test_options_are_still_options():
    parser = cli.build_parser()
    with pytest.raises(SystemExit):               # -p needs two values, --no-verify is none
        parser.parse_args(["reproduce", "NB", "-p", "x", "--no-verify"])
    args = parser.parse_args(["reproduce", "NB", "--no-verify", "-p", "x", "-3"])
    assert args.no_verify and args.param == [["x", "-3"]]


def _captured_reproduce(monkeypatch):
    """Replace the run by the pipeline's typing only: what reaches it is recorded."""
    seen = []

    def fake(names, params, *, root, **kw):
        nb = find_notebook(names[0], root)
        seen.append(check_parameters(nb, params))
        return []

    monkeypatch.setattr(cli, "reproduce", fake)   # the name cli calls
    return seen


@pytest.mark.parametrize("value, expected", [("-1e-3", -0.001), ("-2E+1", -20.0),
                                             ("-.5", -0.5), ("-7", -7.0)])
def test_reproduce_types_negative_numbers(repo, monkeypatch, capsys, value, expected):
    seen = _captured_reproduce(monkeypatch)
    code = cli.main(["reproduce", "01_tiny", "-p", "x", value, "--root", str(repo)])
    assert code == 0, capsys.readouterr().err
    assert seen == [{"x": expected}] and type(seen[0]["x"]) is float


@pytest.mark.parametrize("value", ["-inf", "-nan", "-1e999"])
def test_reproduce_refuses_non_finite_negatives_by_name(repo, capsys, value):
    code = cli.main(["reproduce", "01_tiny", "-p", "x", value, "--root", str(repo)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"parameter x='{value}': expected a finite float" in err
    assert "expected 2 arguments" not in err


def test_reproduce_refuses_a_negative_float_for_an_int(repo, capsys):
    code = cli.main(["reproduce", "01_tiny", "-p", "k", "-1e-3", "--root", str(repo)])
    err = capsys.readouterr().err
    assert code == 2 and "parameter k='-1e-3': expected int" in err


def _captured_sweep(monkeypatch):
    plans = []

    def fake(plan, **kw):
        plans.append(plan)
        raise PipelineError("stop here")

    monkeypatch.setattr(sweep, "run_sweep", fake)
    return plans


def test_sweep_takes_negative_lists_and_ranges(repo, monkeypatch, capsys):
    plans = _captured_sweep(monkeypatch)
    cli.main(["sweep", "01_tiny", "-p", "x", "-1e-3,-2E+1", "-p", "k", "-2:0",
              "--root", str(repo)])
    assert [p for p in plans[0].points] == [
        {"x": -0.001, "k": -2}, {"x": -0.001, "k": -1},
        {"x": -20.0, "k": -2}, {"x": -20.0, "k": -1}]
    cli.main(["sweep", "01_tiny", "-p", "x", "-1:1:3", "--root", str(repo)])
    assert [p["x"] for p in plans[1].points] == [-1.0, 0.0, 1.0]
    cli.main(["sweep", "01_tiny", "-p", "x", "-2E+1", "--root", str(repo)])
    assert [p["x"] for p in plans[2].points] == [-20.0]


def test_sweep_refuses_minus_inf_by_name(repo, monkeypatch, capsys):
    _captured_sweep(monkeypatch)
    code = cli.main(["sweep", "01_tiny", "-p", "x", "-inf", "--root", str(repo)])
    err = capsys.readouterr().err
    assert code == 2 and "parameter x='-inf': expected a finite float" in err
