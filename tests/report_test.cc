// The HTML report of `tessera simulate` (apps/tessera/simulate_report.h) on hand-built results:
// two policies x three seeds of fill curves with missing samples, and a replay of two
// policies x two seeds. The page is checked as text (one svg.chart per chart, one
// path.series per policy, no non-finite number, nothing fetched from elsewhere, names
// escaped) and, when Debian's chromium is installed (scripts/install-deps.sh), rendered
// headless: the DOM Chromium builds must hold the charts and a screenshot must not be blank.
// Set TESSERA_REPORT_DIR to keep the pages and screenshots there for a look by hand.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "apps/tessera/simulate_report.h"
#include "sim/result.h"

namespace tessera {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kChromium = "/usr/bin/chromium";
const double kNaN = std::nan("");

// Allocated GPU % at arrived `x` %: the arrived demand until it nears `ceiling`, then
// flattening towards it; `noise` shifts a seed.
double Allocation(int x, double ceiling, double noise) {
  const double knee = ceiling - 12;
  if (x <= knee) return x;
  return knee + 12 * (1 - std::exp(-(x - knee) / 12.0)) + noise;
}

// Two policies x three seeds. Seed 2 misses every seventh percent (a gap inside the curve),
// seed 3 stops at arrived 120% (a trailing gap) and nobody has arrived 0%.
sim::SimResult FillResult() {
  sim::SimResult result;
  result.experiment = sim::Experiment::kFill;
  result.workload = "openb_pod_list_default";
  result.nodes = 1213;
  result.gpus = 6212;
  result.tune = 1.3;
  const struct {
    const char* policy;
    double ceiling;
    double fragmentation;  // at arrived 130%
  } policies[] = {{"fgd", 96, 2.5}, {"best-fit", 91, 7.5}};
  for (const auto& p : policies) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      sim::Run run{.policy = p.policy, .seed = seed, .tasks = 8152, .failed = 0};
      run.wall_seconds = 2.5;
      const double noise = (static_cast<double>(seed) - 2) * 0.8;
      for (int x = 0; x <= sim::kMaxArrivedPct; ++x) {
        const bool missing = x == 0 || (seed == 2 && x % 7 == 3) || (seed == 3 && x > 120);
        const double frac = x / 130.0;
        run.allocated_gpu_pct.push_back(missing ? kNaN : Allocation(x, p.ceiling, noise));
        run.fragmented_gpu_pct.push_back(
            missing ? kNaN : p.fragmentation * frac * frac * (1 + noise / 10));
      }
      run.allocated_gpu_pct_final = p.ceiling + noise;
      run.failed = static_cast<int64_t>(400 - 3 * p.ceiling) + static_cast<int64_t>(seed);
      result.runs.push_back(std::move(run));
    }
  }
  // Written by hand: sim::Summarize lives in src/sim, which this test does not link.
  for (const auto& p : policies) {
    sim::PolicySummary s{.policy = p.policy, .seeds = 3};
    for (int pct = 0; pct <= sim::kMaxArrivedPct; pct += 10) {
      s.unallocated_gpu_pct_at_arrived.push_back(
          {pct, {std::max(0.0, pct - Allocation(pct, p.ceiling, 0)), 0.8}});
      s.fragmented_gpu_pct_at_arrived.push_back(
          {pct, {p.fragmentation * pct * pct / (130.0 * 130.0), 0.1}});
    }
    s.allocated_gpu_pct_final = {p.ceiling, 0.8};
    s.failed = {400 - 3 * p.ceiling + 2, 1};
    result.summary.push_back(std::move(s));
  }
  return result;
}

// Two policies x two seeds over 33 simulated hours, sampled every 20 s (6,000 samples, more
// than the report draws); the first samples have no wait yet (NaN).
sim::SimResult ReplayResult() {
  sim::SimResult result;
  result.experiment = sim::Experiment::kReplay;
  result.workload = "openb_pod_list_gpuspec33";
  result.nodes = 1213;
  result.gpus = 6212;
  const char* policies[] = {"fgd", "best-fit"};
  for (int p = 0; p < 2; ++p) {
    for (uint64_t seed = 1; seed <= 2; ++seed) {
      sim::Run run{.policy = policies[p], .seed = seed, .tasks = 8152};
      run.failed = 3 * p + static_cast<int64_t>(seed);
      for (int i = 0; i < 6000; ++i) {
        const double t = i * 20.0;
        const double wave = std::sin(t / 9000.0 + p + static_cast<double>(seed));
        sim::TimePoint point;
        point.time_s = static_cast<int64_t>(t);
        point.allocated_gpu_pct = 70 - 6 * p + 20 * wave;
        point.pending = static_cast<int64_t>(std::max(0.0, 40 * wave + 10 * p));
        point.running = 500;
        point.wait_p50_s = i < 5 ? kNaN : 60 + 0.01 * t * (1 + p);
        run.timeline.push_back(point);
      }
      run.wait_p50_s = 600 + 300 * p;
      run.wait_p99_s = 5400 + 1800 * p;
      run.wait_max_s = 20000 + 4000 * p;
      result.runs.push_back(std::move(run));
    }
  }
  for (int p = 0; p < 2; ++p) {
    sim::PolicySummary s{.policy = policies[p], .seeds = 2};
    s.allocated_gpu_pct_final = {0, 0};
    s.failed = {1.5 + 3 * p, 0.7};
    s.wait_p50_s = {600.0 + 300 * p, 20};
    s.wait_p99_s = {5400.0 + 1800 * p, 120};
    s.wait_max_s = {20000.0 + 4000 * p, 900};
    result.summary.push_back(std::move(s));
  }
  return result;
}

std::string Render(const sim::SimResult& result) {
  std::ostringstream out;
  cli::WriteHtmlReport(result, out);
  EXPECT_TRUE(out.good());
  return out.str();
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The text of the chart named `name`, from its <svg> to its </svg>; empty when absent.
std::string Chart(const std::string& html, std::string_view name) {
  const std::string open = "<svg class=\"chart\" data-chart=\"" + std::string(name) + "\"";
  const size_t begin = html.find(open);
  if (begin == std::string::npos) return "";
  const size_t end = html.find("</svg>", begin);
  if (end == std::string::npos) return "";
  return html.substr(begin, end - begin);
}

std::string Series(std::string_view policy) {
  return "class=\"series\" data-policy=\"" + std::string(policy) + "\"";
}

// The words a non-finite double prints as, anywhere in `text`.
bool HasNonFinite(const std::string& text) {
  static const std::regex kWord("(^|[^A-Za-z])(nan|inf|infinity)([^A-Za-z]|$)", std::regex::icase);
  return std::regex_search(text, kWord);
}

// Any reference that would make the page fetch something.
void ExpectSelfContained(const std::string& html) {
  for (std::string_view fetch :
       {"http://", "https://", "//cdn", "<script", "<link", "<img", "@import", "url("}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
}

TEST(SimulateReportTest, FillHasThreeChartsWithOneLinePerPolicy) {
  const std::string html = Render(FillResult());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), 3u);
  for (std::string_view name : {"allocation", "fragmentation"}) {
    const std::string chart = Chart(html, name);
    ASSERT_FALSE(chart.empty()) << name;
    EXPECT_EQ(Count(chart, Series("fgd")), 1u) << name;
    EXPECT_EQ(Count(chart, Series("best-fit")), 1u) << name;
    EXPECT_EQ(Count(chart, "class=\"band\""), 2u) << name;  // three seeds: min..max bands
  }
  const std::string bars = Chart(html, "unallocated-at-100");
  ASSERT_FALSE(bars.empty());
  EXPECT_EQ(Count(bars, "class=\"bar\""), 2u);
  EXPECT_EQ(Count(bars, "class=\"errorbar\""), 2u);
  // fgd follows the arrived demand up to 84% and then levels off towards 96%, so at arrived
  // 100% it has allocated 84 + 12 (1 - e^(-16/12)) = 92.84% and leaves 7.16% unallocated.
  EXPECT_NE(bars.find("7.2 ± 0.8"), std::string::npos);
}

TEST(SimulateReportTest, PackingFloorIsADashedLineAcrossTheBarsAndANote) {
  sim::SimResult result = FillResult();
  EXPECT_EQ(Count(Render(result), "class=\"floor\""), 0u);  // none computed, none drawn
  result.packing_floor = {
      {.seed = 1, .any_run_pct = 3.09, .every_share_placed_pct = 3.82,
       .best_fit_decreasing_pct = 3.98},
      {.seed = 2, .any_run_pct = 3.11, .every_share_placed_pct = 3.84,
       .best_fit_decreasing_pct = 4.00}};
  result.packing_floor_pct = {3.10, 0.01414};
  result.packing_floor_every_share_pct = {3.83, 0.01414};
  result.packing_floor_bfd_pct = {3.99, 0.01414};
  std::string html = Render(result);
  const std::string bars = Chart(html, "unallocated-at-100");
  EXPECT_EQ(Count(bars, "<path class=\"floor\""), 1u);
  EXPECT_NE(bars.find(">packing floor 3.10</text>"), std::string::npos);
  EXPECT_NE(html.find("can leave less than 3.10 ± 0.01 % of the GPUs"), std::string::npos);
  EXPECT_NE(html.find("leaves at least 3.83 ± 0.01 %;"), std::string::npos);
  EXPECT_NE(html.find("best-fit-decreasing packer leaves 3.99 ± 0.01 %"), std::string::npos);
  // When no run can place every share, the page says so instead of a number.
  result.packing_floor_every_share_pct = {std::nan(""), std::nan("")};
  html = Render(result);
  EXPECT_NE(html.find("no run can place every share that has arrived: they need more GPUs"),
            std::string::npos);
  EXPECT_EQ(html.find("best-fit-decreasing packer leaves"), std::string::npos);
  EXPECT_EQ(Count(Chart(html, "allocation"), "class=\"floor\""), 0u);
  EXPECT_EQ(Count(Chart(html, "unallocated-at-100"), "<path class=\"floor\""), 1u);
}

TEST(SimulateReportTest, FillTitleAndTableNameTheRun) {
  const std::string html = Render(FillResult());
  EXPECT_NE(html.find("openb_pod_list_default"), std::string::npos);
  EXPECT_NE(html.find("<b>fill</b>"), std::string::npos);
  EXPECT_NE(html.find("<b>1213</b> nodes"), std::string::npos);
  EXPECT_NE(html.find("<b>6212</b> GPUs"), std::string::npos);
  EXPECT_NE(html.find("tune ratio <b>1.3</b>"), std::string::npos);
  EXPECT_NE(html.find("seeds <b>1, 2, 3</b>"), std::string::npos);
  EXPECT_NE(html.find("Unallocated GPU %"), std::string::npos);
  EXPECT_NE(html.find("<td>96.00 ± 0.80</td>"), std::string::npos);  // fgd allocated final
}

TEST(SimulateReportTest, MissingSamplesNeverReachThePage) {
  const std::string fill = Render(FillResult());
  EXPECT_FALSE(HasNonFinite(fill));
  ExpectSelfContained(fill);

  // A summary with missing figures and a run with no samples at all.
  sim::SimResult result = FillResult();
  result.summary[0].unallocated_gpu_pct_at_arrived.clear();
  result.summary[1].allocated_gpu_pct_final = {kNaN, kNaN};
  result.runs[0].allocated_gpu_pct.assign(sim::kMaxArrivedPct + 1, kNaN);
  result.runs[1].fragmented_gpu_pct.clear();
  result.tune = std::numeric_limits<double>::infinity();
  const std::string html = Render(result);
  EXPECT_FALSE(HasNonFinite(html));
  EXPECT_NE(html.find("n/a"), std::string::npos);
}

TEST(SimulateReportTest, ReplayHasThreeTimeChartsWithALinePerRun) {
  const std::string html = Render(ReplayResult());
  EXPECT_NE(html.find("<b>replay</b>"), std::string::npos);
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), 3u);
  for (std::string_view name :
       {"allocation-over-time", "pending-over-time", "wait-p50-over-time"}) {
    const std::string chart = Chart(html, name);
    ASSERT_FALSE(chart.empty()) << name;
    EXPECT_EQ(Count(chart, Series("fgd")), 2u) << name;  // one per seed
    EXPECT_EQ(Count(chart, Series("best-fit")), 2u) << name;
    EXPECT_NE(chart.find("Simulated time (h)"), std::string::npos) << name;
  }
  // The waits are shown in the unit that suits them: 600 s is 10 minutes.
  EXPECT_NE(html.find("<td>10.0 ± 0.3 min</td>"), std::string::npos);
  EXPECT_FALSE(HasNonFinite(html));
  ExpectSelfContained(html);
}

TEST(SimulateReportTest, EscapesNamesFromTheInput) {
  sim::SimResult result = FillResult();
  const std::string policy = "fgd<script>alert('x')</script>&\"";
  result.workload = "pods <b>&</b>";
  for (sim::Run& r : result.runs) {
    if (r.policy == "fgd") r.policy = policy;
  }
  result.summary[0].policy = policy;
  const std::string html = Render(result);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>&</b>"), std::string::npos);
  EXPECT_NE(html.find("pods &lt;b&gt;&amp;&lt;/b&gt;"), std::string::npos);
  const std::string escaped = "fgd&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;";
  EXPECT_EQ(Count(Chart(html, "allocation"), Series(escaped)), 1u);
}

TEST(SimulateReportTest, EmptyResultStillWritesEveryChart) {
  sim::SimResult result;
  const std::string html = Render(result);
  EXPECT_EQ(Count(html, "<svg class=\"chart\""), 3u);
  EXPECT_NE(html.find("no samples"), std::string::npos);
  EXPECT_FALSE(HasNonFinite(html));
  result.experiment = sim::Experiment::kReplay;
  EXPECT_EQ(Count(Render(result), "<svg class=\"chart\""), 3u);
}

// Rendering in headless Chromium.

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Where pages and screenshots go: TESSERA_REPORT_DIR if set (kept), else a scratch folder
// removed when the test ends.
class OutputDir {
 public:
  OutputDir() {
    if (const char* keep = std::getenv("TESSERA_REPORT_DIR"); keep != nullptr && *keep) {
      path_ = keep;
      fs::create_directories(path_);
      return;
    }
    std::string pattern = (fs::temp_directory_path() / "tessera_report.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
    remove_ = true;
  }
  ~OutputDir() {
    std::error_code ec;
    if (remove_) fs::remove_all(path_, ec);
  }
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool remove_ = false;
};

// Runs headless Chromium on `page` with `args`, at most 60 s, stdout to `stdout_path`.
// Returns the exit status, or -1.
int RunChromium(const fs::path& dir, const fs::path& page, const std::string& args,
                const fs::path& stdout_path) {
  static int run = 0;
  const fs::path profile = dir / ("chromium-profile-" + std::to_string(run++));
  const std::string command =
      "timeout -k 5 60 " + std::string(kChromium) +
      " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
      " --disable-extensions --disable-background-networking --disable-component-update"
      " --hide-scrollbars --user-data-dir='" +
      profile.string() + "' " + args + " 'file://" + page.string() + "' >'" + stdout_path.string() +
      "' 2>'" + (dir / "chromium.stderr").string() + "'";
  const int status = std::system(command.c_str());
  std::error_code ec;
  fs::remove_all(profile, ec);
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void CheckRendered(const sim::SimResult& result, std::string_view name,
                   std::initializer_list<std::string_view> charts) {
  if (!fs::exists(kChromium)) {
    GTEST_SKIP() << kChromium << " not found; install Debian's chromium "
                 << "(scripts/install-deps.sh) to render the report";
  }
  const OutputDir dir;
  const fs::path page = fs::absolute(dir.path() / (std::string(name) + ".html"));
  {
    std::ofstream out(page, std::ios::binary);
    cli::WriteHtmlReport(result, out);
    ASSERT_TRUE(out.good()) << "cannot write " << page;
  }

  const fs::path dom_path = dir.path() / (std::string(name) + ".dom.html");
  ASSERT_EQ(RunChromium(dir.path(), page, "--dump-dom", dom_path), 0)
      << ReadFile(dir.path() / "chromium.stderr");
  const std::string dom = ReadFile(dom_path);
  EXPECT_EQ(Count(dom, "<svg class=\"chart\""), charts.size()) << dom.substr(0, 2000);
  for (std::string_view chart : charts) {
    const std::string svg = Chart(dom, chart);
    EXPECT_FALSE(svg.empty()) << chart;
    // Lines are path.series; the bar chart's bars carry data-policy too.
    EXPECT_NE(svg.find("data-policy=\"fgd\""), std::string::npos) << chart;
    EXPECT_NE(svg.find("data-policy=\"best-fit\""), std::string::npos) << chart;
  }

  const fs::path png = fs::absolute(dir.path() / (std::string(name) + ".png"));
  ASSERT_EQ(
      RunChromium(dir.path(), page, "--window-size=1000,2000 --screenshot='" + png.string() + "'",
                  dir.path() / "screenshot.stdout"),
      0)
      << ReadFile(dir.path() / "chromium.stderr");
  ASSERT_TRUE(fs::exists(png));
  const std::string bytes = ReadFile(png);
  EXPECT_EQ(bytes.substr(0, 8), "\x89PNG\r\n\x1a\n");
  // A blank 1000 x 2000 page compresses to a few KB; three charts with text do not.
  EXPECT_GT(bytes.size(), 40'000u) << png;
}

TEST(SimulateReportTest, FillRendersInChromium) {
  CheckRendered(FillResult(), "fill", {"allocation", "unallocated-at-100", "fragmentation"});
}

TEST(SimulateReportTest, ReplayRendersInChromium) {
  CheckRendered(ReplayResult(), "replay",
                {"allocation-over-time", "pending-over-time", "wait-p50-over-time"});
}

}  // namespace
}  // namespace tessera
