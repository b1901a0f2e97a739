#include "simulate.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "exit_status.h"
#include "io/manifests.h"
#include "io/trace.h"
#include "sim/backfill_experiment.h"
#include "sim/policies.h"
#include "sim/scenario.h"
#include "sim/simulator.h"
#include "simulate_report.h"

namespace tessera::cli {
namespace {

constexpr const char* kDefaultPolicies = "whole-gpu,least-allocated,fgd,tessera";
constexpr const char* kDefaultGangPolicies = "fifo,greedy,backfill";
constexpr const char* kBuiltinReport = "tessera-simulate.html";

// "42-51", "42,43" or a mix ("1,5-7"). Errors name the bad part.
tessera::Result<std::vector<uint64_t>> ParseSeeds(const std::string& text) {
  std::vector<uint64_t> seeds;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    const size_t dash = part.find('-', 1);
    try {
      size_t used = 0;
      if (dash == std::string::npos) {
        const uint64_t v = std::stoull(part, &used);
        if (used != part.size() || part.starts_with('-')) throw std::invalid_argument(part);
        seeds.push_back(v);
      } else {
        const std::string a = part.substr(0, dash), b = part.substr(dash + 1);
        size_t used_b = 0;
        const uint64_t lo = std::stoull(a, &used), hi = std::stoull(b, &used_b);
        if (used != a.size() || used_b != b.size() || lo > hi || a.starts_with('-') ||
            b.starts_with('-')) {
          throw std::invalid_argument(part);
        }
        if (hi - lo >= 10'000) {
          return Error(ErrorCode::kInvalidArgument,
                       fmt::format("--seeds: range \"{}\" has more than 10000 seeds", part));
        }
        for (uint64_t s = lo; s <= hi; ++s) seeds.push_back(s);
      }
    } catch (const std::logic_error&) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("--seeds: \"{}\" is not a seed or a range like 42-51", part));
    }
    start = end + 1;
  }
  return seeds;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

nlohmann::json StatJson(const sim::Stat& s) { return {{"mean", s.mean}, {"sd", s.sd}}; }

nlohmann::json Curve(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x));
  return a;
}

// --- tenant replay (a scenario with queues) -----------------------------------------------

constexpr const char* kQueueUnits[] = {"cores", "GiB", "GPUs"};

std::string UnitOf(const std::string& resource) {
  return resource == "cpu"      ? kQueueUnits[0]
         : resource == "memory" ? kQueueUnits[1]
                                : kQueueUnits[2];
}

// A per-resource object {"cpu": x, ...}.
template <typename T, typename F>
nlohmann::json PerResource(const std::vector<std::string>& resources, const std::vector<T>& v,
                           F value) {
  nlohmann::json o = nlohmann::json::object();
  for (size_t i = 0; i < resources.size() && i < v.size(); ++i) o[resources[i]] = value(v[i]);
  return o;
}

// The `queues` section (docs/simulate.md): per policy, per queue the summary over seeds and,
// per run, the queues' timelines and the fairness index.
nlohmann::json QueuesJson(const sim::SimResult& r) {
  const std::vector<std::string>& res = r.queue_resources;
  nlohmann::json units = nlohmann::json::object();
  for (const std::string& name : res) units[name] = UnitOf(name);
  nlohmann::json j = {{"resources", res}, {"units", units}};
  nlohmann::json summary = nlohmann::json::array();
  for (const sim::PolicySummary& s : r.summary) {
    nlohmann::json queues = nlohmann::json::array();
    for (const sim::PolicySummary::Queue& q : s.queues) {
      auto stat = [](const sim::Stat& st) { return StatJson(st); };
      queues.push_back({{"queue", q.name},
                        {"admissions", StatJson(q.admissions)},
                        {"borrowing_admissions", StatJson(q.borrowing_admissions)},
                        {"preemptions", StatJson(q.preemptions)},
                        {"never_started", StatJson(q.never_started)},
                        {"wait_p50_s", StatJson(q.wait_p50_s)},
                        {"wait_p99_s", StatJson(q.wait_p99_s)},
                        {"used_mean", PerResource(res, q.used_mean, stat)},
                        {"borrowed_mean", PerResource(res, q.borrowed_mean, stat)},
                        {"weighted_share_mean", StatJson(q.weighted_share_mean)}});
    }
    summary.push_back({{"policy", s.policy},
                       {"fairness_index_mean", StatJson(s.fairness_mean)},
                       {"preemptions", StatJson(s.preemptions)},
                       {"queues", std::move(queues)}});
  }
  j["summary"] = std::move(summary);
  nlohmann::json runs = nlohmann::json::array();
  for (const sim::Run& run : r.runs) {
    auto plain = [](double x) { return x; };
    nlohmann::json queues = nlohmann::json::array();
    for (const sim::QueueRun& q : run.queues) {
      nlohmann::json rows = nlohmann::json::array();
      for (const sim::QueuePoint& p : q.timeline) {
        nlohmann::json row = {p.time_s, p.pending, p.running};
        for (double u : p.used) row.push_back(u);
        for (double b : p.borrowed) row.push_back(b);
        row.push_back(p.weighted_share);
        rows.push_back(std::move(row));
      }
      nlohmann::json limits = nlohmann::json::object();
      for (size_t i = 0; i < res.size() && i < q.borrowing_limit.size(); ++i) {
        limits[res[i]] = q.borrowing_limit[i] < 0 ? nlohmann::json(nullptr)
                                                  : nlohmann::json(q.borrowing_limit[i]);
      }
      queues.push_back(
          {{"queue", q.name},
           {"cohort", q.cohort.empty() ? nlohmann::json(nullptr) : nlohmann::json(q.cohort)},
           {"weight", q.weight},
           {"nominal", PerResource(res, q.nominal, plain)},
           {"borrowing_limit", std::move(limits)},
           {"tasks", q.tasks},
           {"admissions", q.admissions},
           {"borrowing_admissions", q.borrowing_admissions},
           {"preemptions", q.preemptions},
           {"never_started", q.never_started},
           {"wait_p50_s", q.wait_p50_s},
           {"wait_p99_s", q.wait_p99_s},
           {"used_mean", PerResource(res, q.used_mean, plain)},
           {"borrowed_mean", PerResource(res, q.borrowed_mean, plain)},
           {"weighted_share_mean", q.weighted_share_mean},
           {"timeline", {{"rows", std::move(rows)}}}});
    }
    nlohmann::json columns = {"time_s", "pending", "running"};
    for (const std::string& name : res) columns.push_back("used_" + name);
    for (const std::string& name : res) columns.push_back("borrowed_" + name);
    columns.push_back("weighted_share");
    nlohmann::json fairness = nlohmann::json::array();
    for (const sim::FairnessPoint& p : run.fairness) {
      fairness.push_back({p.time_s, p.queues_with_demand, p.index});
    }
    runs.push_back({{"policy", run.policy},
                    {"seed", run.seed},
                    {"cycles", run.cycles},
                    {"admissions", run.admissions},
                    {"preemptions", run.preemptions},
                    {"fairness_index_mean", run.fairness_mean},
                    {"timeline_columns", std::move(columns)},
                    {"queues", std::move(queues)},
                    {"fairness",
                     {{"columns", {"time_s", "queues_with_demand", "jain_index"}},
                      {"rows", std::move(fairness)}}}});
  }
  j["runs"] = std::move(runs);
  return j;
}

void WriteJson(const sim::SimResult& r, const std::vector<uint64_t>& seeds, bool checked,
               std::ostream& out) {
  const bool fill = r.experiment == sim::Experiment::kFill;
  nlohmann::json j = {{"experiment", fill ? "fill" : "replay"},
                      {"workload", r.workload},
                      {"cluster", {{"nodes", r.nodes}, {"gpus", r.gpus}}},
                      {"tune", r.tune},
                      {"seeds", seeds},
                      {"checked", checked}};
  nlohmann::json summary = nlohmann::json::array();
  for (const sim::PolicySummary& s : r.summary) {
    nlohmann::json p = {{"policy", s.policy},
                        {"seeds", s.seeds},
                        {"allocated_gpu_pct_final", StatJson(s.allocated_gpu_pct_final)},
                        {"failed_tasks", StatJson(s.failed)}};
    if (fill) {
      nlohmann::json un = nlohmann::json::object(), fr = nlohmann::json::object();
      for (const auto& [pct, st] : s.unallocated_gpu_pct_at_arrived)
        un[std::to_string(pct)] = StatJson(st);
      for (const auto& [pct, st] : s.fragmented_gpu_pct_at_arrived)
        fr[std::to_string(pct)] = StatJson(st);
      p["unallocated_gpu_pct_at_arrived"] = un;
      p["fragmented_gpu_pct_at_arrived"] = fr;
    } else {
      p["wait_p50_s"] = StatJson(s.wait_p50_s);
      p["wait_p99_s"] = StatJson(s.wait_p99_s);
      p["wait_max_s"] = StatJson(s.wait_max_s);
    }
    summary.push_back(std::move(p));
  }
  j["summary"] = std::move(summary);
  if (fill && !r.packing_floor.empty()) {
    nlohmann::json per_seed = nlohmann::json::array();
    for (const sim::SimResult::SeedFloor& f : r.packing_floor) {
      per_seed.push_back({{"seed", f.seed},
                          {"any_run_pct", f.any_run_pct},
                          {"every_share_placed_pct", f.every_share_placed_pct},
                          {"best_fit_decreasing_pct", f.best_fit_decreasing_pct}});
    }
    j["packing_floor"] = {
        {"unallocated_gpu_pct_at_arrived_100", StatJson(r.packing_floor_pct)},
        {"every_share_placed_pct_at_arrived_100", StatJson(r.packing_floor_every_share_pct)},
        {"best_fit_decreasing_pct_at_arrived_100", StatJson(r.packing_floor_bfd_pct)},
        {"seeds", std::move(per_seed)}};
  }
  if (!r.queue_resources.empty()) j["queues"] = QueuesJson(r);
  nlohmann::json runs = nlohmann::json::array();
  for (const sim::Run& run : r.runs) {
    nlohmann::json o = {{"policy", run.policy},
                        {"seed", run.seed},
                        {"tasks", run.tasks},
                        {"decisions", run.decisions},
                        {"failed_tasks", run.failed},
                        {"allocated_gpu_pct_final", run.allocated_gpu_pct_final},
                        {"wall_seconds", run.wall_seconds}};
    if (fill) {
      o["allocated_gpu_pct"] = Curve(run.allocated_gpu_pct);
      o["fragmented_gpu_pct"] = Curve(run.fragmented_gpu_pct);
      if (run.same_node_as_reference >= 0) {
        o["same_node_as_reference"] = run.same_node_as_reference;
        o["reference_compared"] = run.reference_compared;
      }
    } else {
      o["wait_p50_s"] = run.wait_p50_s;
      o["wait_p99_s"] = run.wait_p99_s;
      o["wait_max_s"] = run.wait_max_s;
      nlohmann::json tl = nlohmann::json::array();
      for (const sim::TimePoint& p : run.timeline) {
        tl.push_back({p.time_s, p.allocated_gpu_pct, p.pending, p.running});
      }
      o["timeline"] = {{"columns", {"time_s", "allocated_gpu_pct", "pending", "running"}},
                       {"rows", std::move(tl)}};
    }
    runs.push_back(std::move(o));
  }
  j["runs"] = std::move(runs);
  out << j.dump(2) << '\n';
}

std::string MeanSd(const sim::Stat& s, int decimals = 2) {
  return fmt::format("{:.{}f} ± {:.{}f}", s.mean, decimals, s.sd, decimals);
}

const sim::Stat* At(const std::vector<std::pair<int, sim::Stat>>& v, int pct) {
  for (const auto& [p, s] : v) {
    if (p == pct) return &s;
  }
  return nullptr;
}

// Prints rows as aligned columns, three spaces apart; the first row is the header.
void PrintRows(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<size_t> width(rows[0].size(), 0);
  auto display = [](const std::string& s) {  // "±" is two bytes, one column
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
    return n;
  };
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], display(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i] + std::string(width[i] - display(row[i]) + (i + 1 < row.size() ? 3 : 0), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }
}

void WriteQueuesTable(const sim::SimResult& r, std::ostream& out);

void WriteTable(const sim::SimResult& r, size_t num_seeds, std::ostream& out) {
  const bool fill = r.experiment == sim::Experiment::kFill;
  out << fmt::format("{} on {} ({} nodes, {} GPUs), {} seed{}{}\n", fill ? "fill" : "replay",
                     r.workload, r.nodes, r.gpus, num_seeds, num_seeds == 1 ? "" : "s",
                     fill ? fmt::format(", tune {}", r.tune) : "");
  std::vector<std::vector<std::string>> rows;
  if (fill) {
    rows.push_back({"POLICY", "UNALLOCATED GPU % @100", "FRAGMENTED GPU % @100",
                    "ALLOCATED % FINAL", "FAILED TASKS"});
  } else {
    rows.push_back(
        {"POLICY", "ALLOCATED % MEAN", "WAIT P50 s", "WAIT P99 s", "WAIT MAX s", "NEVER STARTED"});
  }
  for (const sim::PolicySummary& s : r.summary) {
    if (fill) {
      const sim::Stat* un = At(s.unallocated_gpu_pct_at_arrived, 100);
      const sim::Stat* fr = At(s.fragmented_gpu_pct_at_arrived, 100);
      rows.push_back({s.policy, un ? MeanSd(*un) : "n/a", fr ? MeanSd(*fr) : "n/a",
                      MeanSd(s.allocated_gpu_pct_final), MeanSd(s.failed, 1)});
    } else {
      rows.push_back({s.policy, MeanSd(s.allocated_gpu_pct_final), MeanSd(s.wait_p50_s, 0),
                      MeanSd(s.wait_p99_s, 0), MeanSd(s.wait_max_s, 0), MeanSd(s.failed, 1)});
    }
  }
  PrintRows(rows, out);
  if (fill && !r.packing_floor.empty()) {
    const sim::Stat& every = r.packing_floor_every_share_pct;
    out << fmt::format(
        "packing floor @100: {}, the least unallocated GPU % of any run (GPU shares alone);\n"
        "  {}\n",
        MeanSd(r.packing_floor_pct),
        std::isnan(every.mean)
            ? std::string("no run can place every share: they need more GPUs than there are")
            : fmt::format("{} for a run that places every share; offline best-fit decreasing {}",
                          MeanSd(every), MeanSd(r.packing_floor_bfd_pct)));
  }
  if (!r.queue_resources.empty()) WriteQueuesTable(r, out);
}

// The per-queue section of the replay table: per policy and ClusterQueue, means over seeds.
void WriteQueuesTable(const sim::SimResult& r, std::ostream& out) {
  const std::vector<std::string>& res = r.queue_resources;
  // GPU first when the queues cover it: that is what tenants share.
  size_t key = 0;
  for (size_t i = 0; i < res.size(); ++i) {
    if (res[i] == "gpu") key = i;
  }
  const std::string unit = UnitOf(res[key]);
  out << fmt::format("\nqueues (means over seeds; {} in {}; share = weighted dominant share):\n",
                     res[key], unit);
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"POLICY", "QUEUE", "COHORT", "NOMINAL", "USED MEAN", "BORROWED MEAN",
                  "SHARE MEAN", "ADMITTED", "PREEMPTED", "WAIT P50 s", "WAIT P99 s",
                  "NEVER STARTED"});
  const sim::Run* first = r.runs.empty() ? nullptr : &r.runs.front();
  for (const sim::PolicySummary& s : r.summary) {
    for (size_t q = 0; q < s.queues.size(); ++q) {
      const sim::PolicySummary::Queue& x = s.queues[q];
      const sim::QueueRun* info =
          first != nullptr && q < first->queues.size() ? &first->queues[q] : nullptr;
      rows.push_back(
          {s.policy, x.name, info && !info->cohort.empty() ? info->cohort : "-",
           info ? fmt::format("{:g}", info->nominal[key]) : "?",
           fmt::format("{:.2f}", x.used_mean[key].mean),
           fmt::format("{:.2f}", x.borrowed_mean[key].mean),
           fmt::format("{:.3f}", x.weighted_share_mean.mean),
           fmt::format("{:.1f}", x.admissions.mean), fmt::format("{:.1f}", x.preemptions.mean),
           fmt::format("{:.0f}", x.wait_p50_s.mean), fmt::format("{:.0f}", x.wait_p99_s.mean),
           fmt::format("{:.1f}", x.never_started.mean)});
    }
  }
  PrintRows(rows, out);
  out << "fairness (Jain's index on weighted dominant share, time-weighted mean):";
  for (const sim::PolicySummary& s : r.summary) {
    out << fmt::format(" {} {}", s.policy, MeanSd(s.fairness_mean, 3));
    if (&s != &r.summary.back()) out << ',';
  }
  out << '\n';
}

std::string Stem(const std::string& path) { return std::filesystem::path(path).stem().string(); }

// --- --experiment backfill ---------------------------------------------------------------

nlohmann::json WaitJson(const sim::WaitStats& w) {
  return {{"jobs", w.jobs},
          {"mean_s", w.mean_s},
          {"p50_s", w.p50_s},
          {"p99_s", w.p99_s},
          {"max_s", w.max_s}};
}

// Kueue's spelling of requeuingStrategy.timestamp.
std::string_view RequeuingTimestampName(sim::RequeuingTimestamp timestamp) {
  return timestamp == sim::RequeuingTimestamp::kCreation ? "Creation" : "Eviction";
}

// The waitForPodsReady settings beyond the timeout and backoffLimitCount, for the lifecycle
// table's header: only those that differ from Kueue's defaults (backoff 60 s to 3600 s,
// timestamp Eviction, no recoveryTimeout), e.g. ", requeue backoff 10-25 s, timestamp
// Creation, recoveryTimeout 120 s".
std::string RequeuingHeader(const sim::BackfillResult& r) {
  std::string out;
  if (r.requeue_backoff_base_s != 60 || r.requeue_backoff_max_s != 3600) {
    out +=
        fmt::format(", requeue backoff {}-{} s", r.requeue_backoff_base_s, r.requeue_backoff_max_s);
  }
  if (r.requeue_timestamp != sim::RequeuingTimestamp::kEviction) {
    out += fmt::format(", timestamp {}", RequeuingTimestampName(r.requeue_timestamp));
  }
  if (r.recovery_timeout_s >= 0) out += fmt::format(", recoveryTimeout {} s", r.recovery_timeout_s);
  return out;
}

void WriteBackfillJson(const sim::BackfillResult& r, const std::vector<uint64_t>& seeds,
                       bool checked, std::ostream& out) {
  nlohmann::json j = {{"experiment", "backfill"},
                      {"workload", r.workload},
                      {"cluster", {{"nodes", r.nodes}, {"gpus", r.gpus}}},
                      {"seeds", seeds},
                      {"reservation_depth", r.reservation_depth},
                      {"checked", checked}};
  if (r.lifecycle) {
    j["lifecycle"] = {
        {"pod_failure_rate", r.pod_failure_probability},
        {"node_mtbf_hours", r.node_mtbf_hours},
        {"max_restarts", r.max_restarts},
        {"jobset_shape", std::string(sim::JobSetShapeName(r.jobset_shape))},
        {"wait_for_pods_ready_s", r.wait_for_pods_ready_s},
        {"backoff_limit_count", r.backoff_limit_count < 0 ? nlohmann::json(nullptr)
                                                          : nlohmann::json(r.backoff_limit_count)},
        {"pod_startup_max_s", r.pod_startup_max_s},
        {"block_admission", r.block_admission},
        {"requeue_backoff_base_s", r.requeue_backoff_base_s},
        {"requeue_backoff_max_s", r.requeue_backoff_max_s},
        {"requeue_timestamp", std::string(RequeuingTimestampName(r.requeue_timestamp))},
        {"recovery_timeout_s",
         r.recovery_timeout_s < 0 ? nlohmann::json(nullptr) : nlohmann::json(r.recovery_timeout_s)},
        {"jobsets", r.jobsets}};
  }
  nlohmann::json summary = nlohmann::json::array();
  for (const sim::BackfillSummary& s : r.summary) {
    summary.push_back({{"policy", s.policy},
                       {"seeds", s.seeds},
                       {"big_gang_wait_p50_s", StatJson(s.big_p50_s)},
                       {"big_gang_wait_p99_s", StatJson(s.big_p99_s)},
                       {"big_gang_wait_max_s", StatJson(s.big_max_s)},
                       {"big_gang_wait_mean_s", StatJson(s.big_mean_s)},
                       {"small_job_wait_p50_s", StatJson(s.small_p50_s)},
                       {"small_job_wait_p99_s", StatJson(s.small_p99_s)},
                       {"small_job_wait_mean_s", StatJson(s.small_mean_s)},
                       {"gpu_utilisation_pct", StatJson(s.gpu_utilisation_pct)},
                       {"gpu_utilisation_arriving_pct", StatJson(s.gpu_utilisation_arriving_pct)},
                       {"makespan_s", StatJson(s.makespan_s)}});
    if (r.lifecycle) {
      summary.back()["big_gang_ready_wait_p50_s"] = StatJson(s.big_ready_p50_s);
      summary.back()["big_gang_ready_seeds"] = s.big_ready_seeds;
    }
  }
  j["summary"] = std::move(summary);
  nlohmann::json runs = nlohmann::json::array();
  for (const sim::BackfillRun& run : r.runs) {
    nlohmann::json events = nlohmann::json::object();
    for (int k = 0; k < sim::kGangEventKinds; ++k) {
      events[std::string(sim::GangEventKindName(static_cast<sim::GangEventKind>(k)))] =
          run.event_counts[static_cast<size_t>(k)];
    }
    runs.push_back({{"policy", run.policy},
                    {"seed", run.seed},
                    {"jobs", run.jobs},
                    {"big_gangs", run.big_gangs},
                    {"completed", run.completed},
                    {"big_gang_wait", WaitJson(run.big)},
                    {"small_job_wait", WaitJson(run.small)},
                    {"gpu_utilisation_pct", run.gpu_utilisation_pct},
                    {"gpu_utilisation_arriving_pct", run.gpu_utilisation_arriving_pct},
                    {"makespan_s", run.makespan_s},
                    {"events", std::move(events)},
                    {"passes", run.passes},
                    {"engine_calls", run.engine_calls},
                    {"head_reservations_broken", run.head_reservations_broken},
                    {"wall_seconds", run.wall_seconds}});
    if (r.lifecycle) {
      nlohmann::json counts = nlohmann::json::object();
      for (int k = 0; k < sim::kEventKindCount; ++k) {
        counts[std::string(sim::EventKindName(static_cast<sim::EventKind>(k)))] =
            run.lifecycle_counts[static_cast<size_t>(k)];
      }
      runs.back()["lifecycle"] = {{"failed", run.failed},
                                  {"pod_failures", run.pod_failures},
                                  {"node_failures", run.node_failures},
                                  {"node_failures_hit", run.node_failures_hit},
                                  {"replacements", run.replacements},
                                  {"evictions", run.evictions},
                                  {"deactivated", run.deactivated},
                                  {"stuck", run.stuck},
                                  {"admissions_held", run.admissions_held},
                                  {"big_gang_ready_wait", WaitJson(run.big_ready)},
                                  {"events", std::move(counts)}};
    }
  }
  j["runs"] = std::move(runs);
  out << j.dump(2) << '\n';
}

void WriteBackfillTable(const sim::BackfillResult& r, size_t num_seeds, std::ostream& out) {
  int64_t jobs = 0, gangs = 0;
  for (const sim::BackfillRun& run : r.runs) {
    jobs += run.jobs;
    gangs += run.big_gangs;
  }
  const double runs = static_cast<double>(std::max<size_t>(r.runs.size(), 1));
  out << fmt::format(
      "backfill on {} ({} nodes, {} GPUs; {:.0f} jobs per seed, {:.1f} of them 64-GPU gangs), {} "
      "seed{}, reservation depth {}\n",
      r.workload, r.nodes, r.gpus, static_cast<double>(jobs) / runs,
      static_cast<double>(gangs) / runs, num_seeds, num_seeds == 1 ? "" : "s", r.reservation_depth);
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"POLICY", "GANG WAIT P50 min", "GANG WAIT P99 min", "GANG WAIT MAX min",
                  "SMALL WAIT P50 min", "SMALL WAIT P99 min", "GPU UTIL %", "UTIL % ARRIVING",
                  "MAKESPAN h"});
  auto minutes = [](const sim::Stat& s) { return MeanSd({s.mean / 60, s.sd / 60}, 1); };
  for (const sim::BackfillSummary& s : r.summary) {
    rows.push_back({s.policy, minutes(s.big_p50_s), minutes(s.big_p99_s), minutes(s.big_max_s),
                    minutes(s.small_p50_s), minutes(s.small_p99_s),
                    MeanSd(s.gpu_utilisation_pct, 1), MeanSd(s.gpu_utilisation_arriving_pct, 1),
                    MeanSd({s.makespan_s.mean / 3600, s.makespan_s.sd / 3600}, 2)});
  }
  PrintRows(rows, out);
  if (!r.lifecycle) return;
  // The lifecycle's transitions, summed over each policy's seeds.
  out << fmt::format(
      "\nfailures (pod failure rate {}, node MTBF {} h, maxRestarts {}), summed over seeds:\n",
      r.pod_failure_probability, r.node_mtbf_hours, r.max_restarts);
  std::vector<std::vector<std::string>> lc_rows;
  lc_rows.push_back({"POLICY", "POD FAILURES", "NODE FAILURES (HIT)", "JOBSET RESTARTS",
                     "RE-PLACEMENTS", "COMPLETED", "FAILED", "PODS FAILED", "PODS SUCCEEDED"});
  auto count = [](const sim::BackfillRun& run, sim::EventKind k) {
    return run.lifecycle_counts[static_cast<size_t>(k)];
  };
  for (const sim::BackfillSummary& s : r.summary) {
    int64_t pod_failures = 0, node_failures = 0, hit = 0, restarts = 0, replaced = 0;
    int64_t completed = 0, failed = 0, pods_failed = 0, pods_succeeded = 0;
    for (const sim::BackfillRun& run : r.runs) {
      if (run.policy != s.policy) continue;
      pod_failures += run.pod_failures;
      node_failures += run.node_failures;
      hit += run.node_failures_hit;
      restarts += count(run, sim::EventKind::kJobSetRestarted);
      replaced += run.replacements;
      completed += count(run, sim::EventKind::kJobSetCompleted);
      failed += count(run, sim::EventKind::kJobSetFailed);
      pods_failed += count(run, sim::EventKind::kPodFailed);
      pods_succeeded += count(run, sim::EventKind::kPodSucceeded);
    }
    lc_rows.push_back({s.policy, std::to_string(pod_failures),
                       fmt::format("{} ({})", node_failures, hit), std::to_string(restarts),
                       std::to_string(replaced), std::to_string(completed), std::to_string(failed),
                       std::to_string(pods_failed), std::to_string(pods_succeeded)});
  }
  PrintRows(lc_rows, out);
  if (!r.stages) return;
  // JobSet shapes, start-up delays and waitForPodsReady: how the gangs got going.
  std::string shape(sim::JobSetShapeName(r.jobset_shape));
  if (!r.jobsets.empty()) {
    shape = r.jobsets.size() == 1 ? r.jobsets.front()
                                  : fmt::format("{} JobSets in turn", r.jobsets.size());
  }
  out << fmt::format(
      "\nJobSet lifecycle (big gangs as {}, pod start-up 0-{} s, waitForPodsReady {}{}), summed "
      "over seeds:\n",
      shape, r.pod_startup_max_s,
      r.wait_for_pods_ready_s == 0
          ? std::string("off")
          : fmt::format("{} s, backoffLimitCount {}{}", r.wait_for_pods_ready_s,
                        r.backoff_limit_count < 0 ? std::string("none")
                                                  : std::to_string(r.backoff_limit_count),
                        RequeuingHeader(r)),
      r.block_admission ? ", blockAdmission" : "");
  std::vector<std::vector<std::string>> st_rows;
  st_rows.push_back({"POLICY", "PLACEMENTS", "JOB RESTARTS", "EVICTED", "DEACTIVATED", "STUCK",
                     "GANGS READY", "GANG READY WAIT P50 min"});
  if (r.block_admission) st_rows.back().push_back("ADMISSION BLOCKS (HELD)");
  for (const sim::BackfillSummary& s : r.summary) {
    int64_t placements = 0, job_restarts = 0, evicted = 0, deactivated = 0, stuck = 0;
    int64_t big = 0, ready = 0, blocks = 0, held = 0;
    for (const sim::BackfillRun& run : r.runs) {
      if (run.policy != s.policy) continue;
      blocks += run.event_counts[static_cast<size_t>(sim::GangEventKind::kAdmissionBlocked)];
      held += run.admissions_held;
      placements += run.event_counts[static_cast<size_t>(sim::GangEventKind::kStart)];
      job_restarts += count(run, sim::EventKind::kJobRestarted);
      evicted += count(run, sim::EventKind::kEvicted);
      deactivated += count(run, sim::EventKind::kDeactivated);
      stuck += run.stuck;
      big += run.big_gangs;
      ready += run.big_ready.jobs;
    }
    st_rows.push_back({s.policy, std::to_string(placements), std::to_string(job_restarts),
                       std::to_string(evicted), std::to_string(deactivated), std::to_string(stuck),
                       fmt::format("{} of {}", ready, big),
                       s.big_ready_seeds == 0
                           ? std::string("n/a")
                           : MeanSd({s.big_ready_p50_s.mean / 60, s.big_ready_p50_s.sd / 60}, 1)});
    if (r.block_admission) st_rows.back().push_back(fmt::format("{} ({})", blocks, held));
  }
  PrintRows(st_rows, out);
}

// A progress bar on stderr once a run has taken a second, when stderr is a terminal.
sim::Progress ProgressBar(const sim::WallClock& clock, std::ostream& err, std::string& last_bar) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  return [tty, clock, &err, &last_bar](double fraction) {
    if (!tty) return;
    const double elapsed = clock();
    if (elapsed < 1.0 && fraction < 1.0) return;
    const int filled = static_cast<int>(fraction * 30);
    std::string bar =
        fmt::format("\r[{}{}] {:3.0f}%  {:.1f}s", std::string(static_cast<size_t>(filled), '#'),
                    std::string(static_cast<size_t>(30 - filled), '.'), fraction * 100, elapsed);
    if (bar != last_bar) {
      err << bar << std::flush;
      last_bar = bar;
    }
  };
}

int RunBackfill(const SimulateFlags& flags, const sim::WallClock& clock, std::ostream& out,
                std::ostream& err) {
  if (!flags.nodes.empty() || !flags.scenario.empty() || !flags.arrivals.empty()) {
    err << "error: --experiment backfill runs its built-in gang scenario; --nodes, --pods, "
           "--scenario and --arrivals do not apply\n";
    return kExitUsage;
  }
  if (!flags.report.empty()) {
    err << "error: --report: the backfill experiment has no HTML report; use -o json\n";
    return kExitUsage;
  }
  sim::BackfillConfig config;
  auto seeds = ParseSeeds(flags.seeds);
  if (!seeds.ok()) {
    err << "error: " << seeds.error().message() << '\n';
    return kExitUsage;
  }
  config.seeds = *seeds;
  config.policies = SplitList(flags.policies.empty() ? kDefaultGangPolicies : flags.policies);
  for (const std::string& p : config.policies) {
    if (auto policy = sim::ParseGangPolicy(p); !policy.ok()) {
      err << "error: --policies: " << policy.error().message() << '\n';
      return kExitUsage;
    }
  }
  if (flags.reservation_depth < 1) {
    err << "error: --reservations: must be at least 1\n";
    return kExitUsage;
  }
  config.reservation_depth = flags.reservation_depth;
  config.check = flags.check;
  if (!(flags.pod_failure_rate >= 0 && flags.pod_failure_rate <= 1)) {
    err << "error: --pod-failure-rate: must be in [0, 1]\n";
    return kExitUsage;
  }
  if (!(flags.node_mtbf_hours >= 0) || !std::isfinite(flags.node_mtbf_hours)) {
    err << "error: --node-mtbf-hours: must be >= 0 (0: no node failures)\n";
    return kExitUsage;
  }
  if (flags.max_restarts < 0) {
    err << "error: --max-restarts: must be >= 0\n";
    return kExitUsage;
  }
  auto shape = sim::ParseJobSetShape(flags.jobset_shape);
  if (!shape.ok()) {
    err << "error: --jobset-shape: " << shape.error().message() << '\n';
    return kExitUsage;
  }
  config.jobset_shape = *shape;
  if (flags.backoff_limit_count != -1 && flags.wait_for_pods_ready_seconds == 0) {
    err << "error: --backoff-limit-count needs --wait-for-pods-ready-seconds\n";
    return kExitUsage;
  }
  config.wait_for_pods_ready_s = flags.wait_for_pods_ready_seconds;
  config.backoff_limit_count = flags.backoff_limit_count;
  config.pod_startup_max_s = flags.pod_startup_seconds;
  if (flags.block_admission && flags.wait_for_pods_ready_seconds == 0) {
    err << "error: --block-admission needs --wait-for-pods-ready-seconds\n";
    return kExitUsage;
  }
  config.block_admission = flags.block_admission;
  // requeuingStrategy and recoveryTimeout, checked as the backoffLimitCount above. Kueue takes
  // any base and max >= 0 (int32) and caps each delay at max; a max below the base would make
  // every delay the max, so we refuse it as a likely slip (give both equal for a fixed delay).
  const bool backoff_given =
      flags.requeue_backoff_base_seconds != 60 || flags.requeue_backoff_max_seconds != 3600;
  if (backoff_given && flags.wait_for_pods_ready_seconds == 0) {
    err << "error: --requeue-backoff-base-seconds and --requeue-backoff-max-seconds need "
           "--wait-for-pods-ready-seconds\n";
    return kExitUsage;
  }
  if (flags.requeue_backoff_max_seconds < flags.requeue_backoff_base_seconds) {
    err << "error: --requeue-backoff-max-seconds (" << flags.requeue_backoff_max_seconds
        << ") must be >= --requeue-backoff-base-seconds (" << flags.requeue_backoff_base_seconds
        << ")\n";
    return kExitUsage;
  }
  if (flags.requeue_timestamp != "eviction" && flags.wait_for_pods_ready_seconds == 0) {
    err << "error: --requeue-timestamp needs --wait-for-pods-ready-seconds\n";
    return kExitUsage;
  }
  if (flags.recovery_timeout_seconds != -1 && flags.wait_for_pods_ready_seconds == 0) {
    err << "error: --recovery-timeout-seconds needs --wait-for-pods-ready-seconds\n";
    return kExitUsage;
  }
  if (flags.recovery_timeout_seconds == 0) {
    err << "error: --recovery-timeout-seconds: must be >= 1 (leave it out for no recovery "
           "timeout; Kueue's v1beta1 API reads 0s as an immediate timeout, v1beta2 as off)\n";
    return kExitUsage;
  }
  config.requeue_backoff_base_s = flags.requeue_backoff_base_seconds;
  config.requeue_backoff_max_s = flags.requeue_backoff_max_seconds;
  config.requeue_timestamp = flags.requeue_timestamp == "creation"
                                 ? sim::RequeuingTimestamp::kCreation
                                 : sim::RequeuingTimestamp::kEviction;
  config.recovery_timeout_s = flags.recovery_timeout_seconds;
  if (!flags.jobset_files.empty()) {
    if (config.jobset_shape != sim::JobSetShape::kGang) {
      err << "error: --jobset and --jobset-shape both shape the big gangs; give one\n";
      return kExitUsage;
    }
    auto loaded = io::LoadManifests(flags.jobset_files);
    if (!loaded.ok()) {
      err << "error: --jobset: " << loaded.error().ToString() << '\n';
      return kExitInvalidInput;
    }
    std::vector<std::string> warnings = loaded->warnings;
    auto jobsets = sim::BackfillJobSetsFrom(loaded->gangs, loaded->snapshot,
                                            config.scenario.cluster, warnings);
    if (!jobsets.ok()) {
      err << "error: --jobset: " << jobsets.error().ToString() << '\n';
      return kExitInvalidInput;
    }
    if (loaded->snapshot.num_nodes() > 0) {
      warnings.push_back(
          "--jobset: the files' Nodes are not used: the backfill replay runs its own cluster");
    }
    for (const std::string& w : warnings) err << "warning: " << w << '\n';
    config.jobsets = std::move(*jobsets);
  }
  config.pod_failure_probability = flags.pod_failure_rate;
  config.node_mtbf_hours = flags.node_mtbf_hours;
  config.max_restarts = flags.max_restarts;
  const unsigned cores = std::thread::hardware_concurrency();
  config.threads = flags.threads > 0 ? flags.threads : static_cast<int>(std::max(cores, 1u));
  std::string last_bar;
  auto result = sim::RunBackfillExperiment(config, ProgressBar(clock, err, last_bar), clock);
  if (!last_bar.empty()) err << '\n';
  if (!result.ok()) {
    err << "error: " << result.error().ToString() << '\n';
    return kExitInvalidInput;
  }
  if (flags.output == "json") {
    WriteBackfillJson(*result, config.seeds, config.check, out);
    return kExitOk;
  }
  WriteBackfillTable(*result, config.seeds.size(), out);
  out << fmt::format("{} runs in {:.1f}s on {} thread{}\n", result->runs.size(), clock(),
                     config.threads, config.threads == 1 ? "" : "s");
  if (config.check) {
    int64_t starts = 0;
    for (const sim::BackfillRun& run : result->runs) starts += run.checked;
    out << fmt::format(
        "--check: every invariant held after each of {} gang starts, and the fit model agreed "
        "with the engine on every attempt\n",
        starts);
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddSimulateCommand(CLI::App& app, SimulateFlags& flags) {
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Replay a trace or scenario on a modelled GPU cluster and compare placement policies.");
  cmd->add_option(
         "--experiment", flags.experiment,
         "fill: the FGD paper's protocol (arrivals only, inflated to --tune x capacity); "
         "replay: tasks arrive and leave at their trace times, waiting when they do not fit; "
         "backfill: 64-GPU gangs among small jobs under fifo, greedy and backfill with "
         "reservations (built-in scenario, docs/backfill.md)")
      ->check(CLI::IsMember({"fill", "replay", "backfill"}));
  auto* nodes =
      cmd->add_option("--nodes", flags.nodes, "openb node list CSV")->check(CLI::ExistingFile);
  auto* pods =
      cmd->add_option("--pods", flags.pods, "openb pod list CSV")->check(CLI::ExistingFile);
  nodes->needs(pods);
  pods->needs(nodes);
  auto* scenario =
      cmd->add_option("--scenario", flags.scenario, "scenario YAML (docs/scenario-format.md)")
          ->check(CLI::ExistingFile);
  scenario->excludes(nodes)->excludes(pods);
  cmd->add_option(
         "--arrivals", flags.arrivals,
         "fill: replay this explicit arrival order (CSV) instead of shuffling and inflating")
      ->check(CLI::ExistingFile)
      ->needs(nodes);
  std::string policy_help =
      "comma-separated policies (default " + std::string(kDefaultPolicies) + "): ";
  for (std::string_view n : sim::PolicyNames()) {
    policy_help += std::string(n) + (n == sim::PolicyNames().back() ? "" : ", ");
  }
  policy_help += "; backfill experiment (default " + std::string(kDefaultGangPolicies) + "): ";
  for (std::string_view n : sim::GangPolicyNames()) {
    policy_help += std::string(n) + (n == sim::GangPolicyNames().back() ? "" : ", ");
  }
  cmd->add_option("--policies", flags.policies, policy_help);
  cmd->add_option("--seeds", flags.seeds, "seeds, as a range and/or list: 42-51 or 42,43")
      ->capture_default_str();
  cmd->add_option("--tune", flags.tune, "fill: inflate GPU demand to this multiple of capacity")
      ->capture_default_str();
  cmd->add_option("-o,--output", flags.output, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--report", flags.report,
                  "write a self-contained HTML report with charts (the built-in scenario writes " +
                      std::string(kBuiltinReport) + " unless this is given)");
  cmd->add_option("--threads", flags.threads, "worker threads (default: one per core)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--reservations", flags.reservation_depth,
                  "backfill: how many blocked jobs, in queue order, get a reservation each pass")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--pod-failure-rate", flags.pod_failure_rate,
                  "backfill: probability that a pod's run fails (JobSet lifecycle: the gang "
                  "restarts under failurePolicy, up to --max-restarts); 0: off")
      ->capture_default_str();
  cmd->add_option("--node-mtbf-hours", flags.node_mtbf_hours,
                  "backfill: each node's mean time between failures, in hours; a failure fails "
                  "the pods on it; 0: off")
      ->capture_default_str();
  cmd->add_option("--max-restarts", flags.max_restarts,
                  "backfill with failures: the JobSets' failurePolicy.maxRestarts")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--jobset-shape", flags.jobset_shape,
                  "backfill: the 64-GPU gangs as JobSets: gang (one Job of 8 pods) or "
                  "leader-workers (a leader pod, then 7 workers once it is Ready; done when the "
                  "workers are; a failed worker restarts the workers Job only; docs/lifecycle.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"gang", "leader-workers"}));
  cmd->add_option("--pod-startup-seconds", flags.pod_startup_seconds,
                  "backfill: each placed pod becomes Ready after a uniform 0 to this many "
                  "seconds (seeded); 0: at once")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--wait-for-pods-ready-seconds", flags.wait_for_pods_ready_seconds,
                  "backfill: Kueue waitForPodsReady timeout: a workload not PodsReady this long "
                  "after admission is evicted and requeued after a backoff (60 s doubling to "
                  "3600 s by default: --requeue-backoff-*); 0: off")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000000));
  cmd->add_option("--backoff-limit-count", flags.backoff_limit_count,
                  "backfill with --wait-for-pods-ready-seconds: requeues before a workload is "
                  "deactivated (Kueue backoffLimitCount); -1: no limit")
      ->capture_default_str()
      ->check(CLI::Range(-1, 1000000));
  cmd->add_option("--requeue-backoff-base-seconds", flags.requeue_backoff_base_seconds,
                  "backfill with --wait-for-pods-ready-seconds: the first requeue delay (Kueue "
                  "requeuingStrategy.backoffBaseSeconds); the n-th is base * 2^(n-1), capped by "
                  "--requeue-backoff-max-seconds (no jitter)")
      ->capture_default_str()
      ->check(CLI::Range(0, std::numeric_limits<int32_t>::max()));
  cmd->add_option("--requeue-backoff-max-seconds", flags.requeue_backoff_max_seconds,
                  "backfill with --wait-for-pods-ready-seconds: the longest requeue delay (Kueue "
                  "requeuingStrategy.backoffMaxSeconds); >= the base")
      ->capture_default_str()
      ->check(CLI::Range(0, std::numeric_limits<int32_t>::max()));
  cmd->add_option("--requeue-timestamp", flags.requeue_timestamp,
                  "backfill with --wait-for-pods-ready-seconds: an evicted workload queues by its "
                  "eviction time (the back of the queue) or its creation time (back where it "
                  "was) (Kueue requeuingStrategy.timestamp)")
      ->capture_default_str()
      ->check(CLI::IsMember({"eviction", "creation"}));
  cmd->add_option("--recovery-timeout-seconds", flags.recovery_timeout_seconds,
                  "backfill with --wait-for-pods-ready-seconds: a workload that was PodsReady and "
                  "lost it (a pod failed) is evicted if not PodsReady again this long after "
                  "(Kueue recoveryTimeout); -1: no limit")
      ->capture_default_str()
      ->check(CLI::Range(-1, 100000000));
  cmd->add_flag("--block-admission", flags.block_admission,
                "backfill with --wait-for-pods-ready-seconds: Kueue blockAdmission: after a "
                "workload is admitted, admit no other until its pods are all Ready (or it is "
                "evicted)");
  cmd->add_option("--jobset", flags.jobset_files,
                  "backfill: a jobset.x-k8s.io/v1alpha2 JobSet manifest (repeatable; a file may "
                  "hold several); the 64-GPU gangs become these JobSets in turn, with their "
                  "replicatedJobs, requests, failurePolicy, successPolicy, dependsOn, "
                  "backoffLimit and termination grace (docs/backfill.md)")
      ->type_name("FILE");
  cmd->add_flag("--check", flags.check,
                "verify after every decision that no device, capacity or node is over-allocated "
                "and that the device ledger agrees with every claim (slower)");
  cmd->footer(R"(Examples:
  tessera simulate                      # built-in scenario, writes tessera-simulate.html
  tessera simulate --nodes examples/trace/nodes.csv --pods examples/trace/pods.csv \
      --experiment replay --policies fgd,tessera --seeds 42
  tessera simulate --scenario examples/scenarios/small-mixed.yaml -o json
  tessera simulate --scenario examples/scenarios/tenants.yaml --experiment replay   # queues
  tessera simulate --experiment backfill --seeds 42-51   # gangs: fifo, greedy, backfill
  tessera simulate --nodes openb_node_list_gpu_node.csv --pods openb_pod_list_default.csv \
      --policies random,dot-product,gpu-clustering,gpu-packing,best-fit,fgd,tessera \
      --seeds 42-51 --report openb.html)");
  return cmd;
}

int RunSimulate(const SimulateFlags& flags, std::ostream& out, std::ostream& err) {
  using SteadyClock = std::chrono::steady_clock;
  const auto t0 = SteadyClock::now();
  sim::WallClock clock = [t0] {
    return std::chrono::duration<double>(SteadyClock::now() - t0).count();
  };
  auto fail = [&](const Error& e) {
    err << "error: " << e.ToString() << '\n';
    return kExitInvalidInput;
  };
  if (flags.experiment == "backfill") return RunBackfill(flags, clock, out, err);
  if (flags.pod_failure_rate != 0 || flags.node_mtbf_hours != 0) {
    err << "error: --pod-failure-rate and --node-mtbf-hours apply to --experiment backfill "
           "only\n";
    return kExitUsage;
  }
  if (flags.jobset_shape != "gang" || flags.wait_for_pods_ready_seconds != 0 ||
      flags.pod_startup_seconds != 0 || flags.backoff_limit_count != -1 || flags.block_admission ||
      !flags.jobset_files.empty() || flags.requeue_backoff_base_seconds != 60 ||
      flags.requeue_backoff_max_seconds != 3600 || flags.requeue_timestamp != "eviction" ||
      flags.recovery_timeout_seconds != -1) {
    err << "error: --jobset-shape, --jobset, --pod-startup-seconds, "
           "--wait-for-pods-ready-seconds, --backoff-limit-count, --block-admission, "
           "--requeue-backoff-base-seconds, --requeue-backoff-max-seconds, "
           "--requeue-timestamp and --recovery-timeout-seconds apply to --experiment backfill "
           "only\n";
    return kExitUsage;
  }

  sim::SimConfig config;
  config.experiment =
      flags.experiment == "replay" ? sim::Experiment::kReplay : sim::Experiment::kFill;
  config.tune = flags.tune;
  config.check = flags.check;
  auto seeds = ParseSeeds(flags.seeds);
  if (!seeds.ok()) {
    err << "error: " << seeds.error().message() << '\n';
    return kExitUsage;
  }
  config.seeds = *seeds;
  config.policies = SplitList(flags.policies.empty() ? kDefaultPolicies : flags.policies);
  for (const std::string& p : config.policies) {
    if (auto policy = sim::MakePolicy(p); !policy.ok()) {
      err << "error: --policies: " << policy.error().message() << '\n';
      return kExitUsage;
    }
  }
  unsigned cores = std::thread::hardware_concurrency();
  config.threads = flags.threads > 0 ? flags.threads : static_cast<int>(std::max(cores, 1u));

  std::string report = flags.report;
  if (!flags.nodes.empty()) {
    auto nodes = io::LoadTraceNodes(flags.nodes);
    if (!nodes.ok()) return fail(nodes.error());
    auto tasks = io::LoadTraceTasks(flags.pods);
    if (!tasks.ok()) return fail(tasks.error());
    config.nodes = std::move(nodes).value();
    config.tasks = std::move(tasks).value();
    config.workload = Stem(flags.pods);
    if (!flags.arrivals.empty()) {
      auto arrivals = io::LoadArrivals(flags.arrivals);
      if (!arrivals.ok()) return fail(arrivals.error());
      config.arrivals = std::move(arrivals).value();
      config.workload = Stem(flags.arrivals);
    }
  } else {
    model::Scenario scenario;
    if (!flags.scenario.empty()) {
      auto loaded = io::LoadScenario(flags.scenario);
      if (!loaded.ok()) return fail(loaded.error());
      scenario = std::move(loaded).value();
      if (scenario.name.empty()) scenario.name = Stem(flags.scenario);
    } else {
      scenario = sim::BuiltinScenario();
      if (report.empty()) report = kBuiltinReport;
    }
    config.nodes = scenario.nodes;
    config.tasks = sim::ScenarioTasks(scenario, /*seed=*/1);
    config.workload = scenario.name;
    config.queues = std::move(scenario.queues);
  }

  std::string last_bar;
  const sim::Progress progress = ProgressBar(clock, err, last_bar);
  auto result = sim::Simulate(config, progress, clock);
  if (!last_bar.empty()) err << '\n';
  if (!result.ok()) return fail(result.error());

  if (flags.output == "json") {
    WriteJson(*result, config.seeds, config.check, out);
  } else {
    WriteTable(*result, config.seeds.size(), out);
    out << fmt::format("{} runs in {:.1f}s on {} thread{}\n", result->runs.size(), clock(),
                       config.threads, config.threads == 1 ? "" : "s");
    if (config.check) {
      int64_t decisions = 0;
      for (const sim::Run& run : result->runs) decisions += run.decisions;
      out << fmt::format("--check: every invariant held after each of {} decisions\n", decisions);
    }
    for (const sim::Run& run : result->runs) {
      if (run.same_node_as_reference >= 0) {
        out << fmt::format("{} seed {}: {} of {} tasks on the same node as the reference run\n",
                           run.policy, run.seed, run.same_node_as_reference,
                           run.reference_compared);
      }
    }
  }
  if (!report.empty()) {
    std::ofstream file(report);
    WriteHtmlReport(*result, file);
    file.close();
    if (!file) {
      err << "error: cannot write the report to " << report << '\n';
      return kExitInvalidInput;
    }
    err << "report: " << report << '\n';
  }
  return kExitOk;
}

}  // namespace tessera::cli
