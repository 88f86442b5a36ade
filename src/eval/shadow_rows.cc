// The logged rows of a shadow run, and the evaluation config they can serve.
#include <algorithm>
#include <string>
#include <vector>

#include "freshet/io.hpp"
#include "freshet/shadow.hpp"

namespace freshet {

EvalRows ReadLoggedRows(const Config& config, const std::vector<std::string>& paths,
                        const std::vector<ColumnRequest>& features, bool* labelled) {
  std::vector<std::vector<StoredColumn>> stored;
  for (const auto& p : paths) stored.push_back(PartitionColumns(p, config.data.hdf5_group));
  const auto everywhere = [&](const std::string& name) {
    return std::all_of(stored.begin(), stored.end(), [&](const std::vector<StoredColumn>& cs) {
      return std::any_of(cs.begin(), cs.end(),
                         [&](const StoredColumn& c) { return c.name == name; });
    });
  };
  std::vector<ColumnRequest> cols = features;
  for (const auto& c : config.Columns()) {
    const bool have = std::any_of(cols.begin(), cols.end(),
                                  [&](const ColumnRequest& x) { return x.name == c.name; });
    if (!have && c.name != config.data.label && everywhere(c.name)) cols.push_back(c);
  }
  *labelled = everywhere(config.data.label);
  if (*labelled) cols.push_back({config.data.label, ColumnKind::kNumeric});
  EvalRows rows;
  rows.name = "shadow";
  for (const auto& p : paths) {
    InputFile in;
    in.path = p;
    in.role = "shadow";
    in.sha256 = Sha256File(p);
    Table t = ReadPartition(p, cols, config.data.hdf5_group);
    in.rows = t.rows();
    rows.table.Append(t);
    rows.files.push_back(in);
  }
  return rows;
}

Config WithLoggedColumns(Config config, const Table& rows) {
  auto& e = config.evaluation;
  const auto missing = [&](const std::string& c) { return !c.empty() && !rows.Find(c); };
  if (missing(config.train.weight_column)) config.train.weight_column.clear();
  e.slices.erase(std::remove_if(e.slices.begin(), e.slices.end(),
                                [&](const SliceSpec& s) { return missing(s.column); }),
                 e.slices.end());
  e.product_metrics.erase(std::remove_if(e.product_metrics.begin(), e.product_metrics.end(),
                                         [&](const ProductMetricSpec& p) {
                                           return missing(p.tp.column) || missing(p.fp.column) ||
                                                  missing(p.fn.column) || missing(p.tn.column) ||
                                                  missing(p.weight_column);
                                         }),
                          e.product_metrics.end());
  return config;
}

}  // namespace freshet
