// Checks on ingested partitions that every run makes before fitting features. (The full data gate,
// with schema inference, anomalies and drift, is its own stage.)
#pragma once

#include <string>
#include <vector>

#include "freshet/config.hpp"
#include "freshet/io.hpp"
#include "freshet/table.hpp"

namespace freshet {

// Checks one partition read with config.Columns(): numeric feature values are finite or missing
// (NaN is missing; ±Inf is refused), and the label is present in every row and valid for the task
// (0 or 1 for binary). Throws DataError naming `source`, the column and the first bad row
// (0-based).
void CheckPartition(const Table& table, const Config& config, const std::string& source);

// The rows of a run, split by role.
struct RunTables {
  Table train, eval;
};

// Reads every input with config.Columns(), checks it (CheckPartition), records its row count in
// `inputs`, and appends it to the table of its role. Throws DataError naming the file for an
// unreadable or invalid partition, and naming the files when the training or the evaluation rows
// are empty.
RunTables ReadInputs(const Config& config, std::vector<InputFile>* inputs);

// ReadInputs without the check that each role has rows: one data-parallel rank's share of the
// partitions (another rank may hold a role's rows).
RunTables ReadInputShare(const Config& config, std::vector<InputFile>* inputs);

// Throws DataError naming the files when the training or the evaluation rows of `tables` are
// empty.
void RequireRows(const RunTables& tables, const std::vector<InputFile>& inputs);

}  // namespace freshet
