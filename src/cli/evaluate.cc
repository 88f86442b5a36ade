#include "cli/evaluate.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "freshet/error.hpp"
#include "freshet/io.hpp"
#include "freshet/metrics.hpp"
#include "freshet/validate.hpp"

namespace freshet::cli {
namespace {

// Where the models of cross-validation and repeated seeds go: nowhere.
class DiscardSink final : public ArtifactSink {
 public:
  void Write(const std::string&, std::string_view) override {}
  std::string Describe(const std::string& name) const override { return "(not kept) " + name; }
};

bool HasColumns(const Table& t, const std::vector<ColumnRequest>& cols) {
  return std::all_of(cols.begin(), cols.end(),
                     [&](const ColumnRequest& c) { return t.Find(c.name) != nullptr; });
}

int64_t Outputs(const Config& config, int64_t num_classes) {
  return config.task == Task::kMulticlass ? num_classes : 1;
}

}  // namespace

std::vector<EvalRows> ReadEvalSets(const Config& config, const Table& latest_rows,
                                   const std::vector<InputFile>& inputs) {
  std::vector<EvalRows> sets;
  for (const EvalSetSpec& spec : config.evaluation.sets) {
    EvalRows rows;
    rows.name = spec.name;
    if (spec.name == "latest") {
      rows.view = &latest_rows;
      for (const auto& in : inputs) {
        if (in.role == "eval") rows.files.push_back(in);
      }
      sets.push_back(std::move(rows));
      continue;
    }
    for (size_t i = 0; i < spec.files.size(); ++i) {
      InputFile in;
      in.path = spec.files[i];
      in.role = "eval:" + spec.name;
      in.sha256 = Sha256File(in.path);
      if (!spec.sha256[i].empty() && spec.sha256[i] != in.sha256) {
        throw DataError(in.path + ": evaluation set \"" + spec.name + "\" pins SHA-256 " +
                        spec.sha256[i] + " but the file's is " + in.sha256 +
                        " (the golden file changed; restore it or update the pin)");
      }
      Table t = ReadPartition(in.path, config.Columns(), config.data.hdf5_group);
      CheckPartition(t, config, in.path);
      if (t.rows() == 0)
        throw DataError(in.path + ": evaluation set \"" + spec.name + "\" file holds no rows");
      in.rows = t.rows();
      rows.table.Append(t);
      rows.files.push_back(in);
    }
    spdlog::info("evaluation set {}: {} rows from {} file(s)", spec.name, rows.table.rows(),
                 rows.files.size());
    sets.push_back(std::move(rows));
  }
  return sets;
}

std::vector<ModelScores> ScoreOn(const Config& config, const ScoredVersion& v, const EvalRows& set,
                                 const Device& device, bool with_fallback, const char* main_role) {
  std::vector<ModelScores> out;
  ModelScores main{main_role, v.name, {}, 1, ""};
  ModelScores fallback{"fallback", v.name, {}, 1, ""};
  try {
    const std::vector<ColumnRequest> need = StateColumns(*v.state);
    VersionScores s;
    if (HasColumns(set.rows(), need)) {
      s = ScoreVersion(*v.artifacts, *v.state, set.rows(), device, with_fallback);
    } else {
      Table t;
      for (const auto& f : set.files) {
        t.Append(ReadPartition(f.path, need, config.data.hdf5_group));
      }
      s = ScoreVersion(*v.artifacts, *v.state, t, device, with_fallback);
    }
    main.preds = std::move(s.main);
    main.outputs = s.outputs;
    main.error = s.main_error;
    if (with_fallback && s.has_fallback) {
      fallback.preds = std::move(s.fallback);
      fallback.outputs = s.outputs;
      fallback.error = s.fallback_error;
    }
    with_fallback = with_fallback && s.has_fallback;
  } catch (const Error& e) {
    main.error = fallback.error = e.what();
  }
  if (!main.error.empty()) {
    spdlog::warn("the {} {} could not be scored on evaluation set {}: {}", main_role, v.name,
                 set.name, main.error);
  }
  out.push_back(std::move(main));
  if (with_fallback) out.push_back(std::move(fallback));
  return out;
}

nlohmann::json EvaluateChallenger(const Config& config, const TrainOutcome& out,
                                  const ScoredVersion& challenger,
                                  const std::optional<ScoredVersion>& champion,
                                  const std::vector<EvalRows>& sets, const Device& device) {
  nlohmann::json json_sets = nlohmann::json::array();
  for (const EvalRows& set : sets) {
    std::vector<ModelScores> models;
    if (set.name == "latest") {
      models.push_back({"challenger", challenger.name, out.main.eval_predictions,
                        Outputs(config, out.num_classes), ""});
      if (out.fallback) {
        models.push_back({"fallback", challenger.name, out.fallback->eval_predictions,
                          Outputs(config, out.num_classes), ""});
      }
    } else {
      models = ScoreOn(config, challenger, set, device, out.fallback.has_value(), "challenger");
    }
    int64_t k = out.num_classes;
    if (champion) {
      auto scored = ScoreOn(config, *champion, set, device, false, "champion");
      if (scored.front().error.empty()) k = std::max(k, scored.front().outputs);
      models.insert(models.begin() + 1, std::move(scored.front()));
    }
    if (config.task != Task::kMulticlass) k = 0;
    json_sets.push_back(EvaluateSet(config, k, set, models));
  }
  return EvaluationJson(config, std::move(json_sets));
}

nlohmann::json VarianceEvidence(const Config& config, const FeatureState& state, const Table& train,
                                const Table& latest, const Device& device) {
  const EvaluationConfig& e = config.evaluation;
  nlohmann::json result = {{"cross_validation", nullptr}, {"seeds", nullptr}};
  DiscardSink sink;
  TrainOptions options;
  options.out = &sink;
  const auto metrics_of = [&](const TrainOutcome& o, const Table& rows) {
    MetricOptions opt;
    opt.threshold = e.threshold;
    opt.calibration_bins = e.calibration_bins;
    return TaskMetrics(config.task, o.num_classes, o.main.eval_predictions, o.eval_labels,
                       EvalWeights(config, rows), opt);
  };
  if (e.cv_folds > 1) {
    const int64_t n = train.rows();
    if (n < e.cv_folds * 2) {
      throw ConfigError(config.path +
                        ": evaluation.cross_validation.folds: " + std::to_string(e.cv_folds) +
                        " folds need at least " + std::to_string(e.cv_folds * 2) +
                        " training rows (there are " + std::to_string(n) + ")");
    }
    const auto folds = KFoldRows(n, e.cv_folds, config.train.seed);
    std::vector<nlohmann::json> runs;
    for (int f = 0; f < e.cv_folds; ++f) {
      const std::vector<int64_t>& held = folds[static_cast<size_t>(f)];
      std::vector<int64_t> fit;
      for (int g = 0; g < e.cv_folds; ++g) {
        if (g != f) fit.insert(fit.end(), folds[g].begin(), folds[g].end());
      }
      std::sort(fit.begin(), fit.end());
      const Table held_rows = train.Take(held);
      spdlog::info("cross-validation: fold {} of {} ({} rows held out)", f + 1, e.cv_folds,
                   held.size());
      const TrainOutcome o = TrainModel(config, state, train.Take(fit), held_rows, device, options);
      runs.push_back(metrics_of(o, held_rows));
    }
    result["cross_validation"] = VarianceSummary(runs);
    result["cross_validation"]["folds"] = e.cv_folds;
  }
  if (e.seeds > 0) {
    std::vector<nlohmann::json> runs;
    nlohmann::json seeds = nlohmann::json::array();
    for (int s = 1; s <= e.seeds; ++s) {
      Config c = config;
      c.train.seed = config.train.seed + static_cast<uint64_t>(s);
      spdlog::info("repeated seeds: {} of {} (seed {})", s, e.seeds, c.train.seed);
      const TrainOutcome o = TrainModel(c, state, train, latest, device, options);
      runs.push_back(metrics_of(o, latest));
      seeds.push_back(c.train.seed);
    }
    result["seeds"] = VarianceSummary(runs);
    result["seeds"]["seed_values"] = seeds;
  }
  return result;
}

}  // namespace freshet::cli
