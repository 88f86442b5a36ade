// The fused categorical feature transform: every categorical output of a row (hashed, vocabulary
// lookups, hashed crosses) computed from the raw strings or integer codes. One element function
// shared by the CPU loop and the CUDA kernel. Index contract: 0 missing, 1 out of vocabulary, 2.. a
// category.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/common.h"
#include "kernels/device.h"
#include "kernels/xxhash64.h"

namespace freshet::kernels {

enum CategoricalInputType : int32_t { kInString = 0, kInCodeI32 = 1, kInCodeI64 = 2 };
enum CategoricalEncoding : int32_t { kEncodeHash = 0, kEncodeVocab = 1 };
constexpr int kMaxCrossInputs = 4;

// One categorical input column, non-owning. Strings: value i is bytes[offsets[i], offsets[i+1]);
// an empty string is missing. Codes: `values` holds int32 or int64. `valid` is null or one byte a
// row (0 = missing).
struct CategoricalInputView {
  int32_t type = kInString;
  const char* bytes = nullptr;
  const int64_t* offsets = nullptr;
  const void* values = nullptr;
  const uint8_t* valid = nullptr;
};

struct VocabSlot;  // kernels/vocab_lookup.h

// One categorical output. Hash of one input: 2 + XXH64(value bytes, seed) % buckets (codes hash
// their 8 little-endian bytes as int64). Hash of a cross: each input's XXH64(value, 0), then XXH64
// of those 8-byte hashes, in input order, with `seed`. Vocab: the input's XXH64(value, 0) looked
// up in `vocab_keys` (ascending) → vocab_index[k], or 1 when absent. Missing when any input is.
//
// The vocab_slots and vocab_direct members are optional CPU lookups of the very same map
// (kernels/vocab_lookup.h), in host memory: the CPU loop uses them when they are set, a device
// never reads them (it searches vocab_keys), and CategoricalIndex, the reference, ignores them.
struct CategoricalOutputView {
  int32_t encoding = kEncodeHash;
  int32_t n_inputs = 1;
  int32_t inputs[kMaxCrossInputs] = {0, 0, 0, 0};
  uint64_t seed = 0;
  int64_t buckets = 1;
  const uint64_t* vocab_keys = nullptr;
  const int64_t* vocab_index = nullptr;
  int64_t vocab_size = 0;
  const VocabSlot* vocab_slots = nullptr;  // BuildVocabSlots of vocab_keys/vocab_index, or null
  uint64_t vocab_slot_mask = 0;
  const int32_t* vocab_direct = nullptr;  // BuildVocabDirect of the integer codes, or null
  int64_t vocab_direct_lo = 0;
  int64_t vocab_direct_count = 0;
  int32_t cat_out = 0;
};

// XXH64 of input row i's value with `seed`; false when the value is missing.
FRESHET_HD bool HashValue(const CategoricalInputView& in, int64_t i, uint64_t seed, uint64_t* h) {
  if (in.valid != nullptr && in.valid[i] == 0) return false;
  if (in.type == kInString) {
    const int64_t lo = in.offsets[i];
    const size_t len = static_cast<size_t>(in.offsets[i + 1] - lo);
    if (len == 0) return false;
    *h = Xxh64(in.bytes + lo, len, seed);
    return true;
  }
  const int64_t v = in.type == kInCodeI32
                        ? static_cast<int64_t>(static_cast<const int32_t*>(in.values)[i])
                        : static_cast<const int64_t*>(in.values)[i];
  *h = Xxh64U64(static_cast<uint64_t>(v), seed);
  return true;
}

// The index of key h in a vocab output's sorted keys (binary search), or 1 when absent.
FRESHET_HD int64_t VocabSearch(const CategoricalOutputView& o, uint64_t h) {
  int64_t lo = 0, hi = o.vocab_size;
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (o.vocab_keys[mid] < h) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < o.vocab_size && o.vocab_keys[lo] == h ? o.vocab_index[lo] : 1;
}

// The index of row i for one output.
FRESHET_HD int64_t CategoricalIndex(const CategoricalInputView* inputs,
                                    const CategoricalOutputView& o, int64_t i) {
  uint64_t h = 0;
  if (o.n_inputs == 1) {
    const uint64_t seed = o.encoding == kEncodeHash ? o.seed : 0;
    if (!HashValue(inputs[o.inputs[0]], i, seed, &h)) return 0;
  } else {
    uint64_t parts[kMaxCrossInputs];
    for (int k = 0; k < o.n_inputs; ++k) {
      if (!HashValue(inputs[o.inputs[k]], i, 0, &parts[k])) return 0;
    }
    h = Xxh64(parts, sizeof(uint64_t) * static_cast<size_t>(o.n_inputs), o.seed);
  }
  if (o.encoding == kEncodeHash) {
    return 2 + static_cast<int64_t>(h % static_cast<uint64_t>(o.buckets));
  }
  return VocabSearch(o, h);
}

// cats[i * cat_dim + outputs[k].cat_out] = CategoricalIndex(inputs, outputs[k], i) for rows
// [0, rows). `inputs` and `outputs` are host arrays (copied to the device on a CUDA device); the
// pointers inside them and `cats` are host pointers on a CPU device and device pointers on a CUDA
// one, where the work is queued on `stream` (a cudaStream_t).
void TransformCategoricalColumns(const Device& dev, const CategoricalInputView* inputs,
                                 int32_t ninputs, const CategoricalOutputView* outputs,
                                 int32_t noutputs, int64_t rows, int64_t* cats, int64_t cat_dim,
                                 void* stream);

namespace cpu_impl {
void TransformCategoricalColumns(const CategoricalInputView* inputs,
                                 const CategoricalOutputView* outputs, int32_t noutputs,
                                 int64_t rows, int64_t* cats, int64_t cat_dim);

// Rows [begin, end) of TransformCategoricalColumns, on the calling thread: one output at a time
// over blocks of rows, each with a loop specialised for its input type and encoding (and the vocab
// lookups when set). What each thread of the CPU loop runs on its range.
void TransformCategoricalRows(const CategoricalInputView* inputs,
                              const CategoricalOutputView* outputs, int32_t noutputs, int64_t begin,
                              int64_t end, int64_t* cats, int64_t cat_dim);
}  // namespace cpu_impl

namespace cuda_impl {
void TransformCategoricalColumns(const CategoricalInputView* inputs, int32_t ninputs,
                                 const CategoricalOutputView* outputs, int32_t noutputs,
                                 int64_t rows, int64_t* cats, int64_t cat_dim, void* stream);
}  // namespace cuda_impl

}  // namespace freshet::kernels
