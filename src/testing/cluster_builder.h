// ClusterBuilder: a few readable lines per test cluster. Quantities are Kubernetes strings
// parsed with the resource's unit; any mistake in a test's own input aborts the test binary.
// Example:
//   ClusterBuilder b;
//   b.Node("gpu-1").Cpu("32").Memory("256Gi").Extended("nvidia.com/gpu", "8");
//   b.Pod("train-0").Cpu("4").Extended("nvidia.com/gpu", "2");
//   model::Snapshot s = std::move(b).Build();
// Test-only; not thread-safe.
#pragma once

#include <deque>
#include <string>
#include <string_view>

#include "model/snapshot.h"
#include "model/specs.h"

namespace tessera::testing {

class NodeBuilder {
 public:
  explicit NodeBuilder(model::NodeSpec& spec) : spec_(spec) {}
  NodeBuilder& Cpu(std::string_view q) { return Resource("cpu", q); }
  NodeBuilder& Memory(std::string_view q) { return Resource("memory", q); }
  NodeBuilder& Pods(std::string_view q) { return Resource("pods", q); }
  NodeBuilder& Extended(std::string_view name, std::string_view q) { return Resource(name, q); }
  NodeBuilder& Resource(std::string_view name, std::string_view q);
  NodeBuilder& Label(std::string_view key, std::string_view value);
  NodeBuilder& Taint(std::string_view key, std::string_view value,
                     model::TaintEffect effect = model::TaintEffect::kNoSchedule);
  NodeBuilder& Unschedulable();

 private:
  model::NodeSpec& spec_;
};

class PodBuilder {
 public:
  explicit PodBuilder(model::PodSpec& spec) : spec_(spec) {}
  PodBuilder& Namespace(std::string_view ns);
  PodBuilder& Cpu(std::string_view q) { return Resource("cpu", q); }
  PodBuilder& Memory(std::string_view q) { return Resource("memory", q); }
  PodBuilder& Extended(std::string_view name, std::string_view q) { return Resource(name, q); }
  PodBuilder& Resource(std::string_view name, std::string_view q);
  PodBuilder& Priority(int32_t priority);
  PodBuilder& Created(int64_t unix_seconds);
  PodBuilder& OnNode(std::string_view node);
  PodBuilder& NodeSelector(std::string_view key, std::string_view value);
  PodBuilder& Tolerate(std::string_view key, std::string_view value,
                       std::optional<model::TaintEffect> effect = std::nullopt);
  PodBuilder& TolerateExists(std::string_view key,
                             std::optional<model::TaintEffect> effect = std::nullopt);
  // Adds a required node-affinity term made of `requirements` (ORed with earlier terms).
  PodBuilder& AffinityTerm(std::vector<model::NodeSelectorRequirementSpec> requirements);
  PodBuilder& Claim(std::string_view name, std::string_view claim_name);

 private:
  model::PodSpec& spec_;
};

class ClusterBuilder {
 public:
  NodeBuilder Node(std::string_view name);
  PodBuilder Pod(std::string_view name);


  model::ResourceClaimSpec& Claim(std::string_view ns, std::string_view name);

  // Builds the snapshot; aborts with the error text on failure.
  model::Snapshot Build() &&;
  // Builds and returns the Result, for tests of Build's own errors.
  Result<model::Snapshot> TryBuild() &&;

 private:
  std::deque<model::NodeSpec> nodes_;
  std::deque<model::PodSpec> pods_;
  std::deque<model::ResourceClaimSpec> claims_;
};

}  // namespace tessera::testing
