// Checks on ingested partitions that every run makes before fitting features. (The full data gate,
// with schema inference, anomalies and drift, is its own stage.)
#pragma once

#include <string>

#include "freshet/config.hpp"
#include "freshet/table.hpp"

namespace freshet {

// Checks one partition read with config.Columns(): numeric feature values are finite or missing
// (NaN is missing; ±Inf is refused), and the label is present in every row and valid for the task
// (0 or 1 for binary). Throws DataError naming `source`, the column and the first bad row
// (0-based).
void CheckPartition(const Table& table, const Config& config, const std::string& source);

}  // namespace freshet
