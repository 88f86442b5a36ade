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
// label values escaped (\\, \", \n), values as Prometheus writes them (NaN, +Inf, -Inf;
// integers up to 2^53 in full, other values in the shortest form that reads back exactly).
// REQUIRES: names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and do not
// start with "__", type is "counter" or "gauge", and no name is given twice; otherwise throws
// Error(kInternal), since the names are freshet's own and never user input.
std::string RenderMetrics(const std::vector<MetricFamily>& families);

// Writes `text` to `path` the way node_exporter's textfile collector needs: a temporary file in
// the same folder (hidden and not ending in .prom, so the collector never reads it), fsynced,
// renamed over `path`, then the folder fsynced. Throws IoError naming the path, after removing
// the temporary file. Safe to call from several threads or processes at once.
void WriteMetricsTextfile(const std::string& path, const std::string& text);

// Serves the latest text set with Set() on http://127.0.0.1:<port>/metrics from a thread of its
// own (GET /metrics, with or without a query string → 200 text/plain; version=0.0.4; any other
// path → 404; any other method → 405). Port 0 picks a free one (port() says which). Only the
// loopback interface is bound. Throws IoError naming "127.0.0.1:<port>" when the port cannot be
// bound. One connection at a time, closed after each answer; a client that has not sent its
// request within 2 s is dropped. Set() is thread-safe. Stops and joins its thread on destruction,
// within about 100 ms.
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
