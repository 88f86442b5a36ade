// Readers and writers of input partitions (HDF5 as h5py and pandas write it, CSV) and the helpers
// that find partitions and fingerprint them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/table.hpp"

namespace freshet {

// How the config declares a column. A numeric column must be stored as an integer, float or bool;
// a categorical one as a string (fixed- or variable-length) or an integer code.
enum class ColumnKind { kNumeric, kCategorical };

struct ColumnRequest {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
};

// Reads the requested columns of one HDF5 file: one 1-D dataset per column under `group`, as h5py
// writes it. The returned table has the columns in the order of `columns`. Integer datasets become
// i32 or i64 (bool and 8/16-bit integers become i32), floats f32 or f64, strings kString (UTF-8 or
// ASCII, fixed- or variable-length; an empty string is missing). Throws DataError naming the file
// and the column when the file cannot be opened as HDF5, a column is missing, a dataset is not 1-D,
// its type does not fit the requested kind, or lengths differ between columns.
Table ReadHdf5(const std::string& path, const std::vector<ColumnRequest>& columns,
               const std::string& group = "/");

// Reads the requested columns of a CSV file: a header row, RFC 4180 quoting (a quoted field may
// hold commas, doubled quotes and newlines), an empty field is missing. Numeric columns parse as
// f64; categorical columns are kept as strings. Throws DataError naming the file, the line and the
// column for an unterminated quote, a row with the wrong number of fields, a value that is not a
// number in a numeric column, a missing column, or an empty file.
Table ReadCsv(const std::string& path, const std::vector<ColumnRequest>& columns);

// Reads a partition by its extension: .h5/.hdf5/.hdf → ReadHdf5, .csv → ReadCsv; anything else is
// a DataError.
Table ReadPartition(const std::string& path, const std::vector<ColumnRequest>& columns,
                    const std::string& hdf5_group = "/");

// A column a partition holds, as stored: its name and its type class, "integer", "float",
// "string", "other", or "unknown" for CSV (whose fields carry no type).
struct StoredColumn {
  std::string name;
  std::string type;
};

// The columns of a partition without reading their values: the datasets under `hdf5_group` of an
// HDF5 file, in name order, or the header fields of a CSV file. Throws DataError naming the file
// when it cannot be opened or has an unknown extension.
std::vector<StoredColumn> PartitionColumns(const std::string& path,
                                           const std::string& hdf5_group = "/");

// Writes `table` as an HDF5 file in h5py's layout: one 1-D dataset per column under the root group,
// numeric columns in their dtype, string columns as variable-length UTF-8 strings (missing = "").
// The file is written under a temporary name in the same folder, fsynced and renamed into place.
// Throws IoError naming the path on failure.
void WriteHdf5(const std::string& path, const Table& table);

// Writes `table` as CSV: a header row, numeric values in the shortest form that reads back
// exactly, strings quoted per RFC 4180 where needed, missing values as empty fields. Written under
// a temporary name and renamed into place. Throws IoError naming the path on failure.
void WriteCsv(const std::string& path, const Table& table);

// Writes by extension: .h5/.hdf5/.hdf → WriteHdf5, .csv → WriteCsv; anything else is a
// ConfigError naming the path.
void WriteTable(const std::string& path, const Table& table);

// Returns the files in `dir` whose names match the glob `pattern` (fnmatch, e.g. "*.h5"), as full
// paths sorted by file name. Hidden files and folders are skipped. Throws IoError if `dir` is not a
// readable folder.
std::vector<std::string> DiscoverPartitions(const std::string& dir, const std::string& pattern);

// Returns the SHA-256 of the file's bytes as 64 lowercase hex digits. Throws IoError naming the
// path.
std::string Sha256File(const std::string& path);

// The SHA-256 of `bytes`, as 64 lowercase hex digits.
std::string Sha256(std::string_view bytes);

// One partition a run reads: its identity (path, rows, SHA-256), its role, and what stat(2) says
// of the file when it was selected (to know an unchanged file without reading it again).
struct InputFile {
  std::string path;
  std::string role;  // "train" or "eval"
  std::string sha256;
  int64_t rows = -1;  // -1 until read
  int64_t bytes = -1, mtime_ns = 0, ctime_ns = 0, inode = 0;
};

// An input with every field ({path, role, sha256, rows, bytes, mtime_ns, ctime_ns, inode}), to pin
// it (a submission's plan) or hand it to another process (data-parallel ranks), and back.
// InputFileFromJson throws std::invalid_argument naming the missing or mistyped field.
nlohmann::json InputFileToJson(const InputFile& in);
InputFile InputFileFromJson(const nlohmann::json& j);

// A SHA-256 already known for a file whose path and stat fields (bytes, mtime_ns, ctime_ns,
// inode) are those of `in`, or "" when none is. The registry answers from earlier versions' inputs.
using KnownSha256 = std::function<std::string(const InputFile& in)>;

// The partitions of one run: of the files in `landing` matching `pattern` (DiscoverPartitions),
// the newest `eval_window` are held out for evaluation and up to `train_window` before them are
// the training data, oldest first, each with its stat fields and SHA-256. The SHA-256 is read from
// `known` when it has one for the file as it is now (same size, modification and change times to
// the nanosecond, inode: a rewrite changes the change time, which no tool can set), else computed.
// Returns an empty list, and sets `why`, when fewer than eval_window + 1 files exist. Throws
// IoError when the folder or a file cannot be read.
std::vector<InputFile> SelectInputs(const std::string& landing, const std::string& pattern,
                                    int train_window, int eval_window, std::string* why,
                                    const KnownSha256& known = nullptr);

}  // namespace freshet
