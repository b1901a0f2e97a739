#include "base/status.h"

#include <gtest/gtest.h>

#include "base/check.h"

namespace tessera {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgument("must be > 0").UnderField("count");
  return v;
}

Result<int> Doubled(int v) {
  TESSERA_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}

Status CheckBoth(int a, int b) {
  TESSERA_RETURN_IF_ERROR(ParsePositive(a));
  TESSERA_RETURN_IF_ERROR(ParsePositive(b));
  return OkStatus();
}

TEST(StatusTest, ErrorPrintsEveryLocationPartPresent) {
  Error e = InvalidArgument("must be >= 1");
  e.UnderField("count").UnderField("[1]").UnderField("spec.devices.requests");
  e.WithObject("ResourceClaim", "team-a/train-0").WithFile("cluster.yaml");
  EXPECT_EQ(e.ToString(),
            "cluster.yaml: ResourceClaim team-a/train-0: spec.devices.requests[1].count: "
            "must be >= 1");
}

TEST(StatusTest, InnermostLocationWins) {
  Error e = NotFound("no such node");
  e.WithFile("a.yaml").WithFile("b.yaml").WithObject("Pod", "x").WithObject("Node", "y");
  EXPECT_EQ(e.ToString(), "a.yaml: Pod x: no such node");
}

TEST(StatusTest, MessageAloneWhenNoLocation) {
  EXPECT_EQ(IoError("cannot read").ToString(), "cannot read");
}

TEST(StatusTest, MacrosPropagateValuesAndErrors) {
  auto ok = Doubled(21);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  auto bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(), "count: must be > 0");
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  Status s = CheckBoth(1, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
}

TEST(CheckDeathTest, FailedCheckAbortsWithContext) {
  EXPECT_DEATH({ TESSERA_CHECK(1 + 1 == 3) << "arithmetic is " << "broken"; },
               "check failed: 1 \\+ 1 == 3 arithmetic is broken");
}

}  // namespace
}  // namespace tessera
