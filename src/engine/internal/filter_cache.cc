#include "engine/internal/filter_cache.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>

namespace tessera::engine::internal {
namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

void Put(std::string& key, uint64_t v) { key.append(reinterpret_cast<const char*>(&v), sizeof v); }

}  // namespace

ClassCache::ClassCache(size_t nodes, std::vector<int64_t> taints, bool has_claims)
    : entries_(nodes), rejections_(nodes), taints_(std::move(taints)), has_claims_(has_claims) {
  for (int64_t t : taints_) any_taints_ |= t != 0;
}

void ClassCache::Set(model::NodeId node, uint64_t version, int64_t score) {
  CacheEntry& e = entries_[node.index()];
  e.version = version;
  if (e.score == score) return;
  e.score = score;
  if (tree_.empty()) return;
  size_t i = (leaves_ + node.index()) / 2;
  for (; i >= 1; i /= 2) {
    const uint32_t best = Better(tree_[2 * i], tree_[2 * i + 1]);
    if (tree_[i] == best && best != node.value()) break;  // nothing above changes
    tree_[i] = best;
  }
}

std::optional<int64_t> ClassCache::Room(model::NodeId node, uint64_t version, uint64_t shared,
                                        int64_t limit) const {
  if (rooms_.empty()) return std::nullopt;
  const RoomEntry& e = rooms_[node.index()];
  if (e.version != version || e.shared != shared) return std::nullopt;
  if (e.room < e.limit) return std::min(e.room, limit);  // exact
  if (limit <= e.limit) return limit;                      // at least e.limit fit
  return std::nullopt;
}

void ClassCache::SetRoom(model::NodeId node, uint64_t version, uint64_t shared, int64_t room,
                         int64_t limit) {
  if (rooms_.empty()) rooms_.resize(entries_.size());
  rooms_[node.index()] = {version, shared, room, limit};
}

void ClassCache::Invalidate() {
  for (CacheEntry& e : entries_) e.version = kStale;
}

uint32_t ClassCache::Better(uint32_t a, uint32_t b) const {
  if (a == kNone) return b;
  if (b == kNone) return a;
  const int64_t sa = entries_[a].score, sb = entries_[b].score;
  if (sa != sb) return sa > sb ? a : b;
  return a < b ? a : b;
}

void ClassCache::BuildTree() {
  leaves_ = 1;
  while (leaves_ < entries_.size()) leaves_ *= 2;
  tree_.assign(2 * leaves_, kNone);
  for (size_t i = 0; i < entries_.size(); ++i) tree_[leaves_ + i] = static_cast<uint32_t>(i);
  for (size_t i = leaves_ - 1; i >= 1; --i) tree_[i] = Better(tree_[2 * i], tree_[2 * i + 1]);
}

model::NodeId ClassCache::Best() const {
  const uint32_t best = tree_[1];
  if (best == kNone || entries_[best].score == kInfeasible) return model::NodeId();
  return model::NodeId::FromIndex(best);
}

size_t ClassCache::bytes() const {
  return entries_.capacity() * sizeof(CacheEntry) +
         rejections_.capacity() * sizeof(CachedRejection) + taints_.capacity() * sizeof(int64_t) +
         tree_.capacity() * sizeof(uint32_t) + rooms_.capacity() * sizeof(RoomEntry);
}

std::vector<int32_t> PodClasses(const model::Snapshot& snapshot, const dra::ClaimCatalog& catalog,
                                int32_t& num_classes) {
  std::vector<int32_t> class_of(snapshot.num_pods(), -1);
  std::vector<uint32_t> members;
  std::unordered_map<std::string, int32_t> ids;
  std::string key;
  const auto instances = catalog.instances();
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    const model::PodId pod = model::PodId::FromIndex(p);
    const model::Pod& spec = snapshot.pod(pod);
    key.clear();
    bool classed = true;
    const auto claims = catalog.instances_of(pod);
    Put(key, claims.size());
    for (uint32_t i : claims) {
      if (!instances[i].from_template) {
        classed = false;
        break;
      }
      Put(key, instances[i].claim);
    }
    if (!classed) continue;
    const auto requests = snapshot.pod_requests(pod);
    Put(key, requests.size());
    for (const model::ResourceAmount& ra : requests) {
      Put(key, ra.resource.value());
      Put(key, static_cast<uint64_t>(ra.amount.value()));
    }
    const auto selector = snapshot.pod_node_selector(pod);
    Put(key, selector.size());
    for (const model::Label& l : selector) Put(key, (uint64_t{l.key.value()} << 32) | l.value.value());
    Put(key, spec.has_required_affinity);
    const auto terms = snapshot.pod_affinity_terms(pod);
    Put(key, terms.size());
    for (const model::Range& term : terms) {
      const auto requirements = snapshot.term_requirements(term);
      Put(key, requirements.size());
      for (const model::NodeSelectorRequirement& r : requirements) {
        Put(key, r.key.value());
        Put(key, (uint64_t{static_cast<uint8_t>(r.op)} << 8) | uint64_t{r.is_field});
        Put(key, static_cast<uint64_t>(r.number));
        const auto values = snapshot.requirement_values(r);
        Put(key, values.size());
        for (model::LabelValueId v : values) Put(key, v.value());
      }
    }
    const auto tolerations = snapshot.pod_tolerations(pod);
    Put(key, tolerations.size());
    for (const model::Toleration& t : tolerations) {
      Put(key, (uint64_t{t.key.value()} << 32) | t.value.value());
      Put(key, (uint64_t{static_cast<uint8_t>(t.op)} << 16) |
                   (uint64_t{t.any_effect} << 8) | uint64_t{static_cast<uint8_t>(t.effect)});
    }
    Put(key, spec.tolerates_unschedulable);
    const auto [it, added] = ids.try_emplace(key, static_cast<int32_t>(members.size()));
    if (added) members.push_back(0);
    ++members[it->second];
    class_of[p] = it->second;
  }
  // Only classes of two or more pods are worth a cache; renumber them densely.
  std::vector<int32_t> dense(members.size(), -1);
  num_classes = 0;
  for (size_t c = 0; c < members.size(); ++c) {
    if (members[c] >= 2) dense[c] = num_classes++;
  }
  for (int32_t& c : class_of) {
    if (c >= 0) c = dense[c];
  }
  return class_of;
}

}  // namespace tessera::engine::internal
