"""The ``neurolab`` command.

::

    neurolab reproduce                      run every notebook (default parameters), then verify
    neurolab reproduce NAME -p KEY VALUE    run one notebook with other parameters
    neurolab reproduce ... --wait [--wait-timeout S]   wait for a run of the same notebook
    neurolab sweep NAME -p KEY VALUES ...   run a grid of parameter points on Dask
    neurolab verify [--manifest FILE]       re-check every artifact in the manifest(s)
    neurolab list                           the notebooks, in run order, with their parameters
    neurolab simulate [--config FILE] ...   one simulation without notebooks -> a run folder
    neurolab export RUN_FOLDER --nwb [--out FILE]   a saved run as NWB (--sonata: SONATA spikes)
    neurolab warmup [--kernel NAME] [--force]      compile the simulator into numba's cache
    neurolab docs [NAME ...]                the website from the executed notebooks
                                            (after `neurolab reproduce`) -> docs/_build/html

``reproduce``, ``verify`` and ``simulate`` print the repository root they use first
(``NEUROLAB_ROOT``, else the checkout the current folder is in, else the package's).

Exit status: 0 when everything held; 1 when a notebook (or a point of a sweep) failed,
``verify`` found a problem, ``docs`` met a Sphinx warning, ``export`` could not read the
run folder, or ``simulate`` ran
out of memory or its state became non-finite (``NonFiniteStateError``); 2 for a refused
request (unknown notebook or parameter, bad option); 75 (``EX_TEMPFAIL``: try again later)
when another process runs the same notebook and ``--wait`` was not given or its time ran
out.

Room: ``neurolab.cli``, the top floor. May import every room and the package itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
import time
from pathlib import Path

from .base import paths
from .base.errors import NonFiniteStateError
from .lab.errors import NotebookFailed, PipelineBusy, PipelineError
from .lab.manifest import (RUN_FILES, describe_artifact, load_manifest, manifest_path,
                           write_manifest)
from .lab.notebooks import list_notebooks, notebook_parameters
from .lab.runner import reproduce
from .lab.verify import format_report, stray_files, verify
from .lab.sweep_records import is_sweep_manifest, known_paths, sweep_manifests

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_BUSY = 75          # sysexits.h EX_TEMPFAIL: temporary failure, the user may retry


def _err(msg: str) -> None:
    print(f"neurolab: error: {msg}", file=sys.stderr)


# ----------------------------------------------------------------------------- reproduce
def _root_in_use(args) -> Path:
    """The repository root of this command (``--root``, else ``paths.repo_root()``);
    printed, so that the user sees which checkout is read and written."""
    root = args.root if args.root is not None else paths.repo_root()
    print(f"neurolab root: {root}")
    return root


def _cmd_reproduce(args) -> int:
    params = {}
    for key, value in args.param or []:
        if key in params:
            _err(f"parameter {key} given twice")
            return EXIT_USAGE
        params[key] = value
    if params and not args.notebook:
        _err("-p needs a notebook name: neurolab reproduce NAME -p KEY VALUE")
        return EXIT_USAGE
    if args.wait_timeout is not None and not (args.wait_timeout >= 0):
        _err(f"--wait-timeout {args.wait_timeout!r}: expected seconds >= 0")
        return EXIT_USAGE
    if args.wait_timeout is not None:
        wait = args.wait_timeout                  # a limit implies --wait
    else:
        wait = None if args.wait else 0
    names = [args.notebook] if args.notebook else None
    root = _root_in_use(args)
    if not args.no_warmup:
        _warm()
    try:
        problems = reproduce(names, params or None, root=root,
                                      run_verify=not args.no_verify, log=print, wait=wait)
    except NotebookFailed as exc:
        _err(str(exc))
        print("previous artifacts were left in place", file=sys.stderr)
        return EXIT_FAILED
    except PipelineBusy as exc:
        _err(str(exc))
        print("run it again when that run has ended, or add --wait to wait for it",
              file=sys.stderr)
        return EXIT_BUSY
    except PipelineError as exc:
        _err(str(exc))
        return EXIT_USAGE
    return EXIT_FAILED if problems else EXIT_OK


# ----------------------------------------------------------------------------- warmup
def _warm(log=print) -> None:
    """Fill numba's cache before notebooks or sweep points run: nothing when an earlier
    warm-up filled it, else ``neurolab warmup`` in a child process (so that this process,
    which may fork workers, never starts numba's threading layer). A failed warm-up is
    reported and the run goes on: each notebook then compiles what it needs."""
    import subprocess

    from .lab.warmup import is_warm

    if is_warm():
        return
    cmd = [sys.executable, "-m", "neurolab.cli", "warmup"]
    if not sys.stderr.isatty():
        cmd.append("--quiet")
    log("neurolab: compiling the simulator's kernels first (once per machine; "
        "`neurolab warmup` does it ahead of time)")
    done = subprocess.run(cmd, check=False)
    if done.returncode != 0:
        log(f"neurolab: warm-up failed (exit status {done.returncode}); each notebook "
            f"compiles what it needs")


def _cmd_warmup(args) -> int:
    from .lab.warmup import KERNELS, warmup

    if args.list:
        for name, (used, _) in KERNELS.items():
            print(f"{name:14s} {used}")
        return EXIT_OK
    try:
        info = warmup(args.kernel, progress=not args.quiet, force=args.force)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except TimeoutError as exc:
        _err(str(exc))
        return EXIT_BUSY
    if info["cache"] is None:
        print("neurolab warmup: no writable numba cache folder (NUMBA_CACHE_DIR, the "
              "package's __pycache__ and the per-user cache are all read-only): the "
              "kernels were compiled in this process only and will compile again in every "
              "new one; set NUMBA_CACHE_DIR to a writable folder", file=sys.stderr)
        return EXIT_FAILED
    if info["warm"]:
        print(f"neurolab warmup: every kernel is in the cache already ({info['cache']}; "
              f"checked in {info['seconds']:.2f} s)")
    else:
        print(f"neurolab warmup: {len(info['compiled'])} kernels ready in "
              f"{info['seconds']:.1f} s (cache: {info['cache']})")
    return EXIT_OK


# ----------------------------------------------------------------------------- sweep
def _cmd_sweep(args) -> int:
    from .lab import sweep

    if args.workers is not None and args.workers < 1:
        _err(f"--workers {args.workers}: expected a number of worker processes >= 1")
        return EXIT_USAGE
    if args.timeout is not None and not (args.timeout > 0):
        _err(f"--timeout {args.timeout!r}: expected seconds > 0")
        return EXIT_USAGE
    root = _root_in_use(args)
    if not args.no_warmup:
        _warm()             # the workers of a local cluster share this machine's cache
    try:
        plan = sweep.plan(args.notebook, args.param or [], root=root, zipped=args.zip,
                          sweep_id=args.id)
        outcome = sweep.run_sweep(plan, scheduler=args.scheduler, n_workers=args.workers,
                                  timeout=args.timeout, wait=None if args.wait else 0,
                                  progress=not args.no_progress)
    except KeyboardInterrupt as exc:        # Ctrl-C: one message, no traceback
        done = (f" ({exc.ok} of {exc.total} points done and kept)"
                if isinstance(exc, sweep.SweepInterrupted) else "")
        print(f"neurolab: sweep interrupted{done}; to resume, run the same command "
              f"again: {_command_line(args)}", file=sys.stderr)
        return 130
    except PipelineBusy as exc:
        _err(str(exc))
        print("that command is running this sweep; run it again when it has ended, or "
              "add --wait", file=sys.stderr)
        return EXIT_BUSY
    except PipelineError as exc:
        _err(str(exc))
        return EXIT_USAGE
    rel = outcome.manifest.relative_to(root)
    print(f"sweep {plan.sweep_id}: {outcome.ok} ok, {outcome.failed} failed, "
          f"{outcome.pending} not run ({outcome.skipped} skipped as already done)")
    for record in outcome.failures:
        print(f"  point {record['id']} {record['parameters']} failed: {record['error']}",
              file=sys.stderr)
    print(f"manifest: {rel}")
    for entry in outcome.summary:
        print(f"summary: {entry['path']}")
    return EXIT_OK if outcome.failed == 0 and outcome.pending == 0 else EXIT_FAILED


def _command_line(args) -> str:
    """The command as it was typed (``neurolab ARGS``), quoted for a POSIX shell."""
    import shlex

    return shlex.join(["neurolab", *getattr(args, "argv", [])])


# ----------------------------------------------------------------------------- verify
def _cmd_verify(args) -> int:
    from .lab import sweep

    try:
        if args.manifest is not None:
            print(f"manifest: {Path(args.manifest).resolve()}")
            if is_sweep_manifest(args.manifest):
                problems = sweep.verify_sweep(args.manifest)
                if problems:
                    print(format_report(problems))
                else:
                    print(f"verify: all {sweep.count_artifacts(args.manifest)} artifacts OK "
                          f"(sweep manifest)")
                return EXIT_FAILED if problems else EXIT_OK
            root = None
        else:
            root = _root_in_use(args)
        sweeps = sweep_manifests(root) if args.manifest is None else []
        if sweeps and not manifest_path(root).is_file():
            problems = []                          # only sweeps ran here so far
        else:
            problems = verify(root=root, manifest=args.manifest)
        strays = stray_files(root, manifest=args.manifest)
        if sweeps:
            for mpath in sweeps:
                problems += sweep.verify_sweep(mpath)
            known = known_paths(root)
            strays = [s for s in strays if s not in known]
        if sweeps and not problems:
            n_main = (len(load_manifest(root)["artifacts"])
                      if manifest_path(root).is_file() else 0)
            n_sweep = sum(sweep.count_artifacts(m) for m in sweeps)
            print(f"verify: all {n_main + n_sweep} artifacts OK ({n_sweep} of them in "
                  f"{len(sweeps)} sweep manifest(s))")
            if strays:
                print(format_report([], root=root, strays=strays)
                      .split("\n", 1)[1])
        else:
            print(format_report(problems, root=root, manifest=args.manifest,
                                         strays=strays))
    except PipelineBusy as exc:
        _err(str(exc))
        return EXIT_BUSY
    except PipelineError as exc:
        _err(str(exc))
        return EXIT_USAGE
    return EXIT_FAILED if problems else EXIT_OK


# ----------------------------------------------------------------------------- list
def _cmd_list(args) -> int:
    try:
        notebooks = list_notebooks(args.root)
        for k, nb in enumerate(notebooks, start=1):
            print(f"{k}. {nb.stem}")
            for name, default in notebook_parameters(nb).items():
                print(f"     {name} = {default!r}")
    except PipelineError as exc:
        _err(str(exc))
        return EXIT_USAGE
    return EXIT_OK


# ----------------------------------------------------------------------------- simulate
def song_abbott_config(n_inputs=1000, rate=15.0, n_neurons=1, w_max=0.01, A_plus=0.01,
                       ratio=1.05, tau_plus=20.0, tau_minus=20.0, duration=1000.0,
                       dt=0.1, seed=0, weight_dt=10.0) -> dict:
    """The default network of ``neurolab simulate`` as a config dict: Song, Miller & Abbott
    (2000). ``n_inputs`` Poisson inputs at ``rate`` Hz, all-to-all onto ``n_neurons``
    conductance LIF neurons (tau_m 10 ms, E_L -74 mV, v_th -54 mV, v_reset -60 mV,
    E_e 0 mV, tau_e 5 ms), pair-based all-to-all additive STDP with ``A_plus`` (in units of
    ``w_max``) and ``A_minus = ratio * A_plus``; initial weights uniform in [0, w_max]."""
    return {
        "dt": dt, "seed": seed, "duration": duration,
        "populations": [
            {"name": "inp", "kind": "poisson", "n": n_inputs, "rates": rate},
            {"name": "out", "kind": "lif", "n": n_neurons,
             "params": {"tau_m": 10.0, "v_rest": -74.0, "v_th": -54.0, "v_reset": -60.0,
                        "synapse": "conductance", "tau_e": 5.0, "E_e": 0.0}},
        ],
        "projections": [
            {"pre": "inp", "post": "out", "rule": "all_to_all",
             "weight": ["uniform", 0.0, w_max],
             "stdp": {"A_plus": A_plus * w_max, "A_minus": ratio * A_plus * w_max,
                      "tau_plus": tau_plus, "tau_minus": tau_minus, "w_min": 0.0,
                      "w_max": w_max, "pairing": "all_to_all", "mu": 0.0}},
        ],
        "run": {"record_weights": {"inp->out": "all"}, "weight_dt": weight_dt},
    }


_MODEL_OPTIONS = ("n_inputs", "rate", "n_neurons", "w_max", "A_plus", "ratio", "tau_plus",
                  "tau_minus", "weight_dt")
_RUN_OPTIONS = ("duration", "dt", "seed")


_CONFIG_KEYS = ("dt", "seed", "duration", "populations", "projections", "run")


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _api_args(func, skip=()) -> list[str]:
    """The keyword arguments ``func`` accepts, read from its signature, so that the config
    follows the Python API as it grows."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [name for name, prm in inspect.signature(func).parameters.items()
            if prm.kind in kinds and name not in ("self", *skip)]


def _object(where: str, spec, allowed, required=()) -> dict:
    """``spec`` checked to be a JSON object with keys from ``allowed`` (and every key of
    ``required``); ``TypeError``/``ValueError`` naming ``where`` and the allowed keys."""
    label = f"config {where}" if where else "config"
    if not isinstance(spec, dict):
        raise TypeError(f"{label} must be a JSON object, got {_show(spec)}")
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise ValueError(f"{label}: unknown keys {unknown}; allowed: {sorted(allowed)}")
    missing = [k for k in required if k not in spec]
    if missing:
        raise ValueError(f"{label}: missing keys {missing}; allowed: {sorted(allowed)}")
    return dict(spec)


def _list(where: str, value) -> list:
    if not isinstance(value, list):
        raise TypeError(f"config {where} must be a JSON list, got {_show(value)}")
    return value


def _api_value(value):
    """A JSON list whose first element is a string is the API's tagged tuple, e.g.
    ``["uniform", 0, 1]`` -> ``("uniform", 0, 1)``; every other value is passed unchanged
    (the API validates it)."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return tuple(value)
    return value


def _params(where: str, spec, cls):
    """A frozen parameter dataclass (``LIFParams``, ``STDPParams``) from a JSON object whose
    keys must be its fields; the dataclass validates the values."""
    fields = [f.name for f in dataclasses.fields(cls)]
    return cls(**_object(where, spec, fields))


def _neuron_params(where: str, kind: str, spec):
    """The parameter object of a population of ``kind`` from a JSON object: its keys are
    the fields of ``LIFParams``, ``AdExParams`` or ``IzhikevichParams``; for AdEx and
    Izhikevich populations ``"preset"`` names a published parameter set (the class's
    ``PRESETS``) and the other keys change it. ``"model"`` (written by ``to_dict``) may
    repeat the population's model. Per-neuron values: a list of numbers or a tagged
    distribution (``["uniform", lo, hi]``)."""
    import neurolab as nl

    cls = {"lif": nl.LIFParams, "adex": nl.AdExParams,
           "izhikevich": nl.IzhikevichParams}[kind]
    fields = [f.name for f in dataclasses.fields(cls)]
    presets = sorted(getattr(cls, "PRESETS", None) or ())
    allowed = [*fields, "preset", "model"] if presets else fields
    spec = _object(where, spec, allowed)
    if "model" in spec:
        model = spec.pop("model")
        if model != cls.MODEL:
            raise ValueError(f"config {where}: model={_show(model)} does not match the "
                             f"population's kind {kind!r}; allowed: {cls.MODEL!r}")
    values = {key: _api_value(v) for key, v in spec.items()}
    if "preset" not in values:
        return cls(**values)
    name = values.pop("preset")
    if not isinstance(name, str) or name not in presets:
        raise ValueError(f"config {where}: preset={_show(name)}; allowed: {presets}")
    return cls.preset(name, **values)


def _rule(where: str, spec: dict):
    """A plasticity rule from a JSON object: ``"rule"`` names its class (default
    ``"STDPParams"``), the other keys are its fields."""
    from .plasticity import RULES

    spec = dict(spec)
    by_name = {cls.__name__: cls for cls in RULES}
    name = spec.pop("rule", "STDPParams")
    if name not in by_name:
        raise ValueError(f"config {where}: rule={_show(name)}; allowed: {sorted(by_name)}")
    return _params(where, spec, by_name[name])


def _no_rule(spec: dict) -> dict:
    """A homeostasis object's fields (``to_dict`` adds its class name as ``"rule"``)."""
    return {k: v for k, v in spec.items() if k != "rule"}


def build_network(config: dict):
    """A ``Network`` and the keyword arguments of ``Network.run`` from a config dict.

    The config is translated into the Python API calls, which validate every value (types
    included: ``"duration": true`` or ``"500"`` raise ``TypeError`` naming duration):

    - ``dt`` (ms), ``seed`` -> ``Network(dt, seed)``; ``duration`` (ms, default 1000) ->
      ``Network.run(duration)``;
    - ``populations``: a list of ``{"kind": K, ...}``, the other keys being the arguments
      of ``Network.add_K`` (``params``: an object of ``LIFParams``, ``AdExParams`` or
      ``IzhikevichParams`` fields for ``"lif"``, ``"adex"``, ``"izhikevich"``, where
      ``"preset"`` names a published set of the latter two, e.g. ``{"preset": "RS",
      "method": "half_steps"}``; ``threshold``: one of ``AdaptiveThreshold`` fields);
    - ``projections``: a list of objects with the arguments of ``Network.connect``
      (``stdp``: an object of a plasticity rule's fields, ``"rule"`` naming the rule:
      ``"STDPParams"`` (default), ``"PowerLawSTDP"``, ... see :mod:`neurolab.plasticity`;
      ``normalize``: an object of ``Normalization`` fields);
    - ``run``: the other arguments of ``Network.run`` (``record_weights``, ``weight_dt``,
      ``record_state``, ...).

    Values are handed over unchanged, except that a JSON list whose first element is a
    string becomes a tuple: ``"weight": ["uniform", 0.0, 0.01]`` is
    ``weight=("uniform", 0.0, 0.01)``. Unknown keys at any level raise ``ValueError``
    listing the allowed ones; a value of the wrong JSON kind (a list where an object is
    expected, ...) raises ``TypeError``.
    """
    import neurolab as nl
    from .engine.run import simulate

    config = _object("", config, _CONFIG_KEYS)
    net = nl.Network(**{k: config[k] for k in ("dt", "seed") if k in config})
    adders = {name[4:]: getattr(net, name) for name in dir(net) if name.startswith("add_")}
    for k, spec in enumerate(_list("populations", config.get("populations", []))):
        where = f"populations[{k}]"
        if not isinstance(spec, dict):
            raise TypeError(f"config {where} must be a JSON object, got {_show(spec)}")
        kind = spec.get("kind")
        if kind not in adders:
            raise ValueError(f"config {where}: kind={_show(kind)}; allowed: {sorted(adders)}")
        add = adders[kind]
        spec = _object(where, spec, ["kind", *_api_args(add)])
        del spec["kind"]
        args = {key: _api_value(v) for key, v in spec.items()}
        if isinstance(args.get("params"), dict) and kind in ("lif", "adex", "izhikevich"):
            args["params"] = _neuron_params(f"{where}.params", kind, args["params"])
        if isinstance(args.get("threshold"), dict):
            args["threshold"] = _params(f"{where}.threshold", _no_rule(args["threshold"]),
                                        nl.AdaptiveThreshold)
        add(**args)
    for k, spec in enumerate(_list("projections", config.get("projections", []))):
        where = f"projections[{k}]"
        spec = _object(where, spec, _api_args(net.connect), required=("pre", "post"))
        args = {key: _api_value(v) for key, v in spec.items()}
        if isinstance(args.get("stdp"), dict):
            args["stdp"] = _rule(f"{where}.stdp", args["stdp"])
        if isinstance(args.get("normalize"), dict):
            args["normalize"] = _params(f"{where}.normalize", _no_rule(args["normalize"]),
                                        nl.Normalization)
        net.connect(**args)
    run = _object("run", config.get("run", {}),
                  _api_args(simulate, skip=("net", "duration", "progress")))
    run["duration"] = config.get("duration", 1000.0)
    return net, run


RUN_FORMATS = ("neurolab-run-1", "neurolab-run-2")


def config_from_run(record: dict, where="run.json") -> dict:
    """The config that rebuilds the network and run recorded in a saved ``run.json``
    (``SimResult.save``; ``params.network`` is ``Network.to_dict()``).

    Raises ``ValueError`` listing everything the record lacks to rebuild the network:
    explicit spike times and explicit connectivity (recorded only as sha256), values that
    differ between neurons or synapses (recorded only as min/max/mean/sha256: e.g. initial
    weights drawn from ``("uniform", lo, hi)``), recorded subsets of synapses or neurons
    (only their count is kept).
    """
    try:
        net, opts = record["params"]["network"], record["params"]["run"]
        pops, projs = net["populations"], net["projections"]
    except (KeyError, TypeError):
        raise ValueError(f"{where}: not a run record of SimResult.save (it needs "
                         f"params.network and params.run)") from None
    missing = []

    def uniform(value, what):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        missing.append(f"{what} differ and are only summarised (min/max/mean/sha256)")
        return None

    sizes = {p["name"]: p["n"] for p in pops}
    populations = []
    for pop in pops:
        name, kind = pop["name"], pop["kind"]
        spec = {"name": name, "kind": kind, "n": pop["n"]}
        if kind == "lif":
            spec["params"] = pop["params"]
            spec["v_init"] = uniform(pop.get("v_init"), f"the v_init of population {name!r}")
            if pop.get("threshold") is not None:
                spec["threshold"] = dict(pop["threshold"], theta_init=uniform(
                    pop.get("theta_init"), f"the theta of population {name!r}"))
        elif kind in ("adex", "izhikevich"):
            params = {k: v for k, v in pop["params"].items() if k != "model"}
            for key, value in params.items():
                if value is not None and not isinstance(value, str):   # None: an option off
                    params[key] = uniform(value, f"the {key} of population {name!r}")
            spec["params"] = params
            spec["v_init"] = uniform(pop.get("v_init"), f"the v_init of population {name!r}")
            second = "w_init" if kind == "adex" else "u_init"
            spec[second] = uniform(pop.get(second), f"the {second} of population {name!r}")
        elif kind == "poisson":
            spec["rates"] = uniform(pop.get("rates_hz"), f"the rates of population {name!r}")
        elif kind == "spikes":
            missing.append(f"the {pop.get('n_spikes')} explicit spike times of population "
                           f"{name!r} are only recorded as a sha256")
        else:
            missing.append(f"population {name!r} has the unknown kind {kind!r}")
        populations.append(spec)
    for cur in net.get("currents") or []:
        name = cur["name"]
        if cur.get("times_ms") is not None or cur.get("n_targets") != sizes.get(cur["target"]):
            missing.append(f"current {name!r} changes in time or targets part of its "
                           f"population: its values are only summarised")
            continue
        populations.append({"name": name, "kind": "current", "target": cur["target"],
                            "amplitude": uniform(cur.get("values_mv"),
                                                 f"the amplitudes of current {name!r}")})
    for drive in net.get("drives") or []:
        missing.append(f"the PoissonInput {drive.get('name')!r} is not rebuilt from a "
                       f"record")
    projections, syn = [], {}
    for proj in projs:
        name = proj["name"]
        syn[name] = proj["n_syn"]
        spec = {"pre": proj["pre"], "post": proj["post"], "name": name, "rule": proj["rule"],
                "receptor": proj["receptor"], "autapses": proj["autapses"]}
        if proj["rule"] == "explicit":
            missing.append(f"the explicit connectivity of projection {name!r} is only "
                           f"recorded as a sha256")
        for key in ("p", "k"):
            if key in proj:
                spec[key] = proj[key]
        spec["weight"] = uniform(proj.get("weight_init"),
                                 f"the initial weights of projection {name!r}")
        spec["delay"] = uniform(proj.get("delay_ms"), f"the delays of projection {name!r}")
        if proj.get("stdp") is not None:
            spec["stdp"] = proj["stdp"]
        if proj.get("normalize") is not None:
            spec["normalize"] = proj["normalize"]
        projections.append(spec)
    run = {k: opts[k] for k in ("record_spikes", "weight_dt", "state_vars", "state_dt")
           if k in opts}
    for key, size in (("record_weights", syn), ("record_state", sizes)):
        chosen = {}
        for name, count in (opts.get(key) or {}).items():
            if count == size.get(name):
                chosen[name] = "all"
            else:
                missing.append(f"which {count} of the {size.get(name)} "
                               f"{'synapses' if key == 'record_weights' else 'neurons'} of "
                               f"{name!r} were recorded is not saved, only their count")
        if chosen:
            run[key] = chosen
    if missing:
        raise ValueError(f"cannot rebuild the run from {where}: " + "; ".join(missing))
    return {"dt": net["dt"], "seed": net["seed"], "duration": opts["duration"],
            "populations": populations, "projections": projections, "run": run}


def _same_network(net, recorded: dict) -> None:
    """``ValueError`` naming what differs when the rebuilt ``net`` is not the recorded one."""
    from .base.io import to_jsonable

    rebuilt = json.loads(json.dumps(to_jsonable(net.to_dict())))
    if rebuilt == recorded:
        return
    diffs = []
    for group in ("populations", "projections"):
        for a, b in zip(rebuilt.get(group, []), recorded.get(group, [])):
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            if keys:
                diffs.append(f"{group[:-1]} {b.get('name')!r}: {', '.join(keys)}")
    raise ValueError("the rebuilt network differs from the recorded one ("
                     + ("; ".join(diffs) or "dt, seed or the lists of populations/projections")
                     + ")")


def simulate_to_folder(config: dict, out, *, progress=None, expect_network=None) -> tuple:
    """Run the network described by ``config`` and write a run folder at ``out``:
    ``config.json``, the run (``run.json``, ``spikes.npz``, ``weights.npz``, ``state.npz``)
    and ``manifest.json`` (size and sha256 of each file, for ``neurolab verify
    --manifest``). With ``expect_network`` (a recorded ``Network.to_dict()``), the built
    network must equal it before anything runs (``ValueError`` otherwise). Returns
    (SimResult, folder)."""
    from .base.io import atomic_write_json, git_commit, versions

    net, run = build_network(config)
    if expect_network is not None:
        _same_network(net, expect_network)
    res = net.run(progress=progress, **run)
    out = Path(out)
    res.save(out, overwrite=True)           # the command replaces the run in its folder
    atomic_write_json(out / "config.json", config)
    provenance = {"producer": "neurolab simulate", "parameters": config,
                  "seed": net.seed, "versions": versions(), "git_commit": git_commit()}
    entries = []
    for name in sorted(("config.json", "run.json", *RUN_FILES)):
        entry = describe_artifact(out / name, root_rel=name)
        entries.append({**entry, **provenance})
    write_manifest(manifest={"artifacts": entries}, path=out / "manifest.json")
    return res, out


def _cmd_simulate(args) -> int:
    model = {k: getattr(args, k) for k in _MODEL_OPTIONS if getattr(args, k) is not None}
    run = {k: getattr(args, k) for k in _RUN_OPTIONS if getattr(args, k) is not None}
    expect = None
    if args.config:
        if model:
            _err(f"--{'/--'.join(k.replace('_', '-') for k in model)} only apply to the "
                 f"built-in model; edit the config file instead")
            return EXIT_USAGE
        try:
            config = json.loads(Path(args.config).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _err(f"--config {args.config}: {exc}")
            return EXIT_USAGE
        if not isinstance(config, dict):
            _err(f"--config {args.config}: expected a JSON object")
            return EXIT_USAGE
        if config.get("format") in RUN_FORMATS:         # a saved run's run.json
            try:
                recorded = config["params"]["network"]
                config = config_from_run(config, where=args.config)
            except (ValueError, KeyError, TypeError) as exc:
                beside = Path(args.config).with_name("config.json")
                hint = (f"; the config.json beside it, written by `neurolab simulate`, has "
                        f"them: --config {beside}" if beside.is_file() else "")
                _err(f"{exc}{hint}")
                return EXIT_USAGE
            if not {"seed", "dt"} & set(run):    # the same network must come out
                expect = recorded
        config.update(run)
    else:
        config = song_abbott_config(**model, **run)
    if args.print_config:
        print(json.dumps(config, indent=2, sort_keys=True))
        return EXIT_OK
    if args.out:
        out = Path(args.out)
    else:
        out = _root_in_use(args) / "data" / "raw" / "simulate"
    t0 = time.perf_counter()
    try:
        res, folder = simulate_to_folder(config, out, progress=None, expect_network=expect)
    except NonFiniteStateError as exc:     # the run failed; the request was fine
        _err(f"the simulation stopped: {exc}")
        return EXIT_FAILED
    except (ValueError, TypeError, KeyError) as exc:
        _err(f"bad configuration: {exc}")
        return EXIT_USAGE
    except MemoryError as exc:
        _err(f"the network does not fit in this machine's memory ({exc or 'MemoryError'}); "
             f"make the populations or projections smaller, or record less")
        return EXIT_FAILED
    print(f"simulated {res.t_end:g} ms in {time.perf_counter() - t0:.1f} s -> {folder}")
    for pop, rec in res.spikes.items():
        print(f"  {pop}: {len(rec)} spikes, mean rate {res.rates(pop).mean():.2f} Hz")
    for proj, w in res.final_weights.items():
        print(f"  {proj}: final weight mean {w.mean():.4g}, range [{w.min():.4g}, {w.max():.4g}]")
    problems = verify(manifest=folder / "manifest.json")
    print(format_report(problems, manifest=folder / "manifest.json"))
    return EXIT_FAILED if problems else EXIT_OK


# ----------------------------------------------------------------------------- export
def _cmd_export(args) -> int:
    from datetime import datetime

    from .results.records import load_run

    formats = [f for f in ("nwb", "sonata") if getattr(args, f)]
    if not formats:
        _err("say which format: --nwb (NWB 2) and/or --sonata (SONATA spikes)")
        return EXIT_USAGE
    if args.out and len(formats) > 1:
        _err("--out names one file: export one format at a time with --out")
        return EXIT_USAGE
    start = None
    if args.session_start is not None:
        try:
            start = datetime.fromisoformat(args.session_start)
        except ValueError as exc:
            _err(f"--session-start {args.session_start!r}: {exc}")
            return EXIT_USAGE
        if start.tzinfo is None:
            _err(f"--session-start {args.session_start!r}: give a time zone, e.g. "
                 f"2026-01-31T09:00:00+01:00")
            return EXIT_USAGE
    folder = Path(args.run)
    if not (folder / "run.json").is_file():
        _err(f"{folder}: not a run folder (no run.json); give a folder written by "
             f"SimResult.save, a notebook or `neurolab simulate`")
        return EXIT_USAGE
    try:
        res = load_run(folder)
    except (ValueError, KeyError, OSError) as exc:
        _err(f"{folder}: {exc}")
        return EXIT_FAILED
    name = folder.resolve().name
    for fmt in formats:
        out = Path(args.out) if args.out else Path(f"{name}.nwb" if fmt == "nwb"
                                                   else f"{name}.spikes.h5")
        try:
            if fmt == "nwb":
                res.to_nwb(out, session_start_time=start, overwrite=args.overwrite)
            else:
                res.to_sonata(out, overwrite=args.overwrite)
        except (FileExistsError, ImportError) as exc:
            _err(str(exc))
            return EXIT_USAGE
        print(f"{folder} -> {out} ({'NWB' if fmt == 'nwb' else 'SONATA spikes'})")
    return EXIT_OK


# ----------------------------------------------------------------------------- docs
def _cmd_docs(args) -> int:
    from .lab.docs import DocsFailed, build_docs

    root = _root_in_use(args)
    try:
        build_docs(args.notebooks or None, root=root, out=args.out, results=args.results)
    except DocsFailed as exc:
        _err(str(exc))
        return EXIT_FAILED
    except PipelineError as exc:
        _err(str(exc))
        return EXIT_USAGE
    return EXIT_OK


# ----------------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` for which every word that begins like a negative number is a
    value, not an option: ``-1e-3``, ``-2E+1``, ``-inf``, ``-nan``, and sweep values such
    as ``-1:1:3`` or ``-1e-3,2e-3``. argparse by itself only recognises ``-1`` and
    ``-.5``, and takes ``-1e-3`` for an unknown option ("expected 2 arguments"), so such
    a value never reached the parameter typing, which accepts or refuses it by name.

    argparse decides with its ``_negative_number_matcher``; this parser widens it (none
    of neurolab's options looks like a number, so no option is shadowed). Subparsers
    are made with the same class."""

    _NEGATIVE = re.compile(r"^-(?:\.?\d|inf|nan)", re.IGNORECASE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = self._NEGATIVE


def build_parser() -> argparse.ArgumentParser:
    root_help = ("repository folder (default: $NEUROLAB_ROOT, else the checkout the current "
                 "folder is in, else the one the package was installed from)")
    parser = _Parser(
        prog="neurolab", description="Run, regenerate and verify neurolab experiments.")
    parser.add_argument("--root", default=None, help=root_help)
    common = _Parser(add_help=False)     # --root also after the command
    common.add_argument("--root", default=argparse.SUPPRESS, help=root_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("reproduce", parents=[common],
                       help="run the notebooks with papermill, then verify",
                       description="Run every notebook in order with its default parameters "
                                   "(or one notebook with -p overrides), write data/raw/, "
                                   "results/ and the manifest, then verify.")
    p.add_argument("notebook", nargs="?", help="run only this notebook (e.g. 01_stdp_network)")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   help="set a parameter of the notebook (repeatable)")
    p.add_argument("--no-verify", action="store_true", help="skip the final verify")
    p.add_argument("--no-warmup", action="store_true",
                   help="do not fill numba's cache first (neurolab warmup); each notebook "
                        "then compiles what it needs")
    p.add_argument("--wait", action="store_true",
                   help="when another process runs one of these notebooks, wait for it to "
                        "end (default: refuse at once, exit status 75)")
    p.add_argument("--wait-timeout", type=float, default=None, metavar="SECONDS",
                   help="wait at most this long (implies --wait; default: no limit)")
    p.set_defaults(func=_cmd_reproduce)

    p = sub.add_parser("sweep", parents=[common],
                       help="run a notebook over a grid of parameters on Dask",
                       description="Run NOTEBOOK at every point of a grid of parameter "
                                   "values, each point through the same runner as "
                                   "reproduce, into data/raw/sweeps/SWEEP/POINT/, with a "
                                   "sweep manifest and a summary table and figure in "
                                   "results/sweeps/SWEEP/. Running the same command again "
                                   "resumes: points whose artifacts verify are skipped.")
    p.add_argument("notebook", help="the notebook (e.g. 03_song_abbott)")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("KEY", "VALUES"),
                   help="a swept parameter: a list a,b,c; a range start:stop:count "
                        "(count values, both ends included); for integers start:stop "
                        "(start ... stop-1); or one value (repeatable: the grid is the "
                        "product)")
    p.add_argument("--zip", action="store_true",
                   help="pair the keys' values in order instead of taking their product "
                        "(a key given one value keeps it at every point)")
    p.add_argument("--scheduler", default="local",
                   help="'local' (default: a LocalCluster, one worker process per core, "
                        "one thread each), a scheduler address tcp://host:8786, or a "
                        "scheduler file (dask scheduler --scheduler-file FILE)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of the local cluster (default: one per core)")
    p.add_argument("--id", default=None,
                   help="the sweep's folder name (default: NOTEBOOK-HASH of the notebook's "
                        "code and the grid)")
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="seconds one cell may run (default 1800)")
    p.add_argument("--wait", action="store_true",
                   help="when another command runs this sweep, wait for it")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-warmup", action="store_true",
                   help="do not fill numba's cache first (neurolab warmup)")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("verify", parents=[common],
                       help="check every artifact listed in the manifest")
    p.add_argument("--manifest", default=None,
                   help="another manifest (e.g. a run folder's manifest.json)")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("list", parents=[common], help="list the notebooks and their parameters")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("simulate", parents=[common], help="run one simulation without notebooks",
                       description="Run one network and write a run folder. Without "
                                   "--config: Song, Miller & Abbott (2000), Poisson inputs "
                                   "onto conductance LIF neurons with additive all-to-all STDP.")
    p.add_argument("--config", help="JSON file describing the network (see --print-config), "
                                     "or a saved run's run.json to run it again")
    p.add_argument("--out", help="run folder (default: data/raw/simulate under the root)")
    p.add_argument("--print-config", action="store_true",
                   help="print the effective config as JSON and exit")
    p.add_argument("--duration", type=float, help="ms (default 1000)")
    p.add_argument("--dt", type=float, help="ms (default 0.1)")
    p.add_argument("--seed", type=int, help="default 0")
    p.add_argument("--n-inputs", type=int, help="Poisson inputs (default 1000)")
    p.add_argument("--rate", type=float, help="input rate, Hz (default 15)")
    p.add_argument("--n-neurons", type=int, help="output neurons (default 1)")
    p.add_argument("--w-max", type=float, help="maximal weight, relative to leak (default 0.01)")
    p.add_argument("--A-plus", dest="A_plus", type=float,
                   help="potentiation per pair, in units of w_max (default 0.01)")
    p.add_argument("--ratio", type=float, help="A_minus / A_plus (default 1.05)")
    p.add_argument("--tau-plus", type=float, help="ms (default 20)")
    p.add_argument("--tau-minus", type=float, help="ms (default 20)")
    p.add_argument("--weight-dt", type=float, help="weight sampling period, ms (default 10)")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("export", parents=[common], help="write a saved run as NWB or SONATA",
                       description="Write a saved run folder (run.json + npz files) as an NWB "
                                   "2 file (--nwb) or a SONATA spike file (--sonata). These "
                                   "are derived exports: the run folder stays the verified "
                                   "artifact. Needs the export extra: pip install "
                                   "'neurolab[export]'.")
    p.add_argument("run", metavar="RUN_FOLDER", help="a folder holding run.json")
    p.add_argument("--nwb", action="store_true", help="write NWB (default file: ./RUN.nwb)")
    p.add_argument("--sonata", action="store_true",
                   help="write SONATA spikes (default file: ./RUN.spikes.h5)")
    p.add_argument("--out", default=None, help="the file to write (one format at a time)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.add_argument("--session-start", default=None, metavar="ISO_TIME",
                   help="NWB session_start_time, tz-aware ISO 8601 (default: the Unix epoch "
                        "in UTC, standing for network time 0; a run records no wall clock)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("warmup", help="compile the simulator's kernels ahead of time",
                       description="Compile every kernel the notebooks, lessons and threaded "
                                   "runs use into numba's on-disk cache (NUMBA_CACHE_DIR, "
                                   "else __pycache__ beside the package, else a per-user "
                                   "folder), so that no run waits for the compiler. A "
                                   "second call returns at once. Safe when several "
                                   "processes warm up at the same time.")
    p.add_argument("--kernel", action="append", default=None, metavar="NAME",
                   help="only this kernel (repeatable; see --list)")
    p.add_argument("--list", action="store_true", help="list the kernels and what uses them")
    p.add_argument("--force", action="store_true",
                   help="run every kernel even when the cache says it holds them")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_warmup)

    p = sub.add_parser("docs", parents=[common],
                       help="build the course and documentation website",
                       description="Build the website (Sphinx + myst-nb, warnings are "
                                   "errors) from the executed notebooks that `neurolab "
                                   "reproduce` wrote to results/notebooks/; no notebook is "
                                   "run. Open docs/_build/html/index.html. Needs the docs "
                                   "extra: pip install 'neurolab[docs]'.")
    p.add_argument("notebooks", nargs="*", metavar="NAME",
                   help="only these notebooks (default: every notebook and lesson)")
    p.add_argument("--out", default=None,
                   help="build folder (default: docs/_build; pages in OUT/html)")
    p.add_argument("--results", default=None,
                   help="the results folder holding notebooks/NAME.ipynb (default: "
                        "results/ under the root)")
    p.set_defaults(func=_cmd_docs)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``neurolab`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:           # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.root is not None:
        root = Path(args.root).resolve()
        if not paths.is_root(root):
            _err(f"--root {args.root}: not a neurolab repository (needs pyproject.toml "
                 f"and notebooks/)")
            return EXIT_USAGE
        args.root = root
    try:
        return args.func(args)
    except FileNotFoundError as exc:        # e.g. no repository root found
        _err(str(exc))
        return EXIT_USAGE
    except ImportError as exc:              # an extra not installed: the message names it
        if "pip install" not in str(exc):
            raise
        _err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted; artifacts of completed notebooks are in place")
        return 130


if __name__ == "__main__":
    sys.exit(main())
