// ReadHdf5: one 1-D dataset per column, as h5py writes it.
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "src/io/hdf5_util.h"
#include "src/io/hdf5_vlen.h"

namespace freshet {
namespace {

using hdf5::Dataset;
using hdf5::Space;
using hdf5::Type;

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// Names the requested columns for errors about the whole file: `column "a"`, `columns "a", "b"`.
std::string ColumnList(const std::vector<ColumnRequest>& columns) {
  std::string out = columns.size() == 1 ? "column " : "columns ";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i == 3) return out + ", ...";
    out += (i ? ", " : "") + Quoted(columns[i].name);
  }
  return out;
}

// Says what an HDF5 type is in an error message: "a string", "a 64-bit float", ...
std::string Describe(hid_t type) {
  const std::string bits = std::to_string(8 * H5Tget_size(type)) + "-bit ";
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return "a " + bits + (H5Tget_sign(type) == H5T_SGN_NONE ? "unsigned " : "") + "integer";
    case H5T_FLOAT:
      return "a " + bits + "float";
    case H5T_STRING:
      return "a string";
    case H5T_ENUM:
      return "an enum";
    case H5T_BITFIELD:
      return "a bitfield";
    case H5T_OPAQUE:
      return "an opaque type";
    case H5T_COMPOUND:
      return "a compound type";
    case H5T_REFERENCE:
      return "a reference";
    case H5T_VLEN:
      return "a variable-length sequence";
    case H5T_ARRAY:
      return "an array type";
    default:
      return "an unknown type";
  }
}

// Reads one dataset into a Column. Every failure is a DataError naming the file and the column.
class ColumnReader {
 public:
  ColumnReader(const std::string& path, const ColumnRequest& request, hid_t dataset, int64_t rows)
      : path_(path), request_(request), dataset_(dataset), rows_(rows) {}

  Column Read() {
    Type type(H5Dget_type(dataset_));
    if (!type.ok()) Fail("cannot read the datatype" + hdf5::LastError());
    column_.name = request_.name;
    column_.rows = rows_;
    const H5T_class_t cls = H5Tget_class(type.get());
    const bool numeric = request_.kind == ColumnKind::kNumeric;
    if (cls == H5T_INTEGER || cls == H5T_ENUM) {
      ReadIntegers(type.get(), /*wide=*/!numeric);
    } else if (cls == H5T_FLOAT && numeric) {
      ReadFloats(type.get());
    } else if (cls == H5T_STRING && !numeric) {
      ReadStrings(type.get());
    } else {
      Fail(std::string("expected ") +
           (numeric ? "a numeric dataset" : "a string or integer dataset") + ", got " +
           Describe(type.get()));
    }
    return std::move(column_);
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw DataError(path_ + ": column " + Quoted(request_.name) + ": " + what);
  }

  void ReadRaw(hid_t mem_type, void* buf) {
    if (rows_ == 0) return;
    if (H5Dread(dataset_, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
      Fail("cannot read the data (corrupt or truncated file?)" + hdf5::LastError());
    }
  }

  // Integers and enums (h5py's bool is an enum over int8) are read in their native width and
  // widened here, which also catches uint64 values that do not fit an i64.
  void ReadIntegers(hid_t file_type, bool wide) {
    Type mem(H5Tget_native_type(file_type, H5T_DIR_ASCEND));
    Type base(H5Tget_class(file_type) == H5T_ENUM ? H5Tget_super(mem.get()) : H5Tcopy(mem.get()));
    if (!mem.ok() || !base.ok()) Fail("cannot map " + Describe(file_type) + " to a native type");
    const size_t size = H5Tget_size(base.get());
    const bool is_signed = H5Tget_sign(base.get()) != H5T_SGN_NONE;
    if (size != 1 && size != 2 && size != 4 && size != 8) {
      Fail("expected an integer of 8 to 64 bits, got " + Describe(file_type));
    }
    const bool i32 = !wide && (size <= 2 || (size == 4 && is_signed));
    column_.dtype = i32 ? DType::kI32 : DType::kI64;
    const size_t out_size = i32 ? 4 : 8;
    column_.data.resize(static_cast<size_t>(rows_) * out_size);
    if (size == out_size && is_signed) {
      ReadRaw(mem.get(), column_.data.data());
      return;
    }
    std::vector<uint8_t> raw(static_cast<size_t>(rows_) * size);
    ReadRaw(mem.get(), raw.data());
    if (i32) {
      Widen(raw, size, is_signed, column_.mutable_values<int32_t>());
    } else {
      Widen(raw, size, is_signed, column_.mutable_values<int64_t>());
    }
  }

  template <typename Out>
  void Widen(const std::vector<uint8_t>& raw, size_t size, bool is_signed, Out* out) const {
    if (is_signed) {
      if (size == 1) return Copy<int8_t>(raw, out);
      if (size == 2) return Copy<int16_t>(raw, out);
      if (size == 4) return Copy<int32_t>(raw, out);
      return Copy<int64_t>(raw, out);
    }
    if (size == 1) return Copy<uint8_t>(raw, out);
    if (size == 2) return Copy<uint16_t>(raw, out);
    if (size == 4) return Copy<uint32_t>(raw, out);
    return CopyUint64(raw, out);
  }

  template <typename In, typename Out>
  static void Copy(const std::vector<uint8_t>& raw, Out* out) {
    const size_t n = raw.size() / sizeof(In);
    for (size_t i = 0; i < n; ++i) {
      In v;
      std::memcpy(&v, raw.data() + i * sizeof(In), sizeof(In));
      out[i] = static_cast<Out>(v);
    }
  }

  template <typename Out>
  void CopyUint64(const std::vector<uint8_t>& raw, Out* out) const {
    const size_t n = raw.size() / sizeof(uint64_t);
    for (size_t i = 0; i < n; ++i) {
      uint64_t v;
      std::memcpy(&v, raw.data() + i * sizeof(v), sizeof(v));
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        Fail("row " + std::to_string(i) + ": uint64 value " + std::to_string(v) +
             " does not fit a signed 64-bit integer");
      }
      out[i] = static_cast<Out>(v);
    }
  }

  void ReadFloats(hid_t file_type) {
    const bool f32 = H5Tget_size(file_type) <= 4;
    column_.dtype = f32 ? DType::kF32 : DType::kF64;
    column_.data.resize(static_cast<size_t>(rows_) * (f32 ? 4 : 8));
    ReadRaw(f32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, column_.data.data());
  }

  void ReadStrings(hid_t file_type) {
    column_.dtype = DType::kString;
    column_.offsets.reserve(static_cast<size_t>(rows_) + 1);
    column_.offsets.push_back(0);
    const htri_t variable = H5Tis_variable_str(file_type);
    if (variable < 0) Fail("cannot read the string type" + hdf5::LastError());
    if (variable) {
      ReadVariableStrings(file_type);
    } else {
      ReadFixedStrings(file_type);
    }
  }

  void ReadVariableStrings(hid_t file_type) {
    hdf5::VlenStrings direct;
    if (hdf5::ReadVlenStringsDirect(path_, dataset_, rows_, &direct)) {
      column_.bytes = std::move(direct.bytes);
      column_.offsets = std::move(direct.offsets);
      for (int64_t i = 0; i < rows_; ++i) {
        if (column_.offsets[i + 1] != column_.offsets[i]) continue;
        if (column_.valid.empty()) column_.valid.assign(static_cast<size_t>(rows_), 1);
        column_.valid[i] = 0;
      }
      return;
    }
    // The memory type keeps the file's character set: HDF5 does not convert between ASCII and
    // UTF-8, and freshet keeps the bytes as they are either way.
    Type mem(H5Tcopy(H5T_C_S1));
    if (!mem.ok() || H5Tset_size(mem.get(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(mem.get(), H5Tget_cset(file_type)) < 0) {
      Fail("cannot make a variable-length string type" + hdf5::LastError());
    }
    std::vector<char*> values(static_cast<size_t>(rows_), nullptr);
    ReadRaw(mem.get(), values.data());
    struct Reclaim {
      hid_t dataset, type;
      std::vector<char*>* values;
      ~Reclaim() {
        if (values->empty()) return;
        Space space(H5Dget_space(dataset));
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(type, space.get(), H5P_DEFAULT, values->data());
#else
        H5Dvlen_reclaim(type, space.get(), H5P_DEFAULT, values->data());
#endif
      }
    } reclaim{dataset_, mem.get(), &values};
    for (const char* s : values) Add(s, s == nullptr ? 0 : std::strlen(s));
  }

  void ReadFixedStrings(hid_t file_type) {
    const size_t width = H5Tget_size(file_type);
    const H5T_str_t pad = H5Tget_strpad(file_type);
    Type mem(H5Tcopy(file_type));
    if (!mem.ok() || width == 0) Fail("cannot read the fixed-length string type");
    std::vector<char> raw(static_cast<size_t>(rows_) * width);
    ReadRaw(mem.get(), raw.data());
    for (int64_t i = 0; i < rows_; ++i) {
      const char* s = raw.data() + static_cast<size_t>(i) * width;
      size_t n = width;
      if (pad == H5T_STR_NULLTERM) {
        n = strnlen(s, width);
      } else {
        // Null padding (numpy's "S" dtype) and space padding (Fortran) are stripped from the end.
        while (n > 0 && (s[n - 1] == '\0' || (pad == H5T_STR_SPACEPAD && s[n - 1] == ' '))) --n;
      }
      Add(s, n);
    }
  }

  // Appends one string value; an empty one is missing.
  void Add(const char* s, size_t n) {
    const int64_t row = static_cast<int64_t>(column_.offsets.size()) - 1;
    if (n == 0 && column_.valid.empty()) column_.valid.assign(static_cast<size_t>(row), 1);
    if (n == 0 || !column_.valid.empty()) column_.valid.push_back(n == 0 ? 0 : 1);
    column_.bytes.insert(column_.bytes.end(), s, s + n);
    column_.offsets.push_back(static_cast<int64_t>(column_.bytes.size()));
  }

  const std::string& path_;
  const ColumnRequest& request_;
  hid_t dataset_;
  int64_t rows_;
  Column column_;
};

// Opens the file, after checking what can be checked without HDF5 for clearer messages.
hdf5::File OpenFile(const std::string& path, const std::vector<ColumnRequest>& columns) {
  const std::string reading = " (reading " + ColumnList(columns) + ")";
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    throw DataError(path + ": cannot open: " + std::strerror(errno) + reading);
  }
  if (S_ISDIR(st.st_mode)) throw DataError(path + ": is a folder, expected an HDF5 file" + reading);
  if (st.st_size == 0) throw DataError(path + ": empty file (0 bytes), expected HDF5" + reading);
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 == 0) throw DataError(path + ": not an HDF5 file (no HDF5 signature)" + reading);
  hdf5::File file(is_hdf5 > 0 ? H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)
                              : H5I_INVALID_HID);
  if (!file.ok()) {
    const std::string detail = hdf5::LastError();
    throw DataError(path + ": cannot open as HDF5" + reading +
                    (detail.empty() ? ": corrupt or truncated file" : detail));
  }
  return file;
}

}  // namespace

Table ReadHdf5(const std::string& path, const std::vector<ColumnRequest>& columns,
               const std::string& group) {
  auto lock = hdf5::Lock();
  hdf5::File file = OpenFile(path, columns);
  hdf5::Group root(H5Gopen2(file.get(), group.c_str(), H5P_DEFAULT));
  if (!root.ok()) {
    H5Eclear2(H5E_DEFAULT);
    throw DataError(path + ": group " + Quoted(group) + " not found (reading " +
                    ColumnList(columns) + ")");
  }
  Table table;
  table.columns.reserve(columns.size());
  for (const ColumnRequest& request : columns) {
    const std::string where = path + ": column " + Quoted(request.name) + ": ";
    if (request.name.empty() || H5Lexists(root.get(), request.name.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      throw DataError(where + "no such dataset in group " + Quoted(group));
    }
    Dataset dataset(H5Dopen2(root.get(), request.name.c_str(), H5P_DEFAULT));
    if (!dataset.ok()) {
      throw DataError(where + "expected a dataset, got another kind of object" + hdf5::LastError());
    }
    Space space(H5Dget_space(dataset.get()));
    const int ndims = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
    if (ndims < 0) throw DataError(where + "cannot read the dataspace" + hdf5::LastError());
    std::vector<hsize_t> dims(static_cast<size_t>(ndims));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    if (ndims != 1) {
      std::string shape;
      for (hsize_t d : dims) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      throw DataError(where + "expected a 1-D dataset, got " + std::to_string(ndims) +
                      "-D with shape [" + shape + "]");
    }
    const int64_t rows = static_cast<int64_t>(dims[0]);
    if (!table.columns.empty() && rows != table.rows()) {
      throw DataError(where + "has " + std::to_string(rows) + " rows, expected " +
                      std::to_string(table.rows()) + " like column " +
                      Quoted(table.columns.front().name));
    }
    table.columns.push_back(ColumnReader(path, request, dataset.get(), rows).Read());
  }
  return table;
}

}  // namespace freshet
