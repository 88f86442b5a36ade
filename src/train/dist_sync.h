// The training loop's collectives over the ranks of a data-parallel job (include/freshet/dist.hpp):
// gradients summed over the ranks, and values every rank must agree on.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "freshet/dist.hpp"

namespace freshet {

// Sums the gradients of `params` over the ranks, in place, through host memory (one flat float32
// or float64 buffer, the parameters' dtype; a GPU's gradients are copied to the host and back). A
// parameter without a gradient takes part with zeros (and then has a zero gradient), so that every
// rank reduces the same buffer. REQUIRES: every rank passes parameters of the same shapes, in the
// same order, and of one dtype.
void AllReduceGradients(const std::vector<torch::Tensor>& params, Communicator& comm);

// The sum over the ranks of a scalar tensor (any dtype, any device), as a double.
double AllReduceScalar(const torch::Tensor& value, Communicator& comm);

// Rank 0's `value` on every rank: decisions (early stopping, the start check) taken once.
double RankZeros(double value, Communicator& comm);

// The rows of a global batch that this rank computes: j % size == rank (a strided view).
torch::Tensor StripeOf(const torch::Tensor& t, const Communicator& comm);

}  // namespace freshet
