// Vocabularies that grow with the stream: each vocab-encoded categorical feature appends the
// categories it has not seen, in order of first appearance in the stream, until it holds its
// max_size (0 = no cap); later new categories map to out-of-vocabulary. Online, every category
// counts from its first sighting (min_count is a batch fit's rule). Hashed columns and crosses
// need nothing. Because the order is the stream's, a category's index does not depend on how the
// stream was cut into micro-batches.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "freshet/features.hpp"
#include "freshet/table.hpp"

namespace freshet::online {

class VocabGrowth {
 public:
  explicit VocabGrowth(const FeatureState& state);
  // Appends the new categories of `table` to `state` (the state given to the constructor, or one
  // restored equal to it). Returns whether any vocabulary grew.
  bool Grow(const Table& table, FeatureState* state);

 private:
  std::vector<std::unordered_set<std::string>> known_;  // per categorical state
};

}  // namespace freshet::online
