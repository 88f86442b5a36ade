// Publishing the online model (online.hpp): a registry version holding the features, the model
// files, an eval.json of the prequential metrics since the last publish against the champion's on
// the same records, and a manifest recording the stream range it learnt from; the gate's rules
// decide its channels.
#include <cmath>

#include <spdlog/spdlog.h>

#include "freshet/error.hpp"
#include "freshet/gate_policy.hpp"
#include "online/runner.h"

namespace freshet::online {
namespace {

// The task metrics a stream measures, in eval.json order.
std::vector<std::string> StreamMetrics(Task task) {
  if (task == Task::kRegression) return {"mae", "rmse"};
  if (task == Task::kMulticlass) return {"log_loss", "accuracy"};
  return {"log_loss", "accuracy", "auc"};
}

bool HigherBetter(const std::string& m) { return m == "accuracy" || m == "auc"; }

nlohmann::json Value(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json MetricsOf(const PrequentialMetrics& p, Task task) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& m : StreamMetrics(task)) j[m] = Value(p.Window(m));
  return j;
}

// The gate's rules that a stream can answer: task metrics it measures, against the champion.
std::vector<GateRule> StreamRules(const std::vector<GateRule>& rules, Task task,
                                  std::vector<std::string>* left_out) {
  const auto metrics = StreamMetrics(task);
  std::vector<GateRule> out;
  for (GateRule r : rules) {
    const bool known = std::find(metrics.begin(), metrics.end(), r.metric) != metrics.end();
    if (!known || r.kind == "max_slice_drop" || r.against == "fallback") {
      left_out->push_back(r.name.empty() ? r.kind + " " + r.metric : r.name);
      continue;
    }
    r.set = "stream";
    r.bound = "point";
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

void Runner::MaybePublish(bool force) {
  if (!options_.publish || !ready_ || window_trained_ == 0) return;
  const double minutes = std::chrono::duration<double>(Clock::now() - last_publish_).count() / 60.0;
  if (publish_requested_) {
    Publish("a drift response");
  } else if (force) {
    Publish("the run ends (" + summary_.stop_reason + ")");
  } else if (oc_.publish_minutes > 0 && minutes >= oc_.publish_minutes) {
    Publish("every " + Value(oc_.publish_minutes).dump() + " minutes");
  }
}

void Runner::Publish(const std::string& why) {
  publish_requested_ = false;
  WriteCheckpointNow();  // a crash during the publish resumes from here, nothing learnt twice
  const std::string& model = config_.model;
  // A champion moved by someone else since this run compared with it voids the comparison.
  const auto holder = registry_.Holder(model, "champion");
  if (holder && (!has_champion_ || holder->number != champion_.number)) {
    Log("the champion is now " + holder->name +
        " (moved outside this run); comparing with it from "
        "the next publish");
    try {
      OpenChampion(*holder, false);
    } catch (const Error& e) {
      champion_ = Champion{};
      champion_.number = holder->number;
      champion_.error = e.what();
      has_champion_ = true;
    }
    champ_window_ = std::make_unique<PrequentialMetrics>(config_.task, learner_->outputs(),
                                                         oc_.metric_window, oc_.fading_factor);
  }
  const std::optional<int64_t> champion =
      has_champion_ ? std::optional<int64_t>(champion_.number) : std::nullopt;
  const std::string primary = ResolvedPrimaryMetric(config_.evaluation, config_.task);

  auto writer = registry_.Lock(model, 60);
  VersionDraft draft = writer.NewVersion();
  nlohmann::json set = {{"name", "stream"},
                        {"rows", window_->rows()},
                        {"weight", window_->rows()},
                        {"files", nlohmann::json::array()},
                        {"slices", nlohmann::json::array()}};
  set["models"]["challenger"] = {{"version", draft.name()},
                                 {"metrics", MetricsOf(*window_, config_.task)}};
  if (champion) {
    const std::string name = VersionName(*champion);
    if (!champion_.error.empty() || champ_window_->rows() == 0) {
      set["models"]["champion"] = {
          {"version", name},
          {"error", champion_.error.empty() ? "not scored on the records since the last publish"
                                            : champion_.error}};
    } else {
      set["models"]["champion"] = {{"version", name},
                                   {"metrics", MetricsOf(*champ_window_, config_.task)}};
      nlohmann::json cmp = nlohmann::json::object();
      for (const auto& m : StreamMetrics(config_.task)) {
        const double a = window_->Window(m), b = champ_window_->Window(m);
        const bool up = HigherBetter(m);
        cmp[m] = {{"challenger", Value(a)},
                  {"other", Value(b)},
                  {"delta", Value(a - b)},
                  {"improvement", Value(up ? a - b : b - a)},
                  {"higher_is_better", up}};
      }
      set["comparisons"]["champion"] = cmp;
    }
  }
  const nlohmann::json evaluation = {{"primary_set", "stream"},
                                     {"primary_metric", primary},
                                     {"threshold", 0.5},
                                     {"bootstrap", {{"resamples", 0}}},
                                     {"sets", {set}}};
  GateConfig gate = config_.gate;
  std::vector<std::string> left_out;
  gate.rules = StreamRules(gate.rules, config_.task, &left_out);
  gate.first_run = StreamRules(gate.first_run, config_.task, &left_out);
  gate.stages.clear();  // a stream's version goes straight to champion when it passes
  const std::optional<std::string> champion_name =
      champion ? std::optional<std::string>(VersionName(*champion)) : std::nullopt;
  const GateDecision decision = DecideGate(gate, evaluation, champion_name);
  const Promotion promotion = RetrainPromotion(gate, decision, champion);
  nlohmann::json gate_json = GateJson(decision, promotion);
  gate_json["not_on_a_stream"] = left_out;

  const StreamPosition from = publish_from_;
  nlohmann::json eval = {
      {"format", "freshet.eval/2"},
      {"version", draft.name()},
      {"model_name", model},
      {"task", TaskName(config_.task)},
      {"created", UtcNow()},
      {"rows", window_->rows()},
      {"primary_metric", primary},
      {"threshold", 0.5},
      {"weight_column", nullptr},
      {"metrics", set["models"]["challenger"]["metrics"]},
      {"model", {{"kind", learner_->Name()}, {"metrics", set["models"]["challenger"]["metrics"]}}},
      {"fallback", nullptr},
      {"evaluation", evaluation},
      {"gate", gate_json},
      {"online",
       {{"learner", learner_->Name()},
        {"source", source_ ? source_->Describe() : options_.source},
        {"from", from.ToJson()},
        {"to", position_.ToJson()},
        {"trained", window_trained_},
        {"prequential", metrics_->ToJson()},
        {"since_publish", window_->ToJson()},
        {"drift_events", drift_events_},
        {"dead_letters", dead_letters_}}}};
  draft.WriteJson(kFeaturesFile, state_.ToJson());
  if (!hooks_.export_model) throw ConfigError("online: publishing needs LibTorch, which is absent");
  hooks_.export_model(*learner_, state_, draft);
  draft.WriteJson(kEvalFile, eval);

  InputFile input;
  input.path = (source_ ? source_->Describe() : options_.source) + " " + from.Describe() + ".." +
               position_.Describe();
  input.role = "stream";
  input.rows = position_.records - from.records;
  ManifestFields fields;
  fields.version = draft.name();
  if (champion) {
    try {
      fields.parent = registry_.Resolve(model, std::to_string(*champion));
    } catch (const Error&) {
    }
  }
  fields.device = "cpu";
  fields.inputs = {input};
  fields.parameters = learner_->parameters();
  if (hooks_.runtime_versions) fields.runtime = hooks_.runtime_versions();
  nlohmann::json manifest = BuildManifest(config_, fields);
  manifest["stream"] = eval["online"];
  manifest["stream"].erase("prequential");
  PublishRecord record;
  record.inputs = fields.inputs;
  record.metrics = IndexedMetrics(eval);
  record.change = {options_.command, "online: " + why};
  record.moves = promotion.moves;
  record.condition_channel = "champion";
  record.condition_holder = champion;
  const VersionInfo v = writer.Publish(draft, manifest, record);
  const bool promoted =
      decision.passed && UnmadeMove(registry_, model, promotion, v.number).empty();
  for (const auto& line : GateLines(decision)) Log(line);
  Log("published " + v.name + " (records " + from.Describe() + ".." + position_.Describe() + ", " +
      std::to_string(window_trained_) + " learnt; " + why + "); " +
      (promoted ? "champion" : "challenger only"));
  if (promoted) {
    champion_ = Champion{};
    champion_.number = v.number;
    champion_.snapshot = NewLearner(nullptr);
    champion_.snapshot->Restore(learner_->Save(), "the learner");
    has_champion_ = true;
  }
  published_.push_back(v.name);
  summary_.published.push_back(v.name);
  const int64_t k = learner_->outputs();
  window_ =
      std::make_unique<PrequentialMetrics>(config_.task, k, oc_.metric_window, oc_.fading_factor);
  champ_window_ =
      std::make_unique<PrequentialMetrics>(config_.task, k, oc_.metric_window, oc_.fading_factor);
  window_trained_ = 0;
  publish_from_ = position_;
  last_publish_ = Clock::now();
  WriteCheckpointNow();
}

}  // namespace freshet::online
