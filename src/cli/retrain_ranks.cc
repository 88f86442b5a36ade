#include "cli/retrain_ranks.h"

#include <spdlog/spdlog.h>

#include "cli/verbs.h"

namespace freshet::cli {

bool ReadRanks(const Config& config, Communicator& comm, std::vector<InputFile>* inputs,
               const std::vector<bool>& fresh, DataGate* gate, RunTables* tables) {
  std::vector<InputFile> mine;
  std::vector<bool> mine_fresh;
  for (size_t i : PartitionsOfRank(inputs->size(), comm.rank(), comm.size())) {
    mine.push_back((*inputs)[i]);
    mine_fresh.push_back(fresh[i]);
  }
  const RunTables local =
      gate ? gate->Read(&mine, mine_fresh, true) : ReadInputShare(config, &mine);
  const int64_t worst = comm.AllReduceMax(gate ? static_cast<int64_t>(gate->status()) : 0);
  if (worst == static_cast<int64_t>(Severity::kFail)) return false;
  for (const char* role : {"train", "eval"}) {
    TableShare share;
    share.table = std::string(role) == "eval" ? local.eval : local.train;
    for (const auto& in : mine) {
      if (in.role == role) share.partition_rows.push_back(in.rows);
    }
    std::vector<int> owners;
    std::vector<size_t> index;
    for (size_t i = 0; i < inputs->size(); ++i) {
      if ((*inputs)[i].role != role) continue;
      owners.push_back(static_cast<int>(i % static_cast<size_t>(comm.size())));
      index.push_back(i);
    }
    std::vector<int64_t> rows;
    (std::string(role) == "eval" ? tables->eval : tables->train) =
        GatherTable(comm, share, owners, &rows);
    for (size_t k = 0; k < index.size(); ++k) (*inputs)[index[k]].rows = rows[k];
  }
  if (gate == nullptr) RequireRows(*tables, *inputs);
  spdlog::info("rank {} of {}: read {} partition(s); gathered {} training and {} evaluation rows",
               comm.rank(), comm.size(), mine.size(), tables->train.rows(), tables->eval.rows());
  return true;
}

std::optional<RunOutcome> ReadAndCheck(const Config& config, const Device& device,
                                       const Ranks& ranks, const std::vector<bool>& fresh,
                                       DataGate& gate, ModelWriter* writer, int64_t run,
                                       StageTimer& timer, RunReport* report,
                                       std::vector<InputFile>* inputs, RunTables* tables) {
  const bool checked = config.validate.enabled;
  bool gate_failed = false;
  if (ranks.dist()) {
    gate_failed = !ReadRanks(config, *ranks.comm, inputs, fresh, checked ? &gate : nullptr, tables);
  } else {
    *tables = checked ? gate.Read(inputs, fresh, true) : ReadInputs(config, inputs);
  }
  if (!checked) return std::nullopt;
  timer.Start("validate");
  if (gate.status() != Severity::kFail && !gate_failed) gate.Check(*tables, device);
  gate.Log();
  report->data_report = gate.Report();
  if (ranks.dist() && !gate_failed) {
    gate_failed = ranks.comm->AllReduceMax(static_cast<int64_t>(gate.status())) ==
                  static_cast<int64_t>(Severity::kFail);
  }
  if (gate.status() != Severity::kFail && !gate_failed) return std::nullopt;
  if (!ranks.leader()) return RunOutcome{kExitDataRefused, "", std::nullopt};
  const std::string path = writer->WriteRunFile(run, kDataReportFile, gate.Report().dump(2));
  const bool here = gate.status() == Severity::kFail;
  const std::string line =
      here ? gate.FailureLine()
           : "the data gate failed on another rank's partitions (its log names the checks)";
  if (!here) spdlog::error("{}", line);  // this rank's gate logged nothing failing
  return RunOutcome{kExitDataRefused, line + " (report: " + path + ")", std::nullopt};
}

int RunRanks(const std::function<int(const Ranks&, const RankInfo&)>& body) {
  const RankInfo info = DetectRanks();
  if (info.size <= 1) return body(Ranks{}, info);
  std::unique_ptr<Communicator> comm = OpenCommunicator(info);
  if (info.rank > 0 && spdlog::get_level() < spdlog::level::warn) {
    spdlog::set_level(spdlog::level::warn);  // rank 0 tells the run's story
  }
  spdlog::info("data-parallel: {} ranks ({})", info.size, info.launcher);
  int code = kExitFailure;
  try {
    code = body(Ranks{comm.get()}, info);
  } catch (const Error& e) {
    spdlog::error("rank {} of {}: {}", info.rank, info.size, e.what());
    comm->Abort(ExitCodeFor(e.kind()));
  } catch (const std::exception& e) {
    spdlog::error("rank {} of {}: {}", info.rank, info.size, e.what());
    comm->Abort(kExitFailure);
  }
  std::string rank0 = std::to_string(code);
  comm->Broadcast(&rank0, 0);
  return std::stoi(rank0);
}

}  // namespace freshet::cli
