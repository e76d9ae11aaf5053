"""The papermill pipeline: registry, parameter checks, runs, manifest and verify.

Most tests work in a temporary repository (a pyproject.toml and a notebooks/ folder) with
small notebooks written here, so they run in seconds; one runs a real notebook of the
project with non-default parameters.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import neurolab as nl
from neurolab.base import io
from neurolab.lab.errors import NotebookFailed
from neurolab.lab.manifest import MANIFEST_FORMAT, STAGING, describe_artifact, load_manifest, notebook_locks, sha256_file, write_manifest
from neurolab.lab.notebooks import check_parameters, find_notebook, list_notebooks, notebook_names, notebook_parameters, run_target
from neurolab.lab.runner import INJECTED, _failing_cell, _install, reproduce, run_notebook
from neurolab.lab.verify import format_report, stray_files, verify
from neurolab.lab.errors import PipelineError

REPO = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- helpers
def write_notebook(path: Path, params: str, *body: str) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    cells = [new_markdown_cell("# test notebook"), new_code_cell(params)]
    cells[1].metadata["tags"] = ["parameters"]
    cells += [new_code_cell(src) for src in body]
    for k, c in enumerate(cells):
        c.id = f"c{k}"
    nb.cells = cells
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


TOY_PARAMS = """\
seed = 0          # random seed
n = 5             # number of values
scale = 1.0       # multiplies the values
label = "a"       # a string
flag = True       # a boolean
fail = False      # raise in the last cell
"""

TOY_BODY = ("""\
import numpy as np
import matplotlib.pyplot as plt
from neurolab import plotting
from neurolab.base import io, paths
x = np.random.default_rng(seed).random(n) * scale
io.save_npz(paths.raw_dir("01_toy") / "values.npz", {"x": x, "n": np.arange(n)})
fig, ax = plt.subplots(figsize=(2, 1.5))
ax.plot(x)
plotting.save_figure(fig, paths.results_dir() / "toy.png")
print(round(float(x.sum()), 6), label, flag)
if not flag:
    io.save_npz(paths.raw_dir("01_toy") / "extra.npz", {"x": x})
""", """\
if fail:
    raise RuntimeError("asked to fail")
""")


def make_toy_repo(root: Path, params: str, body) -> Path:
    """A minimal repository: ``01_toy`` (``params``, ``body`` cells) and ``02_other``."""
    (root / "pyproject.toml").write_text("[project]\nname = 'toy'\n")
    write_notebook(root / "notebooks" / "01_toy.ipynb", params, *body)
    write_notebook(root / "notebooks" / "02_other.ipynb", "k = 3  # a count\n",
                   "from neurolab.base import io, paths\nimport numpy as np\n"
                   "io.save_npz(paths.raw_dir('02_other') / 'k.npz', {'k': np.arange(k)})")
    return root


@pytest.fixture
def repo(tmp_path):
    """A minimal repository with two small notebooks."""
    return make_toy_repo(tmp_path, TOY_PARAMS, TOY_BODY)


def file_bytes(root: Path) -> dict:
    """Bytes of every data file and figure (the manifest and executed notebooks, which
    carry run times, excluded; also those of runs with other parameters, which keep
    theirs under data/raw/runs/)."""
    files = [p for p in (root / "data").rglob("*") if p.is_file()
             and p.name != "manifest.json" and p.suffix != ".ipynb"
             and ".locks" not in p.relative_to(root).parts]
    files += [p for p in (root / "results").glob("*.png")]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def save_run(folder: Path) -> nl.SimResult:
    """A small real run with a plastic projection, saved to ``folder``."""
    net = nl.Network(dt=0.1, seed=2)
    net.add_poisson("inp", n=40, rates=40.0)
    net.add_lif("out", n=2, params=nl.LIFParams(synapse="conductance", v_rest=-74.0))
    net.connect("inp", "out", weight=("uniform", 0.0, 0.05),
                stdp=nl.STDPParams(A_plus=0.005, A_minus=0.00525, w_max=0.05))
    res = net.run(300.0, record_spikes="all", record_weights={"inp->out": "all"}, weight_dt=10.0,
                  record_state={"out": "all"}, progress=False)
    res.save(folder)
    return res


@pytest.fixture
def artifacts(tmp_path):
    """A repository whose manifest lists a saved run and a PNG figure (no notebook run)."""
    root = tmp_path
    (root / "pyproject.toml").write_text("")
    (root / "notebooks").mkdir()
    run_dir = root / "data" / "raw" / "run"
    save_run(run_dir)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neurolab import plotting

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1])
    plotting.save_figure(fig, root / "results" / "fig.png")
    plt.close(fig)
    register(root)
    return root


def register(root: Path) -> None:
    """Write a manifest describing every file under data/raw/run and results/."""
    files = sorted((root / "data" / "raw" / "run").iterdir()) + [root / "results" / "fig.png"]
    entries = [describe_artifact(f, root_rel=f.relative_to(root).as_posix())
               for f in files]
    write_manifest(root, {"artifacts": entries})


def run_base(root: Path, name: str, params) -> Path:
    """Where a run of notebook ``name`` with ``params`` installs its data/ and results/
    trees: the repository root for the default run, the run's own folder otherwise."""
    target = run_target(root / "notebooks" / f"{name}.ipynb", params)
    return root / target.folder if target.folder else root


def reasons(problems, name):
    return [p.reason for p in problems if p.path.endswith(name)]


# ----------------------------------------------------------------------------- paths
def test_paths_resolve_from_the_repository_root(monkeypatch, tmp_path):
    from neurolab.base import paths

    for env in (paths.ROOT_ENV, paths.DATA_ENV, paths.RESULTS_ENV):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.chdir(tmp_path)                   # not the current folder
    assert paths.repo_root() == REPO
    assert paths.raw_dir("x") == REPO / "data" / "raw" / "x"
    assert paths.results_dir() == REPO / "results"
    assert paths.notebooks_dir() == REPO / "notebooks"
    monkeypatch.setenv(paths.ROOT_ENV, str(tmp_path))
    assert paths.repo_root() == tmp_path and paths.data_dir() == tmp_path / "data"
    monkeypatch.setenv(paths.RESULTS_ENV, str(tmp_path / "elsewhere"))
    assert paths.results_dir() == tmp_path / "elsewhere"
    monkeypatch.setenv(paths.ROOT_ENV, str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="NEUROLAB_ROOT"):
        paths.repo_root()


def test_data_and_results_from_env_need_no_repository(monkeypatch, tmp_path):
    """An installed package used outside any checkout: with both folders given by their
    variables, the repository root is never looked up."""
    from neurolab.base import paths

    def no_root():
        raise FileNotFoundError("no repository here")

    monkeypatch.setattr(paths, "repo_root", no_root)
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "d"))
    monkeypatch.setenv(paths.RESULTS_ENV, str(tmp_path / "r"))
    assert paths.data_dir() == tmp_path / "d"
    assert paths.raw_dir("x") == tmp_path / "d" / "raw" / "x"
    assert paths.results_dir() == tmp_path / "r"
    monkeypatch.delenv(paths.DATA_ENV)
    monkeypatch.delenv(paths.RESULTS_ENV)
    monkeypatch.chdir(tmp_path)
    # no checkout, no variable: beside the notebook (the kernel's current directory)
    assert paths.data_dir() == tmp_path / "data"
    assert paths.results_dir() == tmp_path / "results"
    with pytest.raises(FileNotFoundError, match="no repository here"):
        paths.repo_root()                      # what needs a checkout still says so


# ----------------------------------------------------------------------------- git commit
def _git(cwd, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t",
                           "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_commit_ignores_changes_the_pipeline_makes(tmp_path):
    """Figures under results/ and files under data/ are rewritten by `neurolab reproduce`
    itself: changing them must not mark the commit dirty; any other tracked file does."""
    for rel in ("results/fig.png", "data/README.md", "pkg/mod.py", "pyproject.toml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("original\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "init")
    sha = _git(tmp_path, "rev-parse", "HEAD")
    pkg = tmp_path / "pkg"                     # asked from a subfolder, like the package
    assert io.git_commit(tmp_path) == sha and io.git_commit(pkg) == sha
    (tmp_path / "results/fig.png").write_text("new figure\n")
    (tmp_path / "data/README.md").write_text("changed\n")
    (tmp_path / "results/untracked.png").write_text("new\n")
    assert io.git_commit(tmp_path) == sha and io.git_commit(pkg) == sha
    (tmp_path / "pyproject.toml").write_text("changed\n")      # outside pkg/, still counts
    assert io.git_commit(pkg) == sha + "-dirty"
    assert io.git_commit(tmp_path) == sha + "-dirty"
    _git(tmp_path, "checkout", "--", "pyproject.toml")
    assert io.git_commit(pkg) == sha                # nothing cached
    (pkg / "mod.py").write_text("changed\n")
    assert io.git_commit(tmp_path / "results") == sha + "-dirty"
    assert io.git_commit(tmp_path.parent / "nowhere") is None


# ----------------------------------------------------------------------------- registry
def test_notebooks_are_listed_in_name_order(repo):
    assert notebook_names(repo) == ["01_toy", "02_other"]
    assert find_notebook("toy", repo).name == "01_toy.ipynb"
    assert find_notebook("02_other.ipynb", repo).stem == "02_other"


def test_unknown_notebook_is_refused_with_the_valid_names(repo):
    with pytest.raises(PipelineError, match=r"unknown notebook 'nope'; valid notebooks: "
                                            r"01_toy, 02_other"):
        find_notebook("nope", repo)


def test_project_notebooks_declare_literal_parameters():
    names = notebook_names(REPO)
    assert names[:4] == ["01_stdp_network", "02_stdp_window", "03_song_abbott",
                         "04_stdp_rules"]
    for nb in list_notebooks(REPO):
        params = notebook_parameters(nb)
        assert params, nb
        cells = nbformat.read(str(nb), as_version=4).cells
        tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, nb
        # committed notebooks keep outputs only where nbval checks them
        for c in cells:
            if c.cell_type == "code" and c.outputs:
                assert "# NBVAL_CHECK_OUTPUT" in c.source, (nb.name, c.source[:60])
        assert "widgets" not in nbformat.read(str(nb), as_version=4).metadata


# ----------------------------------------------------------------------------- parameters
def test_parameters_are_read_with_their_defaults(repo):
    params = notebook_parameters(repo / "notebooks" / "01_toy.ipynb")
    assert params == {"seed": 0, "n": 5, "scale": 1.0, "label": "a", "flag": True,
                      "fail": False}


@pytest.mark.parametrize("given, expected", [
    ({"n": "7"}, {"n": 7}),
    ({"scale": "2"}, {"scale": 2.0}),
    ({"scale": "1e-3"}, {"scale": 0.001}),
    ({"scale": 3}, {"scale": 3.0}),
    ({"flag": "false"}, {"flag": False}),
    ({"label": "b c"}, {"label": "b c"}),
    ({"seed": 4, "flag": "yes"}, {"seed": 4, "flag": True}),
])
def test_parameter_values_are_converted_to_the_default_type(repo, given, expected):
    nb = repo / "notebooks" / "01_toy.ipynb"
    got = check_parameters(nb, given)
    assert got == expected
    assert all(type(got[k]) is type(expected[k]) for k in got)


@pytest.mark.parametrize("given, match", [
    ({"bogus": "1"}, r"01_toy has no parameter 'bogus'; valid parameters: seed=0, n=5, "
                     r"scale=1.0, label='a', flag=True, fail=False"),
    ({"n": "2.5"}, r"parameter n='2.5': expected int like the default 5"),
    ({"n": 2.5}, r"expected int"),
    ({"n": True}, r"expected int"),
    ({"scale": "fast"}, r"parameter scale='fast': expected float"),
    ({"flag": "maybe"}, r"expected bool"),
    ({"scale": "nan"}, r"parameter scale='nan': expected a finite float like the default 1\.0"),
    ({"scale": "inf"}, r"parameter scale='inf': expected a finite float"),
    ({"scale": " -Infinity"}, r"parameter scale=' -Infinity': expected a finite float"),
    ({"scale": float("nan")}, r"parameter scale=nan: expected a finite float"),
    ({"scale": float("-inf")}, r"parameter scale=-inf: expected a finite float"),
])
def test_unknown_or_ill_typed_parameters_are_refused(repo, given, match):
    with pytest.raises(PipelineError, match=match):
        check_parameters(repo / "notebooks" / "01_toy.ipynb", given)


def test_parameters_cell_must_hold_literals_papermill_can_read(tmp_path):
    nb = write_notebook(tmp_path / "a.ipynb", "x = 1\ny = x * 2\n")
    with pytest.raises(PipelineError, match="parameter y = x \\* 2 is not a literal"):
        notebook_parameters(nb)
    nb = write_notebook(tmp_path / "b.ipynb", "x = 1\nz = 2  # the value of x = 1\n")
    with pytest.raises(PipelineError, match="papermill cannot read parameter 'z'"):
        notebook_parameters(nb)
    nb = write_notebook(tmp_path / "c.ipynb", "x = 1\n")
    cells = nbformat.read(str(nb), as_version=4)
    cells.cells[1].metadata["tags"] = []
    nbformat.write(cells, str(nb))
    with pytest.raises(PipelineError, match="no cell tagged 'parameters'"):
        notebook_parameters(nb)


# ----------------------------------------------------------------------------- runs
def test_reproduce_runs_all_records_provenance_and_is_byte_identical(repo):
    log = []
    problems = reproduce(root=repo, log=log.append)
    assert problems == []
    assert log[0] == "[1/2] 01_toy: running ..."
    assert log[1].startswith("[1/2] 01_toy: done in ") and "elapsed" in log[1]
    assert log[-1] == "verify: all 5 artifacts OK"
    manifest = json.loads((repo / "data" / "raw" / "manifest.json").read_text())
    by_path = {a["path"]: a for a in manifest["artifacts"]}
    assert sorted(by_path) == ["data/raw/01_toy/values.npz", "data/raw/02_other/k.npz",
                               "results/notebooks/01_toy.ipynb",
                               "results/notebooks/02_other.ipynb", "results/toy.png"]
    entry = by_path["data/raw/01_toy/values.npz"]
    assert entry["notebook"] == "01_toy" and entry["seed"] == 0
    assert entry["parameters"]["scale"] == 1.0 and entry["overrides"] == {}
    assert entry["arrays"] == {"n": {"dtype": "int64", "shape": [5]},
                               "x": {"dtype": "float64", "shape": [5]}}
    assert {"numpy", "python", "neurolab"} <= set(entry["versions"])
    assert "git_commit" in entry
    assert entry["sha256"] == io.sha256_file(repo / entry["path"])
    # executed copies go to results/notebooks, never over notebooks/
    executed = nbformat.read(str(repo / "results/notebooks/01_toy.ipynb"), as_version=4)
    assert executed.cells[2].outputs[0]["text"].strip().endswith("a True")
    assert not nbformat.read(str(repo / "notebooks/01_toy.ipynb"), as_version=4).cells[2].outputs
    assert not (repo / STAGING).exists()

    first = file_bytes(repo)
    assert reproduce(root=repo, log=lambda s: None) == []
    assert file_bytes(repo) == first                 # data and figures byte-identical
    again = {a["path"]: a for a in load_manifest(repo)["artifacts"]}
    assert sorted(again) == sorted(by_path)
    for path, a in again.items():                    # only executed notebooks differ
        assert (a == by_path[path]) or a["kind"] == "notebook", path


def test_a_run_with_other_parameters_goes_to_its_own_folder(repo):
    """Issue 12: `reproduce NAME -p ...` with values that differ from the defaults never
    replaces the default run's data or figures; it installs the same tree in a folder of
    its own, named by a hash of the differing values and listed in the manifest with
    its parameters."""
    import re

    reproduce(root=repo, log=lambda s: None)
    canonical = file_bytes(repo)
    manifest_before = load_manifest(repo)["artifacts"]
    log = []
    assert reproduce(["01_toy"], {"n": "3", "scale": "10"}, root=repo,
                              log=log.append) == []
    after = file_bytes(repo)
    assert {k: after[k] for k in canonical} == canonical      # default run untouched
    [folder] = (repo / "data/raw/runs/01_toy").iterdir()
    assert re.fullmatch(r"[0-9a-f]{12}", folder.name)
    rel = f"data/raw/runs/01_toy/{folder.name}"
    assert f"this run goes to {rel}/" in log[0]
    x = io.load_npz(folder / "data/raw/01_toy/values.npz")["x"]
    np.testing.assert_allclose(x, np.random.default_rng(0).random(3) * 10)
    assert (folder / "results/toy.png").is_file()
    assert (folder / "results/notebooks/01_toy.ipynb").is_file()
    manifest = load_manifest(repo)
    mine = [a for a in manifest["artifacts"] if a["path"].startswith(rel + "/")]
    assert sorted(a["path"][len(rel) + 1:] for a in mine) == [
        "data/raw/01_toy/values.npz", "results/notebooks/01_toy.ipynb", "results/toy.png"]
    for a in mine:
        assert a["run"] == f"01_toy@{folder.name}" and a["run_folder"] == rel
        assert a["overrides"] == {"n": 3, "scale": 10.0} and a["parameters"]["n"] == 3
    record = manifest["notebooks"][f"01_toy@{folder.name}"]
    assert record["parameters"]["scale"] == 10.0 and record["folder"] == rel
    assert all(a in manifest["artifacts"] for a in manifest_before)
    # the same values again: the same folder, the same data and figure
    first = file_bytes(repo)
    reproduce(["01_toy"], {"scale": "10.0", "n": "3"}, root=repo,
                       log=lambda s: None)
    assert file_bytes(repo) == first
    # values equal to the defaults: the default run, which owns the canonical paths
    reproduce(["01_toy"], {"n": "5", "scale": "1"}, root=repo, log=lambda s: None)
    assert len(list((repo / "data/raw/runs/01_toy").iterdir())) == 1
    assert file_bytes(repo) == first
    # another set of values: another folder; an artifact of that run, not of the others
    reproduce(["01_toy"], {"flag": "false"}, root=repo, log=lambda s: None)
    assert len(list((repo / "data/raw/runs/01_toy").iterdir())) == 2
    assert not (repo / "data/raw/01_toy/extra.npz").exists()
    assert (run_base(repo, "01_toy", {"flag": False}) / "data/raw/01_toy/extra.npz").is_file()
    assert {k: file_bytes(repo)[k] for k in first} == first
    assert verify(root=repo) == [] and stray_files(repo) == []


def test_bad_requests_are_refused_before_anything_runs(repo):
    with pytest.raises(PipelineError, match="no parameter 'nope'"):
        reproduce(["01_toy"], {"nope": "1"}, root=repo)
    with pytest.raises(PipelineError, match="only be given when running one notebook"):
        reproduce(None, {"n": "1"}, root=repo)
    with pytest.raises(PipelineError, match="unknown notebook"):
        reproduce(["01_toy", "missing"], root=repo)
    assert not (repo / "data").exists() and not (repo / "results").exists()


def test_failing_notebook_names_the_cell_and_keeps_previous_artifacts(repo):
    reproduce(root=repo, log=lambda s: None)
    before = file_bytes(repo)
    manifest = (repo / "data/raw/manifest.json").read_bytes()
    executed = (repo / "results/notebooks/01_toy.ipynb").read_bytes()
    with pytest.raises(NotebookFailed) as err:
        reproduce(["01_toy"], {"fail": "true", "n": "9"}, root=repo,
                           log=lambda s: None)
    base = run_base(repo, "01_toy", {"fail": True, "n": 9})
    msg = str(err.value)
    assert err.value.name == "01_toy" and err.value.cell == 4   # markdown counted
    assert msg.startswith("notebook 01_toy failed in cell 4")
    assert "RuntimeError: asked to fail" in msg and "if fail:" in msg
    assert file_bytes(repo) == before                # data and figures untouched
    assert (repo / "data/raw/manifest.json").read_bytes() == manifest
    assert (repo / "results/notebooks/01_toy.ipynb").read_bytes() == executed
    failed = base / "results/notebooks/01_toy.failed.ipynb"      # the run's own folder
    assert failed.is_file() and str(failed.relative_to(repo)) in msg
    assert not (repo / "results/notebooks/01_toy.failed.ipynb").exists()
    assert verify(root=repo) == [] and stray_files(repo) == []


def test_failing_cell_is_found_by_index_not_by_source(tmp_path):
    """Two cells with the same source, the second fails; parameters are given, so papermill
    inserts a cell after the parameters cell and every later index shifts by one."""
    (tmp_path / "pyproject.toml").write_text("")
    same = "count += 1\nassert count < 2, 'second copy'"
    write_notebook(tmp_path / "notebooks" / "01_dup.ipynb", "x = 1  # a value\n",
                   "count = 0", same, same)
    with pytest.raises(NotebookFailed) as err:
        run_notebook("01_dup", {"x": "2"}, root=tmp_path)
    assert err.value.cell == 5 and not err.value.injected     # markdown counted
    assert str(err.value).startswith("notebook 01_dup failed in cell 5 ")
    assert "AssertionError: second copy" in str(err.value)


class _FakeError(Exception):
    def __init__(self, cell_index, source="x = 1"):
        super().__init__(source)
        self.cell_index, self.source = cell_index, source


def test_failing_cell_maps_executed_indices_to_the_committed_notebook(tmp_path):
    # committed: 0 markdown, 1 parameters, 2 and 3 code
    nb = write_notebook(tmp_path / "a.ipynb", "x = 1\n", "y = 2", "z = 3")
    cell = _failing_cell
    assert [cell(nb, _FakeError(i), injected=False) for i in range(4)] == [1, 2, 3, 4]
    assert [cell(nb, _FakeError(i), injected=True) for i in range(5)] == [
        1, 2, INJECTED, 3, 4]
    # a committed injected-parameters cell is replaced in place: nothing shifts
    cells = nbformat.read(str(nb), as_version=4)
    cells.cells[2].metadata["tags"] = ["injected-parameters"]
    nbformat.write(cells, str(nb))
    assert [cell(nb, _FakeError(i), injected=True) for i in range(4)] == [
        1, 2, INJECTED, 4]
    # no index (older papermill): the first cell with that source
    assert cell(nb, _FakeError(None, source="z = 3"), injected=True) == 4
    assert cell(nb, _FakeError(None, source="nowhere"), injected=False) is None


def test_failure_in_the_injected_parameters_cell_is_named(repo, monkeypatch):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    def fail_in_injected_cell(*args, parameters=None, **kwargs):
        assert parameters == {"n": 3}
        raise PapermillExecutionError(cell_index=2, exec_count=1,
                                      source="# Parameters\nn = 3\n", ename="NameError",
                                      evalue="boom", traceback=[])

    monkeypatch.setattr(papermill, "execute_notebook", fail_in_injected_cell)
    with pytest.raises(NotebookFailed) as err:
        run_notebook("01_toy", {"n": "3"}, root=repo)
    assert err.value.injected and err.value.cell is None
    assert str(err.value).startswith(
        "notebook 01_toy failed in the injected parameters cell (In [1]): NameError: boom")
    assert not (repo / "data").exists() or not any((repo / "data").rglob("*.npz"))


def test_real_notebook_with_non_default_parameters(tmp_path):
    """02_stdp_window run by papermill with other time constants, twice: the simulated
    window follows the new parameters, verify passes, and every file is identical."""
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "02_stdp_window.ipynb", tmp_path / "notebooks")
    params = {"tau_plus": "10", "delta_t_step": "10", "delta_t_max": "50"}
    assert reproduce(["02_stdp_window"], params, root=tmp_path,
                              log=lambda s: None) == []
    base = run_base(tmp_path, "02_stdp_window", params)
    window = io.load_npz(base / "data/raw/02_stdp_window/window.npz")
    np.testing.assert_allclose(window["delta_t"], np.arange(-50.0, 51.0, 10.0))
    k = int(np.flatnonzero(window["delta_t"] == 10.0)[0])
    assert window["dw_sim"][k] == pytest.approx(0.01 * np.exp(-1.0), rel=1e-12)
    assert (base / "results/stdp_window.png").is_file()
    assert not (tmp_path / "results/stdp_window.png").exists()
    first = file_bytes(tmp_path)
    reproduce(["02_stdp_window"], params, root=tmp_path, log=lambda s: None)
    assert file_bytes(tmp_path) == first


# ----------------------------------------------------------------------------- verify
def test_verify_passes_on_good_artifacts(artifacts):
    assert verify(root=artifacts) == []
    manifest = load_manifest(artifacts)
    weights = next(a for a in manifest["artifacts"] if a["path"].endswith("weights.npz"))
    assert weights["ranges"]["inp->out/w"] == [0.0, 0.05]
    assert weights["ranges"]["inp->out/syn"] == [0, 79]
    spikes = next(a for a in manifest["artifacts"] if a["path"].endswith("spikes.npz"))
    assert spikes["ranges"] == {"inp/i": [0, 39], "inp/t": [0.0, 300.0],
                                "out/i": [0, 1], "out/t": [0.0, 300.0]}
    assert format_report([], root=artifacts) == "verify: all 5 artifacts OK"


def test_verify_flags_a_flipped_byte(artifacts):
    path = artifacts / "data/raw/run/spikes.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    problems = verify(root=artifacts)
    assert {p.path for p in problems} == {"data/raw/run/spikes.npz"}
    assert any(r.startswith("sha256 ") for r in reasons(problems, "spikes.npz"))


def test_verify_flags_a_missing_file(artifacts):
    (artifacts / "results/fig.png").unlink()
    problems = verify(root=artifacts)
    assert [str(p) for p in problems] == ["results/fig.png: missing"]


def test_verify_flags_a_truncated_file(artifacts):
    for name in ("data/raw/run/weights.npz", "results/fig.png"):
        path = artifacts / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    problems = verify(root=artifacts)
    w = reasons(problems, "weights.npz")
    assert any(r.startswith("size ") for r in w)
    assert any(r.startswith("cannot read as .npz") for r in w)
    assert any(r.startswith("PNG does not decode") for r in reasons(problems, "fig.png"))
    report = format_report(problems)
    assert report.startswith("verify: 2 file(s) failed:")
    assert "  data/raw/run/weights.npz" in report and "  results/fig.png" in report


def test_verify_flags_a_wrong_shape_and_dtype(artifacts):
    path = artifacts / "data/raw/run/weights.npz"
    arrays = io.load_npz(path)
    arrays["inp->out/final"] = arrays["inp->out/final"][:-1]
    arrays["inp->out/syn"] = arrays["inp->out/syn"].astype(np.int32)
    io.save_npz(path, arrays)
    got = reasons(verify(root=artifacts), "weights.npz")
    assert "inp->out/final: shape (79,), expected (80,)" in got
    assert "inp->out/syn: dtype int32, expected int64" in got


def test_verify_flags_out_of_range_values_even_with_a_matching_checksum(artifacts):
    """Values are checked against the run's own bounds, not only against the checksum:
    re-registering a corrupted file does not hide weights above w_max, spikes after the
    end of the run, ids outside the population or NaN."""
    w_path = artifacts / "data/raw/run/weights.npz"
    arrays = io.load_npz(w_path)
    arrays["inp->out/w"][3, 5] = 0.07                 # w_max is 0.05
    arrays["inp->out/final"][0] = np.nan
    io.save_npz(w_path, arrays)
    s_path = artifacts / "data/raw/run/spikes.npz"
    spikes = io.load_npz(s_path)
    spikes["inp/t"][-1] = 301.0                      # the run lasted 300 ms
    spikes["inp/i"][0] = 40                          # population of 40: ids 0..39
    io.save_npz(s_path, spikes)
    register(artifacts)                              # checksums now match the bad files
    problems = verify(root=artifacts)
    w = reasons(problems, "weights.npz")
    assert any(r.startswith("inp->out/w: 1 values outside [0.0, 0.05] (min ")
               and r.endswith(", max 0.07)") for r in w)
    assert "inp->out/final: 1 NaN/inf values" in w
    s = reasons(problems, "spikes.npz")
    assert any(r.startswith("inp/i: 1 values outside [0, 39]") for r in s)
    assert any(r.startswith("inp/t: 1 values outside [0.0, 300.0]") for r in s)
    assert not any("sha256" in r for r in w + s)


def test_verify_flags_a_missing_key_and_a_bad_png_signature(artifacts):
    path = artifacts / "data/raw/run/state.npz"
    arrays = io.load_npz(path)
    del arrays["out/v"]
    arrays["extra"] = np.zeros(2)
    io.save_npz(path, arrays)
    (artifacts / "results/fig.png").write_bytes(b"GIF89a" + b"\0" * 100)
    problems = verify(root=artifacts)
    got = reasons(problems, "state.npz")
    assert "missing arrays ['out/v']" in got and "unexpected arrays ['extra']" in got
    assert "not a PNG file (bad signature)" in reasons(problems, "fig.png")


def test_verify_without_manifest(tmp_path):
    problems = verify(root=tmp_path)
    assert len(problems) == 1 and "manifest missing" in problems[0].reason
    problems = verify(manifest=tmp_path / "nope.json")
    assert problems[0].reason == "manifest missing"


def test_manifest_is_written_atomically(artifacts):
    manifest = artifacts / "data/raw/manifest.json"
    assert not list(manifest.parent.glob(".manifest.json.*"))
    text = manifest.read_text()
    assert json.loads(text)["format"] == MANIFEST_FORMAT
    assert text == io.dumps_json(json.loads(text))      # canonical: sorted keys, indent 2


# ----------------------------------------------------------------------------- containment
def _entry_for(path: Path, rel: str) -> dict:
    return {"path": rel, "size": path.stat().st_size, "sha256": io.sha256_file(path),
            "kind": "png"}


def test_verify_refuses_paths_outside_the_base_folder(artifacts, tmp_path_factory,
                                                      monkeypatch):
    """Absolute paths, '..' escapes and symlinks leading outside are reported by name and
    never opened, even when the outside file matches its recorded size and checksum."""
    outside = tmp_path_factory.mktemp("outside") / "secret.png"
    shutil.copyfile(artifacts / "results/fig.png", outside)
    link = artifacts / "results" / "link.png"
    link.symlink_to(outside)
    (artifacts / "data" / "linked").symlink_to(outside.parent, target_is_directory=True)
    escape = os.path.relpath(outside, artifacts)
    manifest = load_manifest(artifacts)
    good = list(manifest["artifacts"])
    manifest["artifacts"] += [_entry_for(outside, str(outside)), _entry_for(outside, escape),
                              _entry_for(outside, "results/link.png"),
                              _entry_for(outside, "data/linked/secret.png"),
                              _entry_for(outside, "results/./../../" + outside.name)]
    write_manifest(artifacts, manifest)
    opened = []
    real_sha = sha256_file

    def spy(path):
        opened.append(Path(path).resolve())
        return real_sha(path)

    monkeypatch.setattr("neurolab.lab.verify.sha256_file", spy)
    problems = verify(root=artifacts)
    by_path = {p.path: p.reason for p in problems}
    assert sorted(by_path) == sorted([str(outside), escape, "results/link.png",
                                      "data/linked/secret.png",
                                      "results/./../../" + outside.name])
    assert by_path[str(outside)] == "refused: absolute path refused"
    assert by_path[escape] == "refused: '..' in path refused"
    assert by_path["results/link.png"].startswith("refused: a symlink: resolves to ")
    assert by_path["data/linked/secret.png"].startswith("refused: a symlink")
    assert outside.resolve() not in opened
    assert len(opened) == 5                      # the five good artifacts were checked
    # a symlink that stays inside is followed like any file
    link.unlink()
    link.symlink_to(artifacts / "results" / "fig.png")
    manifest["artifacts"] = good + [_entry_for(link, "results/link.png")]
    write_manifest(artifacts, manifest)
    assert verify(root=artifacts) == []


def test_verify_reports_malformed_entries_without_hiding_the_others(artifacts):
    manifest = load_manifest(artifacts)
    good = {a["path"]: a for a in manifest["artifacts"]}
    fig = dict(good["results/fig.png"])
    del fig["size"]
    spikes = dict(good["data/raw/run/spikes.npz"])
    spikes["arrays"] = {"inp/t": {"shape": [1]}}            # no dtype: KeyError inside
    weights = dict(good["data/raw/run/weights.npz"])
    weights["sha256"] = 12
    manifest["artifacts"] = [
        fig, spikes, "not an entry", {"size": 3, "sha256": "ab"}, {"path": 7},
        weights, good["data/raw/run/state.npz"], {"path": "results/none.png"}]
    write_manifest(artifacts, manifest)
    problems = verify(root=artifacts)
    got = {}
    for p in problems:
        got.setdefault(p.path, []).append(p.reason)
    assert got["results/fig.png"] == ["manifest entry lacks 'size'"]
    assert got["data/raw/run/spikes.npz"] == ["cannot check: KeyError: 'dtype'"]
    assert got["manifest entry #3"] == ["manifest entry is not an object: 'not an entry'"]
    assert got["manifest entry #4"] == ["refused: path None is not a non-empty string"]
    assert got["manifest entry #5"] == ["refused: path 7 is not a non-empty string"]
    assert got["data/raw/run/weights.npz"] == ["manifest entry has a bad 'sha256': 12"]
    assert got["results/none.png"] == ["manifest entry lacks 'size'",
                                       "manifest entry lacks 'sha256'", "missing"]
    assert "data/raw/run/state.npz" not in got         # checked, and fine
    report = format_report(problems)
    assert "  manifest entry #3" in report and "  results/fig.png" in report


def _stage(tmp_path: Path, files: dict) -> Path:
    stage = tmp_path / "stage"
    for rel, data in files.items():
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage / rel).write_bytes(data)
    return stage


def test_install_never_deletes_outside_data_and_results(repo, tmp_path_factory):
    """Stale entries of the notebook that point outside data/ and results/ (in the
    repository or beyond it, directly or through a symlinked folder) are dropped from the
    manifest without deleting anything."""
    outside = tmp_path_factory.mktemp("outside")
    victims = [outside / "a.txt", outside / "b.txt", outside / "c.txt"]
    for v in victims:
        v.write_text("keep me")
    (repo / "data" / "raw").mkdir(parents=True)
    (repo / "data" / "raw" / "linked").symlink_to(outside, target_is_directory=True)
    (repo / "results").mkdir()
    (repo / "results" / "old.png").write_bytes(b"stale")
    committed = repo / "notebooks" / "01_toy.ipynb"
    before = committed.read_bytes()
    stale = ["notebooks/01_toy.ipynb", str(victims[0]), os.path.relpath(victims[1], repo),
             "data/raw/linked/c.txt", "results/old.png"]
    write_manifest(repo, {"artifacts": [
        {"path": p, "notebook": "01_toy", "size": 1, "sha256": "0"} for p in stale]
        + [{"notebook": "01_toy"}, "junk"]})
    stage = _stage(tmp_path_factory.mktemp("s"), {"results/toy.png": b"new"})
    entries = _install(repo, stage, "01_toy", {"seed": 0}, {})
    assert [e["path"] for e in entries] == ["results/toy.png"]
    assert all(v.read_text() == "keep me" for v in victims)
    assert committed.read_bytes() == before
    assert not (repo / "results" / "old.png").exists()     # a real stale artifact goes
    assert [a["path"] for a in load_manifest(repo)["artifacts"]] == [
        "results/toy.png"]


def test_install_refuses_staged_files_landing_outside_data_and_results(repo, tmp_path):
    committed = repo / "notebooks" / "01_toy.ipynb"
    before = committed.read_bytes()
    stage = _stage(tmp_path, {"results/ok.png": b"x", "notebooks/01_toy.ipynb": b"{}"})
    with pytest.raises(PipelineError, match=r"wrote notebooks/01_toy.ipynb .*outside "
                                            r"data/ and results/; nothing was installed"):
        _install(repo, stage, "01_toy", {}, {})
    assert committed.read_bytes() == before and not (repo / "results").exists()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (repo / "results").mkdir()
    (repo / "results" / "sub").symlink_to(outside, target_is_directory=True)
    stage = _stage(tmp_path / "2", {"results/sub/fig.png": b"x"})
    with pytest.raises(PipelineError, match="a symlink"):
        _install(repo, stage, "01_toy", {}, {})
    assert list(outside.iterdir()) == []


# ----------------------------------------------------------------------------- numpy scalars
def test_numpy_scalars_are_accepted_as_plain_python_values(repo):
    """Sweeps built with np.arange / np.linspace hand numpy scalars: accepted when of the
    right kind, returned (and injected) as the plain Python value."""
    nb = repo / "notebooks" / "01_toy.ipynb"
    got = check_parameters(nb, {
        "seed": np.int64(3), "n": np.int32(4), "scale": np.float64(2.5),
        "flag": np.bool_(False), "label": np.str_("b")})
    assert got == {"seed": 3, "n": 4, "scale": 2.5, "flag": False, "label": "b"}
    assert [type(got[k]) for k in ("seed", "n", "scale", "flag", "label")] == [
        int, int, float, bool, str]
    got = check_parameters(nb, {"scale": np.int64(2), "n": np.uint8(7)})
    assert got == {"scale": 2.0, "n": 7} and type(got["scale"]) is float
    assert type(got["n"]) is int
    # the calls, against the real notebook's declared defaults
    song = REPO / "notebooks" / "03_song_abbott.ipynb"
    got = check_parameters(song, {"seed": np.int64(3)})
    assert got == {"seed": 3} and type(got["seed"]) is int
    got = check_parameters(song, {"duration_s": np.float64(5.0)})
    assert got == {"duration_s": 5.0} and type(got["duration_s"]) is float


@pytest.mark.parametrize("given, match", [
    ({"n": np.bool_(True)}, r"parameter n=(np\.)?True_?: expected int"),
    ({"scale": np.bool_(False)}, r"expected float like the default 1\.0"),
    ({"scale": True}, r"expected float"),
    ({"n": np.float64(2.0)}, r"parameter n=.*2\.0.*: expected int like the default 5"),
    ({"scale": np.float64("nan")}, r"expected a finite float"),
    ({"scale": np.float32("inf")}, r"expected a finite float"),
    ({"scale": np.complex128(1.0)}, r"expected float"),
    ({"label": np.int64(1)}, r"expected str"),
])
def test_numpy_scalars_of_the_wrong_kind_are_refused(repo, given, match):
    with pytest.raises(PipelineError, match=match):
        check_parameters(repo / "notebooks" / "01_toy.ipynb", given)


def test_numpy_scalars_reach_the_notebook_as_their_values(repo):
    problems = reproduce(["01_toy"], {"n": np.int64(3), "scale": np.float64(10.0),
                                               "seed": np.uint16(7)}, root=repo,
                                  log=lambda s: None)
    assert problems == []
    base = run_base(repo, "01_toy", {"n": 3, "scale": 10.0, "seed": 7})
    x = io.load_npz(base / "data/raw/01_toy/values.npz")["x"]
    np.testing.assert_array_equal(x, np.random.default_rng(7).random(3) * 10.0)
    entry = next(a for a in load_manifest(repo)["artifacts"]
                 if a["path"].endswith("values.npz"))
    assert entry["overrides"] == {"n": 3, "scale": 10.0, "seed": 7}


# ----------------------------------------------------------------------------- manifest records
def test_verify_reports_artifacts_dropped_from_the_manifest(repo):
    """The manifest keeps the paths each notebook's last complete run installed; a rewrite
    that loses entries (the data-loss bug of issue 6) is reported, not counted as fine."""
    reproduce(root=repo, log=lambda s: None)
    manifest = load_manifest(repo)
    assert manifest["notebooks"]["01_toy"]["paths"] == [
        "data/raw/01_toy/values.npz", "results/notebooks/01_toy.ipynb", "results/toy.png"]
    assert manifest["notebooks"]["02_other"]["paths"] == [
        "data/raw/02_other/k.npz", "results/notebooks/02_other.ipynb"]
    # what the bug left behind: the notebook's data gone, its entries gone with it
    manifest["artifacts"] = [a for a in manifest["artifacts"]
                             if a["path"] != "data/raw/01_toy/values.npz"
                             and a["path"] != "results/toy.png"]
    (repo / "data/raw/01_toy/values.npz").unlink()
    (repo / "results/toy.png").unlink()
    write_manifest(repo, manifest)
    problems = verify(root=repo)
    assert sorted(map(str, problems)) == [
        "data/raw/01_toy/values.npz: installed by the last run of 01_toy but no longer "
        "listed in the manifest",
        "results/toy.png: installed by the last run of 01_toy but no longer listed in the "
        "manifest"]
    # a new complete run of the notebook makes everything whole again
    assert reproduce(["01_toy"], root=repo, log=lambda s: None) == []


def test_a_notebook_run_that_makes_fewer_files_updates_its_record(repo):
    write_notebook(repo / "notebooks" / "01_toy.ipynb",
                   TOY_PARAMS.replace("flag = True", "flag = False"), *TOY_BODY)
    reproduce(["01_toy"], root=repo, log=lambda s: None)
    write_notebook(repo / "notebooks" / "01_toy.ipynb", TOY_PARAMS, *TOY_BODY)
    assert "data/raw/01_toy/extra.npz" in load_manifest(repo)["notebooks"][
        "01_toy"]["paths"]
    reproduce(["01_toy"], root=repo, log=lambda s: None)
    record = load_manifest(repo)["notebooks"]["01_toy"]
    assert "data/raw/01_toy/extra.npz" not in record["paths"] and len(record["paths"]) == 3
    assert verify(root=repo) == []


def test_a_run_whose_executed_copy_is_missing_installs_nothing(repo, monkeypatch):
    """papermill returning without having written the executed notebook (its folder
    vanished, say) is a failed run: the previous artifacts and manifest stay."""
    import papermill

    reproduce(["01_toy"], root=repo, log=lambda s: None)
    before = file_bytes(repo)
    manifest = (repo / "data/raw/manifest.json").read_bytes()

    def half_run(src, dst, **kwargs):
        out = Path(os.environ[paths.RESULTS_ENV]).parent / "data" / "raw" / "01_toy"
        out.mkdir(parents=True)
        (out / "values.npz").write_bytes(b"partial")

    from neurolab.base import paths
    monkeypatch.setattr(papermill, "execute_notebook", half_run)
    with pytest.raises(NotebookFailed, match="executed copy was not written"):
        run_notebook("01_toy", {"n": "2"}, root=repo)
    assert file_bytes(repo) == before
    assert (repo / "data/raw/manifest.json").read_bytes() == manifest
    assert not (repo / STAGING).exists()


# ----------------------------------------------------------------------------- strays
def test_stray_files_are_listed_as_a_warning(repo, tmp_path_factory):
    reproduce(root=repo, log=lambda s: None)
    assert stray_files(repo) == []
    strays = ["data/raw/01_toy/copy of values.npz", "results/.toy.png.x1.tmp",
              "data/raw/loose.txt", "data/raw/simulate/extra.npz"]
    for rel in strays:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(b"x")
    # not strays: pipeline lock and staging files, .gitkeep, a failed run's executed copy,
    # and the files a run folder's own manifest lists
    for rel in ("data/raw/.staging/01_toy/run-x/data/a.npz", "data/raw/.gitkeep",
                "results/.gitkeep", "results/notebooks/01_toy.failed.ipynb",
                "data/raw/simulate/run.json"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(b"x")
    write_manifest(manifest={"artifacts": [{"path": "run.json"}]},
                            path=repo / "data/raw/simulate/manifest.json")
    with notebook_locks(["01_toy"], root=repo):       # lock files exist now
        assert sorted(stray_files(repo)) == sorted(strays)
    problems = verify(root=repo)
    assert problems == []                                      # a warning, not a failure
    report = format_report(problems, root=repo, strays=stray_files(repo))
    assert report.splitlines() == [
        "verify: all 5 artifacts OK",
        "warning: 4 file(s) not in the manifest (stray or half-copied?):",
        *[f"  {s}" for s in sorted(strays)]]


# ----------------------------------------------------------------------------- root
def test_root_is_the_checkout_the_user_stands_in(monkeypatch, tmp_path):
    from neurolab.base import paths

    monkeypatch.delenv(paths.ROOT_ENV, raising=False)
    other = tmp_path / "B"
    (other / "notebooks").mkdir(parents=True)
    (other / "pyproject.toml").write_text("")
    (other / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(other / "sub" / "deeper")
    assert paths.repo_root() == other                      # not the package's checkout
    monkeypatch.setenv(paths.ROOT_ENV, str(REPO))
    assert paths.repo_root() == REPO                       # the variable still wins


def test_an_install_of_one_checkout_used_in_another_writes_there(tmp_path):
    """neurolab is installed (editable) from this checkout; run inside checkout B, the
    command reads and writes B, and says so."""
    other = tmp_path / "B"
    write_notebook(other / "notebooks" / "01_tiny.ipynb", "n = 2  # values\n",
                   "from neurolab.base import io, paths\nimport numpy as np\n"
                   "io.save_npz(paths.raw_dir('01_tiny') / 'a.npz', {'a': np.arange(n)})")
    (other / "pyproject.toml").write_text("[project]\nname = 'b'\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NEUROLAB_ROOT", "NEUROLAB_DATA_DIR", "NEUROLAB_RESULTS_DIR")}
    script = Path(sys.executable).parent / "neurolab"
    cmd = [str(script)] if script.is_file() else [sys.executable, "-m", "neurolab.cli"]
    assert Path(nl.__file__).resolve().parent.parent == REPO    # the package lives in A
    done = subprocess.run(cmd + ["reproduce", "01_tiny"], cwd=other / "notebooks", env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert done.stdout.startswith(f"neurolab root: {other}\n")
    assert (other / "data/raw/01_tiny/a.npz").is_file()
    assert not (REPO / "data/raw/01_tiny").exists()
    done = subprocess.run(cmd + ["verify"], cwd=other, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout == f"neurolab root: {other}\nverify: all 2 artifacts OK\n"


# ----------------------------------------------------------------------------- notebook windows
def _checked_output(root: Path, name: str) -> str:
    executed = nbformat.read(str(root / "results/notebooks" / f"{name}.ipynb"), as_version=4)
    cell = next(c for c in executed.cells if "# NBVAL_CHECK_OUTPUT" in c.source)
    return "".join(o.get("text", "") for o in cell.outputs)


def _copy_notebook(tmp_path: Path, name: str) -> None:
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "notebooks").mkdir(exist_ok=True)
    shutil.copy(REPO / "notebooks" / f"{name}.ipynb", tmp_path / "notebooks")


def _steps(t, dt=0.1):
    return np.rint(np.asarray(t) / dt).astype(np.int64)


def test_song_abbott_rates_cover_a_partial_last_second(tmp_path):
    """Issue 6: with duration_s 1.5 the "last 1 s" rate counted the first second. It must
    be the spikes in [0.5, 1.5) s, counted here from the saved raw data by step number."""
    _copy_notebook(tmp_path, "03_song_abbott")
    assert reproduce(["03_song_abbott"], {"duration_s": np.float64(1.5),
                                                   "seed": np.int64(0)},
                              root=tmp_path, log=lambda s: None) == []
    base = run_base(tmp_path, "03_song_abbott", {"duration_s": 1.5})
    spikes = io.load_npz(base / "data/raw/03_song_abbott/spikes.npz")
    steps = _steps(spikes["out/t"])
    assert steps.size and steps.max() < 15000
    first = int(np.sum(steps < 10000))                     # [0, 1) s
    last = int(np.sum(steps >= 5000))                      # [0.5, 1.5) s
    assert first != last                                   # the test can tell them apart
    text = _checked_output(base, "03_song_abbott")
    assert f"output spikes: {steps.size}\n" in text
    assert f"output rate: first 1 s {first:.1f} Hz, last 1 s {last:.1f} Hz\n" in text


def test_network_rates_over_a_run_shorter_than_their_window(tmp_path):
    """01's first/last 2 s windows on a 1.5 s run: each is the whole run (1.5 s); the
    raster asked for 3 s shows the 1.5 s there are (the notebook runs through)."""
    _copy_notebook(tmp_path, "01_stdp_network")
    params = {"duration_s": "1.5", "n_correlated": "20", "n_uncorrelated": "100",
              "rate": "40", "n_out": "2", "w_max": "0.04", "explorer_duration_s": "0.2",
              "raster_window_s": "3"}
    assert reproduce(["01_stdp_network"], params, root=tmp_path,
                              log=lambda s: None) == []
    base = run_base(tmp_path, "01_stdp_network", params)
    spikes = io.load_npz(base / "data/raw/01_stdp_network/spikes.npz")
    n = _steps(spikes["out/t"]).size
    assert 0 < n < 1.5 * 2 * 200
    rate = n / (1.5 * 2)                                   # spikes / (s * neurons)
    text = _checked_output(base, "01_stdp_network")
    assert f"output rate, first 1.5 s: {rate:.1f} Hz, last 1.5 s: {rate:.1f} Hz\n" in text


def test_stdp_rules_notebook_follows_its_parameters(tmp_path):
    """04_stdp_rules with other amplitudes, time constants, a short Poisson run and
    shorter protocols for the other rule families: the checked table of the pairing
    schemes holds the protocol's closed forms for the new values (written out here by
    hand), the raw data agree, and verify passes."""
    _copy_notebook(tmp_path, "04_stdp_rules")
    params = {"A_minus": "0.0051", "tau_plus": "16.8", "tau_minus": "33.7",
              "post_rates": "[10.0, 50.0]", "n_per_rate": "5", "duration_s": "1.0",
              "frequencies": "[10.0, 50.0]", "n_pairings": "20", "rho_0": "8.0",
              "demo_duration_s": "0.5", "reward_delays": "[0.0, 500.0]",
              "tau_theta": "30.0"}
    assert reproduce(["04_stdp_rules"], params, root=tmp_path,
                              log=lambda s: None) == []
    ap, am, tp, tm = 0.01, 0.0051, 16.8, 33.7

    def e(lag, tau):
        return np.exp(-lag / tau)

    # pre 100, 110, 130 ms / post 120, 125 ms (lags in ms)
    want = {"all_to_all": ap * (e(20, tp) + e(10, tp) + e(25, tp) + e(15, tp))
            - am * (e(10, tm) + e(5, tm)),
            "nearest_symmetric": ap * (e(10, tp) + e(15, tp)) - am * e(5, tm),
            "presynaptic_centred": ap * (e(20, tp) + e(10, tp)) - am * e(5, tm),
            "restricted": ap * e(10, tp) - am * e(5, tm)}
    assert len({round(v, 12) for v in want.values()}) == 4
    base = run_base(tmp_path, "04_stdp_rules", params)
    text = _checked_output(base, "04_stdp_rules")
    rows = {ln.split()[0]: ln.split() for ln in text.splitlines() if ln.split()
            and ln.split()[0] in want}
    for scheme, dw in want.items():
        simulated, closed = float(rows[scheme][-2]), float(rows[scheme][-1])
        assert simulated == pytest.approx(dw, rel=1e-10), scheme
        assert closed == pytest.approx(dw, rel=1e-10), scheme
    assert "simulated = closed form to 1e-12 A_plus: True" in text
    raw = io.load_npz(base / "data/raw/04_stdp_rules/pair_rules.npz")
    assert list(raw["schemes/names"]) == list(want)
    np.testing.assert_allclose(raw["schemes/simulated"], list(want.values()), rtol=1e-12)
    assert raw["drift/simulated"].shape == (4, 10)
    np.testing.assert_allclose(raw["drift/simulated"], raw["drift/closed_form"], rtol=0,
                               atol=1e-12)
    rules = io.load_npz(base / "data/raw/04_stdp_rules/rule_families.npz")
    assert rules["triplet/simulated"].shape == (3, 2, 2)        # [rule, rate, +/- lag]
    np.testing.assert_allclose(rules["triplet/simulated"], rules["triplet/closed_form"],
                               rtol=0, atol=1e-12)
    # the pair rule at 50 Hz, 20 pairings, period 20 ms, lag +10 ms (by hand): post i pairs
    # with pres 0..i (10 + 20 m ms back), pre i with posts 0..i-1 (10 + 20 m ms back)
    n, q_p, q_m = 20, np.exp(-20 / 16.8), np.exp(-20 / 33.7)
    want = sum(0.01 * np.exp(-10 / 16.8) * (1 - q_p ** (i + 1)) / (1 - q_p)
               - 0.0051 * np.exp(-10 / 33.7) * (1 - q_m ** i) / (1 - q_m) for i in range(n))
    assert rules["triplet/simulated"][0, 1, 0] == pytest.approx(want, rel=1e-10)
    # Vogels: a presynaptic spike alone costs eta alpha = 0.01 * 2 * 8 Hz * 0.020 s
    assert rules["vogels/simulated"][-2] == pytest.approx(-0.01 * 2 * 8.0 * 0.020, rel=1e-12)
    assert rules["reward/simulated"].shape == (2, 2)
    np.testing.assert_allclose(rules["reward/simulated"], rules["reward/closed_form"],
                               rtol=0, atol=1e-14)
    np.testing.assert_allclose(rules["threshold/simulated"], rules["threshold/closed_form"],
                               rtol=0, atol=1e-12)
    for fig in ("stdp_pairing_schemes", "stdp_same_step", "stdp_weight_dependence",
                "stdp_scheme_drift", "stdp_triplet_frequency", "stdp_inhibitory",
                "stdp_reward_delay", "stdp_homeostasis"):
        assert (base / "results" / f"{fig}.png").is_file()


def test_no_strays_are_listed_without_a_manifest(repo):
    (repo / "results").mkdir()
    (repo / "results" / "spike_raster.png").write_bytes(b"committed figure")
    assert stray_files(repo) == []
    assert [p.reason for p in verify(root=repo)] == [
        "manifest missing: run `neurolab reproduce` first"]


def test_tuples_reach_the_notebook_as_lists():
    """papermill writes a tuple parameter into the injected cell as a string; the runner
    hands tuples over as lists (nested too)."""
    from neurolab.lab.notebooks import _injectable

    assert _injectable({"rates": (10, 50), "nested": [(1, 2), {"k": (3,)}], "x": 1.5}) == \
        {"rates": [10, 50], "nested": [[1, 2], {"k": [3]}], "x": 1.5}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_committed_files_are_not_strays_in_a_fresh_clone(repo):
    """A fresh clone holds the README's figures (tracked by git) and no manifest; the first
    run with other parameters writes a manifest that does not list them: they are no
    strays. A file git does not track still is one (issue 24 item 3)."""
    for rel in ("results/spike_raster.png", "results/weight_evolution.png",
                "data/raw/.gitkeep"):
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(b"committed figure")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "a fresh clone")
    lines = []
    problems = reproduce(["01_toy"], {"n": 3}, root=repo, log=lines.append)
    assert problems == []
    assert not any("not in the manifest" in ln for ln in lines), lines
    assert stray_files(repo) == []
    (repo / "results" / "copy of spike_raster.png").write_bytes(b"x")
    (repo / "data" / "raw" / "loose.txt").write_bytes(b"x")
    assert stray_files(repo) == ["data/raw/loose.txt", "results/copy of spike_raster.png"]
    _git(repo, "add", "results/copy of spike_raster.png")      # tracked now: known to git
    assert stray_files(repo) == ["data/raw/loose.txt"]


def test_outside_a_git_checkout_strays_are_what_the_manifest_does_not_list(repo):
    (repo / "results").mkdir()
    (repo / "results" / "spike_raster.png").write_bytes(b"committed figure")
    write_manifest(repo, {"artifacts": []})
    assert stray_files(repo) == ["results/spike_raster.png"]
