// The profile's block generator against std::mt19937_64: the same outputs for the same seed,
// across several blocks (the twist's three parts and the tempering).
#include "validate/mt19937_block.h"

#include <cstdint>
#include <random>

#include <gtest/gtest.h>

namespace freshet::profile_internal {
namespace {

TEST(Mt19937Block, SameOutputsAsTheStandardEngine) {
  for (uint64_t seed :
       {uint64_t{0}, uint64_t{5489}, uint64_t{0x9E3779B97F4A7C15ULL}, ~uint64_t{0}}) {
    SCOPED_TRACE(seed);
    std::mt19937_64 want(seed);
    Mt19937Block got(seed);
    for (int i = 0; i < 5 * Mt19937Block::kWords + 7; ++i) ASSERT_EQ(got(), want()) << i;
  }
}

}  // namespace
}  // namespace freshet::profile_internal
