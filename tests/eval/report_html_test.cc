// RenderReportHtml (report.html) and its SVG chart builder.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "eval/svg_chart.h"
#include "freshet/eval_report.hpp"

namespace freshet {
namespace {

using nlohmann::json;

json Fixture(const std::string& name) {
  const std::string path = std::string(FRESHET_TEST_DATA) + "/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return json::parse(in);
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

std::string Escaped(const std::string& s) { return report::Escape(s); }

// Nothing that would make a browser fetch anything, and no script.
void ExpectSelfContained(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  const std::string head = html.substr(0, html.find("</head>"));
  EXPECT_EQ(Count(head, "<title>"), 1u);  // the markers' hover texts are SVG <title>s too
  for (const char* bad : {"http://", "https://", "src=", "href=", "<script", "<link", "@import",
                          "url(", "<img", "<iframe"}) {
    EXPECT_EQ(Count(html, bad), 0u) << bad;
  }
  EXPECT_EQ(Count(html, "<svg"), Count(html, "</svg>"));
  EXPECT_EQ(Count(html, "<svg"), Count(html, "viewBox=\""));
}

// The charts the page holds, as "roc,pr,..." in page order.
std::string Charts(const std::string& html) {
  std::string out;
  const std::string key = "<svg data-chart=\"";
  for (size_t at = html.find(key); at != std::string::npos; at = html.find(key, at + 1)) {
    const size_t begin = at + key.size();
    out += (out.empty() ? "" : ",") + html.substr(begin, html.find('"', begin) - begin);
  }
  return out;
}

TEST(ReportHtml, BinaryFixtureHasEveryChartAndTheGate) {
  const json eval = Fixture("eval_v2_binary.json");
  const std::string html = RenderReportHtml(eval);
  ExpectSelfContained(html);
  EXPECT_EQ(Charts(html), "roc,pr,calibration,history");
  EXPECT_EQ(Count(html, "<svg"), 4u);
  EXPECT_NE(html.find("<title>churn v000006 — evaluation</title>"), std::string::npos);
  EXPECT_NE(html.find("class=\"banner fail\""), std::string::npos);
  EXPECT_NE(html.find(">FAIL<"), std::string::npos);
  EXPECT_NE(html.find(Escaped(eval["gate"]["reason"].get<std::string>())), std::string::npos);
  EXPECT_NE(html.find("held by: challenger"), std::string::npos);
  ASSERT_EQ(eval["gate"]["rules"].size(), 3u);
  for (const json& rule : eval["gate"]["rules"]) {
    EXPECT_NE(html.find(Escaped(rule["reason"].get<std::string>())), std::string::npos)
        << rule["name"];
  }
  EXPECT_EQ(Count(html, "<span class=\"badge fail\">fail</span>"), 1u);
  // One metrics row per metric, the primary one marked; the golden set gets its own table.
  EXPECT_NE(html.find("auc ★ primary"), std::string::npos);
  EXPECT_NE(html.find("Δ vs champion [lower, upper]"), std::string::npos);
  EXPECT_NE(html.find("precision_at_10pct"), std::string::npos);
  EXPECT_NE(html.find("Set golden"), std::string::npos);
  // Slices that lose to the champion are highlighted: DE and two tenure buckets in the fixture.
  EXPECT_EQ(Count(html, "<tr class=\"regress\">"), 3u);
  EXPECT_NE(html.find("FEATURE_DRIFT"), std::string::npos);
  EXPECT_NE(html.find("wide_deep"), std::string::npos);
  // The fixture's "<b>&" (a slice column, a category, a rule's reason) only ever shows escaped.
  EXPECT_EQ(Count(html, "<b>&"), 0u);
  EXPECT_NE(html.find("tenure &lt;b&gt;&amp;"), std::string::npos);
  EXPECT_NE(html.find("-0.0050 &lt;b&gt;&amp;"), std::string::npos);
  // The series are told apart by dash pattern as well as colour, and the references are drawn.
  EXPECT_NE(html.find("stroke-dasharray=\"7 4\""), std::string::npos);
  EXPECT_NE(html.find("stroke-dasharray=\"2 3\""), std::string::npos);
  EXPECT_NE(html.find(">chance<"), std::string::npos);
  EXPECT_NE(html.find(">perfectly calibrated<"), std::string::npos);
  EXPECT_NE(html.find("v000006 (this run)"), std::string::npos);
}

TEST(ReportHtml, RegressionFixtureHasNoCurvesAndShowsTheChampionError) {
  const json eval = Fixture("eval_v2_regression.json");
  const std::string html = RenderReportHtml(eval);
  ExpectSelfContained(html);
  EXPECT_EQ(Charts(html), "history");
  EXPECT_NE(html.find(">PASS<"), std::string::npos);
  EXPECT_NE(html.find("forced by alice"), std::string::npos);
  EXPECT_NE(html.find("promoted to: champion, fallback"), std::string::npos);
  EXPECT_NE(html.find("could not be scored: model.pt of v000004 failed its checksum"),
            std::string::npos);
  for (const json& rule : eval["gate"]["rules"]) {
    EXPECT_NE(html.find(Escaped(rule["reason"].get<std::string>())), std::string::npos);
  }
  EXPECT_NE(html.find("rmse ★ primary"), std::string::npos);
  EXPECT_NE(html.find("↓ lower is better"), std::string::npos);
  EXPECT_NE(html.find("Δ vs fallback"), std::string::npos);
  EXPECT_EQ(html.find("Δ vs champion"), std::string::npos);  // no comparison with it
  EXPECT_NE(html.find("No data gate result"), std::string::npos);
  EXPECT_NE(html.find("—"), std::string::npos);  // the null r2 and the null threshold
  EXPECT_NE(html.find("rmse (lower is better)"), std::string::npos);
}

TEST(ReportHtml, FirstRunWithoutChampionOrHistory) {
  const json eval = json::parse(R"({
    "format": "freshet.eval/2", "version": "v000001", "model_name": "m", "task": "binary",
    "primary_metric": "auc", "metrics": {"auc": 0.71, "log_loss": null},
    "gate": {"decision": "pass", "first_run": true, "champion": null, "rules": [],
             "reason": "first run: nothing to compare against", "promoted_to": ["champion"]}})");
  const std::string html = RenderReportHtml(eval);
  ExpectSelfContained(html);
  EXPECT_EQ(Charts(html), "");
  EXPECT_NE(html.find(">PASS<"), std::string::npos);
  EXPECT_NE(html.find("first run</span>"), std::string::npos);
  EXPECT_NE(html.find("No champion to compare against (first run)."), std::string::npos);
  EXPECT_NE(html.find("0.7100"), std::string::npos);
  EXPECT_NE(html.find("No gate rules were evaluated."), std::string::npos);

  json with_history = eval;
  with_history["history"] = {{{"version", "v000001"}, {"value", 0.71}, {"current", true}}};
  EXPECT_EQ(Charts(RenderReportHtml(with_history)), "history");
}

TEST(ReportHtml, NoGateIsNotRunAndOddShapesDoNotThrow) {
  for (const json& eval : {json(), json::array({1, 2}), json("x"), json::object()}) {
    std::string html;
    ASSERT_NO_THROW(html = RenderReportHtml(eval)) << eval.dump();
    ExpectSelfContained(html);
    EXPECT_NE(html.find("NOT RUN"), std::string::npos);
  }
  const json odd = json::parse(R"({
    "model_name": 5, "version": ["v"], "task": "binary", "primary_metric": null, "label": 3,
    "gate": {"decision": "maybe", "rules": [1, {"passed": "yes"}], "promoted_to": "champion"},
    "evaluation": {"primary_set": "nope", "sets": [1, "x", null, {"name": "nope", "models": 3,
      "slices": [4, {"improvement": 1}], "curves": {"challenger": {"roc": [1, [0.5], [0.2, "a"]],
      "calibration": [2, {}]}}}]},
    "history": [1, {"value": "x"}, {"value": 0.5, "channels": "champion"}],
    "data_gate": {"status": 1, "warnings": [1], "drifted": "income"},
    "model": [1], "fallback": {"kind": {"nested": {"deeper": 1}}}, "train": "fast"})");
  std::string html;
  ASSERT_NO_THROW(html = RenderReportHtml(odd));
  ExpectSelfContained(html);
  EXPECT_NE(html.find("NOT RUN"), std::string::npos);
}

TEST(SvgChart, EscapesAndFormats) {
  EXPECT_EQ(report::Escape("a&b<c>\"d'"), "a&amp;b&lt;c&gt;&quot;d&#39;");
  EXPECT_EQ(report::Fixed(0.123456), "0.1235");
  EXPECT_EQ(report::Fixed(0.01, 4, true), "+0.0100");
  EXPECT_EQ(report::Fixed(-0.00001, 4, true), "+0.0000");
  EXPECT_EQ(report::Fixed(std::nan("")), "—");
}

TEST(SvgChart, NiceTicksCoverTheRange) {
  const std::vector<double> t = report::NiceTicks(0.743, 0.821, 6);
  ASSERT_GE(t.size(), 3u);
  EXPECT_LE(t.front(), 0.743);
  EXPECT_GE(t.back(), 0.821);
  EXPECT_LE(t.size(), 8u);
  EXPECT_NEAR(t[1] - t[0], 0.02, 1e-12);
  EXPECT_EQ(report::TickDecimals(t), 2);
  EXPECT_EQ(report::TickDecimals(report::NiceTicks(0, 1000, 6)), 0);
  const std::vector<double> neg = report::NiceTicks(-3.2, 7.9, 6);
  EXPECT_LE(neg.front(), -3.2);
  EXPECT_GE(neg.back(), 7.9);
}

TEST(SvgChart, GapsSplitTheLineAndTextIsEscaped) {
  report::LineChart c;
  c.id = "history";
  c.title = "t<";
  c.x.categories = {"v1", "v2<", "v3"};
  c.series.push_back({"s&", {{0, 1}, {1, std::nan("")}, {2, 2}}, 0, true, {"a", "b", "c>"}});
  c.highlight = 2;
  const std::string svg = report::RenderLineChart(c);
  EXPECT_EQ(Count(svg, "<polyline"), 2u);
  EXPECT_EQ(Count(svg, "<title>"), 2u);
  EXPECT_NE(svg.find("aria-label=\"t&lt;\""), std::string::npos);
  EXPECT_NE(svg.find("v2&lt;"), std::string::npos);
  EXPECT_NE(svg.find(">s&amp;<"), std::string::npos);
  EXPECT_NE(svg.find("<title>c&gt;</title>"), std::string::npos);
  EXPECT_NE(svg.find("font-weight=\"700\">v3<"), std::string::npos);
}

}  // namespace
}  // namespace freshet
