"""Compile every simulator kernel ahead of time: ``neurolab warmup`` / ``neurolab.warmup()``.

numba compiles the step loop once per combination of the optional rule families a network
uses (:mod:`neurolab.engine.compile`); each compile takes seconds and is then kept in
numba's on-disk cache for every later process. :func:`warmup` fills that cache with every
combination the repository's notebooks, lessons and threaded runs use (:data:`KERNELS`),
by running a network of a few neurons per combination for two steps, so that no student
waits for the compiler in class and no Dask worker compiles on a fresh machine.

It is idempotent: once every kernel is in the cache (checked against the cache's index in
well under a second) it returns without running anything. Two processes warming up at
once are safe: compiles run under an inter-process file lock in the cache folder (numba's
cache index is not safe against concurrent writers). The cache folder is numba's choice:
``NUMBA_CACHE_DIR`` when set, else ``__pycache__`` beside the sources, else (a read-only
install) a per-user folder; :func:`warmup` reports which one it filled, and says so
clearly when none is writable (the kernels then compile in every new process).

Room: ``neurolab.lab``. May import: tqdm, numba, ``neurolab.papers``, ``neurolab.model``,
``neurolab.engine``, ``neurolab.plasticity`` and ``neurolab.base``.
"""

from __future__ import annotations

import json
import os
import time

#: the kernels warmed up: name -> (what uses it, the optional families of its network)
#: (``pv``: a pair-rule variant; ``triplet``, ``vogels``, ``reward``: those rules;
#: ``homeostasis``: an adaptive threshold or weight normalisation; ``clopath``, ``adex``:
#: Clopath's rule onto AdEx neurons; ``threads``: the
#: threaded kernel). Each entry is one specialisation of the step loop.
KERNELS = {
    "default": ("the pair rule and static synapses (every notebook and lesson)", ()),
    "pair-variants": ("pre-centred or restricted pairing, power-law weights, same-step orders",
                      ("pv",)),
    "triplet": ("Pfister & Gerstner's triplet rule (04, 08)", ("triplet",)),
    "vogels": ("Vogels et al.'s inhibitory rule (04, 09)", ("vogels",)),
    "reward": ("reward-modulated STDP (04, 10)", ("reward",)),
    "homeostasis": ("adaptive threshold, weight normalisation (04)", ("homeostasis",)),
    "diehl-cook": ("triplet rule with homeostasis (07)", ("triplet", "homeostasis")),
    "clopath-adex": ("Clopath's voltage rule onto AdEx neurons (11)", ("clopath", "adex")),
    "threads": ("the threaded kernel (net.run(..., threads=2))", ("threads",)),
    "diehl-cook-mnist": ("Diehl & Cook's presentation loop, papers.diehl_cook (07)",
                         ("papers.diehl_cook",)),
}

_STAMP = "neurolab-warmup.json"


def _network(families):
    """A network of a few neurons whose kernel is the specialisation for ``families``."""
    from ..model.network import Network
    from ..model.neuron_models import AdExParams
    from ..model.params import LIFParams, STDPParams
    from ..plasticity import (AdaptiveThreshold, ClopathSTDP, Normalization, RewardSTDP,
                              TripletSTDP, VogelsSTDP)

    net = Network(dt=0.1, seed=0)
    inp = net.add_spikes("inp", 2, times=[0.0, 0.1], indices=[0, 1])
    threshold = AdaptiveThreshold() if "homeostasis" in families else None
    out = net.add_lif("out", 2, LIFParams(synapse="conductance"), threshold=threshold)
    pairing = "presynaptic_centred" if "pv" in families else "all_to_all"
    norm = Normalization(target=1.0, every=1.0) if "homeostasis" in families else None
    net.connect(inp, out, weight=0.5, stdp=STDPParams(pairing=pairing), normalize=norm)
    if "triplet" in families:
        net.connect(inp, out, weight=0.5, stdp=TripletSTDP(), name="triplet")
    if "vogels" in families:
        net.connect(inp, out, weight=0.5, stdp=VogelsSTDP(), receptor="inh", name="vogels")
    if "reward" in families:
        net.add_spikes("reward", 1, times=[0.1], indices=[0])
        net.connect(inp, out, weight=0.5, stdp=RewardSTDP(reward="reward"),
                    name="rewarded")
    if "adex" in families:
        adex = net.add_adex("adex", 2, AdExParams(V_peak=33.0, t_clamp=2.0))
        net.connect(inp, adex, weight=0.5, stdp=ClopathSTDP() if "clopath" in families
                    else None, name="onto_adex")
    return net


def _diehl_cook():
    """Two tiny digits through :class:`neurolab.papers.diehl_cook.DiehlCook`, learning and
    frozen: its own presentation loop (compiled or loaded)."""
    import numpy as np

    from ..papers.diehl_cook import DiehlCook, DiehlCookParams

    net = DiehlCook(2, DiehlCookParams(presentation=1.0, rest=0.5, delay_max=0.0,
                                       max_repeats=0), n_input=4, seed=0)
    images = np.full((2, 4), 255, dtype=np.uint8)
    net.train(images)
    net.respond(images)


def _run(families):
    """Run the network of ``families`` for two steps (compiling or loading its kernel)."""
    import warnings

    if "papers.diehl_cook" in families:
        from ..engine.compile import compile_lock

        with compile_lock():
            _diehl_cook()
        return

    net = _network(families)
    threads = 2 if "threads" in families else 1
    from ..engine.compile import quietly

    with warnings.catch_warnings(), quietly():
        warnings.simplefilter("ignore")     # e.g. "threads=2: ... runs on one thread"
        net.run(2 * net.dt, progress=False, threads=threads)


def _dispatchers():
    from ..engine import kernels, parallel
    from ..papers import diehl_cook

    return {"run_steps": kernels.run_steps, "run_steps_threads": parallel.run_steps_threads,
            "_run_digits": diehl_cook._run_digits}


def _cached_signatures() -> dict:
    """``{kernel function: set of str(signature)}`` in numba's cache index, for these
    sources and this machine (empty sets when it cannot be read)."""
    out = {}
    for name, disp in _dispatchers().items():
        try:
            index = disp._cache._cache_file._load_index()
            magic = disp.targetctx.codegen().magic_tuple()
            out[name] = {str(key[0]) for key in index if key[1] == magic}
        except Exception:                   # numba's private layout changed
            out[name] = set()
    return out


def _names(kernels):
    """The kernel names asked for, checked; the threaded kernel only where numba may use
    two threads."""
    import numba

    names = list(KERNELS) if kernels is None else [str(k) for k in kernels]
    unknown = [k for k in names if k not in KERNELS]
    if unknown:
        raise ValueError(f"kernels: unknown name(s) {unknown}; known: {', '.join(KERNELS)}")
    if numba.config.NUMBA_NUM_THREADS < 2:
        names = [k for k in names if "threads" not in KERNELS[k][1]]
    return names


def _stamp_path():
    from ..engine import kernels
    from ..engine.compile import cache_folder

    folder = cache_folder(kernels.run_steps)
    return None if folder is None else os.path.join(folder, _STAMP)


def is_warm(kernels=None) -> bool:
    """Whether an earlier warm-up recorded every kernel of ``kernels`` (default: all of
    :data:`KERNELS` this machine can use) and numba's cache still holds each of them.
    Reads two small files; runs nothing."""
    names = _names(kernels)
    path = _stamp_path()
    try:
        with open(path, encoding="utf-8") as fh:
            stamp = json.load(fh)
    except (OSError, TypeError, ValueError):
        return False
    kernels = stamp.get("kernels", {})
    if not all(name in kernels for name in names):
        return False
    cached = _cached_signatures()
    return all(sig in cached.get(fn, ()) for name in names for fn, sig in [kernels[name]])


def _record(signatures):
    """Write the stamp of a complete warm-up (atomically) beside numba's cache."""
    path = _stamp_path()
    if path is None:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"kernels": signatures}, fh, indent=1)
        os.replace(tmp, path)
    except OSError:
        pass


def warmup(kernels=None, *, progress: bool = True, force: bool = False) -> dict:
    """Compile the simulator's kernels into numba's on-disk cache, ahead of any run.

    Parameters
    ----------
    kernels : iterable of str, optional
        names from :data:`KERNELS` (default: all of them, the set the repository's
        notebooks, lessons and threaded runs use).
    progress : bool
        show a progress bar (tqdm) with the kernel being compiled.
    force : bool
        run every kernel even when the cache says they are all there.

    Returns
    -------
    dict
        ``{"cache": folder or None, "compiled": [names run], "seconds": wall time,
        "warm": bool}``; ``warm`` is True when nothing had to run (an earlier warm-up
        filled the cache).

    Raises
    ------
    ValueError
        an unknown kernel name (the message lists the known ones).
    TimeoutError
        another process held the compile lock for longer than
        :data:`neurolab.engine.compile.LOCK_TIMEOUT` seconds.

    Notes
    -----
    Threads: the ``threads`` kernel is compiled only when numba may use two threads here
    (``NUMBA_NUM_THREADS`` >= 2); with one core it is left out.
    """
    from ..engine import compile as _compile
    from ..engine.compile import _writable, cache_folder

    names = _names(kernels)
    from ..engine import kernels

    folder = cache_folder(kernels.run_steps)
    writable = folder is not None and _writable(folder)
    t0 = time.perf_counter()
    if writable and not force and is_warm(names):
        return {"cache": folder, "compiled": [], "seconds": time.perf_counter() - t0,
                "warm": True}
    from tqdm.auto import tqdm

    signatures = {}
    with tqdm(names, desc="neurolab warmup", unit="kernel", disable=not progress,
              leave=True) as bar:
        for name in bar:
            bar.set_postfix_str(name)
            n_used = len(_compile.used)
            _run(KERNELS[name][1])
            if len(_compile.used) > n_used:  # the kernel it compiled or loaded
                signatures[name] = list(_compile.used[n_used])
            elif "papers.diehl_cook" in KERNELS[name][1]:
                from ..papers.diehl_cook import _run_digits

                signatures[name] = ["_run_digits", str(_run_digits.signatures[0])]
    if writable:
        old = {}
        try:
            with open(_stamp_path(), encoding="utf-8") as fh:
                old = json.load(fh).get("kernels", {})
        except (OSError, TypeError, ValueError):
            pass
        _record({**old, **signatures})
    return {"cache": folder if writable else None, "compiled": names,
            "seconds": time.perf_counter() - t0, "warm": False}

