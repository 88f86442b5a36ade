// TransformFeatures: builds the kernels' column views from a Table and runs the single-pass
// feature kernel (kernels/feature_rows.h), straight from the table's memory on the CPU, or through
// pinned, double-buffered chunks on a GPU.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "features/plan.h"
#include "features/vocab.h"
#include "freshet/error.hpp"
#include "freshet/features.hpp"
#include "kernels/categorical_transform.h"
#include "kernels/feature_rows.h"
#include "kernels/numeric_transform.h"

namespace freshet {
namespace {

using kernels::CategoricalInputView;
using kernels::CategoricalOutputView;
using kernels::NumericColumnView;

// Byte layout of one chunk's inputs in the pinned staging buffer and its device twin.
constexpr size_t kAlign = 64;
size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

size_t ElementSize(const Column& c) {
  switch (c.dtype) {
    case DType::kF32:
    case DType::kI32:
      return 4;
    default:
      return 8;
  }
}

size_t ChunkBytes(const TransformPlan& p, int64_t r0, int64_t r1) {
  const size_t rows = static_cast<size_t>(r1 - r0);
  size_t bytes = 0;
  for (const Column* c : p.numeric_cols) {
    bytes += AlignUp(rows * ElementSize(*c)) + (c->valid.empty() ? 0 : AlignUp(rows));
  }
  for (const Column* c : p.cat_cols) {
    if (c->is_string()) {
      bytes += AlignUp(static_cast<size_t>(c->offsets[r1] - c->offsets[r0])) +
               AlignUp((rows + 1) * sizeof(int64_t));
    } else {
      bytes += AlignUp(rows * ElementSize(*c));
    }
    bytes += c->valid.empty() ? 0 : AlignUp(rows);
  }
  return bytes;
}

// Copies rows [r0, r1) of every input into `host` and points the views at the same offsets from
// `device`.
void StageChunk(const TransformPlan& p, int64_t r0, int64_t r1, char* host, char* device,
                std::vector<NumericColumnView>* numeric,
                std::vector<CategoricalInputView>* inputs) {
  const size_t rows = static_cast<size_t>(r1 - r0);
  size_t at = 0;
  const auto put = [&](const void* src, size_t bytes) {
    std::memcpy(host + at, src, bytes);
    char* dev = device + at;
    at += AlignUp(bytes);
    return dev;
  };
  *numeric = p.numeric;
  for (size_t j = 0; j < p.numeric_cols.size(); ++j) {
    const Column& c = *p.numeric_cols[j];
    const size_t es = ElementSize(c);
    (*numeric)[j].values = put(c.data.data() + r0 * es, rows * es);
    (*numeric)[j].valid = c.valid.empty()
                              ? nullptr
                              : reinterpret_cast<const uint8_t*>(put(c.valid.data() + r0, rows));
  }
  *inputs = p.inputs;
  for (size_t k = 0; k < p.cat_cols.size(); ++k) {
    const Column& c = *p.cat_cols[k];
    if (c.is_string()) {
      const int64_t base = c.offsets[r0];
      (*inputs)[k].bytes = put(c.bytes.data() + base, static_cast<size_t>(c.offsets[r1] - base));
      auto* off = reinterpret_cast<int64_t*>(host + at);
      for (size_t i = 0; i <= rows; ++i) off[i] = c.offsets[r0 + i] - base;
      (*inputs)[k].offsets = reinterpret_cast<const int64_t*>(device + at);
      at += AlignUp((rows + 1) * sizeof(int64_t));
    } else {
      const size_t es = ElementSize(c);
      (*inputs)[k].values = put(c.data.data() + r0 * es, rows * es);
    }
    (*inputs)[k].valid = c.valid.empty()
                             ? nullptr
                             : reinterpret_cast<const uint8_t*>(put(c.valid.data() + r0, rows));
  }
}

// Runs the plan on the GPU. Its vocab outputs are pointed at device copies of the tables.
void TransformCuda(TransformPlan& plan, const FeatureState& state, int64_t n, float* dense,
                   int64_t* cats, void* stream, const TransformOptions& options) {
  const int64_t d = state.dense_dim(), c = state.categorical_dim();
  // Vocabulary tables go up once, on the caller's stream.
  std::vector<DeviceBuffer> vocab_buffers;
  for (size_t k = 0; k < plan.outputs.size(); ++k) {
    auto& o = plan.outputs[k];
    if (o.encoding != kernels::kEncodeVocab) continue;
    const VocabTable& t = plan.vocabs[k];
    DeviceBuffer keys(t.keys.size() * sizeof(uint64_t), stream);
    DeviceBuffer index(t.index.size() * sizeof(int64_t), stream);
    CopyToDevice(keys.data(), t.keys.data(), t.keys.size() * sizeof(uint64_t), stream);
    CopyToDevice(index.data(), t.index.data(), t.index.size() * sizeof(int64_t), stream);
    o.vocab_keys = keys.as<uint64_t>();
    o.vocab_index = index.as<int64_t>();
    o.vocab_slots = nullptr;  // host-only lookups: the device searches the keys
    o.vocab_direct = nullptr;
    vocab_buffers.push_back(std::move(keys));
    vocab_buffers.push_back(std::move(index));
  }
  const int64_t chunk = std::max<int64_t>(1, options.chunk_rows);
  size_t max_bytes = 0;
  for (int64_t r0 = 0; r0 < n; r0 += chunk) {
    max_bytes = std::max(max_bytes, ChunkBytes(plan, r0, std::min(n, r0 + chunk)));
  }
  struct Slot {
    explicit Slot(size_t bytes) : host(bytes), device(bytes, stream.get()) {}
    CudaStream stream;  // declared first: the buffers are set up on it
    PinnedBuffer host;
    DeviceBuffer device;
  };
  const int slots = n > chunk ? 2 : 1;
  std::vector<std::unique_ptr<Slot>> slot;
  for (int k = 0; k < slots; ++k) {
    slot.push_back(std::make_unique<Slot>(max_bytes));
    StreamWaitFor(slot[k]->stream.get(), stream);  // outputs and vocabularies are ready
  }
  std::vector<NumericColumnView> numeric;
  std::vector<CategoricalInputView> inputs;
  int64_t index = 0;
  for (int64_t r0 = 0; r0 < n; r0 += chunk, ++index) {
    const int64_t r1 = std::min(n, r0 + chunk);
    Slot& s = *slot[index % slots];
    SynchronizeStream(s.stream.get());  // its previous chunk no longer needs the pinned buffer
    StageChunk(plan, r0, r1, s.host.data(), s.device.as<char>(), &numeric, &inputs);
    CopyToDevice(s.device.data(), s.host.data(), ChunkBytes(plan, r0, r1), s.stream.get());
    kernels::cuda_impl::TransformFeatureRows(
        numeric.data(), static_cast<int32_t>(numeric.size()), plan.bounds.data(),
        static_cast<int32_t>(plan.bounds.size()), inputs.data(),
        static_cast<int32_t>(inputs.size()), plan.outputs.data(),
        static_cast<int32_t>(plan.outputs.size()), r1 - r0, dense + r0 * d, d, cats + r0 * c, c,
        s.stream.get());
  }
  for (auto& s : slot) {
    StreamWaitFor(stream, s->stream.get());
    SynchronizeStream(s->stream.get());  // before the pinned buffers are freed
  }
  // The device buffers were freed on the slot streams, which are done; the vocabularies are freed
  // on the caller's stream after the wait above.
}

}  // namespace

void TransformFeatures(const Table& table, const FeatureState& state, const Device& device,
                       float* dense, int64_t* cats, void* stream, const TransformOptions& options) {
  const int64_t n = table.rows();
  TransformPlan plan = MakeTransformPlan(table, state);
  if (n == 0) return;
  if (device.is_cuda()) {
    TransformCuda(plan, state, n, dense, cats, stream, options);
    return;
  }
  // One pass over the rows, both kernels on a block at a time: the outputs are written once.
  kernels::cpu_impl::TransformFeatureRows(
      plan.numeric.data(), static_cast<int32_t>(plan.numeric.size()), plan.bounds.data(),
      plan.inputs.data(), plan.outputs.data(), static_cast<int32_t>(plan.outputs.size()), n, dense,
      state.dense_dim(), cats, state.categorical_dim());
}

}  // namespace freshet
