#include "features/plan.h"

#include <string>

#include "features/vocab.h"
#include "freshet/error.hpp"

namespace freshet {
namespace {

using kernels::CategoricalInputView;
using kernels::CategoricalOutputView;
using kernels::NumericColumnView;

const Column& Require(const Table& table, const std::string& name) {
  const Column* col = table.Find(name);
  if (!col) throw DataError("column \"" + name + "\" is not in the input");
  return *col;
}

int32_t NumericType(const Column& col) {
  switch (col.dtype) {
    case DType::kF32:
      return kernels::kInF32;
    case DType::kF64:
      return kernels::kInF64;
    case DType::kI32:
      return kernels::kInI32;
    case DType::kI64:
      return kernels::kInI64;
    case DType::kString:
      break;
  }
  throw DataError("column \"" + col.name + "\": expected numeric values, got strings");
}

}  // namespace

TransformPlan MakeTransformPlan(const Table& table, const FeatureState& state) {
  TransformPlan p;
  int32_t dense = 0, cat = 0;
  for (const auto& s : state.numeric) {
    const Column& col = Require(table, s.column);
    NumericColumnView v;
    v.type = NumericType(col);
    v.values = col.data.data();
    v.valid = col.valid.empty() ? nullptr : col.valid.data();
    v.fill = s.fill_value;
    v.clip_lo = s.clip_lo;
    v.clip_hi = s.clip_hi;
    v.pointwise = s.pointwise;
    v.shift = s.shift;
    v.scale = s.scale;
    if (s.bucketize) {
      v.bounds_begin = static_cast<int32_t>(p.bounds.size());
      v.bounds_count = static_cast<int32_t>(s.boundaries.size());
      p.bounds.insert(p.bounds.end(), s.boundaries.begin(), s.boundaries.end());
      v.cat_out = cat++;
    } else {
      v.dense_out = dense++;
    }
    if (s.indicator) v.indicator_out = dense++;
    p.numeric_cols.push_back(&col);
    p.numeric.push_back(v);
  }
  const auto input_index = [&](const std::string& name) {
    const Column& col = Require(table, name);
    for (size_t k = 0; k < p.cat_cols.size(); ++k) {
      if (p.cat_cols[k] == &col) return static_cast<int32_t>(k);
    }
    const CategoricalInputView v = CategoricalView(col);
    p.cat_cols.push_back(&col);
    p.inputs.push_back(v);
    return static_cast<int32_t>(p.inputs.size() - 1);
  };
  for (const auto& s : state.categorical) {
    CategoricalOutputView o;
    const auto names = s.inputs.empty() ? std::vector<std::string>{s.column} : s.inputs;
    FRESHET_CHECK(names.size() <= static_cast<size_t>(kernels::kMaxCrossInputs), "cross arity");
    o.n_inputs = static_cast<int32_t>(names.size());
    for (size_t k = 0; k < names.size(); ++k) o.inputs[k] = input_index(names[k]);
    if (s.encoding == "vocab") {
      const Column& in = Require(table, names[0]);
      if (s.integer_codes == in.is_string()) {
        throw DataError("column \"" + s.column + "\": the vocabulary holds " +
                        (s.integer_codes ? "integer codes" : "strings") + " but the input has " +
                        (in.is_string() ? "strings" : "integer codes"));
      }
      o.encoding = kernels::kEncodeVocab;
      p.vocabs.push_back(BuildVocabTable(s));
      o.vocab_size = static_cast<int64_t>(p.vocabs.back().keys.size());
    } else {
      o.encoding = kernels::kEncodeHash;
      o.seed = s.seed;
      o.buckets = s.buckets;
      p.vocabs.emplace_back();
    }
    o.cat_out = cat++;
    p.outputs.push_back(o);
  }
  // Pointers into p.vocabs only now that it has stopped growing.
  for (size_t k = 0; k < p.outputs.size(); ++k) {
    if (p.outputs[k].encoding != kernels::kEncodeVocab) continue;
    const VocabTable& v = p.vocabs[k];
    p.outputs[k].vocab_keys = v.keys.data();
    p.outputs[k].vocab_index = v.index.data();
    p.outputs[k].vocab_slots = v.slots.data();
    p.outputs[k].vocab_slot_mask = v.slot_mask;
    p.outputs[k].vocab_direct = v.direct.empty() ? nullptr : v.direct.data();
    p.outputs[k].vocab_direct_lo = v.direct_lo;
    p.outputs[k].vocab_direct_count = static_cast<int64_t>(v.direct.size());
  }
  p.dense_dim = dense;
  p.cat_dim = cat;
  return p;
}

}  // namespace freshet
