// Variable-length strings read straight from the file's bytes. HDF5's own conversion fetches each
// string from its global heap one at a time (about 150 ns a string, most of the time it takes to
// read a partition of string columns); this reads the dataset's heap references in one read and
// each heap collection once.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace freshet::hdf5 {

// The strings of a dataset: value i is `bytes` [offsets[i], offsets[i + 1]) (an empty string and a
// null one both have no bytes).
struct VlenStrings {
  std::vector<char> bytes;
  std::vector<int64_t> offsets;
};

// Reads the `rows` variable-length strings of `dataset` (in the file at `path`) without HDF5's
// conversion: the dataset's elements (a length and a global heap id each) are read from its
// contiguous storage, then each global heap collection they name. Each value is what H5Dread with a
// C-string memory type gives, up to its first NUL byte (as strlen sees it). Returns false, having
// changed nothing the caller sees, when the dataset is not stored in a way this reads (chunked,
// filtered, external, not allocated) or anything in the file is not as the HDF5 file format
// specification (version 3.0, "Global Heap", "Variable-length" data) says: the caller then reads
// with H5Dread, which reports what is wrong.
// REQUIRES: the HDF5 lock held (hdf5::Lock); `dataset` a 1-D dataset of variable-length strings.
bool ReadVlenStringsDirect(const std::string& path, hid_t dataset, int64_t rows, VlenStrings* out);

}  // namespace freshet::hdf5
