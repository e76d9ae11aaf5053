"""Pipeline and command-line edges (issue 24 item 13): list parameters checked element by
element, a notebook without kernelspec metadata, huge sweep grids refused with their size,
``neurolab simulate --config`` turning MemoryError and NonFiniteStateError into a message."""

from __future__ import annotations

import json
import time

import nbformat
import pytest

from neurolab import cli
from neurolab.lab import sweep
from neurolab.lab.errors import PipelineError
from neurolab.lab.notebooks import check_parameters, notebook_parameters

from test_pipeline import write_notebook

LIST_PARAMS = """\
rates = [10.0, 20.0]   # Hz
counts = [1, 2]        # whole numbers
pairs = [[1.0, 2.0]]   # nested
extra = []             # anything
x = 0.5                # a float
"""

LIST_BODY = """\
import numpy as np
from neurolab.base import io, paths
io.save_npz(paths.raw_dir('01_lists') / 'r.npz', {'r': np.array(rates, dtype=float)})
"""


@pytest.fixture
def lists_repo(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    write_notebook(tmp_path / "notebooks" / "01_lists.ipynb", LIST_PARAMS, LIST_BODY)
    return tmp_path


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


# ----------------------------------------------------------------------------- list elements
@pytest.mark.parametrize("given, match", [
    ({"rates": "[1e999]"}, r"parameter rates='\[1e999\]': element \[0\] is inf; expected "
                           r"finite floats like the default \[10\.0, 20\.0\]"),
    ({"rates": [float("nan")]}, r"parameter rates=\[nan\]: element \[0\] is nan"),
    ({"rates": '[10, "a"]'}, r"""parameter rates='\[10, "a"\]': element \[1\] is 'a'; """
                             r"expected elements of type float like those of the default"),
    ({"rates": ["5"]}, r"element \[0\] is '5'; expected elements of type float"),
    ({"rates": [True]}, r"element \[0\] is True; expected elements of type float"),
    ({"counts": "[1, 2.5]"}, r"parameter counts='\[1, 2\.5\]': element \[1\] is 2\.5; "
                             r"expected elements of type int"),
    ({"pairs": "[[1, 1e999]]"}, r"parameter pairs='\[\[1, 1e999\]\]': element \[0\]\[1\] "
                                r"is inf"),
    ({"pairs": "[[1, 'b']]"}, r"element \[0\]\[1\] is 'b'; expected elements of type float"),
    ({"extra": "[1, [2, -1e999]]"}, r"parameter extra='\[1, \[2, -1e999\]\]': element "
                                    r"\[1\]\[1\] is -inf: expected finite floats"),
])
def test_list_elements_are_type_and_finiteness_checked(lists_repo, given, match):
    with pytest.raises(PipelineError, match=match):
        check_parameters(lists_repo / "notebooks" / "01_lists.ipynb", given)


def test_good_list_values_are_typed_like_the_default(lists_repo):
    nb = lists_repo / "notebooks" / "01_lists.ipynb"
    got = check_parameters(nb, {"rates": "[10, 30]", "counts": (3, 4), "pairs": [[1, 2]],
                                "extra": '[1, "a"]'})
    assert got == {"rates": [10.0, 30.0], "counts": [3, 4], "pairs": [[1.0, 2.0]],
                   "extra": [1, "a"]}
    assert [type(v) for v in got["rates"] + got["pairs"][0]] == [float] * 4
    assert check_parameters(nb, {"rates": "[]"}) == {"rates": []}


def test_cli_refuses_a_non_finite_list_element_by_name(lists_repo, capsys):
    code, _, err = run(["reproduce", "01_lists", "-p", "rates", "[1e999]",
                        "--root", lists_repo], capsys)
    assert code == 2
    assert "parameter rates='[1e999]': element [0] is inf" in err
    assert "Traceback" not in err
    code, _, err = run(["sweep", "01_lists", "-p", "rates", "[1e999],[1.0]",
                        "--root", lists_repo], capsys)
    assert code == 2 and "element [0] is inf" in err
    assert not (lists_repo / "data").exists()                 # nothing ran


# ----------------------------------------------------------------------------- kernelspec
def test_a_notebook_without_kernelspec_is_listed_and_runs(lists_repo, capsys):
    nb_path = lists_repo / "notebooks" / "01_lists.ipynb"
    nb = nbformat.read(str(nb_path), as_version=4)
    del nb.metadata["kernelspec"]
    nb.metadata.pop("language_info", None)
    nbformat.write(nb, str(nb_path))
    assert notebook_parameters(nb_path)["rates"] == [10.0, 20.0]
    code, out, err = run(["list", "--root", lists_repo], capsys)
    assert code == 0, err
    assert "rates = [10.0, 20.0]" in out
    code, out, err = run(["reproduce", "01_lists", "--root", lists_repo], capsys)
    assert code == 0, err
    assert (lists_repo / "data" / "raw" / "01_lists" / "r.npz").is_file()


# ----------------------------------------------------------------------------- sweep size
@pytest.mark.parametrize("specs, match", [
    ([("x", "0:1:1e7")], r"-p x '0:1:1e7': 10000000 values; a sweep has at most 100000 "
                         r"points"),
    ([("counts", "[1],[2]"), ("x", "0:1:1e12")], r"1000000000000 values"),
    ([("x", "0:1:1000"), ("rates", ",".join(f"[{k}.0]" for k in range(101)))],
     r"the grid has 1000 x 101 = 101000 points; a sweep has at most 100000"),
])
def test_a_huge_sweep_grid_is_refused_with_its_size_at_once(lists_repo, specs, match):
    t0 = time.perf_counter()
    with pytest.raises(sweep.SweepError, match=match):
        sweep.plan("01_lists", specs, root=lists_repo)
    assert time.perf_counter() - t0 < 5.0


def test_a_huge_integer_range_is_refused_before_it_is_made():
    with pytest.raises(sweep.SweepError, match=r"-p seed '0:10000000000': 10000000000 values"):
        sweep.parse_values("seed", "0:10000000000", 0)


def test_sweep_command_refuses_a_huge_grid(lists_repo, capsys):
    code, _, err = run(["sweep", "01_lists", "-p", "x", "0:1:1e7", "--root", lists_repo],
                       capsys)
    assert code == 2 and "10000000 values" in err


def test_a_sweep_grid_of_many_points_is_planned_quickly(lists_repo):
    """The points are typed without reading the notebook again for each of them."""
    t0 = time.perf_counter()
    plan = sweep.plan("01_lists", [("x", "0:1:20000")], root=lists_repo)
    assert len(plan.points) == 20000 and plan.points[1] == {"x": 5.00025001250e-05}
    assert time.perf_counter() - t0 < 20.0


# ----------------------------------------------------------------------------- simulate
def _write(tmp_path, config) -> str:
    path = tmp_path / "net.json"
    path.write_text(json.dumps(config))
    return str(path)


def test_simulate_config_out_of_memory_is_a_message(tmp_path, capsys):
    path = _write(tmp_path, {"dt": 0.1, "seed": 1, "duration": 10.0, "populations": [
        {"name": "n", "kind": "lif", "n": 10**11, "params": {"synapse": "delta"}}]})
    code, _, err = run(["simulate", "--config", path, "--out", tmp_path / "run"], capsys)
    assert code == 1
    assert err.startswith("neurolab: error: the network does not fit in this machine's "
                          "memory (")
    assert not (tmp_path / "run").exists()


def test_simulate_config_non_finite_state_is_a_message(tmp_path, capsys):
    path = _write(tmp_path, {
        "dt": 0.1, "seed": 1, "duration": 50.0,
        "populations": [
            {"name": "stim", "kind": "spikes", "n": 2, "times": [5.0, 5.0], "indices": [0, 1]},
            {"name": "n", "kind": "lif", "n": 2, "params": {"synapse": "current"}}],
        "projections": [{"pre": "stim", "post": "n", "rule": "all_to_all", "weight": 1e308}]})
    code, _, err = run(["simulate", "--config", path, "--out", tmp_path / "run"], capsys)
    assert code == 1
    assert err.startswith("neurolab: error: the simulation stopped: the state became "
                          "non-finite")
    assert "population 'n'" in err
    assert not (tmp_path / "run").exists()
