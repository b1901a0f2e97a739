#include "io/decision_output.h"

#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "model/decision.h"
#include "model/snapshot.h"
#include "model/specs.h"

namespace tessera::io {
namespace {

using model::Decision;
using model::NodeId;
using model::Outcome;
using model::PodId;
using model::ReasonCount;
using model::RejectReason;

constexpr int64_t kGi = int64_t{1} << 30;

model::NodeSpec Node(std::string name, int64_t cpu_milli, int64_t memory_bytes) {
  model::NodeSpec node;
  node.name = std::move(name);
  node.allocatable = {
      {"cpu", Quantity(cpu_milli)}, {"memory", Quantity(memory_bytes)}, {"pods", Quantity(110)}};
  return node;
}

model::PodSpec Pod(std::string ns, std::string name) {
  model::PodSpec pod;
  pod.namespace_name = std::move(ns);
  pod.name = std::move(name);
  return pod;
}

model::Snapshot Build(model::SnapshotBuilder builder) {
  Result<model::Snapshot> snapshot = std::move(builder).Build();
  EXPECT_TRUE(snapshot.ok()) << snapshot.error().ToString();
  return std::move(snapshot).value();
}

// A cluster of `n` plain nodes and one pod, for message tests.
model::Snapshot Nodes(int n, std::vector<model::TaintSpec> taints = {}) {
  model::SnapshotBuilder builder;
  for (int i = 0; i < n; ++i) {
    model::NodeSpec node = Node("node-" + std::to_string(i), 4000, 8 * kGi);
    node.allocatable.emplace_back("nvidia.com/gpu", Quantity(1));
    if (static_cast<size_t>(i) < taints.size()) node.taints = {taints[static_cast<size_t>(i)]};
    builder.AddNode(std::move(node));
  }
  builder.AddPod(Pod("default", "p"));
  return Build(std::move(builder));
}

Decision Pending(uint32_t nodes_total, std::vector<ReasonCount> reasons) {
  Decision d;
  d.pod = PodId(0);
  d.outcome = Outcome::kWaiting;
  d.nodes_total = nodes_total;
  d.reasons = std::move(reasons);
  return d;
}

ReasonCount Reason(RejectReason reason, uint32_t nodes, uint32_t arg = 0, uint32_t arg2 = 0) {
  return {.reason = reason, .arg = arg, .arg2 = arg2, .nodes = nodes};
}

// The untolerated-taint reason for the first taint of `node`.
ReasonCount TaintReason(const model::Snapshot& s, size_t node, uint32_t nodes) {
  const model::Taint& t = s.node_taints(NodeId::FromIndex(node))[0];
  return Reason(RejectReason::kUntoleratedTaint, nodes, t.key.value(), t.value.value());
}

uint32_t ResourceArg(const model::Snapshot& s, std::string_view name) {
  return s.FindResource(name).value().value();
}

TEST(UnschedulableMessageTest, RendersEveryReasonLikeKubeScheduler) {
  model::Snapshot s = Nodes(6, {{"gpu", "true", model::TaintEffect::kNoSchedule}});
  Decision d =
      Pending(6, {Reason(RejectReason::kNodeUnschedulable, 1), TaintReason(s, 0, 1),
                  Reason(RejectReason::kNodeAffinity, 1), Reason(RejectReason::kTooManyPods, 1),
                  Reason(RejectReason::kInsufficientResource, 1, ResourceArg(s, "cpu")),
                  Reason(RejectReason::kClaimNotEnoughFree, 1)});
  EXPECT_EQ(UnschedulableMessage(s, d),
            "0/6 nodes are available: 1 Insufficient cpu, 1 Too many pods, "
            "1 node(s) cannot allocate claim #0 request #0: not enough free matching devices, "
            "1 node(s) didn't match Pod's node affinity/selector, "
            "1 node(s) had untolerated taint {gpu: true}, 1 node(s) were unschedulable.");
}

TEST(UnschedulableMessageTest, PutsTheSmallerCountFirstOnlyWhenItSortsFirstAsText) {
  // Entries are sorted as whole strings, so "1 node(s) ..." precedes "2 Insufficient ...".
  model::Snapshot s = Nodes(3, {{}, {}, {"gpu", "true", model::TaintEffect::kNoSchedule}});
  Decision d =
      Pending(3, {Reason(RejectReason::kInsufficientResource, 2, ResourceArg(s, "nvidia.com/gpu")),
                  TaintReason(s, 2, 1)});
  EXPECT_EQ(UnschedulableMessage(s, d),
            "0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, "
            "2 Insufficient nvidia.com/gpu.");
}

TEST(UnschedulableMessageTest, SortsEntriesAsPlainStringsLikeGoSortStrings) {
  // "10 ..." < "2 ..." < "3 ...": the counts are compared as text, not as numbers.
  model::Snapshot s = Nodes(15);
  Decision d =
      Pending(15, {Reason(RejectReason::kNodeAffinity, 3),
                   Reason(RejectReason::kInsufficientResource, 2, ResourceArg(s, "memory")),
                   Reason(RejectReason::kNodeUnschedulable, 10)});
  EXPECT_EQ(UnschedulableMessage(s, d),
            "0/15 nodes are available: 10 node(s) were unschedulable, 2 Insufficient memory, "
            "3 node(s) didn't match Pod's node affinity/selector.");
}

TEST(UnschedulableMessageTest, CountsEachReasonOfANodeThatHasSeveral) {
  // One node short of both cpu and memory counts once under each, as in kube.
  model::Snapshot s = Nodes(1);
  Decision d = Pending(1, {Reason(RejectReason::kInsufficientResource, 1, ResourceArg(s, "memory")),
                           Reason(RejectReason::kInsufficientResource, 1, ResourceArg(s, "cpu"))});
  EXPECT_EQ(UnschedulableMessage(s, d),
            "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.");
}

TEST(UnschedulableMessageTest, SumsEntriesWhoseTextIsTheSame) {
  // Two entries that render alike (here: the same taint key and value with different
  // effects) become one, like kube's histogram keyed by message.
  model::Snapshot s = Nodes(2, {{"gpu", "true", model::TaintEffect::kNoSchedule},
                                {"gpu", "true", model::TaintEffect::kNoExecute}});
  Decision d = Pending(2, {TaintReason(s, 0, 1), TaintReason(s, 1, 1)});
  EXPECT_EQ(UnschedulableMessage(s, d),
            "0/2 nodes are available: 2 node(s) had untolerated taint {gpu: true}.");
}

TEST(UnschedulableMessageTest, PrintsAnEmptyTaintValueLikeKube) {
  model::Snapshot s = Nodes(1, {{"dedicated", "", model::TaintEffect::kNoSchedule}});
  EXPECT_EQ(UnschedulableMessage(s, Pending(1, {TaintReason(s, 0, 1)})),
            "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: }.");
}

TEST(UnschedulableMessageTest, SaysSoWhenTheClusterHasNoNodes) {
  model::Snapshot s = Nodes(0);
  EXPECT_EQ(UnschedulableMessage(s, Pending(0, {})),
            "0/0 nodes are available: no nodes in the cluster.");
}

TEST(OutputFormatTest, ParsesEveryNameAndListsThemOnError) {
  EXPECT_EQ(ParseOutputFormat("yaml").value(), OutputFormat::kYaml);
  EXPECT_EQ(ParseOutputFormat("json").value(), OutputFormat::kJson);
  EXPECT_EQ(ParseOutputFormat("table").value(), OutputFormat::kTable);
  Result<OutputFormat> bad = ParseOutputFormat("wide");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message(), "unknown output format \"wide\" (valid: yaml, json, table)");
}

// The small case: node-a (4 cpu, 8Gi, 2 GPUs) and node-b (2 cpu, 4Gi, taint gpu=true);
// web is placed on node-a, db already runs on node-b, train (4 GPUs, no toleration) fits
// nowhere: node-a has too few GPUs, node-b's taint is not tolerated.
class WriteDecisionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model::SnapshotBuilder builder;
    model::NodeSpec a = Node("node-a", 4000, 8 * kGi);
    a.allocatable.emplace_back("nvidia.com/gpu", Quantity(2));
    model::NodeSpec b = Node("node-b", 2000, 4 * kGi);
    b.taints = {{"gpu", "true", model::TaintEffect::kNoSchedule}};
    builder.AddNode(std::move(b));
    builder.AddNode(std::move(a));
    model::PodSpec web = Pod("default", "web");
    web.requests = {{"cpu", Quantity(500)}, {"memory", Quantity(kGi)}};
    model::PodSpec db = Pod("default", "db");
    db.node_name = "node-b";
    db.tolerations = {
        {"gpu", model::TolerationOperator::kEqual, "true", model::TaintEffect::kNoSchedule}};
    model::PodSpec train = Pod("ml", "train");
    train.requests = {{"nvidia.com/gpu", Quantity(4)}};
    builder.AddPod(std::move(web));
    builder.AddPod(std::move(db));
    builder.AddPod(std::move(train));
    manifests_.emplace(LoadedManifests{.snapshot = Build(std::move(builder))});
    const model::Snapshot& s = manifests_->snapshot;

    manifests_->pod_objects = {YAML::Load(R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  labels:
    app: web
spec:
  containers:
  - name: web
    image: nginx:1.25
    resources:
      requests:
        cpu: 500m
        memory: 1Gi
)"),
                               YAML::Load(R"(apiVersion: v1
kind: Pod
metadata:
  name: db
  namespace: default
spec:
  nodeName: node-b
  tolerations:
  - key: gpu
    operator: Equal
    value: "true"
    effect: NoSchedule
  containers:
  - name: db
    image: postgres:16
    ports:
    - containerPort: 5432
status:
  phase: Running
)"),
                               YAML::Load(R"(apiVersion: v1
kind: Pod
metadata:
  name: train
  namespace: ml
  annotations:
    retries: "3"
    owner: ~
spec:
  containers:
  - name: train
    image: pytorch:2.3
    args: ["--epochs", "10", "--lr", 0.001, true]
    resources:
      limits:
        nvidia.com/gpu: 4
status:
  phase: Pending
  conditions:
  - type: PodScheduled
    status: "False"
    reason: Unschedulable
    message: stale
  - type: Initialized
    status: "True"
)")};

    decisions_.resize(3);
    decisions_[0].pod = PodId(0);
    decisions_[0].outcome = Outcome::kPlaced;
    decisions_[0].node = s.FindNode("node-a").value();
    decisions_[0].nodes_total = 2;
    decisions_[1].pod = PodId(1);
    decisions_[1].outcome = Outcome::kBound;
    decisions_[1].node = s.FindNode("node-b").value();
    decisions_[1].nodes_total = 2;
    decisions_[2] = Pending(
        2, {Reason(RejectReason::kInsufficientResource, 1, ResourceArg(s, "nvidia.com/gpu")),
            TaintReason(s, s.FindNode("node-b")->index(), 1)});
    decisions_[2].pod = PodId(2);
    decisions_[2].outcome = Outcome::kInfeasible;
  }

  std::string Write(OutputFormat format) {
    std::ostringstream out;
    WriteDecisions(*manifests_, decisions_, format, out);
    return out.str();
  }

  std::optional<LoadedManifests> manifests_;  // LoadedManifests has no default constructor
  std::vector<Decision> decisions_;
};

TEST_F(WriteDecisionsTest, WritesAYamlStreamWithNodeNameOrAnUnschedulableCondition) {
  EXPECT_EQ(Write(OutputFormat::kYaml), R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  labels:
    app: web
spec:
  containers:
    - name: web
      image: nginx:1.25
      resources:
        requests:
          cpu: 500m
          memory: 1Gi
  nodeName: node-a
---
apiVersion: v1
kind: Pod
metadata:
  name: db
  namespace: default
spec:
  nodeName: node-b
  tolerations:
    - key: gpu
      operator: Equal
      value: "true"
      effect: NoSchedule
  containers:
    - name: db
      image: postgres:16
      ports:
        - containerPort: 5432
status:
  phase: Running
---
apiVersion: v1
kind: Pod
metadata:
  name: train
  namespace: ml
  annotations:
    retries: "3"
    owner: ~
spec:
  containers:
    - name: train
      image: pytorch:2.3
      args: ["--epochs", "10", "--lr", 0.001, true]
      resources:
        limits:
          nvidia.com/gpu: 4
status:
  phase: Pending
  conditions:
    - type: Initialized
      status: "True"
    - type: PodScheduled
      status: "False"
      reason: Unschedulable
      message: "0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) had untolerated taint {gpu: true}."
)");
}

TEST_F(WriteDecisionsTest, WritesAJsonListTypingOnlyPlainScalars) {
  EXPECT_EQ(Write(OutputFormat::kJson), R"({
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {
        "name": "web",
        "namespace": "default",
        "labels": {
          "app": "web"
        }
      },
      "spec": {
        "containers": [
          {
            "name": "web",
            "image": "nginx:1.25",
            "resources": {
              "requests": {
                "cpu": "500m",
                "memory": "1Gi"
              }
            }
          }
        ],
        "nodeName": "node-a"
      }
    },
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {
        "name": "db",
        "namespace": "default"
      },
      "spec": {
        "nodeName": "node-b",
        "tolerations": [
          {
            "key": "gpu",
            "operator": "Equal",
            "value": "true",
            "effect": "NoSchedule"
          }
        ],
        "containers": [
          {
            "name": "db",
            "image": "postgres:16",
            "ports": [
              {
                "containerPort": 5432
              }
            ]
          }
        ]
      },
      "status": {
        "phase": "Running"
      }
    },
    {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {
        "name": "train",
        "namespace": "ml",
        "annotations": {
          "retries": "3",
          "owner": null
        }
      },
      "spec": {
        "containers": [
          {
            "name": "train",
            "image": "pytorch:2.3",
            "args": [
              "--epochs",
              "10",
              "--lr",
              0.001,
              true
            ],
            "resources": {
              "limits": {
                "nvidia.com/gpu": 4
              }
            }
          }
        ]
      },
      "status": {
        "phase": "Pending",
        "conditions": [
          {
            "type": "Initialized",
            "status": "True"
          },
          {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/2 nodes are available: 1 Insufficient nvidia.com/gpu, 1 node(s) had untolerated taint {gpu: true}."
          }
        ]
      }
    }
  ]
}
)");
}

TEST_F(WriteDecisionsTest, WritesAKubectlStyleTable) {
  EXPECT_EQ(Write(OutputFormat::kTable),
            "NAMESPACE   POD     NODE     STATUS      REASON\n"
            "default     web     node-a   Scheduled\n"
            "default     db      node-b   Running\n"
            "ml          train   <none>   Pending     0/2 nodes are available: 1 Insufficient "
            "nvidia.com/gpu, 1 node(s) had untolerated taint {gpu: true}.\n");
}

TEST_F(WriteDecisionsTest, LeavesTheLoadedPodObjectsUnchanged) {
  std::vector<std::string> before;
  for (const YAML::Node& pod : manifests_->pod_objects) before.push_back(YAML::Dump(pod));
  for (OutputFormat format : {OutputFormat::kYaml, OutputFormat::kJson, OutputFormat::kTable}) {
    (void)Write(format);
  }
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(YAML::Dump(manifests_->pod_objects[i]), before[i]) << "pod " << i;
  }
}

TEST_F(WriteDecisionsTest, WritesNothingForNoPodsInYamlAndAnEmptyListInJson) {
  model::SnapshotBuilder builder;
  builder.AddNode(Node("node-a", 1000, kGi));
  manifests_.emplace(LoadedManifests{.snapshot = Build(std::move(builder))});
  decisions_.clear();
  EXPECT_EQ(Write(OutputFormat::kYaml), "");
  EXPECT_EQ(Write(OutputFormat::kJson),
            "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": []\n}\n");
  EXPECT_EQ(Write(OutputFormat::kTable), "NAMESPACE   POD   NODE   STATUS   REASON\n");
}

// One pending pod whose object is `yaml`; returns the pod as written in `format`.
std::string WriteOnePod(const std::string& yaml, OutputFormat format) {
  model::SnapshotBuilder builder;
  builder.AddPod(Pod("default", "p"));
  LoadedManifests manifests{.snapshot = Build(std::move(builder)),
                            .pod_objects = {YAML::Load(yaml)}};
  Decision d;
  d.pod = PodId(0);
  d.outcome = Outcome::kBound;  // echoed unchanged
  std::ostringstream out;
  WriteDecisions(manifests, std::span<const Decision>(&d, 1), format, out);
  return out.str();
}

TEST(WriteDecisionsScalarTest, TypesPlainScalarsByTheYaml12CoreSchema) {
  const std::string json = WriteOnePod(R"(
a: [null, Null, NULL, ~, true, False, TRUE, 0, -12, +7, 0o17, 0x1F, 1.5, -.5, 6.02e23, 1e3]
b: [yes, no, on, off, .inf, .nan, 0777, 1_000, 12:30, 0b101, 99999999999999999999, 0x10000000000000000]
c: ["true", 'null', "12", !!str 3]
d:
)",
                                       OutputFormat::kJson);
  EXPECT_NE(json.find(R"("a": [
        null,
        null,
        null,
        null,
        true,
        false,
        true,
        0,
        -12,
        7,
        15,
        31,
        1.5,
        -0.5,
        6.02e+23,
        1000.0
      ])"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("b": [
        "yes",
        "no",
        "on",
        "off",
        ".inf",
        ".nan",
        777,
        "1_000",
        "12:30",
        "0b101",
        1e+20,
        "0x10000000000000000"
      ])"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("c": [
        "true",
        "null",
        "12",
        "3"
      ],
      "d": null)"),
            std::string::npos)
      << json;
}

TEST(WriteDecisionsScalarTest, KeepsQuotedScalarsQuotedWhenTheyWouldReadAsSomethingElse) {
  EXPECT_EQ(WriteOnePod(R"(
quoted: ["true", "yes", "Off", "", "3", "-x", ".5", "~", "plain text", "a: b"]
plain: [true, yes, 3, plain text]
)",
                        OutputFormat::kYaml),
            "quoted: [\"true\", \"yes\", \"Off\", \"\", \"3\", \"-x\", \".5\", \"~\", plain text, "
            "\"a: b\"]\nplain: [true, yes, 3, plain text]\n");
}

}  // namespace
}  // namespace tessera::io
