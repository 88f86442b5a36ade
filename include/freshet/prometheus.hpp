// Prometheus text exposition (format 0.0.4): a set of samples rendered as text, written as a
// node_exporter textfile (atomically) or served on a loopback port at /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace freshet {

// One metric family: name (freshet_ prefix, units in the name: _seconds, _bytes, _total for
// counters), type (counter | gauge), help, and its samples (labels → value).
struct MetricFamily {
  std::string name, type, help;
  std::vector<std::pair<std::map<std::string, std::string>, double>> samples;
};

// The exposition text: # HELP and # TYPE lines then the samples, families in the given order,
// label values escaped (\\, \", \n), values as Prometheus writes them (NaN, +Inf, -Inf).
std::string RenderMetrics(const std::vector<MetricFamily>& families);

// Writes `text` to `path` the way node_exporter's textfile collector needs: a temporary file in
// the same folder, fsynced, renamed over `path`. Throws IoError naming the path.
void WriteMetricsTextfile(const std::string& path, const std::string& text);

// Serves the latest text set with Set() on http://127.0.0.1:<port>/metrics from a thread of its
// own (GET /metrics → 200 text/plain; version=0.0.4; any other path → 404). Port 0 picks a free
// one (port() says which). Only the loopback interface is bound. Throws IoError when the port
// cannot be bound. Stops and joins its thread on destruction.
class MetricsServer {
 public:
  explicit MetricsServer(int port);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  int port() const { return port_; }
  void Set(std::string text);

 private:
  void Serve();
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string text_;
  std::thread thread_;
};

}  // namespace freshet
