// Heap allocations in steady state (issue #7): after warm-up, a batch of decisions — a pod
// leaves, a pending pod is placed, its DRA claim allocated on a shared GPU — must not touch
// the heap. This binary replaces the global operator new to count every allocation made
// while `g_counting` is on; gtest itself runs with it off.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

#include "engine/engine.h"
#include "sim/cluster.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};

void* Allocate(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* AllocateAligned(std::size_t size, std::align_val_t align) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  const auto a = static_cast<std::size_t>(align);
  if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return Allocate(size); }
void* operator new[](std::size_t size) { return Allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t align) { return AllocateAligned(size, align); }
void* operator new[](std::size_t size, std::align_val_t align) {
  return AllocateAligned(size, align);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace tessera {
namespace {

class CountAllocations {
 public:
  CountAllocations() {
    g_allocations = 0;
    g_counting = true;
  }
  ~CountAllocations() { g_counting = false; }
  uint64_t count() const { return g_allocations.load(); }
};

// 32 nodes x 8 GPUs (DRA devices, shareable) and 2,000 tasks: half a GPU, a quarter, one
// or two whole GPUs, and CPU-only. The engine sees them as pods with claims from templates.
std::unique_ptr<sim::World> MakeWorld() {
  std::vector<model::TraceNode> nodes;
  for (int n = 0; n < 32; ++n) {
    nodes.push_back({.name = "node-" + std::to_string(n),
                     .cpu_milli = 96'000,
                     .memory_mib = 786'432,
                     .gpus = 8,
                     .gpu_model = n % 2 == 0 ? "A100" : "V100M32"});
  }
  std::vector<model::TraceTask> tasks;
  for (int t = 0; t < 2000; ++t) {
    model::TraceTask task{.name = "task-" + std::to_string(t), .cpu_milli = 4000, .memory_mib = 8192};
    switch (t % 5) {
      case 0: task.num_gpu = 1; task.gpu_milli = 500; break;
      case 1: task.num_gpu = 1; task.gpu_milli = 250; break;
      case 2: task.num_gpu = 1; task.gpu_milli = 1000; break;
      case 3: task.num_gpu = 2; task.gpu_milli = 1000; break;
      default: break;
    }
    tasks.push_back(std::move(task));
  }
  auto world = sim::World::Build(nodes, tasks);
  EXPECT_TRUE(world.ok()) << world.error().ToString();
  return std::move(*world);
}

// Places the first `fill` pods (every pod: the cluster ends full), warms up, then counts
// the heap allocations of 10,000 leave-and-return decisions.
void ExpectNoAllocations(size_t fill, size_t min_placed) {
  std::unique_ptr<sim::World> world = MakeWorld();
  const model::Snapshot& s = world->snapshot();
  auto created = engine::Engine::Create(s, engine::Options{});
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  engine::Engine& e = **created;
  // Warm-up: fill the cluster (some pods do not fit), then one round of leave-and-return so
  // every buffer has reached its steady size.
  std::vector<model::PodId> placed;
  for (size_t p = 0; p < std::min(fill, s.num_pods()); ++p) {
    const model::Decision d = e.PlacePod(model::PodId::FromIndex(p));
    if (d.outcome == model::Outcome::kPlaced) placed.push_back(d.pod);
  }
  ASSERT_GE(placed.size(), min_placed);
  for (int round = 0; round < 4; ++round) {  // long enough for the row store to compact
    for (model::PodId pod : placed) {
      e.Release(pod);
      ASSERT_EQ(e.PlacePod(pod).outcome, model::Outcome::kPlaced);
    }
  }
  // Steady state: 10,000 decisions, each a pod leaving and coming back.
  uint64_t allocations = 0;
  uint64_t decisions = 0;
  {
    CountAllocations count;
    for (int round = 0; round < 10'000; ++round) {
      const model::PodId pod = placed[static_cast<size_t>(round) * 7919 % placed.size()];
      e.Release(pod);
      const model::Decision d = e.PlacePod(pod);
      decisions += d.outcome == model::Outcome::kPlaced ? 1 : 0;
    }
    allocations = count.count();
  }
  EXPECT_EQ(decisions, 10'000u);
  // Releases and compactions kept the device ledger equal to what the claims say.
  EXPECT_EQ(e.CheckInvariants(), "");
  EXPECT_EQ(allocations, 0u) << "heap allocations in 10,000 steady-state decisions";
}

TEST(SteadyStateAllocationTest, PlaceAndReleaseAllocateNothing) {
  // The cluster full (some pods do not fit): decisions are contended.
  ExpectNoAllocations(2000, 500);
}

// Three quarters full (250 pods, about 190 of 256 GPUs): shared GPUs at different fill
// levels, so the allocator orders candidates by packing key (a stable_sort there allocated
// a buffer on every call).
TEST(SteadyStateAllocationTest, PartlyFullClusterAllocatesNothing) {
  ExpectNoAllocations(250, 250);
}

}  // namespace
}  // namespace tessera
