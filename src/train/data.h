// Training data as tensors, and the batches the trainer draws from them.
//
// Resident: the features live on the training device; a batch is an index_select of device tensors
// by a slice of a device permutation, so there is no host-to-device copy per batch.
// Streamed: when the features do not fit the device memory budget they stay in host memory; rows
// are gathered, in permutation order, into page-locked chunks (a whole number of batches each) on
// a background thread and copied to the device on a side stream, double-buffered, while the
// previous chunk trains. Both give the same batches for the same permutation.
#pragma once

#include <array>
#include <cstdint>
#include <future>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "freshet/features.hpp"
#include "freshet/table.hpp"
#include "kernels/device.h"

namespace freshet {

struct FeatureStore {
  torch::Tensor dense;    // [N, D] float32
  torch::Tensor cats;     // [N, C] int64
  torch::Tensor labels;   // [N] float32 (class ids for multiclass); undefined when not read
  torch::Tensor weights;  // [N] float32; undefined when there is no weight column
  bool resident = true;   // on the training device; otherwise in host memory

  int64_t rows() const { return dense.size(0); }
};

// Device memory the features of `rows` rows take: dense, categorical, label and weight columns.
int64_t FeatureBytes(const FeatureState& state, int64_t rows, bool weighted);

// Transforms `table` with `state` into a store on `device` (resident) or in host memory. `label`
// and `weight_column` name the columns to read ("" = none). Throws DataError naming the column and
// row for a missing or non-finite label or a missing, negative or non-finite weight.
FeatureStore BuildFeatureStore(const Table& table, const FeatureState& state,
                               const std::string& label, const std::string& weight_column,
                               const Device& device, bool resident);

torch::Device TorchDevice(const Device& d);

struct Batch {
  torch::Tensor dense, cats, labels, weights;  // on the training device; labels/weights may be
                                               // undefined as in the store
  int64_t rows() const { return dense.size(0); }
};

// Yields the rows `index` of `store` (int64; on the device for a resident store, on the host
// otherwise; undefined = every row in order) in batches of `batch` rows, in index order. A streamed
// store moves `chunk_rows` rows (rounded down to whole batches, at least one) at a time. Not
// thread-safe; the store must outlive the stream. A streamed store's batch is a view of a reused
// buffer: valid until the next call to Next (clone it to keep it).
class BatchStream {
 public:
  BatchStream(const FeatureStore& store, torch::Tensor index, int64_t batch, torch::Device device,
              int64_t chunk_rows);
  ~BatchStream();
  BatchStream(const BatchStream&) = delete;
  BatchStream& operator=(const BatchStream&) = delete;

  // Sets *out to the next batch; false when the rows are exhausted.
  bool Next(Batch* out);

 private:
  struct Slot;
  void Fetch(int slot, int64_t begin);

  const FeatureStore& store_;
  torch::Tensor index_;
  int64_t batch_;
  int64_t n_;
  int64_t pos_ = 0;
  torch::Device device_;
  // Streamed stores only.
  int64_t chunk_rows_ = 0;
  int current_ = -1;  // slot holding rows [chunk_begin_, chunk_begin_ + chunk_rows_)
  int64_t chunk_begin_ = 0;
  std::array<std::unique_ptr<Slot>, 2> slots_;
  std::future<void> pending_;
};

}  // namespace freshet
