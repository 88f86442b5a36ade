#include "kernels/vocab_lookup.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "freshet/error.hpp"

namespace freshet::kernels {

std::vector<VocabSlot> BuildVocabSlots(const uint64_t* keys, const int64_t* index, int64_t n,
                                       uint64_t* mask) {
  FRESHET_CHECK(n >= 0, "negative vocabulary size");
  uint64_t capacity = 16;
  while (capacity < 2 * static_cast<uint64_t>(n)) capacity *= 2;
  std::vector<VocabSlot> slots(capacity);
  *mask = capacity - 1;
  // Lowest index first: a vocabulary's most frequent categories come first, and so get the
  // shortest probe sequences.
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return index[a] < index[b]; });
  for (const int64_t k : order) {
    FRESHET_CHECK(index[k] >= 2, "vocabulary index below 2");
    uint64_t s = keys[k] & *mask;
    while (slots[s].index != 0) {
      FRESHET_CHECK(slots[s].key != keys[k], "duplicate vocabulary key");
      s = (s + 1) & *mask;
    }
    slots[s] = {keys[k], index[k]};
  }
  return slots;
}

std::vector<int32_t> BuildVocabDirect(const int64_t* codes, const int64_t* index, int64_t n,
                                      int64_t* lo) {
  *lo = 0;
  if (n <= 0) return {};
  const auto [min_it, max_it] = std::minmax_element(codes, codes + n);
  // In unsigned arithmetic: the span of two int64 codes may not fit in int64.
  const uint64_t span = static_cast<uint64_t>(*max_it) - static_cast<uint64_t>(*min_it);
  const uint64_t limit = static_cast<uint64_t>(std::max<int64_t>(4 * n, 4096));
  if (span >= limit || span >= static_cast<uint64_t>(kMaxDirectCodes)) return {};
  for (int64_t k = 0; k < n; ++k) {
    if (index[k] > std::numeric_limits<int32_t>::max()) return {};
  }
  std::vector<int32_t> direct(span + 1, 1);
  for (int64_t k = 0; k < n; ++k) {
    const uint64_t off = static_cast<uint64_t>(codes[k]) - static_cast<uint64_t>(*min_it);
    FRESHET_CHECK(direct[off] == 1, "duplicate vocabulary code");
    direct[off] = static_cast<int32_t>(index[k]);
  }
  *lo = *min_it;
  return direct;
}

}  // namespace freshet::kernels
