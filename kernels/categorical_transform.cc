#include "kernels/categorical_transform.h"

#include "freshet/error.hpp"
#include "kernels/parallel.h"

namespace freshet::kernels {

void TransformCategoricalColumns(const Device& dev, const CategoricalInputView* inputs,
                                 int32_t ninputs, const CategoricalOutputView* outputs,
                                 int32_t noutputs, int64_t rows, int64_t* cats, int64_t cat_dim,
                                 void* stream) {
  FRESHET_CHECK(rows >= 0 && ninputs >= 0 && noutputs >= 0, "negative size");
  for (int32_t k = 0; k < noutputs; ++k) {
    const auto& o = outputs[k];
    FRESHET_CHECK(o.n_inputs >= 1 && o.n_inputs <= kMaxCrossInputs, "bad cross arity");
    for (int32_t j = 0; j < o.n_inputs; ++j) {
      FRESHET_CHECK(o.inputs[j] >= 0 && o.inputs[j] < ninputs, "input index out of range");
    }
    FRESHET_CHECK(o.encoding != kEncodeHash || o.buckets >= 1, "buckets < 1");
    FRESHET_CHECK(o.cat_out >= 0 && o.cat_out < cat_dim, "output column out of range");
  }
  if (rows == 0 || noutputs == 0) return;
  dev.Dispatch(
      [&] {
        cpu_impl::TransformCategoricalColumns(inputs, outputs, noutputs, rows, cats, cat_dim);
      },
      [&] {
        cuda_impl::TransformCategoricalColumns(inputs, ninputs, outputs, noutputs, rows, cats,
                                               cat_dim, stream);
      });
}

namespace cpu_impl {

void TransformCategoricalColumns(const CategoricalInputView* inputs,
                                 const CategoricalOutputView* outputs, int32_t noutputs,
                                 int64_t rows, int64_t* cats, int64_t cat_dim) {
  ParallelFor(rows, 1 << 13, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      for (int32_t k = 0; k < noutputs; ++k) {
        cats[i * cat_dim + outputs[k].cat_out] = CategoricalIndex(inputs, outputs[k], i);
      }
    }
  });
}

}  // namespace cpu_impl
}  // namespace freshet::kernels
