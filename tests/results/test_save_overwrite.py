"""Issue 24, item 14: ``SimResult.save`` refuses to overwrite an existing run folder
unless ``overwrite=True``."""

from __future__ import annotations

import pytest

import neurolab as nl


def _result(seed=0, duration=5.0):
    net = nl.Network(dt=0.1, seed=seed)
    net.add_poisson("p", 3, rates=200.0)
    return net.run(duration, record_spikes="all", progress=False)


def test_save_refuses_an_existing_run_folder(tmp_path):
    first, second = _result(0), _result(1, 7.0)
    folder = tmp_path / "run"
    first.save(folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(FileExistsError) as info:
        second.save(folder)
    msg = str(info.value)
    assert str(folder) in msg and "run.json" in msg and "overwrite=True" in msg
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before   # untouched
    assert nl.load_run(folder).t_end == 5.0


def test_overwrite_true_replaces_the_run(tmp_path):
    folder = tmp_path / "run"
    _result(0).save(folder)
    assert _result(1, 7.0).save(folder, overwrite=True) == folder
    assert nl.load_run(folder).t_end == 7.0


@pytest.mark.parametrize("name", ["spikes.npz", "weights.npz", "state.npz"])
def test_any_run_file_counts(tmp_path, name):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / name).write_bytes(b"old")
    with pytest.raises(FileExistsError, match=name):
        _result().save(folder)


def test_other_files_do_not_count(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    nl.mark_result("x", 1.0, folder=folder)            # results.json beside a run is fine
    (folder / "window.npz").write_bytes(b"other data")
    _result().save(folder)
    assert nl.load_run(folder).t_end == 5.0


def test_overwrite_must_be_a_boolean(tmp_path):
    with pytest.raises(TypeError, match="overwrite must be True or False, got 'yes'"):
        _result().save(tmp_path / "r", overwrite="yes")
