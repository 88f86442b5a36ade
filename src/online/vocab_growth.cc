// Vocabularies that grow with the stream (vocab_growth.h).
#include "online/vocab_growth.h"

#include "features/vocab.h"

namespace freshet::online {

VocabGrowth::VocabGrowth(const FeatureState& state) {
  for (const auto& c : state.categorical) known_.emplace_back(c.vocab.begin(), c.vocab.end());
}

bool VocabGrowth::Grow(const Table& table, FeatureState* state) {
  bool grew = false;
  for (size_t k = 0; k < state->categorical.size(); ++k) {
    CategoricalState& c = state->categorical[k];
    if (c.encoding != "vocab" || !c.inputs.empty()) continue;
    const Column* col = table.Find(c.column);
    if (col == nullptr) continue;  // the transform names the missing column
    auto& known = known_[k];
    for (int64_t i = 0; i < col->rows; ++i) {
      if (c.max_size > 0 && static_cast<int64_t>(c.vocab.size()) >= c.max_size) break;
      if (!col->is_valid(i)) continue;
      std::string token = Token(*col, i);
      if (token.empty() || known.count(token)) continue;
      known.insert(token);
      c.vocab.push_back(std::move(token));
      grew = true;
    }
  }
  return grew;
}

}  // namespace freshet::online
