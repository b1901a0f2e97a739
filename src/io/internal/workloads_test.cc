// Known-answer tests for Jobs, JobSets and queued Pods: pod names, labels, pod objects,
// PodId order, Workloads (name, queue, priority, PodSets, topology) and the expansion
// bounds, through LoadManifests; plus the upstream JobSet and Kueue job examples.
#include "io/internal/workloads.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

const fs::path kExamples = fs::path(TESSERA_SHARED_DIR) / "reference" / "k8s-examples";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> PodNames(const LoadedManifests& m) {
  std::vector<std::string> names;
  for (size_t i = 0; i < m.snapshot.num_pods(); ++i) {
    names.push_back(m.snapshot.pod(model::PodId::FromIndex(i)).name);
  }
  return names;
}

// The labels of the pod object at `index`, as written.
std::vector<std::pair<std::string, std::string>> ObjectLabels(const LoadedManifests& m,
                                                              size_t index) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : m.pod_objects[index]["metadata"]["labels"]) {
    out.emplace_back(kv.first.Scalar(), kv.second.Scalar());
  }
  return out;
}

constexpr char kJobSet[] = R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata:
  name: js
  namespace: team-a
  labels: {kueue.x-k8s.io/queue-name: user-queue}
spec:
  replicatedJobs:
  - name: leader
    replicas: 2
    template:
      spec:
        parallelism: 2
        completions: 2
        template:
          metadata:
            labels: {app: llm}
          spec:
            containers:
            - name: main
              resources: {requests: {cpu: "1", nvidia.com/gpu: "1"}, limits: {nvidia.com/gpu: "1"}}
  - name: workers
    replicas: 2
    template:
      spec:
        parallelism: 2
        template:
          spec:
            containers:
            - name: main
              resources: {requests: {cpu: 500m}}
)";

TEST(WorkloadsTest, ExpandsAJobSetIntoNamedAndLabelledPods) {
  // 2 replicatedJobs x 2 replicas x parallelism 2 = 8 pods.
  auto loaded = LoadString(kJobSet);
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(PodNames(*loaded),
              ElementsAre("js-leader-0-0", "js-leader-0-1", "js-leader-1-0", "js-leader-1-1",
                          "js-workers-0-0", "js-workers-0-1", "js-workers-1-0", "js-workers-1-1"));
  ASSERT_EQ(loaded->pod_objects.size(), 8u);
  EXPECT_THAT(ObjectLabels(*loaded, 6),
              ElementsAre(Pair("batch.kubernetes.io/job-name", "js-workers-1"),
                          Pair("job-name", "js-workers-1"),
                          Pair("batch.kubernetes.io/job-completion-index", "0"),
                          Pair("jobset.sigs.k8s.io/jobset-name", "js"),
                          Pair("jobset.sigs.k8s.io/replicatedjob-name", "workers"),
                          Pair("jobset.sigs.k8s.io/job-index", "1"),
                          Pair("jobset.sigs.k8s.io/job-global-index", "3"),
                          Pair("jobset.sigs.k8s.io/replicatedjob-replicas", "2")));
  EXPECT_EQ(ObjectLabels(*loaded, 1)[0], std::make_pair(std::string("app"), std::string("llm")));
  // The snapshot pod carries the same labels and the template's requests.
  const model::Snapshot& s = loaded->snapshot;
  const model::PodId p1 = model::PodId::FromIndex(1);
  EXPECT_EQ(s.pod(p1).namespace_name, "team-a");
  EXPECT_EQ(s.pod_labels(p1).size(), 9u);
  ASSERT_EQ(s.pod_requests(p1).size(), 2u);  // cpu, nvidia.com/gpu
  EXPECT_EQ(s.pod_requests(p1)[0].amount, Quantity(1000));
  // Pod objects: owner is the Job, spec from the template, completion index annotated
  // (JobSet Jobs are Indexed).
  const YAML::Node& obj = loaded->pod_objects[3];
  EXPECT_EQ(obj["kind"].Scalar(), "Pod");
  EXPECT_EQ(obj["metadata"]["name"].Scalar(), "js-leader-1-1");
  EXPECT_EQ(obj["metadata"]["namespace"].Scalar(), "team-a");
  EXPECT_EQ(obj["metadata"]["ownerReferences"][0]["kind"].Scalar(), "Job");
  EXPECT_EQ(obj["metadata"]["ownerReferences"][0]["name"].Scalar(), "js-leader-1");
  EXPECT_EQ(obj["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"].Scalar(),
            "1");
  EXPECT_EQ(obj["spec"]["containers"][0]["name"].Scalar(), "main");

  ASSERT_EQ(loaded->queues.workloads.size(), 1u);
  const model::WorkloadSpec& w = loaded->queues.workloads[0];
  EXPECT_EQ(w.name, "jobset-js");
  EXPECT_EQ(w.namespace_name, "team-a");
  EXPECT_EQ(w.queue_name, "user-queue");
  EXPECT_EQ(w.owner.api_version, "jobset.x-k8s.io/v1alpha2");
  EXPECT_EQ(w.owner.kind, "JobSet");
  EXPECT_EQ(w.owner.name, "js");
  ASSERT_EQ(w.pod_sets.size(), 2u);
  EXPECT_EQ(w.pod_sets[0].name, "leader");
  EXPECT_EQ(w.pod_sets[0].count, 4);
  EXPECT_THAT(w.pod_sets[1].pod_names,
              ElementsAre("js-workers-0-0", "js-workers-0-1", "js-workers-1-0", "js-workers-1-1"));
  EXPECT_EQ(w.priority, 0);
}

TEST(WorkloadsTest, ExpandsAJobCappedByCompletionsInInputOrder) {
  auto loaded = LoadString(R"(
apiVersion: v1
kind: Pod
metadata: {name: before}
spec: {containers: [{name: c}]}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: train
  uid: 1234
  creationTimestamp: "2024-05-01T12:00:00Z"
spec:
  parallelism: 5
  completions: 3
  template:
    metadata:
      labels: {job-name: wrong, team: a}
      annotations: {note: kept}
    spec:
      priorityClassName: high
      nodeSelector: {pool: gpu}
      containers: [{name: c, resources: {requests: {memory: 1Gi}}}]
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 500
---
apiVersion: v1
kind: Pod
metadata: {name: after}
spec: {containers: [{name: c}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(PodNames(*loaded), ElementsAre("before", "train-0", "train-1", "train-2", "after"));
  EXPECT_TRUE(loaded->queues.workloads.empty());  // no queue label: pods only
  const model::Snapshot& s = loaded->snapshot;
  const model::PodId p = model::PodId::FromIndex(2);
  EXPECT_EQ(s.pod(p).priority, 500);
  EXPECT_EQ(s.pod(p).creation_unix_seconds, 1714564800);
  EXPECT_EQ(s.pod_node_selector(p).size(), 1u);
  EXPECT_THAT(ObjectLabels(*loaded, 2),
              ElementsAre(Pair("job-name", "train"), Pair("team", "a"),
                          Pair("batch.kubernetes.io/job-name", "train"),
                          Pair("batch.kubernetes.io/job-completion-index", "1")));
  const YAML::Node meta = loaded->pod_objects[2]["metadata"];
  EXPECT_EQ(meta["ownerReferences"][0]["apiVersion"].Scalar(), "batch/v1");
  EXPECT_EQ(meta["ownerReferences"][0]["uid"].Scalar(), "1234");
  EXPECT_EQ(meta["creationTimestamp"].Scalar(), "2024-05-01T12:00:00Z");
  // NonIndexed: template annotations only.
  EXPECT_EQ(meta["annotations"].size(), 1u);
  EXPECT_EQ(loaded->pod_objects[2]["spec"]["priorityClassName"].Scalar(), "high");
}

TEST(WorkloadsTest, QueuedJobGetsAWorkloadWithPriorityAndTopology) {
  auto loaded = LoadString(R"(
apiVersion: kueue.x-k8s.io/v1beta2
kind: WorkloadPriorityClass
metadata: {name: urgent}
value: 9000
---
apiVersion: batch/v1
kind: Job
metadata:
  name: a
  namespace: ml
  labels: {kueue.x-k8s.io/queue-name: lq, kueue.x-k8s.io/priority-class: urgent}
spec:
  suspend: true
  parallelism: 4
  completions: 4
  completionMode: Indexed
  template:
    metadata:
      annotations:
        kueue.x-k8s.io/podset-preferred-topology: cloud.provider.com/topology-rack
        kueue.x-k8s.io/podset-slice-required-topology: cloud.provider.com/topology-block
        kueue.x-k8s.io/podset-slice-size: "2"
    spec:
      containers: [{name: c}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: b
  namespace: ml
  labels: {kai.scheduler/queue: team-a}
spec:
  template:
    metadata:
      annotations: {kueue.x-k8s.io/podset-unconstrained-topology: "true"}
    spec: {containers: [{name: c}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->queues.workloads.size(), 2u);
  const model::WorkloadSpec& a = loaded->queues.workloads[0];
  EXPECT_EQ(a.name, "job-a");
  EXPECT_EQ(a.queue_name, "lq");
  EXPECT_EQ(a.priority, 9000);
  EXPECT_EQ(a.priority_class_name, "urgent");
  EXPECT_EQ(a.source, "-");
  ASSERT_EQ(a.pod_sets.size(), 1u);
  EXPECT_EQ(a.pod_sets[0].name, "main");
  EXPECT_EQ(a.pod_sets[0].count, 4);
  EXPECT_EQ(a.pod_sets[0].preferred_topology, "cloud.provider.com/topology-rack");
  EXPECT_EQ(a.pod_sets[0].slices,
            (std::vector<model::SliceLayerSpec>{{"cloud.provider.com/topology-block", 2}}));
  // The pods keep their own (PriorityClass) priority: WorkloadPriorityClass is Kueue's only.
  EXPECT_EQ(loaded->snapshot.pod(model::PodId::FromIndex(0)).priority, 0);
  const model::WorkloadSpec& b = loaded->queues.workloads[1];
  EXPECT_EQ(b.kai_queue, "team-a");
  EXPECT_EQ(b.queue_name, "");
  EXPECT_TRUE(b.pod_sets[0].unconstrained_topology);
  EXPECT_THAT(b.pod_sets[0].pod_names, ElementsAre("b-0"));
  // Namespace ml is used but not declared.
  ASSERT_EQ(loaded->queues.namespaces.size(), 1u);
  EXPECT_EQ(loaded->queues.namespaces[0].name, "ml");
}

// kueue.x-k8s.io/podset-group-name: both PodSets of examples/podset-group keep the group and
// their common required level.
TEST(WorkloadsTest, PodSetGroupNameIsKeptOnEveryPodSetOfTheGroup) {
  auto loaded = LoadString(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: serve, labels: {kueue.x-k8s.io/queue-name: q}}
spec:
  replicatedJobs:
  - name: leader
    template:
      spec:
        template:
          metadata:
            annotations: {kueue.x-k8s.io/podset-required-topology: rack, kueue.x-k8s.io/podset-group-name: serve}
          spec: {containers: [{name: c}]}
  - name: workers
    template:
      spec:
        parallelism: 2
        template:
          metadata:
            annotations: {kueue.x-k8s.io/podset-required-topology: rack, kueue.x-k8s.io/podset-group-name: serve}
          spec: {containers: [{name: c}]}
  - name: sidecar
    template:
      spec:
        template: {spec: {containers: [{name: c}]}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->queues.workloads.size(), 1u);
  const auto& sets = loaded->queues.workloads[0].pod_sets;
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[0].group_name, "serve");
  EXPECT_EQ(sets[1].group_name, "serve");
  EXPECT_EQ(sets[1].required_topology, "rack");
  EXPECT_EQ(sets[2].group_name, "");
}

TEST(WorkloadsTest, QueuedPodGetsAWorkloadOfOnePod) {
  auto loaded = LoadString(R"(
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 100
---
apiVersion: v1
kind: Pod
metadata:
  generateName: solo-
  labels: {kueue.x-k8s.io/queue-name: lq}
  annotations: {kueue.x-k8s.io/podset-required-topology: kubernetes.io/hostname}
spec:
  priorityClassName: high
  containers: [{name: c}]
---
apiVersion: v1
kind: Pod
metadata: {name: plain}
spec: {containers: [{name: c}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->queues.workloads.size(), 1u);
  const model::WorkloadSpec& w = loaded->queues.workloads[0];
  EXPECT_EQ(w.name, "pod-solo-bbbbb");
  EXPECT_EQ(w.owner.kind, "Pod");
  EXPECT_EQ(w.owner.name, "solo-bbbbb");
  EXPECT_EQ(w.priority, 100);
  EXPECT_EQ(w.priority_class_name, "high");
  ASSERT_EQ(w.pod_sets.size(), 1u);
  EXPECT_EQ(w.pod_sets[0].count, 1);
  EXPECT_EQ(w.pod_sets[0].required_topology, "kubernetes.io/hostname");
  EXPECT_THAT(w.pod_sets[0].pod_names, ElementsAre("solo-bbbbb"));
}

TEST(WorkloadsTest, GeneratedJobNamesSkipExplicitOnes) {
  auto loaded = LoadString(R"(
apiVersion: batch/v1
kind: Job
metadata: {generateName: x}
spec: {template: {spec: {containers: [{name: c}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: xbbbbb}
spec: {template: {spec: {containers: [{name: c}]}}}
---
apiVersion: v1
kind: Pod
metadata: {generateName: xbbbbc-}
spec: {containers: [{name: c}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  // The generated Job skips the explicit "xbbbbb"; Pods count their own suffixes.
  EXPECT_THAT(PodNames(*loaded), ElementsAre("xbbbbc-0", "xbbbbb-0", "xbbbbc-bbbbb"));
}

TEST(WorkloadsTest, TopsUpJobsWhosePodsAreInTheInput) {
  // As `kubectl get jobs,pods` of a live cluster gives: the Job and two of its three pods
  // (one found by ownerReference with completion index 1, one by label), so only one more
  // is made, with the first free index.
  auto loaded = LoadString(R"(
apiVersion: batch/v1
kind: Job
metadata: {name: t, labels: {kueue.x-k8s.io/queue-name: lq}}
spec:
  parallelism: 3
  completions: 3
  completionMode: Indexed
  template: {spec: {containers: [{name: c}]}}
---
apiVersion: v1
kind: Pod
metadata:
  name: t-x7k2p
  labels: {batch.kubernetes.io/job-completion-index: "1"}
  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: t, uid: u}]
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: t-0, labels: {job-name: t}}
spec: {containers: [{name: c}]}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(PodNames(*loaded), ElementsAre("t-2", "t-x7k2p", "t-0"));
  ASSERT_EQ(loaded->queues.workloads.size(), 1u);
  EXPECT_EQ(loaded->queues.workloads[0].pod_sets[0].count, 3);
  EXPECT_THAT(loaded->queues.workloads[0].pod_sets[0].pod_names,
              ElementsAre("t-x7k2p", "t-0", "t-2"));
}

TEST(WorkloadsTest, BoundsTheExpansion) {
  const std::string job =
      "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j%d}\n"
      "spec: {parallelism: 100000, completions: 100000, "
      "template: {spec: {containers: [{name: c}]}}}\n---\n";
  // Three Jobs of 100,000 pods: the third passes 200,000 and fails before any pod is made
  // (so this test is fast).
  std::string text;
  for (int i = 0; i < 3; ++i) {
    std::string one = job;
    one.replace(one.find("%d"), 2, std::to_string(i));
    text += one;
  }
  EXPECT_EQ(ErrorOf(LoadString(text)),
            "-: Job default/j2: spec.parallelism: the Jobs and JobSets of the input would have "
            "300000 pods in all; at most 200000 are allowed");
  EXPECT_EQ(ErrorOf(LoadString(R"(
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: big}
spec:
  replicatedJobs:
  - {name: a, replicas: 4, template: {spec: {parallelism: 2, template: {spec: {containers: [{name: c}]}}}}}
  - {name: b, replicas: 2000, template: {spec: {parallelism: 4000, template: {spec: {containers: [{name: c}]}}}}}
)")),
            "-: JobSet default/big: spec.replicatedJobs[1].replicas: the JobSet would have "
            "8000008 pods (8 in earlier replicatedJobs + 2000 replicas x 4000 pods per Job); at "
            "most 100000 are allowed per workload");
}

TEST(WorkloadsTest, RejectsInvalidJobs) {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {completionMode: Indexed, "
       "template: {spec: {containers: [{name: c}]}}}\n",
       "-: Job default/j: spec.completions: required when completionMode is Indexed"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {completionMode: Random, "
       "template: {spec: {containers: [{name: c}]}}}\n",
       "-: Job default/j: spec.completionMode: \"Random\" is not a valid completion mode: must be "
       "NonIndexed or Indexed"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {parallelism: 1}\n",
       "-: Job default/j: spec.template: required field is missing"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: "
       "{containers: [{name: c, resources: {requests: {cpu: lots}}}]}}}\n",
       "-: Job default/j: spec.template.spec.containers[0].resources.requests.cpu: \"lots\" is "
       "not a valid quantity: no digits before \"lots\""},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: "
       "{priorityClassName: gone, containers: [{name: c}]}}}\n",
       "-: Job default/j: spec.template.spec.priorityClassName: PriorityClass \"gone\" does not "
       "exist"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {metadata: "
       "{annotations: {kueue.x-k8s.io/podset-required-topology: a, "
       "kueue.x-k8s.io/podset-preferred-topology: b}}, spec: {containers: [{name: c}]}}}\n",
       "-: Job default/j: spec.template.metadata.annotations.kueue.x-k8s.io/"
       "podset-preferred-topology: must not be set together with "
       "kueue.x-k8s.io/podset-required-topology"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: " + std::string(64, 'j') +
           "}\nspec: {template: {spec: {containers: [{name: c}]}}}\n",
       "-: Job default/" + std::string(64, 'j') + ": metadata.name: \"" + std::string(64, 'j') +
           "\" is too long: must be no more than 63 characters"},
      {"apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: s}\nspec: {}\n",
       "-: JobSet default/s: spec.replicatedJobs: must list at least one replicatedJob"},
      // PodSet groups: at least two PodSets, one common required or preferred level.
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {metadata: "
       "{annotations: {kueue.x-k8s.io/podset-required-topology: rack, "
       "kueue.x-k8s.io/podset-group-name: g}}, spec: {containers: [{name: c}]}}}\n",
       "-: Job default/j: spec.template.metadata.annotations.kueue.x-k8s.io/podset-group-name: "
       "group \"g\" has only PodSet main; a group of PodSets needs at least 2 (such as a leader "
       "and its workers)"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {metadata: "
       "{annotations: {kueue.x-k8s.io/podset-group-name: g}}, spec: {containers: [{name: "
       "c}]}}}\n",
       "-: Job default/j: spec.template.metadata.annotations.kueue.x-k8s.io/podset-group-name: "
       "needs kueue.x-k8s.io/podset-required-topology or "
       "kueue.x-k8s.io/podset-preferred-topology: a group of PodSets is placed in one domain of "
       "that level"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {metadata: "
       "{annotations: {kueue.x-k8s.io/podset-required-topology: rack, "
       "kueue.x-k8s.io/podset-group-name: \"\"}}, spec: {containers: [{name: c}]}}}\n",
       "-: Job default/j: spec.template.metadata.annotations.kueue.x-k8s.io/podset-group-name: "
       "must name a group of PodSets"},
      {"apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: s}\nspec:\n"
       "  replicatedJobs:\n"
       "  - {name: a, template: {spec: {template: {metadata: {annotations: "
       "{kueue.x-k8s.io/podset-required-topology: rack, kueue.x-k8s.io/podset-group-name: g}}, "
       "spec: {containers: [{name: c}]}}}}}\n"
       "  - {name: b, template: {spec: {template: {metadata: {annotations: "
       "{kueue.x-k8s.io/podset-preferred-topology: block, kueue.x-k8s.io/podset-group-name: "
       "g}}, spec: {containers: [{name: c}]}}}}}\n",
       "-: JobSet default/s: spec.replicatedJobs[1].template.spec.template.metadata.annotations."
       "kueue.x-k8s.io/podset-group-name: PodSets a and b of group \"g\" must ask for the same "
       "topology (kueue.x-k8s.io/podset-required-topology: rack vs "
       "kueue.x-k8s.io/podset-preferred-topology: block)"},
      {"apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {kueue.x-k8s.io/queue-name: q}, "
       "annotations: {kueue.x-k8s.io/podset-required-topology: rack, "
       "kueue.x-k8s.io/podset-group-name: g}}\nspec: {containers: [{name: c}]}\n",
       "-: Pod default/p: metadata.annotations.kueue.x-k8s.io/podset-group-name: a group of "
       "PodSets needs at least 2, and a queued Pod is one PodSet"},
      // Partial admission (a queued Job only): Kueue's webhook wants 0 < min < pods.
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, labels: {kueue.x-k8s.io/queue-name: "
       "q}, annotations: {kueue.x-k8s.io/job-min-parallelism: \"4\"}}\nspec: {parallelism: 4, "
       "template: {spec: {containers: [{name: c}]}}}\n",
       "-: Job default/j: metadata.annotations.kueue.x-k8s.io/job-min-parallelism: must be "
       "between 1 and 3 (fewer than the Job's 4 pods), got 4"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, labels: {kueue.x-k8s.io/queue-name: "
       "q}, annotations: {kueue.x-k8s.io/job-min-parallelism: \"0\"}}\nspec: {parallelism: 4, "
       "completions: 2, template: {spec: {containers: [{name: c}]}}}\n",
       "-: Job default/j: metadata.annotations.kueue.x-k8s.io/job-min-parallelism: must be "
       "between 1 and 1 (fewer than the Job's 2 pods), got 0"},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, labels: {kueue.x-k8s.io/queue-name: "
       "q}, annotations: {kueue.x-k8s.io/job-min-parallelism: half}}\nspec: {parallelism: 4, "
       "template: {spec: {containers: [{name: c}]}}}\n",
       "-: Job default/j: metadata.annotations.kueue.x-k8s.io/job-min-parallelism: must be a "
       "whole number of pods, got \"half\""},
      {"apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, labels: {kueue.x-k8s.io/queue-name: "
       "q}, annotations: {kueue.x-k8s.io/job-min-parallelism: \"1\"}}\nspec: {template: {spec: "
       "{containers: [{name: c}]}}}\n",
       "-: Job default/j: metadata.annotations.kueue.x-k8s.io/job-min-parallelism: the Job has 1 "
       "pod(s): partial admission needs at least 2 (parallelism and completions), got 1"},
      {"apiVersion: jobset.x-k8s.io/v1alpha1\nkind: JobSet\nmetadata: {name: s}\nspec: {}\n",
       "-: JobSet default/s: apiVersion: unknown apiVersion \"jobset.x-k8s.io/v1alpha1\" for "
       "kind JobSet; known: jobset.x-k8s.io/v1alpha2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_EQ(ErrorOf(LoadString(c.yaml)), c.error);
  }
}

// A Job of `parallelism` pods whose pod template carries `annotations` (a YAML flow mapping's
// entries), queued in LocalQueue lq.
std::string AnnotatedJob(const std::string& annotations, int parallelism = 32) {
  return "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, labels: "
         "{kueue.x-k8s.io/queue-name: lq}}\nspec: {parallelism: " +
         std::to_string(parallelism) + ", template: {metadata: {annotations: {" + annotations +
         "}}, spec: {containers: [{name: c}]}}}\n";
}

constexpr char kSliceLayersKey[] = "kueue.x-k8s.io/podset-slice-required-topology-constraints";

TEST(WorkloadsTest, ReadsMultiLayerSliceConstraints) {
  // The KEP-2724 example scaled down: one block, slices of 16 per rack, 8 per host; sizes may
  // be numbers or strings of digits.
  auto loaded = LoadString(AnnotatedJob(
      "kueue.x-k8s.io/podset-required-topology: example.com/block, " +
      std::string(kSliceLayersKey) +
      ": '[{\"topology\": \"example.com/rack\", \"size\": 16}, "
      "{\"topology\": \"kubernetes.io/hostname\", \"size\": \"8\"}]'"));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->queues.workloads.size(), 1u);
  const model::PodSetSpec& ps = loaded->queues.workloads[0].pod_sets[0];
  EXPECT_EQ(ps.count, 32);
  EXPECT_EQ(ps.required_topology, "example.com/block");
  EXPECT_EQ(ps.slices, (std::vector<model::SliceLayerSpec>{{"example.com/rack", 16},
                                                           {"kubernetes.io/hostname", 8}}));
  const model::TopologyConstraintSpec c = model::TopologyOf(ps);
  EXPECT_EQ(c.required_level, "example.com/block");
  EXPECT_EQ(c.slices, ps.slices);

  // Three layers in a JobSet: the first size divides the PodSet's 2 Jobs x 12 pods.
  auto jobset = LoadString(
      "apiVersion: jobset.x-k8s.io/v1alpha2\nkind: JobSet\nmetadata: {name: s}\nspec:\n"
      "  replicatedJobs:\n"
      "  - {name: w, replicas: 2, template: {spec: {parallelism: 12, completions: 12, "
      "template: {metadata: {annotations: {" +
      std::string(kSliceLayersKey) +
      ": '[{\"topology\": \"a\", \"size\": 12}, {\"topology\": \"b\", \"size\": 6}, "
      "{\"topology\": \"c\", \"size\": 3}]'}}, spec: {containers: [{name: c}]}}}}}\n");
  ASSERT_TRUE(jobset.ok()) << ErrorOf(jobset);
  ASSERT_EQ(jobset->gangs.gangs.size(), 1u);
  EXPECT_EQ(jobset->gangs.gangs[0].members[0].topology.slices,
            (std::vector<model::SliceLayerSpec>{{"a", 12}, {"b", 6}, {"c", 3}}));

  // The single-layer pair is one layer.
  auto single = LoadString(AnnotatedJob(
      "kueue.x-k8s.io/podset-slice-required-topology: example.com/rack, "
      "kueue.x-k8s.io/podset-slice-size: \"4\""));
  ASSERT_TRUE(single.ok()) << ErrorOf(single);
  EXPECT_EQ(single->queues.workloads[0].pod_sets[0].slices,
            (std::vector<model::SliceLayerSpec>{{"example.com/rack", 4}}));
}

TEST(WorkloadsTest, RejectsInvalidSliceConstraints) {
  struct Case {
    std::string annotations;  // besides podset-required-topology: block
    std::string error;        // after "<the constraints annotation>: "
    int parallelism = 32;
  };
  const std::string at = "-: Job default/j: spec.template.metadata.annotations.";
  const std::string key = std::string(kSliceLayersKey) + ": ";
  const std::vector<Case> cases = {
      {key + "'[{\"topology\": \"rack\", \"size\": 16'",
       "must be a JSON array of 1 to 3 layers, outermost first, each {\"topology\": <node label "
       "key>, \"size\": <pods>}; \"[{\\\"topology\\\": \\\"rack\\\", \\\"size\\\": 16\" is not "
       "valid JSON"},
      {key + "'{\"topology\": \"rack\", \"size\": 16}'",
       "must be a JSON array of 1 to 3 layers, outermost first, each {\"topology\": <node label "
       "key>, \"size\": <pods>}, got a JSON object"},
      {key + "'[]'", "must list 1 to 3 layers, got 0"},
      {key + "'[{\"topology\": \"a\", \"size\": 16}, {\"topology\": \"b\", \"size\": 8}, "
             "{\"topology\": \"c\", \"size\": 4}, {\"topology\": \"d\", \"size\": 2}]'",
       "must list 1 to 3 layers, got 4"},
      {key + "'[\"rack\"]'",
       "layer [0] must be an object {\"topology\": <node label key>, \"size\": <pods>}, got a "
       "JSON string"},
      {key + "'[{\"topology\": \"rack\", \"sizes\": [8, 8]}]'",
       "layer [0] has the unknown field \"sizes\" (only \"topology\" and \"size\" are read)"},
      {key + "'[{\"size\": 16}]'", "layer [0] needs \"topology\": a node label key"},
      {key + "'[{\"topology\": \"rack\", \"size\": 16}, {\"topology\": \"bad key!\", "
             "\"size\": 8}]'",
       "layer [1] topology: \"bad key!\" is not a valid key: the name part must consist of "
       "alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric "
       "character"},
      {key + "'[{\"topology\": \"rack\"}]'", "layer [0] needs \"size\""},
      {key + "'[{\"topology\": \"rack\", \"size\": 0}]'",
       "layer [0] size must be a positive whole number of pods, got 0"},
      {key + "'[{\"topology\": \"rack\", \"size\": \"16x\"}]'",
       "layer [0] size must be a positive whole number of pods, got \"16x\""},
      {key + "'[{\"topology\": \"rack\", \"size\": 1.5}]'",
       "layer [0] size must be a positive whole number of pods, got 1.5"},
      {key + "'[{\"topology\": \"rack\", \"size\": 16}, {\"topology\": \"rack\", \"size\": 8}]'",
       "layer [1] repeats the topology \"rack\" of layer [0]"},
      {key + "'[{\"topology\": \"rack\", \"size\": 16}, {\"topology\": \"host\", \"size\": 5}]'",
       "layer [1] size 5 does not divide the size 16 of layer [0]"},
      {key + "'[{\"topology\": \"rack\", \"size\": 16}]'",
       "layer [0] size 16 does not divide the PodSet's 24 pods", 24},
      {key + "'[{\"topology\": \"rack\", \"size\": 16}]', "
             "kueue.x-k8s.io/podset-slice-required-topology: rack",
       "must not be set together with kueue.x-k8s.io/podset-slice-required-topology"},
      {key + "'[{\"topology\": \"rack\", \"size\": 16}]', kueue.x-k8s.io/podset-slice-size: "
             "\"16\"",
       "must not be set together with kueue.x-k8s.io/podset-slice-size"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.annotations);
    EXPECT_EQ(ErrorOf(LoadString(AnnotatedJob(
                  "kueue.x-k8s.io/podset-required-topology: block, " + c.annotations,
                  c.parallelism))),
              at + kSliceLayersKey + ": " + c.error);
  }
  // A PodSet group with multi-layer slices: Kueue forbids it unless its
  // TASGroupedPodSetSlicing gate is on; the error is at the group name.
  EXPECT_EQ(ErrorOf(LoadString(AnnotatedJob(
                "kueue.x-k8s.io/podset-required-topology: block, kueue.x-k8s.io/podset-group-name: "
                "g, " +
                key + "'[{\"topology\": \"rack\", \"size\": 16}]'"))),
            at +
                "kueue.x-k8s.io/podset-group-name: must not be set together with "
                "kueue.x-k8s.io/podset-slice-required-topology-constraints (Kueue allows it only "
                "with the TASGroupedPodSetSlicing feature gate)");
}

// --- upstream examples ----------------------------------------------------------------------

class WorkloadExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kExamples)) {
      GTEST_SKIP() << "reference manifests not found at " << kExamples
                   << " (TESSERA_SHARED_DIR; they live in ../shared beside the repository)";
    }
  }
  static Result<LoadedManifests> Load(const std::string& relative) {
    const std::vector<std::string> paths = {(kExamples / relative).generic_string()};
    return LoadManifests(paths);
  }
};

TEST_F(WorkloadExamplesTest, EveryJobSetExampleExpands) {
  // Pods per file: replicas x min(parallelism, completions), summed over replicatedJobs.
  const std::vector<std::pair<std::string, size_t>> expected = {
      {"jobset/depends-on.yaml", 1 + 1 + 4},
      {"jobset/exclusive-placement.yaml", 3 * 3},
      {"jobset/failure-policy-host-maintenance.yaml", 2 + 2},
      {"jobset/failure-policy-restartjob-action.yaml", 2 + 2},
      {"jobset/failure-policy.yaml", 2 + 2},
      {"jobset/in-place-restart-sidecar.yaml", 2 * 2},
      {"jobset/startup-driver-ready.yaml", 1 + 4},
      {"jobset/success-policy.yaml", 1 + 2},
  };
  for (const auto& [file, pods] : expected) {
    SCOPED_TRACE(file);
    auto loaded = Load(file);
    ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
    EXPECT_EQ(loaded->snapshot.num_pods(), pods);
    EXPECT_EQ(loaded->pod_objects.size(), pods);
    EXPECT_TRUE(loaded->queues.workloads.empty());  // none carries a queue label
    EXPECT_TRUE(loaded->kept.empty());
  }
  auto depends = Load("jobset/depends-on.yaml");
  ASSERT_TRUE(depends.ok());
  EXPECT_THAT(
      PodNames(*depends),
      ElementsAre("depends-on-initializer-0-0", "depends-on-launcher-0-0", "depends-on-worker-0-0",
                  "depends-on-worker-0-1", "depends-on-worker-0-2", "depends-on-worker-0-3"));
}

TEST_F(WorkloadExamplesTest, ExpandsTheGangJobSetWithItsPriorityClass) {
  std::string text = ReadFile(kExamples / "jobset/was-gang-preemption-low-priority.yaml");
  text +=
      "\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n"
      "metadata: {name: low-priority}\nvalue: 10\n";
  auto loaded = LoadString(text);
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_EQ(loaded->snapshot.num_pods(), 4u);  // 2 replicas x 2
  EXPECT_EQ(loaded->snapshot.pod(model::PodId::FromIndex(3)).name, "lp-js-rj-1-1");
  EXPECT_EQ(loaded->snapshot.pod(model::PodId::FromIndex(3)).priority, 10);
  EXPECT_EQ(loaded->kept.size(), 2u);  // scheduling.k8s.io/v1alpha2 Workload and PodGroup
}

TEST_F(WorkloadExamplesTest, ExpandsTheDraExampleJobWithItsClaims) {
  std::string text = ReadFile(kExamples / "dra/kubernetes-website/dra-example-job.yaml");
  text += "\n---\n" + ReadFile(kExamples / "dra/kubernetes-website/resourceclaimtemplate.yaml");
  text +=
      "\n---\napiVersion: resource.k8s.io/v1\nkind: ResourceClaim\n"
      "metadata: {name: example-resource-claim}\nspec: {devices: {requests: [{name: g, "
      "exactly: {deviceClassName: example-device-class}}]}}\n";
  auto loaded = LoadString(text);
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  EXPECT_THAT(PodNames(*loaded), ElementsAre("example-dra-job-0", "example-dra-job-1"));
  const model::Pod& pod = loaded->snapshot.pod(model::PodId::FromIndex(1));
  ASSERT_EQ(pod.claims.size(), 2u);
  EXPECT_EQ(pod.claims[0].resource_claim_template_name, "example-resource-claim-template");
  EXPECT_EQ(pod.claims[1].resource_claim_name, "example-resource-claim");
}

TEST_F(WorkloadExamplesTest, KueueJobExamples) {
  auto required = Load("kueue/tas-sample-job-required.yaml");
  ASSERT_TRUE(required.ok()) << ErrorOf(required);
  EXPECT_EQ(required->snapshot.num_pods(), 10u);
  ASSERT_EQ(required->queues.workloads.size(), 1u);
  const model::WorkloadSpec& w = required->queues.workloads[0];
  EXPECT_EQ(w.name, "job-tas-sample-requiredbbbbb");  // generateName + the first suffix
  EXPECT_EQ(w.queue_name, "tas-user-queue");
  EXPECT_EQ(w.pod_sets[0].count, 10);
  EXPECT_EQ(w.pod_sets[0].required_topology, "cloud.provider.com/topology-rack");
  EXPECT_EQ(w.pod_sets[0].pod_names[9], "tas-sample-requiredbbbbb-9");
  const model::Pod& pod = required->snapshot.pod(model::PodId::FromIndex(0));
  EXPECT_EQ(required->snapshot.pod_requests(model::PodId::FromIndex(0))[0].amount, Quantity(1000));
  EXPECT_EQ(pod.name, "tas-sample-requiredbbbbb-0");

  auto sliced = Load("kueue/tas-sample-jobset-sliced.yaml");
  ASSERT_TRUE(sliced.ok()) << ErrorOf(sliced);
  ASSERT_EQ(sliced->queues.workloads.size(), 1u);
  const model::PodSetSpec& ps = sliced->queues.workloads[0].pod_sets[0];
  EXPECT_EQ(sliced->queues.workloads[0].name, "jobset-jobset-tas-sliced");
  EXPECT_EQ(ps.name, "workers");
  EXPECT_EQ(ps.count, 8);
  EXPECT_EQ(ps.slices,
            (std::vector<model::SliceLayerSpec>{{"cloud.provider.com/topology-rack", 4}}));

  auto partial = Load("kueue/sample-job-partial-admission.yaml");
  ASSERT_TRUE(partial.ok()) << ErrorOf(partial);
  EXPECT_EQ(partial->snapshot.num_pods(), 20u);
  EXPECT_EQ(partial->queues.workloads[0].queue_name, "user-queue");
  EXPECT_EQ(partial->queues.workloads[0].pod_sets[0].count, 20);
  EXPECT_EQ(partial->queues.workloads[0].pod_sets[0].min_count, 5);

  auto kai = Load("kai/gpu-sharing-fraction-pod.yaml");
  ASSERT_TRUE(kai.ok()) << ErrorOf(kai);
  ASSERT_EQ(kai->queues.workloads.size(), 1u);
  EXPECT_EQ(kai->queues.workloads[0].name, "pod-gpu-sharing");
  EXPECT_EQ(kai->queues.workloads[0].kai_queue, "default-queue");
  EXPECT_THAT(kai->queues.workloads[0].pod_sets[0].pod_names, ElementsAre("gpu-sharing"));
}

}  // namespace
}  // namespace tessera::io

namespace tessera::io {
namespace {

constexpr char kQueues[] = R"(
apiVersion: kueue.x-k8s.io/v1beta2
kind: ResourceFlavor
metadata: {name: a100}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata: {name: research}
spec:
  namespaceSelector: {}
  resourceGroups:
  - coveredResources: ["nvidia.com/gpu"]
    flavors:
    - name: a100
      resources: [{name: nvidia.com/gpu, nominalQuota: 8}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: train, labels: {kueue.x-k8s.io/queue-name: main}}
spec:
  parallelism: 3
  template: {spec: {containers: [{name: c, resources: {limits: {nvidia.com/gpu: "1"}}}]}}
---
)";

std::string AdmittedWorkload(const std::string& name, const std::string& owner,
                             const std::string& extra = "") {
  return "apiVersion: kueue.x-k8s.io/v1beta2\nkind: Workload\nmetadata:\n  name: " + name +
         "\n  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: " + owner +
         "}]\nspec:\n  queueName: main\n  podSets: [{name: main, count: 3}]\nstatus:\n"
         "  admission:\n    clusterQueue: research\n    podSetAssignments:\n"
         "    - {name: main, flavors: {nvidia.com/gpu: a100}, resourceUsage: {nvidia.com/gpu: "
         "\"2\"}, count: 2}\n" +
         extra;
}

TEST(WorkloadObjectsTest, AdmissionGoesToTheOwnersWorkloadOrStandsAlone) {
  auto loaded = LoadString(std::string(kQueues) + AdmittedWorkload("job-train", "train") +
                           "---\n" + AdmittedWorkload("job-gone", "gone"));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->queues.workloads.size(), 2u);
  const model::WorkloadSpec& train = loaded->queues.workloads[0];
  EXPECT_EQ(train.name, "job-train");
  ASSERT_TRUE(train.admission.has_value());
  EXPECT_EQ(train.admission->cluster_queue, "research");
  EXPECT_EQ(train.admission->object, "default/job-train");
  ASSERT_EQ(train.admission->pod_sets.size(), 1u);
  EXPECT_EQ(train.admission->pod_sets[0].count, 2);
  EXPECT_THAT(train.admission->pod_sets[0].flavors, ElementsAre(Pair("nvidia.com/gpu", "a100")));
  ASSERT_EQ(train.admission->pod_sets[0].resource_usage.size(), 1u);
  EXPECT_EQ(train.admission->pod_sets[0].resource_usage[0].second, Quantity(2));
  // The Job is not in the input: the Workload holds its quota on its own, without pods.
  const model::WorkloadSpec& gone = loaded->queues.workloads[1];
  EXPECT_EQ(gone.name, "job-gone");
  EXPECT_EQ(gone.queue_name, "main");
  EXPECT_EQ(gone.owner.name, "gone");
  ASSERT_EQ(gone.pod_sets.size(), 1u);
  EXPECT_EQ(gone.pod_sets[0].count, 3);
  EXPECT_TRUE(gone.pod_sets[0].pod_names.empty());
  EXPECT_TRUE(gone.admission.has_value());
}

TEST(WorkloadObjectsTest, FinishedOrReleasedWorkloadsHoldNoQuota) {
  auto loaded = LoadString(
      std::string(kQueues) +
      AdmittedWorkload("job-train", "train",
                       "  conditions: [{type: QuotaReserved, status: \"False\"}]\n") +
      "---\n" +
      AdmittedWorkload("job-done", "done", "  conditions: [{type: Finished, status: \"True\"}]\n"));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->queues.workloads.size(), 1u);
  EXPECT_FALSE(loaded->queues.workloads[0].admission.has_value());
  EXPECT_THAT(loaded->warnings,
              ::testing::Contains("-: Workload default/job-done: ignored: it holds no quota and "
                                  "no Job, JobSet or Pod of the input owns it"));
}

TEST(WorkloadObjectsTest, RejectsBadAdmissions) {
  struct Case {
    std::string yaml;
    std::string error;
  };
  auto with = [](std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return std::string(kQueues) + text;
  };
  const std::string w = AdmittedWorkload("job-train", "train");
  const std::vector<Case> cases = {
      {with(w, "clusterQueue: research", "clusterQueue: nope"),
       "-: Workload default/job-train: status.admission.clusterQueue: ClusterQueue \"nope\" does "
       "not exist"},
      {with(w, "{nvidia.com/gpu: a100}", "{nvidia.com/gpu: h100}"),
       "-: Workload default/job-train: status.admission.podSetAssignments[0].flavors."
       "nvidia.com/gpu: ResourceFlavor \"h100\" does not exist"},
      {with(w, "{name: main, flavors", "{name: workers, flavors"),
       "-: Workload default/job-train: status.admission.podSetAssignments[0].name: \"workers\" "
       "is not a PodSet of this Workload (main)"},
      {with(w, "nvidia.com/gpu: \"2\"", "nvidia.com/gpu: lots"),
       "-: Workload default/job-train: status.admission.podSetAssignments[0].resourceUsage."
       "nvidia.com/gpu: \"lots\" is not a valid quantity: no digits before \"lots\""},
      {with(w, "count: 2}", "count: -2}"),
       "-: Workload default/job-train: status.admission.podSetAssignments[0].count: must be "
       "between 0 and 2147483647, got -2"},
      {with(AdmittedWorkload("job-other", "other"), "  queueName: main\n", ""),
       "-: Workload default/job-other: spec.queueName: required: the Workload holds quota "
       "(status.admission) and no Job, JobSet or Pod of the input names its queue"},
      {std::string(kQueues) + w + "---\n" + AdmittedWorkload("copy", "train"),
       "-: Workload default/copy: status.admission: Workload default/job-train already gives "
       "the admission of Job default/train"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    EXPECT_EQ(ErrorOf(LoadString(c.yaml)), c.error);
  }
}

}  // namespace
}  // namespace tessera::io
