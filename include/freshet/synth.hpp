// A synthetic, drifting tabular dataset: the built-in sample data of the demo and the tests.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace freshet {

struct SynthOptions {
  std::string out_dir;
  int days = 10;
  int64_t rows = 20000;  // per day
  uint64_t seed = 1;
  int drift_day = 0;  // 1-based day of the abrupt change; 0 = none
};

// Writes one HDF5 partition per day (`day-0001.h5`, ...) into out_dir, plus `truth.json`: the
// hidden model's weights per day and which columns drift on which day. Columns: `ts` (i64 Unix
// seconds), numeric `age`, `income`, `sessions_7d`, `spend_30d` (floats with missing values as
// NaN), `tenure_days` and `support_tickets` (integers), categorical `country`, `plan`, `device`
// (strings, missing as ""), `user_id` (i64 codes), and the binary label `churned` (i32), drawn from
// a logistic model whose weights move slowly from day to day and jump on the drift day, when
// `income`, `sessions_7d` and `country` also change distribution. The same options give the same
// values. Returns the truth object. Throws IoError when out_dir cannot be written.
nlohmann::json WriteSynthetic(const SynthOptions& options);

}  // namespace freshet
