"""The reproducible pipeline: run the notebooks with papermill, record and verify artifacts.

Layout (all relative to the repository root, see ``neurolab.base.paths``)::

    notebooks/NAME.ipynb             the committed notebooks, run in name order (never written)
    results/notebooks/NAME.ipynb     executed copies
    results/*.png                    figures
    data/raw/NAME/...                raw data of each notebook
    data/raw/runs/NAME/ID/...        a run with other parameters than the defaults: the same
                                     data/ and results/ tree in a folder of its own (ID: a
                                     hash of the differing values, see ``run_target``)
    data/raw/sweeps/SWEEP/...        `neurolab sweep` (see ``neurolab.lab.sweep``)
    data/raw/manifest.json           every artifact: path, size, sha256, producer, provenance
    data/raw/.locks/                 lock files (see "Concurrent runs")
    data/raw/.staging/NAME/run-*/    where one run of a notebook writes before installing

A notebook runs into a staging folder of its own (its kernel sees ``NEUROLAB_DATA_DIR``
and ``NEUROLAB_RESULTS_DIR`` pointing there), unique to that run. Only when every cell has
run are its files moved into place (one atomic rename each) and the manifest rewritten
(atomically), so a failing notebook leaves the previous good artifacts and manifest
untouched.

Only the default run of a notebook (every parameter at its default) writes the canonical
paths (``data/raw/NAME/``, the figures in ``results/`` the README shows); ``reproduce NAME
-p KEY VALUE`` with a value that differs installs into ``data/raw/runs/NAME/ID/``, listed
in the manifest with its parameters (entries with ``run`` = ``NAME@ID``).

Concurrent runs. A run of notebook NAME holds the lock ``data/raw/.locks/NAME.lock`` from
its start to its end (a run of every notebook holds all of them, taken in name order; a
run with other parameters holds ``NAME@ID.lock``, the key of its own folder), so
a second run that would write the same artifacts is refused at once, naming the process
that holds the lock and since when (``PipelineBusy``), or waits for it when asked to
(``wait``). The locks are per notebook, not per repository: runs of different notebooks
write different files and may overlap; what they share, the manifest, is read, modified
and written under a second lock (``manifest.lock``), which ``verify`` also takes while it
checks. The locks are OS file locks (``filelock``): the operating system releases them
when their process dies, ``kill -9`` included, so a crashed run never blocks the next one.

The manifest also keeps, per notebook, the paths its last complete run installed
(``"notebooks": {NAME: {"paths": [...], ...}}``), so ``verify`` tells an artifact that
vanished from the list (an entry of a notebook run that is no longer listed) from one
that was never made.

``verify`` re-reads every artifact the manifest lists: present, size and sha256 as
recorded; ``.npz`` arrays with the recorded keys, dtypes and shapes, finite, and inside the
ranges the run implies (spike times inside the run, neuron ids inside the population,
plastic weights inside [w_min, w_max]); PNG files decodable; JSON and notebooks parseable.
A manifest path must be relative and stay inside the manifest's base folder: absolute
paths, ``..`` parts and symlinks that lead outside are reported, never opened; a malformed
entry is reported by name without hiding the others. ``stray_files`` lists the files
under ``data/raw/`` and ``results/`` that the manifest does not know (a warning, not a
failure). The pipeline replaces and deletes files only under ``data/`` and ``results/``.

Modules: ``notebooks`` (discovery, parameters), ``runner`` (papermill, staging, locks,
``reproduce``), ``manifest``, ``verify``, ``sweep`` and ``sweep_records`` (``neurolab
sweep`` on Dask), ``marks`` (``mark_result``), ``locks``, ``errors``.

Room: ``neurolab.lab``. May import: ``neurolab.base`` and ``neurolab.plotting``; papermill,
nbclient, Dask and bokeh are imported where used, never by ``import neurolab``.
"""
