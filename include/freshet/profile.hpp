// The statistics of a batch of rows that the data gate checks and compares: per column the row
// count, missing values, moments, min / max, quantiles, a histogram on quantile bins, distinct
// values of few-valued numeric columns, category counts (top K plus "other"), and a seeded sample
// of numeric values for the tests that need raw values (KS, Wasserstein). Saved with every version
// as profile.json: the reference the next run's drift checks compare against, without the old
// rows.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/io.hpp"
#include "freshet/table.hpp"
#include "kernels/device.h"

namespace freshet {

inline constexpr const char kProfileFile[] = "profile.json";
inline constexpr const char kProfileFormat[] = "freshet.profile/1";

// The quantile levels every numeric column reports.
inline constexpr double kProfileQuantiles[] = {0.0,  0.01, 0.05, 0.1,  0.25, 0.5,
                                               0.75, 0.9,  0.95, 0.99, 1.0};

// Distinct values tracked exactly per numeric column; a column with more is "many-valued".
inline constexpr int kDistinctCap = 32;

struct NumericProfile {
  int64_t count = 0;                           // present (finite) values
  int64_t nan = 0;                             // missing: NaN or absent
  int64_t inf = 0;                             // +Inf or -Inf (counted apart; not in the moments)
  double mean = 0, std = 0, min = 0, max = 0;  // of the finite values; std is the population's
  std::vector<double> quantiles;               // at kProfileQuantiles, numpy's linear method
  std::vector<double> edges;  // histogram edges: the reference's quantile bins (unique, sorted)
  std::vector<int64_t> hist;  // finite values per bin (edges.size() - 1), outer bins open
  // Distinct finite values and their counts, ascending, when there are at most kDistinctCap;
  // `many` is true (and `distinct` empty) when there are more.
  std::vector<std::pair<double, int64_t>> distinct;
  bool many = false;
  std::vector<double> sample;  // sorted; every finite value when count <= the sample size
};

struct CategoricalProfile {
  int64_t count = 0;    // present values
  int64_t missing = 0;  // missing rows
  int64_t distinct = 0;
  std::vector<std::pair<std::string, int64_t>> top;  // most frequent first, ties by value
  int64_t other = 0;                                 // present values not in `top`
};

struct ColumnProfile {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
  std::string dtype;  // as stored: "f32", "f64", "i32", "i64", "string"
  int64_t rows = 0;
  NumericProfile numeric;          // kind == kNumeric
  CategoricalProfile categorical;  // kind == kCategorical

  int64_t missing() const {
    return kind == ColumnKind::kNumeric ? numeric.nan : categorical.missing;
  }
};

struct ProfileOptions {
  int bins = 20;
  int top_k = 1000;
  int64_t sample_size = 10000;
  uint64_t seed = 0;
  // Counts only: a numeric column's count, nan, inf, min and max (no moments, quantiles,
  // histogram, distinct values or sample), a categorical column's counts and top values, and the
  // duplicate rows. What a check of rows against a schema reads, when there is no reference
  // profile to compare distributions with.
  bool counts_only = false;
};

struct Profile {
  int64_t rows = 0;
  int64_t duplicate_rows = 0;  // rows equal (in every profiled column) to an earlier row
  ProfileOptions options;
  std::vector<ColumnProfile> columns;  // the features' columns in config order, then the label

  const ColumnProfile* Find(const std::string& name) const;
};

// One column to profile: its name in the table and how the config declares it.
struct ProfileColumn {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
};

// Profiles `columns` of `table`. Histograms use the bins of the same column in `reference` when it
// has one (so counts compare), else this data's own quantile bins. On a CUDA `device`, moments and
// histograms run in one pass per kind there (kernels/column_moments.h, kernels/column_histogram.h;
// the columns copied to it in chunks); on the CPU they come from the host pass, with the same
// numbers. Quantiles, distinct values, category counts and the sample run on the CPU, one column
// per thread. Throws DataError naming a column that is absent or of the wrong type.
Profile ComputeProfile(const Table& table, const std::vector<ProfileColumn>& columns,
                       const ProfileOptions& options, const Profile* reference,
                       const Device& device);

// profile.json and back. FromJson throws ArtifactError naming `source` when the JSON is not a
// profile of kProfileFormat.
nlohmann::json ProfileToJson(const Profile& p);
Profile ProfileFromJson(const nlohmann::json& j, const std::string& source);

}  // namespace freshet
