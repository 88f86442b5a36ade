#include "train/data.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "freshet/error.hpp"
#include "train/torch_cuda.h"

namespace freshet {
namespace {

torch::Tensor ToTensor(std::vector<float> host, const torch::Device& dev) {
  const int64_t n = static_cast<int64_t>(host.size());
  return torch::from_blob(host.data(), {n}, torch::kFloat32).to(dev, false, /*copy=*/true);
}

// Copies rows `idx` of `src` (row width `w` elements of type T) to `dst` in order, element by
// element: the rows of a batch are a few words long, where a memcpy call a row costs more than the
// copy.
template <typename T>
void CopyRows(const T* src, const int64_t* idx, int64_t n, int64_t w, T* dst) {
  for (int64_t i = 0; i < n; ++i) {
    const T* row = src + idx[i] * w;
    for (int64_t j = 0; j < w; ++j) dst[j] = row[j];
    dst += w;
  }
}

// t.index_select(0, idx) for the rows of a resident batch: gathered by CopyRows when t is a
// contiguous CPU tensor of 4- or 8-byte elements, else by index_select. The same values either way.
torch::Tensor TakeRows(const torch::Tensor& t, const torch::Tensor& idx) {
  const size_t size = t.element_size();
  if (!t.is_cpu() || !idx.is_cpu() || t.dim() < 1 || !t.is_contiguous() ||
      (size != 4 && size != 8) || idx.scalar_type() != torch::kInt64 || !idx.is_contiguous()) {
    return t.index_select(0, idx);
  }
  std::vector<int64_t> sizes = t.sizes().vec();
  const int64_t w = t.size(0) > 0 ? t.numel() / t.size(0) : 0;
  sizes[0] = idx.numel();
  torch::Tensor out = torch::empty(sizes, t.options());
  const int64_t* rows = idx.data_ptr<int64_t>();
  if (size == 4) {
    CopyRows(static_cast<const uint32_t*>(t.data_ptr()), rows, idx.numel(), w,
             static_cast<uint32_t*>(out.data_ptr()));
  } else {
    CopyRows(static_cast<const uint64_t*>(t.data_ptr()), rows, idx.numel(), w,
             static_cast<uint64_t*>(out.data_ptr()));
  }
  return out;
}

}  // namespace

torch::Device TorchDevice(const Device& d) {
  return d.is_cuda() ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(d.index))
                     : torch::Device(torch::kCPU);
}

int64_t FeatureBytes(const FeatureState& state, int64_t rows, bool weighted) {
  return rows * (state.dense_dim() * 4 + state.categorical_dim() * 8 + 4 + (weighted ? 4 : 0));
}

FeatureStore BuildFeatureStore(const Table& table, const FeatureState& state,
                               const std::string& label, const std::string& weight_column,
                               const Device& device, bool resident) {
  const Device where = resident ? device : Device{};
  const auto dev = TorchDevice(where);
  const int64_t n = table.rows();
  FeatureStore s;
  s.resident = resident;
  s.dense = torch::empty({n, state.dense_dim()}, torch::dtype(torch::kFloat32).device(dev));
  s.cats = torch::empty({n, state.categorical_dim()}, torch::dtype(torch::kInt64).device(dev));
  TransformFeatures(table, state, where, s.dense.data_ptr<float>(), s.cats.data_ptr<int64_t>(),
                    torch_cuda::CurrentStream(dev));
  if (!label.empty()) s.labels = ToTensor(FiniteFloats(table, label, "label", false), dev);
  if (!weight_column.empty()) {
    s.weights = ToTensor(FiniteFloats(table, weight_column, "weight", true), dev);
  }
  return s;
}

// One buffer of a streamed store: rows gathered on the host (page-locked on CUDA) and their copy
// on the device (the same tensors on a CPU device).
struct BatchStream::Slot {
  explicit Slot(const torch::Device& d) : copied(d), consumed(d) {}
  Batch host, dev;
  int64_t rows = 0;
  torch_cuda::Event copied;    // the host → device copy finished
  torch_cuda::Event consumed;  // the compute stream finished with `dev`
};

BatchStream::BatchStream(const FeatureStore& store, torch::Tensor index, int64_t batch,
                         torch::Device device, int64_t chunk_rows)
    : store_(store),
      index_(std::move(index)),
      batch_(std::max<int64_t>(batch, 1)),
      n_(index_.defined() ? index_.size(0) : store.rows()),
      device_(device) {
  if (store_.resident) return;
  if (!index_.defined()) index_ = torch::arange(store_.rows(), torch::kInt64);
  chunk_rows_ = std::max<int64_t>(chunk_rows / batch_, 1) * batch_;
  const bool cuda = device_.is_cuda();
  const auto host_opts = [&](torch::ScalarType t) {
    return torch::TensorOptions().dtype(t).pinned_memory(cuda);
  };
  const auto alloc = [&](const torch::Tensor& like, torch::TensorOptions opts) {
    if (!like.defined()) return torch::Tensor();
    auto sizes = like.sizes().vec();
    sizes[0] = std::min(chunk_rows_, n_);
    return torch::empty(sizes, opts);
  };
  for (auto& slot : slots_) {
    slot = std::make_unique<Slot>(device_);
    Batch& h = slot->host;
    h.dense = alloc(store_.dense, host_opts(torch::kFloat32));
    h.cats = alloc(store_.cats, host_opts(torch::kInt64));
    h.labels = alloc(store_.labels, host_opts(torch::kFloat32));
    h.weights = alloc(store_.weights, host_opts(torch::kFloat32));
    if (!cuda) {
      slot->dev = h;
      continue;
    }
    const auto on_dev = [&](const torch::Tensor& t) {
      return t.defined() ? torch::empty(t.sizes(), t.options().device(device_).pinned_memory(false))
                         : torch::Tensor();
    };
    slot->dev = {on_dev(h.dense), on_dev(h.cats), on_dev(h.labels), on_dev(h.weights)};
  }
  if (n_ > 0) Fetch(0, 0);
}

BatchStream::~BatchStream() {
  if (pending_.valid()) pending_.wait();
  // Device buffers go back to the caching allocator of the compute stream: no copy may still be
  // writing them.
  for (auto& slot : slots_) {
    if (slot) slot->copied.Synchronize();
  }
}

// Gathers rows [begin, begin + chunk) of the index into slot `s` on a background thread, and (on
// CUDA) copies them to the slot's device buffers on a side stream.
void BatchStream::Fetch(int s, int64_t begin) {
  Slot* slot = slots_[static_cast<size_t>(s)].get();
  const int64_t rows = std::min(chunk_rows_, n_ - begin);
  slot->rows = rows;
  // The side stream must not overwrite device buffers the compute stream still reads.
  slot->consumed.RecordOnCurrentStream();
  const torch::Tensor idx = index_.slice(0, begin, begin + rows);
  pending_ = std::async(std::launch::async, [this, slot, idx, rows] {
    const auto gather = [&](const torch::Tensor& src, torch::Tensor& dst) {
      if (!src.defined()) return;
      torch::Tensor out = dst.slice(0, 0, rows);
      torch::index_select_out(out, src, 0, idx);
    };
    slot->copied.Synchronize();  // the previous copy out of `host` is done
    gather(store_.dense, slot->host.dense);
    gather(store_.cats, slot->host.cats);
    gather(store_.labels, slot->host.labels);
    gather(store_.weights, slot->host.weights);
    if (!device_.is_cuda()) return;  // `dev` is `host`
    torch_cuda::OnSideStream(
        device_, &slot->consumed,
        [&] {
          const auto copy = [&](torch::Tensor& dst, const torch::Tensor& src) {
            if (src.defined())
              dst.slice(0, 0, rows).copy_(src.slice(0, 0, rows), /*non_blocking=*/true);
          };
          copy(slot->dev.dense, slot->host.dense);
          copy(slot->dev.cats, slot->host.cats);
          copy(slot->dev.labels, slot->host.labels);
          copy(slot->dev.weights, slot->host.weights);
        },
        &slot->copied);
  });
}

bool BatchStream::Next(Batch* out) {
  if (pos_ >= n_) return false;
  const int64_t end = std::min(n_, pos_ + batch_);
  if (store_.resident) {
    const auto take = [&](const torch::Tensor& t) -> torch::Tensor {
      if (!t.defined()) return {};
      return index_.defined() ? TakeRows(t, index_.slice(0, pos_, end)) : t.slice(0, pos_, end);
    };
    *out = {take(store_.dense), take(store_.cats), take(store_.labels), take(store_.weights)};
    pos_ = end;
    return true;
  }
  if (current_ < 0 || pos_ >= chunk_begin_ + chunk_rows_) {
    pending_.get();  // rethrows a failure of the background gather
    current_ = current_ < 0 ? 0 : 1 - current_;
    chunk_begin_ = pos_;
    slots_[static_cast<size_t>(current_)]->copied.BlockCurrentStream();
    const int64_t next = chunk_begin_ + chunk_rows_;
    if (next < n_) Fetch(1 - current_, next);
  }
  const Batch& d = slots_[static_cast<size_t>(current_)]->dev;
  const int64_t b = pos_ - chunk_begin_, e = end - chunk_begin_;
  const auto take = [&](const torch::Tensor& t) -> torch::Tensor {
    return t.defined() ? t.slice(0, b, e) : torch::Tensor();
  };
  *out = {take(d.dense), take(d.cats), take(d.labels), take(d.weights)};
  pos_ = end;
  return true;
}

}  // namespace freshet
