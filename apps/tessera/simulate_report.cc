#include "simulate_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/result.h"

namespace tessera::cli {
namespace {

using Out = std::back_insert_iterator<std::string>;

// Tableau 10. The eleventh policy on reuses the colours with a dashed line.
constexpr std::array<std::string_view, 10> kPalette = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                       "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                                       "#9c755f", "#bab0ac"};

// Chart geometry in SVG user units; the page shows a chart 900 px wide at most.
constexpr double kWidth = 900;
constexpr double kPlotLeft = 72;
constexpr double kPlotRight = kWidth - 24;
constexpr double kPlotHeight = 300;
constexpr double kLegendRow = 22;
constexpr double kAxisBelow = 56;   // x tick labels and the x axis label
constexpr double kCharWidth = 7.2;  // rough width of one 12 px character, for layout

constexpr std::string_view kStyle = R"(
body { font-family: system-ui, "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  color: #222; background: #fff; margin: 24px auto; max-width: 940px; padding: 0 16px;
  line-height: 1.4; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 6px; }
p.meta { margin: 0 0 16px; color: #444; }
p.note { margin: 2px 0 8px; font-size: 13px; color: #555; }
table { border-collapse: collapse; margin: 8px 0 4px; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right;
  white-space: nowrap; }
th { background: #f4f4f4; font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
td.na { color: #999; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 6px; vertical-align: baseline; }
figure { margin: 0 0 8px; }
figcaption { font-size: 13px; color: #555; margin-top: 2px; }
svg.chart { width: 100%; max-width: 900px; height: auto; display: block; }
svg.chart text { font-size: 12px; fill: #333; }
svg.chart .grid line { stroke: #e6e6e6; stroke-width: 1; }
svg.chart .axis line { stroke: #555; stroke-width: 1; }
svg.chart text.axis-label { font-size: 13px; fill: #222; }
svg.chart text.empty { font-size: 14px; fill: #999; }
svg.chart path.series { fill: none; stroke-width: 2; stroke-linejoin: round;
  stroke-linecap: round; }
svg.chart path.band { stroke: none; fill-opacity: 0.15; }
svg.chart path.reference { fill: none; stroke: #999; stroke-width: 1; stroke-dasharray: 5 4; }
svg.chart path.errorbar { fill: none; stroke: #222; stroke-width: 1.5; }
svg.chart path.floor { fill: none; stroke: #555; stroke-width: 1.5; stroke-dasharray: 6 4; }
svg.chart text.floor { fill: #333; paint-order: stroke; stroke: #fff; stroke-width: 4px; }
details { margin: 8px 0; font-size: 14px; }
footer { margin-top: 32px; font-size: 12px; color: #777; }
)";

// `text` with the five HTML-special characters escaped; safe in element text and in
// double-quoted attributes.
std::string Escape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

// An SVG coordinate with one decimal. Callers leave missing samples out before this; a
// non-finite value that slips through still becomes 0, never "nan" on the page.
std::string Px(double v) { return fmt::format("{:.1f}", std::isfinite(v) ? v + 0.0 : 0.0); }

// `v` with `decimals` decimals, or "n/a" when it is not finite.
std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  return fmt::format("{:.{}f}", v + 0.0, decimals);  // + 0.0 turns -0 into 0
}

// "mean ± sd", or "n/a" when the mean is missing; the sd is left out when it is.
std::string MeanSd(const sim::Stat& stat, int decimals) {
  if (!std::isfinite(stat.mean)) return "n/a";
  if (!std::isfinite(stat.sd)) return Fixed(stat.mean, decimals);
  return fmt::format("{} ± {}", Fixed(stat.mean, decimals), Fixed(stat.sd, decimals));
}

// A unit of time to show `max_seconds` in without huge numbers: seconds below 2 minutes,
// minutes below 2 hours, hours below 2 days, days beyond.
struct TimeUnit {
  double seconds = 1;
  std::string_view name = "s";
};

TimeUnit PickTimeUnit(double max_seconds) {
  if (!std::isfinite(max_seconds) || max_seconds < 120) return {1, "s"};
  if (max_seconds < 2 * 3600) return {60, "min"};
  if (max_seconds < 2 * 86400) return {3600, "h"};
  return {86400, "d"};
}

// A duration statistic as "12.3 ± 0.5 min", in the unit that suits its mean.
std::string Duration(const sim::Stat& stat) {
  if (!std::isfinite(stat.mean)) return "n/a";
  const TimeUnit unit = PickTimeUnit(stat.mean);
  const sim::Stat scaled{stat.mean / unit.seconds, stat.sd / unit.seconds};
  return fmt::format("{} {}", MeanSd(scaled, unit.seconds >= 3600 ? 2 : 1), unit.name);
}

const sim::Stat* StatAt(const std::vector<std::pair<int, sim::Stat>>& stats, int pct) {
  for (const auto& [key, stat] : stats) {
    if (key == pct) return &stat;
  }
  return nullptr;
}

// The policies in the order asked: the summary's, then any that only the runs name.
std::vector<std::string> Policies(const sim::SimResult& result) {
  std::vector<std::string> policies;
  auto add = [&](const std::string& p) {
    if (std::find(policies.begin(), policies.end(), p) == policies.end()) policies.push_back(p);
  };
  for (const sim::PolicySummary& s : result.summary) add(s.policy);
  for (const sim::Run& r : result.runs) add(r.policy);
  return policies;
}

// A policy's drawing style: its position among the policies.
int StyleOf(const std::vector<std::string>& policies, std::string_view policy) {
  const auto it = std::find(policies.begin(), policies.end(), policy);
  return static_cast<int>(it - policies.begin());
}

std::string_view Colour(int style) {
  return kPalette[static_cast<size_t>(style) % kPalette.size()];
}

// A stroke-dasharray attribute for styles past the palette, else nothing.
std::string_view Dash(int style) {
  const size_t round = static_cast<size_t>(style) / kPalette.size();
  if (round == 0) return "";
  return round % 2 == 1 ? R"( stroke-dasharray="7 4")" : R"( stroke-dasharray="2 4")";
}

// A linear axis from `lo` to `hi` with ticks every `step`.
struct Axis {
  double lo = 0;
  double hi = 1;
  double step = 0.2;
};

// The smallest axis with about `ticks` round steps (1, 2, 2.5 or 5 times a power of ten)
// that covers [lo, hi]. Example: [0, 87] -> 0..100 in steps of 20.
Axis NiceAxis(double lo, double hi, int ticks = 5) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-9) hi = lo + 1;
  const double raw = (hi - lo) / ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  double step = 10;
  for (double candidate : {1.0, 2.0, 2.5, 5.0}) {
    if (norm <= candidate + 1e-9) {
      step = candidate;
      break;
    }
  }
  step *= magnitude;
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step, step};
}

// Decimals needed to print multiples of `step` exactly (at most 6).
int TickDecimals(double step) {
  for (int decimals = 0; decimals < 6; ++decimals) {
    const double scaled = step * std::pow(10.0, decimals);
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * scaled) return decimals;
  }
  return 6;
}

std::vector<double> Ticks(const Axis& axis) {
  std::vector<double> ticks;
  if (!(axis.step > 0)) return ticks;
  for (int i = 0; i <= 200; ++i) {
    const double v = axis.lo + i * axis.step;
    if (v > axis.hi + axis.step * 1e-6) break;
    ticks.push_back(v);
  }
  return ticks;
}

// Maps data to SVG coordinates inside the plot area.
struct Frame {
  Axis x, y;
  double left = kPlotLeft, right = kPlotRight, top = 0, bottom = kPlotHeight;

  double X(double v) const { return left + (v - x.lo) / (x.hi - x.lo) * (right - left); }
  double Y(double v) const { return bottom - (v - y.lo) / (y.hi - y.lo) * (bottom - top); }
};

struct LegendEntry {
  std::string policy;
  int style = 0;
};

// One line of a chart and, optionally, its band. A NaN in `y` (or in both band bounds) is
// a missing sample: the line and the band break there.
struct Series {
  std::string policy;
  int style = 0;
  std::string tooltip;
  std::string attributes;  // extra attributes, already escaped: ` data-seed="3"`
  std::vector<double> x, y;
  std::vector<double> band_lo, band_hi;  // empty, or the size of `x`
};

struct LineChart {
  std::string_view name;  // data-chart
  std::string_view title;
  std::string caption;
  std::string x_label, y_label;
  Axis x, y;
  std::vector<LegendEntry> legend;
  std::vector<Series> series;
  bool diagonal = false;  // a dashed y = x line: every arrived GPU allocated
  // A dashed horizontal line at this y (NaN: none), e.g. 100% of the nominal quota.
  double reference_y = std::numeric_limits<double>::quiet_NaN();
  std::string reference_label;
};

// Lays out the legend in rows across the plot width and returns how many rows it takes.
// Writes the legend when `out` is given.
int Legend(const std::vector<LegendEntry>& entries, double top, std::string* out) {
  if (entries.empty()) return 0;
  int rows = 1;
  double x = kPlotLeft;
  if (out != nullptr) fmt::format_to(std::back_inserter(*out), "<g class=\"legend\">\n");
  for (const LegendEntry& e : entries) {
    const double width = 36 + kCharWidth * static_cast<double>(e.policy.size()) + 18;
    if (x > kPlotLeft && x + width > kPlotRight) {
      ++rows;
      x = kPlotLeft;
    }
    const double y = top + (rows - 1) * kLegendRow + 11;
    if (out != nullptr) {
      fmt::format_to(std::back_inserter(*out),
                     "<g data-policy=\"{0}\"><line x1=\"{1}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" "
                     "stroke=\"{4}\" stroke-width=\"3\"{5}/><text x=\"{6}\" y=\"{7}\">{0}</text>"
                     "</g>\n",
                     Escape(e.policy), Px(x), Px(y), Px(x + 28), Colour(e.style), Dash(e.style),
                     Px(x + 34), Px(y + 4));
    }
    x += width;
  }
  if (out != nullptr) *out += "</g>\n";
  return rows;
}

// Gridlines, axis lines, tick labels and axis labels of `frame`.
void WriteAxes(const Frame& frame, const std::string& x_label, const std::string& y_label,
               bool x_ticks, std::string& svg) {
  Out out(svg);
  const int x_decimals = TickDecimals(frame.x.step);
  const int y_decimals = TickDecimals(frame.y.step);
  svg += "<g class=\"grid\">\n";
  for (double v : Ticks(frame.y)) {
    fmt::format_to(out, "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", Px(frame.left),
                   Px(frame.Y(v)), Px(frame.right), Px(frame.Y(v)));
  }
  if (x_ticks) {
    for (double v : Ticks(frame.x)) {
      fmt::format_to(out, "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", Px(frame.X(v)),
                     Px(frame.top), Px(frame.X(v)), Px(frame.bottom));
    }
  }
  svg += "</g>\n<g class=\"axis\">\n";
  fmt::format_to(out, "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n", Px(frame.left),
                 Px(frame.bottom), Px(frame.right));
  fmt::format_to(out, "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", Px(frame.left),
                 Px(frame.top), Px(frame.bottom));
  for (double v : Ticks(frame.y)) {
    fmt::format_to(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                   Px(frame.left - 8), Px(frame.Y(v) + 4), Fixed(v, y_decimals));
  }
  if (x_ticks) {
    for (double v : Ticks(frame.x)) {
      fmt::format_to(out,
                     "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
                     "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                     Px(frame.X(v)), Px(frame.bottom), Px(frame.bottom + 5), Px(frame.bottom + 19),
                     Fixed(v, x_decimals));
    }
  }
  svg += "</g>\n";
  if (!x_label.empty()) {
    fmt::format_to(
        out, "<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
        Px((frame.left + frame.right) / 2), Px(frame.bottom + 44), Escape(x_label));
  }
  const double mid_y = (frame.top + frame.bottom) / 2;
  fmt::format_to(out,
                 "<text class=\"axis-label\" x=\"18\" y=\"{0}\" text-anchor=\"middle\" "
                 "transform=\"rotate(-90 18 {0})\">{1}</text>\n",
                 Px(mid_y), Escape(y_label));
}

bool Finite(double x, double y) { return std::isfinite(x) && std::isfinite(y); }

// The SVG path of `y` over `x`, one subpath per run of present samples. A lone sample
// becomes a dot (a zero-length segment drawn with round caps).
std::string LinePath(const Frame& frame, const std::vector<double>& x,
                     const std::vector<double>& y) {
  std::string d;
  size_t in_segment = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (!Finite(x[i], y[i])) {
      if (in_segment == 1) d += " h0";
      in_segment = 0;
      continue;
    }
    fmt::format_to(std::back_inserter(d), "{}{}{} {}", d.empty() ? "" : " ",
                   in_segment == 0 ? "M" : "L", Px(frame.X(x[i])), Px(frame.Y(y[i])));
    ++in_segment;
  }
  if (in_segment == 1) d += " h0";
  return d;
}

// The SVG path of the band between `lo` and `hi`: one closed polygon per run of samples
// where both bounds are present (a lone sample has no area and is left out).
std::string BandPath(const Frame& frame, const std::vector<double>& x,
                     const std::vector<double>& lo, const std::vector<double>& hi) {
  std::string d;
  Out out(d);
  const size_t n = std::min({x.size(), lo.size(), hi.size()});
  size_t i = 0;
  while (i < n) {
    if (!Finite(x[i], lo[i]) || !std::isfinite(hi[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < n && Finite(x[end], lo[end]) && std::isfinite(hi[end])) ++end;
    if (end - i >= 2) {
      for (size_t k = i; k < end; ++k) {
        fmt::format_to(out, "{}{} {}", k == i ? (d.empty() ? "M" : " M") : " L", Px(frame.X(x[k])),
                       Px(frame.Y(hi[k])));
      }
      for (size_t k = end; k-- > i;) {
        fmt::format_to(out, " L{} {}", Px(frame.X(x[k])), Px(frame.Y(lo[k])));
      }
      d += " Z";
    }
    i = end;
  }
  return d;
}

void WriteFigureStart(std::string_view name, std::string_view title, double height,
                      std::string& html) {
  fmt::format_to(Out(html),
                 "<figure>\n<h2>{1}</h2>\n<svg class=\"chart\" data-chart=\"{0}\" "
                 "viewBox=\"0 0 {2} {3}\" width=\"{2}\" height=\"{3}\" role=\"img\" "
                 "aria-label=\"{1}\">\n<title>{1}</title>\n",
                 Escape(name), Escape(title), Px(kWidth), Px(height));
}

void WriteFigureEnd(std::string_view caption, std::string& html) {
  html += "</svg>\n";
  if (!caption.empty()) fmt::format_to(Out(html), "<figcaption>{}</figcaption>\n", caption);
  html += "</figure>\n";
}

void WriteLineChart(const LineChart& chart, std::string& html) {
  const int rows = Legend(chart.legend, 8, nullptr);
  Frame frame{.x = chart.x, .y = chart.y};
  frame.top = 16 + rows * kLegendRow;
  frame.bottom = frame.top + kPlotHeight;
  WriteFigureStart(chart.name, chart.title, frame.bottom + kAxisBelow, html);
  Legend(chart.legend, 8, &html);
  WriteAxes(frame, chart.x_label, chart.y_label, /*x_ticks=*/true, html);
  Out out(html);

  bool any_sample = false;
  for (const Series& s : chart.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      any_sample = any_sample || Finite(s.x[i], s.y[i]);
    }
  }
  if (!any_sample) {
    fmt::format_to(out,
                   "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no samples"
                   "</text>\n",
                   Px((frame.left + frame.right) / 2), Px((frame.top + frame.bottom) / 2));
  }
  for (const Series& s : chart.series) {
    if (s.band_lo.empty()) continue;
    const std::string d = BandPath(frame, s.x, s.band_lo, s.band_hi);
    if (d.empty()) continue;
    fmt::format_to(out, "<path class=\"band\" data-policy=\"{}\" fill=\"{}\" d=\"{}\"/>\n",
                   Escape(s.policy), Colour(s.style), d);
  }
  if (chart.diagonal) {
    const double end = std::min(chart.x.hi, chart.y.hi);
    fmt::format_to(out, "<path class=\"reference\" d=\"M{} {} L{} {}\"><title>{}</title></path>\n",
                   Px(frame.X(std::max(chart.x.lo, chart.y.lo))),
                   Px(frame.Y(std::max(chart.x.lo, chart.y.lo))), Px(frame.X(end)),
                   Px(frame.Y(end)), "every arrived GPU allocated");
  }
  if (std::isfinite(chart.reference_y) && chart.reference_y >= chart.y.lo &&
      chart.reference_y <= chart.y.hi) {
    fmt::format_to(out, "<path class=\"reference\" d=\"M{} {} L{} {}\"><title>{}</title></path>\n",
                   Px(frame.left), Px(frame.Y(chart.reference_y)), Px(frame.right),
                   Px(frame.Y(chart.reference_y)), Escape(chart.reference_label));
  }
  for (const Series& s : chart.series) {
    const std::string d = LinePath(frame, s.x, s.y);
    fmt::format_to(out,
                   "<path class=\"series\" data-policy=\"{}\"{} stroke=\"{}\"{} d=\"{}\">"
                   "<title>{}</title></path>\n",
                   Escape(s.policy), s.attributes, Colour(s.style), Dash(s.style), d,
                   Escape(s.tooltip));
  }
  WriteFigureEnd(chart.caption, html);
}

// One bar per policy with an error bar of one standard deviation each way.
struct Bar {
  std::string policy;
  int style = 0;
  sim::Stat stat;
  int64_t seeds = 0;
};

// `floor`, when finite, is drawn as a dashed line across the bars, labelled `floor_label`.
void WriteBarChart(std::string_view name, std::string_view title, std::string_view y_label,
                   std::string_view caption, const std::vector<Bar>& bars, std::string& html,
                   double floor = std::nan(""), std::string_view floor_label = "") {
  double lo = 0, hi = std::isfinite(floor) ? std::max(1.0, floor) : 1;
  size_t longest = 0;
  for (const Bar& b : bars) {
    longest = std::max(longest, b.policy.size());
    if (!std::isfinite(b.stat.mean)) continue;
    const double sd = std::isfinite(b.stat.sd) ? b.stat.sd : 0;
    hi = std::max(hi, b.stat.mean + sd);
    lo = std::min(lo, b.stat.mean);
  }
  Frame frame{.x = {0, 1, 1}, .y = NiceAxis(lo, hi * 1.08)};
  frame.top = 24;  // room for the value label above the tallest bar
  frame.bottom = frame.top + kPlotHeight;
  const double slot =
      (frame.right - frame.left) / static_cast<double>(std::max<size_t>(bars.size(), 1));
  // Policy names go under their bars, slanted when they are wider than a bar's slot.
  const bool slanted = kCharWidth * static_cast<double>(longest) > slot - 8;
  const double label_depth =
      slanted ? std::min(140.0, 0.5 * kCharWidth * static_cast<double>(longest)) + 24 : 24;
  WriteFigureStart(name, title, frame.bottom + label_depth + 12, html);
  WriteAxes(frame, "", std::string(y_label), /*x_ticks=*/false, html);
  Out out(html);
  if (bars.empty()) {
    fmt::format_to(out,
                   "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no summary"
                   "</text>\n",
                   Px((frame.left + frame.right) / 2), Px((frame.top + frame.bottom) / 2));
  }
  const double bar_width = std::min(72.0, slot * 0.6);
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const double center = frame.left + slot * (static_cast<double>(i) + 0.5);
    const std::string label = Escape(b.policy);
    if (slanted) {
      fmt::format_to(out,
                     "<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\" "
                     "transform=\"rotate(-30 {0} {1})\">{2}</text>\n",
                     Px(center + 4), Px(frame.bottom + 16), label);
    } else {
      fmt::format_to(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Px(center),
                     Px(frame.bottom + 18), label);
    }
    if (!std::isfinite(b.stat.mean)) {
      fmt::format_to(out,
                     "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">n/a</text>\n",
                     Px(center), Px(frame.bottom - 8));
      continue;
    }
    const double sd = std::isfinite(b.stat.sd) ? b.stat.sd : 0;
    const double y0 = frame.Y(std::max(0.0, frame.y.lo));
    const double y1 = frame.Y(b.stat.mean);
    fmt::format_to(out,
                   "<rect class=\"bar\" data-policy=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" "
                   "height=\"{}\" fill=\"{}\"><title>{}: {} ({} seeds)</title></rect>\n",
                   label, Px(center - bar_width / 2), Px(std::min(y0, y1)), Px(bar_width),
                   Px(std::abs(y0 - y1)), Colour(b.style), label, MeanSd(b.stat, 2), b.seeds);
    const double top = frame.Y(std::min(frame.y.hi, b.stat.mean + sd));
    const double bottom = frame.Y(std::max(frame.y.lo, b.stat.mean - sd));
    if (sd > 0) {
      fmt::format_to(out,
                     "<path class=\"errorbar\" d=\"M{0} {1} V{2} M{3} {1} H{4} M{3} {2} H{4}\"/>\n",
                     Px(center), Px(top), Px(bottom), Px(center - 7), Px(center + 7));
    }
    fmt::format_to(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", Px(center),
                   Px(std::min(top, y1) - 6), MeanSd(b.stat, 1));
  }
  if (std::isfinite(floor)) {
    const double y = frame.Y(floor);
    fmt::format_to(out,
                   "<path class=\"floor\" d=\"M{} {} H{}\"/>\n<text class=\"floor\" x=\"{}\" "
                   "y=\"{}\" text-anchor=\"end\">{}</text>\n",
                   Px(frame.left), Px(y), Px(frame.right), Px(frame.right - 4), Px(y - 5),
                   Escape(floor_label));
  }
  WriteFigureEnd(caption, html);
}

// `curve` over 0..kMaxArrivedPct with each interior gap filled linearly between the samples
// on either side; leading and trailing gaps stay NaN. Example: [NaN, 10, NaN, NaN, 40, NaN]
// becomes [NaN, 10, 20, 30, 40, NaN].
std::vector<double> BridgeGaps(const std::vector<double>& curve) {
  std::vector<double> bridged(sim::kMaxArrivedPct + 1, std::nan(""));
  std::copy_n(curve.begin(), std::min(curve.size(), bridged.size()), bridged.begin());
  int previous = -1;
  for (int i = 0; i < static_cast<int>(bridged.size()); ++i) {
    const auto at = static_cast<size_t>(i);
    if (!std::isfinite(bridged[at])) continue;
    if (previous >= 0 && i - previous > 1) {
      const double from = bridged[static_cast<size_t>(previous)];
      for (int k = previous + 1; k < i; ++k) {
        const double t = static_cast<double>(k - previous) / static_cast<double>(i - previous);
        bridged[static_cast<size_t>(k)] = from + t * (bridged[at] - from);
      }
    }
    previous = i;
  }
  return bridged;
}

// Mean, min and max over a policy's seeds at every arrived percent, after bridging each
// seed's gaps. The mean is NaN where any seed has no sample, so that a seed whose curve ends
// early does not bend the mean; min and max are NaN only where no seed has one.
struct Envelope {
  std::vector<double> mean, lo, hi;
  int runs = 0;
};

Envelope Aggregate(const std::vector<const std::vector<double>*>& curves) {
  const size_t n = sim::kMaxArrivedPct + 1;
  Envelope e{std::vector<double>(n, std::nan("")), std::vector<double>(n, std::nan("")),
             std::vector<double>(n, std::nan("")), static_cast<int>(curves.size())};
  std::vector<double> sum(n, 0);
  std::vector<int> count(n, 0);
  for (const std::vector<double>* curve : curves) {
    const std::vector<double> bridged = BridgeGaps(*curve);
    for (size_t i = 0; i < n; ++i) {
      const double v = bridged[i];
      if (!std::isfinite(v)) continue;
      sum[i] += v;
      e.lo[i] = count[i] == 0 ? v : std::min(e.lo[i], v);
      e.hi[i] = count[i] == 0 ? v : std::max(e.hi[i], v);
      ++count[i];
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (count[i] > 0 && count[i] == e.runs) e.mean[i] = sum[i] / count[i];
  }
  return e;
}

double MaxFinite(const std::vector<double>& values, double floor) {
  double m = floor;
  for (double v : values) {
    if (std::isfinite(v)) m = std::max(m, v);
  }
  return m;
}

// A fill chart over arrived percent: one mean line and min..max band per policy.
LineChart FillChart(const sim::SimResult& result, const std::vector<std::string>& policies,
                    std::vector<double> sim::Run::*curve, double y_floor) {
  LineChart chart;
  chart.x = {0, sim::kMaxArrivedPct, 10};
  chart.x_label = "Arrived GPU demand (% of cluster GPU capacity)";
  std::vector<double> x(sim::kMaxArrivedPct + 1);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i);
  double y_max = y_floor;
  for (const std::string& policy : policies) {
    std::vector<const std::vector<double>*> curves;
    for (const sim::Run& r : result.runs) {
      if (r.policy == policy) curves.push_back(&(r.*curve));
    }
    if (curves.empty()) continue;
    Envelope e = Aggregate(curves);
    y_max = MaxFinite(e.hi, y_max);
    const int style = StyleOf(policies, policy);
    chart.legend.push_back({policy, style});
    Series s{
        .policy = policy,
        .style = style,
        .tooltip = fmt::format("{} (mean of {} seed{})", policy, e.runs, e.runs == 1 ? "" : "s"),
        .x = x,
        .y = std::move(e.mean)};
    if (e.runs > 1) {
      s.band_lo = std::move(e.lo);
      s.band_hi = std::move(e.hi);
    }
    chart.series.push_back(std::move(s));
  }
  chart.y = NiceAxis(0, y_max);
  return chart;
}

// Keeps at most four samples (first, lowest, highest, last) per pixel column of a plot
// `columns` wide, so a long timeline draws the same envelope with far fewer points.
void Decimate(std::vector<double>& x, std::vector<double>& y, double x_lo, double x_hi,
              int columns) {
  if (x.size() <= static_cast<size_t>(columns) * 4 || !(x_hi > x_lo)) return;
  std::vector<double> kept_x, kept_y;
  size_t i = 0;
  while (i < x.size()) {
    const auto column = [&](size_t k) {
      return static_cast<int64_t>((x[k] - x_lo) / (x_hi - x_lo) * columns);
    };
    size_t end = i + 1;
    while (end < x.size() && column(end) == column(i)) ++end;
    std::vector<size_t> picks = {i, end - 1};
    size_t low = i, high = i;
    for (size_t k = i; k < end; ++k) {
      if (!std::isfinite(y[k])) {
        picks.push_back(k);  // keep gaps so the line still breaks there
        continue;
      }
      if (!std::isfinite(y[low]) || y[k] < y[low]) low = k;
      if (!std::isfinite(y[high]) || y[k] > y[high]) high = k;
    }
    picks.push_back(low);
    picks.push_back(high);
    std::sort(picks.begin(), picks.end());
    picks.erase(std::unique(picks.begin(), picks.end()), picks.end());
    for (size_t k : picks) {
      kept_x.push_back(x[k]);
      kept_y.push_back(y[k]);
    }
    i = end;
  }
  x = std::move(kept_x);
  y = std::move(kept_y);
}

// A replay chart over simulated time: one line per run, coloured by policy.
LineChart TimeChart(const sim::SimResult& result, const std::vector<std::string>& policies,
                    const TimeUnit& time_unit, double (*value)(const sim::TimePoint&),
                    double y_scale, double y_floor) {
  LineChart chart;
  double t_max = 0;
  for (const sim::Run& r : result.runs) {
    for (const sim::TimePoint& p : r.timeline) {
      t_max = std::max(t_max, static_cast<double>(p.time_s) / time_unit.seconds);
    }
  }
  chart.x = NiceAxis(0, t_max, 8);
  chart.x_label = fmt::format("Simulated time ({})", time_unit.name);
  double y_max = y_floor;
  for (const std::string& policy : policies) {
    const int style = StyleOf(policies, policy);
    bool any = false;
    for (const sim::Run& r : result.runs) {
      if (r.policy != policy) continue;
      any = true;
      Series s{.policy = policy,
               .style = style,
               .tooltip = fmt::format("{} seed {}", policy, r.seed),
               .attributes = fmt::format(" data-seed=\"{}\"", r.seed)};
      for (const sim::TimePoint& p : r.timeline) {
        s.x.push_back(static_cast<double>(p.time_s) / time_unit.seconds);
        s.y.push_back(value(p) / y_scale);
      }
      Decimate(s.x, s.y, chart.x.lo, chart.x.hi, static_cast<int>(kPlotRight - kPlotLeft));
      y_max = MaxFinite(s.y, y_max);
      chart.series.push_back(std::move(s));
    }
    if (any) chart.legend.push_back({policy, style});
  }
  chart.y = NiceAxis(0, y_max);
  return chart;
}

std::string SeedList(const sim::SimResult& result) {
  std::vector<uint64_t> seeds;
  for (const sim::Run& r : result.runs) {
    if (std::find(seeds.begin(), seeds.end(), r.seed) == seeds.end()) seeds.push_back(r.seed);
  }
  if (seeds.empty()) return "none";
  if (seeds.size() > 8) {
    const auto [lo, hi] = std::minmax_element(seeds.begin(), seeds.end());
    return fmt::format("{} seeds, {} to {}", seeds.size(), *lo, *hi);
  }
  return fmt::format("{}", fmt::join(seeds, ", "));
}

std::string Cell(const std::string& text) {
  return text == "n/a" ? "<td class=\"na\">n/a</td>" : "<td>" + text + "</td>";
}

std::string PolicyCell(const std::vector<std::string>& policies, const std::string& policy) {
  return fmt::format("<td><span class=\"swatch\" style=\"background:{}\"></span>{}</td>",
                     Colour(StyleOf(policies, policy)), Escape(policy));
}

void WriteSummaryTable(const sim::SimResult& result, const std::vector<std::string>& policies,
                       std::string& html) {
  Out out(html);
  const bool fill = result.experiment == sim::Experiment::kFill;
  html += "<h2>Summary</h2>\n";
  if (result.summary.empty()) {
    html += "<p>No summary: the result was not summarized.</p>\n";
    return;
  }
  // Exact replays compare placements with the paper's; show that column only when there is
  // something compared.
  bool has_reference = false;
  for (const sim::Run& r : result.runs) has_reference = has_reference || r.reference_compared > 0;

  html += "<table class=\"summary\">\n<thead><tr><th>Policy</th><th>Seeds</th>";
  if (fill) {
    html +=
        "<th>Unallocated GPU %<br>at arrived 100%</th><th>Fragmented GPU %<br>at arrived "
        "100%</th><th>Allocated GPU %<br>final</th><th>Failed tasks</th>";
  } else {
    html += "<th>Failed tasks</th><th>Wait p50</th><th>Wait p99</th><th>Wait max</th>";
    if (has_reference) html += "<th>Same node as<br>reference</th>";
  }
  html += "</tr></thead>\n<tbody>\n";
  for (const sim::PolicySummary& s : result.summary) {
    html += "<tr>" + PolicyCell(policies, s.policy) + fmt::format("<td>{}</td>", s.seeds);
    if (fill) {
      const sim::Stat* unallocated = StatAt(s.unallocated_gpu_pct_at_arrived, 100);
      const sim::Stat* fragmented = StatAt(s.fragmented_gpu_pct_at_arrived, 100);
      html += Cell(unallocated != nullptr ? MeanSd(*unallocated, 2) : "n/a");
      html += Cell(fragmented != nullptr ? MeanSd(*fragmented, 2) : "n/a");
      html += Cell(MeanSd(s.allocated_gpu_pct_final, 2));
      html += Cell(MeanSd(s.failed, 1));
    } else {
      html += Cell(MeanSd(s.failed, 1));
      html += Cell(Duration(s.wait_p50_s));
      html += Cell(Duration(s.wait_p99_s));
      html += Cell(Duration(s.wait_max_s));
      if (has_reference) {
        int64_t same = 0, compared = 0;
        for (const sim::Run& r : result.runs) {
          if (r.policy != s.policy || r.reference_compared <= 0) continue;
          same += std::max<int64_t>(0, r.same_node_as_reference);
          compared += r.reference_compared;
        }
        html += Cell(
            compared > 0
                ? fmt::format(
                      "{} / {} ({}%)", same, compared,
                      Fixed(100.0 * static_cast<double>(same) / static_cast<double>(compared), 1))
                : "n/a");
      }
    }
    html += "</tr>\n";
  }
  html += "</tbody>\n</table>\n";
  fmt::format_to(out, "<p class=\"note\">Mean ± sample standard deviation over seeds.</p>\n");
  if (fill && !result.packing_floor.empty()) {
    const sim::Stat& every = result.packing_floor_every_share_pct;
    fmt::format_to(out,
                   "<p class=\"note floor\">Packing floor at arrived 100%: no run of any policy "
                   "can leave less than {} % of the GPUs unallocated, counting GPU shares alone "
                   "(CPU, memory and nodes only raise it); {}.</p>\n",
                   MeanSd(result.packing_floor_pct, 2),
                   std::isnan(every.mean)
                       ? std::string("no run can place every share that has arrived: they need "
                                     "more GPUs than there are")
                       : fmt::format("a run that places every share that has arrived leaves at "
                                     "least {} %; an offline best-fit-decreasing packer leaves {} %",
                                     MeanSd(every, 2), MeanSd(result.packing_floor_bfd_pct, 2)));
  }
}

void WriteRunsTable(const sim::SimResult& result, const std::vector<std::string>& policies,
                    std::string& html) {
  if (result.runs.empty()) return;
  const bool fill = result.experiment == sim::Experiment::kFill;
  Out out(html);
  fmt::format_to(out, "<details>\n<summary>Runs ({})</summary>\n<table class=\"runs\">\n",
                 result.runs.size());
  html += "<thead><tr><th>Policy</th><th>Seed</th><th>Tasks</th><th>Failed</th>";
  html += fill ? "<th>Allocated GPU %<br>final</th>"
               : "<th>Wait p50</th><th>Wait p99</th><th>Wait max</th>";
  html += "<th>Wall time (s)</th></tr></thead>\n<tbody>\n";
  for (const sim::Run& r : result.runs) {
    html += "<tr>" + PolicyCell(policies, r.policy);
    fmt::format_to(out, "<td>{}</td><td>{}</td><td>{}</td>", r.seed, r.tasks, r.failed);
    if (fill) {
      html += Cell(Fixed(r.allocated_gpu_pct_final, 2));
    } else {
      for (double wait : {r.wait_p50_s, r.wait_p99_s, r.wait_max_s}) {
        html += Cell(Duration(sim::Stat{wait, std::nan("")}));
      }
    }
    html += Cell(Fixed(r.wall_seconds, 2)) + "</tr>\n";
  }
  html += "</tbody>\n</table>\n</details>\n";
}

void WriteFillCharts(const sim::SimResult& result, const std::vector<std::string>& policies,
                     std::string& html) {
  const std::string band_note =
      "Line: mean over a policy's seeds, where every seed has a sample; band: lowest to "
      "highest seed. Percents that no task's arrived demand rounded to are bridged linearly "
      "within each seed.";

  LineChart allocation = FillChart(result, policies, &sim::Run::allocated_gpu_pct, 100);
  allocation.name = "allocation";
  allocation.title = "GPU allocation vs arrived GPU demand";
  allocation.y_label = "Allocated GPUs (% of capacity)";
  allocation.diagonal = true;
  allocation.caption = band_note + " Dashed grey: every arrived GPU allocated.";
  WriteLineChart(allocation, html);

  std::vector<Bar> bars;
  for (const sim::PolicySummary& s : result.summary) {
    const sim::Stat* stat = StatAt(s.unallocated_gpu_pct_at_arrived, 100);
    bars.push_back({s.policy, StyleOf(policies, s.policy),
                    stat != nullptr ? *stat : sim::Stat{std::nan(""), 0}, s.seeds});
  }
  const bool has_floor = !result.packing_floor.empty();
  WriteBarChart("unallocated-at-100", "Unallocated GPU % at arrived = 100%",
                "Unallocated GPUs (% of capacity)",
                std::string("Bar: mean over seeds; error bar: one sample standard deviation each "
                            "way. Lower is better.") +
                    (has_floor ? " Dashed: the packing floor, the least any run of any policy "
                                 "can leave (mean over seeds)."
                               : ""),
                bars, html, has_floor ? result.packing_floor_pct.mean : std::nan(""),
                has_floor ? fmt::format("packing floor {}", Fixed(result.packing_floor_pct.mean, 2))
                          : std::string());

  LineChart fragmentation = FillChart(result, policies, &sim::Run::fragmented_gpu_pct, 1);
  fragmentation.name = "fragmentation";
  fragmentation.title = "GPU fragmentation vs arrived GPU demand";
  fragmentation.y_label = "Fragmented GPUs (% of capacity)";
  fragmentation.caption = band_note;
  WriteLineChart(fragmentation, html);
}

void WriteReplayCharts(const sim::SimResult& result, const std::vector<std::string>& policies,
                       std::string& html) {
  double t_max = 0, wait_max = 0;
  for (const sim::Run& r : result.runs) {
    for (const sim::TimePoint& p : r.timeline) {
      t_max = std::max(t_max, static_cast<double>(p.time_s));
      if (std::isfinite(p.wait_p50_s)) wait_max = std::max(wait_max, p.wait_p50_s);
    }
  }
  const TimeUnit time_unit = PickTimeUnit(t_max);
  const std::string note = "One line per run, coloured by policy.";

  LineChart allocation = TimeChart(
      result, policies, time_unit, [](const sim::TimePoint& p) { return p.allocated_gpu_pct; }, 1,
      100);
  allocation.name = "allocation-over-time";
  allocation.title = "GPU allocation over time";
  allocation.y_label = "Allocated GPUs (% of capacity)";
  allocation.caption = note;
  WriteLineChart(allocation, html);

  LineChart pending = TimeChart(
      result, policies, time_unit,
      [](const sim::TimePoint& p) { return static_cast<double>(p.pending); }, 1, 1);
  pending.name = "pending-over-time";
  pending.title = "Pending tasks over time";
  pending.y_label = "Pending tasks";
  pending.caption = note;
  WriteLineChart(pending, html);

  const TimeUnit wait_unit = PickTimeUnit(wait_max);
  LineChart wait = TimeChart(
      result, policies, time_unit, [](const sim::TimePoint& p) { return p.wait_p50_s; },
      wait_unit.seconds, 1);
  wait.name = "wait-p50-over-time";
  wait.title = "Median wait over time";
  wait.y_label = fmt::format("Wait p50 of started tasks ({})", wait_unit.name);
  wait.caption = note;
  WriteLineChart(wait, html);
}

// --- tenant replay (a scenario with queues) -----------------------------------------------

// The quota resource the queue charts show: gpu when the queues cover it.
size_t KeyResource(const sim::SimResult& result) {
  for (size_t i = 0; i < result.queue_resources.size(); ++i) {
    if (result.queue_resources[i] == "gpu") return i;
  }
  return 0;
}

// One chart per policy (its first seed): one line per ClusterQueue, coloured by queue.
LineChart QueueChart(
    const sim::Run& run, const TimeUnit& time_unit,
    const std::function<double(const sim::QueueRun&, const sim::QueuePoint&)>& value,
    double y_floor) {
  LineChart chart;
  double t_max = 0;
  for (const sim::QueueRun& q : run.queues) {
    for (const sim::QueuePoint& p : q.timeline) {
      t_max = std::max(t_max, static_cast<double>(p.time_s) / time_unit.seconds);
    }
  }
  chart.x = NiceAxis(0, t_max, 8);
  chart.x_label = fmt::format("Simulated time ({})", time_unit.name);
  double y_max = y_floor;
  for (size_t i = 0; i < run.queues.size(); ++i) {
    const sim::QueueRun& q = run.queues[i];
    const int style = static_cast<int>(i);
    Series s{
        .policy = q.name,
        .style = style,
        .tooltip = fmt::format("{} ({} seed {})", q.name, run.policy, run.seed),
        .attributes = fmt::format(" data-queue=\"{}\" data-seed=\"{}\"", Escape(q.name), run.seed)};
    for (const sim::QueuePoint& p : q.timeline) {
      s.x.push_back(static_cast<double>(p.time_s) / time_unit.seconds);
      s.y.push_back(value(q, p));
    }
    Decimate(s.x, s.y, chart.x.lo, chart.x.hi, static_cast<int>(kPlotRight - kPlotLeft));
    y_max = MaxFinite(s.y, y_max);
    chart.series.push_back(std::move(s));
    chart.legend.push_back({q.name, style});
  }
  chart.y = NiceAxis(0, y_max);
  return chart;
}

void WriteQueueCharts(const sim::SimResult& result, const std::vector<std::string>& policies,
                      std::string& html) {
  const size_t key = KeyResource(result);
  const std::string& resource = result.queue_resources[key];
  const std::string unit = resource == "cpu" ? "cores" : resource == "memory" ? "GiB" : "GPUs";
  double t_max = 0;
  for (const sim::Run& r : result.runs) {
    for (const sim::QueueRun& q : r.queues) {
      if (!q.timeline.empty())
        t_max = std::max(t_max, static_cast<double>(q.timeline.back().time_s));
    }
  }
  const TimeUnit time_unit = PickTimeUnit(t_max);
  html += "<h2>Queues</h2>\n";
  for (const std::string& policy : policies) {
    const auto run = std::find_if(result.runs.begin(), result.runs.end(),
                                  [&](const sim::Run& r) { return r.policy == policy; });
    if (run == result.runs.end() || run->queues.empty()) continue;
    const std::string note =
        fmt::format("{} seed {}; one line per ClusterQueue.", policy, run->seed);
    LineChart usage = QueueChart(
        *run, time_unit,
        [key](const sim::QueueRun& q, const sim::QueuePoint& p) {
          return q.nominal[key] > 0 ? p.used[key] / q.nominal[key] * 100
                                    : std::numeric_limits<double>::quiet_NaN();
        },
        100);
    usage.name = "queue-usage-vs-nominal";
    usage.title = "Quota usage against nominal";
    usage.y_label = fmt::format("{} used (% of nominal quota)", resource);
    usage.reference_y = 100;
    usage.reference_label = "nominal quota";
    usage.caption = note + " Above 100% a queue borrows from its cohort.";
    WriteLineChart(usage, html);

    LineChart borrowed = QueueChart(
        *run, time_unit,
        [key](const sim::QueueRun&, const sim::QueuePoint& p) { return p.borrowed[key]; }, 1);
    borrowed.name = "queue-borrowed";
    borrowed.title = "Borrowed quota";
    borrowed.y_label = fmt::format("{} borrowed ({})", resource, unit);
    borrowed.caption = note;
    WriteLineChart(borrowed, html);

    LineChart share = QueueChart(
        *run, time_unit,
        [](const sim::QueueRun&, const sim::QueuePoint& p) { return p.weighted_share; }, 0.1);
    share.name = "queue-weighted-share";
    share.title = "Weighted dominant share";
    share.y_label = "Dominant share of borrowed quota / weight";
    share.caption = note;
    WriteLineChart(share, html);
  }

  // Fairness: one line per run, coloured by policy; gaps where no queue has demand.
  LineChart fairness;
  fairness.x = NiceAxis(0, t_max / time_unit.seconds, 8);
  fairness.x_label = fmt::format("Simulated time ({})", time_unit.name);
  for (const std::string& policy : policies) {
    const int style = StyleOf(policies, policy);
    bool any = false;
    for (const sim::Run& r : result.runs) {
      if (r.policy != policy) continue;
      any = true;
      Series s{.policy = policy,
               .style = style,
               .tooltip = fmt::format("{} seed {}", policy, r.seed),
               .attributes = fmt::format(" data-seed=\"{}\"", r.seed)};
      for (const sim::FairnessPoint& p : r.fairness) {
        s.x.push_back(static_cast<double>(p.time_s) / time_unit.seconds);
        s.y.push_back(p.queues_with_demand > 0 ? p.index
                                               : std::numeric_limits<double>::quiet_NaN());
      }
      Decimate(s.x, s.y, fairness.x.lo, fairness.x.hi, static_cast<int>(kPlotRight - kPlotLeft));
      fairness.series.push_back(std::move(s));
    }
    if (any) fairness.legend.push_back({policy, style});
  }
  fairness.y = NiceAxis(0, 1);
  fairness.name = "fairness-over-time";
  fairness.title = "Fairness index over time";
  fairness.y_label = "Jain's index on weighted dominant share";
  fairness.reference_y = 1;
  fairness.reference_label = "perfectly fair";
  fairness.caption =
      "One line per run, coloured by policy. Jain's index over the queues with demand "
      "(docs/simulate.md); 1 when no queue is ahead of another.";
  WriteLineChart(fairness, html);
}

}  // namespace

void WriteHtmlReport(const sim::SimResult& result, std::ostream& out) {
  const bool fill = result.experiment == sim::Experiment::kFill;
  const std::vector<std::string> policies = Policies(result);
  std::string html;
  html.reserve(64 * 1024);
  Out o(html);
  fmt::format_to(o,
                 "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>tessera simulate: {}</title>\n<style>{}</style>\n</head>\n<body>\n",
                 Escape(result.workload), kStyle);
  fmt::format_to(o, "<h1>tessera simulate: {}</h1>\n", Escape(result.workload));
  fmt::format_to(o,
                 "<p class=\"meta\">Experiment <b>{}</b> · <b>{}</b> nodes · <b>{}</b> GPUs · "
                 "{}seeds <b>{}</b> · {} polic{}</p>\n",
                 fill ? "fill" : "replay", result.nodes, result.gpus,
                 !fill ? ""
                 : std::isfinite(result.tune)
                     ? fmt::format("tune ratio <b>{:g}</b> · ", result.tune)
                     : "tune ratio <b>n/a</b> · ",
                 SeedList(result), policies.size(), policies.size() == 1 ? "y" : "ies");
  WriteSummaryTable(result, policies, html);
  WriteRunsTable(result, policies, html);
  if (fill) {
    WriteFillCharts(result, policies, html);
  } else {
    WriteReplayCharts(result, policies, html);
    if (!result.queue_resources.empty()) WriteQueueCharts(result, policies, html);
  }
  html += "<footer>Written by <code>tessera simulate</code>.</footer>\n</body>\n</html>\n";
  out << html;
}

}  // namespace tessera::cli
