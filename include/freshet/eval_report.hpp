// report.html: a version's evaluation summary (eval.json) rendered for people.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace freshet {

// Renders `eval`, an evaluation summary in the "freshet.eval/2" format (eval.json, with its
// "history" and "data_gate" entries), as one self-contained HTML5 page and returns it.
//
// The page needs nothing else: one inline <style>, no scripts, no external stylesheets, fonts or
// images, and no URL anywhere (no src=, href=, url(...)); charts are inline <svg> elements, each
// carrying data-chart="roc" | "pr" | "calibration" | "history" and a viewBox. In order it shows:
// the title and the gate's banner (PASS / FAIL / NOT RUN with its reason, first run, the channels
// moved or held, a forced promotion); the gate's rules; the primary set's metrics for challenger,
// champion and fallback with the bootstrap intervals of the differences, and its product metrics;
// ROC, precision-recall and calibration charts (binary task, where "curves" exist); the slices;
// the history of the primary metric (a chart, where "history" has values); the data gate; the
// models, the training parameters and the metrics of the other evaluation sets.
//
// Metrics are listed primary metric first, then in a fixed order of the known names (auc, pr_auc,
// log_loss, ...), then any others alphabetically. Every string taken from `eval` is escaped (&, <,
// >, ", '). Any key may be missing or null: a section without data says so or is left out, and a
// missing or null number shows as "—"; numbers show with 4 decimals. Never throws on a
// well-formed JSON value of any shape (a non-object `eval` renders an almost empty page).
// Pure: reads nothing but `eval`, writes nothing; safe to call from any thread.
std::string RenderReportHtml(const nlohmann::json& eval);

}  // namespace freshet
