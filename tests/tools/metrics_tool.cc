// Prints freshet's metrics of a CSV as JSON, for tests/e2e/metrics_parity.py to compare with
// scikit-learn and numpy.
//
//   freshet_metrics_tool TASK NUM_CLASSES THRESHOLD TP FP FN TN < rows.csv
//
// TASK is binary, multiclass or regression. The CSV has a header line (skipped), then one row per
// line: label, weight, then the prediction (binary: P(1); multiclass: NUM_CLASSES probabilities;
// regression: the prediction). TP FP FN TN are the payoffs of ExpectedValue (binary only). The
// output has "unweighted" (weights ignored) and "weighted" sections; each holds TaskMetrics and,
// for binary, the full ROC and precision-recall curves, the calibration bins, the confusion
// counts, ExpectedValue and TopFractionMetrics at 0.1 and 0.3.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "freshet/metrics.hpp"

namespace {

using freshet::Task;

nlohmann::json Num(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

nlohmann::json Points(const std::vector<freshet::CurvePoint>& points) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : points) out.push_back({p.x, p.y});
  return out;
}

nlohmann::json Section(Task task, int64_t k, const std::vector<float>& preds,
                       const std::vector<float>& labels, const std::vector<float>& weights,
                       double threshold, const freshet::Payoff& payoff) {
  const freshet::MetricOptions options{threshold, 10};
  nlohmann::json out = {
      {"metrics", freshet::TaskMetrics(task, k, preds, labels, weights, options)}};
  if (task != Task::kBinary) return out;
  constexpr size_t kAll = std::numeric_limits<size_t>::max();
  out["roc"] = Points(freshet::RocCurve(preds, labels, weights, kAll));
  out["pr"] = Points(freshet::PrCurve(preds, labels, weights, kAll));
  nlohmann::json bins = nlohmann::json::array();
  for (const auto& b : freshet::CalibrationBins(preds, labels, weights, 10)) {
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"mean_predicted", b.mean_predicted},
                    {"fraction_positive", b.fraction_positive},
                    {"weight", b.weight},
                    {"rows", b.rows}});
  }
  out["calibration"] = bins;
  const auto c = freshet::Confusion(preds, labels, weights, threshold);
  out["confusion"] = {{"tp", Num(c.tp)}, {"fp", Num(c.fp)}, {"fn", Num(c.fn)}, {"tn", Num(c.tn)}};
  out["expected_value"] = Num(freshet::ExpectedValue(preds, labels, weights, threshold, payoff));
  for (double fraction : {0.1, 0.3}) {
    const auto t = freshet::TopFractionMetrics(preds, labels, weights, fraction);
    out["top_fraction"][fraction == 0.1 ? "0.1" : "0.3"] = {{"precision", Num(t.precision)},
                                                            {"recall", Num(t.recall)},
                                                            {"lift", Num(t.lift)},
                                                            {"rows", t.rows}};
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: freshet_metrics_tool binary|multiclass|regression NUM_CLASSES THRESHOLD"
                 " TP FP FN TN < rows.csv\n";
    return 2;
  }
  const std::string task_name = argv[1];
  const Task task = task_name == "binary"       ? Task::kBinary
                    : task_name == "multiclass" ? Task::kMulticlass
                                                : Task::kRegression;
  if (task == Task::kRegression && task_name != "regression") {
    std::cerr << "freshet_metrics_tool: unknown task " << task_name << "\n";
    return 2;
  }
  const int64_t k = std::atoll(argv[2]);
  const double threshold = std::atof(argv[3]);
  const freshet::Payoff payoff{{std::strtof(argv[4], nullptr)},
                               {std::strtof(argv[5], nullptr)},
                               {std::strtof(argv[6], nullptr)},
                               {std::strtof(argv[7], nullptr)}};
  const size_t width = task == Task::kMulticlass ? static_cast<size_t>(k) : 1;
  std::vector<float> labels, weights, preds;
  std::string line;
  std::getline(std::cin, line);  // the header
  for (size_t row = 1; std::getline(std::cin, line); ++row) {
    if (line.empty()) continue;
    std::vector<float> fields;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, ',');) {
      char* end = nullptr;
      fields.push_back(std::strtof(field.c_str(), &end));
      if (end == field.c_str()) {
        std::cerr << "freshet_metrics_tool: line " << row + 1 << ": not a number: " << field
                  << "\n";
        return 1;
      }
    }
    if (fields.size() != 2 + width) {
      std::cerr << "freshet_metrics_tool: line " << row + 1 << ": expected " << 2 + width
                << " fields\n";
      return 1;
    }
    labels.push_back(fields[0]);
    weights.push_back(fields[1]);
    preds.insert(preds.end(), fields.begin() + 2, fields.end());
  }
  try {
    const nlohmann::json out = {
        {"rows", labels.size()},
        {"unweighted", Section(task, k, preds, labels, {}, threshold, payoff)},
        {"weighted", Section(task, k, preds, labels, weights, threshold, payoff)}};
    std::cout << out.dump() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "freshet_metrics_tool: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
