"""The IDX file format of MNIST (LeCun et al.), read with numpy only.

An IDX file is a big-endian header followed by the array's bytes in C order:

====================  ======================================================
bytes 0-1             zero
byte 2                element type: 0x08 uint8, 0x09 int8, 0x0B int16,
                      0x0C int32, 0x0D float32, 0x0E float64
byte 3                number of dimensions ``ndim``
4 bytes per dim       each dimension's size, unsigned 32-bit big-endian
rest                  ``prod(shape)`` elements of that type, big-endian
====================  ======================================================

The first four bytes read as one big-endian integer are the file's *magic number*: MNIST's
image files have 2051 (``0x00000803``: uint8, 3 dimensions), its label files 2049
(``0x00000801``: uint8, 1 dimension). A file whose name ends in ``.gz`` is decompressed
first.

Every problem with a file (bad magic, a header that promises more bytes than the file
holds, trailing bytes, a damaged gzip stream) raises :class:`DatasetError` naming the file
and what was expected.

Room: ``neurolab.datasets``. May import: numpy and the standard library only.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

#: IDX element type code -> (numpy dtype, name used in messages)
IDX_TYPES = {
    0x08: (np.dtype(">u1"), "unsigned byte"),
    0x09: (np.dtype(">i1"), "signed byte"),
    0x0B: (np.dtype(">i2"), "16-bit integer"),
    0x0C: (np.dtype(">i4"), "32-bit integer"),
    0x0D: (np.dtype(">f4"), "32-bit float"),
    0x0E: (np.dtype(">f8"), "64-bit float"),
}


class DatasetError(ValueError):
    """A data file exists but is not what it should be: a damaged or truncated file, a bad
    IDX header, wrong array shapes, dtypes or label counts, or a checksum that differs
    from the published one. The message names the file (or source) and what was
    expected."""


def read_file_bytes(path) -> bytes:
    """The bytes of ``path``, gunzipped when its name ends in ``.gz``; a damaged or
    truncated gzip stream raises :class:`DatasetError` naming the file."""
    path = Path(path)
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise DatasetError(f"{path}: not a valid gzip file ({err}); delete it and "
                               f"fetch it again") from None
    return data


def parse_idx(data: bytes, source: str = "IDX data", magic: int | None = None) -> np.ndarray:
    """Parse the bytes of an IDX file into a native-endian numpy array.

    Parameters
    ----------
    data : the whole (decompressed) file.
    source : what to call it in messages (usually the file's path).
    magic : the magic number the file must have (e.g. 2051 for MNIST images), or None to
        accept any valid header.

    Returns
    -------
    numpy.ndarray of the header's shape and element type (native byte order; uint8 for
    MNIST).

    Raises
    ------
    DatasetError
        The header is shorter than 4 bytes or than its dimensions need, its first two bytes
        are not zero, its type code is unknown, its magic number is not ``magic``, or the
        file holds fewer or more data bytes than the header's shape needs.
    """
    if len(data) < 4:
        raise DatasetError(f"{source}: {len(data)} bytes, too short for an IDX header "
                           f"(4 bytes of magic number, then the dimensions)")
    (found,) = struct.unpack(">I", data[:4])
    if magic is not None and found != magic:
        raise DatasetError(f"{source}: magic number {found} (0x{found:08X}), expected "
                           f"{magic} (0x{magic:08X}: {_describe_magic(magic)}); this is not "
                           f"the IDX file it should be")
    zero, code, ndim = found >> 16, (found >> 8) & 0xFF, found & 0xFF
    if zero != 0 or code not in IDX_TYPES:
        raise DatasetError(f"{source}: magic number {found} (0x{found:08X}) is not an IDX "
                           f"header (expected 0x0000TTDD with type TT in "
                           f"{sorted(hex(c) for c in IDX_TYPES)})")
    head = 4 + 4 * ndim
    if len(data) < head:
        raise DatasetError(f"{source}: truncated header: {ndim} dimensions need {head} "
                           f"header bytes, the file has {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:head])
    dtype = IDX_TYPES[code][0]
    need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    have = len(data) - head
    if have < need:
        raise DatasetError(f"{source}: truncated: the header promises shape {shape} "
                           f"({need} data bytes), the file holds {have} data bytes")
    if have > need:
        raise DatasetError(f"{source}: {have - need} unexpected bytes after the {need} data "
                           f"bytes of shape {shape}")
    arr = np.frombuffer(data, dtype=dtype, count=need // dtype.itemsize, offset=head)
    return arr.reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path, magic: int | None = None) -> np.ndarray:
    """Read the IDX file ``path`` (gzipped when its name ends in ``.gz``).

    Same checks and result as :func:`parse_idx`; messages name ``path``.
    """
    return parse_idx(read_file_bytes(path), str(path), magic)


def idx_bytes(arr: np.ndarray) -> bytes:
    """The IDX file of a uint8 array (header + bytes): what MNIST's files hold for it.
    Used to compare arrays with the published sha256 of the original files."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype != np.uint8:
        raise TypeError(f"idx_bytes writes uint8 arrays only, got dtype {arr.dtype}")
    header = struct.pack(">I", 0x0800 | arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.tobytes()


def _describe_magic(magic: int) -> str:
    code, ndim = (magic >> 8) & 0xFF, magic & 0xFF
    kind = IDX_TYPES[code][1] if code in IDX_TYPES else f"unknown type 0x{code:02X}"
    return f"{kind}, {ndim} dimension{'s' if ndim != 1 else ''}"
