"""A run's spikes as a SONATA spike file (the HDF5 spike format of BMTK, NEST's SONATA
support and the Allen Institute's models).

Layout, for every population whose spikes were recorded (also one whose recorded neurons
did not fire: empty datasets)::

    /                         attributes magic = 0x0A7A, version = [0, 1]
    /spikes/<population>      attribute sorting = "by_time"
        timestamps            float64 (n_spikes,), spike times in ms of network time,
                              attribute units = "ms"
        node_ids              uint64 (n_spikes,), the neuron's local index in its population

Spikes are in neurolab's order, by time then by node id, hence ``sorting = "by_time"``.
Node ids are population-local, as SONATA's are. Times are the run's values unchanged.

Room: ``neurolab.results``. May import: numpy and ``neurolab.base``; h5py (the ``export``
extra) inside functions only.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["write_sonata_spikes", "SONATA_MAGIC"]

#: the magic number SONATA files carry in their root attribute ``magic``
SONATA_MAGIC = 0x0A7A


def write_sonata_spikes(res, path, *, overwrite: bool = False) -> Path:
    """Write the recorded spikes of ``res`` (a :class:`~neurolab.SimResult`) to the SONATA
    spike file ``path`` (layout in :mod:`neurolab.results.sonata`); written to a
    temporary name in the same folder, then renamed into place. Returns the path.

    Raises ``ImportError`` without h5py (``pip install 'neurolab[export]'``),
    ``FileExistsError`` when ``path`` exists and ``overwrite`` is False, ``TypeError`` for
    an ``overwrite`` that is not a bool.
    """
    if not isinstance(overwrite, (bool, np.bool_)):
        raise TypeError(f"overwrite must be True or False, got {overwrite!r}")
    try:
        import h5py
    except ImportError as err:
        raise ImportError("SimResult.to_sonata() needs h5py, which is not installed: pip "
                          "install 'neurolab[export]' (or pip install h5py)") from err
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; to_sonata(..., overwrite=True) replaces it")
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.h5")
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["magic"] = np.uint32(SONATA_MAGIC)
            f.attrs["version"] = np.array([0, 1], dtype=np.uint32)
            spikes = f.create_group("spikes")
            for pop, rec in res.spikes.items():
                grp = spikes.create_group(pop)
                grp.attrs["sorting"] = "by_time"
                big = len(rec) >= 4096
                opts = {"compression": "gzip", "chunks": True} if big else {}
                ts = grp.create_dataset("timestamps",
                                        data=np.asarray(rec.t, dtype=np.float64), **opts)
                ts.attrs["units"] = "ms"
                grp.create_dataset("node_ids", data=np.asarray(rec.i, dtype=np.uint64),
                                   **opts)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
