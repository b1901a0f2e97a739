// Known-answer tests for gangs and topologies (LoadedManifests::gangs), through
// LoadManifests: the upstream Kueue, KAI, JobSet and Volcano examples (read at test time),
// then hand-written cases for each source — which gang a pod joins, member structure and pod
// order, defaults, Volcano Job pods — and the errors and warnings with their exact text.
#include "io/internal/gangs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
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
using ::testing::UnorderedElementsAre;

const fs::path kExamples = fs::path(TESSERA_SHARED_DIR) / "reference" / "k8s-examples";

Result<LoadedManifests> LoadFiles(const std::vector<std::string>& paths) {
  return LoadManifests(paths);
}

std::string Example(const std::string& relative) { return (kExamples / relative).generic_string(); }

std::vector<std::string> PodNames(const LoadedManifests& m) {
  std::vector<std::string> names;
  for (size_t i = 0; i < m.snapshot.num_pods(); ++i) {
    names.push_back(m.snapshot.pod(model::PodId::FromIndex(i)).name);
  }
  return names;
}

// The error text of loading `text` on its own, after "-: ".
std::string LoadError(const std::string& text) {
  auto loaded = LoadString(text);
  if (loaded.ok()) return "OK";
  std::string error = loaded.error().ToString();
  return error.starts_with("-: ") ? error.substr(3) : error;
}

class GangExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kExamples)) {
      GTEST_SKIP() << "reference manifests not found at " << kExamples
                   << " (TESSERA_SHARED_DIR; they live in ../shared beside the repository)";
    }
  }
};

// --- upstream examples ----------------------------------------------------------------------

TEST_F(GangExamplesTest, KueueTopologyHasItsThreeLevels) {
  const std::string file = Example("kueue/tas-sample-gpu-queues.yaml");
  auto loaded = LoadFiles({file});
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.topologies.size(), 1u);
  const model::TopologySpec& t = loaded->gangs.topologies[0];
  EXPECT_EQ(t.name, "default");
  EXPECT_EQ(t.api_group, "kueue.x-k8s.io");
  EXPECT_EQ(t.source, file);
  EXPECT_THAT(t.levels, ElementsAre("cloud.provider.com/topology-block",
                                    "cloud.provider.com/topology-rack", "kubernetes.io/hostname"));
  EXPECT_THAT(loaded->gangs.gangs, IsEmpty());
}

TEST_F(GangExamplesTest, KaiTopologyHasItsThreeLevels) {
  auto loaded = LoadFiles({Example("kai/topology.yaml")});
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.topologies.size(), 1u);
  const model::TopologySpec& t = loaded->gangs.topologies[0];
  EXPECT_EQ(t.name, "cluster-topology");
  EXPECT_EQ(t.api_group, "kai.scheduler");
  EXPECT_THAT(t.levels, ElementsAre("cloud.provider.com/topology-block",
                                    "cloud.provider.com/topology-rack", "kubernetes.io/hostname"));
}

TEST_F(GangExamplesTest, KaiMultiLevelPodGroupHasItsSubgroupTree) {
  const std::string file = Example("kai/podgroup-multilevel-topology.yaml");
  auto loaded = LoadFiles({file});
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  const model::GangSpec& g = loaded->gangs.gangs[0];
  EXPECT_EQ(g.kind, model::GangKind::kKaiPodGroup);
  EXPECT_EQ(g.namespace_name, "default");
  EXPECT_EQ(g.name, "sample2");
  EXPECT_EQ(g.source, file);
  EXPECT_EQ(g.min_member, -1);
  EXPECT_EQ(g.min_subgroups, -1);
  EXPECT_EQ(g.topology.topology, "cluster-topology");
  EXPECT_EQ(g.topology.required_level, "topology/zone");
  EXPECT_EQ(g.topology.preferred_level, "");
  ASSERT_EQ(g.members.size(), 4u);
  // subgroup-ab has children and no pods of its own; the leaves carry minMember.
  EXPECT_EQ(g.members[0].name, "subgroup-ab");
  EXPECT_EQ(g.members[0].parent, "");
  EXPECT_EQ(g.members[0].min_count, -1);
  EXPECT_EQ(g.members[0].min_subgroups, -1);
  EXPECT_EQ(g.members[0].topology.required_level, "topology/spine");
  EXPECT_EQ(g.members[1].name, "subgroup-a");
  EXPECT_EQ(g.members[1].parent, "subgroup-ab");
  EXPECT_EQ(g.members[1].min_count, 1);
  EXPECT_EQ(g.members[1].topology.topology, "cluster-topology");
  EXPECT_EQ(g.members[1].topology.required_level, "topology/rack");
  EXPECT_EQ(g.members[2].name, "subgroup-b");
  EXPECT_EQ(g.members[2].parent, "subgroup-ab");
  EXPECT_EQ(g.members[2].min_count, 2);
  EXPECT_EQ(g.members[3].name, "subgroup-c");
  EXPECT_EQ(g.members[3].parent, "");
  EXPECT_EQ(g.members[3].min_count, 3);
  for (const model::GangMemberSpec& m : g.members) EXPECT_THAT(m.pod_names, IsEmpty());
  // The example spells the field `subgroups` (the CRD says subGroups), and has no pods.
  EXPECT_THAT(
      loaded->warnings,
      ElementsAre(file + ": PodGroup default/sample2: spec.subgroups: read as spec.subGroups; "
                         "KAI's CRD spells the field subGroups, so the API server would drop "
                         "this one",
                  file + ": PodGroup default/sample2: too few pods in the input (subgroup "
                         "\"subgroup-a\" needs 1, has 0; subgroup \"subgroup-b\" needs 2, has 0; "
                         "subgroup \"subgroup-c\" needs 3, has 0); it cannot start until more "
                         "pods join it"));
}

// The pods of KAI's multilevel.md join the example PodGroup through the pod-group-name
// annotation and the kai.scheduler/subgroup-name label.
TEST_F(GangExamplesTest, KaiDocumentationPodsJoinTheirLeafSubgroups) {
  TempDir dir;
  const std::string pods = dir.Write("pods.yaml", R"(
apiVersion: v1
kind: Pod
metadata:
  name: pod-a1
  annotations: {pod-group-name: sample2}
  labels: {kai.scheduler/subgroup-name: subgroup-a}
spec: {containers: [{name: worker, image: ubuntu}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: pod-b1
  annotations: {pod-group-name: sample2}
  labels: {kai.scheduler/subgroup-name: subgroup-b}
spec: {containers: [{name: worker, image: ubuntu}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: pod-c1
  annotations: {pod-group-name: sample2}
  labels: {kai.scheduler/subgroup-name: subgroup-c}
spec: {containers: [{name: worker, image: ubuntu}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: pod-b2
  annotations: {pod-group-name: sample2}
  labels: {kai.scheduler/subgroup-name: subgroup-b}
spec: {containers: [{name: worker, image: ubuntu}]}
)");
  const std::string file = Example("kai/podgroup-multilevel-topology.yaml");
  auto loaded = LoadFiles({Example("kai/topology.yaml"), file, pods});
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.topologies.size(), 1u);
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  const model::GangSpec& g = loaded->gangs.gangs[0];
  EXPECT_THAT(g.members[0].pod_names, IsEmpty());
  EXPECT_THAT(g.members[1].pod_names, ElementsAre("pod-a1"));
  EXPECT_THAT(g.members[2].pod_names, ElementsAre("pod-b1", "pod-b2"));  // PodId order
  EXPECT_THAT(g.members[3].pod_names, ElementsAre("pod-c1"));
  ASSERT_EQ(loaded->warnings.size(), 2u);
  EXPECT_EQ(loaded->warnings[1],
            file +
                ": PodGroup default/sample2: too few pods in the input (subgroup "
                "\"subgroup-c\" needs 3, has 1); it cannot start until more pods join it");
}

TEST_F(GangExamplesTest, VolcanoPodGroupWithoutPods) {
  const std::string file = Example("volcano/podgroup.yaml");
  auto loaded = LoadFiles({file});
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(loaded->kept, IsEmpty());
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  const model::GangSpec& g = loaded->gangs.gangs[0];
  EXPECT_EQ(g.kind, model::GangKind::kVolcanoPodGroup);
  EXPECT_EQ(g.namespace_name, "default");
  EXPECT_EQ(g.name, "test-pg");
  EXPECT_EQ(g.min_member, 1);
  EXPECT_THAT(g.members, IsEmpty());  // no minTaskMember and no pods
  EXPECT_THAT(loaded->warnings,
              ElementsAre(file + ": PodGroup default/test-pg: too few pods in the input "
                                 "(minMember is 1, 0 pods join it); it cannot start until more "
                                 "pods join it"));
}

TEST_F(GangExamplesTest, VolcanoJobBecomesSixPodsAndAGangOfAnyThree) {
  const std::string file = Example("volcano/vcjob.yaml");
  auto loaded = LoadFiles({file});
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(loaded->kept, IsEmpty());
  EXPECT_THAT(loaded->warnings, IsEmpty());
  EXPECT_THAT(PodNames(*loaded),
              ElementsAre("test-job-default-nginx-0", "test-job-default-nginx-1",
                          "test-job-default-nginx-2", "test-job-default-nginx-3",
                          "test-job-default-nginx-4", "test-job-default-nginx-5"));
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  const model::GangSpec& g = loaded->gangs.gangs[0];
  EXPECT_EQ(g.kind, model::GangKind::kVolcanoJob);
  EXPECT_EQ(g.name, "test-job");
  EXPECT_EQ(g.source, file);
  EXPECT_EQ(g.min_member, 3);
  ASSERT_EQ(g.members.size(), 1u);
  EXPECT_EQ(g.members[0].name, "default-nginx");
  // The task's minAvailable defaults to its 6 replicas; minAvailable 3 is below that sum, so
  // Volcano checks only the 3.
  EXPECT_EQ(g.members[0].min_count, 0);
  EXPECT_EQ(g.members[0].pod_names.size(), 6u);
  EXPECT_EQ(g.members[0].pod_names[5], "test-job-default-nginx-5");

  const model::Snapshot& s = loaded->snapshot;
  const model::PodId p0 = model::PodId::FromIndex(0);
  EXPECT_EQ(s.pod(p0).namespace_name, "default");
  ASSERT_EQ(s.pod_requests(p0).size(), 1u);
  EXPECT_EQ(s.pod_requests(p0)[0].amount, Quantity(1000));  // cpu "1"
  const YAML::Node& obj = loaded->pod_objects[2];
  EXPECT_EQ(obj["metadata"]["name"].Scalar(), "test-job-default-nginx-2");
  std::vector<std::pair<std::string, std::string>> labels;
  for (const auto& kv : obj["metadata"]["labels"]) {
    labels.emplace_back(kv.first.Scalar(), kv.second.Scalar());
  }
  EXPECT_THAT(labels, ElementsAre(Pair("volcano.sh/job-name", "test-job"),
                                  Pair("volcano.sh/task-spec", "default-nginx"),
                                  Pair("volcano.sh/job-namespace", "default"),
                                  Pair("volcano.sh/queue-name", "default")));
  std::vector<std::pair<std::string, std::string>> annotations;
  for (const auto& kv : obj["metadata"]["annotations"]) {
    annotations.emplace_back(kv.first.Scalar(), kv.second.Scalar());
  }
  EXPECT_THAT(annotations, ElementsAre(Pair("volcano.sh/task-spec", "default-nginx"),
                                       Pair("scheduling.k8s.io/group-name", "test-job"),
                                       Pair("volcano.sh/job-name", "test-job"),
                                       Pair("volcano.sh/queue-name", "default"),
                                       Pair("volcano.sh/job-version", "0"),
                                       Pair("volcano.sh/template-uid", "test-job-default-nginx"),
                                       Pair("volcano.sh/task-index", "2")));
  EXPECT_EQ(obj["metadata"]["ownerReferences"][0]["apiVersion"].Scalar(),
            "batch.volcano.sh/v1alpha1");
  EXPECT_EQ(obj["metadata"]["ownerReferences"][0]["kind"].Scalar(), "Job");
  EXPECT_EQ(obj["metadata"]["ownerReferences"][0]["name"].Scalar(), "test-job");
  // The template names no scheduler, so the Job's (volcano) is filled in.
  EXPECT_EQ(obj["spec"]["schedulerName"].Scalar(), "volcano");
  EXPECT_EQ(obj["spec"]["restartPolicy"].Scalar(), "OnFailure");
}

TEST_F(GangExamplesTest, VolcanoNetworkTopologyJobSaysItIsNotRead) {
  const std::string file = Example("volcano/network-topology-vcjob.yaml");
  auto loaded = LoadFiles({file});
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_EQ(loaded->snapshot.num_pods(), 8u);
  EXPECT_THAT(loaded->warnings,
              ElementsAre(file + ": Job default/network-topology-job: spec.networkTopology: "
                                 "not read (Volcano's HyperNode network topologies are not "
                                 "modelled); the Job is placed without it"));
  const model::GangSpec& g = loaded->gangs.gangs.at(0);
  EXPECT_EQ(g.min_member, 4);
  ASSERT_EQ(g.members.size(), 1u);
  EXPECT_EQ(g.members[0].name, "t0");
  EXPECT_EQ(g.members[0].min_count, 0);
  EXPECT_EQ(g.members[0].pod_names.front(), "network-topology-job-t0-0");
}

TEST_F(GangExamplesTest, KueueJobAndJobSetCarryTheirTopologyAnnotations) {
  auto job = LoadFiles({Example("kueue/tas-sample-job-required.yaml")});
  ASSERT_TRUE(job.ok()) << ErrorOf(job);
  ASSERT_EQ(job->gangs.gangs.size(), 1u);
  const model::GangSpec& j = job->gangs.gangs[0];
  EXPECT_EQ(j.kind, model::GangKind::kJob);
  EXPECT_EQ(j.name, "tas-sample-requiredbbbbb");  // generateName resolved
  EXPECT_EQ(j.min_member, -1);
  ASSERT_EQ(j.members.size(), 1u);
  EXPECT_EQ(j.members[0].name, "main");
  EXPECT_EQ(j.members[0].min_count, -1);
  EXPECT_EQ(j.members[0].pods_per_job, 0);
  EXPECT_EQ(j.members[0].topology.required_level, "cloud.provider.com/topology-rack");
  EXPECT_EQ(j.members[0].pod_names.size(), 10u);
  EXPECT_EQ(j.members[0].pod_names[9], "tas-sample-requiredbbbbb-9");

  auto sliced = LoadFiles({Example("kueue/tas-sample-jobset-sliced.yaml")});
  ASSERT_TRUE(sliced.ok()) << ErrorOf(sliced);
  const model::GangSpec& js = sliced->gangs.gangs.at(0);
  EXPECT_EQ(js.kind, model::GangKind::kJobSet);
  EXPECT_EQ(js.name, "jobset-tas-sliced");
  ASSERT_EQ(js.members.size(), 1u);
  EXPECT_EQ(js.members[0].name, "workers");
  EXPECT_EQ(js.members[0].pods_per_job, 8);
  EXPECT_EQ(js.members[0].topology.slices,
            (std::vector<model::SliceLayerSpec>{{"cloud.provider.com/topology-rack", 4}}));
  EXPECT_EQ(js.members[0].topology.required_level, "");
  EXPECT_EQ(js.members[0].pod_names.size(), 8u);
}

TEST_F(GangExamplesTest, ExclusivePlacementJobSetGetsOneDomainPerJob) {
  auto loaded = LoadFiles({Example("jobset/exclusive-placement.yaml")});
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::GangSpec& g = loaded->gangs.gangs.at(0);
  EXPECT_EQ(g.exclusive_topology, "cloud.google.com/gke-nodepool");
  ASSERT_EQ(g.members.size(), 1u);
  EXPECT_EQ(g.members[0].pods_per_job, 3);
  // Job index, then pod index: each run of 3 is one Job.
  EXPECT_THAT(g.members[0].pod_names,
              ElementsAre("exclusive-placement-workers-0-0", "exclusive-placement-workers-0-1",
                          "exclusive-placement-workers-0-2", "exclusive-placement-workers-1-0",
                          "exclusive-placement-workers-1-1", "exclusive-placement-workers-1-2",
                          "exclusive-placement-workers-2-0", "exclusive-placement-workers-2-1",
                          "exclusive-placement-workers-2-2"));
}

// --- topologies -----------------------------------------------------------------------------

std::string TopologyWithLevels(const std::string& api_version, const std::string& name,
                               const std::vector<std::string>& levels) {
  std::string text = "apiVersion: " + api_version + "\nkind: Topology\nmetadata: {name: " + name +
                     "}\nspec:\n  levels:\n";
  for (const std::string& l : levels) text += "  - nodeLabel: " + l + "\n";
  return text;
}

TEST(GangTopologyTest, ReadsEveryKueueVersionAndKai) {
  auto loaded = LoadString(
      TopologyWithLevels("kueue.x-k8s.io/v1beta1", "a", {"block", "rack"}) + "---\n" +
      TopologyWithLevels("kueue.x-k8s.io/v1alpha1", "b", {"kubernetes.io/hostname"}) + "---\n" +
      // The same name in another API group is a different object.
      TopologyWithLevels("kai.scheduler/v1alpha1", "a", {"example.com/zone"}));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.topologies.size(), 3u);
  EXPECT_EQ(loaded->gangs.topologies[0].api_group, "kueue.x-k8s.io");
  EXPECT_THAT(loaded->gangs.topologies[0].levels, ElementsAre("block", "rack"));
  EXPECT_THAT(loaded->gangs.topologies[1].levels, ElementsAre("kubernetes.io/hostname"));
  EXPECT_EQ(loaded->gangs.topologies[2].name, "a");
  EXPECT_EQ(loaded->gangs.topologies[2].api_group, "kai.scheduler");
  EXPECT_EQ(loaded->gangs.topologies[2].source, "-");
}

TEST(GangTopologyTest, RejectsBadLevelLists) {
  std::vector<std::string> seventeen;
  for (int i = 0; i < 17; ++i) seventeen.push_back("example.com/level-" + std::to_string(i));
  EXPECT_EQ(LoadError(TopologyWithLevels("kueue.x-k8s.io/v1beta2", "t", seventeen)),
            "Topology t: spec.levels: must have at most 16 levels, got 17");
  seventeen.pop_back();
  EXPECT_EQ(LoadError(TopologyWithLevels("kueue.x-k8s.io/v1beta2", "t", seventeen)), "OK");
  EXPECT_EQ(LoadError(TopologyWithLevels("kai.scheduler/v1alpha1", "t",
                                         {"block", "kubernetes.io/hostname", "gpu"})),
            "Topology t: spec.levels[1].nodeLabel: kubernetes.io/hostname may only be the last "
            "(finest) level; 1 more level follows");
  EXPECT_EQ(
      LoadError(TopologyWithLevels("kueue.x-k8s.io/v1beta2", "t", {"block", "rack", "block"})),
      "Topology t: spec.levels[2].nodeLabel: duplicate level \"block\" (also "
      "spec.levels[0].nodeLabel)");
  EXPECT_EQ(LoadError(TopologyWithLevels("kueue.x-k8s.io/v1beta2", "t", {"-rack-"})),
            "Topology t: spec.levels[0].nodeLabel: \"-rack-\" is not a valid key: the name "
            "part must consist of alphanumeric characters, '-', '_' or '.', and start and end "
            "with an alphanumeric character");
  EXPECT_EQ(LoadError("apiVersion: kueue.x-k8s.io/v1beta2\nkind: Topology\nmetadata: {name: t}\n"
                      "spec: {levels: []}\n"),
            "Topology t: spec.levels: must list at least one level");
  EXPECT_EQ(LoadError("apiVersion: kueue.x-k8s.io/v1beta2\nkind: Topology\nmetadata: {name: t}\n"),
            "Topology t: spec: required field is missing");
}

TEST(GangTopologyTest, DuplicateNamesInOneGroupAreAnError) {
  EXPECT_EQ(LoadError(TopologyWithLevels("kueue.x-k8s.io/v1beta2", "t", {"rack"}) + "---\n" +
                      TopologyWithLevels("kueue.x-k8s.io/v1beta1", "t", {"block"})),
            "Topology t: metadata.name: duplicate Topology \"t\" (first defined in -, document "
            "1)");
}

// --- Jobs and JobSets -----------------------------------------------------------------------

TEST(GangWorkloadTest, EveryJobIsAGangIncludingPodsItAlreadyHas) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Pod
metadata:
  name: train-x7k2p
  namespace: ml
  labels: {batch.kubernetes.io/job-name: train, batch.kubernetes.io/job-completion-index: "1"}
spec: {containers: [{name: main}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: ml}
spec:
  parallelism: 3
  completionMode: Indexed
  completions: 3
  template:
    metadata:
      annotations: {kueue.x-k8s.io/podset-preferred-topology: example.com/rack}
    spec: {containers: [{name: main}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(PodNames(*loaded), ElementsAre("train-x7k2p", "train-0", "train-2"));
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  const model::GangSpec& g = loaded->gangs.gangs[0];
  EXPECT_EQ(g.namespace_name, "ml");
  EXPECT_EQ(g.name, "train");
  EXPECT_EQ(g.source, "-");
  EXPECT_EQ(g.members[0].topology.preferred_level, "example.com/rack");
  EXPECT_THAT(g.members[0].pod_names, ElementsAre("train-x7k2p", "train-0", "train-2"));
}

TEST(GangWorkloadTest, ExclusiveTopologyMustBeALabelKey) {
  EXPECT_EQ(LoadError(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: js
  annotations: {alpha.jobset.sigs.k8s.io/exclusive-topology: "node pool"}
spec:
  replicatedJobs:
  - name: w
    template: {spec: {template: {spec: {containers: [{name: main}]}}}}
)"),
            "JobSet default/js: metadata.annotations.alpha.jobset.sigs.k8s.io/exclusive-topology: "
            "\"node pool\" is not a valid key: the name part must consist of alphanumeric "
            "characters, '-', '_' or '.', and start and end with an alphanumeric character");
}

// JobSet's node-selector strategy (alpha.jobset.sigs.k8s.io/node-selector with
// exclusive-topology): every pod of Job <js>-<rj>-<i> gets nodeSelector
// alpha.jobset.sigs.k8s.io/namespaced-job: <namespace>_<Job name> and a toleration of the
// taint alpha.jobset.sigs.k8s.io/no-schedule (Exists, NoSchedule), beside the template's own;
// the gang has no exclusive topology (no domain search: the nodes are labelled for the Jobs).
TEST(GangWorkloadTest, NodeSelectorStrategyPinsEachJobToItsLabelledNodes) {
  auto loaded = LoadString(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: js
  namespace: ml
  annotations:
    alpha.jobset.sigs.k8s.io/exclusive-topology: cloud.google.com/gke-nodepool
    alpha.jobset.sigs.k8s.io/node-selector: "true"
spec:
  replicatedJobs:
  - name: w
    replicas: 2
    template:
      spec:
        parallelism: 2
        completions: 2
        template:
          spec:
            nodeSelector: {gpu: a100}
            tolerations: [{key: spot, operator: Exists}]
            containers: [{name: main}]
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  EXPECT_EQ(loaded->gangs.gangs[0].exclusive_topology, "");
  const model::Snapshot& s = loaded->snapshot;
  ASSERT_EQ(s.num_pods(), 4u);
  for (size_t i = 0; i < s.num_pods(); ++i) {
    const model::PodId id = model::PodId::FromIndex(i);
    const std::string job = i < 2 ? "js-w-0" : "js-w-1";
    std::vector<std::pair<std::string, std::string>> selector;
    for (const model::Label& l : s.pod_node_selector(id)) {
      selector.emplace_back(s.label_key(l.key), s.label_value(l.value));
    }
    EXPECT_THAT(selector,
                UnorderedElementsAre(Pair("alpha.jobset.sigs.k8s.io/namespaced-job", "ml_" + job),
                                     Pair("gpu", "a100")))
        << s.pod(id).name;
    const auto tolerations = s.pod_tolerations(id);
    ASSERT_EQ(tolerations.size(), 2u);
    EXPECT_EQ(s.label_key(tolerations[0].key), "spot");
    EXPECT_EQ(s.label_key(tolerations[1].key), "alpha.jobset.sigs.k8s.io/no-schedule");
    EXPECT_EQ(tolerations[1].op, model::TolerationOperator::kExists);
    EXPECT_FALSE(tolerations[1].any_effect);
    EXPECT_EQ(tolerations[1].effect, model::TaintEffect::kNoSchedule);
    // The Pod object says the same (the output prints it).
    const YAML::Node spec = loaded->pod_objects[i]["spec"];
    EXPECT_EQ(spec["nodeSelector"]["alpha.jobset.sigs.k8s.io/namespaced-job"].as<std::string>(),
              "ml_" + job);
    EXPECT_EQ(spec["nodeSelector"]["gpu"].as<std::string>(), "a100");
    ASSERT_EQ(spec["tolerations"].size(), 2u);
    EXPECT_EQ(spec["tolerations"][1]["key"].as<std::string>(),
              "alpha.jobset.sigs.k8s.io/no-schedule");
    EXPECT_EQ(spec["tolerations"][1]["operator"].as<std::string>(), "Exists");
    EXPECT_EQ(spec["tolerations"][1]["effect"].as<std::string>(), "NoSchedule");
  }
}

// The JobSet controller uses the strategy only together with exclusive-topology; on its own
// the annotation changes nothing. With exclusive-topology alone, the domain search stays.
TEST(GangWorkloadTest, NodeSelectorStrategyNeedsExclusiveTopology) {
  for (const char* annotations :
       {"{alpha.jobset.sigs.k8s.io/node-selector: \"true\"}",
        "{alpha.jobset.sigs.k8s.io/exclusive-topology: example.com/rack}"}) {
    auto loaded = LoadString(std::string(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: js
  annotations: )") + annotations + R"(
spec:
  replicatedJobs:
  - name: w
    template: {spec: {template: {spec: {containers: [{name: main}]}}}}
)");
    ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
    const model::PodId id = model::PodId::FromIndex(0);
    EXPECT_THAT(loaded->snapshot.pod_node_selector(id), IsEmpty()) << annotations;
    EXPECT_THAT(loaded->snapshot.pod_tolerations(id), IsEmpty()) << annotations;
    EXPECT_FALSE(loaded->pod_objects[0]["spec"]["nodeSelector"].IsDefined()) << annotations;
  }
}

// The lifecycle fields of a JobSet (model::JobSetLifecycleSpec): every one the upstream
// restartjob-action and host-maintenance examples write, and the defaults.
TEST_F(GangExamplesTest, JobSetLifecycleFieldsAreKept) {
  auto loaded = LoadFiles({Example("jobset/failure-policy-host-maintenance.yaml")});
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::GangSpec& g = loaded->gangs.gangs.at(0);
  ASSERT_TRUE(g.jobset.has_value());
  const model::JobSetLifecycleSpec& js = *g.jobset;
  EXPECT_TRUE(js.has_failure_policy);
  EXPECT_EQ(js.max_restarts, 0);
  EXPECT_EQ(js.restart_strategy, "Recreate");
  ASSERT_EQ(js.rules.size(), 2u);
  EXPECT_EQ(js.rules[0].action, "RestartJobSetAndIgnoreMaxRestarts");
  EXPECT_THAT(js.rules[0].on_job_failure_reasons, ElementsAre("PodFailurePolicy"));
  EXPECT_EQ(js.rules[0].path, "spec.failurePolicy.rules[0]");
  EXPECT_THAT(js.rules[1].target_replicated_jobs, ElementsAre("leader"));
  ASSERT_EQ(js.replicated_jobs.size(), 2u);
  EXPECT_EQ(js.replicated_jobs[0].name, "leader");
  EXPECT_EQ(js.replicated_jobs[0].parallelism, 2);
  EXPECT_EQ(js.replicated_jobs[0].completions, 2);
  EXPECT_EQ(js.replicated_jobs[0].backoff_limit, 0);
  EXPECT_EQ(js.replicated_jobs[0].on_disruption, "FailJob");
  EXPECT_EQ(js.replicated_jobs[1].on_disruption, "");
  EXPECT_EQ(js.replicated_jobs[0].termination_grace_s, -1);
  EXPECT_THAT(js.replicated_jobs[0].unmodelled, IsEmpty());
  EXPECT_EQ(js.success_operator, "All");
  EXPECT_EQ(js.startup_policy_order, "AnyOrder");

  auto restart = LoadFiles({Example("jobset/failure-policy-restartjob-action.yaml")});
  ASSERT_TRUE(restart.ok()) << ErrorOf(restart);
  const model::JobSetLifecycleSpec& r = *restart->gangs.gangs.at(0).jobset;
  EXPECT_EQ(r.max_restarts, 2);
  EXPECT_EQ(r.rules[0].name, "r_leader");
  EXPECT_EQ(r.rules[1].action, "RestartJob");
  EXPECT_EQ(r.replicated_jobs[1].termination_grace_s, 0);

  auto in_place = LoadFiles({Example("jobset/in-place-restart-sidecar.yaml")});
  ASSERT_TRUE(in_place.ok()) << ErrorOf(in_place);  // read; the replay refuses it
  EXPECT_EQ(in_place->gangs.gangs.at(0).jobset->restart_strategy, "InPlaceRestart");
  EXPECT_EQ(in_place->gangs.gangs.at(0).jobset->replicated_jobs[0].backoff_limit, 2147483647);
}

TEST(GangWorkloadTest, JobSetLifecycleFieldsAreCheckedAsJobSetsWebhookDoes) {
  auto jobset = [](const std::string& spec_extra, const std::string& second) {
    return R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: js}
spec:
)" + spec_extra + R"(  replicatedJobs:
  - name: a
    template: {spec: {template: {spec: {containers: [{name: main}]}}}}
  - name: b
)" + second + R"(    template:
      spec:
        backoffLimitPerIndex: 1
        podFailurePolicy:
          rules:
          - {action: Ignore, onPodConditions: [{type: DisruptionTarget}]}
          - {action: FailJob, onExitCodes: {operator: In, values: [42]}}
        template: {spec: {terminationGracePeriodSeconds: 5, containers: [{name: main}]}}
)";
  };
  auto ok = LoadString(jobset("  successPolicy: {operator: Any, targetReplicatedJobs: [b]}\n",
                              "    dependsOn: [{name: a, status: Complete}]\n"));
  ASSERT_TRUE(ok.ok()) << ErrorOf(ok);
  const model::JobSetLifecycleSpec& js = *ok->gangs.gangs.at(0).jobset;
  EXPECT_FALSE(js.has_failure_policy);
  EXPECT_EQ(js.success_operator, "Any");
  EXPECT_EQ(js.replicated_jobs[1].depends_on, "a");
  EXPECT_EQ(js.replicated_jobs[1].depends_on_status, "Complete");
  EXPECT_EQ(js.replicated_jobs[1].on_disruption, "Ignore");
  EXPECT_EQ(js.replicated_jobs[1].termination_grace_s, 5);
  EXPECT_EQ(js.replicated_jobs[1].backoff_limit, 6);
  EXPECT_THAT(js.replicated_jobs[1].unmodelled,
              ElementsAre("template.spec.backoffLimitPerIndex",
                          "template.spec.podFailurePolicy.rules[1]"));

  EXPECT_EQ(LoadError(jobset("", "    dependsOn: [{name: c, status: Ready}]\n")),
            "JobSet default/js: spec.replicatedJobs[1].dependsOn[0].name: \"c\" is not an "
            "earlier replicatedJob");
  EXPECT_EQ(LoadError(jobset("", "    dependsOn: [{name: a, status: Done}]\n")),
            "JobSet default/js: spec.replicatedJobs[1].dependsOn[0].status: \"Done\" is not one "
            "of Ready, Complete");
  EXPECT_EQ(LoadError(jobset("  successPolicy: {operator: Most}\n", "")),
            "JobSet default/js: spec.successPolicy.operator: \"Most\" is not one of All, Any");
  EXPECT_EQ(LoadError(jobset("  failurePolicy: {rules: [{action: RestartJob, "
                             "targetReplicatedJobs: [z]}]}\n",
                             "")),
            "JobSet default/js: spec.failurePolicy.rules[0].targetReplicatedJobs[0]: \"z\" is "
            "not a replicatedJob of this JobSet");
  EXPECT_EQ(LoadError(jobset("  failurePolicy: {maxRestarts: -1}\n", "")),
            "JobSet default/js: spec.failurePolicy.maxRestarts: must not be negative, got -1");
  EXPECT_EQ(LoadError(jobset("  failurePolicy: {rules: [{action: Retry}]}\n", "")),
            "JobSet default/js: spec.failurePolicy.rules[0].action: \"Retry\" is not one of "
            "FailJobSet, RestartJobSet, RestartJobSetAndIgnoreMaxRestarts, RestartJob, "
            "RestartJobAndIgnoreMaxRestarts");
}

constexpr char kFlatKaiPodGroup[] = R"(
apiVersion: scheduling.run.ai/v2alpha2
kind: PodGroup
metadata: {name: pg, namespace: ml}
spec:
  queue: team-a
  minMember: 2
  topologyConstraint: {topology: racks, preferredTopologyLevel: example.com/rack}
)";

TEST(GangWorkloadTest, JobPodsNamingAPodGroupJoinItInsteadOfFormingTheirOwn) {
  auto loaded = LoadString(std::string(kFlatKaiPodGroup) + R"(
---
apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: ml}
spec:
  parallelism: 2
  template:
    metadata:
      annotations: {pod-group-name: pg}
    spec: {containers: [{name: main}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: solo, namespace: ml}
spec:
  template: {spec: {containers: [{name: main}]}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 2u);  // pg and solo; train has no gang of its own
  const model::GangSpec& pg = loaded->gangs.gangs[0];
  EXPECT_EQ(pg.name, "pg");
  EXPECT_EQ(pg.min_member, 2);
  EXPECT_EQ(pg.topology.topology, "racks");
  EXPECT_EQ(pg.topology.preferred_level, "example.com/rack");
  ASSERT_EQ(pg.members.size(), 1u);
  EXPECT_EQ(pg.members[0].name, "default");
  EXPECT_EQ(pg.members[0].min_count, 2);
  EXPECT_THAT(pg.members[0].pod_names, ElementsAre("train-0", "train-1"));
  EXPECT_EQ(loaded->gangs.gangs[1].name, "solo");
  EXPECT_THAT(loaded->gangs.gangs[1].members[0].pod_names, ElementsAre("solo-0"));
  EXPECT_THAT(loaded->warnings, IsEmpty());
}

TEST(GangWorkloadTest, AJobSetKeepsTheReplicatedJobsThatDoNotJoinAPodGroup) {
  auto loaded = LoadString(R"(
apiVersion: scheduling.run.ai/v2alpha2
kind: PodGroup
metadata: {name: pg}
spec:
  subGroups:
  - {name: leaders, minMember: 1}
---
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: js}
spec:
  replicatedJobs:
  - name: leader
    template:
      spec:
        template:
          metadata:
            annotations: {pod-group-name: pg}
            labels: {kai.scheduler/subgroup-name: leaders}
          spec: {containers: [{name: main}]}
  - name: workers
    replicas: 2
    template: {spec: {parallelism: 2, template: {spec: {containers: [{name: main}]}}}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 2u);
  EXPECT_THAT(loaded->gangs.gangs[0].members[0].pod_names, ElementsAre("js-leader-0-0"));
  const model::GangSpec& js = loaded->gangs.gangs[1];
  EXPECT_EQ(js.kind, model::GangKind::kJobSet);
  ASSERT_EQ(js.members.size(), 1u);
  EXPECT_EQ(js.members[0].name, "workers");
  EXPECT_EQ(js.members[0].pods_per_job, 2);
  EXPECT_THAT(js.members[0].pod_names,
              ElementsAre("js-workers-0-0", "js-workers-0-1", "js-workers-1-0", "js-workers-1-1"));
}

// --- KAI PodGroups --------------------------------------------------------------------------

TEST(GangKaiTest, FlatPodGroupDefaultsToOnePodAndTakesPodsInPodIdOrder) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Pod
metadata: {name: b, annotations: {pod-group-name: pg}}
spec: {containers: [{name: main}]}
---
apiVersion: scheduling.run.ai/v2alpha2
kind: PodGroup
metadata: {name: pg}
spec: {queue: q}
---
apiVersion: v1
kind: Pod
metadata: {name: a, annotations: {pod-group-name: pg}, labels: {kai.scheduler/subgroup-name: default}}
spec: {containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata: {name: other-namespace, namespace: x, annotations: {pod-group-name: pg}}
spec: {containers: [{name: main}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  const model::GangSpec& g = loaded->gangs.gangs[0];
  EXPECT_EQ(g.min_member, 1);  // KAI: minMember unset means 1
  EXPECT_EQ(g.members[0].min_count, 1);
  EXPECT_THAT(g.members[0].pod_names, ElementsAre("b", "a"));
  // A PodGroup joins pods of its own namespace only.
  EXPECT_THAT(loaded->warnings,
              ElementsAre("-: Pod x/other-namespace: metadata.annotations.pod-group-name: the "
                          "KAI PodGroup \"x/pg\" is not in the input; the pod is placed as if "
                          "the annotation were absent"));
}

TEST(GangKaiTest, MinSubGroupCountsChildSubgroups) {
  auto loaded = LoadString(R"(
apiVersion: scheduling.run.ai/v2alpha2
kind: PodGroup
metadata: {name: inference}
spec:
  minSubGroup: 1
  subGroups:
  - {name: decode, minSubGroup: 1}
  - {name: decode-leader, parent: decode, minMember: 1}
  - {name: decode-workers, parent: decode, minMember: 0}
  - {name: prefill, minMember: 4}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::GangSpec& g = loaded->gangs.gangs.at(0);
  EXPECT_EQ(g.min_member, -1);
  EXPECT_EQ(g.min_subgroups, 1);
  ASSERT_EQ(g.members.size(), 4u);
  EXPECT_EQ(g.members[0].min_subgroups, 1);
  EXPECT_EQ(g.members[0].min_count, -1);
  EXPECT_EQ(g.members[2].min_count, 0);
  EXPECT_EQ(g.members[2].min_subgroups, -1);
}

std::string KaiPodGroup(const std::string& spec) {
  return "apiVersion: scheduling.run.ai/v2alpha2\nkind: PodGroup\nmetadata: {name: pg}\nspec:\n" +
         spec;
}

TEST(GangKaiTest, RejectsWhatKaisWebhookRejects) {
  EXPECT_EQ(LoadError(KaiPodGroup(R"(  subGroups:
  - {name: a, parent: c, minMember: 1}
  - {name: b, parent: a, minMember: 1}
  - {name: c, parent: b}
)")),
            "PodGroup default/pg: spec.subGroups[0].parent: the parents of subgroup \"a\" form "
            "a cycle: \"a\" -> \"c\" -> \"b\" -> \"a\"");
  EXPECT_EQ(LoadError(KaiPodGroup("  subGroups:\n  - {name: a, parent: missing, minMember: 1}\n")),
            "PodGroup default/pg: spec.subGroups[0].parent: subgroup \"missing\" does not exist "
            "in spec.subGroups");
  EXPECT_EQ(LoadError(KaiPodGroup("  subGroups:\n  - {name: a, parent: a, minMember: 1}\n")),
            "PodGroup default/pg: spec.subGroups[0].parent: a subgroup must not be its own parent");
  EXPECT_EQ(LoadError(KaiPodGroup("  subGroups:\n  - {name: a, minMember: -1}\n")),
            "PodGroup default/pg: spec.subGroups[0].minMember: must not be negative, got -1");
  EXPECT_EQ(LoadError(KaiPodGroup("  minMember: 0\n")),
            "PodGroup default/pg: spec.minMember: must be at least 1, got 0");
  EXPECT_EQ(LoadError(KaiPodGroup("  minMember: 4294967296\n")),
            "PodGroup default/pg: spec.minMember: must fit in 32 bits, got 4294967296");
  EXPECT_EQ(LoadError(KaiPodGroup(
                "  subGroups:\n  - {name: a, minMember: 1}\n  - {name: a, minMember: 2}\n")),
            "PodGroup default/pg: spec.subGroups[1].name: duplicate subgroup name \"a\" (also "
            "spec.subGroups[0].name)");
  EXPECT_EQ(LoadError(KaiPodGroup("  subGroups:\n  - {name: a}\n")),
            "PodGroup default/pg: spec.subGroups[0].minMember: required on a subgroup without "
            "child subgroups (KAI's webhook rejects it missing)");
  EXPECT_EQ(
      LoadError(KaiPodGroup("  subGroups:\n  - {name: a, minMember: 2}\n  - {name: b, parent: a, "
                            "minMember: 1}\n")),
      "PodGroup default/pg: spec.subGroups[0].minMember: must not be set on a subgroup "
      "with child subgroups (it has 1); use minSubGroup");
  EXPECT_EQ(
      LoadError(KaiPodGroup("  subGroups:\n  - {name: a, minSubGroup: 2}\n  - {name: b, parent: a, "
                            "minMember: 1}\n")),
      "PodGroup default/pg: spec.subGroups[0].minSubGroup: is 2 but the subgroup has 1 "
      "child subgroup");
  EXPECT_EQ(LoadError(KaiPodGroup("  minSubGroup: 2\n  subGroups:\n  - {name: a, minMember: 1}\n")),
            "PodGroup default/pg: spec.minSubGroup: is 2 but there is 1 top-level subgroup");
  EXPECT_EQ(LoadError(KaiPodGroup("  minMember: 2\n  minSubGroup: 1\n")),
            "PodGroup default/pg: spec.minSubGroup: must not be set together with minMember "
            "(minMember counts pods, minSubGroup counts top-level subgroups)");
  EXPECT_EQ(LoadError(KaiPodGroup("  subGroups: []\n  subgroups: []\n")),
            "PodGroup default/pg: spec.subgroups: must not be set together with subGroups");
  EXPECT_EQ(
      LoadError(KaiPodGroup("  topologyConstraint: {requiredTopologyLevel: \"rack level\"}\n")),
      "PodGroup default/pg: spec.topologyConstraint.requiredTopologyLevel: \"rack level\" "
      "is not a valid key: the name part must consist of alphanumeric characters, '-', "
      "'_' or '.', and start and end with an alphanumeric character");
}

TEST(GangKaiTest, APodMustNameALeafSubgroupOfItsPodGroup) {
  const std::string pg = KaiPodGroup(R"(  subGroups:
  - {name: ab}
  - {name: a, parent: ab, minMember: 1}
  - {name: b, parent: ab, minMember: 1}
---
)");
  auto pod = [&pg](const std::string& labels) {
    return pg + "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {pod-group-name: pg}" +
           labels + "}\nspec: {containers: [{name: main}]}\n";
  };
  EXPECT_EQ(LoadError(pod(", labels: {kai.scheduler/subgroup-name: c}")),
            "Pod default/p: metadata.labels.kai.scheduler/subgroup-name: PodGroup "
            "\"default/pg\" has no subgroup \"c\"; its leaf subgroups are \"a\", \"b\"");
  EXPECT_EQ(LoadError(pod(", labels: {kai.scheduler/subgroup-name: ab}")),
            "Pod default/p: metadata.labels.kai.scheduler/subgroup-name: subgroup \"ab\" of "
            "PodGroup \"default/pg\" has child subgroups; pods join leaf subgroups only (\"a\", "
            "\"b\")");
  EXPECT_EQ(LoadError(pod("")),
            "Pod default/p: metadata.labels: PodGroup \"default/pg\" has subGroups, so its pods "
            "need the label kai.scheduler/subgroup-name naming one of its leaf subgroups (\"a\", "
            "\"b\")");
  EXPECT_EQ(LoadError(pod(", labels: {kai.scheduler/subgroup-name: b}")), "OK");
  // A Job's template is blamed for its pods.
  EXPECT_EQ(LoadError(pg + R"(apiVersion: batch/v1
kind: Job
metadata: {name: train}
spec:
  template:
    metadata:
      annotations: {pod-group-name: pg}
      labels: {kai.scheduler/subgroup-name: x}
    spec: {containers: [{name: main}]}
)"),
            "Job default/train: spec.template.metadata.labels.kai.scheduler/subgroup-name: "
            "PodGroup \"default/pg\" has no subgroup \"x\"; its leaf subgroups are \"a\", \"b\"");
  // In a PodGroup without subgroups only "default" (KAI's name for its one pod set) works.
  EXPECT_EQ(LoadError(std::string(kFlatKaiPodGroup) +
                      "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ml, "
                      "annotations: {pod-group-name: pg}, labels: {kai.scheduler/subgroup-name: "
                      "a}}\nspec: {containers: [{name: main}]}\n"),
            "Pod ml/p: metadata.labels.kai.scheduler/subgroup-name: PodGroup \"ml/pg\" has no "
            "subGroups, so it has no subgroup \"a\"; leave the label out");
}

TEST(GangKaiTest, AJobNamingAMissingPodGroupKeepsItsGangWithOneWarning) {
  auto loaded = LoadString(R"(
apiVersion: batch/v1
kind: Job
metadata: {name: train}
spec:
  parallelism: 3
  template:
    metadata: {annotations: {pod-group-name: pg-train-1234}}
    spec: {containers: [{name: main}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  EXPECT_EQ(loaded->gangs.gangs[0].kind, model::GangKind::kJob);
  EXPECT_EQ(loaded->gangs.gangs[0].members[0].pod_names.size(), 3u);
  EXPECT_THAT(loaded->warnings,
              ElementsAre("-: Job default/train: spec.template.metadata.annotations."
                          "pod-group-name: the KAI PodGroup \"default/pg-train-1234\" is not in "
                          "the input; its pods are placed as if the annotation were absent"));
}

TEST(GangKaiTest, AMissingPodGroupIsReportedOnceWithTheNumberOfOthersNamingIt) {
  std::string text;
  for (const char* name : {"a", "b", "c"}) {
    text += std::string("---\napiVersion: v1\nkind: Pod\nmetadata: {name: ") + name +
            ", annotations: {pod-group-name: gone}}\nspec: {containers: [{name: main}]}\n";
  }
  auto loaded = LoadString(text);
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(loaded->gangs.gangs, IsEmpty());
  EXPECT_THAT(loaded->warnings,
              ElementsAre("-: Pod default/a: metadata.annotations.pod-group-name: the KAI "
                          "PodGroup \"default/gone\" is not in the input; the pod is placed as "
                          "if the annotation were absent; 2 more pods or templates name it "
                          "too"));
}

TEST(GangKaiTest, KaiWinsOverVolcanoWhenAPodNamesBoth) {
  auto loaded = LoadString(std::string(kFlatKaiPodGroup) + R"(---
apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata: {name: pg, namespace: ml}
spec: {minMember: 0}
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ml
  annotations: {pod-group-name: pg, scheduling.k8s.io/group-name: pg}
spec: {containers: [{name: main}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 2u);
  EXPECT_THAT(loaded->gangs.gangs[0].members[0].pod_names, ElementsAre("p"));
  EXPECT_THAT(loaded->gangs.gangs[1].members, IsEmpty());
}

// --- Volcano PodGroups and Jobs -------------------------------------------------------------

TEST(GangVolcanoTest, PodsJoinTheirTaskOfThePodGroup) {
  auto loaded = LoadString(R"(
apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata: {name: tf, namespace: ml}
spec:
  minMember: 3
  minTaskMember: {ps: 1, worker: 2}
  queue: default
---
apiVersion: v1
kind: Pod
metadata:
  name: tf-worker-0
  namespace: ml
  annotations: {scheduling.k8s.io/group-name: tf, volcano.sh/task-spec: worker}
spec: {containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: tf-ps-0
  namespace: ml
  annotations: {scheduling.k8s.io/group-name: tf, volcano.sh/task-spec: ps}
spec: {containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: tf-chief
  namespace: ml
  annotations: {scheduling.k8s.io/group-name: tf, volcano.sh/task-spec: chief}
spec: {containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: tf-untagged
  namespace: ml
  annotations: {scheduling.k8s.io/group-name: tf}
spec: {containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: elsewhere
  annotations: {scheduling.k8s.io/group-name: nowhere}
spec: {containers: [{name: main}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  const model::GangSpec& g = loaded->gangs.gangs[0];
  EXPECT_EQ(g.kind, model::GangKind::kVolcanoPodGroup);
  EXPECT_EQ(g.min_member, 3);
  ASSERT_EQ(g.members.size(), 4u);
  EXPECT_EQ(g.members[0].name, "ps");
  EXPECT_EQ(g.members[0].min_count, 1);
  EXPECT_THAT(g.members[0].pod_names, ElementsAre("tf-ps-0"));
  EXPECT_EQ(g.members[1].name, "worker");
  EXPECT_EQ(g.members[1].min_count, 2);
  EXPECT_THAT(g.members[1].pod_names, ElementsAre("tf-worker-0"));
  // Tasks minTaskMember does not list have no minimum; untagged pods are task "default".
  EXPECT_EQ(g.members[2].name, "chief");
  EXPECT_EQ(g.members[2].min_count, 0);
  EXPECT_EQ(g.members[3].name, "default");
  EXPECT_THAT(g.members[3].pod_names, ElementsAre("tf-untagged"));
  EXPECT_THAT(
      loaded->warnings,
      ElementsAre("-: Pod default/elsewhere: metadata.annotations.scheduling.k8s.io/group-name: "
                  "the Volcano PodGroup \"default/nowhere\" is not in the input; the pod is "
                  "placed as if the annotation were absent",
                  "-: PodGroup ml/tf: too few pods in the input (task \"worker\" needs 2, has 1)"
                  "; it cannot start until more pods join it"));
}

TEST(GangVolcanoTest, TaskMinimumsCountOnlyWhenMinMemberCoversThem) {
  auto loaded = LoadString(R"(
apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata: {name: pg}
spec: {minMember: 2, minTaskMember: {a: 2, b: 1}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::GangSpec& g = loaded->gangs.gangs.at(0);
  EXPECT_EQ(g.min_member, 2);
  EXPECT_EQ(g.members.at(0).min_count, 0);  // 2 < 2 + 1: Volcano checks minMember only
  EXPECT_EQ(g.members.at(1).min_count, 0);
  EXPECT_EQ(LoadError("apiVersion: scheduling.volcano.sh/v1beta1\nkind: PodGroup\nmetadata: "
                      "{name: pg}\nspec: {minTaskMember: {a: -2}}\n"),
            "PodGroup default/pg: spec.minTaskMember.a: must not be negative, got -2");
}

constexpr char kVolcanoJob[] = R"(
apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata: {name: mpi, namespace: hpc, uid: 4f2a}
spec:
  queue: research
  tasks:
  - name: launcher
    replicas: 1
    template:
      spec:
        schedulerName: custom
        containers: [{name: main, resources: {requests: {cpu: 500m}}}]
  - name: worker
    replicas: 3
    minAvailable: 2
    template:
      metadata:
        labels: {app: mpi}
      spec:
        priorityClassName: high
        containers: [{name: main, resources: {requests: {nvidia.com/gpu: "1"}, limits: {nvidia.com/gpu: "1"}}}]
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
)";

TEST(GangVolcanoTest, VolcanoJobExpandsIntoTaskPodsAndAGang) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Pod
metadata: {name: before}
spec: {containers: [{name: main}]}
---
)" + std::string(kVolcanoJob));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(PodNames(*loaded), ElementsAre("before", "mpi-launcher-0", "mpi-worker-0",
                                             "mpi-worker-1", "mpi-worker-2"));
  const model::Snapshot& s = loaded->snapshot;
  EXPECT_EQ(s.pod(model::PodId::FromIndex(1)).priority, 0);
  EXPECT_EQ(s.pod(model::PodId::FromIndex(2)).priority, 1000);
  EXPECT_EQ(s.pod(model::PodId::FromIndex(2)).namespace_name, "hpc");
  EXPECT_EQ(s.pod_labels(model::PodId::FromIndex(2)).size(), 5u);  // app + 4 of Volcano's
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  const model::GangSpec& g = loaded->gangs.gangs[0];
  EXPECT_EQ(g.namespace_name, "hpc");
  EXPECT_EQ(g.min_member, 3);  // default: 1 (launcher's replicas) + 2
  ASSERT_EQ(g.members.size(), 2u);
  EXPECT_EQ(g.members[0].min_count, 1);
  EXPECT_EQ(g.members[1].name, "worker");
  EXPECT_EQ(g.members[1].min_count, 2);
  EXPECT_THAT(g.members[1].pod_names, ElementsAre("mpi-worker-0", "mpi-worker-1", "mpi-worker-2"));
  // The template's scheduler wins over the Job's; the owner carries the Job's uid.
  const YAML::Node& launcher = loaded->pod_objects[1];
  EXPECT_EQ(launcher["spec"]["schedulerName"].Scalar(), "custom");
  EXPECT_EQ(launcher["metadata"]["ownerReferences"][0]["uid"].Scalar(), "4f2a");
  EXPECT_EQ(launcher["metadata"]["labels"]["volcano.sh/queue-name"].Scalar(), "research");
  EXPECT_EQ(loaded->pod_objects[2]["spec"]["schedulerName"].Scalar(), "volcano");
  EXPECT_EQ(loaded->pod_objects[2]["metadata"]["labels"]["app"].Scalar(), "mpi");
  EXPECT_EQ(loaded->pod_objects[3]["spec"]["priorityClassName"].Scalar(), "high");
}

TEST(GangVolcanoTest, VolcanoJobKeepsPodsItAlreadyHas) {
  auto loaded = LoadString(std::string(kVolcanoJob) + R"(---
apiVersion: v1
kind: Pod
metadata:
  name: mpi-worker-1
  namespace: hpc
  annotations: {scheduling.k8s.io/group-name: mpi-4f2a, volcano.sh/task-spec: worker}
spec: {nodeName: n1, containers: [{name: main}]}
---
apiVersion: v1
kind: Pod
metadata: {name: mpi-launcher-0, namespace: hpc}
spec: {containers: [{name: main}]}
status: {phase: Succeeded}
---
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {allocatable: {cpu: "8", nvidia.com/gpu: "8"}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  // Not made again: the running worker (kept in its input position) and the finished
  // launcher (skipped, as every Succeeded pod is).
  EXPECT_THAT(PodNames(*loaded), ElementsAre("mpi-worker-0", "mpi-worker-2", "mpi-worker-1"));
  const model::GangSpec& g = loaded->gangs.gangs.at(0);
  EXPECT_EQ(g.min_member, 2);  // the succeeded launcher counts as ready
  EXPECT_THAT(g.members[0].pod_names, IsEmpty());
  EXPECT_EQ(g.members[0].min_count, 0);
  EXPECT_THAT(g.members[1].pod_names, ElementsAre("mpi-worker-0", "mpi-worker-1", "mpi-worker-2"));
  // The running pod names a PodGroup the input lacks, but it is the Job's: no warning.
  EXPECT_THAT(loaded->warnings,
              ElementsAre("skipped 1 pod in phase Succeeded or Failed: they hold no resources"));
}

TEST(GangVolcanoTest, AFailedPodIsNotMadeAgainSoTheJobMayFallShort) {
  auto loaded = LoadString(std::string(kVolcanoJob) + R"(---
apiVersion: v1
kind: Pod
metadata: {name: mpi-worker-0, namespace: hpc}
spec: {containers: [{name: main}]}
status: {phase: Failed}
---
apiVersion: v1
kind: Pod
metadata: {name: mpi-worker-2, namespace: hpc}
spec: {containers: [{name: main}]}
status: {phase: Failed}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(PodNames(*loaded), ElementsAre("mpi-launcher-0", "mpi-worker-1"));
  const model::GangSpec& g = loaded->gangs.gangs.at(0);
  EXPECT_EQ(g.min_member, 3);
  EXPECT_THAT(g.members[1].pod_names, ElementsAre("mpi-worker-1"));
  EXPECT_THAT(loaded->warnings,
              ElementsAre("skipped 2 pods in phase Succeeded or Failed: they hold no resources",
                          "-: Job hpc/mpi: too few pods in the input (minMember is 3, 2 pods join "
                          "it; task \"worker\" needs 2, has 1); it cannot start until more pods "
                          "join it"));
}

TEST(GangVolcanoTest, APodGroupOfAVolcanoJobInTheInputIsReplacedByTheJob) {
  auto loaded = LoadString(std::string(kVolcanoJob) + R"(---
apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata:
  name: mpi-4f2a
  namespace: hpc
  ownerReferences: [{apiVersion: batch.volcano.sh/v1alpha1, kind: Job, name: mpi, controller: true}]
spec: {minMember: 3, minTaskMember: {launcher: 1, worker: 2}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 1u);
  EXPECT_EQ(loaded->gangs.gangs[0].kind, model::GangKind::kVolcanoJob);
  EXPECT_THAT(loaded->warnings, IsEmpty());
}

std::string VolcanoJob(const std::string& spec) {
  return "apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: vj}\nspec:\n" + spec;
}

TEST(GangVolcanoTest, RejectsWhatVolcanosWebhookRejectsAndHostileCounts) {
  const std::string tmpl = "    template: {spec: {containers: [{name: main}]}}\n";
  EXPECT_EQ(LoadError(VolcanoJob("  tasks:\n  - name: w\n    replicas: 2000000000\n" + tmpl)),
            "Job default/vj: spec.tasks[0].replicas: the Volcano Job would have 2000000000 pods; "
            "at most 100000 are allowed per workload");
  EXPECT_EQ(LoadError(VolcanoJob("  tasks:\n  - name: a\n    replicas: 60000\n" + tmpl +
                                 "  - name: b\n    replicas: 60000\n" + tmpl)),
            "Job default/vj: spec.tasks[1].replicas: the Volcano Job would have 120000 pods "
            "(60000 in earlier tasks + 60000 replicas); at most 100000 are allowed per "
            "workload");
  EXPECT_EQ(LoadError(VolcanoJob("  tasks: []\n")),
            "Job default/vj: spec.tasks: must list at least one task");
  EXPECT_EQ(LoadError(VolcanoJob("  tasks:\n  - name: a\n    replicas: 1\n" + tmpl +
                                 "  - name: a\n    replicas: 1\n" + tmpl)),
            "Job default/vj: spec.tasks[1].name: duplicate task name \"a\" (also "
            "spec.tasks[0].name)");
  EXPECT_EQ(LoadError(VolcanoJob("  tasks:\n  - name: Workers\n    replicas: 1\n" + tmpl)),
            "Job default/vj: spec.tasks[0].name: \"Workers\" is not a valid DNS label: must "
            "consist of lower case alphanumeric characters or '-', and start and end with an "
            "alphanumeric character");
  EXPECT_EQ(
      LoadError(VolcanoJob("  tasks:\n  - name: a\n    replicas: 2\n    minAvailable: 3\n" + tmpl)),
      "Job default/vj: spec.tasks[0].minAvailable: is 3 but the task has 2 replicas");
  EXPECT_EQ(
      LoadError(VolcanoJob("  minAvailable: 5\n  tasks:\n  - name: a\n    replicas: 2\n" + tmpl)),
      "Job default/vj: spec.minAvailable: is 5 but the tasks have 2 replicas in all");
  EXPECT_EQ(LoadError(VolcanoJob("  tasks:\n  - name: a\n    replicas: -1\n" + tmpl)),
            "Job default/vj: spec.tasks[0].replicas: must not be negative, got -1");
  EXPECT_EQ(LoadError(VolcanoJob("  tasks:\n  - name: a\n    replicas: 1\n")),
            "Job default/vj: spec.tasks[0].template: required field is missing");
}

TEST(GangVolcanoTest, UnnamedTasksAndZeroMinAvailableGetVolcanosDefaults) {
  auto loaded = LoadString(VolcanoJob(R"(  minAvailable: 0
  tasks:
  - replicas: 2
    template: {spec: {containers: [{name: main}]}}
)"));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(PodNames(*loaded), ElementsAre("vj-default0-0", "vj-default0-1"));
  EXPECT_EQ(loaded->gangs.gangs.at(0).min_member, 2);
  EXPECT_EQ(loaded->gangs.gangs.at(0).members.at(0).min_count, 2);
}

// --- order ----------------------------------------------------------------------------------

TEST(GangOrderTest, GangsFollowTheInputOrderOfTheirObjects) {
  auto loaded = LoadString(VolcanoJob(R"(  tasks:
  - {name: a, replicas: 1, template: {spec: {containers: [{name: main}]}}}
)") + "---\n" + std::string(kFlatKaiPodGroup) +
                           R"(---
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec: {template: {spec: {containers: [{name: main}]}}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->gangs.gangs.size(), 3u);
  EXPECT_EQ(loaded->gangs.gangs[0].name, "vj");
  EXPECT_EQ(loaded->gangs.gangs[1].name, "pg");
  EXPECT_EQ(loaded->gangs.gangs[2].name, "j");
}

}  // namespace
}  // namespace tessera::io
