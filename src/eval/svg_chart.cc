#include "eval/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace freshet::report {
namespace {

struct Style {
  const char* colour;
  const char* dash;  // stroke-dasharray, "" for a solid line
};
constexpr Style kStyles[] = {{"#0072B2", ""}, {"#D55E00", "7 4"}, {"#009E73", "2 3"}};
constexpr const char* kGrey = "#9ca3af";
constexpr const char* kInk = "#374151";
constexpr double kCharWidth = 6.6;  // a 12px sans-serif character, roughly, for layout
constexpr int kLegendRow = 18;

const Style& StyleOf(int style) {
  const int n = static_cast<int>(std::size(kStyles));
  return kStyles[((style % n) + n) % n];
}

std::string Coord(double v) { return Fixed(v, 1); }

bool Finite(const std::array<double, 2>& p) { return std::isfinite(p[0]) && std::isfinite(p[1]); }

// A marker of `style` at (cx, cy): circle, square or triangle, filled, with a white rim.
std::string Marker(int style, double cx, double cy, const std::string& title) {
  const Style& s = StyleOf(style);
  const std::string paint =
      std::string(" fill=\"") + s.colour + "\" stroke=\"#fff\" stroke-width=\"1\"";
  const std::string body = title.empty() ? "/>" : "><title>" + Escape(title) + "</title>";
  std::string out;
  const int shape = ((style % 3) + 3) % 3;
  if (shape == 0) {
    out = "<circle cx=\"" + Coord(cx) + "\" cy=\"" + Coord(cy) + "\" r=\"4\"" + paint + body;
    return title.empty() ? out : out + "</circle>";
  }
  if (shape == 1) {
    out = "<rect x=\"" + Coord(cx - 3.5) + "\" y=\"" + Coord(cy - 3.5) +
          "\" width=\"7\" height=\"7\"" + paint + body;
    return title.empty() ? out : out + "</rect>";
  }
  out = "<polygon points=\"" + Coord(cx) + "," + Coord(cy - 4.5) + " " + Coord(cx + 4.5) + "," +
        Coord(cy + 3.5) + " " + Coord(cx - 4.5) + "," + Coord(cy + 3.5) + "\"" + paint + body;
  return title.empty() ? out : out + "</polygon>";
}

std::string Line(double x1, double y1, double x2, double y2, const char* colour, const char* dash,
                 double width) {
  std::string out = "<line x1=\"" + Coord(x1) + "\" y1=\"" + Coord(y1) + "\" x2=\"" + Coord(x2) +
                    "\" y2=\"" + Coord(y2) + "\" stroke=\"" + colour + "\" stroke-width=\"" +
                    Fixed(width, 1) + "\"";
  if (*dash != '\0') out += std::string(" stroke-dasharray=\"") + dash + "\"";
  return out + "/>";
}

std::string Text(double x, double y, const char* anchor, const std::string& text,
                 const std::string& extra = "") {
  return "<text x=\"" + Coord(x) + "\" y=\"" + Coord(y) + "\" text-anchor=\"" + anchor +
         "\" fill=\"" + kInk + "\"" + extra + ">" + Escape(text) + "</text>";
}

// The ticks of a numeric axis over the finite values in `values`.
std::vector<double> AxisTicks(const ChartAxis& axis, std::vector<double> values, bool pad) {
  if (axis.unit) return {0, 0.2, 0.4, 0.6, 0.8, 1};
  values.erase(
      std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }),
      values.end());
  if (values.empty()) return {0, 0.2, 0.4, 0.6, 0.8, 1};
  double lo = *std::min_element(values.begin(), values.end());
  double hi = *std::max_element(values.begin(), values.end());
  const double spread = hi - lo;
  const double margin =
      spread > 1e-12 ? (pad ? spread * 0.1 : 0.0) : std::max(std::fabs(lo) * 0.05, 0.01);
  return NiceTicks(lo - margin, hi + margin, 6);
}

struct LegendEntry {
  std::string name;
  int style;  // -1: a grey reference line
  bool markers;
};

}  // namespace

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Fixed(double v, int decimals, bool sign) {
  if (!std::isfinite(v)) return "—";
  if (std::fabs(v) < 0.5 * std::pow(10.0, -decimals)) v = 0;  // no "-0.0000"
  char buf[64];
  std::snprintf(buf, sizeof buf, sign ? "%+.*f" : "%.*f", decimals, v);
  return buf;
}

std::vector<double> NiceTicks(double lo, double hi, int max_ticks) {
  const double rough = (hi - lo) / std::max(1, max_ticks - 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
  const double residual = rough / magnitude;
  double step = 10;
  for (double nice : {1.0, 2.0, 2.5, 5.0}) {
    if (residual <= nice + 1e-9) {
      step = nice;
      break;
    }
  }
  step *= magnitude;
  const double first = std::floor(lo / step + 1e-9) * step;
  std::vector<double> ticks;
  for (int i = 0; i < 1000; ++i) {
    const double t = first + i * step;
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
    if (t >= hi - step * 1e-9) break;
  }
  return ticks;
}

int TickDecimals(const std::vector<double>& ticks) {
  for (int d = 0; d < 8; ++d) {
    const double scale = std::pow(10.0, d);
    bool exact = std::all_of(ticks.begin(), ticks.end(), [&](double t) {
      return std::fabs(t * scale - std::round(t * scale)) <
             1e-6 * std::max(1.0, std::fabs(t * scale));
    });
    if (exact) return d;
  }
  return 8;
}

std::string RenderLineChart(const LineChart& chart) {
  const bool categorical = !chart.x.categories.empty();
  std::vector<double> xs, ys;
  for (const ChartSeries& s : chart.series) {
    for (const auto& p : s.points) xs.push_back(p[0]), ys.push_back(p[1]);
  }
  for (const ChartNote& n : chart.notes) ys.push_back(n.y);
  if (chart.has_reference_y) ys.push_back(chart.reference_y);
  const std::vector<double> xticks =
      categorical ? std::vector<double>{} : AxisTicks(chart.x, xs, false);
  const std::vector<double> yticks = AxisTicks(chart.y, ys, true);
  const double x0 = categorical ? 0 : xticks.front(), x1 = categorical ? 1 : xticks.back();
  const double y0 = yticks.front(), y1 = yticks.back();
  const double n_cat = static_cast<double>(chart.x.categories.size());

  const double left = 58, right = 18, top = chart.notes.empty() ? 12 : 28;
  const double pw = chart.plot_width, ph = chart.plot_height;
  const auto px = [&](double x) {
    return categorical ? left + (x + 0.5) / n_cat * pw : left + (x - x0) / (x1 - x0) * pw;
  };
  const auto py = [&](double y) { return top + ph - (y - y0) / (y1 - y0) * ph; };
  const double width = left + pw + right;

  std::vector<LegendEntry> legend;
  for (const ChartSeries& s : chart.series) legend.push_back({s.name, s.style, s.markers});
  if (chart.diagonal && !chart.diagonal_label.empty())
    legend.push_back({chart.diagonal_label, -1, false});
  if (chart.has_reference_y && !chart.reference_label.empty())
    legend.push_back({chart.reference_label, -1, false});
  // Lay the legend out in rows that fit the chart's width.
  std::vector<std::array<double, 2>> slots;  // (x, row) per entry
  double cursor = left;
  int row = 0;
  for (const LegendEntry& e : legend) {
    const double w = 34 + kCharWidth * static_cast<double>(e.name.size()) + 18;
    if (cursor > left && cursor + w > width - 4) cursor = left, ++row;
    slots.push_back({cursor, static_cast<double>(row)});
    cursor += w;
  }
  const double legend_top = top + ph + 54;
  const double height = legend_top + (legend.empty() ? 0 : (row + 1) * kLegendRow) + 4;

  std::string o = "<svg data-chart=\"" + Escape(chart.id) + "\" viewBox=\"0 0 " + Coord(width) +
                  " " + Coord(height) + "\" role=\"img\" aria-label=\"" + Escape(chart.title) +
                  "\" font-size=\"12\">\n";
  o += "<rect x=\"" + Coord(left) + "\" y=\"" + Coord(top) + "\" width=\"" + Coord(pw) +
       "\" height=\"" + Coord(ph) + "\" fill=\"#fafafa\" stroke=\"#d1d5db\"/>\n";
  const int ydec = TickDecimals(yticks);
  for (double t : yticks) {
    o += Line(left, py(t), left + pw, py(t), "#e5e7eb", "", 1) +
         Line(left - 4, py(t), left, py(t), kInk, "", 1) +
         Text(left - 7, py(t) + 4, "end", Fixed(t, ydec)) + "\n";
  }
  if (categorical) {
    const size_t n = chart.x.categories.size();
    size_t longest = 1;
    for (const std::string& c : chart.x.categories) longest = std::max(longest, c.size());
    const double band = pw / n_cat;
    const size_t step = std::max<size_t>(
        1, static_cast<size_t>(std::ceil((kCharWidth * static_cast<double>(longest) + 10) / band)));
    const long hl = chart.highlight;
    for (size_t i = 0; i < n; ++i) {
      const bool is_hl = static_cast<long>(i) == hl;
      const bool near_hl =
          hl >= 0 && std::labs(static_cast<long>(i) - hl) < static_cast<long>(step);
      o += Line(px(i), top + ph, px(i), top + ph + 4, kInk, "", 1);
      if (is_hl || (i % step == 0 && !near_hl)) {
        o += Text(px(i), top + ph + 17, "middle", chart.x.categories[i],
                  is_hl ? " font-weight=\"700\"" : "");
      }
    }
    o += "\n";
  } else {
    const int xdec = TickDecimals(xticks);
    for (double t : xticks) {
      o += Line(px(t), top, px(t), top + ph, "#e5e7eb", "", 1) +
           Line(px(t), top + ph, px(t), top + ph + 4, kInk, "", 1) +
           Text(px(t), top + ph + 17, "middle", Fixed(t, xdec)) + "\n";
    }
  }
  o += Line(left, top + ph, left + pw, top + ph, kInk, "", 1) +
       Line(left, top, left, top + ph, kInk, "", 1);
  o += Text(left + pw / 2, top + ph + 36, "middle", chart.x.label, " font-weight=\"600\"");
  o += "<text transform=\"translate(14 " + Coord(top + ph / 2) +
       ") rotate(-90)\" text-anchor=\"middle\" fill=\"" + kInk + "\" font-weight=\"600\">" +
       Escape(chart.y.label) + "</text>\n";

  if (chart.diagonal) {
    o += Line(px(std::max(x0, y0)), py(std::max(x0, y0)), px(std::min(x1, y1)),
              py(std::min(x1, y1)), kGrey, "4 4", 1.2) +
         "\n";
  }
  if (chart.has_reference_y) {
    o += Line(left, py(chart.reference_y), left + pw, py(chart.reference_y), kGrey, "4 4", 1.2) +
         "\n";
  }
  for (const ChartSeries& s : chart.series) {
    const Style& st = StyleOf(s.style);
    std::string run;
    const auto flush = [&] {
      if (run.empty()) return;
      o += std::string("<polyline fill=\"none\" stroke=\"") + st.colour +
           "\" stroke-width=\"2\" stroke-linejoin=\"round\"" +
           (*st.dash ? std::string(" stroke-dasharray=\"") + st.dash + "\"" : "") + " points=\"" +
           run + "\"/>\n";
      run.clear();
    };
    for (const auto& p : s.points) {
      if (!Finite(p)) {
        flush();
        continue;
      }
      run += (run.empty() ? "" : " ") + Coord(px(p[0])) + "," + Coord(py(p[1]));
    }
    flush();
    if (!s.markers) continue;
    for (size_t i = 0; i < s.points.size(); ++i) {
      const auto& p = s.points[i];
      if (!Finite(p)) continue;
      if (categorical && static_cast<long>(std::lround(p[0])) == chart.highlight) {
        o += "<circle cx=\"" + Coord(px(p[0])) + "\" cy=\"" + Coord(py(p[1])) +
             "\" r=\"8\" fill=\"none\" stroke=\"#111827\" stroke-width=\"1.5\"/>";
      }
      o += Marker(s.style, px(p[0]), py(p[1]), i < s.titles.size() ? s.titles[i] : "") + "\n";
    }
  }
  for (const ChartNote& n : chart.notes) {
    if (!std::isfinite(n.x)) continue;
    // A note on a point without a value sits just above the x axis.
    const double ny = !std::isfinite(n.y) ? top + ph - 8 : n.below ? py(n.y) + 20 : py(n.y) - 11;
    o += Text(px(n.x), ny, "middle", n.text,
              " font-size=\"11\" paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\"") +
         "\n";
  }
  for (size_t i = 0; i < legend.size(); ++i) {
    const LegendEntry& e = legend[i];
    const double lx = slots[i][0], ly = legend_top + slots[i][1] * kLegendRow;
    if (e.style < 0) {
      o += Line(lx, ly, lx + 26, ly, kGrey, "4 4", 1.2);
    } else {
      const Style& st = StyleOf(e.style);
      o += Line(lx, ly, lx + 26, ly, st.colour, st.dash, 2);
      if (e.markers) o += Marker(e.style, lx + 13, ly, "");
    }
    o += Text(lx + 32, ly + 4, "start", e.name) + "\n";
  }
  return o + "</svg>\n";
}

}  // namespace freshet::report
