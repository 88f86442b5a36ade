// The CPU's vocabulary lookups: an open-addressing hash table keyed by the same XXH64 keys as the
// sorted arrays that CategoricalIndex binary-searches, and, for integer codes over a small range,
// a direct index by code. Both hold exactly the map (key -> index) of the sorted arrays, so the
// CPU loop that uses them gives the outputs of the reference element function (which the GPU
// keeps using); they only replace ~log2(n) dependent, unpredictable loads by one or two.
#pragma once

#include <cstdint>
#include <vector>

namespace freshet::kernels {

// One slot of the hash table; index 0 marks an empty slot (vocabulary indices are >= 2).
struct VocabSlot {
  uint64_t key = 0;
  int64_t index = 0;
};

// The hash table of the map keys[k] -> index[k], k < n (keys distinct, index[k] >= 2): linear
// probing from slot `key & mask`, capacity (mask + 1) a power of two at least 2 * n, so a probe
// sequence is short and always reaches an empty slot. The keys are XXH64 values, already well
// mixed, so their low bits pick the slot. Entries go in by ascending index (a vocabulary's most
// frequent first), so they get the shortest probes. Returns the slots; *mask is capacity - 1.
std::vector<VocabSlot> BuildVocabSlots(const uint64_t* keys, const int64_t* index, int64_t n,
                                       uint64_t* mask);

// The index of `key` in a table of BuildVocabSlots, or 1 (out of vocabulary) when it holds no such
// key.
inline int64_t FindVocabSlot(const VocabSlot* slots, uint64_t mask, uint64_t key) {
  for (uint64_t s = key & mask;; s = (s + 1) & mask) {
    const VocabSlot& e = slots[s];
    if (e.index == 0) return 1;
    if (e.key == key) return e.index;
  }
}

// The most entries a direct index may have (16 MiB of int32): beyond, the hash table is used.
constexpr int64_t kMaxDirectCodes = int64_t{1} << 22;

// The direct index of integer codes: out[c - *lo] = index[k] for code c = codes[k], 1 (out of
// vocabulary) for the codes in [*lo, *lo + out.size()) that are not in the vocabulary. Empty (no
// direct index) when n == 0, when the codes span more than max(4 * n, 4096) values or more than
// kMaxDirectCodes, or when an index does not fit in int32. Codes must be distinct.
std::vector<int32_t> BuildVocabDirect(const int64_t* codes, const int64_t* index, int64_t n,
                                      int64_t* lo);

// The index of integer code `code` in a direct index of `count` entries from `lo`, or 1.
inline int64_t FindVocabDirect(const int32_t* direct, int64_t lo, int64_t count, int64_t code) {
  // Unsigned: a code below lo wraps to a large offset, and no subtraction overflows.
  const uint64_t off = static_cast<uint64_t>(code) - static_cast<uint64_t>(lo);
  return off < static_cast<uint64_t>(count) ? direct[off] : 1;
}

}  // namespace freshet::kernels
