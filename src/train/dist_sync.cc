#include "train/dist_sync.h"

#include <cstring>
#include <string>

#include "freshet/error.hpp"

namespace freshet {

void AllReduceGradients(const std::vector<torch::Tensor>& params, Communicator& comm) {
  if (params.empty()) return;
  torch::NoGradGuard no_grad;
  const auto dtype = params.front().scalar_type();
  std::vector<torch::Tensor> flat;
  for (const auto& p : params) {
    FRESHET_CHECK(p.scalar_type() == dtype, "parameters of several dtypes");
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    flat.push_back(p.grad().reshape({-1}));
  }
  torch::Tensor host = torch::cat(flat).to(torch::kCPU).contiguous();
  if (dtype == torch::kFloat64) {
    comm.AllReduceSum(host.data_ptr<double>(), host.numel());
  } else {
    FRESHET_CHECK(dtype == torch::kFloat32, "gradients must be float32 or float64");
    comm.AllReduceSum(host.data_ptr<float>(), host.numel());
  }
  const torch::Tensor summed = host.to(params.front().device());
  int64_t at = 0;
  for (const auto& p : params) {
    const int64_t n = p.numel();
    p.grad().copy_(summed.slice(0, at, at + n).view(p.sizes()));
    at += n;
  }
}

double AllReduceScalar(const torch::Tensor& value, Communicator& comm) {
  double v = value.item<double>();
  comm.AllReduceSum(&v, 1);
  return v;
}

double RankZeros(double value, Communicator& comm) {
  std::string bytes(sizeof(double), '\0');
  std::memcpy(bytes.data(), &value, sizeof(double));
  comm.Broadcast(&bytes, 0);
  FRESHET_CHECK(bytes.size() == sizeof(double), "broadcast of a double");
  std::memcpy(&value, bytes.data(), sizeof(double));
  return value;
}

torch::Tensor StripeOf(const torch::Tensor& t, const Communicator& comm) {
  if (!t.defined()) return t;
  return t.slice(0, comm.rank(), t.size(0), comm.size());
}

}  // namespace freshet
