// freshet_feature_bench: the tables and the JSON of a run, and the output comparisons.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "scripts/bench/feature_bench.h"

namespace freshet::bench {
namespace {

using nlohmann::json;

json ToJson(const OpResult& r) {
  json j = {{"name", r.name}, {"op", r.op}, {"bytes", r.bytes}};
  const auto put = [&](const char* k, double v) { j[k] = std::isnan(v) ? json() : json(v); };
  put("cpu_ms", r.cpu_ms);
  put("cpu_ms_1t", r.cpu_ms_1t);
  put("gpu_ms", r.gpu_ms);
  put("max_diff", r.max_diff);
  if (r.mismatches >= 0) j["mismatches"] = r.mismatches;
  return j;
}

std::string Fmt(const char* fmt, double v) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

}  // namespace

// Largest |a - b| over column `col` of two row-major [rows, dim] float arrays; infinity where one
// is NaN and the other is not.
double MaxDiff(const std::vector<float>& a, const std::vector<float>& b, int64_t dim, int64_t col,
               int64_t rows) {
  double m = 0;
  for (int64_t i = 0; i < rows; ++i) {
    const double x = a[i * dim + col], y = b[i * dim + col];
    if (std::isnan(x) || std::isnan(y)) {
      if (std::isnan(x) != std::isnan(y)) return std::numeric_limits<double>::infinity();
    } else {
      m = std::max(m, std::fabs(x - y));
    }
  }
  return m;
}

int64_t Mismatches(const std::vector<int64_t>& a, const std::vector<int64_t>& b, int64_t dim,
                   int64_t col, int64_t rows) {
  int64_t m = 0;
  for (int64_t i = 0; i < rows; ++i) m += a[i * dim + col] != b[i * dim + col];
  return m;
}

// Fills the diff columns of `ops` (numeric views first, then categorical outputs) by comparing an
// output with the CPU's.
void Compare(const Plan& p, int64_t n, const std::vector<float>& dense,
             const std::vector<int64_t>& cats, const std::vector<float>& cpu_dense,
             const std::vector<int64_t>& cpu_cats, std::vector<OpResult>* ops) {
  for (size_t j = 0; j < p.numeric.size(); ++j) {
    const auto& v = p.numeric[j];
    OpResult& r = (*ops)[j];
    if (v.cat_out >= 0) {
      r.mismatches = Mismatches(cats, cpu_cats, p.cat_dim, v.cat_out, n);
    } else {
      r.max_diff = MaxDiff(dense, cpu_dense, p.dense_dim, v.dense_out, n);
    }
    if (v.indicator_out >= 0) {
      r.max_diff = std::max(std::isnan(r.max_diff) ? 0.0 : r.max_diff,
                            MaxDiff(dense, cpu_dense, p.dense_dim, v.indicator_out, n));
    }
  }
  for (size_t k = 0; k < p.outputs.size(); ++k) {
    (*ops)[p.numeric.size() + k].mismatches =
        Mismatches(cats, cpu_cats, p.cat_dim, p.outputs[k].cat_out, n);
  }
}

std::string FormatTable(const Report& r) {
  std::string out;
  char line[1024];
  const double total = r.input_bytes + r.output_bytes;
  const double cpu_ms = Median(r.cpu_runs), cpu_1t = Median(r.cpu_runs_1t);
  std::snprintf(line, sizeof(line),
                "rows %lld; bytes moved %.2f GB (in %.2f + out %.2f); CPU threads %d; GPU: %s\n",
                static_cast<long long>(r.rows), total / 1e9, r.input_bytes / 1e9,
                r.output_bytes / 1e9, r.threads, r.gpu_status.c_str());
  out += line;
  std::snprintf(line, sizeof(line),
                "host memcpy %s GB/s (%d threads), %s GB/s (1 thread): CPU floor %s ms\n",
                Fmt("%.1f", r.host_gbs).c_str(), r.threads, Fmt("%.1f", r.host_gbs_1t).c_str(),
                Fmt("%.1f", total / (r.host_gbs * 1e6)).c_str());
  out += line;
  std::snprintf(line, sizeof(line),
                "CPU TransformFeatures: %s ms (%d threads, %.1f GB/s), %s ms (1 thread); "
                "fit %s s\n",
                Fmt("%.1f", cpu_ms).c_str(), r.threads, total / (cpu_ms * 1e6),
                Fmt("%.1f", cpu_1t).c_str(), Fmt("%.2f", r.fit_s).c_str());
  out += line;
  if (!std::isnan(r.d2d_gbs)) {
    const double chunked = Median(r.chunked_runs);
    std::snprintf(line, sizeof(line),
                  "GPU d2d memcpy %.0f GB/s; pinned h2d %.1f GB/s; per-call fixed cost %.1f us\n"
                  "GPU fused (device-resident): numeric %.3f ms (%.0f GB/s, %.0f%% of d2d), "
                  "categorical %.3f ms (%.0f GB/s, %.0f%%)\n"
                  "GPU fused, both kernels: %.3f ms, %.0f Mrow/s, %.0f GB/s, %.0f%% of d2d\n"
                  "GPU TransformFeatures from host (chunked, pinned): %.1f ms, %.1f Mrow/s, "
                  "input %.1f GB/s; max|gpu-cpu| %s, index mismatches %lld\n",
                  r.d2d_gbs, r.h2d_gbs, r.launch_us, r.gpu_numeric_ms,
                  r.numeric_bytes / (r.gpu_numeric_ms * 1e6),
                  100 * r.numeric_bytes / (r.gpu_numeric_ms * 1e6) / r.d2d_gbs,
                  r.gpu_categorical_ms, r.categorical_bytes / (r.gpu_categorical_ms * 1e6),
                  100 * r.categorical_bytes / (r.gpu_categorical_ms * 1e6) / r.d2d_gbs,
                  r.gpu_fused_ms, r.rows / (r.gpu_fused_ms * 1e3), total / (r.gpu_fused_ms * 1e6),
                  100 * total / (r.gpu_fused_ms * 1e6) / r.d2d_gbs, chunked,
                  r.rows / (chunked * 1e3), r.input_bytes / (chunked * 1e6),
                  Fmt("%.3g", r.chunked_max_diff).c_str(),
                  static_cast<long long>(r.chunked_mismatches));
    out += line;
  }
  std::snprintf(line, sizeof(line), "%-18s %-36s %8s %8s %8s %8s %10s %8s %5s %13s\n", "output",
                "op", "cpu ms", "cpu GB/s", "1t ms", "gpu ms", "gpu Mrow/s", "gpu GB/s", "%d2d",
                "max|gpu-cpu|");
  out += line;
  for (const OpResult& o : r.ops) {
    const std::string diff = o.mismatches >= 0
                                 ? std::to_string(o.mismatches) + " idx" +
                                       (std::isnan(o.max_diff) ? "" : " " + Fmt("%.2g", o.max_diff))
                                 : Fmt("%.3g", o.max_diff);
    std::snprintf(line, sizeof(line), "%-18s %-36s %8s %8s %8s %8s %10s %8s %5s %13s\n",
                  o.name.c_str(), o.op.c_str(), Fmt("%.2f", o.cpu_ms).c_str(),
                  Fmt("%.1f", o.bytes / (o.cpu_ms * 1e6)).c_str(), Fmt("%.2f", o.cpu_ms_1t).c_str(),
                  Fmt("%.4f", o.gpu_ms).c_str(), Fmt("%.0f", r.rows / (o.gpu_ms * 1e3)).c_str(),
                  Fmt("%.0f", o.bytes / (o.gpu_ms * 1e6)).c_str(),
                  Fmt("%.0f%%", 100 * o.bytes / (o.gpu_ms * 1e6) / r.d2d_gbs).c_str(),
                  std::isnan(r.d2d_gbs) ? "-" : diff.c_str());
    out += line;
  }
  return out;
}

json ReportJson(const Report& r) {
  json ops = json::array();
  for (const auto& o : r.ops) ops.push_back(ToJson(o));
  const auto num = [](double v) { return std::isnan(v) ? json() : json(v); };
  json j = {{"rows", r.rows},
            {"threads", r.threads},
            {"input_bytes", r.input_bytes},
            {"output_bytes", r.output_bytes},
            {"load_s", num(r.load_s)},
            {"fit_s", num(r.fit_s)},
            {"host_copy_gbs", num(r.host_gbs)},
            {"host_copy_gbs_1t", num(r.host_gbs_1t)},
            {"cpu_transform_ms", num(Median(r.cpu_runs))},
            {"cpu_transform_runs_ms", r.cpu_runs},
            {"cpu_transform_ms_1t", num(Median(r.cpu_runs_1t))},
            {"cpu_transform_runs_ms_1t", r.cpu_runs_1t},
            {"ops", ops},
            {"gpu", {{"status", r.gpu_status}}}};
  if (!std::isnan(r.d2d_gbs)) {
    j["gpu"] = {{"status", r.gpu_status},
                {"name", r.gpu_name},
                {"d2d_gbs", r.d2d_gbs},
                {"h2d_pinned_gbs", r.h2d_gbs},
                {"launch_us", r.launch_us},
                {"numeric_ms", r.gpu_numeric_ms},
                {"numeric_bytes", r.numeric_bytes},
                {"categorical_ms", r.gpu_categorical_ms},
                {"categorical_bytes", r.categorical_bytes},
                {"fused_ms", r.gpu_fused_ms},
                {"fused_gbs", (r.input_bytes + r.output_bytes) / (r.gpu_fused_ms * 1e6)},
                {"chunked_ms", Median(r.chunked_runs)},
                {"chunked_runs_ms", r.chunked_runs},
                {"chunked_max_diff", r.chunked_max_diff},
                {"chunked_mismatches", r.chunked_mismatches}};
  }
  return j;
}

}  // namespace freshet::bench
