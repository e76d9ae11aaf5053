"""The `neurolab` command: exit codes, messages, reproduce/verify/list/simulate."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from neurolab import cli, io

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path):
    """A repository with one small notebook that writes one array."""
    (tmp_path / "pyproject.toml").write_text("")
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = new_code_cell("n = 4        # values\nfail = False  # raise\n")
    params.metadata["tags"] = ["parameters"]
    body = new_code_cell("import numpy as np\nfrom neurolab import io, paths\n"
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
