// The scenario format's queues section beyond the flat quota form (docs/scenario-format.md,
// "Queues"): queues.flavors and per-flavor quotas, flavorFungibility, agingSeconds, the
// fairSharing mapping and tasks of several pods, with every error they add.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/internal/test_util.h"
#include "io/trace.h"

namespace tessera::io {
namespace {

using test_util::ErrorOf;

constexpr int64_t kGiB = int64_t{1} << 30;

// Two A100 nodes labelled gpu=a100 and one H100 node labelled gpu=h100 with a rack label.
const char* kNodes = R"(
nodeGroups:
  - {prefix: a100, count: 2, gpuModel: A100, gpusPerNode: 8, cpu: 64, memory: 512Gi,
     labels: {gpu: a100}}
  - {prefix: h100, count: 1, gpuModel: H100, gpusPerNode: 8, cpu: 64, memory: 512Gi,
     labels: {gpu: h100}, racks: {label: rack, nodesPerRack: 1}}
)";

const char* kFlavors = R"(
  flavors:
    - {name: a100, nodeLabels: {gpu: a100}}
    - {name: h100, nodeLabels: {gpu: h100}}
)";

const char* kOneTask = R"(
tasks:
  - {name: t, queue: team-a, gpus: 1}
)";

Result<model::Scenario> ParseText(const std::string& text) { return ParseScenario(text, "t.yaml"); }

// kNodes, then `queues` (the lines under "queues:"), then `tasks`.
std::string Scenario(const std::string& queues, const std::string& tasks = kOneTask) {
  return std::string(kNodes) + "queues:\n" + queues + tasks;
}

// The error of a scenario that must not parse, or "OK".
std::string ErrorFor(const std::string& queues, const std::string& tasks = kOneTask) {
  return ErrorOf(ParseText(Scenario(queues, tasks)));
}

TEST(ScenarioFlavorsTest, CompilesFlavorsAndPerFlavorQuotasInPreferenceOrder) {
  auto s = ParseText(Scenario(std::string(kFlavors) + R"(
  cohorts:
    - name: org
      flavors:
        - {name: h100, quota: {gpu: 4}}
  clusterQueues:
    - name: team-a
      cohort: org
      flavorFungibility: {whenCanBorrow: TryNextFlavor, whenCanPreempt: MayStopSearch}
      flavors:
        - {name: h100, quota: {gpu: 8, cpu: 32}, borrowingLimit: {gpu: 2}, lendingLimit: {gpu: 4}}
        - {name: a100, quota: {gpu: 16, memory: 1Ti}}
    - name: team-b
      flavors: [{name: a100}]
)"));
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  const model::QueueObjects& o = s->queues->objects;
  ASSERT_EQ(o.flavors.size(), 2u);
  EXPECT_EQ(o.flavors[0].name, "a100");
  EXPECT_EQ(o.flavors[0].node_labels, (model::Labels{{"gpu", "a100"}}));
  EXPECT_EQ(o.flavors[1].name, "h100");
  EXPECT_EQ(o.flavors[1].source, "t.yaml");
  EXPECT_EQ(s->queues->resources, (std::vector<std::string>{"cpu", "memory", "gpu"}));

  ASSERT_EQ(o.cluster_queues.size(), 2u);
  const model::ClusterQueueSpec& a = o.cluster_queues[0];
  EXPECT_TRUE(a.flavor_fungibility.when_can_borrow_try_next);
  EXPECT_FALSE(a.flavor_fungibility.when_can_preempt_try_next);
  ASSERT_EQ(a.resource_groups.size(), 1u);
  const model::ResourceGroupSpec& g = a.resource_groups[0];
  EXPECT_EQ(g.covered_resources, (std::vector<std::string>{"cpu", "memory", "gpu"}));
  ASSERT_EQ(g.flavors.size(), 2u);
  EXPECT_EQ(g.flavors[0].flavor, "h100");  // as listed, not as queues.flavors lists them
  EXPECT_EQ(g.flavors[1].flavor, "a100");
  const auto& h = g.flavors[0].resources;
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].name, "cpu");
  EXPECT_EQ(h[0].nominal_quota.value(), 32'000);
  EXPECT_EQ(h[1].name, "memory");
  EXPECT_EQ(h[1].nominal_quota.value(), 0);  // not named: nominal 0
  EXPECT_EQ(h[2].name, "gpu");
  EXPECT_EQ(h[2].nominal_quota.value(), 8'000);
  ASSERT_TRUE(h[2].borrowing_limit.has_value());
  EXPECT_EQ(h[2].borrowing_limit->value(), 2'000);
  ASSERT_TRUE(h[2].lending_limit.has_value());
  EXPECT_EQ(h[2].lending_limit->value(), 4'000);
  EXPECT_FALSE(h[0].borrowing_limit.has_value());
  const auto& a100 = g.flavors[1].resources;
  EXPECT_EQ(a100[1].nominal_quota.value(), 1024 * kGiB);
  EXPECT_EQ(a100[2].nominal_quota.value(), 16'000);

  // A flavor listed without quota: every resource at nominal 0.
  const model::ClusterQueueSpec& b = o.cluster_queues[1];
  ASSERT_EQ(b.resource_groups.size(), 1u);
  ASSERT_EQ(b.resource_groups[0].flavors.size(), 1u);
  EXPECT_EQ(b.resource_groups[0].flavors[0].flavor, "a100");
  for (const auto& r : b.resource_groups[0].flavors[0].resources) {
    EXPECT_EQ(r.nominal_quota.value(), 0) << r.name;
  }
  // Kueue's defaults when flavorFungibility is absent.
  EXPECT_FALSE(b.flavor_fungibility.when_can_borrow_try_next);
  EXPECT_TRUE(b.flavor_fungibility.when_can_preempt_try_next);

  ASSERT_EQ(o.cohorts.size(), 1u);
  ASSERT_EQ(o.cohorts[0].resource_groups.size(), 1u);
  ASSERT_EQ(o.cohorts[0].resource_groups[0].flavors.size(), 1u);
  EXPECT_EQ(o.cohorts[0].resource_groups[0].flavors[0].flavor, "h100");
  EXPECT_EQ(o.cohorts[0].resource_groups[0].flavors[0].resources[2].nominal_quota.value(), 4'000);
}

TEST(ScenarioFlavorsTest, TheFlatQuotaIsTheOneFlavorDefault) {
  auto s = ParseText(Scenario(R"(
  clusterQueues: [{name: team-a, quota: {gpu: 4}}]
)"));
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  const model::QueueObjects& o = s->queues->objects;
  ASSERT_EQ(o.flavors.size(), 1u);
  EXPECT_EQ(o.flavors[0].name, "default");
  EXPECT_TRUE(o.flavors[0].node_labels.empty());
  ASSERT_EQ(o.cluster_queues[0].resource_groups[0].flavors.size(), 1u);
  EXPECT_EQ(o.cluster_queues[0].resource_groups[0].flavors[0].flavor, "default");
  EXPECT_FALSE(s->queues->fair_sharing);
  EXPECT_FALSE(o.kueue_fair_sharing.has_value());
  EXPECT_EQ(s->queues->aging_seconds, 0);
  EXPECT_EQ(s->tasks[0].pods, 1);
}

TEST(ScenarioFlavorsTest, AFlavorMayMatchARackLabelOrEveryNode) {
  auto s = ParseText(Scenario(R"(
  flavors:
    - {name: rack-0, nodeLabels: {rack: h100-rack-0, gpu: h100}}
    - {name: anywhere}
  clusterQueues:
    - {name: team-a, flavors: [{name: rack-0, quota: {gpu: 8}}, {name: anywhere, quota: {gpu: 8}}]}
)"));
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  ASSERT_EQ(s->queues->objects.flavors.size(), 2u);
  EXPECT_EQ(s->queues->objects.flavors[0].node_labels.size(), 2u);
  EXPECT_TRUE(s->queues->objects.flavors[1].node_labels.empty());
}

TEST(ScenarioFlavorsTest, FlavorErrors) {
  // queues.flavors itself.
  EXPECT_EQ(ErrorFor(R"(
  flavors: [{name: a100, nodeLabels: {gpu: v100}}]
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}}]}]
)"),
            "t.yaml: ResourceFlavor a100: queues.flavors[0].nodeLabels: no node of the scenario "
            "has gpu=v100: the flavor's workloads could never run (set labels on a node group)");
  EXPECT_EQ(ErrorFor(R"(
  flavors: [{name: a100, nodeLabels: {gpu: a100, rack: h100-rack-0}}]
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}}]}]
)"),
            "t.yaml: ResourceFlavor a100: queues.flavors[0].nodeLabels: no node of the scenario "
            "has all of gpu=a100, rack=h100-rack-0: the flavor's workloads could never run (set "
            "labels on a node group)");
  EXPECT_EQ(ErrorFor(R"(
  flavors: [{name: a100, nodeLabels: {gpu: a100}}, {name: a100}]
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}}]}]
)"),
            "t.yaml: ResourceFlavor a100: queues.flavors[1].name: duplicate flavor \"a100\"");
  EXPECT_EQ(ErrorFor(R"(
  flavors: [{name: A100}]
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}}]}]
)"),
            ErrorOf(ParseText(Scenario(R"(
  flavors: [{name: A100}]
)"))));
  EXPECT_NE(ErrorFor(R"(
  flavors: [{name: A100}]
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}}]}]
)")
                .find("t.yaml: queues.flavors[0].name: "),
            std::string::npos);
  EXPECT_EQ(ErrorFor(R"(
  flavors: [{name: a100, nodeLables: {gpu: a100}}]
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}}]}]
)"),
            "t.yaml: ResourceFlavor a100: queues.flavors[0].nodeLables: unknown key (did you mean "
            "\"nodeLabels\"?); known keys here: name, nodeLabels");
  EXPECT_EQ(ErrorFor(R"(
  flavors: []
  clusterQueues: [{name: team-a, quota: {gpu: 1}}]
)"),
            "t.yaml: queues.flavors: must list at least one flavor");
  std::string many = "  flavors:\n";
  for (int i = 0; i < 65; ++i) many += "    - {name: f" + std::to_string(i) + "}\n";
  EXPECT_EQ(ErrorFor(many + "  clusterQueues: [{name: team-a, flavors: [{name: f0}]}]\n"),
            "t.yaml: queues.flavors: lists 65 flavors; at most 64 are allowed");

  std::string nine = "{";
  for (int i = 0; i < 9; ++i) nine += std::string(i ? ", " : "") + "k" + std::to_string(i) + ": v";
  EXPECT_EQ(ErrorFor("  flavors: [{name: a100, nodeLabels: " + nine + "}}]\n" +
                     "  clusterQueues: [{name: team-a, flavors: [{name: a100}]}]\n"),
            "t.yaml: ResourceFlavor a100: queues.flavors[0].nodeLabels: has 9 labels; at most 8 "
            "are allowed");
  // Messages list at most eight flavors.
  std::string ten = "  flavors:\n";
  for (int i = 0; i < 10; ++i) ten += "    - {name: f" + std::to_string(i) + "}\n";
  EXPECT_EQ(ErrorFor(ten + "  clusterQueues: [{name: team-a, flavors: [{name: g}]}]\n"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavors[0].name: \"g\" is not "
            "one of queues.flavors (f0, f1, f2, f3, f4, f5, f6, f7 and 2 more)");

  // A ClusterQueue's flavors.
  const std::string f(kFlavors);
  EXPECT_EQ(ErrorFor(f + R"(
  clusterQueues: [{name: team-a, flavors: [{name: v100, quota: {gpu: 1}}]}]
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavors[0].name: \"v100\" is "
            "not one of queues.flavors (a100, h100)");
  EXPECT_EQ(ErrorFor(f + R"(
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}}, {name: a100}]}]
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavors[1].name: duplicate "
            "flavor \"a100\": list each flavor once");
  EXPECT_EQ(ErrorFor(f + R"(
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}, borrowingLimit: {gpu: 1}}]}]
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavors[0].borrowingLimit: "
            "needs cohort: there is nothing to borrow from without one");
  EXPECT_EQ(ErrorFor(f + R"(
  clusterQueues:
    - {name: team-a, cohort: org, flavors: [{name: a100, quota: {gpu: 1}, lendingLimit: {gpu: 2}}]}
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavors[0].lendingLimit.gpu: "
            "must not exceed the nominal quota of gpu");
  EXPECT_EQ(ErrorFor(f + R"(
  clusterQueues: [{name: team-a, flavors: [{name: a100, qouta: {gpu: 1}}]}]
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavors[0].qouta: unknown key "
            "(did you mean \"quota\"?); known keys here: name, quota, borrowingLimit, "
            "lendingLimit");
  EXPECT_EQ(ErrorFor(f + R"(
  clusterQueues: [{name: team-a, flavors: []}]
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavors: must list at least "
            "one flavor");
  std::string seventeen = "[";
  for (int i = 0; i < 17; ++i) seventeen += std::string(i ? ", " : "") + "{name: a100}";
  EXPECT_EQ(ErrorFor(f + "  clusterQueues: [{name: team-a, flavors: " + seventeen + "]}]\n"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavors: lists 17 flavors; at "
            "most 16 are allowed");

  // The flat form and the flavors form do not mix.
  EXPECT_EQ(ErrorFor(f + R"(
  clusterQueues: [{name: team-a, quota: {gpu: 1}}]
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].quota: queues.flavors is "
            "given: set quotas per flavor under flavors ([{name, quota, borrowingLimit, "
            "lendingLimit}])");
  EXPECT_EQ(ErrorFor(f + R"(
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}}]}, {name: team-b}]
)"),
            "t.yaml: ClusterQueue team-b: queues.clusterQueues[1].flavors: required when "
            "queues.flavors is given: list the flavors (a100, h100) this ClusterQueue has quota "
            "in, in order of preference");
  EXPECT_EQ(ErrorFor(f + R"(
  cohorts: [{name: org, quota: {gpu: 1}}]
  clusterQueues: [{name: team-a, cohort: org, flavors: [{name: a100, quota: {gpu: 1}}]}]
)"),
            "t.yaml: cohort org: queues.cohorts[0].quota: queues.flavors is given: set quotas per "
            "flavor under flavors ([{name, quota, borrowingLimit, lendingLimit}])");
  EXPECT_EQ(ErrorFor(R"(
  clusterQueues: [{name: team-a, flavors: [{name: a100, quota: {gpu: 1}}]}]
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavors: needs queues.flavors: "
            "list the ResourceFlavors there (without it, the flat quota, borrowingLimit and "
            "lendingLimit are the one flavor \"default\")");
  EXPECT_EQ(ErrorFor(R"(
  cohorts: [{name: org, flavors: [{name: a100, quota: {gpu: 1}}]}]
  clusterQueues: [{name: team-a, cohort: org, quota: {gpu: 1}}]
)"),
            "t.yaml: cohort org: queues.cohorts[0].flavors: needs queues.flavors: list the "
            "ResourceFlavors there (without it, the flat quota, borrowingLimit and lendingLimit "
            "are the one flavor \"default\")");
  EXPECT_EQ(ErrorFor(f + R"(
  clusterQueues: [{name: team-a, flavors: [{name: a100}]}]
)"),
            "t.yaml: queues.clusterQueues[0].flavors: no ClusterQueue or cohort sets a quota: "
            "give at least one of cpu, memory, gpu");
}

TEST(ScenarioFlavorsTest, FungibilityErrors) {
  EXPECT_EQ(ErrorFor(R"(
  clusterQueues: [{name: team-a, quota: {gpu: 1}, flavorFungibility: {whenCanBorrow: Borrow}}]
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavorFungibility.whenCanBorrow: "
            "must be MayStopSearch or TryNextFlavor, got \"Borrow\"");
  EXPECT_EQ(ErrorFor(R"(
  clusterQueues: [{name: team-a, quota: {gpu: 1}, flavorFungibility: {whenCanPrempt: TryNextFlavor}}]
)"),
            "t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavorFungibility.whenCanPrempt: "
            "unknown key (did you mean \"whenCanPreempt\"?); known keys here: whenCanBorrow, "
            "whenCanPreempt");
  EXPECT_EQ(
      ErrorFor(R"(
  clusterQueues: [{name: team-a, quota: {gpu: 1}, flavorFungibility: TryNextFlavor}]
)")
          .rfind("t.yaml: ClusterQueue team-a: queues.clusterQueues[0].flavorFungibility: ", 0),
      0u);
}

TEST(ScenarioAgingTest, AgingSeconds) {
  auto s = ParseText(Scenario(R"(
  agingSeconds: 600
  clusterQueues: [{name: team-a, quota: {gpu: 1}}]
)"));
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  EXPECT_EQ(s->queues->aging_seconds, 600);
  EXPECT_EQ(ErrorFor(R"(
  agingSeconds: -1
  clusterQueues: [{name: team-a, quota: {gpu: 1}}]
)"),
            "t.yaml: queues.agingSeconds: must not be negative, got -1");
  EXPECT_EQ(ErrorFor(R"(
  agingSeconds: 10m
  clusterQueues: [{name: team-a, quota: {gpu: 1}}]
)")
                .rfind("t.yaml: queues.agingSeconds: ", 0),
            0u);
  EXPECT_EQ(ErrorFor(R"(
  agingSecond: 10
  clusterQueues: [{name: team-a, quota: {gpu: 1}}]
)"),
            "t.yaml: queues.agingSecond: unknown key (did you mean \"agingSeconds\"?); known keys "
            "here: fairSharing, agingSeconds, flavors, cohorts, clusterQueues, priorityClasses");
}

TEST(ScenarioFairSharingTest, BoolOrKueueMapping) {
  const std::string cq = "  clusterQueues: [{name: team-a, quota: {gpu: 1}}]\n";
  auto on = ParseText(Scenario("  fairSharing: true\n" + cq));
  ASSERT_TRUE(on.ok()) << ErrorOf(on);
  EXPECT_TRUE(on->queues->fair_sharing);
  EXPECT_FALSE(on->queues->objects.kueue_fair_sharing.has_value());

  using S = model::FairPreemptionStrategySpec;
  auto mapping = ParseText(Scenario(R"(
  fairSharing:
    enable: true
    preemptionStrategies: [LessThanOrEqualToFinalShare, LessThanInitialShare]
)" + cq));
  ASSERT_TRUE(mapping.ok()) << ErrorOf(mapping);
  EXPECT_TRUE(mapping->queues->fair_sharing);
  ASSERT_TRUE(mapping->queues->objects.kueue_fair_sharing.has_value());
  const model::KueueFairSharingSpec& fs = *mapping->queues->objects.kueue_fair_sharing;
  EXPECT_TRUE(fs.enabled);
  EXPECT_EQ(fs.preemption_strategies,
            (std::vector<S>{S::kLessThanOrEqualToFinalShare, S::kLessThanInitialShare}));
  EXPECT_EQ(fs.source, "t.yaml");

  // The mapping turns fair sharing on unless enable is false (as Kueue's v1beta2
  // Configuration does).
  auto implicit =
      ParseText(Scenario("  fairSharing: {preemptionStrategies: [LessThanInitialShare]}\n" + cq));
  ASSERT_TRUE(implicit.ok()) << ErrorOf(implicit);
  EXPECT_TRUE(implicit->queues->fair_sharing);
  EXPECT_EQ(implicit->queues->objects.kueue_fair_sharing->preemption_strategies,
            std::vector<S>{S::kLessThanInitialShare});
  auto off = ParseText(Scenario("  fairSharing: {enable: false}\n" + cq));
  ASSERT_TRUE(off.ok()) << ErrorOf(off);
  EXPECT_FALSE(off->queues->fair_sharing);
  EXPECT_FALSE(off->queues->objects.kueue_fair_sharing->enabled);

  EXPECT_EQ(ErrorFor("  fairSharing: {preemptionStrategies: [LessThanFinalShare]}\n" + cq),
            "t.yaml: queues.fairSharing.preemptionStrategies[0]: \"LessThanFinalShare\" is not a "
            "preemption strategy: must be LessThanOrEqualToFinalShare or LessThanInitialShare");
  EXPECT_EQ(
      ErrorFor("  fairSharing: {preemptionStrategies: [LessThanInitialShare, "
               "LessThanOrEqualToFinalShare]}\n" +
               cq),
      "t.yaml: queues.fairSharing.preemptionStrategies: must be [LessThanOrEqualToFinalShare], "
      "[LessThanInitialShare] or [LessThanOrEqualToFinalShare, LessThanInitialShare]");
  EXPECT_EQ(ErrorFor("  fairSharing: {enabled: true}\n" + cq),
            "t.yaml: queues.fairSharing.enabled: unknown field \"enabled\"; fairSharing has "
            "enable and preemptionStrategies");
  EXPECT_EQ(ErrorFor("  fairSharing: {enable: maybe}\n" + cq)
                .rfind("t.yaml: queues.fairSharing.enable: ", 0),
            0u);
  EXPECT_EQ(ErrorFor("  fairSharing: [true]\n" + cq).rfind("t.yaml: queues.fairSharing: ", 0), 0u);
  EXPECT_EQ(ErrorFor("  fairSharing: yes please\n" + cq).rfind("t.yaml: queues.fairSharing: ", 0),
            0u);
}

TEST(ScenarioPodsTest, TasksAndShapesOfSeveralPods) {
  auto s = ParseText(Scenario("  clusterQueues: [{name: team-a, quota: {gpu: 64}}]\n", R"(
tasks:
  - {name: gang, queue: team-a, pods: 4, gpus: 2}
  - {name: burst, count: 2, queue: team-a, pods: 3, gpus: 1}
  - {name: single, queue: team-a, gpus: 1}
generator:
  count: 5
  shapes:
    - {name: job, queue: team-a, pods: 8, gpus: 1}
)"));
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  ASSERT_EQ(s->tasks.size(), 4u);
  EXPECT_EQ(s->tasks[0].pods, 4);
  EXPECT_EQ(s->tasks[1].name, "burst-0");
  EXPECT_EQ(s->tasks[1].pods, 3);
  EXPECT_EQ(s->tasks[2].pods, 3);
  EXPECT_EQ(s->tasks[3].pods, 1);
  ASSERT_TRUE(s->generated.has_value());
  EXPECT_EQ(s->generated->shapes[0].pods, 8);
}

TEST(ScenarioPodsTest, PodsErrors) {
  const std::string cq = "  clusterQueues: [{name: team-a, quota: {gpu: 64}}]\n";
  EXPECT_EQ(ErrorFor(cq, "tasks: [{name: t, queue: team-a, pods: 0, gpus: 1}]\n"),
            "t.yaml: task t: tasks[0].pods: must be at least 1, got 0");
  EXPECT_EQ(ErrorFor(cq, "tasks: [{name: t, queue: team-a, pods: 10001, gpus: 1}]\n"),
            "t.yaml: task t: tasks[0].pods: must be at most 10000, got 10001");
  EXPECT_EQ(ErrorFor(cq, "tasks: [{name: t, queue: team-a, pods: two, gpus: 1}]\n")
                .rfind("t.yaml: task t: tasks[0].pods: ", 0),
            0u);
  EXPECT_EQ(ErrorFor(cq, "tasks: [{name: t, queue: team-a, pod: 2, gpus: 1}]\n")
                .rfind("t.yaml: task t: tasks[0].pod: unknown key (did you mean \"pods\"?)", 0),
            0u);
  EXPECT_EQ(ErrorFor(cq, R"(
generator:
  count: 1
  shapes: [{name: job, queue: team-a, pods: 0, gpus: 1}]
)"),
            "t.yaml: shape job: generator.shapes[0].pods: must be at least 1, got 0");
  // 1001 copies of 10000 pods: more than kMaxTenantPods (10,000,000) in all.
  EXPECT_EQ(ErrorFor(cq, "tasks: [{name: t, count: 1001, queue: team-a, pods: 10000, gpus: 1}]\n"),
            "t.yaml: task t: tasks[0].pods: the tasks would have more than 10000000 pods in all");

  // Without queues: one pod per task.
  const std::string no_queues = std::string(kNodes);
  EXPECT_EQ(ErrorOf(ParseText(no_queues + "tasks: [{name: t, pods: 2, gpus: 1}]\n")),
            "t.yaml: task t: tasks[0].pods: the scenario has no queues section: tasks of several "
            "pods are replayed with queues only (the plain replay and fill experiments run one "
            "pod per task)");
  EXPECT_EQ(ErrorOf(ParseText(no_queues +
                              "generator: {count: 1, shapes: [{name: job, pods: 2, gpus: 1}]}\n")),
            "t.yaml: shape job: generator.shapes[0].pods: the scenario has no queues section: "
            "tasks of several pods are replayed with queues only (the plain replay and fill "
            "experiments run one pod per task)");
}

// The example of docs/scenario-format.md parses into what the doc says.
TEST(ScenarioFlavorsTest, TheTenantsFlavorsExampleParses) {
  auto s =
      LoadScenario(std::string(TESSERA_SOURCE_DIR) + "/examples/scenarios/tenants-flavors.yaml");
  ASSERT_TRUE(s.ok()) << ErrorOf(s);
  ASSERT_TRUE(s->queues.has_value());
  ASSERT_EQ(s->queues->objects.flavors.size(), 2u);
  EXPECT_GT(s->queues->aging_seconds, 0);
  EXPECT_TRUE(s->queues->fair_sharing);
}

}  // namespace
}  // namespace tessera::io
