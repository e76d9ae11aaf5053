"""The IDX reader (neurolab.datasets.idx) on files these tests write byte by byte with
``struct``: values, shapes and types come back as written; a bad magic number, a truncated
header or body, trailing bytes and a damaged gzip stream raise DatasetError naming the file
and what was expected."""

from __future__ import annotations

import gzip
import re
import struct

import numpy as np
import pytest

from neurolab.datasets import DatasetError, read_idx
from neurolab.datasets.idx import idx_bytes, parse_idx


def has(*fragments) -> str:
    """A regex (for pytest.raises(match=...)) that needs every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(str(f))})" for f in fragments)


def write(path, type_code: int, shape, body: bytes, gz: bool = False):
    data = bytes((0, 0, type_code, len(shape))) + b"".join(struct.pack(">I", d) for d in shape)
    data += body
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_reads_unsigned_bytes_as_written(tmp_path, gz):
    body = bytes(range(24))
    path = write(tmp_path / ("a.idx" + (".gz" if gz else "")), 0x08, (2, 3, 4), body, gz)
    arr = read_idx(path, magic=2051)
    assert arr.dtype == np.uint8 and arr.shape == (2, 3, 4)
    assert arr[1, 2, 3] == 23 and arr[0, 1, 0] == 4 and arr.flags.writeable


def test_reads_big_endian_types(tmp_path):
    # three 16-bit integers 1, -2, 258 and two float64 0.5, -3.0, big-endian, by hand
    path = write(tmp_path / "s.idx", 0x0B, (3,), b"\x00\x01\xff\xfe\x01\x02")
    assert read_idx(path).tolist() == [1, -2, 258]
    assert read_idx(path).dtype == np.int16
    path = write(tmp_path / "d.idx", 0x0E, (1, 2),
                 b"\x3f\xe0\x00\x00\x00\x00\x00\x00\xc0\x08\x00\x00\x00\x00\x00\x00")
    assert read_idx(path).tolist() == [[0.5, -3.0]]


def test_bad_magic_names_the_file_and_the_expected_number(tmp_path):
    path = write(tmp_path / "train-images-idx3-ubyte", 0x08, (2,), b"\x00\x01")
    with pytest.raises(DatasetError, match=has(str(path), "magic number 2049", "0x00000801",
                                               "expected 2051", "0x00000803",
                                               "unsigned byte, 3 dimensions")):
        read_idx(path, magic=2051)


def test_not_an_idx_header(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(b"PK\x03\x04" + bytes(20))             # a zip file, say
    with pytest.raises(DatasetError, match=has(str(path), "is not an IDX header")):
        read_idx(path)
    path.write_bytes(bytes((0, 0, 0x07, 1)) + struct.pack(">I", 1) + b"\x00")   # type 0x07
    with pytest.raises(DatasetError, match=has(str(path), "is not an IDX header")):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(DatasetError, match=has(str(path), "2 bytes", "too short")):
        read_idx(path)


def test_truncated_body(tmp_path):
    path = write(tmp_path / "t.idx", 0x08, (10, 28, 28), bytes(10 * 784 - 5))
    with pytest.raises(DatasetError, match=has(str(path), "truncated", "(10, 28, 28)",
                                               "7840 data bytes", "7835 data bytes")):
        read_idx(path, magic=2051)


def test_truncated_header(tmp_path):
    path = tmp_path / "h.idx"
    path.write_bytes(bytes((0, 0, 8, 3)) + struct.pack(">I", 10))
    with pytest.raises(DatasetError, match=has(str(path), "truncated header", "3 dimensions",
                                               "16 header bytes", "has 8")):
        read_idx(path)


def test_trailing_bytes(tmp_path):
    path = write(tmp_path / "l.idx", 0x08, (4,), bytes(7))
    with pytest.raises(DatasetError, match=has(str(path), "3 unexpected bytes", "4 data bytes")):
        read_idx(path, magic=2049)


def test_damaged_gzip(tmp_path):
    good = gzip.compress(bytes((0, 0, 8, 1)) + struct.pack(">I", 1000) + bytes(1000))
    path = tmp_path / "l.idx.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(DatasetError, match=has(str(path), "not a valid gzip file")):
        read_idx(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetError, match=has(str(path), "not a valid gzip file")):
        read_idx(path)


def test_idx_bytes_is_the_file_layout():
    arr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert idx_bytes(arr) == b"\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03" + bytes(range(6))
    assert parse_idx(idx_bytes(arr)).tolist() == arr.tolist()
    with pytest.raises(TypeError, match="uint8"):
        idx_bytes(arr.astype(np.int16))
