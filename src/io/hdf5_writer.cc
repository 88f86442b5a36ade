// WriteHdf5: h5py's layout, written under a temporary name and renamed into place.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "src/io/hdf5_util.h"

namespace freshet {
namespace {

using hdf5::Dataset;
using hdf5::Space;
using hdf5::Type;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

size_t ElementSize(DType t) { return t == DType::kF32 || t == DType::kI32 ? 4 : 8; }

void CheckShape(const Table& table) {
  for (const Column& c : table.columns) {
    FRESHET_CHECK(c.rows == table.rows(), "column " + c.name + " has another length");
    FRESHET_CHECK(c.valid.empty() || c.valid.size() == static_cast<size_t>(c.rows),
                  "column " + c.name + " has a validity mask of the wrong size");
    if (c.is_string()) {
      FRESHET_CHECK(c.offsets.size() == static_cast<size_t>(c.rows) + 1 || (c.rows == 0),
                    "column " + c.name + " has offsets of the wrong size");
    } else {
      FRESHET_CHECK(c.data.size() == static_cast<size_t>(c.rows) * ElementSize(c.dtype),
                    "column " + c.name + " has data of the wrong size");
    }
  }
}

// Writes the datasets of `table` into a new file at `tmp` and closes it. Holds the HDF5 lock.
class FileWriter {
 public:
  FileWriter(const std::string& path, const std::string& tmp) : path_(path), tmp_(tmp) {}

  void Write(const Table& table) {
    auto lock = hdf5::Lock();
    hdf5::File file(H5Fcreate(tmp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!file.ok()) Fail("cannot create " + tmp_ + hdf5::LastError());
    for (const Column& c : table.columns) WriteColumn(file.get(), c);
    if (!file.Reset()) Fail("cannot close " + tmp_ + hdf5::LastError());
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw IoError(path_ + ": cannot write HDF5: " + what);
  }

  void WriteColumn(hid_t file, const Column& c) {
    const hsize_t dims[1] = {static_cast<hsize_t>(c.rows)};
    Space space(H5Screate_simple(1, dims, nullptr));
    Type file_type;
    Type mem_type;
    switch (c.dtype) {
      case DType::kF32:
        file_type = Type(H5Tcopy(H5T_IEEE_F32LE));
        mem_type = Type(H5Tcopy(H5T_NATIVE_FLOAT));
        break;
      case DType::kF64:
        file_type = Type(H5Tcopy(H5T_IEEE_F64LE));
        mem_type = Type(H5Tcopy(H5T_NATIVE_DOUBLE));
        break;
      case DType::kI32:
        file_type = Type(H5Tcopy(H5T_STD_I32LE));
        mem_type = Type(H5Tcopy(H5T_NATIVE_INT32));
        break;
      case DType::kI64:
        file_type = Type(H5Tcopy(H5T_STD_I64LE));
        mem_type = Type(H5Tcopy(H5T_NATIVE_INT64));
        break;
      case DType::kString:
        file_type = Type(H5Tcopy(H5T_C_S1));
        if (file_type.ok() && (H5Tset_size(file_type.get(), H5T_VARIABLE) < 0 ||
                               H5Tset_cset(file_type.get(), H5T_CSET_UTF8) < 0)) {
          file_type.Reset();
        }
        mem_type = Type(file_type.ok() ? H5Tcopy(file_type.get()) : H5I_INVALID_HID);
        break;
    }
    const std::string what = "column " + Quoted(c.name) + ": ";
    if (!space.ok() || !file_type.ok() || !mem_type.ok()) {
      Fail(what + "cannot make the dataspace or datatype" + hdf5::LastError());
    }
    Dataset dataset(H5Dcreate2(file, c.name.c_str(), file_type.get(), space.get(), H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT));
    if (!dataset.ok()) Fail(what + "cannot create the dataset" + hdf5::LastError());
    if (c.rows == 0) return;
    if (H5Dwrite(dataset.get(), mem_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, Buffer(c)) < 0) {
      Fail(what + "cannot write the data" + hdf5::LastError());
    }
    if (!dataset.Reset()) Fail(what + "cannot close the dataset" + hdf5::LastError());
  }

  // Returns the data to hand to H5Dwrite: the column's own bytes, or a copy where missing values
  // need a stand-in (NaN for floats, "" for strings, NUL-terminated for HDF5).
  const void* Buffer(const Column& c) {
    if (c.is_string()) {
      chars_.clear();
      chars_.reserve(c.bytes.size() + static_cast<size_t>(c.rows));
      std::vector<size_t> starts(static_cast<size_t>(c.rows));
      for (int64_t i = 0; i < c.rows; ++i) {
        starts[i] = chars_.size();
        if (c.is_valid(i)) {
          chars_.insert(chars_.end(), c.bytes.begin() + c.offsets[i],
                        c.bytes.begin() + c.offsets[i + 1]);
        }
        chars_.push_back('\0');
      }
      pointers_.resize(static_cast<size_t>(c.rows));
      for (size_t i = 0; i < pointers_.size(); ++i) pointers_[i] = chars_.data() + starts[i];
      return pointers_.data();
    }
    const bool is_float = c.dtype == DType::kF32 || c.dtype == DType::kF64;
    if (c.valid.empty() || !is_float) return c.data.data();
    copy_ = c.data;
    for (int64_t i = 0; i < c.rows; ++i) {
      if (c.valid[i]) continue;
      if (c.dtype == DType::kF32) {
        reinterpret_cast<float*>(copy_.data())[i] = std::numeric_limits<float>::quiet_NaN();
      } else {
        reinterpret_cast<double*>(copy_.data())[i] = std::numeric_limits<double>::quiet_NaN();
      }
    }
    return copy_.data();
  }

  const std::string& path_;
  const std::string& tmp_;
  std::vector<char> chars_;
  std::vector<const char*> pointers_;
  std::vector<uint8_t> copy_;
};

void Sync(const std::string& path, const std::string& target, const char* what) {
  const int fd = open(target.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) close(fd);
    throw IoError(path + ": cannot fsync " + what + " " + target + ": " + std::strerror(err));
  }
  close(fd);
}

std::string Folder(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void WriteHdf5(const std::string& path, const Table& table) {
  CheckShape(table);
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  try {
    FileWriter(path, tmp).Write(table);
    Sync(path, tmp, "file");
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw IoError(path + ": cannot rename " + tmp + " into place: " + std::strerror(errno));
    }
  } catch (...) {
    unlink(tmp.c_str());
    throw;
  }
  Sync(path, Folder(path), "folder");
}

}  // namespace freshet
