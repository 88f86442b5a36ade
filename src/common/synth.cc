#include "freshet/synth.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "freshet/error.hpp"
#include "freshet/io.hpp"

namespace freshet {
namespace {

const std::vector<std::string> kCountries = {
    "US", "GB", "DE", "FR", "IN", "BR", "JP", "CA", "AU", "ES", "IT", "NL", "SE", "MX", "KR",
    "PL", "TR", "AR", "ZA", "NG", "EG", "ID", "PH", "VN", "CH", "AT", "BE", "DK", "NO", "FI"};
const std::vector<std::string> kPlans = {"free", "basic", "pro", "enterprise"};
const std::vector<std::string> kDevices = {"ios", "android", "web"};
constexpr int64_t kDaySeconds = 86400;
constexpr int64_t kStartTs = 1767225600;  // 2026-01-01T00:00:00Z

// The hidden model's weights on one day, over standardised numeric inputs and per-category effects.
struct Weights {
  double bias = -1.0;
  std::vector<double> numeric;  // age, income, sessions_7d, spend_30d, tenure_days, support_tickets
  std::vector<double> country;
  std::vector<double> plan;
  std::vector<double> device;
};

const std::vector<std::string> kNumericNames = {"age",       "income",      "sessions_7d",
                                                "spend_30d", "tenure_days", "support_tickets"};

// Empty strings are the synthetic data's missing values.
Column StringsEmptyMissing(const std::string& name, const std::vector<std::string>& v) {
  std::vector<uint8_t> valid;
  bool any_missing = false;
  for (const auto& s : v) any_missing |= s.empty();
  if (any_missing) {
    for (const auto& s : v) valid.push_back(s.empty() ? 0 : 1);
  }
  return StringColumn(name, v, std::move(valid));
}

nlohmann::json WeightsJson(const Weights& w) {
  nlohmann::json num;
  for (size_t j = 0; j < kNumericNames.size(); ++j) num[kNumericNames[j]] = w.numeric[j];
  nlohmann::json plan, country;
  for (size_t j = 0; j < kPlans.size(); ++j) plan[kPlans[j]] = w.plan[j];
  for (size_t j = 0; j < kCountries.size(); ++j) country[kCountries[j]] = w.country[j];
  return {{"bias", w.bias}, {"numeric", num}, {"plan", plan}, {"country", country}};
}

}  // namespace

nlohmann::json WriteSynthetic(const SynthOptions& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) throw IoError(o.out_dir + ": create folder: " + ec.message());

  std::mt19937_64 wrng(o.seed);
  std::normal_distribution<double> unit(0.0, 1.0);
  Weights w;
  w.numeric = {0.4, -0.6, -0.9, -0.5, -0.7, 0.8};
  for (size_t i = 0; i < kCountries.size(); ++i) w.country.push_back(0.5 * unit(wrng));
  w.plan = {0.8, 0.2, -0.4, -1.0};
  w.device = {-0.1, 0.2, 0.0};

  nlohmann::json truth = {
      {"seed", o.seed},
      {"days", o.days},
      {"rows_per_day", o.rows},
      {"label", "churned"},
      {"drift_day", o.drift_day > 0 ? nlohmann::json(o.drift_day) : nullptr},
      {"drifting_columns", o.drift_day > 0 ? nlohmann::json({"income", "sessions_7d", "country"})
                                           : nlohmann::json::array()},
      {"stable_columns", {"age", "spend_30d", "tenure_days", "support_tickets", "plan", "device"}},
      {"weights_by_day", nlohmann::json::array()}};

  for (int day = 1; day <= o.days; ++day) {
    const bool drifted = o.drift_day > 0 && day >= o.drift_day;
    // The hidden model drifts slowly every day and jumps once on the drift day.
    for (auto& x : w.numeric) x += 0.03 * unit(wrng);
    if (o.drift_day > 0 && day == o.drift_day) {
      w.numeric[1] = -w.numeric[1];
      w.numeric[2] *= 0.3;
      for (auto& x : w.country) x = 0.5 * unit(wrng);
    }
    truth["weights_by_day"].push_back(WeightsJson(w));

    std::mt19937_64 rng(o.seed * 1000003ULL + static_cast<uint64_t>(day));
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    std::normal_distribution<double> n01(0.0, 1.0);
    const double nan = std::nan("");
    // Country popularity is Zipf-like; after the drift the ranking rotates.
    std::vector<double> cw;
    for (size_t i = 0; i < kCountries.size(); ++i) {
      const size_t rank = drifted ? (i + 7) % kCountries.size() : i;
      cw.push_back(1.0 / (1.0 + static_cast<double>(rank)));
    }
    std::discrete_distribution<int> country_d(cw.begin(), cw.end());
    std::discrete_distribution<int> plan_d({0.45, 0.3, 0.18, 0.07});
    std::discrete_distribution<int> device_d({0.35, 0.4, 0.25});
    std::poisson_distribution<int> tickets_d(0.7);
    std::gamma_distribution<double> spend_d(2.0, 40.0);
    std::uniform_int_distribution<int64_t> user_d(1, 5000000);

    const int64_t n = o.rows;
    std::vector<int64_t> ts(n), tenure(n), user(n);
    std::vector<double> age(n), income(n), spend(n);
    std::vector<float> sessions(n);
    std::vector<int32_t> tickets(n), label(n);
    std::vector<std::string> country(n), plan(n), device(n);
    for (int64_t i = 0; i < n; ++i) {
      ts[i] = kStartTs + (day - 1) * kDaySeconds + (i * kDaySeconds) / std::max<int64_t>(n, 1);
      const double a = std::clamp(40.0 + 12.0 * n01(rng), 18.0, 90.0);
      const double inc = std::exp(10.5 + (drifted ? 0.4 : 0.0) + 0.5 * n01(rng));
      const double ses = std::max(0.0, (drifted ? 9.0 : 6.0) + 3.0 * n01(rng));
      const double sp = spend_d(rng);
      const int64_t ten = static_cast<int64_t>(u01(rng) * 3650);
      const int tk = tickets_d(rng);
      const int ci = country_d(rng), pi = plan_d(rng), di = device_d(rng);
      // Standardised inputs of the hidden model, from the pre-drift reference distributions.
      const double z[6] = {(a - 40.0) / 12.0,  (std::log(inc) - 10.5) / 0.5, (ses - 6.0) / 3.0,
                           (sp - 80.0) / 56.6, (ten - 1825.0) / 1054.0,      (tk - 0.7) / 0.84};
      double logit = w.bias + w.country[ci] + w.plan[pi] + w.device[di];
      for (int j = 0; j < 6; ++j) logit += w.numeric[j] * z[j];
      label[i] = u01(rng) < 1.0 / (1.0 + std::exp(-logit)) ? 1 : 0;

      age[i] = u01(rng) < 0.05 ? nan : a;
      income[i] = u01(rng) < 0.08 ? nan : inc;
      sessions[i] = u01(rng) < 0.03 ? static_cast<float>(nan) : static_cast<float>(ses);
      spend[i] = u01(rng) < 0.04 ? nan : sp;
      tenure[i] = ten;
      tickets[i] = tk;
      country[i] = u01(rng) < 0.02 ? "" : kCountries[ci];
      plan[i] = kPlans[pi];
      device[i] = u01(rng) < 0.01 ? "" : kDevices[di];
      user[i] = user_d(rng);
    }
    Table t;
    t.columns.push_back(NumericColumn("ts", DType::kI64, ts));
    t.columns.push_back(NumericColumn("age", DType::kF64, age));
    t.columns.push_back(NumericColumn("income", DType::kF64, income));
    t.columns.push_back(NumericColumn("sessions_7d", DType::kF32, sessions));
    t.columns.push_back(NumericColumn("spend_30d", DType::kF64, spend));
    t.columns.push_back(NumericColumn("tenure_days", DType::kI64, tenure));
    t.columns.push_back(NumericColumn("support_tickets", DType::kI32, tickets));
    t.columns.push_back(StringsEmptyMissing("country", country));
    t.columns.push_back(StringsEmptyMissing("plan", plan));
    t.columns.push_back(StringsEmptyMissing("device", device));
    t.columns.push_back(NumericColumn("user_id", DType::kI64, user));
    t.columns.push_back(NumericColumn("churned", DType::kI32, label));
    char name[32];
    std::snprintf(name, sizeof(name), "day-%04d.h5", day);
    WriteHdf5((fs::path(o.out_dir) / name).string(), t);
  }

  const std::string truth_path = (fs::path(o.out_dir) / "truth.json").string();
  std::ofstream out(truth_path);
  out << truth.dump(2) << "\n";
  out.close();
  if (!out) throw IoError(truth_path + ": write failed");
  return truth;
}

}  // namespace freshet
