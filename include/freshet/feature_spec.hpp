// The config's `features:` section: what each column becomes.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "freshet/io.hpp"

namespace freshet {

// One step of a column's feature pipeline. A numeric column's steps run in the order of Kind
// (fill, indicator, clip, the element-wise ops, standardize | minmax, bucketize), the element-wise
// ops among themselves in the order of kernels/numeric_ops.h, and the config must list them in
// that order; a categorical column has exactly one encoding (hash or vocab).
struct FeatureOp {
  enum class Kind {
    kFill,         // missing → mean, median or a constant
    kIndicator,    // an extra dense output: 1 where the value was missing, else 0
    kClip,         // clamp to [lo, hi]
    kPointwise,    // an element-wise op of kernels/numeric_ops.h (log1p, sqrt, ...)
    kStandardize,  // (x - mean) / std over the training rows; std 0 → centred only
    kMinMax,       // (x - min) / (max - min) over the training rows; max == min → x - min
    kBucketize,    // categorical output 2 + #{boundaries <= x}
    kHash,         // 2 + XXH64(bytes, seed) % buckets
    kVocab,        // 2 + position in the vocabulary, 1 when out of vocabulary
  };
  enum class Fill { kMean, kMedian, kConstant };

  Kind kind = Kind::kFill;
  Fill fill = Fill::kMean;                               // kFill
  double constant = 0.0;                                 // kFill with Fill::kConstant
  double lo = -std::numeric_limits<double>::infinity();  // kClip
  double hi = std::numeric_limits<double>::infinity();   // kClip
  int32_t pointwise = 0;                                 // kPointwise: a kernels::PointwiseOp
  std::vector<double> boundaries;                        // kBucketize, explicit (ascending)
  int64_t quantiles = 0;                                 // kBucketize, quantile bins at fit
  int64_t buckets = 0;                                   // kHash
  uint64_t seed = 0;                                     // kHash
  int64_t min_count = 1;                                 // kVocab
  int64_t max_size = 0;                                  // kVocab; 0 = unbounded
};

// One entry of `features:`. A cross has `cross` set to its input columns (two or more categorical
// columns, read from the input whether or not they are features themselves), `column` set to its
// output name (default "a_x_b"), and a hash op.
struct FeatureSpec {
  std::string column;
  ColumnKind type = ColumnKind::kNumeric;
  std::vector<std::string> cross;
  bool freeze = false;  // numeric: keep the previous version's statistics instead of refitting
  std::vector<FeatureOp> ops;

  bool is_cross() const { return !cross.empty(); }
};

}  // namespace freshet
