#include "testing/cluster_builder.h"

#include "base/check.h"
#include "model/resources.h"

namespace tessera::testing {
namespace {

Quantity Parse(std::string_view name, std::string_view q) {
  auto parsed = ParseQuantity(q, model::UnitForResource(name));
  TESSERA_CHECK(parsed.ok()) << "test quantity " << name << "=" << q << ": "
                             << parsed.error().ToString();
  return *parsed;
}

}  // namespace

NodeBuilder& NodeBuilder::Resource(std::string_view name, std::string_view q) {
  spec_.allocatable.emplace_back(std::string(name), Parse(name, q));
  return *this;
}
NodeBuilder& NodeBuilder::Label(std::string_view key, std::string_view value) {
  spec_.labels.emplace_back(std::string(key), std::string(value));
  return *this;
}
NodeBuilder& NodeBuilder::Taint(std::string_view key, std::string_view value,
                                model::TaintEffect effect) {
  spec_.taints.push_back({std::string(key), std::string(value), effect});
  return *this;
}
NodeBuilder& NodeBuilder::Unschedulable() {
  spec_.unschedulable = true;
  return *this;
}

PodBuilder& PodBuilder::Namespace(std::string_view ns) {
  spec_.namespace_name = ns;
  return *this;
}
PodBuilder& PodBuilder::Resource(std::string_view name, std::string_view q) {
  spec_.requests.emplace_back(std::string(name), Parse(name, q));
  return *this;
}
PodBuilder& PodBuilder::Priority(int32_t priority) {
  spec_.priority = priority;
  return *this;
}
PodBuilder& PodBuilder::Created(int64_t unix_seconds) {
  spec_.creation_unix_seconds = unix_seconds;
  return *this;
}
PodBuilder& PodBuilder::OnNode(std::string_view node) {
  spec_.node_name = node;
  return *this;
}
PodBuilder& PodBuilder::NodeSelector(std::string_view key, std::string_view value) {
  spec_.node_selector.emplace_back(std::string(key), std::string(value));
  return *this;
}
PodBuilder& PodBuilder::Tolerate(std::string_view key, std::string_view value,
                                 std::optional<model::TaintEffect> effect) {
  spec_.tolerations.push_back(
      {std::string(key), model::TolerationOperator::kEqual, std::string(value), effect});
  return *this;
}
PodBuilder& PodBuilder::TolerateExists(std::string_view key,
                                       std::optional<model::TaintEffect> effect) {
  spec_.tolerations.push_back({std::string(key), model::TolerationOperator::kExists, "", effect});
  return *this;
}
PodBuilder& PodBuilder::AffinityTerm(std::vector<model::NodeSelectorRequirementSpec> requirements) {
  if (!spec_.required_node_affinity) spec_.required_node_affinity.emplace();
  spec_.required_node_affinity->push_back({std::move(requirements)});
  return *this;
}
PodBuilder& PodBuilder::Claim(std::string_view name, std::string_view claim_name) {
  spec_.claims.push_back({std::string(name), std::string(claim_name), ""});
  return *this;
}

NodeBuilder ClusterBuilder::Node(std::string_view name) {
  nodes_.emplace_back();
  nodes_.back().name = name;
  nodes_.back().source = "test";
  return NodeBuilder(nodes_.back());
}

PodBuilder ClusterBuilder::Pod(std::string_view name) {
  pods_.emplace_back();
  pods_.back().name = name;
  pods_.back().source = "test";
  return PodBuilder(pods_.back());
}

model::ResourceClaimSpec& ClusterBuilder::Claim(std::string_view ns, std::string_view name) {
  claims_.emplace_back();
  claims_.back().namespace_name = ns;
  claims_.back().name = name;
  claims_.back().source = "test";
  return claims_.back();
}

Result<model::Snapshot> ClusterBuilder::TryBuild() && {
  model::SnapshotBuilder b;
  for (auto& n : nodes_) b.AddNode(std::move(n));
  for (auto& p : pods_) b.AddPod(std::move(p));
  for (auto& c : claims_) b.AddResourceClaim(std::move(c));
  return std::move(b).Build();
}

model::Snapshot ClusterBuilder::Build() && {
  auto s = std::move(*this).TryBuild();
  TESSERA_CHECK(s.ok()) << s.error().ToString();
  return std::move(s).value();
}

}  // namespace tessera::testing
