// std::mt19937_64's outputs, the same sequence for the same seed, generated a block of 312 at a
// time by loops that vectorise (src/validate/mt19937_block.cc builds them at -O3 for AVX-512,
// AVX2 and the baseline): about 1 ns an output against libstdc++'s 5-6 at -O2 on the bench
// machine. For the profile's seeded sample (profile_numeric.cc), which draws one output per value
// of a column until the sample is full.
#pragma once

#include <cstdint>

namespace freshet::profile_internal {

class Mt19937Block {
 public:
  static constexpr int kWords = 312;

  // As std::mt19937_64(seed).
  explicit Mt19937Block(uint64_t seed);

  // The next output, as std::mt19937_64::operator().
  uint64_t operator()() {
    if (next_ == kWords) Refill();
    return out_[next_++];
  }

 private:
  // The state's next 312 words (the twist), tempered into out_.
  void Refill();

  uint64_t state_[kWords];
  uint64_t out_[kWords];
  int next_ = kWords;
};

}  // namespace freshet::profile_internal
