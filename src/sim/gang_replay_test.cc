#include "sim/gang_replay.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <numeric>

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

}  // namespace
}  // namespace tessera::sim
