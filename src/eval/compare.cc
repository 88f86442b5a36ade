// EvaluateSet: the three models' metrics on one evaluation set, their paired comparisons and
// curves (slices are in slices.cc).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "eval/bootstrap.h"
#include "eval/compare_internal.h"
#include "eval/metrics_internal.h"
#include "freshet/comparison.hpp"
#include "freshet/error.hpp"
#include "freshet/evaluation.hpp"
#include "freshet/metrics.hpp"
#include "kernels/parallel.h"

namespace freshet {
namespace {

using Json = nlohmann::json;
using metrics_internal::Num;

std::vector<float> PayoffVector(const Table& table, const PayoffValue& v) {
  if (v.column.empty()) return {static_cast<float>(v.constant)};
  return FiniteFloats(table, v.column, "payoff", false);
}

// Rows [i] of `v` repeated counts[i] times, `width` values a row; a single value stays.
std::vector<float> Take(const std::vector<float>& v, const std::vector<uint32_t>& counts,
                        size_t width) {
  if (v.size() <= 1 && width == 1 && counts.size() != 1) return v;
  std::vector<float> out;
  out.reserve(v.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    for (uint32_t c = 0; c < counts[i]; ++c) {
      out.insert(out.end(), v.begin() + static_cast<std::ptrdiff_t>(i * width),
                 v.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
    }
  }
  return out;
}

}  // namespace

namespace compare_internal {

EvalContext ContextOf(const Config& config, int64_t num_classes) {
  EvalContext ctx;
  ctx.task = config.task;
  ctx.num_classes = num_classes;
  ctx.options.threshold = config.evaluation.threshold;
  ctx.options.calibration_bins = config.evaluation.calibration_bins;
  ctx.bootstrap = config.evaluation.bootstrap;
  ctx.primary = config.evaluation.primary_metric;
  ctx.min_slice_rows = config.evaluation.min_slice_rows;
  ctx.curve_points = config.evaluation.curve_points;
  return ctx;
}

ProductInputs ProductInputsOf(const ProductMetricSpec& spec, const Table& table,
                              const std::vector<float>& weights) {
  ProductInputs in;
  if (spec.kind == "payoff") {
    in.payoff = {PayoffVector(table, spec.tp), PayoffVector(table, spec.fp),
                 PayoffVector(table, spec.fn), PayoffVector(table, spec.tn)};
    in.weights = weights;
  } else if (spec.kind == "weighted") {
    in.weights = FiniteFloats(table, spec.weight_column, "product metric weight", true);
    for (size_t i = 0; i < weights.size(); ++i) in.weights[i] *= weights[i];
  } else {
    in.weights = weights;
  }
  return in;
}

ProductInputs Resample(const ProductInputs& in, const std::vector<uint32_t>& counts) {
  ProductInputs out;
  out.payoff = {Take(in.payoff.tp, counts, 1), Take(in.payoff.fp, counts, 1),
                Take(in.payoff.fn, counts, 1), Take(in.payoff.tn, counts, 1)};
  out.weights = in.weights.empty() ? in.weights : Take(in.weights, counts, 1);
  return out;
}

double ProductValue(const ProductMetricSpec& spec, const EvalContext& ctx,
                    const std::vector<float>& preds, const std::vector<float>& labels,
                    const ProductInputs& in) {
  if (spec.kind == "payoff") {
    return ExpectedValue(preds, labels, in.weights, ctx.options.threshold, in.payoff);
  }
  if (spec.kind == "top_fraction") {
    const TopFraction t = TopFractionMetrics(preds, labels, in.weights, spec.fraction);
    return spec.measure == "recall" ? t.recall : spec.measure == "lift" ? t.lift : t.precision;
  }
  return MetricValue(spec.metric, ctx.task, ctx.num_classes, preds, labels, in.weights,
                     ctx.options);
}

bool ProductHigherIsBetter(const ProductMetricSpec& spec) {
  return spec.kind == "weighted" ? HigherIsBetter(spec.metric) : true;
}

// {challenger, other, delta, improvement, lower, upper, improvement_lower, improvement_upper,
//  resamples, dropped}: delta = challenger - other, improvement = delta signed so that > 0 is
// better for the challenger; [lower, upper] the delta's interval.
Json ComparisonJson(double challenger, double other, const BootstrapInterval& b, bool higher,
                    bool with_interval) {
  const double sign = higher ? 1.0 : -1.0;
  const double delta = challenger - other;
  Json j = {{"challenger", Num(challenger)},
            {"other", Num(other)},
            {"delta", Num(delta)},
            {"improvement", Num(delta * sign)},
            {"higher_is_better", higher}};
  if (with_interval) {
    j["lower"] = Num(b.lower);
    j["upper"] = Num(b.upper);
    j["improvement_lower"] = Num(higher ? b.lower : -b.upper);
    j["improvement_upper"] = Num(higher ? b.upper : -b.lower);
    j["resamples"] = b.resamples;
    j["dropped"] = b.dropped;
  }
  return j;
}

}  // namespace compare_internal

using namespace compare_internal;

std::vector<float> EvalLabels(const Config& config, const Table& table) {
  return FiniteFloats(table, config.data.label, "label", false);
}

std::vector<float> EvalWeights(const Config& config, const Table& table) {
  if (config.train.weight_column.empty()) return {};
  return FiniteFloats(table, config.train.weight_column, "weight", true);
}

namespace {

// A paired bootstrap of a product metric: each resample's rows materialised (a row drawn c times
// is there c times), the same draws as PairedBootstrap's for the same seed.
BootstrapInterval ProductBootstrap(const ProductMetricSpec& spec, const EvalContext& ctx,
                                   const std::vector<float>& a, const std::vector<float>& b,
                                   const std::vector<float>& labels, const ProductInputs& in) {
  const BootstrapSpec& bs = ctx.bootstrap;
  BootstrapInterval out;
  const size_t n = labels.size();
  const size_t width = n ? a.size() / n : 1;
  std::vector<double> deltas(static_cast<size_t>(bs.resamples), std::nan(""));
  if (n > 0) {
    kernels::ParallelFor(bs.resamples, 1, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const std::vector<uint32_t> counts = bootstrap_internal::ResampleCounts(n, bs.seed, r);
        const std::vector<float> y = Take(labels, counts, 1);
        const ProductInputs rin = Resample(in, counts);
        const double va = ProductValue(spec, ctx, Take(a, counts, width), y, rin);
        const double vb = ProductValue(spec, ctx, Take(b, counts, width), y, rin);
        deltas[static_cast<size_t>(r)] = std::isnan(va) || std::isnan(vb) ? std::nan("") : va - vb;
      }
    });
  }
  std::vector<double> kept;
  for (double d : deltas) {
    if (!std::isnan(d)) kept.push_back(d);
  }
  out.resamples = static_cast<int>(kept.size());
  out.dropped = bs.resamples - out.resamples;
  if (kept.empty()) {
    out.lower = out.upper = std::nan("");
    return out;
  }
  std::sort(kept.begin(), kept.end());
  out.lower = bootstrap_internal::LinearQuantile(kept, (1 - bs.confidence) / 2);
  out.upper = bootstrap_internal::LinearQuantile(kept, (1 + bs.confidence) / 2);
  return out;
}

Json CurvesJson(const EvalContext& ctx, const std::vector<float>& p,
                const std::vector<float>& labels, const std::vector<float>& weights) {
  const auto pairs = [](const std::vector<CurvePoint>& pts) {
    Json a = Json::array();
    for (const auto& pt : pts) a.push_back({pt.x, pt.y});
    return a;
  };
  Json cal = Json::array();
  for (const auto& b : CalibrationBins(p, labels, weights, ctx.options.calibration_bins)) {
    cal.push_back({{"lower", b.lower},
                   {"upper", b.upper},
                   {"mean_predicted", b.mean_predicted},
                   {"fraction_positive", b.fraction_positive},
                   {"rows", b.rows},
                   {"weight", b.weight}});
  }
  const size_t points = static_cast<size_t>(ctx.curve_points);
  return {{"roc", pairs(RocCurve(p, labels, weights, points))},
          {"pr", pairs(PrCurve(p, labels, weights, points))},
          {"calibration", cal}};
}

}  // namespace

nlohmann::json EvaluateSet(const Config& config, int64_t num_classes, const EvalRows& rows,
                           const std::vector<ModelScores>& models) {
  FRESHET_CHECK(!models.empty() && models.front().role == "challenger",
                "EvaluateSet needs the challenger first");
  EvalContext ctx = ContextOf(config, num_classes);
  const std::vector<float> labels = EvalLabels(config, rows.rows());
  const std::vector<float> weights = EvalWeights(config, rows.rows());
  const size_t n = labels.size();

  // Multiclass: every model's probabilities over the same K classes, every label one of them.
  if (ctx.task == Task::kMulticlass) {
    for (size_t i = 0; i < n; ++i) {
      if (!(labels[i] >= 0 && labels[i] < static_cast<float>(num_classes) &&
            labels[i] == std::floor(labels[i]))) {
        throw DataError("evaluation set " + rows.name + ": label column \"" + config.data.label +
                        "\", row " + std::to_string(i) + ": " + std::to_string(labels[i]) +
                        " is not a class id the models know (0 to " +
                        std::to_string(num_classes - 1) + ")");
      }
    }
  }
  std::vector<ModelScores> scored;
  for (ModelScores m : models) {
    if (m.error.empty() && m.preds.size() != n * static_cast<size_t>(m.outputs)) {
      m.error =
          "gave " + std::to_string(m.preds.size()) + " values for " + std::to_string(n) + " rows";
    }
    if (m.error.empty() && ctx.task == Task::kMulticlass && m.outputs < num_classes && n > 0) {
      std::vector<float> padded(n * static_cast<size_t>(num_classes), 0.0f);
      for (size_t i = 0; i < n; ++i) {
        std::copy_n(m.preds.begin() + static_cast<std::ptrdiff_t>(i * m.outputs), m.outputs,
                    padded.begin() + static_cast<std::ptrdiff_t>(i * num_classes));
      }
      m.preds = std::move(padded);
      m.outputs = num_classes;
    }
    scored.push_back(std::move(m));
  }

  std::vector<ProductInputs> product_inputs;
  for (const auto& spec : config.evaluation.product_metrics) {
    product_inputs.push_back(ProductInputsOf(spec, rows.rows(), weights));
  }

  Json files = Json::array();
  for (const auto& f : rows.files) {
    files.push_back({{"path", f.path}, {"sha256", f.sha256}, {"rows", f.rows}});
  }
  double total_weight = 0;
  for (size_t i = 0; i < n; ++i) total_weight += metrics_internal::WeightAt(weights, i);
  Json set = {{"name", rows.name},
              {"files", files},
              {"rows", static_cast<int64_t>(n)},
              {"weight", total_weight},
              {"label", LabelSummary(ctx.task, std::max<int64_t>(num_classes, 1), labels)},
              {"models", Json::object()},
              {"comparisons", Json::object()}};

  for (const ModelScores& m : scored) {
    Json mj = {{"version", m.version}};
    if (!m.error.empty()) {
      mj["error"] = m.error;
    } else {
      mj["metrics"] = TaskMetrics(ctx.task, num_classes, m.preds, labels, weights, ctx.options);
      Json product = Json::object();
      for (size_t i = 0; i < product_inputs.size(); ++i) {
        const auto& spec = config.evaluation.product_metrics[i];
        product[spec.name] = Num(ProductValue(spec, ctx, m.preds, labels, product_inputs[i]));
      }
      if (!product.empty()) mj["product_metrics"] = product;
    }
    set["models"][m.role] = mj;
  }

  const ModelScores& challenger = scored.front();
  const bool interval = ctx.bootstrap.resamples > 0;
  for (const ModelScores& other : scored) {
    if (other.role == "challenger" || !challenger.error.empty() || !other.error.empty()) continue;
    Json cmp = Json::object();
    const std::vector<std::string> names = TaskMetricNames(ctx.task);
    std::vector<BootstrapInterval> intervals(names.size());
    if (interval) {
      intervals = PairedBootstraps(names, ctx.task, num_classes, challenger.preds, other.preds,
                                   labels, weights, ctx.bootstrap.resamples, ctx.bootstrap.seed,
                                   ctx.bootstrap.confidence, ctx.options);
    }
    for (size_t k = 0; k < names.size(); ++k) {
      const std::string& metric = names[k];
      const Json& cm = set["models"]["challenger"]["metrics"];
      const Json& om = set["models"][other.role]["metrics"];
      const double a = cm[metric].is_number() ? cm[metric].get<double>() : std::nan("");
      const double o = om[metric].is_number() ? om[metric].get<double>() : std::nan("");
      cmp[metric] = ComparisonJson(a, o, intervals[k], HigherIsBetter(metric), interval);
    }
    for (size_t i = 0; i < product_inputs.size(); ++i) {
      const auto& spec = config.evaluation.product_metrics[i];
      BootstrapInterval b;
      if (interval) {
        b = ProductBootstrap(spec, ctx, challenger.preds, other.preds, labels, product_inputs[i]);
      }
      const double a = ProductValue(spec, ctx, challenger.preds, labels, product_inputs[i]);
      const double o = ProductValue(spec, ctx, other.preds, labels, product_inputs[i]);
      cmp[spec.name] = ComparisonJson(a, o, b, ProductHigherIsBetter(spec), interval);
    }
    set["comparisons"][other.role] = cmp;
  }

  set["slices"] = SlicesJson(config, ctx, rows.rows(), labels, weights, scored);
  if (ctx.task == Task::kBinary) {
    Json curves = Json::object();
    for (const ModelScores& m : scored) {
      if (m.error.empty() && !metrics_internal::AnyNan(m.preds)) {
        curves[m.role] = CurvesJson(ctx, m.preds, labels, weights);
      }
    }
    set["curves"] = curves;
  }
  return set;
}

nlohmann::json EvaluationJson(const Config& config, nlohmann::json sets) {
  const auto& e = config.evaluation;
  return {{"primary_set", e.primary_set},
          {"primary_metric", e.primary_metric},
          {"threshold", e.threshold},
          {"bootstrap",
           {{"resamples", e.bootstrap.resamples},
            {"seed", e.bootstrap.seed},
            {"confidence", e.bootstrap.confidence},
            {"method", "paired percentile"}}},
          {"sets", std::move(sets)}};
}

std::vector<std::vector<int64_t>> KFoldRows(int64_t rows, int folds, uint64_t seed) {
  FRESHET_CHECK(folds >= 2, "k-fold needs at least 2 folds");
  std::vector<int64_t> perm(static_cast<size_t>(std::max<int64_t>(rows, 0)));
  std::iota(perm.begin(), perm.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(folds));
  for (size_t i = 0; i < perm.size(); ++i) out[i % static_cast<size_t>(folds)].push_back(perm[i]);
  for (auto& f : out) std::sort(f.begin(), f.end());
  return out;
}

nlohmann::json VarianceSummary(const std::vector<nlohmann::json>& runs) {
  Json metrics = Json::object();
  if (!runs.empty() && runs.front().is_object()) {
    for (const auto& item : runs.front().items()) {
      std::vector<double> values;
      Json listed = Json::array();
      for (const Json& r : runs) {
        const Json& v = r.contains(item.key()) ? r[item.key()] : Json();
        listed.push_back(v);
        if (v.is_number()) values.push_back(v.get<double>());
      }
      double mean = std::nan(""), sd = std::nan("");
      if (!values.empty()) {
        double s = 0;
        for (double v : values) s += v;
        mean = s / static_cast<double>(values.size());
      }
      if (values.size() > 1) {
        double ss = 0;
        for (double v : values) ss += (v - mean) * (v - mean);
        sd = std::sqrt(ss / static_cast<double>(values.size() - 1));
      }
      metrics[item.key()] = {{"mean", Num(mean)}, {"std", Num(sd)}, {"values", listed}};
    }
  }
  return {{"runs", runs.size()}, {"metrics", metrics}};
}

}  // namespace freshet
