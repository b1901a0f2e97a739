#include "sim/gang_replay.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <tuple>

#include "base/rng.h"
#include "sim/backfill_experiment.h"

namespace tessera::sim {
namespace {

GangJob Job(std::string name, int32_t pods, int32_t gpus_per_pod, int64_t arrival_s,
            int64_t duration_s, int64_t declared_s,
            RequiredDomain required = RequiredDomain::kNone) {
  return GangJob{.name = std::move(name),
                 .pods = pods,
                 .gpus_per_pod = gpus_per_pod,
                 .cpu_milli_per_pod = 1000,
                 .required = required,
                 .arrival_s = arrival_s,
                 .duration_s = duration_s,
                 .declared_s = declared_s};
}

GangCluster Nodes(int32_t racks, int32_t nodes_per_rack, int32_t gpus = 8) {
  return GangCluster{.blocks = 1,
                     .racks_per_block = racks,
                     .nodes_per_rack = nodes_per_rack,
                     .gpus_per_node = gpus,
                     .cpu_milli_per_node = 64'000,
                     .pods_per_node = 110};
}

GangReplayResult Replay(const GangWorkload& w, GangPolicy policy, int32_t depth = 1) {
  auto r = ReplayGangs(w, {.policy = policy, .reservation_depth = depth, .check = true});
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(r->completed, static_cast<int64_t>(w.jobs.size()));
  return std::move(r).value();
}

int32_t Index(const GangWorkload& w, std::string_view name) {
  for (size_t i = 0; i < w.jobs.size(); ++i) {
    if (w.jobs[i].name == name) return static_cast<int32_t>(i);
  }
  ADD_FAILURE() << "no job " << name;
  return 0;
}

int64_t StartOf(const GangWorkload& w, const GangReplayResult& r, std::string_view name) {
  return r.jobs[static_cast<size_t>(Index(w, name))].start_s;
}

// 2 nodes x 8 GPUs. `a` (8 GPUs, declared and actual runtime 10) runs from t=0 on node 0.
// The head gang `g` (2 pods x 8 GPUs, runtime 10) arrives at t=1 and cannot fit until `a`
// ends. Behind it a stream of 4-GPU jobs s1..s15 arrives every 2 s from t=2 to t=30, each
// running (and declaring) 4 s, so that node 1 always holds one or two of them.
GangWorkload HeadOfLine() {
  GangWorkload w{.name = "head-of-line", .cluster = Nodes(1, 2)};
  w.jobs.push_back(Job("a", 1, 8, 0, 10, 10));
  w.jobs.push_back(Job("g", 2, 8, 1, 10, 10));
  for (int i = 1; i <= 15; ++i) w.jobs.push_back(Job(fmt::format("s{}", i), 1, 4, 2 * i, 4, 4));
  return w;
}

TEST(GangReplayTest, BackfillStartsWhatEndsBeforeTheReservationAndTheGangExactlyThen) {
  const GangWorkload w = HeadOfLine();
  const GangReplayResult r = Replay(w, GangPolicy::kBackfill);
  const GangJobOutcome& g = r.jobs[static_cast<size_t>(Index(w, "g"))];
  // At t=1 the reservation: releasing `a` at its declared end 10 frees node 0; both nodes.
  EXPECT_EQ(g.head_reservation_s, 10);
  EXPECT_EQ(g.start_s, 10);
  EXPECT_EQ(g.nodes, (std::vector<int32_t>{0, 1}));
  // The same reservation stands at every pass until t=10: made once, never moved.
  EXPECT_EQ(g.reservations, 1);
  // s1 (2..6), s2 (4..8) and s3 (6..10) declare ends by t=10: they start on arrival.
  EXPECT_EQ(StartOf(w, r, "s1"), 2);
  EXPECT_EQ(StartOf(w, r, "s2"), 4);
  EXPECT_EQ(StartOf(w, r, "s3"), 6);
  // s4 arrives at 8 and would run to 12 on a reserved node: it waits for the gang to end.
  EXPECT_EQ(StartOf(w, r, "s4"), 20);
  EXPECT_EQ(StartOf(w, r, "a"), 0);
  // The log: the gang's reservation at t=1 with T=10 on both nodes.
  const auto first = std::find_if(r.events.begin(), r.events.end(), [](const GangEvent& e) {
    return e.kind == GangEventKind::kReserve;
  });
  ASSERT_NE(first, r.events.end());
  EXPECT_EQ(first->time_s, 1);
  EXPECT_EQ(first->job, Index(w, "g"));
  EXPECT_EQ(first->reserved_start_s, 10);
  EXPECT_EQ(first->nodes.size(), 2u);
  EXPECT_EQ(r.event_counts[static_cast<size_t>(GangEventKind::kArrive)], 17);
  EXPECT_EQ(r.event_counts[static_cast<size_t>(GangEventKind::kStart)], 17);
  EXPECT_EQ(r.event_counts[static_cast<size_t>(GangEventKind::kEnd)], 17);
  EXPECT_EQ(r.big.jobs, 0);  // 16 GPUs is not a big gang by the default 64
}

TEST(GangReplayTest, FifoStartsNothingBehindTheBlockedGang) {
  const GangWorkload w = HeadOfLine();
  const GangReplayResult r = Replay(w, GangPolicy::kFifo);
  EXPECT_EQ(StartOf(w, r, "g"), 10);
  for (int i = 1; i <= 15; ++i) {
    EXPECT_GE(StartOf(w, r, fmt::format("s{}", i)), 20) << "s" << i;
  }
  // At t=20 the four oldest (s1..s4) fill both nodes.
  EXPECT_EQ(StartOf(w, r, "s1"), 20);
  EXPECT_EQ(StartOf(w, r, "s4"), 20);
  EXPECT_EQ(StartOf(w, r, "s5"), 24);
  EXPECT_EQ(r.event_counts[static_cast<size_t>(GangEventKind::kReserve)], 0);
}

TEST(GangReplayTest, GreedyLetsTheSmallJobsStarveTheGangUntilTheStreamStops) {
  const GangWorkload w = HeadOfLine();
  const GangReplayResult r = Replay(w, GangPolicy::kGreedy);
  // Node 0 is free from t=10, but node 1 always holds a 4-GPU job (most-allocated puts each
  // newcomer next to the running one): the gang starts only when s15 (30..34) has left.
  EXPECT_EQ(StartOf(w, r, "g"), 34);
  for (int i = 1; i <= 15; ++i) {
    EXPECT_EQ(StartOf(w, r, fmt::format("s{}", i)), 2 * i) << "s" << i;
  }
  // Node 0 stood idle from 10 to 34 with 24 s x 8 GPUs; 44 s of makespan x 16 GPUs in all,
  // and the work is 10x8 (a) + 10x16 (g) + 15x4x4 (s) = 480 GPU-seconds.
  EXPECT_EQ(r.makespan_s, 44);
  EXPECT_NEAR(r.gpu_utilisation_pct, 100.0 * 480 / (44 * 16), 1e-9);
}

// 3 nodes x 8 GPUs. a (8 GPUs, 0..10) on node 0, b (4 GPUs, 0..20) on node 1. The gang g
// (2 x 8 GPUs) arrives at 1: at T=10 nodes 0 and 2 are whole, so it reserves them. A long
// 4-GPU job l (runs 50, declares 100) arriving at 2 may start only off the reservation: on
// node 1, beside b. A second one, l2 at 3, finds node 1 full and waits.
GangWorkload OffTheReservation() {
  GangWorkload w{.name = "off", .cluster = Nodes(1, 3)};
  w.jobs.push_back(Job("a", 1, 8, 0, 10, 10));
  w.jobs.push_back(Job("b", 1, 4, 0, 20, 20));
  w.jobs.push_back(Job("g", 2, 8, 1, 10, 10));
  w.jobs.push_back(Job("l", 1, 4, 2, 50, 100));
  w.jobs.push_back(Job("l2", 1, 4, 3, 50, 100));
  return w;
}

TEST(GangReplayTest, BackfillStartsLongJobsOnlyOffTheReservedNodes) {
  const GangWorkload w = OffTheReservation();
  const GangReplayResult r = Replay(w, GangPolicy::kBackfill);
  const auto& g = r.jobs[static_cast<size_t>(Index(w, "g"))];
  const auto& l = r.jobs[static_cast<size_t>(Index(w, "l"))];
  EXPECT_EQ(r.jobs[static_cast<size_t>(Index(w, "b"))].nodes, (std::vector<int32_t>{1}));
  EXPECT_EQ(g.head_reservation_s, 10);
  EXPECT_EQ(g.start_s, 10);
  EXPECT_EQ(g.nodes, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(l.start_s, 2);
  EXPECT_EQ(l.nodes, (std::vector<int32_t>{1}));
  // l2 waits for the gang and b (both declared to end at 20).
  EXPECT_EQ(StartOf(w, r, "l2"), 20);
}

TEST(GangReplayTest, GreedyPutsTheSecondLongJobOnANodeTheGangNeeds) {
  const GangWorkload w = OffTheReservation();
  const GangReplayResult r = Replay(w, GangPolicy::kGreedy);
  EXPECT_EQ(StartOf(w, r, "l"), 2);
  EXPECT_EQ(StartOf(w, r, "l2"), 3);
  EXPECT_EQ(r.jobs[static_cast<size_t>(Index(w, "l2"))].nodes, (std::vector<int32_t>{2}));
  // Node 0 is whole again at 10, but the gang needs a second whole node: node 1 holds b
  // (0..20) and l (2..52), node 2 holds l2 (3..53). It starts when l leaves node 1.
  EXPECT_EQ(StartOf(w, r, "g"), 52);
}

// 2 racks x 2 nodes. x (2 x 8 GPUs, one rack, runtime 10) takes rack 0, y (8 GPUs, runtime
// 30) node 2 of rack 1. The gang g needs one whole rack: rack 0 at T=10 (rack 1 only at 30).
// A long job l (8 GPUs, 40 s) can still start on node 3.
TEST(GangReplayTest, ReservationTakesTheRackThatFreesFirst) {
  GangWorkload w{.name = "racks", .cluster = Nodes(2, 2)};
  w.jobs.push_back(Job("x", 2, 8, 0, 10, 10, RequiredDomain::kRack));
  w.jobs.push_back(Job("y", 1, 8, 0, 30, 30));
  w.jobs.push_back(Job("g", 2, 8, 1, 10, 10, RequiredDomain::kRack));
  w.jobs.push_back(Job("l", 1, 8, 2, 40, 40));
  const GangReplayResult r = Replay(w, GangPolicy::kBackfill);
  EXPECT_EQ(r.jobs[0].nodes, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(r.jobs[1].nodes, (std::vector<int32_t>{2}));
  const auto reserve = std::find_if(r.events.begin(), r.events.end(), [](const GangEvent& e) {
    return e.kind == GangEventKind::kReserve;
  });
  ASSERT_NE(reserve, r.events.end());
  EXPECT_EQ(reserve->reserved_start_s, 10);
  EXPECT_EQ(reserve->nodes, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(StartOf(w, r, "l"), 2);
  EXPECT_EQ(r.jobs[3].nodes, (std::vector<int32_t>{3}));
  EXPECT_EQ(StartOf(w, r, "g"), 10);
  EXPECT_EQ(r.jobs[2].nodes, (std::vector<int32_t>{0, 1}));
}

// A job that ends early lets the planner move the reservation earlier: a (declared 20,
// actually 5) holds node 0; at t=5 the gang's reservation moves from 20 to now and it starts.
TEST(GangReplayTest, AnEarlyEndMovesTheGangForward) {
  GangWorkload w{.name = "early", .cluster = Nodes(1, 2)};
  w.jobs.push_back(Job("a", 1, 8, 0, 5, 20));
  w.jobs.push_back(Job("g", 2, 8, 1, 10, 10));
  const GangReplayResult r = Replay(w, GangPolicy::kBackfill);
  EXPECT_EQ(r.jobs[1].head_reservation_s, 20);
  EXPECT_EQ(r.jobs[1].start_s, 5);
}

TEST(GangReplayTest, PriorityGoesFirstThenArrival) {
  GangWorkload w{.name = "prio", .cluster = Nodes(1, 1)};
  w.jobs.push_back(Job("running", 1, 8, 0, 10, 10));
  w.jobs.push_back(Job("early", 1, 8, 1, 10, 10));
  w.jobs.push_back(Job("urgent", 1, 8, 2, 10, 10));
  w.jobs[2].priority = 5;
  w.jobs.push_back(Job("late", 1, 8, 3, 10, 10));
  for (GangPolicy p : {GangPolicy::kFifo, GangPolicy::kGreedy, GangPolicy::kBackfill}) {
    const GangReplayResult r = Replay(w, p);
    EXPECT_EQ(StartOf(w, r, "urgent"), 10) << GangPolicyName(p);
    EXPECT_EQ(StartOf(w, r, "early"), 20) << GangPolicyName(p);
    EXPECT_EQ(StartOf(w, r, "late"), 30) << GangPolicyName(p);
  }
}

TEST(GangReplayTest, WaitStatisticsSplitBigGangsFromSmallJobs) {
  GangWorkload w{.name = "stats", .cluster = Nodes(1, 8)};  // 64 GPUs
  w.jobs.push_back(Job("small-a", 1, 8, 0, 100, 100));
  w.jobs.push_back(Job("big", 8, 8, 10, 50, 50));      // waits 90
  w.jobs.push_back(Job("small-b", 1, 8, 20, 10, 10));  // fifo: behind big, waits 130
  const GangReplayResult r = Replay(w, GangPolicy::kFifo);
  EXPECT_EQ(r.big.jobs, 1);
  EXPECT_EQ(r.big.p50_s, 90);
  EXPECT_EQ(r.big.max_s, 90);
  EXPECT_EQ(r.small.jobs, 2);
  EXPECT_EQ(r.small.p50_s, 0);
  EXPECT_EQ(r.small.p99_s, 130);
  EXPECT_DOUBLE_EQ(r.small.mean_s, 65);
  EXPECT_EQ(r.makespan_s, 160);
  // 100 x 8 + 50 x 64 + 10 x 8 GPU-seconds over 160 s x 64 GPUs.
  EXPECT_NEAR(r.gpu_utilisation_pct, 100.0 * (800 + 3200 + 80) / (160.0 * 64), 1e-9);
  // While jobs arrive (0..20) only small-a runs: 8 of 64 GPUs.
  EXPECT_NEAR(r.gpu_utilisation_arriving_pct, 12.5, 1e-9);
}

TEST(GangReplayTest, RejectsJobsItCannotReplay) {
  GangWorkload w{.name = "bad", .cluster = Nodes(2, 2)};
  w.jobs.push_back(Job("late-limit", 1, 1, 0, 10, 5));
  auto r = ReplayGangs(w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("job \"late-limit\": declared runtime 5 s must be >= its "
                                     "duration 10 s"),
            std::string::npos)
      << r.error().message();
  w.jobs = {Job("too-big", 3, 8, 0, 10, 10, RequiredDomain::kRack)};
  r = ReplayGangs(w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("job \"too-big\": 3 pods of 8 GPUs and 1000m cpu in one "
                                     "rack do not fit even the empty cluster"),
            std::string::npos)
      << r.error().message();
  w.jobs = {Job("twin", 1, 1, 0, 10, 10), Job("twin", 1, 1, 0, 10, 10)};
  r = ReplayGangs(w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("job \"twin\" appears twice"), std::string::npos);
  w.jobs = {Job("ok", 1, 1, 0, 10, 10)};
  r = ReplayGangs(w, {.reservation_depth = 0});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("reservation depth 0"), std::string::npos);
  w.cluster.racks_per_block = 0;
  r = ReplayGangs(w, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("cluster: 1 blocks x 0 racks x 2 nodes"), std::string::npos)
      << r.error().message();
}

TEST(GangReplayTest, ParsesPolicyNames) {
  EXPECT_EQ(*ParseGangPolicy("backfill"), GangPolicy::kBackfill);
  EXPECT_EQ(*ParseGangPolicy("fifo"), GangPolicy::kFifo);
  EXPECT_EQ(*ParseGangPolicy("greedy"), GangPolicy::kGreedy);
  auto bad = ParseGangPolicy("easy");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("valid: fifo, greedy, backfill"), std::string::npos);
}

// Seeded random instances on 2 racks x 3 nodes x 4 GPUs: gangs of 1-4 pods x 1-4 GPUs, some
// required in one rack, runtimes declared 1-3 times too long. Under every policy, with the
// checker on (every start wholly placed, no node over its allocatable, the required rack
// honoured, and the fit model agreeing with the engine on every attempt), every job runs.
// Under backfill, the job at the head of the queue never starts later than the first
// reservation made for it: backfill never delays the reserved gang.
GangWorkload RandomInstance(uint64_t seed) {
  Rng rng(seed);
  GangWorkload w{.name = fmt::format("random-{}", seed), .cluster = Nodes(2, 3, 4)};
  int64_t t = 0;
  for (int i = 0; i < 30; ++i) {
    t += static_cast<int64_t>(rng.Uniform(4));
    const auto pods = static_cast<int32_t>(1 + rng.Uniform(4));
    const auto gpus = static_cast<int32_t>(1 + rng.Uniform(4));
    const int64_t duration = 1 + static_cast<int64_t>(rng.Uniform(20));
    const int64_t declared =
        duration + static_cast<int64_t>(rng.Uniform(static_cast<uint64_t>(2 * duration + 1)));
    const RequiredDomain required = pods > 1 && 3 * (4 / gpus) >= pods && rng.Uniform(2) == 0
                                        ? RequiredDomain::kRack
                                        : RequiredDomain::kNone;
    w.jobs.push_back(Job(fmt::format("j{:02d}", i), pods, gpus, t, duration, declared, required));
  }
  return w;
}

TEST(GangReplayPropertyTest, BackfillNeverDelaysTheReservedHeadAndEveryStartIsWhole) {
  int64_t reserved_heads = 0, moved_earlier = 0, backfilled = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const GangWorkload w = RandomInstance(seed);
    for (int32_t depth : {1, 3}) {
      const GangReplayResult r = Replay(w, GangPolicy::kBackfill, depth);
      ASSERT_EQ(r.checked, static_cast<int64_t>(w.jobs.size())) << "seed " << seed;
      for (size_t j = 0; j < w.jobs.size(); ++j) {
        const GangJobOutcome& o = r.jobs[j];
        ASSERT_GE(o.start_s, w.jobs[j].arrival_s);
        ASSERT_EQ(o.end_s, o.start_s + w.jobs[j].duration_s);
        if (o.head_reservation_s < 0) continue;
        ++reserved_heads;
        EXPECT_LE(o.start_s, o.head_reservation_s)
            << "seed " << seed << " depth " << depth << " job " << w.jobs[j].name;
        if (o.start_s < o.head_reservation_s) ++moved_earlier;
      }
      // Jobs that started while an older job was still waiting: backfilled.
      for (size_t j = 0; j < w.jobs.size(); ++j) {
        for (size_t k = 0; k < j; ++k) {
          if (r.jobs[j].start_s < r.jobs[k].start_s) {
            ++backfilled;
            break;
          }
        }
      }
    }
    for (GangPolicy p : {GangPolicy::kFifo, GangPolicy::kGreedy}) {
      const GangReplayResult r = Replay(w, p);
      ASSERT_EQ(r.checked, static_cast<int64_t>(w.jobs.size()));
      if (p == GangPolicy::kFifo) {
        // Strict order: no job starts before one that arrived earlier (equal priorities).
        for (size_t j = 1; j < w.jobs.size(); ++j) {
          ASSERT_GE(r.jobs[j].start_s, r.jobs[j - 1].start_s) << "seed " << seed;
        }
      }
    }
  }
  // The property was exercised, not vacuous.
  EXPECT_GT(reserved_heads, 200);
  EXPECT_GT(moved_earlier, 50);
  EXPECT_GT(backfilled, 200);
  std::cout << "reserved heads " << reserved_heads << ", started before their reservation "
            << moved_earlier << ", backfilled " << backfilled << "\n";
}

TEST(GangReplayPropertyTest, SameWorkloadSameResult) {
  const GangWorkload w = RandomInstance(7);
  const GangReplayResult a = Replay(w, GangPolicy::kBackfill, 2);
  const GangReplayResult b = Replay(w, GangPolicy::kBackfill, 2);
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(a.events[i].time_s, b.events[i].time_s);
    EXPECT_EQ(a.events[i].kind, b.events[i].kind);
    EXPECT_EQ(a.events[i].job, b.events[i].job);
    EXPECT_EQ(a.events[i].nodes, b.events[i].nodes);
  }
}

// --- the built-in scenario ---------------------------------------------------------------

TEST(BackfillScenarioTest, IsSeededAndShapedAsDocumented) {
  const GangWorkload a = BackfillScenario(42);
  const GangWorkload b = BackfillScenario(42);
  const GangWorkload c = BackfillScenario(43);
  ASSERT_EQ(a.jobs.size(), b.jobs.size());
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    EXPECT_EQ(a.jobs[i].name, b.jobs[i].name);
    EXPECT_EQ(a.jobs[i].arrival_s, b.jobs[i].arrival_s);
    EXPECT_EQ(a.jobs[i].declared_s, b.jobs[i].declared_s);
  }
  EXPECT_NE(a.jobs.front().arrival_s, c.jobs.front().arrival_s);
  EXPECT_EQ(a.cluster.nodes(), 32);
  EXPECT_EQ(a.cluster.gpus(), 256);
  int64_t gangs = 0, small = 0, rack = 0;
  double gpu_hours = 0;
  for (const GangJob& j : a.jobs) {
    ASSERT_GE(j.declared_s, j.duration_s);
    EXPECT_EQ(j.declared_s % (15 * 60), 0) << j.name;
    EXPECT_LT(j.arrival_s, 24 * 3600);
    gpu_hours += static_cast<double>(j.gpus() * j.duration_s) / 3600;
    if (j.gpus() == 64) {
      ++gangs;
      EXPECT_EQ(j.pods, 8);
      rack += j.required == RequiredDomain::kRack ? 1 : 0;
    } else {
      ++small;
      EXPECT_LE(j.gpus(), 8);
      EXPECT_LE(j.pods, 4);
      EXPECT_EQ(j.gpus() % j.pods, 0);
    }
  }
  // About 60 small jobs an hour and one gang every 2 hours for 24 hours.
  EXPECT_NEAR(static_cast<double>(small), 1440, 150);
  EXPECT_NEAR(static_cast<double>(gangs), 12, 7);
  EXPECT_GT(rack, 0);
  EXPECT_LT(rack, gangs);
  // Offered load about 90% of 256 GPUs over 24 hours.
  EXPECT_NEAR(gpu_hours / (256 * 24), 0.9, 0.15);
}

TEST(BackfillExperimentTest, RunsEveryPolicyAndSeedAndKeepsTheGuarantee) {
  BackfillConfig config;
  config.seeds = {1, 2};
  config.threads = 2;
  config.scenario.arrival_window_s = 6 * 3600;  // a quarter of the default, to stay fast
  auto result = RunBackfillExperiment(config);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  ASSERT_EQ(result->runs.size(), 6u);
  ASSERT_EQ(result->summary.size(), 3u);
  EXPECT_EQ(result->summary[0].policy, "fifo");
  EXPECT_EQ(result->summary[2].policy, "backfill");
  EXPECT_EQ(result->gpus, 256);
  for (const BackfillRun& run : result->runs) {
    EXPECT_EQ(run.completed, run.jobs) << run.policy << " " << run.seed;
    EXPECT_EQ(run.head_reservations_broken, 0) << run.policy << " " << run.seed;
    EXPECT_GT(run.gpu_utilisation_pct, 0);
    EXPECT_LE(run.gpu_utilisation_pct, 100);
    const bool reserves = run.event_counts[static_cast<size_t>(GangEventKind::kReserve)] > 0;
    EXPECT_EQ(reserves, run.policy == "backfill") << run.policy;
  }
  auto bad = RunBackfillExperiment({.policies = {"fifo", "lifo"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("unknown gang policy \"lifo\""), std::string::npos);
}

// --- The lifecycle driven by the replay ------------------------------------------------

// Kinds of job `j`'s lifecycle events, in log order.
std::vector<EventKind> KindsOf(const GangReplayResult& r, int32_t j) {
  std::vector<EventKind> kinds;
  for (const GangLifecycleEvent& e : r.lifecycle_events) {
    if (e.job == j) kinds.push_back(e.event.kind);
  }
  return kinds;
}

// The first event of job `j` of `kind` at or after position `from` in its log, or -1.
int64_t TimeOf(const GangReplayResult& r, int32_t j, EventKind kind, int64_t after = -1) {
  for (const GangLifecycleEvent& e : r.lifecycle_events) {
    if (e.job == j && e.event.kind == kind && e.event.time_s > after) return e.event.time_s;
  }
  return -1;
}

int64_t Count(const GangReplayResult& r, EventKind kind) {
  return r.lifecycle_counts[static_cast<size_t>(kind)];
}

// 2 nodes x 8 GPUs. Gang `a` (2 pods x 8 GPUs, runtime 10) starts at t=0 on both nodes; `b`
// (1 x 8 GPUs, runtime 5) arrives at t=1 and waits. Pod a-1 fails at t=4 (injected). With
// failurePolicy maxRestarts 1 the JobSet restarts: the gang's pods leave the nodes, the Job
// is recreated and, first in the queue, the gang is placed again at t=4 and runs its full
// 10 s to t=14; then b runs 14-19.
GangWorkload FailingGang() {
  return {.name = "failing-gang",
          .cluster = Nodes(1, 2),
          .jobs = {Job("a", 2, 8, 0, 10, 10), Job("b", 1, 8, 1, 5, 5)}};
}

GangReplayOptions WithLifecycle(GangPolicy policy, int32_t max_restarts,
                                std::vector<GangPodFailure> injected) {
  return {.policy = policy,
          .check = true,
          .lifecycle = {.enable = true, .max_restarts = max_restarts, .injected = injected}};
}

TEST(GangLifecycleTest, APodFailureRestartsTheJobSetAndTheGangIsPlacedAgain) {
  const GangWorkload w = FailingGang();
  for (GangPolicy policy : {GangPolicy::kFifo, GangPolicy::kGreedy, GangPolicy::kBackfill}) {
    SCOPED_TRACE(GangPolicyName(policy));
    auto r = ReplayGangs(w, WithLifecycle(policy, 1, {{.job = 0, .pod = 1, .after_s = 4}}));
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    const GangJobOutcome& a = r->jobs[0];
    EXPECT_EQ(a.start_s, 0);
    EXPECT_EQ(a.runs, 2);
    EXPECT_EQ(a.end_s, 14);
    EXPECT_FALSE(a.failed);
    EXPECT_EQ(a.nodes, (std::vector<int32_t>{0, 1}));
    EXPECT_EQ(r->jobs[1].start_s, 14);
    EXPECT_EQ(r->jobs[1].end_s, 19);
    EXPECT_EQ(r->completed, 2);
    EXPECT_EQ(r->failed, 0);
    EXPECT_EQ(r->pod_failures, 1);
    EXPECT_EQ(r->replacements, 1);
    EXPECT_EQ(r->makespan_s, 19);

    // a's log: admitted and running at 0, the failure and the restart at 4, its pods
    // scheduled again at 4, success at 14 -- in this order.
    const std::vector<EventKind> want = {
        EventKind::kAdmitted,        EventKind::kPodScheduled, EventKind::kPodReady,
        EventKind::kPodsReady,       EventKind::kPodFailed,    EventKind::kJobFailed,
        EventKind::kJobSetRestarted, EventKind::kJobDeleted,   EventKind::kJobGone,
        EventKind::kJobCreated,      EventKind::kPodScheduled, EventKind::kPodReady,
        EventKind::kPodSucceeded,    EventKind::kJobSucceeded, EventKind::kJobSetCompleted};
    const std::vector<EventKind> got = KindsOf(*r, 0);
    size_t at = 0;
    for (EventKind k : got) {
      if (at < want.size() && k == want[at]) ++at;
    }
    EXPECT_EQ(at, want.size()) << "missing from a's log: " << EventKindName(want[at]);
    EXPECT_EQ(TimeOf(*r, 0, EventKind::kPodFailed), 4);
    EXPECT_EQ(TimeOf(*r, 0, EventKind::kJobSetRestarted), 4);
    EXPECT_EQ(TimeOf(*r, 0, EventKind::kPodScheduled, 0), 4);  // re-placed at once
    EXPECT_EQ(TimeOf(*r, 0, EventKind::kJobSetCompleted), 14);
    EXPECT_EQ(TimeOf(*r, 1, EventKind::kAdmitted), 14);
    EXPECT_EQ(TimeOf(*r, 1, EventKind::kJobSetCompleted), 19);

    // Two starts of a (0 and 4), one of b; two ends.
    int64_t a_starts = 0;
    for (const GangEvent& e : r->events) {
      if (e.kind == GangEventKind::kStart && e.job == 0) ++a_starts;
    }
    EXPECT_EQ(a_starts, 2);
    EXPECT_EQ(r->event_counts[static_cast<size_t>(GangEventKind::kEnd)], 2);

    // Counts add up: every logged event is counted, and the counts tell the story.
    EXPECT_EQ(static_cast<int64_t>(r->lifecycle_events.size()),
              std::accumulate(r->lifecycle_counts.begin(), r->lifecycle_counts.end(), int64_t{0}));
    EXPECT_EQ(Count(*r, EventKind::kAdmitted), 2);
    EXPECT_EQ(Count(*r, EventKind::kPodScheduled), 2 + 2 + 1);
    EXPECT_EQ(Count(*r, EventKind::kPodFailed), 1);
    EXPECT_EQ(Count(*r, EventKind::kJobSetRestarted), 1);
    EXPECT_EQ(Count(*r, EventKind::kPodSucceeded), 2 + 1);
    EXPECT_EQ(Count(*r, EventKind::kJobSetCompleted), 2);
    EXPECT_EQ(Count(*r, EventKind::kJobSetFailed), 0);
    for (size_t i = 1; i < r->lifecycle_events.size(); ++i) {
      EXPECT_LE(r->lifecycle_events[i - 1].event.time_s, r->lifecycle_events[i].event.time_s);
    }
  }
}

TEST(GangLifecycleTest, MaxRestartsUsedUpFailsTheJobSetAndFreesItsNodes) {
  const GangWorkload w = FailingGang();
  // maxRestarts 0: the failure at t=4 fails the JobSet; b starts at once.
  auto r =
      ReplayGangs(w, WithLifecycle(GangPolicy::kBackfill, 0, {{.job = 0, .pod = 1, .after_s = 4}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->jobs[0].failed);
  EXPECT_EQ(r->jobs[0].end_s, 4);
  EXPECT_EQ(r->jobs[0].runs, 1);
  EXPECT_EQ(r->jobs[1].start_s, 4);
  EXPECT_EQ(r->completed, 1);
  EXPECT_EQ(r->failed, 1);
  EXPECT_EQ(Count(*r, EventKind::kJobSetFailed), 1);
  EXPECT_EQ(Count(*r, EventKind::kJobSetRestarted), 0);
  EXPECT_EQ(r->makespan_s, 9);

  // maxRestarts 1, failing in both runs: restarted once, then failed at 4 + 3.
  r = ReplayGangs(w, WithLifecycle(GangPolicy::kBackfill, 1,
                                   {{.job = 0, .pod = 1, .run = 0, .after_s = 4},
                                    {.job = 0, .pod = 0, .run = 1, .after_s = 3}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->jobs[0].failed);
  EXPECT_EQ(r->jobs[0].runs, 2);
  EXPECT_EQ(r->jobs[0].end_s, 7);
  EXPECT_EQ(r->jobs[1].start_s, 7);
  EXPECT_EQ(Count(*r, EventKind::kJobSetRestarted), 1);
  EXPECT_EQ(Count(*r, EventKind::kJobSetFailed), 1);

  // An injected failure names a pod that does not exist.
  auto bad = ReplayGangs(w, WithLifecycle(GangPolicy::kBackfill, 1, {{.job = 1, .pod = 1}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("names no pod"), std::string::npos);
}

TEST(GangLifecycleTest, WithoutFailuresTheLifecycleChangesNoNumber) {
  BackfillScenarioOptions small;
  small.arrival_window_s = 3 * 3600;
  const GangWorkload w = BackfillScenario(7, small);
  for (GangPolicy policy : {GangPolicy::kFifo, GangPolicy::kBackfill}) {
    auto plain = ReplayGangs(w, {.policy = policy, .keep_events = false});
    auto driven =
        ReplayGangs(w, {.policy = policy, .keep_events = false, .lifecycle = {.enable = true}});
    ASSERT_TRUE(plain.ok() && driven.ok());
    for (size_t j = 0; j < w.jobs.size(); ++j) {
      EXPECT_EQ(plain->jobs[j].start_s, driven->jobs[j].start_s) << w.jobs[j].name;
      EXPECT_EQ(plain->jobs[j].end_s, driven->jobs[j].end_s) << w.jobs[j].name;
    }
    EXPECT_EQ(plain->makespan_s, driven->makespan_s);
    EXPECT_EQ(plain->gpu_utilisation_pct, driven->gpu_utilisation_pct);
    EXPECT_EQ(plain->event_counts, driven->event_counts);
    EXPECT_EQ(Count(*driven, EventKind::kJobSetCompleted), static_cast<int64_t>(w.jobs.size()));
    EXPECT_EQ(Count(*plain, EventKind::kJobSetCompleted), 0);  // no lifecycle, no counts
  }
}

TEST(GangLifecycleTest, SeededFailuresAreDeterministicAndTheCountsAddUp) {
  BackfillScenarioOptions small;
  small.arrival_window_s = 3 * 3600;
  const GangWorkload w = BackfillScenario(11, small);
  int64_t pods = 0;
  for (const GangJob& g : w.jobs) pods += g.pods;
  const GangReplayOptions options{
      .policy = GangPolicy::kBackfill,
      .check = true,  // no node over its allocatable, the ledger consistent, all empty at the end
      .lifecycle = {.enable = true,
                    .max_restarts = 2,
                    .pod_failure_probability = 0.05,
                    .node_mtbf_s = 20 * 3600,
                    .seed = 3}};
  auto r = ReplayGangs(w, options);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const auto jobs = static_cast<int64_t>(w.jobs.size());
  EXPECT_GT(r->pod_failures, 0);
  EXPECT_GT(r->node_failures_hit, 0);
  EXPECT_GT(r->replacements, 0);
  EXPECT_EQ(r->completed + r->failed, jobs);
  EXPECT_EQ(Count(*r, EventKind::kAdmitted), jobs);
  EXPECT_EQ(Count(*r, EventKind::kJobSetCompleted), r->completed);
  EXPECT_EQ(Count(*r, EventKind::kJobSetFailed), r->failed);
  // Every restart puts the gang on nodes again; every run schedules all its pods.
  EXPECT_EQ(Count(*r, EventKind::kJobSetRestarted), r->replacements);
  int64_t runs = 0, scheduled = 0;
  for (size_t j = 0; j < w.jobs.size(); ++j) {
    runs += r->jobs[j].runs;
    scheduled += int64_t{r->jobs[j].runs} * w.jobs[j].pods;
  }
  EXPECT_EQ(runs, jobs + r->replacements);
  EXPECT_EQ(Count(*r, EventKind::kPodScheduled), scheduled);
  EXPECT_EQ(r->event_counts[static_cast<size_t>(GangEventKind::kStart)], runs);
  // Pods that failed: the injected ones plus those on failed nodes; each run ended by a
  // failure is one restart or one JobSet failure.
  EXPECT_GE(Count(*r, EventKind::kPodFailed), r->pod_failures + r->node_failures_hit);
  EXPECT_EQ(Count(*r, EventKind::kJobFailed),
            Count(*r, EventKind::kJobSetRestarted) + Count(*r, EventKind::kJobSetFailed));
  EXPECT_EQ(Count(*r, EventKind::kPodSucceeded), [&] {
    int64_t n = 0;
    for (size_t j = 0; j < w.jobs.size(); ++j) n += r->jobs[j].failed ? 0 : w.jobs[j].pods;
    return n;
  }());
  EXPECT_LE(Count(*r, EventKind::kPodSucceeded), pods);
  EXPECT_EQ(static_cast<int64_t>(r->lifecycle_events.size()),
            std::accumulate(r->lifecycle_counts.begin(), r->lifecycle_counts.end(), int64_t{0}));

  auto again = ReplayGangs(w, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->lifecycle_counts, r->lifecycle_counts);
  EXPECT_EQ(again->makespan_s, r->makespan_s);
  EXPECT_EQ(again->lifecycle_events.size(), r->lifecycle_events.size());
}

TEST(BackfillExperimentTest, FailureInjectionCountsTheLifecycleEvents) {
  BackfillConfig config;
  config.policies = {"backfill"};
  config.seeds = {5};
  config.check = true;
  config.scenario.arrival_window_s = 3 * 3600;
  config.pod_failure_probability = 0.05;
  config.node_mtbf_hours = 24;
  auto result = RunBackfillExperiment(config);
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  ASSERT_TRUE(result->lifecycle);
  const BackfillRun& run = result->runs[0];
  EXPECT_EQ(run.completed + run.failed, run.jobs);
  EXPECT_GT(run.pod_failures, 0);
  EXPECT_EQ(run.lifecycle_counts[static_cast<size_t>(EventKind::kJobSetRestarted)],
            run.replacements);
  config.pod_failure_probability = 1.5;
  EXPECT_FALSE(RunBackfillExperiment(config).ok());
}

// --- JobSets, stages and waitForPodsReady in the replay ----------------------------------

// The replay's log of job `j`, rendered ("5 JobCreated workers-0 gen=0").
std::vector<std::string> TextsOf(const GangReplayResult& r, int32_t j) {
  std::vector<std::string> lines;
  for (const GangLifecycleEvent& e : r.lifecycle_events) {
    if (e.job == j) lines.push_back(e.text);
  }
  return lines;
}

// Whether `want` appears in `got` in this order (other lines may come between).
::testing::AssertionResult InOrder(const std::vector<std::string>& got,
                                   const std::vector<std::string>& want) {
  size_t at = 0;
  for (const std::string& line : got) {
    if (at < want.size() && line == want[at]) ++at;
  }
  if (at == want.size()) return ::testing::AssertionSuccess();
  std::string log;
  for (const std::string& line : got) log += "\n  " + line;
  return ::testing::AssertionFailure()
         << "missing \"" << want[at] << "\" (after the " << at << " before it) in:" << log;
}

// (time, pods) of every start of job `j`: its stages.
std::vector<std::pair<int64_t, int32_t>> StagesOf(const GangReplayResult& r, int32_t j) {
  std::vector<std::pair<int64_t, int32_t>> stages;
  for (const GangEvent& e : r.events) {
    if (e.kind == GangEventKind::kStart && e.job == j) stages.emplace_back(e.time_s, e.pods);
  }
  return stages;
}

ReplicatedJobSpec Rj(std::string name, int32_t replicas, int32_t pods,
                     std::optional<DependsOnSpec> depends_on = std::nullopt) {
  return ReplicatedJobSpec{.name = std::move(name),
                           .replicas = replicas,
                           .parallelism = pods,
                           .completions = pods,
                           .backoff_limit = 0,
                           .depends_on = std::move(depends_on)};
}

// A job of whole-node pods (8 GPUs each) described as `jobset`.
GangJob JobSetJob(std::string name, int32_t pods, int64_t arrival_s, int64_t duration_s,
                  GangJobSet jobset) {
  GangJob g = Job(std::move(name), pods, 8, arrival_s, duration_s, 2 * duration_s);
  g.jobset = std::move(jobset);
  return g;
}

GangReplayOptions Driven(std::vector<GangPodFailure> injected = {},
                         GangPolicy policy = GangPolicy::kFifo) {
  return {.policy = policy, .check = true, .lifecycle = {.enable = true, .injected = injected}};
}

// 3 nodes x 8 GPUs. JobSet js: leader (1 Job x 1 pod) and workers (2 Jobs x 1 pod), 10 s
// each, failurePolicy {maxRestarts 1, rules: [RestartJob on workers]}. All three pods start
// at t=0 (no dependsOn: one stage). workers-1's pod (pod 2) fails at t=3: only workers-1 is
// deleted and recreated (generation 1) and its one pod is placed again at once, on the node
// it left; leader-0 and workers-0 run on untouched and succeed at 10; workers-1 runs its
// full 10 s from 3 and the JobSet completes at 13.
TEST(GangJobSetTest, RestartJobRestartsOnlyTheFailedJob) {
  GangJobSet jobset;
  jobset.spec.replicated_jobs = {Rj("leader", 1, 1), Rj("workers", 2, 1)};
  jobset.spec.failure_policy =
      FailurePolicySpec{.max_restarts = 1,
                        .rules = {{.name = "workers",
                                   .action = FailurePolicyAction::kRestartJob,
                                   .target_replicated_jobs = {"workers"}}}};
  const GangWorkload w{
      .name = "restart-job", .cluster = Nodes(1, 3), .jobs = {JobSetJob("js", 3, 0, 10, jobset)}};
  auto r = ReplayGangs(w, Driven({{.job = 0, .pod = 2, .after_s = 3}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(StagesOf(*r, 0), (std::vector<std::pair<int64_t, int32_t>>{{0, 3}, {3, 1}}));
  EXPECT_EQ(r->jobs[0].end_s, 13);
  EXPECT_FALSE(r->jobs[0].failed);
  EXPECT_EQ(r->jobs[0].runs, 2);
  EXPECT_EQ(r->replacements, 1);
  EXPECT_TRUE(InOrder(
      TextsOf(*r, 0),
      {"0 PodsReady", "3 PodFailed workers-1/0 Error", "3 JobFailed workers-1 BackoffLimitExceeded",
       "3 JobRestarted workers-1 rule=workers counted", "3 JobDeleted workers-1 gen=0",
       "3 JobGone workers-1 gen=0", "3 JobCreated workers-1 gen=1", "3 PodScheduled workers-1/0",
       "10 JobSucceeded leader-0", "10 JobSucceeded workers-0", "13 JobSucceeded workers-1",
       "13 JobSetCompleted"}));
  EXPECT_EQ(Count(*r, EventKind::kJobRestarted), 1);
  EXPECT_EQ(Count(*r, EventKind::kJobSetRestarted), 0);
  EXPECT_EQ(Count(*r, EventKind::kJobCreated), 3 + 1);  // the other two never again
  EXPECT_EQ(Count(*r, EventKind::kPodScheduled), 3 + 1);
  EXPECT_EQ(Count(*r, EventKind::kPodSucceeded), 3);
}

// 3 nodes x 8 GPUs. JobSet js: leader (1 pod) and workers (1 Job x 2 pods), 10 s, rules
// [FailJobSet on leader], maxRestarts 3. A job b (3 pods, 5 s) arrives at 1 and waits.
//  - The leader's pod fails at 4: the rule fails the JobSet at 4, its workers leave with it
//    and b starts at 4 (ends 9).
//  - A worker's pod fails at 4 instead: the rule does not match it, so the default rule
//    restarts the whole JobSet, placed again at 4 as one stage; it completes at 14, b starts
//    then.
TEST(GangJobSetTest, FailJobSetOnTheTargetEndsTheJobSetAndOtherFailuresRestartIt) {
  GangJobSet jobset;
  jobset.spec.replicated_jobs = {Rj("leader", 1, 1), Rj("workers", 1, 2)};
  jobset.spec.failure_policy =
      FailurePolicySpec{.max_restarts = 3,
                        .rules = {{.name = "leader-fails-all",
                                   .action = FailurePolicyAction::kFailJobSet,
                                   .target_replicated_jobs = {"leader"}}}};
  GangWorkload w{.name = "fail-jobset", .cluster = Nodes(1, 3)};
  w.jobs = {JobSetJob("js", 3, 0, 10, jobset), Job("b", 3, 8, 1, 5, 5)};

  auto r = ReplayGangs(w, Driven({{.job = 0, .pod = 0, .after_s = 4}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->jobs[0].failed);
  EXPECT_EQ(r->jobs[0].end_s, 4);
  EXPECT_EQ(r->jobs[1].start_s, 4);
  EXPECT_EQ(r->jobs[1].end_s, 9);
  EXPECT_EQ(r->failed, 1);
  EXPECT_TRUE(InOrder(TextsOf(*r, 0),
                      {"4 PodFailed leader-0/0 Error", "4 JobFailed leader-0 BackoffLimitExceeded",
                       "4 JobSetFailed leader-0 FailJobSetAction"}));

  r = ReplayGangs(w, Driven({{.job = 0, .pod = 2, .after_s = 4}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_FALSE(r->jobs[0].failed);
  EXPECT_EQ(StagesOf(*r, 0), (std::vector<std::pair<int64_t, int32_t>>{{0, 3}, {4, 3}}));
  EXPECT_EQ(r->jobs[0].end_s, 14);
  EXPECT_EQ(r->jobs[1].start_s, 14);
  EXPECT_TRUE(InOrder(TextsOf(*r, 0), {"4 JobFailed workers-0 BackoffLimitExceeded",
                                       "4 JobSetRestarted workers-0 rule=default counted",
                                       "4 JobCreated leader-0 gen=1",
                                       "4 JobCreated workers-0 gen=1", "14 JobSetCompleted"}));
}

// 3 nodes x 8 GPUs. JobSet js: leader (1 pod, runs 5 s) and workers (1 Job x 2 pods that run
// until the JobSet ends), successPolicy {Any, [leader]}. Job b (3 pods) arrives at 1 and
// waits. At 5 the leader succeeds: the JobSet completes, the workers leave with it, and b
// starts at 5. The workers never succeed.
TEST(GangJobSetTest, SuccessPolicyAnyOnTheLeaderCompletesAndReleasesTheWorkers) {
  GangJobSet jobset;
  jobset.spec.replicated_jobs = {Rj("leader", 1, 1), Rj("workers", 1, 2)};
  jobset.spec.success_policy = {.op = SuccessOperator::kAny, .target_replicated_jobs = {"leader"}};
  jobset.timing = {GangPodTiming{.run_s = 5}, GangPodTiming{.run_s = kUntilJobSetEnds}};
  GangWorkload w{.name = "success-any", .cluster = Nodes(1, 3)};
  w.jobs = {JobSetJob("js", 3, 0, 100, jobset), Job("b", 3, 8, 1, 5, 5)};
  auto r = ReplayGangs(w, Driven());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->jobs[0].end_s, 5);
  EXPECT_FALSE(r->jobs[0].failed);
  EXPECT_EQ(r->jobs[1].start_s, 5);
  EXPECT_EQ(r->completed, 2);
  EXPECT_TRUE(InOrder(TextsOf(*r, 0), {"0 PodsReady", "5 PodSucceeded leader-0/0",
                                       "5 JobSucceeded leader-0", "5 JobSetCompleted"}));
  // js's one success and b's three.
  EXPECT_EQ(Count(*r, EventKind::kPodSucceeded), 1 + 3);
  EXPECT_EQ(r->makespan_s, 10);
  // A successPolicy only pods running for ever could meet is refused.
  jobset.spec.success_policy.target_replicated_jobs = {"workers"};
  w.jobs = {JobSetJob("js", 3, 0, 100, jobset)};
  auto bad = ReplayGangs(w, Driven());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("job \"js\": its JobSet's successPolicy can never be met"),
            std::string::npos)
      << bad.error().message();
}

// 3 nodes x 8 GPUs. JobSet js: leader (1 pod, Ready 5 s after placement) and workers (1 Job
// x 2 pods, Ready at once) with dependsOn {leader, Ready}; every pod runs 10 s.
//   0: admitted, the leader alone is placed (stage of 1)
//   5: the leader is Ready; the workers Job is created and placed (stage of 2); PodsReady
//  10: the leader succeeds; 15: the workers do and the JobSet completes.
// With dependsOn {leader, Complete} the workers wait for the leader's success at 10, and
// the JobSet completes at 20.
TEST(GangJobSetTest, DependsOnReadyDelaysTheWorkersUntilTheLeaderIsReady) {
  GangJobSet jobset;
  jobset.spec.replicated_jobs = {Rj("leader", 1, 1),
                                 Rj("workers", 1, 2, DependsOnSpec{.name = "leader"})};
  jobset.timing = {GangPodTiming{.startup_s = 5}, GangPodTiming{.startup_s = 0}};
  GangWorkload w{.name = "depends-on", .cluster = Nodes(1, 3)};
  w.jobs = {JobSetJob("js", 3, 0, 10, jobset)};
  auto r = ReplayGangs(w, Driven());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(StagesOf(*r, 0), (std::vector<std::pair<int64_t, int32_t>>{{0, 1}, {5, 2}}));
  EXPECT_EQ(r->jobs[0].start_s, 0);
  EXPECT_EQ(r->jobs[0].ready_s, 5);
  EXPECT_EQ(r->jobs[0].end_s, 15);
  EXPECT_TRUE(
      InOrder(TextsOf(*r, 0),
              {"0 JobCreated leader-0 gen=0", "0 PodScheduled leader-0/0", "5 PodReady leader-0/0",
               "5 JobReady leader-0", "5 JobCreated workers-0 gen=0", "5 PodScheduled workers-0/0",
               "5 PodScheduled workers-0/1", "5 PodsReady", "10 JobSucceeded leader-0",
               "15 JobSucceeded workers-0", "15 JobSetCompleted"}));

  w.jobs[0].jobset->spec.replicated_jobs[1].depends_on->status = DependsOnStatus::kComplete;
  r = ReplayGangs(w, Driven());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(StagesOf(*r, 0), (std::vector<std::pair<int64_t, int32_t>>{{0, 1}, {10, 2}}));
  EXPECT_EQ(r->jobs[0].end_s, 20);
  // Kueue's PodsReady counts every Job, so the workload is never PodsReady while the workers
  // wait; the leader has left before they are Ready.
  EXPECT_EQ(r->jobs[0].ready_s, 10);
}

// 2 nodes x 8 GPUs and job a (2 pods of 8 GPUs, 100 s) whose pods take 50 s to become
// Ready, under waitForPodsReady {timeout 10 s, backoff `base` and `max`, backoffLimitCount 3}.
struct SlowStartingJob {
  GangWorkload w{.name = "wait-for-pods-ready", .cluster = Nodes(1, 2)};
  GangReplayOptions options = Driven();
  SlowStartingJob(int64_t base, int64_t max) {
    w.jobs = {Job("a", 2, 8, 0, 100, 100)};
    options.lifecycle.startup_min_s = options.lifecycle.startup_max_s = 50;
    options.lifecycle.wait_for_pods_ready = {
        .enable = true,
        .timeout_s = 10,
        .requeuing_strategy = {
            .backoff_base_s = base, .backoff_max_s = max, .backoff_limit_count = 3}};
  }
};

// The slow-starting job under backoff base 1 s and max 100 s:
//   admitted 0, evicted 10 (requeue n=1 after 1 s: 11), admitted 11, evicted 21 (n=2, 2 s:
//   23), admitted 23, evicted 33 (n=3, 4 s: 37), admitted 37, and the fourth timeout at 47
//   deactivates it. Each eviction and the deactivation take its pods off the nodes.
TEST(GangJobSetTest, WaitForPodsReadyRequeuesWithBackoffThenDeactivates) {
  SlowStartingJob job(/*base=*/1, /*max=*/100);
  const GangWorkload& w = job.w;
  GangReplayOptions& options = job.options;
  auto r = ReplayGangs(w, options);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  std::vector<int64_t> admitted, requeue_at;
  for (const GangLifecycleEvent& e : r->lifecycle_events) {
    if (e.event.kind == EventKind::kAdmitted) admitted.push_back(e.event.time_s);
    if (e.event.kind == EventKind::kEvicted) requeue_at.push_back(e.event.value);
  }
  EXPECT_EQ(admitted, (std::vector<int64_t>{0, 11, 23, 37}));
  EXPECT_EQ(requeue_at, (std::vector<int64_t>{11, 23, 37}));
  EXPECT_TRUE(InOrder(TextsOf(*r, 0), {"10 Evicted n=1 at=11", "21 Evicted n=2 at=23",
                                       "33 Evicted n=3 at=37", "47 Deactivated requeues=3"}));
  EXPECT_EQ(StagesOf(*r, 0),
            (std::vector<std::pair<int64_t, int32_t>>{{0, 2}, {11, 2}, {23, 2}, {37, 2}}));
  EXPECT_TRUE(r->jobs[0].deactivated);
  EXPECT_EQ(r->jobs[0].end_s, 47);
  EXPECT_EQ(r->jobs[0].ready_s, -1);
  EXPECT_EQ(r->evictions, 3);
  EXPECT_EQ(r->deactivated, 1);
  EXPECT_EQ(r->completed, 0);
  EXPECT_EQ(Count(*r, EventKind::kPodReady), 0);  // the ready times all fall after a timeout
  EXPECT_EQ(r->big_ready.jobs, 0);

  // Without backoffLimitCount it goes on; pods Ready in 5 s make it PodsReady in time.
  options.lifecycle.startup_min_s = options.lifecycle.startup_max_s = 5;
  r = ReplayGangs(w, options);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->evictions, 0);
  EXPECT_EQ(r->jobs[0].ready_s, 5);
  EXPECT_EQ(r->jobs[0].end_s, 100);
}

// The slow-starting job under backoff base 3 s and max 5 s (what `--requeue-backoff-base-seconds 3
// --requeue-backoff-max-seconds 5` sets): the delays are min(3 * 2^(n-1), 5) = 3, 5, 5, so it
// is admitted at 0, evicted 10 (back at 13), admitted 13, evicted 23 (28), admitted 28,
// evicted 38 (43), admitted 43 and deactivated at 53.
TEST(GangJobSetTest, WaitForPodsReadyBackoffBaseAndMaxSetTheRequeueTimes) {
  const SlowStartingJob job(/*base=*/3, /*max=*/5);
  auto r = ReplayGangs(job.w, job.options);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  std::vector<int64_t> admitted;
  for (const GangLifecycleEvent& e : r->lifecycle_events) {
    if (e.event.kind == EventKind::kAdmitted) admitted.push_back(e.event.time_s);
  }
  EXPECT_EQ(admitted, (std::vector<int64_t>{0, 13, 28, 43}));
  EXPECT_TRUE(InOrder(TextsOf(*r, 0), {"10 Evicted n=1 at=13", "23 Evicted n=2 at=28",
                                       "38 Evicted n=3 at=43", "53 Deactivated requeues=3"}));
  EXPECT_EQ(StagesOf(*r, 0),
            (std::vector<std::pair<int64_t, int32_t>>{{0, 2}, {13, 2}, {28, 2}, {43, 2}}));
  EXPECT_EQ(r->jobs[0].end_s, 53);
  EXPECT_EQ(r->evictions, 3);
  EXPECT_EQ(r->deactivated, 1);
}

// 2 nodes x 8 GPUs. JobSet js: a (1 pod, gone at once when deleted) and b (1 pod, whose
// deletion takes 10 s), 20 s each, failurePolicy {maxRestarts 1}. a's pod fails at 5: the
// default rule restarts the JobSet; b's old pod terminates until 15.
//  - Recreate: a is recreated and placed at 5, b at 15 when its own old pod is gone.
//  - BlockingRecreate: nothing is created until every old pod is gone: both at 15.
TEST(GangJobSetTest, BlockingRecreateWaitsForEveryOldPodToBeGone) {
  GangJobSet jobset;
  jobset.spec.replicated_jobs = {Rj("a", 1, 1), Rj("b", 1, 1)};
  jobset.spec.failure_policy = FailurePolicySpec{.max_restarts = 1};
  jobset.timing = {GangPodTiming{}, GangPodTiming{.termination_s = 10}};
  GangWorkload w{.name = "restart-strategy", .cluster = Nodes(1, 2)};
  w.jobs = {JobSetJob("js", 2, 0, 20, jobset)};
  auto r = ReplayGangs(w, Driven({{.job = 0, .pod = 0, .after_s = 5}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(StagesOf(*r, 0), (std::vector<std::pair<int64_t, int32_t>>{{0, 2}, {5, 1}, {15, 1}}));
  EXPECT_TRUE(InOrder(TextsOf(*r, 0),
                      {"5 JobSetRestarted a-0 rule=default counted", "5 JobDeleted a-0 gen=0",
                       "5 JobDeleted b-0 gen=0", "5 JobGone a-0 gen=0", "5 JobCreated a-0 gen=1",
                       "15 JobGone b-0 gen=0", "15 JobCreated b-0 gen=1", "35 JobSetCompleted"}));
  EXPECT_EQ(r->jobs[0].end_s, 35);

  w.jobs[0].jobset->spec.failure_policy->restart_strategy = RestartStrategy::kBlockingRecreate;
  r = ReplayGangs(w, Driven({{.job = 0, .pod = 0, .after_s = 5}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(StagesOf(*r, 0), (std::vector<std::pair<int64_t, int32_t>>{{0, 2}, {15, 2}}));
  EXPECT_TRUE(InOrder(TextsOf(*r, 0),
                      {"5 JobGone a-0 gen=0", "15 JobGone b-0 gen=0", "15 JobCreated a-0 gen=1",
                       "15 JobCreated b-0 gen=1", "35 JobSetCompleted"}));
  for (const std::string& line : TextsOf(*r, 0)) {
    EXPECT_NE(line, "5 JobCreated a-0 gen=1");
  }
}

TEST(GangJobSetTest, RejectsJobSetsItCannotReplay) {
  GangJobSet jobset;
  jobset.spec.replicated_jobs = {Rj("leader", 1, 1), Rj("workers", 1, 2)};
  GangWorkload w{
      .name = "bad", .cluster = Nodes(1, 4), .jobs = {JobSetJob("js", 4, 0, 10, jobset)}};
  auto r = ReplayGangs(w, Driven());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("job \"js\": its JobSet has 3 pods (replicas x parallelism), "
                                     "the job 4"),
            std::string::npos)
      << r.error().message();
  w.jobs = {JobSetJob("js", 3, 0, 10, jobset)};
  w.jobs[0].jobset->spec.replicated_jobs[1].completions = 4;
  r = ReplayGangs(w, Driven());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("parallelism 2 != completions 4"), std::string::npos)
      << r.error().message();
  w.jobs[0].jobset->spec.replicated_jobs[1].completions = 2;
  w.jobs[0].jobset->spec.replicated_jobs[1].depends_on = DependsOnSpec{.name = "nobody"};
  r = ReplayGangs(w, Driven());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().ToString().find("\"nobody\" is not an earlier replicatedJob"),
            std::string::npos)
      << r.error().ToString();
  w.jobs[0].jobset->spec.replicated_jobs[1].depends_on.reset();
  r = ReplayGangs(w, {.check = true});  // no lifecycle
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("a JobSet needs the lifecycle"), std::string::npos);
  GangReplayOptions options = Driven();
  options.lifecycle.startup_min_s = 5;
  options.lifecycle.startup_max_s = 4;
  EXPECT_FALSE(ReplayGangs(w, options).ok());
}

// Seeded random JobSets on 2 racks x 3 nodes x 4 GPUs, under every policy, with seeded pod
// and node failures, start-up delays, termination graces and (on half the seeds)
// waitForPodsReady: every stage is placed whole or not at all, the engine's full invariant
// check holds after every start and every release (options.check), every node is empty at
// the end, and the log and the counts agree.
GangWorkload RandomJobSets(uint64_t seed) {
  Rng rng(seed * 7919);
  GangWorkload w = RandomInstance(seed);
  for (GangJob& g : w.jobs) {
    if (g.pods < 2 || rng.Uniform(3) == 0) continue;  // some stay one-Job JobSets
    GangJobSet js;
    const int32_t workers = g.pods - 1;
    const bool split = workers > 1 && rng.Uniform(2) == 0;  // workers as Jobs of one pod
    std::optional<DependsOnSpec> dep;
    if (rng.Uniform(2) == 0) {
      dep = DependsOnSpec{
          .name = "leader",
          .status = rng.Uniform(2) == 0 ? DependsOnStatus::kReady : DependsOnStatus::kComplete};
    }
    js.spec.replicated_jobs = {Rj("leader", 1, 1),
                               Rj("workers", split ? workers : 1, split ? 1 : workers, dep)};
    js.spec.replicated_jobs[1].backoff_limit = static_cast<int32_t>(rng.Uniform(2));
    FailurePolicySpec policy{.max_restarts = static_cast<int32_t>(rng.Uniform(3)),
                             .restart_strategy = rng.Uniform(2) == 0
                                                     ? RestartStrategy::kRecreate
                                                     : RestartStrategy::kBlockingRecreate};
    const std::array<FailurePolicyAction, 4> actions = {
        FailurePolicyAction::kRestartJob, FailurePolicyAction::kFailJobSet,
        FailurePolicyAction::kRestartJobSet,
        FailurePolicyAction::kRestartJobSetAndIgnoreMaxRestarts};
    for (uint64_t k = rng.Uniform(3); k > 0; --k) {
      policy.rules.push_back(
          {.action = actions[rng.Uniform(actions.size())],
           .target_replicated_jobs = {rng.Uniform(2) == 0 ? "leader" : "workers"}});
    }
    if (rng.Uniform(4) != 0) js.spec.failure_policy = policy;
    const bool leader_serves = rng.Uniform(3) == 0;  // the leader runs until the JobSet ends
    if (leader_serves) {
      js.spec.success_policy.target_replicated_jobs = {"workers"};
    } else if (rng.Uniform(3) == 0) {
      js.spec.success_policy = {
          .op = SuccessOperator::kAny,
          .target_replicated_jobs = {rng.Uniform(2) == 0 ? "leader" : "workers"}};
    }
    if (leader_serves && dep && dep->status == DependsOnStatus::kComplete) {
      js.spec.replicated_jobs[1].depends_on->status = DependsOnStatus::kReady;
    }
    js.timing = {GangPodTiming{.run_s = leader_serves ? kUntilJobSetEnds : 0,
                               .termination_s = static_cast<int64_t>(rng.Uniform(4))},
                 GangPodTiming{.termination_s = static_cast<int64_t>(rng.Uniform(4))}};
    g.jobset = std::move(js);
  }
  return w;
}

TEST(GangJobSetPropertyTest, EveryStageIsWholeAndTheEngineStaysConsistent) {
  int64_t stages = 0, partial = 0, evictions = 0, job_restarts = 0, stuck = 0, deactivated = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const GangWorkload w = RandomJobSets(seed);
    for (GangPolicy policy : {GangPolicy::kFifo, GangPolicy::kGreedy, GangPolicy::kBackfill}) {
      SCOPED_TRACE(fmt::format("seed {} {}", seed, GangPolicyName(policy)));
      GangReplayOptions options{.policy = policy,
                                .reservation_depth = 2,
                                .check = true,
                                .lifecycle = {.enable = true,
                                              .max_restarts = 2,
                                              .pod_failure_probability = 0.1,
                                              .node_mtbf_s = 400,
                                              .seed = seed,
                                              .startup_min_s = 0,
                                              .startup_max_s = 6}};
      if (seed % 2 == 0) {
        options.lifecycle.wait_for_pods_ready = {
            .enable = true,
            .timeout_s = 8,
            .requeuing_strategy = {.backoff_base_s = 2,
                                   .backoff_max_s = 16,
                                   .backoff_limit_count = static_cast<int32_t>(seed % 4)}};
        if (seed % 4 == 0) options.lifecycle.wait_for_pods_ready.recovery_timeout_s = 6;
      }
      auto r = ReplayGangs(w, options);
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      const auto jobs = static_cast<int64_t>(w.jobs.size());
      ASSERT_EQ(r->completed + r->failed + r->deactivated + r->stuck, jobs);
      EXPECT_EQ(Count(*r, EventKind::kJobSetCompleted), r->completed);
      EXPECT_EQ(Count(*r, EventKind::kJobSetFailed), r->failed);
      EXPECT_EQ(Count(*r, EventKind::kDeactivated), r->deactivated);
      EXPECT_EQ(Count(*r, EventKind::kEvicted), r->evictions);
      EXPECT_EQ(
          static_cast<int64_t>(r->lifecycle_events.size()),
          std::accumulate(r->lifecycle_counts.begin(), r->lifecycle_counts.end(), int64_t{0}));
      // All or nothing: at each (job, time) the pods the lifecycle saw scheduled are exactly
      // those of the stages the engine placed whole then.
      std::map<std::pair<int32_t, int64_t>, int64_t> scheduled, placed;
      for (const GangLifecycleEvent& e : r->lifecycle_events) {
        if (e.event.kind == EventKind::kPodScheduled) ++scheduled[{e.job, e.event.time_s}];
      }
      for (const GangEvent& e : r->events) {
        if (e.kind != GangEventKind::kStart) continue;
        ASSERT_GE(e.pods, 1);
        ASSERT_LE(e.pods, w.jobs[static_cast<size_t>(e.job)].pods);
        placed[{e.job, e.time_s}] += e.pods;
        ++stages;
        if (e.pods < w.jobs[static_cast<size_t>(e.job)].pods) ++partial;
      }
      EXPECT_EQ(scheduled, placed);
      EXPECT_EQ(r->checked, r->event_counts[static_cast<size_t>(GangEventKind::kStart)]);
      for (size_t i = 1; i < r->lifecycle_events.size(); ++i) {
        ASSERT_LE(r->lifecycle_events[i - 1].event.time_s, r->lifecycle_events[i].event.time_s);
      }
      evictions += r->evictions;
      job_restarts += Count(*r, EventKind::kJobRestarted);
      stuck += r->stuck;
      deactivated += r->deactivated;
    }
  }
  // The features were exercised, not vacuous.
  EXPECT_GT(partial, 100);
  EXPECT_GT(evictions, 20);
  EXPECT_GT(job_restarts, 5);
  EXPECT_GT(deactivated, 5);
  std::cout << "stages " << stages << " (partial " << partial << "), evictions " << evictions
            << ", deactivated " << deactivated << ", job restarts " << job_restarts << ", stuck "
            << stuck << "\n";
}

TEST(GangJobSetPropertyTest, SameOptionsSameLog) {
  const GangWorkload w = RandomJobSets(4);
  GangReplayOptions options{
      .policy = GangPolicy::kBackfill,
      .check = true,
      .lifecycle = {.enable = true, .pod_failure_probability = 0.1, .seed = 9, .startup_max_s = 6}};
  options.lifecycle.wait_for_pods_ready = {.enable = true, .timeout_s = 8};
  auto a = ReplayGangs(w, options);
  auto b = ReplayGangs(w, options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->lifecycle_events.size(), b->lifecycle_events.size());
  for (size_t i = 0; i < a->lifecycle_events.size(); ++i) {
    ASSERT_EQ(a->lifecycle_events[i].text, b->lifecycle_events[i].text) << i;
  }
}

// The built-in scenario with the gangs as leader-workers JobSets, seed 45 under greedy:
// leaders are placed as soon as a node frees, each rack-required gang's workers then need 7
// whole nodes of one rack, and once every rack holds two waiting leaders none ever fits: the
// JobSets deadlock. waitForPodsReady breaks it: a leader that waits too long is evicted and
// its node freed.
TEST(BackfillExperimentTest, LeaderWorkersCanDeadlockAndWaitForPodsReadyBreaksIt) {
  BackfillConfig config;
  config.policies = {"greedy"};
  config.seeds = {45};
  config.jobset_shape = JobSetShape::kLeaderWorkers;
  auto stuck = RunBackfillExperiment(config);
  ASSERT_TRUE(stuck.ok()) << stuck.error().ToString();
  const BackfillRun& s = stuck->runs[0];
  EXPECT_GT(s.stuck, 0);
  EXPECT_EQ(s.completed + s.stuck, s.jobs);
  EXPECT_EQ(s.lifecycle_counts[static_cast<size_t>(EventKind::kEvicted)], 0);

  config.wait_for_pods_ready_s = 600;
  config.check = true;
  auto freed = RunBackfillExperiment(config);
  ASSERT_TRUE(freed.ok()) << freed.error().ToString();
  const BackfillRun& f = freed->runs[0];
  EXPECT_EQ(f.stuck, 0);
  EXPECT_EQ(f.completed, f.jobs);
  EXPECT_GT(f.evictions, 0);
  EXPECT_EQ(f.big_ready.jobs, f.big_gangs);
  // Two stages per gang (leader, then workers), and each eviction costs one more at least.
  EXPECT_GE(f.event_counts[static_cast<size_t>(GangEventKind::kStart)],
            f.jobs + f.big_gangs + f.evictions);
  EXPECT_EQ(f.lifecycle_counts[static_cast<size_t>(EventKind::kPodSucceeded)] +
                f.big_gangs,  // the leaders are released with their JobSets
            [&] {
              int64_t pods = 0;
              for (const GangJob& g : BackfillScenario(45).jobs) pods += g.pods;
              return pods;
            }());
  EXPECT_FALSE(RunBackfillExperiment({.wait_for_pods_ready_s = -1}).ok());
  EXPECT_EQ(*ParseJobSetShape("leader-workers"), JobSetShape::kLeaderWorkers);
  EXPECT_FALSE(ParseJobSetShape("pyramid").ok());
}

// --- waitForPodsReady.blockAdmission -----------------------------------------------------

// (time, kind, job) of every start, end and admission block of the replay, in log order.
std::vector<std::tuple<int64_t, GangEventKind, int32_t>> AdmissionLog(const GangReplayResult& r) {
  std::vector<std::tuple<int64_t, GangEventKind, int32_t>> out;
  for (const GangEvent& e : r.events) {
    if (e.kind == GangEventKind::kArrive || e.kind == GangEventKind::kReserve ||
        e.kind == GangEventKind::kReserveMoved) {
      continue;
    }
    out.emplace_back(e.time_s, e.kind, e.job);
  }
  return out;
}

// A job of `pods` whole-node pods, one Job, whose pods are Ready `startup_s` after their
// placement and run `duration_s` (start-up included).
GangJob SlowStarter(std::string name, int32_t pods, int64_t duration_s, int64_t startup_s) {
  GangJobSet jobset;
  jobset.spec.replicated_jobs = {Rj("main", 1, pods)};
  jobset.timing = {GangPodTiming{.startup_s = startup_s}};
  return JobSetJob(std::move(name), pods, 0, duration_s, std::move(jobset));
}

GangReplayOptions Blocking(int64_t timeout_s, std::optional<int32_t> backoff_limit_count) {
  GangReplayOptions options = Driven();
  options.lifecycle.wait_for_pods_ready = {
      .enable = true,
      .timeout_s = timeout_s,
      .requeuing_strategy = {.backoff_limit_count = backoff_limit_count},
      .block_admission = true};
  return options;
}

using Step = std::tuple<int64_t, GangEventKind, int32_t>;
constexpr GangEventKind kStart = GangEventKind::kStart;
constexpr GangEventKind kEnd = GangEventKind::kEnd;
constexpr GangEventKind kBlocked = GangEventKind::kAdmissionBlocked;
constexpr GangEventKind kUnblocked = GangEventKind::kAdmissionUnblocked;

// 4 nodes x 8 GPUs; gangs a (2 pods, Ready 30 s after placement) and b (2 pods, Ready after
// 10 s) arrive together at 0, both run 100 s, and both fit at once.
//  - Without blockAdmission both are admitted at 0 (a PodsReady at 30, b at 10).
//  - With it (timeout 300): a is admitted at 0 and blocks admission; b, next in the queue,
//    is held. At 30 a's pods are Ready: PodsReady unblocks, and the pass at 30 admits b,
//    which blocks in turn until its pods are Ready at 40. a ends at 100, b at 130.
TEST(GangBlockAdmissionTest, AdmitsTheSecondGangOnlyAtTheFirstsPodsReady) {
  GangWorkload w{.name = "block-admission", .cluster = Nodes(1, 4)};
  w.jobs = {SlowStarter("a", 2, 100, 30), SlowStarter("b", 2, 100, 10)};

  GangReplayOptions free = Blocking(300, std::nullopt);
  free.lifecycle.wait_for_pods_ready.block_admission = false;
  auto r = ReplayGangs(w, free);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->jobs[0].start_s, 0);
  EXPECT_EQ(r->jobs[1].start_s, 0);
  EXPECT_EQ(r->jobs[0].ready_s, 30);
  EXPECT_EQ(r->jobs[1].ready_s, 10);
  EXPECT_EQ(r->event_counts[static_cast<size_t>(kBlocked)], 0);
  EXPECT_EQ(r->admissions_held, 0);

  r = ReplayGangs(w, Blocking(300, std::nullopt));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(AdmissionLog(*r), (std::vector<Step>{{0, kStart, 0},
                                                 {0, kBlocked, 0},
                                                 {30, kUnblocked, 0},
                                                 {30, kStart, 1},
                                                 {30, kBlocked, 1},
                                                 {40, kUnblocked, 1},
                                                 {100, kEnd, 0},
                                                 {130, kEnd, 1}}));
  EXPECT_EQ(r->jobs[1].start_s, 30);
  EXPECT_EQ(r->jobs[1].ready_s, 40);
  EXPECT_EQ(r->jobs[1].end_s, 130);
  EXPECT_EQ(r->event_counts[static_cast<size_t>(kBlocked)], 2);
  EXPECT_EQ(r->event_counts[static_cast<size_t>(kUnblocked)], 2);
  EXPECT_EQ(r->admissions_held, 1);  // b in the pass at 0
  EXPECT_EQ(r->completed, 2);
  EXPECT_TRUE(InOrder(TextsOf(*r, 1), {"30 Admitted", "40 PodsReady"}));
}

// The same two gangs, but a's pods would need 500 s to become Ready: timeout 300,
// backoffLimitCount 1, backoff base 60 s.
//    0  a admitted, blocks; b held
//  300  a times out: evicted (requeue n=1 at 360), which unblocks; b admitted, blocks
//  310  b PodsReady: unblocked
//  360  a admitted again, blocks
//  400  b ends
//  660  a times out again: n=2 > backoffLimitCount 1, deactivated, which unblocks.
TEST(GangBlockAdmissionTest, AnEvictionByTheTimeoutLetsTheNextOneIn) {
  GangWorkload w{.name = "block-admission-timeout", .cluster = Nodes(1, 4)};
  w.jobs = {SlowStarter("a", 2, 1000, 500), SlowStarter("b", 2, 100, 10)};
  auto r = ReplayGangs(w, Blocking(300, 1));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(AdmissionLog(*r), (std::vector<Step>{{0, kStart, 0},
                                                 {0, kBlocked, 0},
                                                 {300, kUnblocked, 0},
                                                 {300, kStart, 1},
                                                 {300, kBlocked, 1},
                                                 {310, kUnblocked, 1},
                                                 {360, kStart, 0},
                                                 {360, kBlocked, 0},
                                                 {400, kEnd, 1},
                                                 {660, kUnblocked, 0}}));
  EXPECT_TRUE(InOrder(TextsOf(*r, 0), {"0 Admitted", "300 Evicted n=1 at=360", "360 Admitted",
                                       "660 Deactivated requeues=1"}));
  EXPECT_TRUE(r->jobs[0].deactivated);
  EXPECT_EQ(r->evictions, 1);
  EXPECT_EQ(r->jobs[1].start_s, 300);
  EXPECT_EQ(r->admissions_held, 1);

  // blockAdmission is part of waitForPodsReady.
  GangReplayOptions off = Blocking(300, 1);
  off.lifecycle.wait_for_pods_ready.enable = false;
  auto bad = ReplayGangs(w, off);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("blockAdmission needs waitForPodsReady.enable"),
            std::string::npos)
      << bad.error().message();
}

// A workload that loses PodsReady blocks admission again until it recovers (Kueue sets
// PodsReady=False while it waits for recovery). a (2 pods, Ready 10 s after placement,
// failurePolicy {maxRestarts 1}) arrives at 0; b (the same, no failure policy) at 25.
//    0  a admitted, blocks        10  a PodsReady, unblocks
//   20  a's pod 0 fails: RestartJobSet; a is admitted but not PodsReady: blocks again; its
//       new pods are placed at once
//   25  b arrives and is held     30  a PodsReady again: unblocks; b admitted, blocks
//   40  b PodsReady              120  a ends (100 s from 20)   130  b ends
TEST(GangBlockAdmissionTest, AWorkloadRecoveringFromAFailureBlocksAgain) {
  GangJobSet jobset;
  jobset.spec.replicated_jobs = {Rj("main", 1, 2)};
  jobset.spec.failure_policy = FailurePolicySpec{.max_restarts = 1};
  jobset.timing = {GangPodTiming{.startup_s = 10}};
  GangWorkload w{.name = "block-admission-recovery", .cluster = Nodes(1, 4)};
  w.jobs = {JobSetJob("a", 2, 0, 100, jobset), SlowStarter("b", 2, 100, 10)};
  w.jobs[1].arrival_s = 25;
  GangReplayOptions options = Blocking(300, std::nullopt);
  options.lifecycle.injected = {{.job = 0, .pod = 0, .run = 0, .after_s = 20}};
  auto r = ReplayGangs(w, options);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(AdmissionLog(*r), (std::vector<Step>{{0, kStart, 0},
                                                 {0, kBlocked, 0},
                                                 {10, kUnblocked, 0},
                                                 {20, kBlocked, 0},
                                                 {20, kStart, 0},
                                                 {30, kUnblocked, 0},
                                                 {30, kStart, 1},
                                                 {30, kBlocked, 1},
                                                 {40, kUnblocked, 1},
                                                 {120, kEnd, 0},
                                                 {130, kEnd, 1}}));
  EXPECT_TRUE(InOrder(TextsOf(*r, 0), {"10 PodsReady", "20 JobSetRestarted main-0 rule=default counted",
                                       "20 PodsNotReady", "30 PodsReady"}));
  EXPECT_EQ(r->admissions_held, 1);  // b in the pass at 25
}

// On the experiment's scenario: blockAdmission with start-up delays holds admissions (and
// logs a block per admitted workload that was not Ready at once); the counts add up.
TEST(BackfillExperimentTest, BlockAdmissionHoldsAdmissionsAndCountsItsTransitions) {
  BackfillConfig config;
  config.policies = {"backfill"};
  config.seeds = {42};
  config.check = true;
  config.wait_for_pods_ready_s = 1800;
  config.pod_startup_max_s = 60;
  auto open = RunBackfillExperiment(config);
  ASSERT_TRUE(open.ok()) << open.error().ToString();
  config.block_admission = true;
  auto blocked = RunBackfillExperiment(config);
  ASSERT_TRUE(blocked.ok()) << blocked.error().ToString();
  const BackfillRun& o = open->runs[0];
  const BackfillRun& b = blocked->runs[0];
  EXPECT_EQ(o.event_counts[static_cast<size_t>(kBlocked)], 0);
  EXPECT_EQ(o.admissions_held, 0);
  EXPECT_GT(b.event_counts[static_cast<size_t>(kBlocked)], 0);
  EXPECT_EQ(b.event_counts[static_cast<size_t>(kBlocked)],
            b.event_counts[static_cast<size_t>(kUnblocked)]);
  EXPECT_GT(b.admissions_held, 0);
  EXPECT_EQ(b.completed, b.jobs);
  // Every admission (kAdmitted) that was not PodsReady at once blocked; none blocked twice.
  EXPECT_LE(b.event_counts[static_cast<size_t>(kBlocked)],
            b.lifecycle_counts[static_cast<size_t>(EventKind::kAdmitted)]);
  EXPECT_TRUE(blocked->block_admission);
  config.wait_for_pods_ready_s = 0;
  EXPECT_FALSE(RunBackfillExperiment(config).ok());
}

// Why the backfill guarantee does not hold with dependsOn stages (docs/backfill.md, "Stages
// and the guarantee"): a pod that runs until its JobSet ends (a leader) is planned to end at
// its placement + the job's declared runtime, or a second from now once it is past that, but
// it really ends when its later stages do, which wait for nodes. 2 nodes x 8 GPUs:
//  x  1 pod, 0-50 on node 0 (declared 50).
//  L  leader (runs until the JobSet ends) + workers (1 pod, dependsOn {leader, Ready}, 20 s);
//     success on the workers; declared 40. Arrives at 1: the leader takes node 1; the workers
//     queue (key 1) and wait.
//  j  1 pod, 10 s, arrives at 2, behind L's workers.
// At 50 x ends and the workers take node 0. j is now the head: the leader is planned to end
// at max(1 + 40, 50 + 1) = 51, so j's first head reservation is T = 51 on node 1. But the
// leader leaves only when the workers succeed at 70: j starts at 70, 19 s after T.
TEST(GangReplayStagesTest, ALeaderRunningPastItsPlannedEndDelaysTheReservedHead) {
  GangJobSet jobset;
  jobset.spec.replicated_jobs = {Rj("leader", 1, 1),
                                 Rj("workers", 1, 1, DependsOnSpec{.name = "leader"})};
  jobset.spec.success_policy = {.op = SuccessOperator::kAll, .target_replicated_jobs = {"workers"}};
  jobset.timing = {GangPodTiming{.run_s = kUntilJobSetEnds}, GangPodTiming{}};
  GangWorkload w{.name = "stages", .cluster = Nodes(1, 2)};
  w.jobs = {Job("x", 1, 8, 0, 50, 50), JobSetJob("L", 2, 1, 20, jobset), Job("j", 1, 8, 2, 10, 10)};
  auto r = ReplayGangs(w, Driven({}, GangPolicy::kBackfill));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(StagesOf(*r, 1), (std::vector<std::pair<int64_t, int32_t>>{{1, 1}, {50, 1}}));
  EXPECT_EQ(r->jobs[1].end_s, 70);
  EXPECT_EQ(r->jobs[2].head_reservation_s, 51);
  EXPECT_EQ(r->jobs[2].start_s, 70);
  EXPECT_EQ(r->completed, 3);
}

}  // namespace
}  // namespace tessera::sim
