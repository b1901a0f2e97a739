// A seeded random soak of at least 1,000,000 simulator decisions (placements and
// departures of shares, whole and multi-GPU tasks, model-constrained and CPU-only tasks)
// under every policy, with the invariant checker on after every decision: no device,
// capacity or node over-allocated, and the device ledger equal to what the claims hold.
// Label slow: about a minute in a release build (`make test-slow`).
#include <cstdio>

#include <gtest/gtest.h>

#include "sim/policies.h"
#include "sim/simulator.h"
#include "testing/random_trace.h"

namespace tessera {
namespace {

TEST(SoakTest, AMillionCheckedDecisions) {
  int64_t decisions = 0;
  for (uint64_t seed = 1; decisions < 1'000'000; ++seed) {
    model::Scenario trace = testing::RandomTrace(seed, /*nodes=*/200, /*tasks=*/6'000);
    sim::SimConfig c;
    c.nodes = std::move(trace.nodes);
    c.tasks = std::move(trace.tasks);
    c.policies.assign(sim::PolicyNames().begin(), sim::PolicyNames().end());
    c.seeds = {seed};
    c.threads = 2;
    c.check = true;
    c.experiment = seed % 2 == 0 ? sim::Experiment::kFill : sim::Experiment::kReplay;
    auto r = sim::Simulate(c);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    for (const sim::Run& run : r->runs) decisions += run.decisions;
  }
  std::printf("%lld decisions checked\n", static_cast<long long>(decisions));
}

}  // namespace
}  // namespace tessera
