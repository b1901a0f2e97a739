#include "sim/admission_loop.h"

#include <gtest/gtest.h>

#include <vector>

#include "admission/queue_model.h"
#include "model/queue_specs.h"

namespace tessera::sim {
namespace {

// The loop's events, in order.
class Log final : public LoopListener {
 public:
  void Departed(uint32_t w, int64_t now) override { departed.push_back({w, now}); }
  void CycleStarting(int64_t now) override { cycles.push_back(now); }
  void Admitted(uint32_t w, const admission::AdmissionDecision&, int64_t now) override {
    admitted.push_back({w, now});
  }
  std::vector<int64_t> cycles;
  std::vector<std::pair<uint32_t, int64_t>> admitted, departed;
};

// The worked example of admission_loop.h: a queue with room for two workloads of 1 cpu.
TEST(AdmissionLoopTest, RunsCyclesOnTheGridWhenSomethingChanged) {
  model::QueueObjects o;
  o.flavors.push_back({.name = "default"});
  model::ClusterQueueSpec cq{.name = "q"};
  cq.namespace_selector = model::LabelSelectorSpec{};
  cq.resource_groups = {
      {.covered_resources = {"cpu"},
       .flavors = {{"default", {{.name = "cpu", .nominal_quota = Quantity(2)}}}}}};
  o.cluster_queues.push_back(cq);
  auto model = admission::QueueModel::Build(o);
  ASSERT_TRUE(model.ok()) << model.error().ToString();
  const admission::ResourceId cpu = model->FindResource("cpu");
  std::vector<LoopWorkload> w(3);
  const int64_t arrival[3] = {3, 25, 26}, runtime[3] = {21, 100, 100};
  for (size_t i = 0; i < 3; ++i) {
    w[i].arrival = arrival[i];
    w[i].runtime = runtime[i];
    w[i].spec = {.name = "w" + std::to_string(i),
                 .cluster_queue = admission::ClusterQueueId::FromIndex(0),
                 .creation_unix_seconds = arrival[i],
                 .pod_sets = {{.name = "main", .count = 1, .per_pod = {{cpu, 1}}}}};
  }
  admission::Admitter admitter(*model);
  AdmissionLoop loop(admitter, w, /*cycle=*/10);
  admission::AlwaysPlace oracle;
  Log log;
  const LoopStats stats = loop.Run(oracle, log);
  EXPECT_EQ(log.cycles, (std::vector<int64_t>{10, 30, 40}));
  using P = std::pair<uint32_t, int64_t>;
  EXPECT_EQ(log.admitted, (std::vector<P>{{0, 10}, {1, 30}, {2, 40}}));
  // A leaves at 31 (seen at 40), B at 130, C at 140.
  EXPECT_EQ(log.departed, (std::vector<P>{{0, 40}, {1, 130}, {2, 140}}));
  EXPECT_EQ(stats.cycles, 3);
  EXPECT_EQ(stats.admissions, 3);
  EXPECT_EQ(stats.departed, 3);
  EXPECT_EQ(stats.never_admitted, 0);
  EXPECT_EQ(stats.first_arrival, 3);
  EXPECT_EQ(stats.last_departure, 140);
  EXPECT_EQ(admitter.state().usage_for_test(),
            std::vector<int64_t>(admitter.state().usage_for_test().size(), 0));
}

}  // namespace
}  // namespace tessera::sim
