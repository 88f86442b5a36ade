// The ranks of a data-parallel `retrain` (composed in retrain.cc): reading each rank's share of
// the partitions and gathering the global tables, and where the ranks' artifacts go while they
// train (rank 0's plan reaches the others by ShareRunPlan, freshet/run_plan.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/publish_run.h"
#include "freshet/artifacts.hpp"
#include "freshet/config.hpp"
#include "freshet/data_gate.hpp"
#include "freshet/dist.hpp"
#include "freshet/io.hpp"
#include "freshet/log.hpp"
#include "freshet/registry.hpp"
#include "freshet/run_metrics.hpp"
#include "freshet/validate.hpp"

namespace freshet::cli {

// A rank's artifacts beside rank 0's: trained the same, written nowhere.
class DiscardArtifacts final : public ArtifactSink {
 public:
  explicit DiscardArtifacts(int rank) : rank_(rank) {}
  void Write(const std::string&, std::string_view) override {}
  std::string Describe(const std::string& name) const override {
    return "rank " + std::to_string(rank_) + ": " + name;
  }

 private:
  int rank_;
};

// Rank 0's artifacts while the ranks train, copied into the version's draft once all have.
class BufferedArtifacts final : public ArtifactSink {
 public:
  void Write(const std::string& name, std::string_view bytes) override {
    files_.emplace_back(name, std::string(bytes));
  }
  std::string Describe(const std::string& name) const override { return name; }
  void CopyTo(ArtifactSink& out) const {
    for (const auto& [name, bytes] : files_) out.Write(name, bytes);
  }

 private:
  std::vector<std::pair<std::string, std::string>> files_;
};

// The run's ranks; a single process has no communicator.
struct Ranks {
  Communicator* comm = nullptr;
  bool dist() const { return comm != nullptr && comm->size() > 1; }
  bool leader() const { return comm == nullptr || comm->rank() == 0; }
};

// Every rank reads its share of `inputs` (partition i when i % size == rank) through `gate` (or
// without one), and the ranks' tables are gathered into the global tables on every rank, rows in
// the order one process reads them. The rows of every input are filled in. Returns false, with the
// tables unread, when the data gate failed on any rank's partitions (every rank returns false).
bool ReadRanks(const Config& config, Communicator& comm, std::vector<InputFile>* inputs,
               const std::vector<bool>& fresh, DataGate* gate, RunTables* tables);

// The run's ingest and validate stages (retrain's on every rank, aggregate's with Ranks{}): reads
// `inputs` into `tables` (each rank its share, gathered, under a launcher) through `gate`, or
// without it when the config turns the gate off; then checks the tables, logs the gate and puts its
// report into `report`. Ranks check the global training rows and their own share of the fresh rows.
// Returns the refusal (exit 5) when the gate fails on any rank, rank 0 having written the data
// report into `run`'s folder through `writer` (null on the other ranks); otherwise nothing.
std::optional<RunOutcome> ReadAndCheck(const Config& config, const Device& device,
                                       const Ranks& ranks, const std::vector<bool>& fresh,
                                       DataGate& gate, ModelWriter* writer, int64_t run,
                                       StageTimer& timer, RunReport* report,
                                       std::vector<InputFile>* inputs, RunTables* tables);

// Runs `body` in every rank of a data-parallel job (DetectRanks), or once in a single process
// (Ranks without a communicator). A rank that fails ends the whole job (MPI_Abort) with its exit
// code, so nothing is published; otherwise every rank returns rank 0's code.
int RunRanks(const std::function<int(const Ranks&, const RankInfo&)>& body);

}  // namespace freshet::cli
