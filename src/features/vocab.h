// Vocabularies: fitting them, and the lookup keys the categorical kernels search.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "freshet/features.hpp"
#include "freshet/table.hpp"
#include "kernels/categorical_transform.h"
#include "kernels/numeric_transform.h"
#include "kernels/vocab_lookup.h"

namespace freshet {

// The kernels' view of a categorical column (strings or integer codes). Throws DataError naming
// the column for any other type.
kernels::CategoricalInputView CategoricalView(const Column& col);

// The kernels' view of a numeric column (values, valid, type; no transform). Throws DataError
// naming the column for strings.
kernels::NumericColumnView NumericView(const Column& col);

// Row `row` of a categorical column as its category: the string, or the code in decimal.
std::string Token(const Column& col, int64_t row);

// The vocabulary of a string or integer-code column: `previous` (kept as it is, in order) followed
// by the categories not in it that occur at least min_count times, most frequent first, ties broken
// by their bytes, until the vocabulary holds max_size entries (0 = no limit). Categories are told
// apart by their XXH64 (seed 0), as the transform does. Integer codes are returned in decimal.
// The counting pass runs on `device` (sort + reduce by key on a GPU, in chunks).
std::vector<std::string> FitVocabulary(const Column& column, int64_t min_count, int64_t max_size,
                                       const std::vector<std::string>* previous,
                                       const Device& device);

// The lookup table of a vocab-encoded state: keys = XXH64 of each category (seed 0; integer codes
// by their 8 little-endian bytes) in ascending order, index = the category's output index (2 + its
// position). Throws DataError when two categories share a key or a code is not an integer.
// `slots` (and `slot_mask`) is the same map as an open-addressing table, and for integer codes
// over a small range `direct` (from `direct_lo`) the same map indexed by code, for the CPU loop
// (kernels/vocab_lookup.h); `direct` is empty where the codes are too spread out.
struct VocabTable {
  std::vector<uint64_t> keys;
  std::vector<int64_t> index;
  std::vector<kernels::VocabSlot> slots;
  uint64_t slot_mask = 0;
  std::vector<int32_t> direct;
  int64_t direct_lo = 0;
};
VocabTable BuildVocabTable(const CategoricalState& state);

}  // namespace freshet
