// KAI queues (scheduling.run.ai/v2 Queue) compiled into the quota forest, with hand-computed
// quotas, and admitted by the same Admitter as Kueue's ClusterQueues.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admission/admitter.h"
#include "admission/queue_model.h"

namespace tessera::admission {
namespace {

model::KaiQueueSpec Queue(std::string name, std::string parent, double gpu_quota,
                          double gpu_limit = -1, double gpu_weight = 1) {
  model::KaiQueueSpec q;
  q.name = std::move(name);
  q.source = "queues.yaml";
  q.parent = std::move(parent);
  q.resources.push_back({"gpu", gpu_quota, gpu_limit, gpu_weight});
  q.resources.push_back({"cpu", -1, -1, 1});
  q.resources.push_back({"memory", -1, -1, 1});
  return q;
}

// The department of examples/kai-queues: research (12 deserved GPUs, limit 14) over team-a
// (8, no limit) and team-b (4, limit 6), plus a top-level batch queue (0) on 16 GPUs,
// 128 cores and 1 TiB.
model::QueueObjects Department() {
  model::QueueObjects o;
  o.kai_queues = {Queue("research", "", 12, 14), Queue("team-a", "research", 8),
                  Queue("team-b", "research", 4, 6), Queue("batch", "", 0, -1, 2)};
  o.kai_cluster_capacity = {{"nvidia.com/gpu", 16}, {"cpu", 128'000}, {"memory", int64_t{1} << 40}};
  return o;
}

std::string BuildError(const model::QueueObjects& o) {
  Result<QueueModel> m = QueueModel::Build(o);
  EXPECT_FALSE(m.ok());
  return m.ok() ? "" : m.error().ToString();
}

TEST(KaiQueueModelTest, CompilesLeavesToClusterQueuesAndParentsToCohorts) {
  Result<QueueModel> m = QueueModel::Build(Department());
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  const ClusterQueueId a = m->FindKaiQueue("team-a");
  const ClusterQueueId b = m->FindKaiQueue("team-b");
  const ClusterQueueId batch = m->FindKaiQueue("batch");
  ASSERT_TRUE(a.valid() && b.valid() && batch.valid());
  EXPECT_FALSE(m->FindKaiQueue("research").valid());  // jobs go to leaf queues
  EXPECT_TRUE(m->IsKaiParentQueue("research"));
  EXPECT_FALSE(m->IsKaiParentQueue("team-a"));
  const QuotaNodeId research = m->FindCohort("research");
  const QuotaNodeId root = m->FindCohort(kKaiRootCohort);
  ASSERT_TRUE(research.valid() && root.valid());
  EXPECT_EQ(m->node(QueueModel::NodeOf(a)).parent, research);
  EXPECT_EQ(m->node(research).parent, root);
  EXPECT_EQ(m->node(QueueModel::NodeOf(batch)).parent, root);
  EXPECT_EQ(m->node(QueueModel::NodeOf(batch)).fair_sharing_weight, 2);  // gpu overQuotaWeight

  const FlavorResource gpu = m->Fr(m->FindFlavor(kKaiFlavor), m->FindResource("nvidia.com/gpu"));
  // quota -> nominal; limit -> nominal + borrowingLimit.
  EXPECT_EQ(m->nominal(QueueModel::NodeOf(a), gpu), 8);
  EXPECT_EQ(m->borrowing_limit(QueueModel::NodeOf(a), gpu), kNoLimit);
  EXPECT_EQ(m->nominal(QueueModel::NodeOf(b), gpu), 4);
  EXPECT_EQ(m->borrowing_limit(QueueModel::NodeOf(b), gpu), 2);  // limit 6 - quota 4
  // research deserves 12 and its children 8 + 4: no own quota left, subtree 12, limit 14.
  EXPECT_EQ(m->nominal(research, gpu), 0);
  EXPECT_EQ(m->subtree_quota(research, gpu), 12);
  EXPECT_EQ(m->borrowing_limit(research, gpu), 2);
  // The root holds the 16 - 12 - 0 GPUs no top-level quota claims.
  EXPECT_EQ(m->nominal(root, gpu), 4);
  EXPECT_EQ(m->subtree_quota(root, gpu), 16);
  // The most each could hold with everything else idle: team-b 6 (its limit), team-a 14
  // (research's limit), batch 16 (the cluster).
  EXPECT_EQ(m->potential_available(QueueModel::NodeOf(b), gpu), 6);
  EXPECT_EQ(m->potential_available(QueueModel::NodeOf(a), gpu), 14);
  EXPECT_EQ(m->potential_available(QueueModel::NodeOf(batch), gpu), 16);
  // cpu quota -1: deserved = the whole cluster.
  const FlavorResource cpu = m->Fr(m->FindFlavor(kKaiFlavor), m->FindResource("cpu"));
  EXPECT_EQ(m->nominal(QueueModel::NodeOf(a), cpu), 128'000);
  // Memory is MB in KAI: 1 MB = 10^6 bytes.
  model::QueueObjects o = Department();
  o.kai_queues[3].resources[2].quota = 1.5;
  Result<QueueModel> mem = QueueModel::Build(o);
  ASSERT_TRUE(mem.ok()) << mem.error().ToString();
  const FlavorResource memory = mem->Fr(mem->FindFlavor(kKaiFlavor), mem->FindResource("memory"));
  EXPECT_EQ(mem->nominal(QueueModel::NodeOf(mem->FindKaiQueue("batch")), memory), 1'500'000);
}

TEST(KaiQueueModelTest, AdmitsWithinQuotaOverQuotaUpToLimitsAndNotBeyond) {
  Result<QueueModel> m = QueueModel::Build(Department());
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  const ResourceId gpu = m->FindResource("nvidia.com/gpu");
  auto job = [&](std::string name, std::string_view queue, int64_t gpus, int64_t created) {
    PendingWorkload w;
    w.name = "ml/" + name;
    w.cluster_queue = m->FindKaiQueue(queue);
    w.creation_unix_seconds = created;
    PodSetRequest ps{.name = "main", .count = 1};
    ps.per_pod.push_back({gpu, gpus});
    w.pod_sets.push_back(std::move(ps));
    return w;
  };
  // Within deserved: team-a 8, team-b 4 (12 of 16). The 4 idle GPUs go over quota, divided by
  // weight between research (1) and batch (2): KAI's water-filling gives batch 4 x 2/3 = 2.67
  // and research 1.33 of them, in whole GPUs 3 and 1. Here batch's lower weighted share puts
  // backfill (2) and extra (1) first; then sweep (2) finds only 1 GPU left in the tree and
  // waits, and probe (1) takes it (team-b at 5 of its limit 6, research at 13 of 14).
  const std::vector<PendingWorkload> pending = {
      job("pretrain", "team-a", 8, 1), job("eval", "team-b", 4, 2),    job("sweep", "team-b", 2, 3),
      job("probe", "team-b", 1, 4),    job("backfill", "batch", 2, 5), job("extra", "batch", 1, 6)};
  Admitter admitter(*m, {.fair_sharing = true});
  AlwaysPlace place;
  const CycleResult cycle = admitter.RunCycle(pending, place, 0);
  std::vector<std::string> admitted;
  std::string sweep_reason;
  for (const AdmissionDecision& d : cycle.decisions) {
    if (d.outcome == AdmissionOutcome::kAdmitted) admitted.push_back(pending[d.workload].name);
    if (pending[d.workload].name == "ml/sweep") sweep_reason = d.reason;
  }
  std::sort(admitted.begin(), admitted.end());
  EXPECT_EQ(admitted, (std::vector<std::string>{"ml/backfill", "ml/eval", "ml/extra", "ml/pretrain",
                                                "ml/probe"}));
  EXPECT_EQ(sweep_reason,
            "couldn't assign flavors to pod set main: insufficient unused quota for "
            "nvidia.com/gpu in flavor kai.scheduler/default, 1 more needed");

  // team-b's limit: with batch idle, team-b still stops at 6 GPUs (4 deserved + 2).
  Admitter capped(*m, {.fair_sharing = true});
  const std::vector<PendingWorkload> team_b = {
      job("eval", "team-b", 4, 1), job("sweep", "team-b", 2, 2), job("probe", "team-b", 1, 3)};
  const CycleResult b = capped.RunCycle(team_b, place, 0);
  EXPECT_EQ(b.decisions[0].outcome, AdmissionOutcome::kAdmitted);
  EXPECT_EQ(b.decisions[1].outcome, AdmissionOutcome::kAdmitted);
  EXPECT_EQ(b.decisions[2].outcome, AdmissionOutcome::kPending);
  EXPECT_NE(b.decisions[2].reason.find("nvidia.com/gpu"), std::string::npos)
      << b.decisions[2].reason;
}

TEST(KaiQueueModelTest, HigherPriorityQueueGetsIdleResourcesFirst) {
  // Two queues without quota share 2 idle GPUs; each asks for both. The low-priority queue's
  // job is older, but KAI serves the queue with the higher spec.priority first.
  model::QueueObjects o;
  o.kai_queues = {Queue("low", "", 0), Queue("high", "", 0)};
  o.kai_queues[1].priority = 100;
  o.kai_cluster_capacity = {{"nvidia.com/gpu", 2}, {"cpu", 8'000}, {"memory", int64_t{1} << 34}};
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->node(QueueModel::NodeOf(m->FindKaiQueue("high"))).kai_priority, 100);
  std::vector<PendingWorkload> pending;
  for (const char* q : {"low", "high"}) {
    PendingWorkload w;
    w.name = std::string("ml/") + q;
    w.cluster_queue = m->FindKaiQueue(q);
    w.creation_unix_seconds = q == std::string_view("low") ? 1 : 2;
    PodSetRequest ps{.name = "main", .count = 1};
    ps.per_pod.push_back({m->FindResource("nvidia.com/gpu"), 2});
    w.pod_sets.push_back(std::move(ps));
    pending.push_back(std::move(w));
  }
  Admitter admitter(*m, {.fair_sharing = true});
  AlwaysPlace place;
  const CycleResult cycle = admitter.RunCycle(pending, place, 0);
  ASSERT_EQ(cycle.decisions.size(), 2u);
  EXPECT_EQ(cycle.decisions[0].outcome, AdmissionOutcome::kPending);   // low
  EXPECT_EQ(cycle.decisions[1].outcome, AdmissionOutcome::kAdmitted);  // high
}

TEST(KaiQueueModelTest, TopLevelLeafWithLimitEqualToQuotaIsCapped) {
  // kai/limited-queue.yaml: default (quota -1 everywhere) over test (1 GPU, limit 1).
  model::QueueObjects o;
  o.kai_queues = {Queue("default", "", -1), Queue("test", "default", 1, 1)};
  o.kai_cluster_capacity = {{"nvidia.com/gpu", 8}, {"cpu", 64'000}, {"memory", int64_t{1} << 38}};
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  const FlavorResource gpu = m->Fr(m->FindFlavor(kKaiFlavor), m->FindResource("nvidia.com/gpu"));
  const QuotaNodeId test = QueueModel::NodeOf(m->FindKaiQueue("test"));
  EXPECT_EQ(m->nominal(test, gpu), 1);
  EXPECT_EQ(m->borrowing_limit(test, gpu), 0);
  EXPECT_EQ(m->potential_available(test, gpu), 1);
  // default deserves the whole cluster (-1): 8 GPUs, 7 of them its own beyond test's 1.
  EXPECT_EQ(m->nominal(m->FindCohort("default"), gpu), 7);
}

TEST(KaiQueueModelTest, QueueWithoutResourcesHasNoQuotaAndNoLimit) {
  // kai/queue-minruntime.yaml: a Queue with only min-runtimes.
  model::QueueObjects o;
  model::KaiQueueSpec production;
  production.name = "production";
  o.kai_queues = {production};
  o.kai_cluster_capacity = {{"nvidia.com/gpu", 8}, {"cpu", 64'000}, {"memory", int64_t{1} << 38}};
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  const FlavorResource gpu = m->Fr(m->FindFlavor(kKaiFlavor), m->FindResource("nvidia.com/gpu"));
  const QuotaNodeId q = QueueModel::NodeOf(m->FindKaiQueue("production"));
  EXPECT_EQ(m->nominal(q, gpu), 0);
  EXPECT_EQ(m->potential_available(q, gpu), 8);  // everything idle, over quota
}

TEST(KaiQueueModelTest, RejectsMissingAndCyclicParentsAndNameClashes) {
  model::QueueObjects missing;
  missing.kai_queues = {Queue("team-a", "research", 1)};
  EXPECT_EQ(BuildError(missing),
            "queues.yaml: Queue team-a: spec.parentQueue: Queue research not found");

  model::QueueObjects cycle;
  cycle.kai_queues = {Queue("root", "", 1), Queue("a", "b", 1), Queue("b", "a", 1),
                      Queue("c", "a", 1)};
  EXPECT_EQ(BuildError(cycle), "queues.yaml: Queue a: spec.parentQueue: cycle a -> b -> a");

  model::QueueObjects clash = Department();
  model::ClusterQueueSpec cq;
  cq.name = "batch";
  clash.cluster_queues = {cq};
  EXPECT_EQ(BuildError(clash),
            "queues.yaml: Queue batch: metadata.name: a Kueue ClusterQueue has the same name; "
            "Tessera keeps KAI Queues and Kueue queues in one quota tree, so their names must "
            "differ");
}

}  // namespace
}  // namespace tessera::admission
