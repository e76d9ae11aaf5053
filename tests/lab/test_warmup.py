"""``neurolab warmup``: fills numba's cache with the kernels networks use, so that a later
process compiles nothing; a second call finds them all and runs nothing; bad requests are
refused by name."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from test_compile import NOTICE, _cache_files, _run

from neurolab import cli
from neurolab.lab import warmup as W


def _cli(args, cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NEUROLAB_BACKGROUND_COMPILE="0")
    return subprocess.run([sys.executable, "-m", "neurolab.cli", "warmup", *args], env=env,
                          capture_output=True, text=True, timeout=900)


def test_warmup_fills_the_cache_that_later_runs_use(tmp_path):
    cache = tmp_path / "cache"
    first = _cli(["--kernel", "default", "--kernel", "triplet", "--quiet"], cache)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "2 kernels ready" in first.stdout
    assert NOTICE not in first.stdout            # warm-up shows a bar, not the notice
    files = _cache_files(cache)
    again = _cli(["--kernel", "default", "--kernel", "triplet", "--quiet"], cache)
    assert again.returncode == 0
    assert "every kernel is in the cache already" in again.stdout
    assert _cache_files(cache) == files
    # networks of users with those families compile nothing
    runs = _run(["pair", "triplet"], cache)
    assert NOTICE not in runs.stdout
    assert _cache_files(cache) == files
    # a kernel not warmed up yet is warmed (the stamp keeps the earlier ones)
    more = _cli(["--kernel", "vogels", "--kernel", "default", "--quiet"], cache)
    assert "2 kernels ready" in more.stdout
    assert "every kernel is in the cache already" in _cli(
        ["--kernel", "vogels", "--kernel", "triplet", "--quiet"], cache).stdout


def test_a_cache_emptied_behind_the_stamp_is_warmed_again(tmp_path):
    cache = tmp_path / "cache"
    assert _cli(["--kernel", "default", "--quiet"], cache).returncode == 0
    for f in cache.rglob("*.nb[ci]"):
        f.unlink()
    out = _cli(["--kernel", "default", "--quiet"], cache)
    assert "1 kernels ready" in out.stdout
    assert any("run_steps" in f for f in _cache_files(cache))


def test_unknown_kernel_names_are_refused_with_the_known_ones(capsys):
    assert cli.main(["warmup", "--kernel", "trplet"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "'trplet'" in err and "triplet" in err and "default" in err
    with pytest.raises(ValueError, match="trplet"):
        W.warmup(["trplet"])


def test_list_names_every_kernel(capsys):
    assert cli.main(["warmup", "--list"]) == cli.EXIT_OK
    out = capsys.readouterr().out.split("\n")
    assert [line.split()[0] for line in out if line.strip()] == list(W.KERNELS)


def test_no_writable_cache_is_said_clearly(monkeypatch, capsys):
    """Nothing writable (all of numba's folders read-only): the kernels compile in this
    process only, and the command says so and how to fix it."""
    monkeypatch.setattr(W, "_run", lambda families: None)
    monkeypatch.setattr("neurolab.engine.compile._writable", lambda folder: False)
    assert cli.main(["warmup", "--kernel", "default", "--quiet"]) == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert "no writable numba cache folder" in err and "NUMBA_CACHE_DIR" in err


def test_import_in_a_jupyter_kernel_loads_the_common_kernel_in_the_background():
    """In a Jupyter kernel, ``import neurolab`` alone (no run) gets the default kernel
    compiled or loaded by a background thread; with NEUROLAB_BACKGROUND_COMPILE=0 not."""
    from jupyter_client.manager import start_new_kernel

    code = ("import time, neurolab\n"
            "from neurolab.engine import kernels\n"
            "t0 = time.time()\n"
            "while not kernels.run_steps.overloads and time.time() - t0 < 300:\n"
            "    time.sleep(0.1)\n"
            "print('LOADED', len(kernels.run_steps.overloads))\n")
    for flag, want in (("1", "LOADED 1"), ("0", "LOADED 0")):
        env = dict(os.environ, NEUROLAB_BACKGROUND_COMPILE=flag)
        if flag == "0":
            code = code.replace("< 300", "< 5")
        km, kc = start_new_kernel(kernel_name="python3", env=env)
        try:
            out = []
            kc.execute_interactive(code, timeout=600,
                                   output_hook=lambda msg: out.append(
                                       msg["content"].get("text", "")))
            assert want in "".join(out), out
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
