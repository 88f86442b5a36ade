// PartitionColumns: what a partition holds, without reading its values.
#include <cstdio>
#include <cstring>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "hdf5_util.h"

namespace freshet {
namespace {

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

std::vector<StoredColumn> Hdf5Columns(const std::string& path, const std::string& group) {
  auto lock = hdf5::Lock();
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw DataError(path + ": not an HDF5 file");
  }
  hdf5::File file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file.ok()) throw DataError(path + ": cannot open as HDF5" + hdf5::LastError());
  hdf5::Group root(H5Gopen2(file.get(), group.c_str(), H5P_DEFAULT));
  if (!root.ok()) {
    H5Eclear2(H5E_DEFAULT);
    throw DataError(path + ": group \"" + group + "\" not found");
  }
  std::vector<std::string> names;
  H5Literate(
      root.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
      },
      &names);
  std::vector<StoredColumn> out;
  for (const auto& name : names) {
    hdf5::Dataset d(H5Dopen2(root.get(), name.c_str(), H5P_DEFAULT));
    if (!d.ok()) {
      H5Eclear2(H5E_DEFAULT);
      continue;  // a group or another object: not a column
    }
    hdf5::Type t(H5Dget_type(d.get()));
    std::string type = "other";
    switch (H5Tget_class(t.get())) {
      case H5T_INTEGER:
      case H5T_ENUM:
        type = "integer";
        break;
      case H5T_FLOAT:
        type = "float";
        break;
      case H5T_STRING:
        type = "string";
        break;
      default:
        break;
    }
    out.push_back({name, type});
  }
  return out;
}

std::vector<StoredColumn> CsvColumns(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw DataError(path + ": cannot open: " + std::strerror(errno));
  std::vector<StoredColumn> out;
  std::string field;
  bool quoted = false, any = false;
  int c;
  while ((c = std::fgetc(f)) != EOF) {
    any = true;
    if (quoted) {
      if (c == '"') {
        const int next = std::fgetc(f);
        if (next == '"') {
          field += '"';
        } else {
          quoted = false;
          if (next == EOF) break;
          std::ungetc(next, f);
        }
      } else {
        field += static_cast<char>(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back({field, "unknown"});
      field.clear();
    } else if (c == '\n' || c == '\r') {
      break;
    } else {
      field += static_cast<char>(c);
    }
  }
  std::fclose(f);
  if (!any) throw DataError(path + ": empty file, expected a CSV header row");
  out.push_back({field, "unknown"});
  return out;
}

}  // namespace

std::vector<StoredColumn> PartitionColumns(const std::string& path, const std::string& group) {
  if (EndsWith(path, ".csv")) return CsvColumns(path);
  if (EndsWith(path, ".h5") || EndsWith(path, ".hdf5") || EndsWith(path, ".hdf")) {
    return Hdf5Columns(path, group);
  }
  throw DataError(path + ": unknown partition format (expected .h5, .hdf5, .hdf or .csv)");
}

}  // namespace freshet
