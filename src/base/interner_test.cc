#include "base/interner.h"

#include <gtest/gtest.h>

namespace tessera {
namespace {

TEST(InternerTest, AssignsDenseIdsInFirstSeenOrder) {
  Interner interner;
  EXPECT_EQ(interner.Intern("gpu"), 0u);
  EXPECT_EQ(interner.Intern("cpu"), 1u);
  EXPECT_EQ(interner.Intern("gpu"), 0u);
  EXPECT_EQ(interner.size(), 2u);
  EXPECT_EQ(interner.Name(1), "cpu");
  EXPECT_EQ(interner.Find("cpu"), 1u);
  EXPECT_FALSE(interner.Find("memory").has_value());
}

}  // namespace
}  // namespace tessera
