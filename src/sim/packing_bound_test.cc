#include "sim/packing_bound.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace tessera::sim {
namespace {

// The fewest GPUs that hold `shares`, by trying every assignment (small inputs only).
int64_t OptimalGpus(std::vector<int32_t> shares) {
  std::sort(shares.begin(), shares.end(), std::greater<>());
  int64_t best = static_cast<int64_t>(shares.size());
  std::vector<int32_t> used;
  std::function<void(size_t)> place = [&](size_t next) {
    if (static_cast<int64_t>(used.size()) >= best) return;
    if (next == shares.size()) {
      best = static_cast<int64_t>(used.size());
      return;
    }
    for (size_t g = 0; g < used.size(); ++g) {
      if (used[g] + shares[next] > 1000) continue;
      used[g] += shares[next];
      place(next + 1);
      used[g] -= shares[next];
    }
    used.push_back(shares[next]);
    place(next + 1);
    used.pop_back();
  };
  place(0);
  return best;
}

TEST(PackingBoundTest, NoSharesNeedNoGpu) {
  EXPECT_EQ(MinGpusLowerBound({}), 0);
  EXPECT_EQ(BestFitDecreasingGpus({}), 0);
}

TEST(PackingBoundTest, SharesThatFillGpusExactlyNeedTheirVolume) {
  const std::vector<int32_t> quarters(8, 250);
  EXPECT_EQ(MinGpusLowerBound(quarters), 2);
  EXPECT_EQ(BestFitDecreasingGpus(quarters), 2);
  const std::vector<int32_t> mixed = {700, 300, 650, 350, 500, 500};
  EXPECT_EQ(MinGpusLowerBound(mixed), 3);
  EXPECT_EQ(BestFitDecreasingGpus(mixed), 3);
}

// Ten shares of 340: volume says 4 GPUs, but no GPU holds three of them, so 5.
TEST(PackingBoundTest, SeesThatNoGpuHoldsThreeSharesOf340) {
  const std::vector<int32_t> shares(10, 340);
  EXPECT_EQ(MinGpusLowerBound(shares), 5);
  EXPECT_EQ(BestFitDecreasingGpus(shares), 5);
}

// The openb shape in miniature: an 810 share leaves 190 that only tiny shares can use, and
// two 470s leave 60. Ten 810s, one 160, ten 470s: 10 + 5 GPUs (volume says 13).
TEST(PackingBoundTest, CountsTheGpuLeftOverBy810SharesAndPairsOf470) {
  std::vector<int32_t> shares(10, 810);
  shares.push_back(160);
  shares.insert(shares.end(), 10, 470);
  EXPECT_EQ(MinGpusLowerBound(shares), 15);
  EXPECT_EQ(BestFitDecreasingGpus(shares), 15);
}

TEST(PackingBoundTest, SharesOfOneMilliUseASmallUnitWithoutTrouble) {
  std::vector<int32_t> shares(2500, 1);
  shares.push_back(999);
  shares.push_back(999);
  EXPECT_EQ(MinGpusLowerBound(shares), 5);  // volume 4.498; the 999s hold 2 milli in all
  EXPECT_EQ(BestFitDecreasingGpus(shares), 5);
}

// On 400 random small inputs the bound never exceeds the true optimum (found by trying
// every assignment), never falls below the volume bound, and best-fit decreasing never
// beats the optimum.
TEST(PackingBoundTest, NeverAboveTheOptimumOnRandomSmallInputs) {
  std::mt19937 rng(7);
  const std::vector<int32_t> menu = {50, 110, 160, 230, 320, 340, 470, 510, 650, 810};
  int64_t tighter_than_volume = 0;
  for (int round = 0; round < 400; ++round) {
    const auto n = std::uniform_int_distribution<size_t>(1, 9)(rng);
    std::vector<int32_t> shares;
    int64_t volume = 0;
    for (size_t i = 0; i < n; ++i) {
      const bool any = std::uniform_int_distribution<int>(0, 3)(rng) == 0;
      const int32_t s = any ? std::uniform_int_distribution<int32_t>(1, 999)(rng)
                            : menu[std::uniform_int_distribution<size_t>(0, menu.size() - 1)(rng)];
      shares.push_back(s);
      volume += s;
    }
    const int64_t bound = MinGpusLowerBound(shares);
    const int64_t optimum = OptimalGpus(shares);
    EXPECT_LE(bound, optimum) << "round " << round;
    EXPECT_GE(bound, (volume + 999) / 1000) << "round " << round;
    EXPECT_GE(BestFitDecreasingGpus(shares), optimum) << "round " << round;
    tighter_than_volume += bound > (volume + 999) / 1000 ? 1 : 0;
  }
  EXPECT_GT(tighter_than_volume, 40);  // the LP bound earns its keep over the volume bound
}

// Large random inputs: the bound stays at or below an achievable packing and close to it.
TEST(PackingBoundTest, WithinAFewGpusOfBestFitDecreasingOnLargeInputs) {
  std::mt19937 rng(11);
  for (int round = 0; round < 8; ++round) {
    std::vector<int32_t> shares;
    for (int i = 0; i < 2000; ++i) {
      shares.push_back(10 * std::uniform_int_distribution<int32_t>(1, 99)(rng));
    }
    const int64_t bound = MinGpusLowerBound(shares);
    const int64_t bfd = BestFitDecreasingGpus(shares);
    EXPECT_LE(bound, bfd) << "round " << round;
    EXPECT_GE(bound, bfd - bfd / 50) << "round " << round;
  }
}

model::TraceTask Share(int32_t milli) { return {.name = "t", .num_gpu = 1, .gpu_milli = milli}; }
model::TraceTask Whole(int32_t gpus) { return {.name = "t", .num_gpu = gpus, .gpu_milli = 1000}; }

// Four GPUs. After 600, 600, one whole GPU, another, and 800 the arrived demand is exactly
// 100%: the shares need three GPUs (no two fit together), holding 2000 milli, so a run that
// places them all leaves at least 1000 milli (25%) unallocated. A run may do better by
// dropping a 600: two GPUs hold 1400 and the whole tasks get the other two, 600 milli
// (15%) unallocated. A 10-milli share brings arrived to 100.25% (still rounds to 100) and
// fits beside any share: 990 (24.75%) and 590 (14.75%). The next task passes 100.5%.
TEST(PackingBoundTest, FloorAveragesTheSamplesThatRoundToTheArrivedPercent) {
  const std::vector<model::TraceTask> order = {Share(600), Share(600), Whole(1), Whole(1),
                                               Share(800), Share(10),  Share(500)};
  const PackingFloor floor = UnallocatedFloor(order, 4000);
  EXPECT_DOUBLE_EQ(floor.every_share_placed_pct, (25 + 24.75) / 2);
  EXPECT_DOUBLE_EQ(floor.best_fit_decreasing_pct, (25 + 24.75) / 2);
  EXPECT_NEAR(floor.any_run_pct, (15 + 14.75) / 2, 1e-9);
  // At 30%, after the second 600: two GPUs for 1200 milli, 800 left over (20%); but 2800
  // milli has not arrived, so every figure is 70%.
  const PackingFloor early = UnallocatedFloor(order, 4000, 30);
  EXPECT_DOUBLE_EQ(early.every_share_placed_pct, 70);
  EXPECT_DOUBLE_EQ(early.best_fit_decreasing_pct, 70);
  EXPECT_NEAR(early.any_run_pct, 70, 1e-9);
}

// Five GPUs, five shares of 600 arrive (60%) and nothing else: all fit, one per GPU.
// Seven shares of 600 on five GPUs: no run places them all, so that figure is NaN.
TEST(PackingBoundTest, EveryShareFigureOnlyWhenTheSharesCanAllBePlaced) {
  std::vector<model::TraceTask> order(5, Share(600));
  EXPECT_DOUBLE_EQ(UnallocatedFloor(order, 5000, 60).every_share_placed_pct, 40);
  order.assign(7, Share(600));  // 84%
  const PackingFloor over = UnallocatedFloor(order, 5000, 84);
  EXPECT_TRUE(std::isnan(over.every_share_placed_pct));
  EXPECT_TRUE(std::isnan(over.best_fit_decreasing_pct));
  // Any run: at best the five that fit, leaving 2000 milli (40%); the bound finds that.
  EXPECT_NEAR(over.any_run_pct, 40, 1e-9);
}

// Every size from 1 to 999 milli, and an order whose arrived = 100% bucket holds several
// hundred samples: the LP sees at most 64 size classes (a coarser grid) and is solved at
// most 128 times per bucket, so this stays quick; the figures stay consistent.
TEST(PackingBoundTest, ManySizesAndSamplesStayCheap) {
  std::mt19937 rng(3);
  std::vector<int32_t> shares;
  std::vector<model::TraceTask> order;
  int64_t arrived = 0;
  for (int i = 0; i < 20'000; ++i) {
    const bool share = i % 3 != 0;
    const int32_t milli = share ? std::uniform_int_distribution<int32_t>(1, 999)(rng) : 1000;
    if (share) shares.push_back(milli);
    order.push_back(share ? Share(milli) : Whole(1));
    arrived += milli;
  }
  const int64_t bound = MinGpusLowerBound(shares);
  int64_t volume = 0;
  for (int32_t s : shares) volume += s;
  EXPECT_GE(bound, (volume + 999) / 1000);
  EXPECT_LE(bound, BestFitDecreasingGpus(shares));
  // Capacity: what arrives in all but the last 2% of the order, so the 100% bucket spans
  // about 1% of the tasks (~300 samples).
  const int64_t capacity = arrived / 1000 * 1000 * 100 / 102 / 1000 * 1000;
  const PackingFloor floor = UnallocatedFloor(order, capacity);
  ASSERT_FALSE(std::isnan(floor.any_run_pct));
  EXPECT_GE(floor.any_run_pct, 0);
  EXPECT_LE(floor.any_run_pct, floor.every_share_placed_pct + 1e-9);
  EXPECT_LE(floor.every_share_placed_pct, floor.best_fit_decreasing_pct + 0.05);
}

TEST(PackingBoundTest, NoFloorWhenNoSampleRoundsToThePercent) {
  const std::vector<model::TraceTask> order = {Share(500), Whole(1)};
  EXPECT_TRUE(std::isnan(UnallocatedFloor(order, 4000).any_run_pct));      // ends at 37.5%
  EXPECT_TRUE(std::isnan(UnallocatedFloor(order, 4000, 20).any_run_pct));  // 12.5 then 37.5
  EXPECT_TRUE(std::isnan(UnallocatedFloor(order, 0).any_run_pct));
}

}  // namespace
}  // namespace tessera::sim
