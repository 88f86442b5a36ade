// The single-pass feature transform: numeric and categorical outputs of a block of rows computed
// together, so that every byte of the dense and index outputs is written once. On the GPU the
// block is built in shared memory and written out as whole rows, coalesced; on the CPU a block's
// output rows stay in cache while every column writes its part. The element functions are those
// of numeric_transform.h and categorical_transform.h, whose CPU loops are the reference.
#pragma once

#include <cstdint>

#include "kernels/categorical_transform.h"
#include "kernels/numeric_transform.h"

namespace freshet::kernels {

namespace cpu_impl {

// Equivalent to TransformNumericColumns followed by TransformCategoricalColumns on the same rows
// (host pointers), with ParallelFor's threads: each thread takes a range of rows and runs both
// kernels' row loops on one block of it at a time.
void TransformFeatureRows(const NumericColumnView* numeric, int32_t nnumeric, const double* bounds,
                          const CategoricalInputView* inputs, const CategoricalOutputView* outputs,
                          int32_t noutputs, int64_t rows, float* dense, int64_t dense_dim,
                          int64_t* cats, int64_t cat_dim);

}  // namespace cpu_impl

namespace cuda_impl {

// Equivalent to TransformNumericColumns followed by TransformCategoricalColumns on the same rows
// (same arguments, device pointers; `stream` is a cudaStream_t). Falls back to the two kernels
// when a block's rows do not fit in shared memory.
void TransformFeatureRows(const NumericColumnView* numeric, int32_t nnumeric, const double* bounds,
                          int32_t nbounds, const CategoricalInputView* inputs, int32_t ninputs,
                          const CategoricalOutputView* outputs, int32_t noutputs, int64_t rows,
                          float* dense, int64_t dense_dim, int64_t* cats, int64_t cat_dim,
                          void* stream);

}  // namespace cuda_impl
}  // namespace freshet::kernels
