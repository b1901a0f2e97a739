// Checks that steady-state evaluation allocates nothing. Replaces the global operator new for
// the whole test binary; it only counts while g_counting is on, inside the measured region.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "dra/cel/cel.h"
#include "dra/cel/cel_test_fixture.h"
#include "dra/cel/selector_cache.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

// The whole unaligned family is replaced so that every pair matches (sanitizers check that
// memory from one family is not released by another). noinline keeps GCC from pairing the
// inlined malloc/free with new/delete expressions and reporting -Wmismatched-new-delete.
namespace {
void* CountedAlloc(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
[[gnu::noinline]] void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace tessera::dra::cel {
namespace {

using testing::BuildCelFixture;
using testing::FixtureDevice;

long CountAllocations(const Program& program, const model::Snapshot& snapshot,
                      model::DeviceId device, EvalScratch& scratch, bool expected) {
  // Warm up: the scratch grows to its working size.
  for (int k = 0; k < 10; ++k) EXPECT_EQ(*Evaluate(program, snapshot, device, scratch), expected);
  g_allocations = 0;
  g_counting = true;
  bool all_ok = true;
  for (int k = 0; k < 10000; ++k) {
    Result<bool> r = Evaluate(program, snapshot, device, scratch);
    all_ok = all_ok && r.ok() && *r == expected;
  }
  g_counting = false;
  EXPECT_TRUE(all_ok);
  return g_allocations.load();
}

TEST(CelAllocationTest, SteadyStateEvaluationAllocatesNothing) {
  model::Snapshot snapshot = BuildCelFixture();
  EvalScratch scratch;
  const char* selectors[] = {
      "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'",
      "device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('10Gi')) >= 0 && "
      "device.attributes['gpu.nvidia.com'].cudaComputeCapability.isGreaterThan(semver('7.0.0'))",
      "device.attributes['gpu.nvidia.com'].productName.lowerAscii().matches('^.*a100.*$') && "
      "device.attributes['gpu.nvidia.com'].index in [0, 2, 4, 6]",
      "device.attributes['gpu.nvidia.com'].exists(k, k == 'index') && "
      "[1, 2, 3].map(x, x * 2).size() == 3 && device.driver + '/x' != ''",
  };
  model::DeviceId gpu0 = FixtureDevice(snapshot, "gpu-0");
  for (const char* selector : selectors) {
    Result<Program> program = Compile(selector, snapshot);
    ASSERT_TRUE(program.ok()) << program.error().message();
    EXPECT_EQ(CountAllocations(*program, snapshot, gpu0, scratch, true), 0) << selector;
  }
}

TEST(CelAllocationTest, CountingIsOnlyActiveInsideTheMeasuredRegion) {
  g_allocations = 0;
  g_counting = true;
  auto* p = new int(1);
  g_counting = false;
  delete p;
  EXPECT_EQ(g_allocations.load(), 1);
}

TEST(CelAllocationTest, CachedLookupsAllocateNothing) {
  model::Snapshot snapshot = BuildCelFixture();
  SelectorCache cache(snapshot);
  EvalScratch scratch;
  Result<SelectorId> id = cache.Add("device.driver == 'gpu.nvidia.com'");
  ASSERT_TRUE(id.ok());
  for (size_t d = 0; d < snapshot.devices().size(); ++d) {
    ASSERT_TRUE(cache.Matches(*id, model::DeviceId::FromIndex(d), scratch).ok());
  }
  g_allocations = 0;
  g_counting = true;
  int hits = 0;
  for (int k = 0; k < 10000; ++k) {
    Result<bool> r = cache.Matches(*id, model::DeviceId::FromIndex(k % 7), scratch);
    hits += (r.ok() && *r) ? 1 : 0;
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_GT(hits, 0);
}

}  // namespace
}  // namespace tessera::dra::cel
