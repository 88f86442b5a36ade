#include <cmath>
#include <vector>

#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "kernels/hash.h"
#include "kernels/standardize.h"

namespace freshet {
namespace {

// The column as float32 with NaN for missing: the input the numeric kernels read. Points straight
// at the column's own data when it is already float32 with no validity mask.
const float* NumericInput(const Column& col, std::vector<float>* staging) {
  if (col.dtype == DType::kF32 && col.valid.empty()) return col.values<float>();
  staging->resize(col.size());
  for (int64_t i = 0; i < col.size(); ++i) (*staging)[i] = static_cast<float>(col.as_double(i));
  return staging->data();
}

std::vector<int64_t> IntegerCodes(const Column& col) {
  std::vector<int64_t> out(col.size());
  for (int64_t i = 0; i < col.size(); ++i) {
    out[i] = col.dtype == DType::kI32 ? col.values<int32_t>()[i] : col.values<int64_t>()[i];
  }
  return out;
}

const Column& Require(const Table& table, const std::string& name) {
  const Column* col = table.Find(name);
  if (!col) throw DataError("column \"" + name + "\" is not in the input");
  return *col;
}

template <typename T>
DeviceBuffer Upload(const T* data, size_t count, void* stream) {
  DeviceBuffer buf(count * sizeof(T), stream);
  if (count) CopyToDevice(buf.data(), data, count * sizeof(T), stream);
  return buf;
}

}  // namespace

void TransformFeatures(const Table& table, const FeatureState& state, const Device& device,
                       float* dense, int64_t* cats, void* stream) {
  const int64_t n = table.rows();
  const int64_t d = state.dense_dim();
  const int64_t c = state.categorical_dim();
  if (n == 0) return;

  for (int64_t j = 0; j < d; ++j) {
    const NumericState& s = state.numeric[j];
    const Column& col = Require(table, s.column);
    if (col.is_string()) {
      throw DataError("column \"" + s.column + "\": expected numeric values, got strings");
    }
    std::vector<float> staging;
    const float* in = NumericInput(col, &staging);
    kernels::StandardizeOp op{static_cast<float>(s.fill_value), static_cast<float>(s.mean),
                              static_cast<float>(s.scale)};
    if (device.is_cuda()) {
      DeviceBuffer din = Upload(in, n, stream);
      kernels::Standardize(device, din.as<float>(), n, op, dense + j, d, stream);
    } else {
      kernels::Standardize(device, in, n, op, dense + j, d, stream);
    }
  }

  for (int64_t k = 0; k < c; ++k) {
    const CategoricalState& s = state.categorical[k];
    const Column& col = Require(table, s.column);
    kernels::HashBucketOp op{s.seed, s.buckets};
    const uint8_t* valid = col.valid.empty() ? nullptr : col.valid.data();
    if (col.is_string()) {
      if (device.is_cuda()) {
        DeviceBuffer bytes = Upload(col.bytes.data(), col.bytes.size(), stream);
        DeviceBuffer offsets = Upload(col.offsets.data(), col.offsets.size(), stream);
        DeviceBuffer dvalid = Upload(valid, valid ? col.valid.size() : 0, stream);
        kernels::HashStrings(device, bytes.as<char>(), offsets.as<int64_t>(),
                             valid ? dvalid.as<uint8_t>() : nullptr, n, op, cats + k, c, stream);
      } else {
        kernels::HashStrings(device, col.bytes.data(), col.offsets.data(), valid, n, op, cats + k,
                             c, stream);
      }
    } else if (col.dtype == DType::kI32 || col.dtype == DType::kI64) {
      const std::vector<int64_t> codes = IntegerCodes(col);
      if (device.is_cuda()) {
        DeviceBuffer dcodes = Upload(codes.data(), codes.size(), stream);
        DeviceBuffer dvalid = Upload(valid, valid ? col.valid.size() : 0, stream);
        kernels::HashInt64(device, dcodes.as<int64_t>(), valid ? dvalid.as<uint8_t>() : nullptr, n,
                           op, cats + k, c, stream);
      } else {
        kernels::HashInt64(device, codes.data(), valid, n, op, cats + k, c, stream);
      }
    } else {
      throw DataError("column \"" + s.column + "\": expected strings or integer codes, got " +
                      DTypeName(col.dtype));
    }
  }
}

}  // namespace freshet
