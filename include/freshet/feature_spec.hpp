// The config's `features:` section: what each column becomes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "freshet/io.hpp"

namespace freshet {

// One step of a column's feature pipeline, applied in config order.
struct FeatureOp {
  enum class Kind { kFill, kStandardize, kHash };
  enum class Fill { kMean, kMedian, kConstant };
  Kind kind = Kind::kFill;
  Fill fill = Fill::kMean;  // kFill
  double constant = 0.0;    // kFill with Fill::kConstant
  int64_t buckets = 0;      // kHash
  uint64_t seed = 0;        // kHash
};

struct FeatureSpec {
  std::string column;
  ColumnKind type = ColumnKind::kNumeric;
  std::vector<FeatureOp> ops;
};

}  // namespace freshet
