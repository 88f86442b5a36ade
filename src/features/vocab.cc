#include "features/vocab.h"

#include <algorithm>
#include <numeric>
#include <unordered_set>

#include "freshet/error.hpp"
#include "kernels/categorical_transform.h"
#include "kernels/value_counts.h"

namespace freshet {
namespace {

int64_t TokenCode(const std::string& token, const std::string& column) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(token, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != token.size() || token.empty()) {
    throw DataError("column \"" + column + "\": vocabulary entry \"" + token +
                    "\" is not an integer code");
  }
  return v;
}

uint64_t TokenKey(const std::string& token, bool integer_codes, const std::string& column) {
  if (!integer_codes) return kernels::Xxh64(token.data(), token.size(), 0);
  return kernels::Xxh64U64(static_cast<uint64_t>(TokenCode(token, column)), 0);
}

// The value counts of a column, on the CPU straight from the table, or on a GPU in chunks.
std::vector<kernels::ValueCount> Counts(const Column& column, const Device& device) {
  const kernels::CategoricalInputView view = CategoricalView(column);
  const int64_t n = column.size();
  if (!device.is_cuda()) return kernels::CountValues(device, view, n, nullptr);
  constexpr int64_t kChunk = int64_t{1} << 22;
  std::vector<kernels::ValueCount> all;
  for (int64_t r0 = 0; r0 < n; r0 += kChunk) {
    const int64_t r1 = std::min(n, r0 + kChunk), rows = r1 - r0;
    kernels::CategoricalInputView v = view;
    std::vector<DeviceBuffer> bufs;
    const auto upload = [&](const void* src, size_t bytes) {
      bufs.emplace_back(bytes, nullptr);
      CopyToDevice(bufs.back().data(), src, bytes, nullptr);
      return bufs.back().data();
    };
    if (column.is_string()) {
      const int64_t base = column.offsets[r0];
      std::vector<int64_t> offsets(column.offsets.begin() + r0, column.offsets.begin() + r1 + 1);
      for (auto& o : offsets) o -= base;
      v.bytes = static_cast<const char*>(
          upload(column.bytes.data() + base, static_cast<size_t>(column.offsets[r1] - base)));
      v.offsets = static_cast<const int64_t*>(upload(offsets.data(), offsets.size() * 8));
    } else {
      const size_t es = column.dtype == DType::kI32 ? 4 : 8;
      v.values = upload(column.data.data() + r0 * es, static_cast<size_t>(rows) * es);
    }
    if (v.valid) v.valid = static_cast<const uint8_t*>(upload(column.valid.data() + r0, rows));
    all = kernels::MergeCounts(all, kernels::CountValues(device, v, rows, nullptr), r0);
  }
  return all;
}

}  // namespace

kernels::CategoricalInputView CategoricalView(const Column& col) {
  kernels::CategoricalInputView v;
  v.valid = col.valid.empty() ? nullptr : col.valid.data();
  if (col.is_string()) {
    v.type = kernels::kInString;
    v.bytes = col.bytes.data();
    v.offsets = col.offsets.data();
  } else if (col.dtype == DType::kI32 || col.dtype == DType::kI64) {
    v.type = col.dtype == DType::kI32 ? kernels::kInCodeI32 : kernels::kInCodeI64;
    v.values = col.data.data();
  } else {
    throw DataError("column \"" + col.name + "\": expected strings or integer codes, got " +
                    DTypeName(col.dtype));
  }
  return v;
}

kernels::NumericColumnView NumericView(const Column& col) {
  kernels::NumericColumnView v;
  switch (col.dtype) {
    case DType::kF32:
      v.type = kernels::kInF32;
      break;
    case DType::kF64:
      v.type = kernels::kInF64;
      break;
    case DType::kI32:
      v.type = kernels::kInI32;
      break;
    case DType::kI64:
      v.type = kernels::kInI64;
      break;
    case DType::kString:
      throw DataError("column \"" + col.name + "\": expected numeric values, got strings");
  }
  v.values = col.data.data();
  v.valid = col.valid.empty() ? nullptr : col.valid.data();
  return v;
}

std::string Token(const Column& col, int64_t row) {
  if (col.is_string()) {
    return std::string(col.bytes.data() + col.offsets[row],
                       col.bytes.data() + col.offsets[row + 1]);
  }
  return std::to_string(col.dtype == DType::kI32 ? col.values<int32_t>()[row]
                                                 : col.values<int64_t>()[row]);
}

std::vector<std::string> FitVocabulary(const Column& column, int64_t min_count, int64_t max_size,
                                       const std::vector<std::string>* previous,
                                       const Device& device) {
  std::vector<std::string> vocab;
  std::unordered_set<uint64_t> known;
  if (previous) {
    vocab = *previous;
    for (const auto& t : vocab) known.insert(TokenKey(t, !column.is_string(), column.name));
  }
  struct Candidate {
    int64_t count;
    std::string token;
  };
  std::vector<Candidate> fresh;
  for (const auto& e : Counts(column, device)) {
    if (e.count >= min_count && !known.count(e.key)) {
      fresh.push_back({e.count, Token(column, e.first_row)});
    }
  }
  std::sort(fresh.begin(), fresh.end(), [](const Candidate& a, const Candidate& b) {
    return a.count != b.count ? a.count > b.count : a.token < b.token;
  });
  for (auto& c : fresh) {
    if (max_size > 0 && static_cast<int64_t>(vocab.size()) >= max_size) break;
    vocab.push_back(std::move(c.token));
  }
  return vocab;
}

VocabTable BuildVocabTable(const CategoricalState& state) {
  const size_t n = state.vocab.size();
  std::vector<uint64_t> keys(n);
  for (size_t i = 0; i < n; ++i)
    keys[i] = TokenKey(state.vocab[i], state.integer_codes, state.column);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  VocabTable t;
  t.keys.reserve(n);
  t.index.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    if (k > 0 && keys[order[k]] == t.keys.back()) {
      throw DataError("column \"" + state.column + "\": vocabulary entries \"" +
                      state.vocab[order[k - 1]] + "\" and \"" + state.vocab[order[k]] +
                      "\" are the same category (or collide in XXH64)");
    }
    t.keys.push_back(keys[order[k]]);
    t.index.push_back(static_cast<int64_t>(order[k]) + 2);
  }
  t.slots = kernels::BuildVocabSlots(t.keys.data(), t.index.data(), static_cast<int64_t>(n),
                                     &t.slot_mask);
  if (state.integer_codes) {
    std::vector<int64_t> codes(n), index(n);
    for (size_t i = 0; i < n; ++i) {
      codes[i] = TokenCode(state.vocab[i], state.column);
      index[i] = static_cast<int64_t>(i) + 2;
    }
    t.direct = kernels::BuildVocabDirect(codes.data(), index.data(), static_cast<int64_t>(n),
                                         &t.direct_lo);
  }
  return t;
}

}  // namespace freshet
