#include "cli/retrain_ranks.h"

#include <spdlog/spdlog.h>

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

nlohmann::json PlanJson(const std::optional<RunOutcome>& stop, const std::vector<InputFile>& inputs,
                        const std::optional<VersionInfo>& champion) {
  nlohmann::json j = {{"stop", stop.has_value()}};
  if (stop) {
    j["exit_code"] = stop->exit_code;
    j["reason"] = stop->reason;
    return j;
  }
  j["inputs"] = nlohmann::json::array();
  for (const auto& in : inputs) j["inputs"].push_back(InputFileToJson(in));
  j["champion"] = champion ? nlohmann::json(champion->number) : nlohmann::json();
  return j;
}

}  // namespace freshet::cli
