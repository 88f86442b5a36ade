#include <cmath>
#include <sstream>

#include "freshet/error.hpp"
#include "freshet/validate.hpp"

namespace freshet {
namespace {

std::string Fmt(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

void CheckPartition(const Table& table, const Config& config, const std::string& source) {
  for (const auto& f : config.features) {
    if (f.type != ColumnKind::kNumeric) continue;
    const Column* col = table.Find(f.column);
    FRESHET_CHECK(col != nullptr, "partition lacks a configured column");
    for (int64_t i = 0; i < col->size(); ++i) {
      if (std::isinf(col->as_double(i))) {
        throw DataError(source + ": column \"" + f.column + "\", row " + std::to_string(i) +
                        ": value " + Fmt(col->as_double(i)) + " is not finite");
      }
    }
  }
  const Column* label = table.Find(config.data.label);
  FRESHET_CHECK(label != nullptr, "partition lacks the label column");
  for (int64_t i = 0; i < label->size(); ++i) {
    const double y = label->as_double(i);
    if (std::isnan(y)) {
      throw DataError(source + ": label column \"" + config.data.label + "\", row " +
                      std::to_string(i) + ": label is missing");
    }
    if (config.task == Task::kBinary && y != 0.0 && y != 1.0) {
      throw DataError(source + ": label column \"" + config.data.label + "\", row " +
                      std::to_string(i) + ": expected 0 or 1 for a binary task, got " + Fmt(y));
    }
  }
}

}  // namespace freshet
