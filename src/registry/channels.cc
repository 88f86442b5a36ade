// Channels, events, pins and runs: the index-only writes, each one transaction.
#include <unistd.h>

#include <vector>

#include "freshet/error.hpp"
#include "freshet/log.hpp"
#include "freshet/registry.hpp"
#include "registry/index.h"
#include "registry/internal.h"

namespace freshet {

namespace registry_detail {

Event RecordEvent(Index& index, const std::string& model, const std::string& kind,
                  const std::string& channel, std::optional<int64_t> version,
                  std::optional<int64_t> previous, const Change& change) {
  Event e;
  e.time = UtcNow();
  e.model = model;
  e.kind = kind;
  e.channel = channel;
  e.version = version;
  e.previous = previous;
  e.user = CurrentUser();
  e.host = CurrentHost();
  e.command = change.command;
  e.reason = change.reason;
  Stmt s(index,
         "INSERT INTO events (time, model, kind, channel, version, previous, user, host, "
         "command, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, e.time).Bind(2, model).Bind(3, kind).Bind(4, channel).Bind(5, version);
  s.Bind(6, previous).Bind(7, e.user).Bind(8, e.host).Bind(9, e.command).Bind(10, e.reason);
  s.Run();
  e.id = index.LastId();
  return e;
}

std::optional<Event> MoveChannel(Index& index, const std::string& model, const std::string& channel,
                                 int64_t number, const std::string& kind, const Change& change) {
  std::optional<int64_t> previous;
  {
    Stmt s(index, "SELECT number FROM channels WHERE model = ? AND name = ?");
    s.Bind(1, model).Bind(2, channel);
    if (s.Step()) previous = s.Int(0);
  }
  if (previous == number) return std::nullopt;
  Stmt s(index,
         "INSERT INTO channels (model, name, number, since) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT (model, name) DO UPDATE SET number = ?3, since = ?4");
  Event e = RecordEvent(index, model, kind, channel, number, previous, change);
  s.Bind(1, model).Bind(2, channel).Bind(3, number).Bind(4, e.time);
  s.Run();
  return e;
}

std::optional<int64_t> RollbackTarget(Index& index, const std::string& model,
                                      const std::string& channel) {
  // Replays the channel's moves as a stack: a promotion pushes, a rollback pops.
  std::vector<int64_t> stack;
  Stmt s(index,
         "SELECT kind, version FROM events WHERE model = ? AND channel = ? AND "
         "kind IN ('promote', 'rollback') ORDER BY id");
  s.Bind(1, model).Bind(2, channel);
  while (s.Step()) {
    const std::string kind = s.Text(0);
    const int64_t v = s.Int(1);
    if (kind == "promote") {
      if (stack.empty() || stack.back() != v) stack.push_back(v);
    } else {
      while (!stack.empty() && stack.back() != v) stack.pop_back();
      if (stack.empty()) stack.push_back(v);
    }
  }
  if (stack.empty()) return std::nullopt;
  const int64_t current = stack.back();
  stack.pop_back();
  while (!stack.empty()) {
    const int64_t v = stack.back();
    if (v != current && VersionState(index, model, v) == std::string("live")) return v;
    stack.pop_back();
  }
  return std::nullopt;
}

}  // namespace registry_detail

using namespace registry_detail;

std::optional<Event> Registry::Promote(const std::string& model, const std::string& ref,
                                       const std::string& channel, const Change& change) {
  CheckName("channel", channel);
  Txn txn(*index_);
  const VersionInfo v = Resolve(model, ref);
  auto e = MoveChannel(*index_, model, channel, v.number, "promote", change);
  if (!e) return std::nullopt;
  txn.Commit("index: promote " + model + " " + v.name + " to " + channel);
  return e;
}

Event Registry::Rollback(const std::string& model, const std::string& channel,
                         const Change& change) {
  RequireModel(model);
  CheckName("channel", channel);
  Txn txn(*index_);
  const auto holder = Holder(model, channel);
  if (!holder) {
    std::string chans;
    for (const auto& c : Channels(model)) chans += (chans.empty() ? "" : ", ") + c.name;
    throw ConfigError(model + ": channel \"" + channel +
                      "\" does not exist (channels: " + (chans.empty() ? "none" : chans) + ")");
  }
  const auto target = RollbackTarget(*index_, model, channel);
  if (!target) {
    throw ConfigError(model + ": channel \"" + channel + "\" has no earlier live holder than " +
                      holder->name + " to roll back to");
  }
  auto e = MoveChannel(*index_, model, channel, *target, "rollback", change);
  txn.Commit("index: roll " + model + " " + channel + " back to " + VersionName(*target));
  return *e;
}

namespace {

void SetPin(Registry& r, Index& index, const std::string& model, const std::string& ref,
            bool pinned, const Change& change) {
  Txn txn(index);
  const VersionInfo v = r.Resolve(model, ref);
  Stmt s(index, "UPDATE versions SET pinned = ?, pin_reason = ? WHERE model = ? AND number = ?");
  s.Bind(1, int64_t{pinned}).Bind(2, pinned ? change.reason : "").Bind(3, model).Bind(4, v.number);
  s.Run();
  RecordEvent(index, model, pinned ? "pin" : "unpin", "", v.number, std::nullopt, change);
  txn.Commit(std::string("index: ") + (pinned ? "pin " : "unpin ") + model + " " + v.name);
}

}  // namespace

void Registry::Pin(const std::string& model, const std::string& ref, const Change& change) {
  SetPin(*this, *index_, model, ref, true, change);
}

void Registry::Unpin(const std::string& model, const std::string& ref, const Change& change) {
  SetPin(*this, *index_, model, ref, false, change);
}

int64_t Registry::BeginRun(const std::string& model, const std::string& command) {
  CheckName("model", model);
  Txn txn(*index_);
  Stmt s(*index_,
         "INSERT INTO runs (model, started, user, host, pid, command) VALUES (?, ?, ?, ?, ?, ?)");
  s.Bind(1, model).Bind(2, UtcNow()).Bind(3, CurrentUser()).Bind(4, CurrentHost());
  s.Bind(5, static_cast<int64_t>(::getpid())).Bind(6, command);
  s.Run();
  const int64_t id = index_->LastId();
  txn.Commit("index: begin run of " + model);
  return id;
}

void Registry::EndRun(int64_t run, int exit_code, const std::string& reason,
                      std::optional<int64_t> version, const std::vector<InputFile>& inputs) {
  nlohmann::json in = nlohmann::json::array();
  for (const auto& f : inputs) {
    in.push_back({{"path", f.path}, {"role", f.role}, {"rows", f.rows}, {"sha256", f.sha256}});
  }
  Txn txn(*index_);
  Stmt s(*index_,
         "UPDATE runs SET ended = ?, exit_code = ?, reason = ?, version = ?, inputs = ? "
         "WHERE id = ?");
  s.Bind(1, UtcNow()).Bind(2, int64_t{exit_code}).Bind(3, reason).Bind(4, version);
  s.Bind(5, in.dump()).Bind(6, run);
  s.Run();
  txn.Commit("index: end run " + std::to_string(run));
}

std::vector<RunRecord> Registry::Runs(const std::string& model, int64_t limit) const {
  std::vector<RunRecord> out;
  Stmt s(*index_,
         "SELECT id, started, ended, exit_code, reason, version, user, host, pid, command, inputs "
         "FROM runs WHERE model = ? ORDER BY id DESC LIMIT ?");
  s.Bind(1, model).Bind(2, limit);
  while (s.Step()) {
    RunRecord r;
    r.id = s.Int(0);
    r.model = model;
    r.started = s.Text(1);
    r.ended = s.Text(2);
    if (!s.IsNull(3)) r.exit_code = static_cast<int>(s.Int(3));
    r.reason = s.Text(4);
    r.version = s.OptInt(5);
    r.user = s.Text(6);
    r.host = s.Text(7);
    r.pid = s.Int(8);
    r.command = s.Text(9);
    r.inputs = nlohmann::json::parse(s.Text(10), nullptr, /*allow_exceptions=*/false);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace freshet
