// The `validate:` section of a model's config: how the data gate profiles a batch, which anomalies
// it raises at which severity, and how it decides drift. Every key has a default (README, "The
// data gate").
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>

namespace freshet {

// What an anomaly or a drift finding does to a run: nothing (off), a warning that is reported and
// lets training go on, or a failure that stops the run with exit 5.
enum class Severity { kOff, kWarn, kFail };

// "off", "warn" or "fail".
const char* SeverityName(Severity s);

// How drift is decided for a column. `method` is "auto" (Evidently's choice by reference size and
// column type: KS / chi-squared / proportion z-test on references of at most 1000 rows, normalised
// Wasserstein / Jensen-Shannon above) or one of "ks", "chisquare", "z", "wasserstein",
// "jensenshannon", "psi". `warn` and `fail` are the method's thresholds (p-values for the tests:
// drift when p < threshold, KS p <= threshold; distances: drift when value >= threshold); NaN =
// the method's default for warn (0.05 for tests, 0.1 for distances) and no fail level.
struct DriftRule {
  std::string method = "auto";
  double warn = std::numeric_limits<double>::quiet_NaN();
  double fail = std::numeric_limits<double>::quiet_NaN();
};

struct ColumnValidate {
  bool has_drift = false;
  DriftRule drift;
  std::map<std::string, Severity> severity;  // anomaly name -> severity, for this column
};

struct ValidateConfig {
  bool enabled = true;
  // Profile.
  int bins = 20;                // quantile bins of a numeric column's histogram
  int top_k = 1000;             // category counts kept per column (the rest is "other")
  int64_t sample_size = 10000;  // seeded sample per numeric column for KS and Wasserstein
  uint64_t seed = 0;
  // Schema inference and tolerances.
  int domain_max_size = 100;                   // a categorical domain is inferred up to this size
  double out_of_range_fraction = 0.001;        // values outside the schema's range allowed
  double unexpected_category_fraction = 0.01;  // mass of categories outside the domain allowed
  double duplicate_fraction = 0.05;            // duplicate rows allowed in the fresh rows
  double min_rows_ratio = 0.5;                 // a partition's rows against recent partitions'
  double max_rows_ratio = 2.0;
  int64_t min_drift_rows = 30;  // a drift test with fewer rows on either side does not decide
  DriftRule drift;              // every column's, unless `columns` says otherwise
  // Dataset drift: this share of the decided columns drifted (Evidently's 0.5). A warning by
  // default: drift is what retraining is for; a failure stops the run that would adapt to it.
  double drift_share_warn = 0.5;
  double drift_share_fail = std::numeric_limits<double>::quiet_NaN();
  std::map<std::string, Severity> severity;  // anomaly name -> severity, for every column
  std::map<std::string, ColumnValidate> columns;
};

}  // namespace freshet
