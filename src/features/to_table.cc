#include <cstring>

#include "freshet/features.hpp"

namespace freshet {

std::vector<ColumnRequest> StateColumns(const FeatureState& state) {
  std::vector<ColumnRequest> cols;
  const auto add = [&cols](const std::string& name, ColumnKind kind) {
    for (const auto& c : cols) {
      if (c.name == name) return;
    }
    cols.push_back({name, kind});
  };
  for (const auto& n : state.numeric) add(n.column, ColumnKind::kNumeric);
  for (const auto& c : state.categorical) {
    if (c.inputs.empty()) add(c.column, ColumnKind::kCategorical);
    for (const auto& in : c.inputs) add(in, ColumnKind::kCategorical);
  }
  return cols;
}

Table TransformToTable(const Table& table, const FeatureState& state, const Device& device,
                       const TransformOptions& options) {
  const int64_t n = table.rows(), d = state.dense_dim(), c = state.categorical_dim();
  std::vector<float> dense(static_cast<size_t>(n * d));
  std::vector<int64_t> cats(static_cast<size_t>(n * c));
  if (device.is_cuda()) {
    DeviceBuffer ddense(dense.size() * sizeof(float), nullptr);
    DeviceBuffer dcats(cats.size() * sizeof(int64_t), nullptr);
    TransformFeatures(table, state, device, ddense.as<float>(), dcats.as<int64_t>(), nullptr,
                      options);
    CopyToHost(dense.data(), ddense.data(), dense.size() * sizeof(float), nullptr);
    CopyToHost(cats.data(), dcats.data(), cats.size() * sizeof(int64_t), nullptr);
    SynchronizeStream(nullptr);
  } else {
    TransformFeatures(table, state, device, dense.data(), cats.data(), nullptr, options);
  }
  Table out;
  const auto names_d = state.dense_names();
  const auto names_c = state.categorical_names();
  for (int64_t j = 0; j < d; ++j) {
    Column col;
    col.name = names_d[j];
    col.dtype = DType::kF32;
    col.rows = n;
    col.data.resize(static_cast<size_t>(n) * sizeof(float));
    float* v = col.mutable_values<float>();
    for (int64_t i = 0; i < n; ++i) v[i] = dense[i * d + j];
    out.columns.push_back(std::move(col));
  }
  for (int64_t k = 0; k < c; ++k) {
    Column col;
    col.name = names_c[k];
    col.dtype = DType::kI64;
    col.rows = n;
    col.data.resize(static_cast<size_t>(n) * sizeof(int64_t));
    int64_t* v = col.mutable_values<int64_t>();
    for (int64_t i = 0; i < n; ++i) v[i] = cats[i * c + k];
    out.columns.push_back(std::move(col));
  }
  return out;
}

}  // namespace freshet
