"""The `neurolab` command: exit codes, messages, reproduce/verify/list/simulate."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import numpy as np

from neurolab import cli
from neurolab.base import io

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path):
    """A repository with one small notebook that writes one array."""
    (tmp_path / "pyproject.toml").write_text("")
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = new_code_cell("n = 4        # values\nfail = False  # raise\n")
    params.metadata["tags"] = ["parameters"]
    body = new_code_cell("import numpy as np\nfrom neurolab.base import io, paths\n"
                         "io.save_npz(paths.raw_dir('01_tiny') / 'a.npz', {'a': np.arange(n)})")
    boom = new_code_cell("if fail:\n    raise ValueError('bad value')")
    nb.cells = [params, body, boom]
    for k, c in enumerate(nb.cells):
        c.id = f"c{k}"
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, str(tmp_path / "notebooks" / "01_tiny.ipynb"))
    return tmp_path


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_console_script_is_declared():
    try:
        import tomllib
    except ModuleNotFoundError:           # Python < 3.11: the dev extra installs tomli
        tomllib = pytest.importorskip("tomli")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["neurolab"] == "neurolab.cli:main"


def test_help_and_missing_command(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "reproduce" in out and "simulate" in out
    code, out, _ = run([], capsys)
    assert code == 2 and "usage: neurolab" in out
    code, _, err = run(["reproduce", "--bogus"], capsys)
    assert code == 2 and "unrecognized arguments" in err


def test_list_shows_notebooks_and_parameters(repo, capsys):
    code, out, _ = run(["list", "--root", repo], capsys)
    assert code == 0
    assert out.splitlines() == ["1. 01_tiny", "     n = 4", "     fail = False"]


def test_unknown_notebook_and_parameters_are_refused(repo, capsys):
    code, _, err = run(["reproduce", "nope", "--root", repo], capsys)
    assert code == 2 and "unknown notebook 'nope'; valid notebooks: 01_tiny" in err
    code, _, err = run(["--root", repo, "reproduce", "01_tiny", "-p", "size", "3"], capsys)
    assert code == 2
    assert "01_tiny has no parameter 'size'; valid parameters: n=4, fail=False" in err
    code, _, err = run(["reproduce", "01_tiny", "-p", "n", "three", "--root", repo], capsys)
    assert code == 2 and "parameter n='three': expected int" in err
    code, _, err = run(["reproduce", "-p", "n", "3", "--root", repo], capsys)
    assert code == 2 and "-p needs a notebook name" in err
    code, _, err = run(["reproduce", "01_tiny", "-p", "n", "3", "-p", "n", "5",
                        "--root", repo], capsys)
    assert code == 2 and "given twice" in err
    code, _, err = run(["verify", "--root", repo / "notebooks"], capsys)
    assert code == 2 and "not a neurolab repository" in err
    assert not (repo / "data").exists()


def test_reproduce_then_verify_then_a_failing_notebook(repo, capsys):
    code, out, _ = run(["reproduce", "--root", repo], capsys)
    assert code == 0
    assert out.startswith(f"neurolab root: {repo}\n")
    assert "[1/1] 01_tiny: running ..." in out and "verify: all 2 artifacts OK" in out
    code, out, _ = run(["verify", "--root", repo], capsys)
    assert (code, out) == (0, f"neurolab root: {repo}\nverify: all 2 artifacts OK\n")

    before = (repo / "data/raw/01_tiny/a.npz").read_bytes()
    code, out, err = run(["reproduce", "01_tiny", "-p", "fail", "true", "-p", "n", "9",
                          "--root", repo], capsys)
    assert code == 1
    assert "notebook 01_tiny failed in cell 3" in err and "ValueError: bad value" in err
    assert "previous artifacts were left in place" in err
    assert (repo / "data/raw/01_tiny/a.npz").read_bytes() == before

    path = repo / "data/raw/01_tiny/a.npz"
    path.write_bytes(path.read_bytes()[:-10])
    code, out, _ = run(["verify", "--root", repo], capsys)
    assert code == 1
    assert "verify: 1 file(s) failed:\n  data/raw/01_tiny/a.npz\n    - size " in out


# ----------------------------------------------------------------------------- simulate
def test_simulate_writes_a_verified_reproducible_run_folder(tmp_path, capsys):
    args = ["simulate", "--n-inputs", "60", "--duration", "300", "--seed", "3",
            "--weight-dt", "50"]
    code, out, _ = run(args + ["--out", tmp_path / "a"], capsys)
    assert code == 0, out
    assert "simulated 300 ms" in out and "verify: all 5 artifacts OK" in out
    folder = tmp_path / "a"
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json", "manifest.json", "run.json", "spikes.npz", "state.npz", "weights.npz"]
    config = json.loads((folder / "config.json").read_text())
    assert config["seed"] == 3 and config["populations"][0]["n"] == 60
    w = io.load_npz(folder / "weights.npz")
    assert w["inp->out/w"].shape == (6, 60)
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = next(a for a in manifest["artifacts"] if a["path"] == "weights.npz")
    assert entry["ranges"]["inp->out/w"] == [0.0, 0.01] and entry["seed"] == 3

    code, _, _ = run(args + ["--out", tmp_path / "b"], capsys)
    for name in ("spikes.npz", "weights.npz", "run.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()

    data = bytearray((folder / "spikes.npz").read_bytes())
    data[200] ^= 0xFF
    (folder / "spikes.npz").write_bytes(bytes(data))
    code, out, _ = run(["verify", "--manifest", folder / "manifest.json"], capsys)
    assert code == 1 and "  spikes.npz\n    - sha256" in out


def test_simulate_from_a_config_file(tmp_path, capsys):
    config = {
        "dt": 0.1, "seed": 1, "duration": 50.0,
        "populations": [
            {"name": "stim", "kind": "spikes", "n": 2, "times": [5.0, 10.0], "indices": [0, 1]},
            {"name": "n", "kind": "lif", "n": 2, "params": {"synapse": "delta"}},
        ],
        "projections": [{"pre": "stim", "post": "n", "rule": "one_to_one", "weight": 20.0}],
        "run": {"record_state": {"n": "all"}},
    }
    path = tmp_path / "net.json"
    path.write_text(json.dumps(config))
    code, out, _ = run(["simulate", "--config", path, "--out", tmp_path / "run"], capsys)
    assert code == 0, out
    spikes = io.load_npz(tmp_path / "run" / "spikes.npz")
    assert list(spikes["n/i"]) == [0, 1]                 # each input makes its neuron fire
    state = io.load_npz(tmp_path / "run" / "state.npz")
    assert state["n/v"].shape == (500, 2)

    code, _, err = run(["simulate", "--config", path, "--n-inputs", "5"], capsys)
    assert code == 2 and "only apply to the built-in model" in err
    path.write_text(json.dumps({**config, "colour": "red"}))
    code, _, err = run(["simulate", "--config", path, "--out", tmp_path / "x"], capsys)
    assert code == 2 and "unknown keys ['colour']" in err
    code, _, err = run(["simulate", "--config", tmp_path / "missing.json"], capsys)
    assert code == 2 and "missing.json" in err


def test_simulate_print_config(capsys):
    code, out, _ = run(["simulate", "--print-config", "--rate", "20", "--ratio", "1.1"],
                       capsys)
    assert code == 0
    config = json.loads(out)
    assert config["populations"][0]["rates"] == 20.0
    stdp = config["projections"][0]["stdp"]
    assert stdp["A_minus"] == pytest.approx(1.1 * stdp["A_plus"])
    assert stdp["pairing"] == "all_to_all" and stdp["mu"] == 0.0


# ----------------------------------------------------------------------------- config checks
TINY = {
    "dt": 0.1, "seed": 1, "duration": 50.0,
    "populations": [
        {"name": "inp", "kind": "poisson", "n": 20, "rates": 50.0},
        {"name": "n", "kind": "lif", "n": 2, "params": {"synapse": "conductance",
                                                         "v_rest": -74.0}},
    ],
    "projections": [{"pre": "inp", "post": "n", "weight": ["uniform", 0.0, 0.05],
                     "stdp": {"A_plus": 0.001, "A_minus": 0.00105, "w_max": 0.05}}],
    "run": {"record_weights": {"inp->n": "all"}, "weight_dt": 10.0},
}


def with_change(path, value):
    """A deep copy of TINY with the value at ``path`` (a tuple of keys/indices) replaced."""
    config = json.loads(json.dumps(TINY))
    where = config
    for key in path[:-1]:
        where = where[key]
    where[path[-1]] = value
    return config


@pytest.mark.parametrize("path, value, error, match", [
    (("duration",), True, TypeError, r"duration must be a real number, got True"),
    (("duration",), "500", TypeError, r"duration must be a real number, got '500'"),
    (("dt",), True, TypeError, r"dt must be a real number"),
    (("seed",), "1", TypeError, r"seed must be an integer, got '1'"),
    (("seed",), 1.0, TypeError, r"seed must be an integer, got 1\.0"),
    (("populations", 0, "n"), True, TypeError, r"n must be an integer, got True"),
    (("populations", 0, "rates"), "50", TypeError, r"rates must be a number"),
    (("populations", 1, "params", "tau_m"), "10", TypeError, r"tau_m must be a real number"),
    (("projections", 0, "stdp", "w_max"), False, TypeError, r"w_max must be a real number"),
    (("projections", 0, "delay"), True, TypeError, r"delay must be a number"),
    (("run", "weight_dt"), True, TypeError, r"weight_dt"),
    (("populations",), {"name": "inp"}, TypeError, r"config populations must be a JSON list"),
    (("populations", 1, "params"), [1], TypeError, r"params must be a LIFParams"),
    (("projections", 0, "stdp"), "yes", TypeError, r"stdp must be a plasticity rule"),
    (("run",), [], TypeError, r"config run must be a JSON object"),
])
def test_config_values_get_the_python_api_validation(path, value, error, match):
    with pytest.raises(error, match=match):
        net, run = cli.build_network(with_change(path, value))
        net.run(**run, progress=False)


@pytest.mark.parametrize("path, key, match", [
    ((), "colour", r"config: unknown keys \['colour'\]; allowed: \['dt', 'duration', "
                   r"'populations', 'projections', 'run', 'seed'\]"),
    (("populations", 0), "rate", r"config populations\[0\]: unknown keys \['rate'\]; "
                                 r"allowed: \['kind', 'n', 'name', 'rate_dt', 'rates'\]"),
    (("populations", 1), "tau", r"config populations\[1\]: unknown keys \['tau'\]; "
                                r"allowed: \['kind', 'n', 'name', 'params', 'threshold', "
                                r"'v_init'\]"),
    (("populations", 1, "params"), "tau", r"config populations\[1\]\.params: unknown keys "
                                          r"\['tau'\]; allowed: \['E_e', 'E_i', .*'tau_m'"),
    (("projections", 0), "weights", r"config projections\[0\]: unknown keys \['weights'\]; "
                                    r"allowed: \[.*'delay', .*'weight'\]"),
    (("projections", 0, "stdp"), "eta", r"config projections\[0\]\.stdp: unknown keys "
                                        r"\['eta'\]; allowed: \['A_minus', 'A_plus', "),
    (("run",), "record", r"config run: unknown keys \['record'\]; allowed: \[.*"
                         r"'record_weights'.*\]"),
])
def test_unknown_config_keys_are_refused_at_every_level(path, key, match):
    config = json.loads(json.dumps(TINY))
    where = config
    for k in path:
        where = where[k]
    where[key] = 1
    with pytest.raises(ValueError, match=match):
        cli.build_network(config)


def test_config_values_reach_the_api_unchanged():
    """["uniform", lo, hi] is the API's ("uniform", lo, hi): the weights equal those of the
    same network built with the Python API; other lists pass as lists."""
    import neurolab as nl

    net, run = cli.build_network(TINY)
    ref = nl.Network(dt=0.1, seed=1)
    ref.add_poisson("inp", n=20, rates=50.0)
    ref.add_lif("n", n=2, params=nl.LIFParams(synapse="conductance", v_rest=-74.0))
    ref.connect("inp", "n", weight=("uniform", 0.0, 0.05),
                stdp=nl.STDPParams(A_plus=0.001, A_minus=0.00105, w_max=0.05))
    np.testing.assert_array_equal(net.projections["inp->n"].weight,
                                  ref.projections["inp->n"].weight)
    assert run == {"record_weights": {"inp->n": "all"}, "weight_dt": 10.0, "duration": 50.0}
    assert cli._api_value(["normal", 1.0, 0.5]) == ("normal", 1.0, 0.5)
    assert cli._api_value([1.0, 2.0]) == [1.0, 2.0] and cli._api_value([]) == []
    assert cli._api_value("uniform") == "uniform"
    config = with_change(("populations", 1, "v_init"), [-70.0, -60.0])
    net, _ = cli.build_network(config)
    assert list(net.populations["n"].v_init) == [-70.0, -60.0]


def test_simulate_refuses_a_boolean_duration_in_the_config(tmp_path, capsys):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(with_change(("duration",), True)))
    code, out, err = run(["simulate", "--config", path, "--out", tmp_path / "run"], capsys)
    assert code == 2 and "bad configuration: duration must be a real number, got True" in err
    assert not (tmp_path / "run").exists()


# ----------------------------------------------------------------------------- run.json
def test_a_saved_run_json_runs_again_identically(tmp_path, capsys):
    config = json.loads(json.dumps(TINY))
    config["projections"][0]["weight"] = 0.03          # a value the record keeps whole
    config["run"]["record_state"] = {"n": "all"}
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(config))
    code, out, _ = run(["simulate", "--config", path, "--out", tmp_path / "a"], capsys)
    assert code == 0, out
    code, out, err = run(["simulate", "--config", tmp_path / "a" / "run.json",
                          "--out", tmp_path / "b"], capsys)
    assert code == 0, err
    for name in ("spikes.npz", "weights.npz", "state.npz"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    a = json.loads((tmp_path / "a" / "run.json").read_text())
    b = json.loads((tmp_path / "b" / "run.json").read_text())
    assert a["params"]["network"] == b["params"]["network"]
    assert a["params"]["run"] == b["params"]["run"]


def test_a_run_json_that_lacks_what_is_needed_is_refused(tmp_path, capsys):
    # the built-in model draws its initial weights: run.json keeps only their summary
    code, out, _ = run(["simulate", "--n-inputs", "20", "--duration", "20",
                        "--out", tmp_path / "a"], capsys)
    assert code == 0, out
    code, _, err = run(["simulate", "--config", tmp_path / "a" / "run.json"], capsys)
    assert code == 2
    assert "cannot rebuild the run from" in err
    assert "the initial weights of projection 'inp->out' differ and are only summarised" in err
    assert f"--config {tmp_path / 'a' / 'config.json'}" in err
    # explicit spike times are only hashed; a subset of recorded synapses only counted
    config = {"duration": 20.0, "populations": [
        {"name": "s", "kind": "spikes", "n": 2, "times": [1.0, 2.0], "indices": [0, 1]},
        {"name": "n", "kind": "lif", "n": 2}],
        "projections": [{"pre": "s", "post": "n", "weight": 5.0}],
        "run": {"record_weights": {"s->n": [0, 1]}}}
    (tmp_path / "c.json").write_text(json.dumps(config))
    code, out, _ = run(["simulate", "--config", tmp_path / "c.json", "--out", tmp_path / "c"],
                       capsys)
    assert code == 0, out
    (tmp_path / "c" / "config.json").unlink()
    code, _, err = run(["simulate", "--config", tmp_path / "c" / "run.json"], capsys)
    assert code == 2
    assert "the 2 explicit spike times of population 's' are only recorded as a sha256" in err
    assert "which 2 of the 4 synapses of 's->n' were recorded is not saved" in err
    assert "config.json beside it" not in err


# ----------------------------------------------------------------------------- busy
def test_reproduce_is_refused_while_another_run_holds_the_notebook(repo, capsys):
    import os

    from neurolab.lab.manifest import notebook_locks

    with notebook_locks(["01_tiny"], root=repo):
        code, out, err = run(["reproduce", "--root", repo], capsys)
        assert code == cli.EXIT_BUSY == 75
        assert f"notebook 01_tiny is in use by process {os.getpid()} on host " in err
        assert "add --wait to wait for it" in err
        code, _, err = run(["reproduce", "01_tiny", "--wait-timeout", "0.2", "--root", repo],
                           capsys)
        assert code == 75 and "refused after waiting 0.2 s" in err
        code, _, err = run(["reproduce", "01_tiny", "--wait-timeout", "-1", "--root", repo],
                           capsys)
        assert code == 2 and "--wait-timeout -1.0: expected seconds >= 0" in err
    assert not (repo / "data/raw/01_tiny").exists()
    code, out, _ = run(["reproduce", "--wait", "--root", repo], capsys)
    assert code == 0 and "verify: all 2 artifacts OK" in out
