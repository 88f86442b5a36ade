#include "kernels/categorical_transform.h"

#include <algorithm>

#include "freshet/error.hpp"
#include "kernels/parallel.h"
#include "kernels/vocab_lookup.h"

namespace freshet::kernels {

void TransformCategoricalColumns(const Device& dev, const CategoricalInputView* inputs,
                                 int32_t ninputs, const CategoricalOutputView* outputs,
                                 int32_t noutputs, int64_t rows, int64_t* cats, int64_t cat_dim,
                                 void* stream) {
  FRESHET_CHECK(rows >= 0 && ninputs >= 0 && noutputs >= 0, "negative size");
  for (int32_t k = 0; k < noutputs; ++k) {
    const auto& o = outputs[k];
    FRESHET_CHECK(o.n_inputs >= 1 && o.n_inputs <= kMaxCrossInputs, "bad cross arity");
    for (int32_t j = 0; j < o.n_inputs; ++j) {
      FRESHET_CHECK(o.inputs[j] >= 0 && o.inputs[j] < ninputs, "input index out of range");
    }
    FRESHET_CHECK(o.encoding != kEncodeHash || o.buckets >= 1, "buckets < 1");
    FRESHET_CHECK(o.vocab_slots == nullptr || (o.vocab_slot_mask & (o.vocab_slot_mask + 1)) == 0,
                  "vocabulary table capacity not a power of two");
    FRESHET_CHECK(o.vocab_direct == nullptr || o.vocab_direct_count >= 0, "negative direct size");
    FRESHET_CHECK(o.cat_out >= 0 && o.cat_out < cat_dim, "output column out of range");
  }
  if (rows == 0 || noutputs == 0) return;
  dev.Dispatch(
      [&] {
        cpu_impl::TransformCategoricalColumns(inputs, outputs, noutputs, rows, cats, cat_dim);
      },
      [&] {
        cuda_impl::TransformCategoricalColumns(inputs, ninputs, outputs, noutputs, rows, cats,
                                               cat_dim, stream);
      });
}

namespace cpu_impl {
namespace {

// Rows a block: one output's loop runs over a block before the next output's, so the block's
// output rows (cat_dim int64 each) stay in L2 between the outputs.
constexpr int64_t kBlockRows = 2048;

template <int32_t kType>
int64_t CodeAt(const CategoricalInputView& in, int64_t i) {
  if constexpr (kType == kInCodeI32) {
    return static_cast<const int32_t*>(in.values)[i];
  } else {
    return static_cast<const int64_t*>(in.values)[i];
  }
}

// out[i * stride] = index(XXH64 of row i with `seed`), or 0 where the row is missing, for rows
// [begin, end) of an input of type kType: HashValue with the type known at compile time.
template <int32_t kType, typename Index>
void HashRows(const CategoricalInputView& in, uint64_t seed, int64_t begin, int64_t end,
              int64_t* out, int64_t stride, Index index) {
  const uint8_t* valid = in.valid;
  for (int64_t i = begin; i < end; ++i) {
    int64_t r = 0;
    if (valid == nullptr || valid[i] != 0) {
      if constexpr (kType == kInString) {
        const int64_t lo = in.offsets[i];
        const size_t len = static_cast<size_t>(in.offsets[i + 1] - lo);
        if (len != 0) r = index(Xxh64(in.bytes + lo, len, seed));
      } else {
        r = index(Xxh64U64(static_cast<uint64_t>(CodeAt<kType>(in, i)), seed));
      }
    }
    out[i * stride] = r;
  }
}

// A vocab output over integer codes with a direct index: no hashing at all. Identical to the
// hashed lookup because XXH64 of 8 bytes is a bijection of uint64 (no two codes share a key).
template <int32_t kType>
void DirectRows(const CategoricalInputView& in, const CategoricalOutputView& o, int64_t begin,
                int64_t end, int64_t* out, int64_t stride) {
  const uint8_t* valid = in.valid;
  const int32_t* direct = o.vocab_direct;
  const int64_t lo = o.vocab_direct_lo, count = o.vocab_direct_count;
  for (int64_t i = begin; i < end; ++i) {
    const int64_t r = FindVocabDirect(direct, lo, count, CodeAt<kType>(in, i));
    out[i * stride] = valid == nullptr || valid[i] != 0 ? r : 0;
  }
}

// The index of key h under output o: its bucket, or its vocabulary entry.
template <typename Fn>
void WithIndexOf(const CategoricalOutputView& o, Fn&& fn) {
  if (o.encoding == kEncodeHash) {
    const uint64_t buckets = static_cast<uint64_t>(o.buckets);
    if ((buckets & (buckets - 1)) == 0) {
      const uint64_t mask = buckets - 1;
      fn([mask](uint64_t h) { return 2 + static_cast<int64_t>(h & mask); });
    } else {
      fn([buckets](uint64_t h) { return 2 + static_cast<int64_t>(h % buckets); });
    }
  } else if (o.vocab_slots != nullptr) {
    const VocabSlot* slots = o.vocab_slots;
    const uint64_t mask = o.vocab_slot_mask;
    fn([slots, mask](uint64_t h) { return FindVocabSlot(slots, mask, h); });
  } else {
    fn([&o](uint64_t h) { return VocabSearch(o, h); });
  }
}

template <int32_t kType>
void SingleInputRows(const CategoricalInputView& in, const CategoricalOutputView& o, int64_t begin,
                     int64_t end, int64_t* out, int64_t stride) {
  if constexpr (kType != kInString) {
    if (o.encoding == kEncodeVocab && o.vocab_direct != nullptr) {
      DirectRows<kType>(in, o, begin, end, out, stride);
      return;
    }
  }
  const uint64_t seed = o.encoding == kEncodeHash ? o.seed : 0;
  WithIndexOf(o, [&](auto index) { HashRows<kType>(in, seed, begin, end, out, stride, index); });
}

// A cross: CategoricalIndex's hashing, with the output's index function hoisted.
void CrossRows(const CategoricalInputView* inputs, const CategoricalOutputView& o, int64_t begin,
               int64_t end, int64_t* out, int64_t stride) {
  WithIndexOf(o, [&](auto index) {
    const size_t bytes = sizeof(uint64_t) * static_cast<size_t>(o.n_inputs);
    for (int64_t i = begin; i < end; ++i) {
      uint64_t parts[kMaxCrossInputs];
      int64_t r = 0;
      int k = 0;
      while (k < o.n_inputs && HashValue(inputs[o.inputs[k]], i, 0, &parts[k])) ++k;
      if (k == o.n_inputs) r = index(Xxh64(parts, bytes, o.seed));
      out[i * stride] = r;
    }
  });
}

void OutputRows(const CategoricalInputView* inputs, const CategoricalOutputView& o, int64_t begin,
                int64_t end, int64_t* cats, int64_t cat_dim) {
  int64_t* out = cats + o.cat_out;
  if (o.n_inputs != 1) {
    CrossRows(inputs, o, begin, end, out, cat_dim);
    return;
  }
  const CategoricalInputView& in = inputs[o.inputs[0]];
  switch (in.type) {
    case kInCodeI32:
      SingleInputRows<kInCodeI32>(in, o, begin, end, out, cat_dim);
      break;
    case kInCodeI64:
      SingleInputRows<kInCodeI64>(in, o, begin, end, out, cat_dim);
      break;
    default:
      SingleInputRows<kInString>(in, o, begin, end, out, cat_dim);
      break;
  }
}

}  // namespace

void TransformCategoricalRows(const CategoricalInputView* inputs,
                              const CategoricalOutputView* outputs, int32_t noutputs, int64_t begin,
                              int64_t end, int64_t* cats, int64_t cat_dim) {
  for (int64_t b = begin; b < end; b += kBlockRows) {
    const int64_t e = std::min(end, b + kBlockRows);
    for (int32_t k = 0; k < noutputs; ++k) OutputRows(inputs, outputs[k], b, e, cats, cat_dim);
  }
}

void TransformCategoricalColumns(const CategoricalInputView* inputs,
                                 const CategoricalOutputView* outputs, int32_t noutputs,
                                 int64_t rows, int64_t* cats, int64_t cat_dim) {
  ParallelFor(rows, 1 << 13, [&](int64_t begin, int64_t end) {
    TransformCategoricalRows(inputs, outputs, noutputs, begin, end, cats, cat_dim);
  });
}

}  // namespace cpu_impl
}  // namespace freshet::kernels
