// The feature stage: fit a FeatureState on training rows, then transform any rows with it into a
// dense float32 matrix and a matrix of categorical indices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/table.hpp"
#include "kernels/device.h"

namespace freshet {

// The fitted state of one numeric column: missing → fill_value, then (x - mean) * scale.
struct NumericState {
  std::string column;
  double fill_value = 0.0;
  double mean = 0.0;    // 0 when the column is not standardised
  double stddev = 1.0;  // of the filled training values; informational when not standardised
  double scale = 1.0;   // 1 / stddev when standardised and stddev > 0, else 1
  int64_t count = 0;    // present values seen at fit
  int64_t missing = 0;  // missing values seen at fit
};

// The fitted state of one categorical column. Index contract: 0 = missing, 1 = out of vocabulary,
// 2.. = buckets, so the column's embedding table needs `cardinality` = buckets + 2 rows.
struct CategoricalState {
  std::string column;
  int64_t buckets = 0;
  uint64_t seed = 0;
  int64_t cardinality() const { return buckets + 2; }
};

// Everything needed to reproduce the features of a model: saved as features.json with every
// version. Dense column j of the output is numeric[j]; categorical column k is categorical[k].
struct FeatureState {
  std::vector<NumericState> numeric;
  std::vector<CategoricalState> categorical;

  int64_t dense_dim() const { return static_cast<int64_t>(numeric.size()); }
  int64_t categorical_dim() const { return static_cast<int64_t>(categorical.size()); }
  std::vector<int64_t> cardinalities() const;

  nlohmann::json ToJson() const;
  // Throws DataError naming `source` when the JSON does not describe a FeatureState.
  static FeatureState FromJson(const nlohmann::json& j, const std::string& source);
};

// Fits every feature of `specs` on `table` (which holds the spec's columns by name). Statistics
// are computed on the CPU in double precision: fill values (mean or median of the present values,
// or the constant) first, then mean and standard deviation of the filled column. A column with no
// present value fills with the constant, or 0 for mean and median.
// `previous`, when given, is the state of the version being retrained: vocabularies grow from it
// (existing categories keep their index) and columns marked `freeze` keep its statistics.
FeatureState FitFeatures(const Table& table, const std::vector<FeatureSpec>& specs,
                         const FeatureState* previous = nullptr);

// Transforms the rows of `table` with `state`. `dense` receives rows * dense_dim() floats and
// `cats` rows * categorical_dim() int64 indices, both row-major; they are host pointers on a CPU
// device and device pointers on a CUDA one (where `stream` is the cudaStream_t to launch on; the
// call returns once the work is queued on it). Throws DataError when a column is missing from
// `table` or has a type the state cannot use.
void TransformFeatures(const Table& table, const FeatureState& state, const Device& device,
                       float* dense, int64_t* cats, void* stream);

}  // namespace freshet
