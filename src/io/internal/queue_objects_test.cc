// Known-answer tests for the queueing objects (Kueue, KAI, Namespace): the upstream examples
// under ../shared/reference/k8s-examples/{kueue,kai} with values checked against the files,
// then hand-written cases for defaults, version differences and validation. Everything goes
// through LoadManifests, so errors are checked as a user sees them.
#include "io/internal/queue_objects.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "io/internal/test_util.h"
#include "io/manifests.h"

namespace tessera::io {
namespace {

using test_util::ErrorOf;
using test_util::LoadString;
using test_util::TempDir;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr int64_t kGi = int64_t{1} << 30;
constexpr int64_t kMi = int64_t{1} << 20;

const fs::path kExamples = fs::path(TESSERA_SHARED_DIR) / "reference" / "k8s-examples";

Result<LoadedManifests> LoadExample(const std::string& relative) {
  const std::vector<std::string> paths = {(kExamples / relative).generic_string()};
  return LoadManifests(paths);
}

class QueueExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kExamples)) {
      GTEST_SKIP() << "reference manifests not found at " << kExamples
                   << " (TESSERA_SHARED_DIR; they live in ../shared beside the repository)";
    }
  }
};

TEST_F(QueueExamplesTest, EveryKueueAndKaiExampleLoadsWithoutKeepingQueueKinds) {
  size_t files = 0;
  for (const char* dir : {"kueue", "kai"}) {
    for (const auto& entry : fs::directory_iterator(kExamples / dir)) {
      if (entry.path().extension() != ".yaml") continue;
      const std::string relative = std::string(dir) + "/" + entry.path().filename().string();
      SCOPED_TRACE(relative);
      auto loaded = LoadExample(relative);
      if (relative.starts_with("kueue/perf-baseline-")) {
        EXPECT_FALSE(loaded.ok());  // plain data, not Kubernetes objects
        continue;
      }
      ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
      ++files;
      for (const KeptObject& k : loaded->kept) {
        for (const char* read : {"ResourceFlavor", "ClusterQueue", "Cohort", "LocalQueue",
                                 "WorkloadPriorityClass", "Job", "JobSet"}) {
          EXPECT_NE(k.kind, read) << k.name;
        }
        if (k.kind == "Queue") {
          EXPECT_NE(k.api_version, "scheduling.run.ai/v2");
        }
      }
    }
  }
  EXPECT_GE(files, 23u);
}

TEST_F(QueueExamplesTest, SingleClusterQueueSetup) {
  auto loaded = LoadExample("kueue/single-clusterqueue-setup.yaml");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::QueueObjects& q = loaded->queues;
  ASSERT_EQ(q.flavors.size(), 1u);
  EXPECT_EQ(q.flavors[0].name, "default-flavor");
  EXPECT_THAT(q.flavors[0].node_labels, IsEmpty());
  ASSERT_EQ(q.cluster_queues.size(), 1u);
  const model::ClusterQueueSpec& cq = q.cluster_queues[0];
  EXPECT_EQ(cq.name, "cluster-queue");
  EXPECT_EQ(cq.source, (kExamples / "kueue/single-clusterqueue-setup.yaml").generic_string());
  EXPECT_EQ(cq.cohort, "");
  ASSERT_TRUE(cq.namespace_selector.has_value());  // {}: every namespace
  EXPECT_THAT(cq.namespace_selector->match_labels, IsEmpty());
  EXPECT_EQ(cq.queueing_strategy, model::QueueingStrategy::kBestEffortFIFO);
  ASSERT_EQ(cq.resource_groups.size(), 1u);
  EXPECT_THAT(cq.resource_groups[0].covered_resources, ElementsAre("cpu", "memory"));
  ASSERT_EQ(cq.resource_groups[0].flavors.size(), 1u);
  const model::FlavorQuotasSpec& f = cq.resource_groups[0].flavors[0];
  EXPECT_EQ(f.flavor, "default-flavor");
  ASSERT_EQ(f.resources.size(), 2u);
  EXPECT_EQ(f.resources[0].name, "cpu");
  EXPECT_EQ(f.resources[0].nominal_quota, Quantity(9000));  // 9 cores in millicores
  EXPECT_FALSE(f.resources[0].borrowing_limit.has_value());
  EXPECT_EQ(f.resources[1].nominal_quota, Quantity(36 * kGi));
  // Defaults.
  EXPECT_EQ(cq.preemption.within_cluster_queue, model::PreemptionPolicy::kNever);
  EXPECT_FALSE(cq.flavor_fungibility.when_can_borrow_try_next);
  EXPECT_TRUE(cq.flavor_fungibility.when_can_preempt_try_next);
  EXPECT_EQ(cq.fair_sharing_weight, 1.0);
  EXPECT_EQ(cq.stop_policy, model::StopPolicy::kNone);
  ASSERT_EQ(q.local_queues.size(), 1u);
  EXPECT_EQ(q.local_queues[0].namespace_name, "default");
  EXPECT_EQ(q.local_queues[0].name, "user-queue");
  EXPECT_EQ(q.local_queues[0].cluster_queue, "cluster-queue");
  // The LocalQueue's namespace has no Namespace object: it gets the implicit label.
  ASSERT_EQ(q.namespaces.size(), 1u);
  EXPECT_EQ(q.namespaces[0].name, "default");
  EXPECT_THAT(q.namespaces[0].labels, ElementsAre(Pair("kubernetes.io/metadata.name", "default")));
  EXPECT_TRUE(loaded->warnings.empty());
}

TEST_F(QueueExamplesTest, PreemptionAndFungibilityInACohort) {
  auto loaded = LoadExample("kueue/cluster-queues-preemption-cohort.yaml");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const auto& cqs = loaded->queues.cluster_queues;
  ASSERT_EQ(cqs.size(), 4u);
  const model::ClusterQueueSpec& emergency = cqs[0];
  EXPECT_EQ(emergency.name, "emergency-cluster-queue");
  EXPECT_EQ(emergency.cohort, "ai-for-humanity-foundation");
  EXPECT_EQ(emergency.preemption.borrow_within_cohort, model::PreemptionPolicy::kLowerPriority);
  EXPECT_EQ(emergency.preemption.within_cluster_queue, model::PreemptionPolicy::kLowerPriority);
  EXPECT_EQ(emergency.preemption.reclaim_within_cohort, model::PreemptionPolicy::kAny);
  EXPECT_FALSE(emergency.preemption.borrow_max_priority_threshold.has_value());
  EXPECT_FALSE(emergency.flavor_fungibility.when_can_borrow_try_next);   // MayStopSearch
  EXPECT_FALSE(emergency.flavor_fungibility.when_can_preempt_try_next);  // MayStopSearch
  ASSERT_EQ(emergency.resource_groups.size(), 2u);
  // "gpu" has no domain, so it is not an extended resource: 1Gi counts 2^30 units.
  EXPECT_THAT(emergency.resource_groups[1].covered_resources, ElementsAre("gpu"));
  EXPECT_EQ(emergency.resource_groups[1].flavors[0].flavor, "gpu");
  EXPECT_EQ(emergency.resource_groups[1].flavors[0].resources[0].nominal_quota, Quantity(kGi));
  EXPECT_EQ(cqs[1].name, "agi-cluster-queue");
  EXPECT_EQ(cqs[1].preemption.reclaim_within_cohort, model::PreemptionPolicy::kNever);
  EXPECT_EQ(cqs[1].resource_groups[0].flavors[0].resources[0].nominal_quota, Quantity(300));
  EXPECT_EQ(cqs[1].resource_groups[0].flavors[0].resources[1].nominal_quota, Quantity(300 * kMi));
  EXPECT_EQ(cqs[2].preemption.reclaim_within_cohort, model::PreemptionPolicy::kLowerPriority);
  EXPECT_EQ(cqs[3].name, "unused-cluster-queue");
  EXPECT_TRUE(cqs[3].resource_groups.empty());
  EXPECT_EQ(cqs[3].cohort, "");
}

TEST_F(QueueExamplesTest, CohortsLocalQueuesAndPriorityClasses) {
  auto cohorts = LoadExample("kueue/cohorts-hierarchical.yaml");
  ASSERT_TRUE(cohorts.ok()) << ErrorOf(cohorts);
  const auto& c = cohorts->queues.cohorts;
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].name, "ai-for-humanity-foundation");
  EXPECT_EQ(c[0].parent, "");
  EXPECT_EQ(c[3].name, "research");
  EXPECT_EQ(c[3].parent, "organization");
  EXPECT_EQ(c[4].name, "engineering");
  EXPECT_EQ(c[4].parent, "organization");
  EXPECT_EQ(c[4].fair_sharing_weight, 1.0);

  auto lqs = LoadExample("kueue/local-queues.yaml");
  ASSERT_TRUE(lqs.ok()) << ErrorOf(lqs);
  const auto& l = lqs->queues.local_queues;
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0].name, "emergency-queue");
  EXPECT_EQ(l[0].namespace_name, "default");
  EXPECT_EQ(l[0].cluster_queue, "emergency-cluster-queue");
  EXPECT_EQ(l[2].cluster_queue, "agi-cluster-queue");

  auto wpcs = LoadExample("kueue/workload-priority-classes.yaml");
  ASSERT_TRUE(wpcs.ok()) << ErrorOf(wpcs);
  const auto& w = wpcs->queues.workload_priority_classes;
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].name, "human-critical");
  EXPECT_EQ(w[0].value, 1000000);
  EXPECT_EQ(w[1].value, 1000);
  EXPECT_EQ(w[2].name, "long-term-research");
  EXPECT_EQ(w[2].value, 1);

  auto fair = LoadExample("kueue/admission-fair-sharing-setup.yaml");
  ASSERT_TRUE(fair.ok()) << ErrorOf(fair);
  EXPECT_EQ(fair->queues.cluster_queues[0].queueing_strategy, model::QueueingStrategy::kStrictFIFO);
  EXPECT_EQ(fair->queues.local_queues.size(), 2u);
  EXPECT_TRUE(fair->queues.cluster_queues[0].usage_based_admission_fair_sharing);
  EXPECT_EQ(fair->queues.local_queues[0].fair_sharing_weight, 1.0);
}

TEST_F(QueueExamplesTest, TopologyAwareFlavorAndTheKindsStillKept) {
  auto loaded = LoadExample("kueue/tas-sample-gpu-queues.yaml");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->queues.flavors.size(), 1u);
  const model::ResourceFlavorSpec& f = loaded->queues.flavors[0];
  EXPECT_EQ(f.name, "tas-flavor");
  EXPECT_THAT(f.node_labels, ElementsAre(Pair("cloud.provider.com/node-group", "tas-group")));
  EXPECT_EQ(f.topology_name, "default");
  ASSERT_EQ(f.tolerations.size(), 1u);
  EXPECT_EQ(f.tolerations[0].key, "nvidia.com/gpu");
  EXPECT_EQ(f.tolerations[0].op, model::TolerationOperator::kExists);
  EXPECT_EQ(f.tolerations[0].effect, model::TaintEffect::kNoSchedule);
  const auto& gpu = loaded->queues.cluster_queues[0].resource_groups[0].flavors[0].resources[2];
  EXPECT_EQ(gpu.name, "nvidia.com/gpu");
  EXPECT_EQ(gpu.nominal_quota, Quantity(16));
  // The Topology is read too (its levels are checked in gangs_test.cc).
  EXPECT_TRUE(loaded->kept.empty());
  ASSERT_EQ(loaded->gangs.topologies.size(), 1u);
  EXPECT_EQ(loaded->gangs.topologies[0].name, "default");

  auto dra = LoadExample("kueue/sample-dra-queues.yaml");
  ASSERT_TRUE(dra.ok()) << ErrorOf(dra);
  EXPECT_EQ(dra->queues.cluster_queues[0].resource_groups[0].flavors[0].resources[2].nominal_quota,
            Quantity(8));
  auto provisioning = LoadExample("kueue/provisioning-setup.yaml");
  ASSERT_TRUE(provisioning.ok()) << ErrorOf(provisioning);
  EXPECT_EQ(provisioning->kept.size(), 2u);  // AdmissionCheck, ProvisioningRequestConfig
}

TEST_F(QueueExamplesTest, KaiQueues) {
  auto loaded = LoadExample("kai/default-queues.yaml");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const auto& q = loaded->queues.kai_queues;
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].name, "default-parent-queue");
  EXPECT_EQ(q[0].parent, "");
  EXPECT_EQ(q[1].name, "default-queue");
  EXPECT_EQ(q[1].parent, "default-parent-queue");
  ASSERT_EQ(q[1].resources.size(), 3u);
  EXPECT_EQ(q[1].resources[0].resource, "gpu");
  EXPECT_EQ(q[1].resources[1].resource, "cpu");
  EXPECT_EQ(q[1].resources[2].resource, "memory");
  EXPECT_EQ(q[1].resources[0].quota, 0);
  EXPECT_EQ(q[1].resources[0].limit, -1);
  EXPECT_EQ(q[1].resources[0].over_quota_weight, 1);

  auto limited = LoadExample("kai/limited-queue.yaml");
  ASSERT_TRUE(limited.ok()) << ErrorOf(limited);
  const model::KaiQueueSpec& test = limited->queues.kai_queues[1];
  EXPECT_EQ(test.name, "test");
  EXPECT_EQ(test.parent, "default");
  EXPECT_EQ(test.resources[0].quota, 1);
  EXPECT_EQ(test.resources[0].limit, 1);
  EXPECT_EQ(limited->queues.kai_queues[0].resources[1].quota, -1);

  auto fair = LoadExample("kai/time-fairshare-queues.yaml");
  ASSERT_TRUE(fair.ok()) << ErrorOf(fair);
  ASSERT_EQ(fair->queues.kai_queues.size(), 3u);
  EXPECT_EQ(fair->queues.kai_queues[1].priority, 100);
  EXPECT_EQ(fair->queues.kai_queues[1].parent, "training-department");

  auto minruntime = LoadExample("kai/queue-minruntime.yaml");
  ASSERT_TRUE(minruntime.ok()) << ErrorOf(minruntime);
  ASSERT_EQ(minruntime->queues.kai_queues.size(), 1u);
  EXPECT_TRUE(minruntime->queues.kai_queues[0].resources.empty());

  // PodGroups are read as gangs (see gangs_test.cc); PyTorchJobs stay kept.
  auto podgroup = LoadExample("kai/podgroup-multilevel-topology.yaml");
  ASSERT_TRUE(podgroup.ok()) << ErrorOf(podgroup);
  EXPECT_TRUE(podgroup->kept.empty());
  ASSERT_EQ(podgroup->gangs.gangs.size(), 1u);
  EXPECT_EQ(podgroup->gangs.gangs[0].name, "sample2");
  auto pytorch = LoadExample("kai/pytorch-gang-job.yaml");
  ASSERT_TRUE(pytorch.ok()) << ErrorOf(pytorch);
  ASSERT_EQ(pytorch->kept.size(), 1u);
  EXPECT_EQ(pytorch->kept[0].kind, "PyTorchJob");
}

TEST_F(QueueExamplesTest, KueueConfigurationWithoutDeviceClassMappings) {
  // Kueue's default controller config: every section but resources.deviceClassMappings is
  // ignored, and it has none (the resources section is commented out).
  auto loaded = LoadExample("kueue/controller_manager_config.yaml");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_TRUE(loaded->queues.has_kueue_configuration);
  EXPECT_THAT(loaded->queues.device_class_mappings, IsEmpty());
  EXPECT_THAT(loaded->kept, IsEmpty());
}

// --- hand-written cases -------------------------------------------------------------------

TEST(QueueObjectsTest, ReadsFairSharingOfAKueueConfiguration) {
  // v1beta1: `enable` defaults to false; the strategies are kept as written.
  auto v1 = LoadString(R"(apiVersion: config.kueue.x-k8s.io/v1beta1
kind: Configuration
fairSharing:
  enable: true
  preemptionStrategies: [LessThanOrEqualToFinalShare, LessThanInitialShare]
)");
  ASSERT_TRUE(v1.ok()) << ErrorOf(v1);
  ASSERT_TRUE(v1->queues.kueue_fair_sharing.has_value());
  EXPECT_TRUE(v1->queues.kueue_fair_sharing->enabled);
  EXPECT_THAT(v1->queues.kueue_fair_sharing->preemption_strategies,
              ElementsAre(model::FairPreemptionStrategySpec::kLessThanOrEqualToFinalShare,
                          model::FairPreemptionStrategySpec::kLessThanInitialShare));
  auto off = LoadString(
      "apiVersion: config.kueue.x-k8s.io/v1beta1\nkind: Configuration\nfairSharing: {}\n");
  ASSERT_TRUE(off.ok()) << ErrorOf(off);
  EXPECT_FALSE(off->queues.kueue_fair_sharing->enabled);
  // v1beta2: the section turns it on.
  auto v2 = LoadString(R"(apiVersion: config.kueue.x-k8s.io/v1beta2
kind: Configuration
fairSharing:
  preemptionStrategies: [LessThanInitialShare]
)");
  ASSERT_TRUE(v2.ok()) << ErrorOf(v2);
  EXPECT_TRUE(v2->queues.kueue_fair_sharing->enabled);
  EXPECT_THAT(v2->queues.kueue_fair_sharing->preemption_strategies,
              ElementsAre(model::FairPreemptionStrategySpec::kLessThanInitialShare));
  // Kueue's sample controller config has the section commented out.
  auto none = LoadString("apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\n");
  ASSERT_TRUE(none.ok()) << ErrorOf(none);
  EXPECT_FALSE(none->queues.kueue_fair_sharing.has_value());
}

TEST(QueueObjectsTest, ReadsAdmissionFairSharing) {
  // The section of Kueue's sample controller config (commented out there), a LocalQueue with
  // a weight and the usage Kueue recorded.
  auto loaded = LoadString(R"(apiVersion: config.kueue.x-k8s.io/v1beta2
kind: Configuration
admissionFairSharing:
  usageHalfLifeTime: "168h"
  usageSamplingInterval: "1h30m"
  resourceWeights: {cpu: 0, memory: 0, example.com/gpu: 100}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: LocalQueue
metadata: {name: lq-a}
spec:
  clusterQueue: q
  fairSharing: {weight: "0.5"}
status:
  fairSharing:
    admissionFairSharingStatus:
      consumedResources: {cpu: "12", memory: 1Gi}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_TRUE(loaded->queues.admission_fair_sharing.has_value());
  const model::AdmissionFairSharingSpec& afs = *loaded->queues.admission_fair_sharing;
  EXPECT_EQ(afs.usage_half_life_seconds, 168 * 3600.0);
  EXPECT_EQ(afs.usage_sampling_interval_seconds, 5400.0);
  EXPECT_THAT(afs.resource_weights, ElementsAre(Pair("cpu", 0.0), Pair("memory", 0.0),
                                                Pair("example.com/gpu", 100.0)));
  const model::LocalQueueSpec& lq = loaded->queues.local_queues[0];
  EXPECT_EQ(lq.fair_sharing_weight, 0.5);
  EXPECT_THAT(lq.consumed_resources,
              ElementsAre(Pair("cpu", Quantity(12'000)), Pair("memory", Quantity(kGi))));
}

TEST(QueueObjectsTest, ReadsDeviceClassMappingsOfAKueueConfiguration) {
  for (const char* version : {"v1beta1", "v1beta2"}) {
    SCOPED_TRACE(version);
    auto loaded = LoadString(std::string("apiVersion: config.kueue.x-k8s.io/") + version + R"(
kind: Configuration
manageJobsWithoutQueueName: false
resources:
  excludeResourcePrefixes: []
  deviceClassMappings:
  - name: example.com/gpu
    deviceClassNames: [gpu.example.com, gpu-large.example.com]
  - name: example.com/nic
    deviceClassNames: [nic.example.com]
)");
    ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
    EXPECT_TRUE(loaded->queues.has_kueue_configuration);
    const auto& m = loaded->queues.device_class_mappings;
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].name, "example.com/gpu");
    EXPECT_THAT(m[0].device_class_names, ElementsAre("gpu.example.com", "gpu-large.example.com"));
    EXPECT_EQ(m[1].name, "example.com/nic");
    EXPECT_EQ(m[1].index, 1u);
    EXPECT_EQ(m[1].source, "-");
  }
}


TEST(QueueObjectsTest, ReadsV1Beta1NamesAndEveryClusterQueueField) {
  auto loaded = LoadString(R"(
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata: {name: team-a}
spec:
  cohort: lab
  namespaceSelector:
    matchLabels: {team: a}
    matchExpressions:
    - {key: tier, operator: In, values: [gold, silver]}
    - {key: frozen, operator: DoesNotExist}
  queueingStrategy: StrictFIFO
  stopPolicy: HoldAndDrain
  fairSharing: {weight: "0.5"}
  preemption:
    reclaimWithinCohort: Any
    borrowWithinCohort: {policy: LowerPriority, maxPriorityThreshold: 100}
    withinClusterQueue: LowerOrNewerEqualPriority
  flavorFungibility:
    whenCanBorrow: TryNextFlavor
    whenCanPreempt: TryNextFlavor
    preference: PreemptionOverBorrowing
  resourceGroups:
  - coveredResources: [cpu, nvidia.com/gpu]
    flavors:
    - name: a100
      resources:
      - {name: cpu, nominalQuota: 500m, borrowingLimit: "2", lendingLimit: 250m}
      - {name: nvidia.com/gpu, nominalQuota: 8}
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: ClusterQueue
metadata: {name: team-b}
spec:
  namespaceSelector: {}
  flavorFungibility: {whenCanBorrow: Borrow, whenCanPreempt: Preempt}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::ClusterQueueSpec& cq = loaded->queues.cluster_queues[0];
  EXPECT_EQ(cq.cohort, "lab");
  ASSERT_TRUE(cq.namespace_selector.has_value());
  EXPECT_THAT(cq.namespace_selector->match_labels, ElementsAre(Pair("team", "a")));
  ASSERT_EQ(cq.namespace_selector->match_expressions.size(), 2u);
  EXPECT_EQ(cq.namespace_selector->match_expressions[0].op, model::SelectorOperator::kIn);
  EXPECT_THAT(cq.namespace_selector->match_expressions[0].values, ElementsAre("gold", "silver"));
  EXPECT_EQ(cq.namespace_selector->match_expressions[1].op, model::SelectorOperator::kDoesNotExist);
  EXPECT_EQ(cq.queueing_strategy, model::QueueingStrategy::kStrictFIFO);
  EXPECT_EQ(cq.stop_policy, model::StopPolicy::kHoldAndDrain);
  EXPECT_EQ(cq.fair_sharing_weight, 0.5);
  EXPECT_EQ(cq.preemption.reclaim_within_cohort, model::PreemptionPolicy::kAny);
  EXPECT_EQ(cq.preemption.borrow_within_cohort, model::PreemptionPolicy::kLowerPriority);
  EXPECT_EQ(cq.preemption.borrow_max_priority_threshold, 100);
  EXPECT_EQ(cq.preemption.within_cluster_queue,
            model::PreemptionPolicy::kLowerOrNewerEqualPriority);
  EXPECT_TRUE(cq.flavor_fungibility.when_can_borrow_try_next);
  EXPECT_TRUE(cq.flavor_fungibility.when_can_preempt_try_next);
  EXPECT_TRUE(cq.flavor_fungibility.preemption_over_borrowing);
  const model::ResourceQuotaSpec& cpu = cq.resource_groups[0].flavors[0].resources[0];
  EXPECT_EQ(cpu.nominal_quota, Quantity(500));
  EXPECT_EQ(cpu.borrowing_limit, Quantity(2000));
  EXPECT_EQ(cpu.lending_limit, Quantity(250));
  EXPECT_EQ(cq.resource_groups[0].flavors[0].resources[1].nominal_quota, Quantity(8));
  // Deprecated v1beta1 names for MayStopSearch.
  EXPECT_FALSE(loaded->queues.cluster_queues[1].flavor_fungibility.when_can_borrow_try_next);
  EXPECT_FALSE(loaded->queues.cluster_queues[1].flavor_fungibility.when_can_preempt_try_next);
}

TEST(QueueObjectsTest, WarnsWhenAClusterQueueHasNoNamespaceSelector) {
  auto loaded = LoadString(
      "apiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\nmetadata: {name: research}\n");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_FALSE(loaded->queues.cluster_queues[0].namespace_selector.has_value());
  EXPECT_THAT(loaded->warnings,
              ElementsAre("-: ClusterQueue research: spec.namespaceSelector is not set, so the "
                          "queue admits workloads from no namespace (set it to {} for all)"));
}

TEST(QueueObjectsTest, ReadsCohortParentsByVersionAndNamespaceLabels) {
  auto loaded = LoadString(R"(
apiVersion: kueue.x-k8s.io/v1alpha1
kind: Cohort
metadata: {name: a}
spec: {parent: root}
---
apiVersion: kueue.x-k8s.io/v1beta1
kind: Cohort
metadata: {name: b}
spec: {parentName: root}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: Cohort
metadata: {name: c}
spec:
  parentName: root
  fairSharing: {weight: 2}
  resourceGroups:
  - coveredResources: [cpu]
    flavors:
    - name: default
      resources: [{name: cpu, nominalQuota: 4, lendingLimit: 1}]
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
  labels: {team: a}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const auto& c = loaded->queues.cohorts;
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].parent, "root");
  EXPECT_EQ(c[1].parent, "root");
  EXPECT_EQ(c[2].parent, "root");
  EXPECT_EQ(c[2].fair_sharing_weight, 2.0);
  EXPECT_EQ(c[2].resource_groups[0].flavors[0].resources[0].lending_limit, Quantity(1000));
  ASSERT_EQ(loaded->queues.namespaces.size(), 1u);
  EXPECT_THAT(loaded->queues.namespaces[0].labels,
              ElementsAre(Pair("team", "a"), Pair("kubernetes.io/metadata.name", "team-a")));
}

TEST(QueueObjectsTest, KeepsSameNamedKindsOfOtherGroups) {
  // A Volcano Queue and a Kubernetes (scheduling.k8s.io) PodGroup share kind names with KAI's
  // Queue and with the KAI and Volcano PodGroups.
  auto loaded = LoadString(R"(
apiVersion: scheduling.volcano.sh/v1beta1
kind: Queue
metadata: {name: default}
spec: {weight: 1}
---
apiVersion: scheduling.k8s.io/v1alpha2
kind: PodGroup
metadata: {name: workers}
spec: {schedulingPolicy: {gang: {minCount: 4}}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_EQ(loaded->kept.size(), 2u);
  EXPECT_TRUE(loaded->queues.kai_queues.empty());
  EXPECT_TRUE(loaded->gangs.gangs.empty());
  EXPECT_EQ(loaded->snapshot.num_pods(), 0u);
}

TEST(QueueObjectsTest, RejectsInvalidQueues) {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const std::string cq =
      "apiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\n"
      "metadata: {name: q}\nspec:\n  namespaceSelector: {}\n";
  const std::string group =
      "  resourceGroups:\n  - coveredResources: [cpu]\n    flavors:\n"
      "    - name: f\n      resources:\n";
  const std::vector<Case> cases = {
      {"apiVersion: kueue.x-k8s.io/v1beta3\nkind: ClusterQueue\nmetadata: {name: q}\n",
       "-: ClusterQueue q: apiVersion: unknown apiVersion \"kueue.x-k8s.io/v1beta3\" for kind "
       "ClusterQueue; known: kueue.x-k8s.io/v1beta2, kueue.x-k8s.io/v1beta1"},
      {cq + group + "      - {name: cpu, nominalQuota: 4, lendingLimit: 5}\n  cohortName: c\n",
       "-: ClusterQueue q: spec.resourceGroups[0].flavors[0].resources[0].lendingLimit: must be "
       "less than or equal to nominalQuota (\"4\"), got \"5\""},
      {cq + group + "      - {name: cpu}\n",
       "-: ClusterQueue q: spec.resourceGroups[0].flavors[0].resources[0].nominalQuota: "
       "required field is missing"},
      {cq + group +
           "      - {name: cpu, nominalQuota: 1}\n      - {name: memory, "
           "nominalQuota: 1}\n",
       "-: ClusterQueue q: spec.resourceGroups[0].flavors[0].resources: must list the 1 covered "
       "resources (cpu), got 2 items"},
      {cq + group +
           "      - {name: cpu, nominalQuota: 1}\n  - coveredResources: [cpu]\n"
           "    flavors: [{name: g, resources: [{name: cpu, nominalQuota: 1}]}]\n",
       "-: ClusterQueue q: spec.resourceGroups[1].coveredResources[0]: resource \"cpu\" is "
       "already covered at spec.resourceGroups[0].coveredResources[0]; a resource may be in "
       "only one resource group"},
      {cq + "  flavorFungibility: {preference: PreemptionOverBorrowing}\n",
       "-: ClusterQueue q: spec.flavorFungibility.preference: may only be set when both "
       "whenCanBorrow and whenCanPreempt are TryNextFlavor"},
      {cq + "  flavorFungibility: {whenCanBorrow: Borrow}\n",
       "-: ClusterQueue q: spec.flavorFungibility.whenCanBorrow: \"Borrow\" is not a valid flavor "
       "fungibility: must be MayStopSearch or TryNextFlavor"},
      {cq + "  preemption: {borrowWithinCohort: {policy: LowerPriority}}\n",
       "-: ClusterQueue q: spec.preemption.borrowWithinCohort.policy: must be Never when "
       "reclaimWithinCohort is Never (a workload that may not reclaim its own quota may not "
       "preempt to borrow)"},
      {cq + "  fairSharing: {weight: -1}\n",
       "-: ClusterQueue q: spec.fairSharing.weight: must not be negative, got \"-1\""},
      {cq + "  stopPolicy: Pause\n",
       "-: ClusterQueue q: spec.stopPolicy: \"Pause\" is not a valid stop policy: must be one of "
       "None, Hold, HoldAndDrain"},
      {"apiVersion: kueue.x-k8s.io/v1beta2\nkind: Cohort\nmetadata: {name: c}\nspec:\n" + group +
           "      - {name: cpu, nominalQuota: 1, borrowingLimit: 1}\n",
       "-: Cohort c: spec.resourceGroups[0].flavors[0].resources[0].borrowingLimit: must not be "
       "set when the Cohort has no parent (spec.parentName is empty)"},
      {"apiVersion: kueue.x-k8s.io/v1beta2\nkind: Cohort\nmetadata: {name: c}\n"
       "spec: {parentName: c}\n",
       "-: Cohort c: spec.parentName: a Cohort must not be its own parent"},
      {"apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {name: f}\n"
       "spec: {topologyName: default}\n",
       "-: ResourceFlavor f: spec.nodeLabels: must have at least one label when topologyName is "
       "set"},
      {"apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {name: f}\n"
       "spec: {nodeTaints: [{key: gpu, effect: Sometimes}]}\n",
       "-: ResourceFlavor f: spec.nodeTaints[0].effect: \"Sometimes\" is not a valid taint "
       "effect: must be one of NoSchedule, PreferNoSchedule, NoExecute"},
      {"apiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\nmetadata: {name: l}\n"
       "spec: {clusterQueue: Research}\n",
       "-: LocalQueue default/l: spec.clusterQueue: \"Research\" is not a valid DNS subdomain: "
       "must consist of lower case alphanumeric characters, '-' or '.', and start and end with "
       "an alphanumeric character"},
      {"apiVersion: kueue.x-k8s.io/v1beta2\nkind: WorkloadPriorityClass\nmetadata: {name: w}\n",
       "-: WorkloadPriorityClass w: value: required field is missing"},
      {"apiVersion: scheduling.run.ai/v2\nkind: Queue\nmetadata: {name: q}\n"
       "spec: {resources: {gpu: {overQuotaWeight: \"2\"}}}\n",
       "-: Queue q: spec.resources.gpu.overQuotaWeight: must be a number, got \"2\""},
      {"apiVersion: scheduling.run.ai/v2\nkind: Queue\nmetadata: {name: q}\n"
       "spec: {resources: {gpu: {quota: 4, limit: 2}}}\n",
       "-: Queue q: spec.resources.gpu.limit: must be -1 (no limit) or at least quota (\"4\"), "
       "got \"2\""},
      {"apiVersion: scheduling.run.ai/v2\nkind: Queue\nmetadata: {name: q}\n"
       "spec: {resources: {cpu: {quota: -3}}}\n",
       "-: Queue q: spec.resources.cpu.quota: must be -1 (unlimited) or at least 0, got \"-3\""},
      {"apiVersion: config.kueue.x-k8s.io/v1beta1\nkind: Configuration\nresources:\n"
       "  deviceClassMappings:\n  - name: example.com/gpu\n    deviceClasses: [gpu.example.com]\n",
       "-: Configuration document 1: resources.deviceClassMappings[0].deviceClasses: unknown "
       "field \"deviceClasses\"; a device class mapping has name and deviceClassNames"},
      {"apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nresources:\n"
       "  deviceClassMappings:\n  - name: example.com/gpu\n",
       "-: Configuration document 1: resources.deviceClassMappings[0].deviceClassNames: required "
       "field is missing"},
      {"apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nresources:\n"
       "  deviceClassMappings:\n  - {name: a.com/gpu, deviceClassNames: [gpu.example.com]}\n"
       "  - {name: b.com/gpu, deviceClassNames: [gpu.example.com]}\n",
       "-: Configuration document 1: resources.deviceClassMappings[1].deviceClassNames[0]: "
       "DeviceClass \"gpu.example.com\" is already mapped by resources.deviceClassMappings[0]"},
      {"apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nresources:\n"
       "  deviceClassMappings:\n  - {name: a.com/gpu, deviceClassNames: []}\n",
       "-: Configuration document 1: resources.deviceClassMappings[0].deviceClassNames: must "
       "list at least one DeviceClass"},
      {"apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nadmissionFairSharing:\n"
       "  usageHalfLifeTime: 7 days\n",
       "-: Configuration document 1: admissionFairSharing.usageHalfLifeTime: \"7 days\" is not a "
       "duration such as 168h, 5m or 1h30m"},
      {"apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nadmissionFairSharing:\n"
       "  usageHalfLife: 1h\n",
       "-: Configuration document 1: admissionFairSharing.usageHalfLife: unknown field "
       "\"usageHalfLife\"; admissionFairSharing has usageHalfLifeTime, usageSamplingInterval "
       "and resourceWeights"},
      {"apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nadmissionFairSharing:\n"
       "  resourceWeights: {cpu: -1}\n",
       "-: Configuration document 1: admissionFairSharing.resourceWeights.cpu: must be a number "
       "of at least 0, got \"-1\""},
      {cq + "  admissionScope: {admissionMode: Fair}\n",
       "-: ClusterQueue q: spec.admissionScope.admissionMode: \"Fair\" is not an admission mode: "
       "must be UsageBasedAdmissionFairSharing or NoAdmissionFairSharing"},
      {"apiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\nmetadata: {name: lq}\nspec: "
       "{clusterQueue: q, fairSharing: {weight: 0}}\n",
       "-: LocalQueue default/lq: spec.fairSharing.weight: must be above 0 for a LocalQueue"},
      {"apiVersion: config.kueue.x-k8s.io/v1beta1\nkind: Configuration\nfairSharing:\n"
       "  enable: true\n  preemptionStrategies: [LessThanFinalShare]\n",
       "-: Configuration document 1: fairSharing.preemptionStrategies[0]: \"LessThanFinalShare\" "
       "is not a preemption strategy: must be LessThanOrEqualToFinalShare or "
       "LessThanInitialShare"},
      {"apiVersion: config.kueue.x-k8s.io/v1beta2\nkind: Configuration\nfairSharing:\n"
       "  preemptionStrategies: [LessThanInitialShare, LessThanOrEqualToFinalShare]\n",
       "-: Configuration document 1: fairSharing.preemptionStrategies: must be "
       "[LessThanOrEqualToFinalShare], [LessThanInitialShare] or [LessThanOrEqualToFinalShare, "
       "LessThanInitialShare]"},
      {"apiVersion: config.kueue.x-k8s.io/v1beta1\nkind: Configuration\nfairSharing:\n"
       "  enabled: true\n",
       "-: Configuration document 1: fairSharing.enabled: unknown field \"enabled\"; fairSharing "
       "has enable and preemptionStrategies"},
      {cq + "  namespaceSelector: {matchExpressions: [{key: team, operator: In}]}\n",
       "-: document 1: line 6, column 3: mapping key \"namespaceSelector\" appears twice"},
      {"apiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\nmetadata: {name: q}\nspec:\n"
       "  namespaceSelector: {matchExpressions: [{key: team, operator: In}]}\n",
       "-: ClusterQueue q: spec.namespaceSelector.matchExpressions[0].values: must be non-empty "
       "when operator is In"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_EQ(ErrorOf(LoadString(c.yaml)), c.error);
  }
}

}  // namespace
}  // namespace tessera::io
