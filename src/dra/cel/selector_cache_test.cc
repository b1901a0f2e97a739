#include "dra/cel/selector_cache.h"

#include <gtest/gtest.h>

#include "dra/cel/cel_test_fixture.h"

namespace tessera::dra::cel {
namespace {

using testing::BuildCelFixture;
using testing::FixtureDevice;

TEST(SelectorCacheTest, EvaluatesEachSelectorDevicePairOnce) {
  model::Snapshot snapshot = BuildCelFixture();
  SelectorCache cache(snapshot);
  EvalScratch scratch;
  Result<SelectorId> gpu = cache.Add(
      "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'");
  Result<SelectorId> mem =
      cache.Add("device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('40Gi')) >= 0");
  ASSERT_TRUE(gpu.ok() && mem.ok());
  // The same text compiles once.
  Result<SelectorId> again = cache.Add(
      "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *gpu);
  EXPECT_EQ(cache.num_selectors(), 2u);

  const size_t devices = snapshot.devices().size();
  ASSERT_EQ(devices, 7u);
  int matches = 0;
  int errors = 0;
  // Ask three times, as three nodes would; only the first pass evaluates.
  for (int pass = 0; pass < 3; ++pass) {
    for (SelectorId s : {*gpu, *mem}) {
      for (size_t d = 0; d < devices; ++d) {
        Result<bool> r = cache.Matches(s, model::DeviceId::FromIndex(d), scratch);
        if (pass == 0) {
          if (!r.ok()) ++errors;
          if (r.ok() && *r) ++matches;
        }
      }
    }
    EXPECT_EQ(cache.evaluations(), 2 * devices);
  }
  // gpu: gpu-0, gpu-1. mem: gpu-0 (40Gi), gpu-1 (80Gi); mig-0 is 4864Mi; the 4 devices of
  // other drivers have no gpu.nvidia.com memory: "no such key".
  EXPECT_EQ(matches, 4);
  EXPECT_EQ(errors, 4);
  EXPECT_EQ(cache.first_error(*gpu), nullptr);
  ASSERT_NE(cache.first_error(*mem), nullptr);
  EXPECT_EQ(cache.first_error(*mem)->message(), "no such key: memory");
  // A cached error is returned again with its message.
  Result<bool> cached = cache.Matches(*mem, FixtureDevice(snapshot, "ex-0"), scratch);
  ASSERT_FALSE(cached.ok());
  EXPECT_EQ(cached.error().message(), "no such key: memory");
  EXPECT_EQ(cache.evaluations(), 2 * devices);
}

TEST(SelectorCacheTest, CompileErrorsAreReturnedAndNothingIsAdded) {
  model::Snapshot snapshot = BuildCelFixture();
  SelectorCache cache(snapshot);
  Result<SelectorId> bad = cache.Add("device.driver == devce");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "column 18: undeclared reference to \"devce\"");
  EXPECT_EQ(cache.num_selectors(), 0u);
}

}  // namespace
}  // namespace tessera::dra::cel
