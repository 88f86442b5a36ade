"""Writes the small h5py fixtures that tests/io/hdf5_reader_test.cc reads.

Run once from the repository root and commit the results; the tests never run Python:

    /root/.cache/freshet/torch-2.11.0-py311/bin/python tests/data/make_fixtures.py

The values are fixed so that the C++ tests can check them one by one.
"""

import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def numeric(path):
    with h5py.File(path, "w") as f:
        f["i8"] = np.array([-128, -1, 0, 1, 127], dtype=np.int8)
        f["i16"] = np.array([-32768, -1, 0, 1, 32767], dtype=np.int16)
        f["i32"] = np.array([-(2**31), -1, 0, 1, 2**31 - 1], dtype=np.int32)
        f["i64"] = np.array([-(2**63), -1, 0, 1, 2**63 - 1], dtype=np.int64)
        f["u8"] = np.array([0, 1, 2, 254, 255], dtype=np.uint8)
        f["u16"] = np.array([0, 1, 2, 65534, 65535], dtype=np.uint16)
        f["u32"] = np.array([0, 1, 2, 2**32 - 2, 2**32 - 1], dtype=np.uint32)
        f["u64"] = np.array([0, 1, 2, 2**62, 2**63 - 1], dtype=np.uint64)
        f["f16"] = np.array([0.5, -1.0, np.nan, 2.0, 65504.0], dtype=np.float16)
        f["f32"] = np.array([0.5, -1.25, np.nan, np.inf, 3.0e38], dtype=np.float32)
        f["f64"] = np.array([0.1, -2.5, np.nan, -np.inf, 1e300], dtype=np.float64)
        f["bool"] = np.array([True, False, True, True, False])
        f.create_dataset("f64_gzip", data=np.arange(5, dtype=np.float64) / 4,
                         chunks=(5,), compression="gzip")
        f["sub/x"] = np.array([10, 20, 30, 40, 50], dtype=np.int64)


def strings(path):
    with h5py.File(path, "w") as f:
        # numpy "S" arrays: fixed-length, null-padded ASCII.
        f["fixed"] = np.array([b"red", b"", b"blue", b"green6", b"a"], dtype="S6")
        # Space-padded fixed-length strings (Fortran style), through the low-level API.
        tid = h5py.h5t.C_S1.copy()
        tid.set_size(6)
        tid.set_strpad(h5py.h5t.STR_SPACEPAD)
        space = h5py.h5s.create_simple((5,))
        dset = h5py.h5d.create(f.id, b"space_padded", tid, space)
        dset.write(h5py.h5s.ALL, h5py.h5s.ALL,
                   np.array([b"ab", b"", b"c d", b"xyzxyz", b" e"], dtype="S6"), mtype=tid)
        # Fixed-length UTF-8 (numpy has no such dtype: write the bytes with the file's type).
        fixed_utf8 = f.create_dataset("fixed_utf8", shape=(5,), dtype=h5py.string_dtype("utf-8", 8))
        fixed_utf8.id.write(h5py.h5s.ALL, h5py.h5s.ALL,
                            np.array(["é".encode(), b"", b"ok", b"z", "ü".encode()], dtype="S8"),
                            mtype=fixed_utf8.id.get_type())
        # Variable-length strings: h5py's default for Python str (UTF-8), and ASCII.
        f.create_dataset("vlen", data=["Zürich", "", "Paris", "東京", "x"],
                         dtype=h5py.string_dtype("utf-8"))
        f.create_dataset("vlen_ascii", data=[b"a", b"bb", b"", b"ccc", b"d"],
                         dtype=h5py.string_dtype("ascii"))
        f["codes"] = np.array([3, 1, 4, 1, 5], dtype=np.int32)
        f["score"] = np.array([1.0, 2.0, 3.0, 4.0, 5.0])


def bad(path):
    with h5py.File(path, "w") as f:
        f["ok"] = np.arange(5, dtype=np.float64)
        f["short"] = np.arange(3, dtype=np.float64)
        f["matrix"] = np.zeros((3, 2), dtype=np.float32)
        f["scalar"] = np.float64(1.5)
        f["u64_big"] = np.array([0, 1, 2, 3, 2**63], dtype=np.uint64)
        f["name"] = np.array([b"a", b"b", b"c", b"d", b"e"], dtype="S1")
        f["pair"] = np.zeros(5, dtype=[("a", np.int32), ("b", np.float32)])
        f.create_group("folder")


if __name__ == "__main__":
    numeric(os.path.join(HERE, "h5py_numeric.h5"))
    strings(os.path.join(HERE, "h5py_strings.h5"))
    bad(os.path.join(HERE, "h5py_bad.h5"))
