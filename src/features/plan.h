// The kernels' views of a table under a FeatureState: what TransformFeatures hands to the numeric
// and categorical kernels, and what the feature benchmarks time. Internal to src/features (and
// scripts/bench).
#pragma once

#include <cstdint>
#include <vector>

#include "features/vocab.h"
#include "freshet/features.hpp"
#include "freshet/table.hpp"
#include "kernels/categorical_transform.h"
#include "kernels/numeric_transform.h"

namespace freshet {

// Pointers in the views are the table's host memory; the table must outlive the plan. Output
// indices follow the layout of features.hpp. Vocab outputs point at `vocabs` (host memory).
// A moved plan keeps its pointers valid; a copy's vocab outputs still point into the original's
// vocabularies (copies are for re-pointing the views, as at an upload to a device).
struct TransformPlan {
  std::vector<const Column*> numeric_cols;  // one per numeric view
  std::vector<kernels::NumericColumnView> numeric;
  std::vector<double> bounds;           // every bucketised column's boundaries, back to back
  std::vector<const Column*> cat_cols;  // distinct categorical inputs, one per input view
  std::vector<kernels::CategoricalInputView> inputs;
  std::vector<kernels::CategoricalOutputView> outputs;
  std::vector<VocabTable> vocabs;  // one per output; empty for hashed ones
  int64_t dense_dim = 0, cat_dim = 0;
};

// Throws DataError naming the column when one is missing or of a type the state cannot use.
TransformPlan MakeTransformPlan(const Table& table, const FeatureState& state);

}  // namespace freshet
