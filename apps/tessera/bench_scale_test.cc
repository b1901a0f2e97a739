// The scale replay of `tessera bench` on a tiny shape (64 nodes, 512 GPUs, 5,000 pods): the
// same seed gives the same decisions, the cluster sits near 90% full of GPU once warm, gangs
// are placed whole or not at all, and the engine's invariants (no device, capacity or node
// resource over-allocated) hold throughout and after every pod left.
#include "bench_scale.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tessera::cli {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// 64 nodes in racks of 8 and blocks of 4 racks (2 blocks, 512 GPUs); gangs of at most 32
// GPUs (an eighth of a block, as scale-10k's 128 GPUs are a sixteenth of one).
ScaleShape Tiny() {
  ScaleShape shape = Scale1k();
  shape.nodes = 64;
  shape.nodes_per_rack = 8;
  shape.racks_per_block = 4;
  shape.pods = 5'000;
  shape.gang_kinds = {{.pods = 2, .gpus_per_pod = 8},
                      {.pods = 4, .gpus_per_pod = 4},
                      {.pods = 8, .gpus_per_pod = 4, .required_block = true},
                      {.pods = 16, .gpus_per_pod = 2, .required_block = true},
                      {.pods = 32, .gpus_per_pod = 1, .required_block = true}};
  shape.check_every = 250;
  return shape;
}

TEST(BenchScaleTest, TinyReplayIsDeterministic) {
  const ScaleRun a = RunScale(Tiny(), Now, Now);
  const ScaleRun b = RunScale(Tiny(), Now, Now);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.decisions, b.decisions);
  EXPECT_EQ(a.placed_pods, b.placed_pods);
  EXPECT_EQ(a.dropped_pods, b.dropped_pods);
  EXPECT_EQ(a.occupancy_mean, b.occupancy_mean);
  ScaleShape other = Tiny();
  other.seed += 1;
  EXPECT_NE(RunScale(other, Now, Now).fingerprint, a.fingerprint);
}

TEST(BenchScaleTest, TinyReplayStaysAboutNinetyPercentFullWithInvariantsHeld) {
  const ScaleRun run = RunScale(Tiny(), Now, Now);
  EXPECT_EQ(run.check_error, "");
  EXPECT_GT(run.checks, 10);
  EXPECT_EQ(run.nodes, 64);
  EXPECT_EQ(run.gpus, 512);
  EXPECT_EQ(run.pods, 5'000);
  // 60% fractional, 35% whole GPUs, 5% in gangs of 2 to 32 pods (the last gang may be cut
  // to fit the 250 gang pods): a few dozen gangs, most of them placed.
  EXPECT_EQ(run.gang_pods, 250);
  EXPECT_EQ(run.fractional_pods + run.whole_pods, 4'750);
  EXPECT_NEAR(static_cast<double>(run.fractional_pods) / 4'750, 60.0 / 95, 0.03);
  EXPECT_GT(run.gangs, 10);
  EXPECT_GT(run.placed_gangs, run.gangs / 2);
  // Every arrival and every retry is one timed decision. Near 90% full some do not fit at
  // once: they wait, are retried as GPUs free up, and a few are dropped.
  EXPECT_EQ(static_cast<int64_t>(run.decision_seconds.size()), run.decisions);
  EXPECT_EQ(static_cast<int64_t>(run.gang_decision_seconds.size()), run.gang_decisions);
  EXPECT_EQ(run.decisions - run.retries, run.gangs + run.fractional_pods + run.whole_pods);
  EXPECT_GT(run.retries, 0);
  EXPECT_GE(run.occupancy_mean, 0.80) << "steady state occupancy";
  EXPECT_LE(run.occupancy_mean, 0.95) << "steady state occupancy";
  EXPECT_LE(run.occupancy_max, 1.0);
  // Nearly every pod runs; what waits too long is dropped and counted.
  EXPECT_GE(run.placed_pods, run.pods * 9 / 10);
  // The checks drain the cluster at the end: every placed pod was released once.
  EXPECT_EQ(run.releases, run.placed_pods);
}

}  // namespace
}  // namespace tessera::cli
