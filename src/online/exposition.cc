// The online loop's Prometheus metrics (online.hpp): served on the loopback port and written as a
// node_exporter textfile at each checkpoint; and the run's summary.
#include <sys/stat.h>

#include <cmath>

#include <spdlog/spdlog.h>

#include "freshet/error.hpp"
#include "online/runner.h"

namespace freshet::online {
namespace {

MetricFamily Family(const char* name, const char* type, const char* help, double value) {
  return {name, type, help, {{{}, value}}};
}

// Bytes of the followed file not read yet; for a folder, the chunk files not started. -1 when
// unknown (standard input).
double Lag(const StreamPosition& p, const std::string& source, Env* env) {
  if (p.kind == "file") {
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0) return 0;
    return static_cast<int64_t>(st.st_ino) == p.inode
               ? std::max<double>(0, static_cast<double>(st.st_size - p.offset))
               : static_cast<double>(st.st_size);
  }
  if (p.kind == "folder") {
    try {
      double n = 0;
      for (const auto& name : env->ListDir(source)) {
        if (name > p.file && name[0] != '.') ++n;
      }
      return n;
    } catch (const Error&) {
      return -1;
    }
  }
  return -1;
}

}  // namespace

void Runner::ExportMetrics(bool textfile) {
  if (server_ == nullptr && (options_.metrics_file.empty() || !textfile)) return;
  const auto now = Clock::now();
  if (!textfile && now - exported_at_ < std::chrono::milliseconds(500)) return;
  exported_at_ = now;
  const double dt = std::chrono::duration<double>(now - rate_at_).count();
  if (dt >= 1.0) {
    rate_ = static_cast<double>(summary_.records - rate_records_) / dt;
    rate_at_ = now;
    rate_records_ = summary_.records;
  }
  const std::map<std::string, std::string> model = {{"model", config_.model}};
  std::vector<MetricFamily> f;
  const auto add = [&](const char* name, const char* type, const char* help, double value) {
    f.push_back(Family(name, type, help, value));
    f.back().samples[0].first = model;
  };
  add("freshet_online_records_total", "counter", "Records read from the stream (this run).",
      static_cast<double>(summary_.records));
  add("freshet_online_records_per_second", "gauge", "Records read per second, recent.", rate_);
  add("freshet_online_trained_total", "counter", "Rows learnt from since the stream's start.",
      static_cast<double>(trained_));
  add("freshet_online_dead_letters_total", "counter",
      "Records refused to the dead-letter file since the stream's start.",
      static_cast<double>(dead_letters_));
  add("freshet_online_drift_events_total", "counter",
      "Drift signals of the detectors since the stream's start.",
      static_cast<double>(drift_events_));
  add("freshet_online_labels_expired_total", "counter", "Held records whose label never arrived.",
      static_cast<double>(expired_));
  add("freshet_online_pending_labels", "gauge", "Records held for their label.",
      static_cast<double>(pending_ ? pending_->size() : 0));
  add("freshet_online_published_versions_total", "counter", "Versions published by the stream.",
      static_cast<double>(published_.size()));
  add("freshet_online_last_checkpoint_timestamp_seconds", "gauge",
      "Unix time of the last checkpoint (0 = none yet).", checkpoint_unix_);
  add("freshet_online_checkpoint_age_seconds", "gauge", "Seconds since the last checkpoint.",
      checkpoint_unix_ > 0 ? UnixNow() - checkpoint_unix_ : NAN);
  add("freshet_online_lag", "gauge",
      "Unread bytes of a followed file, or unstarted chunk files of a folder (-1: unknown).",
      Lag(position_, options_.source, registry_.env()));
  add("freshet_online_learning_rate_factor", "gauge", "The boost_lr response's factor (1 = none).",
      boost_left_ > 0 ? oc_.response.boost_factor : 1.0);
  add("freshet_online_serving_champion", "gauge", "1 while a use_fallback response lasts.",
      fallback_left_ > 0 ? 1.0 : 0.0);
  if (metrics_) {
    const nlohmann::json j = metrics_->ToJson();
    for (const char* m : {"log_loss", "accuracy", "auc", "mae", "rmse"}) {
      MetricFamily fam{std::string("freshet_online_prequential_") + m,
                       "gauge",
                       std::string("Prequential ") + m + " over the sliding window and faded.",
                       {}};
      for (const char* w : {"window", "faded"}) {
        if (!j.contains(w) || !j[w].contains(m)) continue;
        const auto& v = j[w][m];
        fam.samples.push_back(
            {{{"model", config_.model}, {"window", w}}, v.is_number() ? v.get<double>() : NAN});
      }
      if (!fam.samples.empty()) f.push_back(std::move(fam));
    }
  }
  const std::string text = RenderMetrics(f);
  if (server_) server_->Set(text);
  if (textfile && !options_.metrics_file.empty()) {
    try {
      WriteMetricsTextfile(options_.metrics_file, text);
    } catch (const IoError& e) {
      spdlog::warn("online {}: {}", config_.model, e.what());
    }
  }
}

}  // namespace freshet::online

namespace freshet {

nlohmann::json OnlineSummary::ToJson() const {
  return {{"records", records},
          {"trained", trained},
          {"dead_letters", dead_letters},
          {"labels_expired", expired},
          {"labels_unmatched", unmatched},
          {"drift_events", drift_events},
          {"seconds", seconds},
          {"records_per_second", seconds > 0 ? static_cast<double>(records) / seconds : 0.0},
          {"resumed", resumed},
          {"start", start.ToJson()},
          {"end", end.ToJson()},
          {"published", published},
          {"stop_reason", stop_reason},
          {"metrics", metrics}};
}

OnlineSummary RunOnline(const Config& config, const OnlineOptions& options,
                        const OnlineHooks& hooks) {
  online::Runner runner(config, options, hooks);
  return runner.Run();
}

}  // namespace freshet
