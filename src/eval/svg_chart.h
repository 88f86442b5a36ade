// A small inline-SVG line-chart builder and the text helpers of the HTML report
// (src/eval/report_html.cc). The SVG it writes is meant to sit inside an HTML5 page: no xmlns, no
// external references, no url(...) (so no clip paths or gradients), fonts from the page's CSS.
// Private to src/eval/.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace freshet::report {

// `text` with &, <, >, " and ' replaced by character references: safe in element content and in
// double- or single-quoted attribute values.
std::string Escape(std::string_view text);

// `v` with `decimals` digits after the point ("%.*f"), with a leading + for positive values when
// `sign`; "—" for NaN or infinity.
std::string Fixed(double v, int decimals = 4, bool sign = false);

// Evenly spaced "nice" tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering
// [lo, hi], at most about `max_ticks` of them, first <= lo and last >= hi. REQUIRES: lo < hi.
std::vector<double> NiceTicks(double lo, double hi, int max_ticks);

// Digits after the point that print every tick of `ticks` exactly (0 for whole numbers).
int TickDecimals(const std::vector<double>& ticks);

// One line of a chart. `style` picks the colour, the dash pattern and the marker shape (0..2 are
// the three models: solid blue circles, dashed orange squares, dotted green triangles; larger
// values wrap). A point with a NaN coordinate is a gap in the line. `titles`, when not empty,
// holds one hover text per point (shown as the marker's SVG <title>; needs `markers`).
struct ChartSeries {
  std::string name;
  std::vector<std::array<double, 2>> points;
  int style = 0;
  bool markers = false;
  std::vector<std::string> titles;
};

// A text label drawn just above (or below) a data point: the history chart's channel names. With
// a NaN `y` it sits just above the x axis.
struct ChartNote {
  double x = 0;
  double y = 0;
  std::string text;
  bool below = false;  // under the point instead (where the line comes down to a low point)
};

struct ChartAxis {
  std::string label;
  // Both ends fixed at 0 and 1 with ticks every 0.2; otherwise the range is the data's, widened
  // to nice ticks.
  bool unit = false;
  // When not empty the axis is categorical: x values are indices 0..n-1 into `categories`, each
  // centred in its own band, and labelled with these (thinned out when they would overlap).
  std::vector<std::string> categories;
};

// What RenderLineChart draws: a plot with grid, axes, ticks and axis labels, the series, optional
// reference lines, and a legend under the plot.
struct LineChart {
  std::string id;     // the <svg>'s data-chart attribute
  std::string title;  // its aria-label
  ChartAxis x;
  ChartAxis y;
  int plot_width = 290;
  int plot_height = 290;
  bool diagonal = false;  // the y = x line, in grey, named `diagonal_label` in the legend
  std::string diagonal_label;
  bool has_reference_y = false;  // a horizontal grey line at `reference_y`
  double reference_y = 0;
  std::string reference_label;
  std::vector<ChartSeries> series;
  std::vector<ChartNote> notes;
  int highlight = -1;  // a category index (categorical x) drawn emphasised: a ring and a bold label
};

// One <svg data-chart="..." viewBox="..."> element, every text escaped. Its size is the plot plus
// margins for the tick labels, the axis labels and the legend.
std::string RenderLineChart(const LineChart& chart);

}  // namespace freshet::report
