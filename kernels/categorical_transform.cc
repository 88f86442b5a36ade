#include "kernels/categorical_transform.h"

#include <algorithm>
#include <vector>

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

template <int32_t InType>
int64_t CodeAt(const CategoricalInputView& in, int64_t i) {
  if constexpr (InType == kInCodeI32) {
    return static_cast<const int32_t*>(in.values)[i];
  } else {
    return static_cast<const int64_t*>(in.values)[i];
  }
}

// Calls put(i, present, h) for rows [begin, end) of an input of type InType, h = XXH64 of the row
// with `seed` where present: HashValue with the type known at compile time.
template <int32_t InType, typename Put>
void HashRows(const CategoricalInputView& in, uint64_t seed, int64_t begin, int64_t end, Put put) {
  const uint8_t* valid = in.valid;
  for (int64_t i = begin; i < end; ++i) {
    bool present = valid == nullptr || valid[i] != 0;
    uint64_t h = 0;
    if constexpr (InType == kInString) {
      const int64_t lo = in.offsets[i];
      const size_t len = static_cast<size_t>(in.offsets[i + 1] - lo);
      present = present && len != 0;
      if (present) h = Xxh64(in.bytes + lo, len, seed);
    } else {
      if (present) h = Xxh64U64(static_cast<uint64_t>(CodeAt<InType>(in, i)), seed);
    }
    put(i, present, h);
  }
}

template <typename Put>
void HashRowsOf(const CategoricalInputView& in, uint64_t seed, int64_t begin, int64_t end,
                Put put) {
  switch (in.type) {
    case kInCodeI32:
      HashRows<kInCodeI32>(in, seed, begin, end, put);
      break;
    case kInCodeI64:
      HashRows<kInCodeI64>(in, seed, begin, end, put);
      break;
    default:
      HashRows<kInString>(in, seed, begin, end, put);
      break;
  }
}

// Xxh64(lanes, 8 * n, seed) for n < 4 (under 32 bytes: no stripes, no tail but whole lanes),
// without the generic function's length tests.
uint64_t Xxh64Lanes(const uint64_t* lanes, int32_t n, uint64_t seed) {
  using namespace xxh64_detail;
  const auto* bytes = reinterpret_cast<const unsigned char*>(lanes);
  uint64_t h = seed + kPrime5 + 8 * static_cast<uint64_t>(n);
  for (int32_t j = 0; j < n; ++j) h = Tail8(h, Read64(bytes + 8 * j));
  return Avalanche(h);
}

// A vocab output over integer codes with a direct index: no hashing at all. Identical to the
// hashed lookup because XXH64 of 8 bytes is a bijection of uint64 (no two codes share a key).
template <int32_t InType>
void DirectRows(const CategoricalInputView& in, const CategoricalOutputView& o, int64_t begin,
                int64_t end, int64_t* out, int64_t stride) {
  const uint8_t* valid = in.valid;
  const int32_t* direct = o.vocab_direct;
  const int64_t lo = o.vocab_direct_lo, count = o.vocab_direct_count;
  for (int64_t i = begin; i < end; ++i) {
    const int64_t r = FindVocabDirect(direct, lo, count, CodeAt<InType>(in, i));
    out[i * stride] = valid == nullptr || valid[i] != 0 ? r : 0;
  }
}

// Calls fn(index) with index(h) = the index of key h under output o (its bucket, or its vocabulary
// entry), the lookup chosen once.
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

bool IsDirect(const CategoricalInputView& in, const CategoricalOutputView& o) {
  return o.n_inputs == 1 && o.encoding == kEncodeVocab && o.vocab_direct != nullptr &&
         in.type != kInString;
}

// A block's XXH64 (seed 0) of the inputs that two or more outputs hash with seed 0 (vocabularies
// and crosses), computed once for all of them: hash[j * kBlockRows + r], present[...] likewise.
struct SharedHashes {
  std::vector<int32_t> slot;  // per input: its row in the arrays, or -1 when not shared
  std::vector<uint64_t> hash;
  std::vector<uint8_t> present;
};

SharedHashes PlanSharedHashes(const CategoricalInputView* inputs,
                              const CategoricalOutputView* outputs, int32_t noutputs) {
  int32_t ninputs = 0;
  for (int32_t k = 0; k < noutputs; ++k) {
    for (int32_t j = 0; j < outputs[k].n_inputs; ++j) {
      ninputs = std::max(ninputs, outputs[k].inputs[j] + 1);
    }
  }
  std::vector<int32_t> uses(ninputs, 0);
  for (int32_t k = 0; k < noutputs; ++k) {
    const CategoricalOutputView& o = outputs[k];
    const bool seed0 = o.n_inputs > 1 || o.encoding == kEncodeVocab;
    if (!seed0 || IsDirect(inputs[o.inputs[0]], o)) continue;
    for (int32_t j = 0; j < o.n_inputs; ++j) ++uses[o.inputs[j]];
  }
  SharedHashes s;
  s.slot.assign(ninputs, -1);
  int32_t shared = 0;
  for (int32_t j = 0; j < ninputs; ++j) {
    if (uses[j] >= 2) s.slot[j] = shared++;
  }
  s.hash.resize(static_cast<size_t>(shared) * kBlockRows);
  s.present.resize(static_cast<size_t>(shared) * kBlockRows);
  return s;
}

void FillSharedHashes(const CategoricalInputView* inputs, int64_t begin, int64_t end,
                      SharedHashes* s) {
  for (size_t j = 0; j < s->slot.size(); ++j) {
    if (s->slot[j] < 0) continue;
    uint64_t* hash = s->hash.data() + s->slot[j] * kBlockRows - begin;
    uint8_t* present = s->present.data() + s->slot[j] * kBlockRows - begin;
    HashRowsOf(inputs[j], 0, begin, end, [&](int64_t i, bool ok, uint64_t h) {
      hash[i] = h;
      present[i] = ok;
    });
  }
}

// A vocab output of one input through its hash table: the block's keys first (shared or computed
// here), then the lookups, each slot prefetched a few rows ahead, so that the cache misses of a
// table larger than the cache overlap instead of following one another.
void SlotRows(const CategoricalInputView& in, const CategoricalOutputView& o,
              const SharedHashes& shared, int64_t begin, int64_t end, int64_t* out,
              int64_t stride) {
  const int64_t n = end - begin;
  const int32_t slot = shared.slot[o.inputs[0]];
  uint64_t local_hash[kBlockRows];
  uint8_t local_present[kBlockRows];
  const uint64_t* hash = local_hash;
  const uint8_t* present = local_present;
  if (slot >= 0) {
    hash = shared.hash.data() + slot * kBlockRows;
    present = shared.present.data() + slot * kBlockRows;
  } else {
    HashRowsOf(in, 0, begin, end, [&](int64_t i, bool ok, uint64_t h) {
      local_hash[i - begin] = h;
      local_present[i - begin] = ok;
    });
  }
  const VocabSlot* slots = o.vocab_slots;
  const uint64_t mask = o.vocab_slot_mask;
  constexpr int64_t kAhead = 16;
  for (int64_t r = 0; r < n; ++r) {
    if (r + kAhead < n) __builtin_prefetch(&slots[hash[r + kAhead] & mask]);
    out[(begin + r) * stride] = present[r] ? FindVocabSlot(slots, mask, hash[r]) : 0;
  }
}

// Rows [begin, end) (at most kBlockRows, from a block's start) of output o into out[i * stride].
void OutputRows(const CategoricalInputView* inputs, const CategoricalOutputView& o,
                const SharedHashes& shared, int64_t begin, int64_t end, int64_t* out,
                int64_t stride) {
  const CategoricalInputView& in = inputs[o.inputs[0]];
  if (IsDirect(in, o)) {
    if (in.type == kInCodeI32) {
      DirectRows<kInCodeI32>(in, o, begin, end, out, stride);
    } else {
      DirectRows<kInCodeI64>(in, o, begin, end, out, stride);
    }
    return;
  }
  if (o.n_inputs == 1 && o.vocab_slots != nullptr && o.encoding == kEncodeVocab) {
    SlotRows(in, o, shared, begin, end, out, stride);
    return;
  }
  WithIndexOf(o, [&](auto index) {
    if (o.n_inputs == 1) {
      const int32_t slot = o.encoding == kEncodeVocab ? shared.slot[o.inputs[0]] : -1;
      if (slot >= 0) {
        const uint64_t* hash = shared.hash.data() + slot * kBlockRows - begin;
        const uint8_t* present = shared.present.data() + slot * kBlockRows - begin;
        for (int64_t i = begin; i < end; ++i) out[i * stride] = present[i] ? index(hash[i]) : 0;
      } else {
        const uint64_t seed = o.encoding == kEncodeHash ? o.seed : 0;
        HashRowsOf(in, seed, begin, end,
                   [&](int64_t i, bool ok, uint64_t h) { out[i * stride] = ok ? index(h) : 0; });
      }
      return;
    }
    // A cross: CategoricalIndex's hashing, each input's hash taken from the block's when shared.
    const size_t bytes = sizeof(uint64_t) * static_cast<size_t>(o.n_inputs);
    for (int64_t i = begin; i < end; ++i) {
      uint64_t parts[kMaxCrossInputs];
      bool ok = true;
      for (int32_t k = 0; ok && k < o.n_inputs; ++k) {
        const int32_t slot = shared.slot[o.inputs[k]];
        if (slot >= 0) {
          const int64_t at = slot * kBlockRows + (i - begin);
          parts[k] = shared.hash[at];
          ok = shared.present[at] != 0;
        } else {
          ok = HashValue(inputs[o.inputs[k]], i, 0, &parts[k]);
        }
      }
      out[i * stride] = ok ? index(o.n_inputs < 4 ? Xxh64Lanes(parts, o.n_inputs, o.seed)
                                                  : Xxh64(parts, bytes, o.seed))
                           : 0;
    }
  });
}

}  // namespace

void TransformCategoricalRows(const CategoricalInputView* inputs,
                              const CategoricalOutputView* outputs, int32_t noutputs, int64_t begin,
                              int64_t end, int64_t* cats, int64_t cat_dim) {
  SharedHashes shared = PlanSharedHashes(inputs, outputs, noutputs);
  for (int64_t b = begin; b < end; b += kBlockRows) {
    const int64_t e = std::min(end, b + kBlockRows);
    FillSharedHashes(inputs, b, e, &shared);
    for (int32_t k = 0; k < noutputs; ++k) {
      OutputRows(inputs, outputs[k], shared, b, e, cats + outputs[k].cat_out, cat_dim);
    }
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
