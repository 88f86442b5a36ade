#include "validate/mt19937_block.h"

#include "kernels/simd_clones.h"

namespace freshet::profile_internal {
namespace {

// MT19937-64's parameters (Matsumoto and Nishimura; std::mt19937_64's).
constexpr int kShift = 156;
constexpr uint64_t kMatrix = 0xB5026F5AA96619E9ULL;
constexpr uint64_t kUpper = 0xFFFFFFFF80000000ULL;
constexpr uint64_t kLower = 0x7FFFFFFFULL;

inline uint64_t Mixed(uint64_t a, uint64_t b, uint64_t far) {
  const uint64_t y = (a & kUpper) | (b & kLower);
  return far ^ (y >> 1) ^ ((y & 1) != 0 ? kMatrix : 0);
}

// Integer operations only: every copy (kernels/simd_clones.h) gives the same words.
FRESHET_SIMD_CLONES void Twist(uint64_t* mt, uint64_t* out) {
  constexpr int kN = Mt19937Block::kWords;
  for (int k = 0; k < kN - kShift; ++k) mt[k] = Mixed(mt[k], mt[k + 1], mt[k + kShift]);
  for (int k = kN - kShift; k < kN - 1; ++k) {
    mt[k] = Mixed(mt[k], mt[k + 1], mt[k + kShift - kN]);
  }
  mt[kN - 1] = Mixed(mt[kN - 1], mt[0], mt[kShift - 1]);
  for (int k = 0; k < kN; ++k) {
    uint64_t y = mt[k];
    y ^= (y >> 29) & 0x5555555555555555ULL;
    y ^= (y << 17) & 0x71D67FFFEDA60000ULL;
    y ^= (y << 37) & 0xFFF7EEE000000000ULL;
    y ^= y >> 43;
    out[k] = y;
  }
}

}  // namespace

Mt19937Block::Mt19937Block(uint64_t seed) {
  state_[0] = seed;
  for (int i = 1; i < kWords; ++i) {
    state_[i] =
        6364136223846793005ULL * (state_[i - 1] ^ (state_[i - 1] >> 62)) + static_cast<uint64_t>(i);
  }
}

void Mt19937Block::Refill() {
  Twist(state_, out_);
  next_ = 0;
}

}  // namespace freshet::profile_internal
