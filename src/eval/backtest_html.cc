// The backtest's HTML page (include/freshet/backtest.hpp): the charts of the report's chart
// builder (src/eval/svg_chart.h) and the compute table, self-contained.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "eval/backtest_internal.h"
#include "eval/svg_chart.h"

namespace freshet {
namespace {

using report::ChartSeries;
using report::Escape;
using report::LineChart;

constexpr const char* kStyle = R"(
body{margin:0;background:#f3f4f6;color:#1f2937;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 20px 48px;background:#fff;min-height:100vh}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 10px;padding-bottom:4px;border-bottom:2px solid #e5e7eb}
.meta,figcaption,footer{color:#6b7280}figure{margin:0}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
th,td{padding:5px 10px;border-bottom:1px solid #e5e7eb;text-align:left}th{background:#f9fafb}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.best{font-weight:700}
svg{width:100%;height:auto;display:block}svg text{font-family:inherit}footer{margin-top:36px;font-size:12px}
)";

ChartSeries Series(const BacktestResult& r, const CadenceResult& c, int style) {
  ChartSeries s{c.name == "online" ? "online (" + c.learner + ")"
                                   : "retrain every " + std::to_string(c.cadence) + " partition" +
                                         (c.cadence == 1 ? "" : "s"),
                {},
                style,
                true,
                {}};
  for (size_t i = 0; i < c.scores.size(); ++i) {
    const PartitionScore& p = c.scores[i];
    s.points.push_back({static_cast<double>(i), p.metric});
    const std::string& name = r.partitions[static_cast<size_t>(p.index)];
    std::string title = c.name + " on " + name + ": " + report::Fixed(p.metric, 4);
    if (p.retrained) {
      title += " (retrained here)";
    } else if (p.trained_at >= 0) {
      title += " (model retrained at " + r.partitions[static_cast<size_t>(p.trained_at)] + ")";
    }
    s.titles.push_back(std::move(title));
  }
  return s;
}

// `cadences` with the style of each (an index of svg_chart.h's styles).
using Styled = std::vector<std::pair<const CadenceResult*, int>>;

std::string Chart(const BacktestResult& r, const std::string& id, const std::string& title,
                  const Styled& cadences) {
  LineChart chart;
  chart.id = id;
  chart.title = title;
  chart.x.label = "partition (scored with the model each cadence held at the time)";
  chart.y.label = r.metric + (r.higher_is_better ? " (higher is better)" : " (lower is better)");
  chart.plot_width = 960;
  chart.plot_height = 300;
  if (!cadences.empty()) {
    for (const PartitionScore& p : cadences.front().first->scores) {
      chart.x.categories.push_back(r.partitions[static_cast<size_t>(p.index)]);
    }
  }
  for (const auto& [c, style] : cadences) chart.series.push_back(Series(r, *c, style));
  return "<figure>" + report::RenderLineChart(chart) + "</figure>\n";
}

std::string ComputeTable(const BacktestResult& r) {
  double best = r.higher_is_better ? -INFINITY : INFINITY;
  for (const auto& c : r.cadences) {
    if (std::isfinite(c.mean_metric)) {
      best = r.higher_is_better ? std::max(best, c.mean_metric) : std::min(best, c.mean_metric);
    }
  }
  std::string o =
      "<table><thead><tr><th>cadence</th><th>learner</th><th class=\"num\">retrains</th>"
      "<th class=\"num\">updates</th><th class=\"num\">training seconds</th>"
      "<th class=\"num\">training rows processed</th><th class=\"num\">mean " +
      Escape(r.metric) + "</th></tr></thead><tbody>\n";
  for (const auto& c : r.cadences) {
    o += "<tr><td>" + Escape(c.name) + "</td><td>" + Escape(c.learner) + "</td><td class=\"num\">" +
         std::to_string(c.retrains) + "</td><td class=\"num\">" + std::to_string(c.updates) +
         "</td><td class=\"num\">" + report::Fixed(c.train_seconds, 2) + "</td><td class=\"num\">" +
         std::to_string(c.train_rows) + "</td><td class=\"num" +
         (c.mean_metric == best ? " best" : "") + "\">" + report::Fixed(c.mean_metric, 4) +
         "</td></tr>\n";
  }
  return o + "</tbody></table>\n";
}

}  // namespace

std::string RenderBacktestHtml(const BacktestResult& r) {
  const std::string title = Escape(r.model) + " — retraining-cadence backtest";
  std::vector<const CadenceResult*> batch;
  const CadenceResult* online = nullptr;
  for (const auto& c : r.cadences) {
    if (c.name == "online") {
      online = &c;
    } else {
      batch.push_back(&c);
    }
  }
  std::string scored;
  if (!r.cadences.empty() && !r.cadences.front().scores.empty()) {
    scored = r.partitions[static_cast<size_t>(r.cadences.front().scores.front().index)] + " .. " +
             r.partitions.back();
  }
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      title + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n<h1>" + title +
      "</h1>\n<p class=\"meta\">" + Escape(r.task) + " · " + Escape(r.metric) +
      (r.higher_is_better ? " (higher is better)" : " (lower is better)") + " · " +
      std::to_string(r.partitions.size()) + " partitions of " + Escape(r.landing) + "/" +
      Escape(r.pattern) + " · training window " + std::to_string(r.window) + " · scored " +
      Escape(scored) + " · device " + Escape(r.device) + "</p>\n";
  o += "<h2>" + Escape(r.metric) + " per partition</h2>\n";
  Styled all;
  for (size_t i = 0; i < batch.size(); ++i) all.emplace_back(batch[i], static_cast<int>(i));
  o += Chart(r, "backtest", r.metric + " per partition and retraining cadence", all);
  o += "<p class=\"meta\">Each cadence retrains on the " + std::to_string(r.window) +
       " partitions before a point and keeps its model until the next retrain; every cadence is "
       "scored on the same partitions. A drop shared by every line is a change in the data; a "
       "line that stays down is a model that has not been retrained since.</p>\n";
  if (online != nullptr) {
    // The most and the least frequent cadences keep their styles of the first chart; the online
    // learner takes one they do not use (the chart builder has three).
    Styled against;
    if (!batch.empty()) {
      const auto [lo, hi] = std::minmax_element(
          all.begin(), all.end(),
          [](const auto& a, const auto& b) { return a.first->cadence < b.first->cadence; });
      against.push_back(*lo);
      if (hi != lo) against.push_back(*hi);
    }
    int spare = 0;
    while (std::any_of(against.begin(), against.end(),
                       [&](const auto& c) { return c.second % 3 == spare; })) {
      ++spare;
    }
    against.insert(against.begin(), {online, spare});
    o += "<h2>The online learner</h2>\n";
    o += Chart(r, "backtest-online", r.metric + " of the online learner against retraining",
               against);
    o += "<p class=\"meta\">The online learner (" + Escape(online->learner) +
         ") reads every partition in order, predicting each micro-batch before it learns from "
         "it.</p>\n";
  }
  o += "<h2>Training compute</h2>\n" + ComputeTable(r);
  o += "<footer>Rendered by freshet backtest (freshet.backtest/1). Training seconds: feature fit "
       "and training (online: vocabulary growth, feature transform and updates); scoring is not "
       "counted. Self-contained: no scripts, no external resources.</footer>\n";
  return o + "</main>\n</body>\n</html>\n";
}

}  // namespace freshet
