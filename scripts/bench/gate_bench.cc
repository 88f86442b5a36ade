// The data gate benchmark (scripts/bench/gate_bench.sh): freshet's gate on a current HDF5 file
// against a reference file's profile, as `retrain` runs it. Times, separately: reading both files
// (not part of the comparison), the reference profile (what a retrain saves as profile.json), and
// the gate's checks on the current rows (their profile on the reference's bins, the schema checks,
// every drift statistic of every column), the median of --repeats runs. Prints one JSON object.
//
//   freshet_gate_bench --config YAML --reference REF.h5 --current CUR.h5 [--repeats R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "freshet/config.hpp"
#include "freshet/data_gate.hpp"
#include "freshet/error.hpp"
#include "kernels/parallel.h"

namespace freshet::bench {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int Main(int argc, char** argv) {
  std::string config_path, ref_path, cur_path;
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--config") {
      config_path = v;
    } else if (a == "--reference") {
      ref_path = v;
    } else if (a == "--current") {
      cur_path = v;
    } else if (a == "--repeats") {
      repeats = std::stoi(v);
    } else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (config_path.empty() || ref_path.empty() || cur_path.empty()) {
    std::fprintf(stderr,
                 "usage: %s --config YAML --reference REF.h5 --current CUR.h5 [--repeats R]\n",
                 argv[0]);
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);  // stdout is the JSON
  const Config config = LoadConfig(config_path);
  const Device cpu;
  nlohmann::json out = {{"threads", kernels::ParallelThreads()}};

  double t0 = Now();
  std::vector<InputFile> ref_in = {{ref_path, "train", Sha256File(ref_path)}};
  DataGate first(config, std::nullopt, GateReference{});
  const RunTables ref_tables = first.Read(&ref_in, {true}, /*need_label=*/false);
  out["read_reference_s"] = Now() - t0;
  ProfileOptions options;
  options.bins = config.validate.bins;
  options.top_k = config.validate.top_k;
  options.sample_size = config.validate.sample_size;
  options.seed = config.validate.seed;
  t0 = Now();
  GateReference reference;
  reference.profile =
      ComputeProfile(ref_tables.train, GateColumns(config, false), options, nullptr, cpu);
  out["reference_profile_s"] = Now() - t0;
  reference.name = "reference";
  const Schema schema = InferSchema(*reference.profile, config.model, "reference",
                                    config.data.label, config.validate);

  t0 = Now();
  std::vector<InputFile> cur_in = {{cur_path, "eval", Sha256File(cur_path)}};
  DataGate gate(config, schema, reference);
  const RunTables cur_tables = gate.Read(&cur_in, {true}, /*need_label=*/false);
  out["read_current_s"] = Now() - t0;
  out["rows"] = cur_tables.eval.rows();
  out["columns"] = cur_tables.eval.columns.size();
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    DataGate g(config, schema, reference);
    std::vector<InputFile> again = cur_in;
    // Read() keeps the fresh rows; it is not timed (the reading is on both sides' clocks apart).
    const RunTables t = g.Read(&again, {true}, false);
    const double s = Now();
    g.Check(t, cpu);
    times.push_back(Now() - s);
    if (r == 0) {
      out["status"] = g.Report()["status"];
      out["drifted"] = g.Report()["drift"]["drifted"];
      out["anomalies"] = g.anomalies().size();
    }
  }
  out["check_s"] = times;
  std::sort(times.begin(), times.end());
  out["check_median_s"] = times[times.size() / 2];
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace freshet::bench

int main(int argc, char** argv) {
  try {
    return freshet::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "freshet_gate_bench: %s\n", e.what());
    return 1;
  }
}
