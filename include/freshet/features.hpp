// The feature stage: fit a FeatureState on training rows, then transform any rows with it into a
// dense float32 matrix and a matrix of categorical indices.
//
// Output layout. Dense outputs, in config order: each numeric feature that is not bucketised gives
// its value, followed by its missing indicator when it has one (a bucketised feature with an
// indicator gives the indicator only). Categorical outputs: first the bucketised numeric features,
// in config order, then the categorical features and crosses, in config order. Every categorical
// output follows the index contract 0 = missing, 1 = out of vocabulary, 2.. = a category.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/feature_spec.hpp"
#include "freshet/table.hpp"
#include "kernels/device.h"

namespace freshet {

// The formats of features.json ("freshet.features/N"). A new format version adds keys with
// defaults, so that FeatureState::FromJson reads every version ever written (today /1, /2 and /3)
// and refuses only a newer one. ToJson writes the oldest format that holds the state: /2, or the
// format that introduced an element-wise op the state applies (/3 for sqrt), so that an older
// freshet reads every version that needs nothing it lacks, and refuses the others.
// The newest is the base's or the newest op's (kernels::kPointwiseNewestFormat).
inline constexpr int kFeaturesBaseFormat = 2;

// The fitted state of one numeric column: missing → fill_value; clamp to [clip_lo, clip_hi]; the
// element-wise ops of `pointwise` in order; (x - shift) * scale; then either a dense value, or a
// bucket 2 + #{boundaries <= x} when bucketised.

struct NumericState {
  std::string column;
  double fill_value = 0.0;
  bool indicator = false;
  double clip_lo = -std::numeric_limits<double>::infinity();
  double clip_hi = std::numeric_limits<double>::infinity();
  uint32_t pointwise = 0;  // element-wise ops: bit k for kernels::PointwiseOp k (numeric_ops.h)
  std::string scaling = "none";  // none | standardize | minmax
  double shift = 0.0;            // standardize: mean; minmax: min
  double scale = 1.0;            // standardize: 1/std; minmax: 1/(max-min); 1 when degenerate
  bool bucketize = false;
  std::vector<double> boundaries;  // ascending; bucketised outputs have boundaries.size() + 3 rows
  // Statistics of the fit, recorded for people and for drift checks.
  double mean = 0.0;    // of the transformed values before scaling
  double stddev = 0.0;  // population standard deviation, same values
  double min = 0.0, max = 0.0;
  int64_t count = 0;    // present values seen at fit
  int64_t missing = 0;  // missing values seen at fit
  bool frozen = false;  // statistics carried over from the previous version

  int64_t cardinality() const { return static_cast<int64_t>(boundaries.size()) + 3; }
  bool applies(int32_t op) const { return (pointwise >> op) & 1u; }
};

// The fitted state of one categorical feature (or cross).
struct CategoricalState {
  std::string column;               // output name; the input column unless a cross
  std::vector<std::string> inputs;  // a cross's input columns; empty otherwise
  std::string encoding = "hash";    // hash | vocab
  int64_t buckets = 0;              // hash
  uint64_t seed = 0;                // hash
  // vocab: categories in index order (index of vocab[i] is i + 2). Integer-coded columns hold
  // their codes in decimal.
  std::vector<std::string> vocab;
  bool integer_codes = false;  // vocab over an integer column
  int64_t min_count = 1, max_size = 0;

  int64_t cardinality() const {
    return encoding == "vocab" ? static_cast<int64_t>(vocab.size()) + 2 : buckets + 2;
  }
};

// Everything needed to reproduce the features of a model: saved as features.json with every
// version, and the only thing a server needs besides the model.
struct FeatureState {
  std::vector<NumericState> numeric;
  std::vector<CategoricalState> categorical;

  int64_t dense_dim() const;
  int64_t categorical_dim() const;
  // Rows each categorical output's embedding table needs, in output order.
  std::vector<int64_t> cardinalities() const;
  // Output column names: dense (`age`, `age_missing`) and categorical (`age_bucket`, `country`).
  std::vector<std::string> dense_names() const;
  std::vector<std::string> categorical_names() const;

  nlohmann::json ToJson() const;
  // Reads any features.json format this build knows (above); keys a format made optional take
  // a fresh state's defaults. Throws ArtifactError naming `source` when the JSON does not describe
  // a FeatureState or is of a newer format.
  static FeatureState FromJson(const nlohmann::json& j, const std::string& source);
};

// Fits every feature of `specs` on `table`. Statistics are computed on the CPU in double precision,
// each op's on the output of the ops before it: the fill value (mean or median of the present
// values, or the constant), then mean and population standard deviation (Chan's parallel merge) or
// min and max, then exact quantile boundaries (numpy's linear interpolation, duplicates dropped).
// A column with no present value fills with the constant, or 0 for mean and median.
// Vocabularies keep categories seen at least min_count times, most frequent first, ties broken by
// the bytes, at most max_size. `previous`, when given, is the state of the version being retrained:
// its vocabularies are kept as they are and only grow (new categories appended, up to max_size),
// and `freeze` columns keep its numeric statistics. Throws DataError naming the column when it is
// missing from `table` or of a type its ops cannot use.
// The pass over the numeric columns (moments of the raw and of the clipped, log-scaled values)
// and the vocabulary counting pass (sort + reduce by key) run on `device`, in chunks through GPU
// memory on a CUDA one; medians and quantile boundaries are computed on the CPU.
FeatureState FitFeatures(const Table& table, const std::vector<FeatureSpec>& specs,
                         const FeatureState* previous = nullptr, const Device& device = Device{});

struct TransformOptions {
  // CUDA only: rows per chunk staged through pinned host buffers, double-buffered so that copies
  // of one chunk overlap the kernels of the other.
  int64_t chunk_rows = int64_t{1} << 21;
};

// Transforms the rows of `table` with `state`. `dense` receives rows * dense_dim() floats and
// `cats` rows * categorical_dim() int64 indices, both row-major; they are host pointers on a CPU
// device and device pointers on a CUDA one (where `stream` is the cudaStream_t the outputs are
// ordered on: the call returns once the work is queued on it). Throws DataError when a column is
// missing from `table` or has a type the state cannot use.
void TransformFeatures(const Table& table, const FeatureState& state, const Device& device,
                       float* dense, int64_t* cats, void* stream,
                       const TransformOptions& options = {});

// The columns a state reads: numeric inputs and categorical inputs (cross inputs included), each
// once, in state order.
std::vector<ColumnRequest> StateColumns(const FeatureState& state);

// Transforms `table` on `device` into host memory and returns it as a table: the dense outputs as
// f32 columns and the categorical outputs as i64 columns, named as dense_names() and
// categorical_names().
Table TransformToTable(const Table& table, const FeatureState& state, const Device& device,
                       const TransformOptions& options = {});

}  // namespace freshet
