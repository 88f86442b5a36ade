// Evaluations recorded after a publish (shadow runs), each with the channel moves it earned, in
// one transaction.
#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "freshet/registry.hpp"
#include "registry/index.h"
#include "registry/internal.h"

namespace freshet {

using namespace registry_detail;

namespace {

// Whether the index has the evaluations table (an index written by an older freshet and only
// read since has none).
bool HasEvaluations(Index& index) {
  Stmt s(index, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'evaluations'");
  return s.Step();
}

}  // namespace

EvaluationRecord Registry::RecordEvaluation(const std::string& model, int64_t number,
                                            const std::string& kind, bool passed,
                                            const std::string& reason,
                                            const nlohmann::json& summary,
                                            const std::vector<ChannelMove>& moves,
                                            const Change& change) {
  RequireModel(model);
  for (const auto& m : moves) CheckName("channel", m.channel);
  Txn txn(*index_);
  if (VersionState(*index_, model, number) != std::string("live")) {
    throw ConfigError(model + ": " + VersionName(number) + " is not a live version");
  }
  EvaluationRecord r;
  r.model = model;
  r.number = number;
  r.kind = kind;
  r.time = UtcNow();
  r.passed = passed;
  r.reason = reason;
  r.summary = summary;
  r.user = CurrentUser();
  r.host = CurrentHost();
  r.command = change.command;
  Stmt s(*index_,
         "INSERT INTO evaluations (model, number, kind, time, passed, reason, summary, user, host, "
         "command) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, model).Bind(2, number).Bind(3, kind).Bind(4, r.time).Bind(5, int64_t{passed});
  s.Bind(6, reason).Bind(7, summary.dump()).Bind(8, r.user).Bind(9, r.host).Bind(10, r.command);
  s.Run();
  r.id = index_->LastId();
  for (const auto& m : moves) {
    MoveChannel(*index_, model, m.channel, m.version.value_or(number), "promote",
                {change.command, m.reason});
  }
  txn.Commit("index: record the " + kind + " evaluation of " + model + " " + VersionName(number));
  return r;
}

std::vector<EvaluationRecord> Registry::Evaluations(const std::string& model,
                                                    std::optional<int64_t> number) const {
  std::vector<EvaluationRecord> out;
  if (!HasEvaluations(*index_)) return out;
  Stmt s(*index_,
         "SELECT id, number, kind, time, passed, reason, summary, user, host, command FROM "
         "evaluations WHERE model = ?1 AND (?2 IS NULL OR number = ?2) ORDER BY id");
  s.Bind(1, model).Bind(2, number);
  while (s.Step()) {
    EvaluationRecord r;
    r.id = s.Int(0);
    r.model = model;
    r.number = s.Int(1);
    r.kind = s.Text(2);
    r.time = s.Text(3);
    r.passed = s.Int(4) != 0;
    r.reason = s.Text(5);
    r.summary = nlohmann::json::parse(s.Text(6), nullptr, /*allow_exceptions=*/false);
    r.user = s.Text(7);
    r.host = s.Text(8);
    r.command = s.Text(9);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace freshet
