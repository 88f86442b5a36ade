// Ingest of a run's partitions: read, check, split by role.
#include <spdlog/spdlog.h>

#include "freshet/error.hpp"
#include "freshet/validate.hpp"

namespace freshet {

RunTables ReadInputShare(const Config& config, std::vector<InputFile>* inputs) {
  RunTables out;
  const auto columns = config.Columns();
  for (auto& in : *inputs) {
    Table t = ReadPartition(in.path, columns, config.data.hdf5_group);
    CheckPartition(t, config, in.path);
    in.rows = t.rows();
    spdlog::info("read {} ({} rows, {})", in.path.substr(in.path.find_last_of('/') + 1), in.rows,
                 in.role);
    (in.role == "eval" ? out.eval : out.train).Append(t);
  }
  return out;
}

void RequireRows(const RunTables& tables, const std::vector<InputFile>& inputs) {
  for (const char* role : {"train", "eval"}) {
    const Table& t = std::string(role) == "eval" ? tables.eval : tables.train;
    if (t.rows() > 0) continue;
    std::string files;
    for (const auto& in : inputs) {
      if (in.role == role) files += (files.empty() ? "" : ", ") + in.path;
    }
    throw DataError(files + ": the " + (std::string(role) == "eval" ? "evaluation" : "training") +
                    " partition(s) hold no rows");
  }
}

RunTables ReadInputs(const Config& config, std::vector<InputFile>* inputs) {
  RunTables out = ReadInputShare(config, inputs);
  RequireRows(out, *inputs);
  return out;
}

}  // namespace freshet
