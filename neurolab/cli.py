"""The ``neurolab`` command.

::

    neurolab reproduce                      run every notebook (default parameters), then verify
    neurolab reproduce NAME -p KEY VALUE    run one notebook with other parameters
    neurolab verify [--manifest FILE]       re-check every artifact in the manifest
    neurolab list                           the notebooks, in run order, with their parameters
    neurolab simulate [--config FILE] ...   one simulation without notebooks -> a run folder

Exit status: 0 when everything held; 1 when a notebook failed or ``verify`` found a
problem; 2 for a refused request (unknown notebook or parameter, bad option).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import paths, pipeline

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _err(msg: str) -> None:
    print(f"neurolab: error: {msg}", file=sys.stderr)


# ----------------------------------------------------------------------------- reproduce
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
    names = [args.notebook] if args.notebook else None
    try:
        problems = pipeline.reproduce(names, params or None, root=args.root,
                                      run_verify=not args.no_verify, log=print)
    except pipeline.NotebookFailed as exc:
        _err(str(exc))
        print("previous artifacts were left in place", file=sys.stderr)
        return EXIT_FAILED
    except pipeline.PipelineError as exc:
        _err(str(exc))
        return EXIT_USAGE
    return EXIT_FAILED if problems else EXIT_OK


# ----------------------------------------------------------------------------- verify
def _cmd_verify(args) -> int:
    try:
        problems = pipeline.verify(root=args.root, manifest=args.manifest)
        print(pipeline.format_report(problems, root=args.root, manifest=args.manifest))
    except pipeline.PipelineError as exc:
        _err(str(exc))
        return EXIT_USAGE
    return EXIT_FAILED if problems else EXIT_OK


# ----------------------------------------------------------------------------- list
def _cmd_list(args) -> int:
    try:
        notebooks = pipeline.list_notebooks(args.root)
        for k, nb in enumerate(notebooks, start=1):
            print(f"{k}. {nb.stem}")
            for name, default in pipeline.notebook_parameters(nb).items():
                print(f"     {name} = {default!r}")
    except pipeline.PipelineError as exc:
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


def build_network(config: dict):
    """A ``Network`` and the keyword arguments of ``Network.run`` from a config dict.

    Config keys: ``dt``, ``seed``, ``duration`` (ms); ``populations``: list of
    ``{"name", "kind": "poisson"|"spikes"|"lif", ...}`` whose other keys are the
    arguments of ``Network.add_<kind>`` (``params`` a dict of ``LIFParams`` fields);
    ``projections``: list of ``{"pre", "post", ...}`` with the other arguments of
    ``Network.connect`` (``stdp`` a dict of ``STDPParams`` fields, ``weight`` a number,
    a list, or ``["uniform", lo, hi]``); ``run``: other arguments of ``Network.run``.
    """
    import neurolab as nl

    known = {"dt", "seed", "duration", "populations", "projections", "run"}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ValueError(f"config: unknown keys {unknown}; allowed: {sorted(known)}")
    net = nl.Network(dt=config.get("dt", 0.1), seed=config.get("seed", 0))
    for spec in config.get("populations", []):
        spec = dict(spec)
        kind = spec.pop("kind", None)
        if kind not in ("poisson", "spikes", "lif"):
            raise ValueError(f"config: population kind={kind!r}; allowed: 'poisson', "
                             f"'spikes', 'lif'")
        if kind == "lif" and isinstance(spec.get("params"), dict):
            spec["params"] = nl.LIFParams(**spec["params"])
        getattr(net, f"add_{kind}")(**spec)
    for spec in config.get("projections", []):
        spec = dict(spec)
        if isinstance(spec.get("stdp"), dict):
            spec["stdp"] = nl.STDPParams(**spec["stdp"])
        if isinstance(spec.get("weight"), list) and spec["weight"][:1] == ["uniform"]:
            spec["weight"] = tuple(spec["weight"])
        net.connect(spec.pop("pre"), spec.pop("post"), **spec)
    run = dict(config.get("run", {}))
    run["duration"] = float(config.get("duration", 1000.0))
    return net, run


def simulate_to_folder(config: dict, out, *, progress=None) -> tuple:
    """Run the network described by ``config`` and write a run folder at ``out``:
    ``config.json``, the run (``run.json``, ``spikes.npz``, ``weights.npz``, ``state.npz``)
    and ``manifest.json`` (size and sha256 of each file, for ``neurolab verify
    --manifest``). Returns (SimResult, folder)."""
    from .io import atomic_write_json, git_commit, versions

    net, run = build_network(config)
    res = net.run(progress=progress, **run)
    out = Path(out)
    res.save(out)
    atomic_write_json(out / "config.json", config)
    provenance = {"producer": "neurolab simulate", "parameters": config,
                  "seed": net.seed, "versions": versions(), "git_commit": git_commit()}
    entries = []
    for name in sorted(("config.json", "run.json", *pipeline.RUN_FILES)):
        entry = pipeline.describe_artifact(out / name, root_rel=name)
        entries.append({**entry, **provenance})
    pipeline.write_manifest(manifest={"artifacts": entries}, path=out / "manifest.json")
    return res, out


def _cmd_simulate(args) -> int:
    model = {k: getattr(args, k) for k in _MODEL_OPTIONS if getattr(args, k) is not None}
    run = {k: getattr(args, k) for k in _RUN_OPTIONS if getattr(args, k) is not None}
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
        config.update(run)
    else:
        config = song_abbott_config(**model, **run)
    if args.print_config:
        print(json.dumps(config, indent=2, sort_keys=True))
        return EXIT_OK
    if args.out:
        out = Path(args.out)
    elif args.root is not None:
        out = args.root / "data" / "raw" / "simulate"
    else:
        out = paths.raw_dir("simulate")
    t0 = time.perf_counter()
    try:
        res, folder = simulate_to_folder(config, out, progress=None)
    except (ValueError, TypeError, KeyError) as exc:
        _err(f"bad configuration: {exc}")
        return EXIT_USAGE
    print(f"simulated {res.t_end:g} ms in {time.perf_counter() - t0:.1f} s -> {folder}")
    for pop, rec in res.spikes.items():
        print(f"  {pop}: {len(rec)} spikes, mean rate {res.rates(pop).mean():.2f} Hz")
    for proj, w in res.final_weights.items():
        print(f"  {proj}: final weight mean {w.mean():.4g}, range [{w.min():.4g}, {w.max():.4g}]")
    problems = pipeline.verify(manifest=folder / "manifest.json")
    print(pipeline.format_report(problems, manifest=folder / "manifest.json"))
    return EXIT_FAILED if problems else EXIT_OK


# ----------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    root_help = ("repository folder (default: $NEUROLAB_ROOT, else found from the package "
                 "or the current folder)")
    parser = argparse.ArgumentParser(
        prog="neurolab", description="Run, regenerate and verify neurolab experiments.")
    parser.add_argument("--root", default=None, help=root_help)
    common = argparse.ArgumentParser(add_help=False)     # --root also after the command
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
    p.set_defaults(func=_cmd_reproduce)

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
    p.add_argument("--config", help="JSON file describing the network (see --print-config)")
    p.add_argument("--out", help="run folder (default: data/raw/simulate)")
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
    except KeyboardInterrupt:
        _err("interrupted; artifacts of completed notebooks are in place")
        return 130


if __name__ == "__main__":
    sys.exit(main())
