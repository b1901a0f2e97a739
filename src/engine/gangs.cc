// Gangs and topology-aware placement (issue #6): a gang is placed all or nothing through
// reserve and rollback on the overlay; its members may ask for one topology domain
// (required), the tightest domain that fits walking up from a level (preferred), slices of
// pods each inside one domain (nested up to three layers deep, Kueue's multi-layer slices),
// or the fullest nodes (unconstrained). Domain choice follows
// Kueue's BestFit: among the domains that fit, the one with the least room, ties to the
// domain whose parent has the least room (which keeps big domains whole); inside it, take
// children from the roomiest down and let the last be the tightest that fits.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <numeric>

#include "base/check.h"
#include "dra/invariants.h"
#include "engine/internal/engine_impl.h"
#include "model/resources.h"
#include "placement/filters.h"

namespace tessera::engine {

using internal::Constraint;
using internal::GangGroup;
using internal::GangPlan;
using model::Decision;
using model::NodeId;
using model::Outcome;
using model::PodId;
using placement::TopologyIndex;

namespace {

// Candidate domains tried per choice before giving up (each try is a reservation and a
// rollback); the first candidate fits unless DRA devices disagree with the resource count.
constexpr size_t kMaxDomainTries = 8;
constexpr std::string_view kHostname = "kubernetes.io/hostname";

std::string_view KindName(model::GangKind kind) {
  switch (kind) {
    case model::GangKind::kJob:
      return "Job";
    case model::GangKind::kJobSet:
      return "JobSet";
    case model::GangKind::kKaiPodGroup:
      return "PodGroup";
    case model::GangKind::kVolcanoPodGroup:
      return "PodGroup";
    case model::GangKind::kVolcanoJob:
      return "Volcano Job";
  }
  return "gang";
}

std::vector<NodeId> Intersect(std::span<const NodeId> a, std::span<const NodeId> b) {
  std::vector<NodeId> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// BestFit over items with room: roomiest first; the last one taken is the tightest that
// still holds what remains. Appends (item, count) to `out`; `target` <= total room.
void BestFitTake(std::vector<std::pair<uint32_t, int64_t>>& items, int64_t target,
                 std::vector<std::pair<uint32_t, int64_t>>& out) {
  std::sort(items.begin(), items.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  int64_t remaining = target;
  for (size_t i = 0; i < items.size() && remaining > 0; ++i) {
    if (items[i].second >= remaining) {
      size_t best = i;
      for (size_t j = i + 1; j < items.size(); ++j) {
        if (items[j].second >= remaining && items[j].second < items[best].second) best = j;
      }
      out.emplace_back(items[best].first, remaining);
      return;
    }
    if (items[i].second == 0) break;
    out.emplace_back(items[i].first, items[i].second);
    remaining -= items[i].second;
  }
}

// One gang attempt: the decisions made so far (undone with the overlay on rollback).
struct GangRun {
  const GangPlan& plan;
  std::vector<Decision> log;
  int32_t placed = 0;
  std::string why;
  std::optional<Decision> blocked;
};

struct RunMark {
  internal::Mark mark;
  size_t log;
  int32_t placed;
};

// The placement algorithms, over one engine.
class GangPlacer {
 public:
  GangPlacer(Engine::Impl& m, GangRun& run) : m_(m), run_(run) {}

  bool PlaceGroup(int gi, std::span<const NodeId> scope);

 private:
  RunMark Save() const { return {m_.TakeMark(), run_.log.size(), run_.placed}; }
  void Restore(const RunMark& r) {
    m_.RollbackTo(r.mark);
    run_.log.resize(r.log);
    run_.placed = r.placed;
  }
  const GangGroup& group(int gi) const { return run_.plan.groups[gi]; }

  bool PlaceOwnAndChildren(int gi, std::span<const NodeId> scope);
  bool PlaceLeaf(int gi, std::span<const model::PodId> pods, int32_t need,
                 std::span<const NodeId> scope, const Constraint& c);
  bool PlacePodByPod(const GangGroup& g, std::span<const PodId> pods, int32_t need,
                     std::span<const NodeId> scope);
  bool PlaceExclusive(int gi, std::span<const NodeId> scope);
  bool PlaceSlices(const GangGroup& g, std::span<const PodId> pods,
                   std::span<const NodeId> scope, const Constraint& c);

  // Room for pods of `pods[0]`'s shape, per node of `scope` (at most `cap` each), summed per
  // domain. Domains at `prune_level` whose free capacity cannot hold `need` are skipped
  // without visiting their nodes.
  void ComputeRoom(const TopologyIndex& t, std::span<const PodId> pods,
                   std::span<const NodeId> scope, int64_t cap, int prune_level, int64_t need);
  // How many of `pods` (taken in order, at most `cap`) fit on `node` at once: through the
  // filter cache when `cache` (the class every pod counted shares) is set, else CountRoom.
  int64_t Room(std::span<const PodId> pods, NodeId node, int64_t cap,
               internal::ClassCache* cache);
  int64_t CountRoom(std::span<const PodId> pods, NodeId node, int64_t cap);
  int64_t room(int level, uint32_t domain) const {
    return level < 0 ? root_room_ : m_.domain_room[level][domain];
  }
  // Domains at `level` with room for `need`, tightest first; only inside `within` (a
  // domain at `within_level`) when within_level >= 0.
  std::vector<uint32_t> Candidates(const TopologyIndex& t, int level, int64_t need,
                                   int within_level, uint32_t within) const;
  // Pods per node for `target` pods inside a domain, BestFit level by level.
  void Distribute(const TopologyIndex& t, int level, uint32_t domain, int64_t target,
                  std::vector<std::pair<uint32_t, int64_t>>& out) const;
  // Places pods[next_..] on the nodes `counts` names; false when one does not fit.
  bool PlaceCounts(std::span<const PodId> pods,
                   const std::vector<std::pair<uint32_t, int64_t>>& counts);
  bool DistributeAndPlace(const TopologyIndex& t, int level, uint32_t domain, int64_t target,
                          std::span<const PodId> pods) {
    std::vector<std::pair<uint32_t, int64_t>> counts;
    Distribute(t, level, domain, target, counts);
    return PlaceCounts(pods, counts);
  }
  // Leaf pods that were not needed (a minimum below the total) wait with this message.
  void LeaveRest(const GangGroup& g, std::span<const PodId> pods, std::string_view why);

  Engine::Impl& m_;
  GangRun& run_;
  int64_t root_room_ = 0;
  size_t next_ = 0;  // next pod of the current leaf to place
  // ComputeRoom: the nodes it left out because another Job holds their domain exclusively
  // against `held_pod_`, the pod it counted for.
  std::vector<NodeId> held_;
  PodId held_pod_;
  // What a reason adds about them: " (example.com/rack r0 is held exclusively by Job ...)",
  // or "" when none was left out.
  std::string HeldNote() const {
    return held_.empty() ? std::string() : " (" + m_.ExclusiveHeldMessage(held_pod_, held_) + ")";
  }
};

int64_t GangPlacer::Room(std::span<const PodId> pods, NodeId node, int64_t cap,
                         internal::ClassCache* cache) {
  // How many pods of one class fit on a node holds until the node changes.
  const int64_t limit = std::min<int64_t>(cap, static_cast<int64_t>(pods.size()));
  const uint64_t version = m_.overlay.version(node.value());
  const uint64_t shared = m_.overlay.version(m_.overlay.shared_key());
  if (cache != nullptr) {
    if (const std::optional<int64_t> room = cache->Room(node, version, shared, limit)) return *room;
  }
  const int64_t room = CountRoom(pods, node, cap);
  if (cache != nullptr) cache->SetRoom(node, version, shared, room, limit);
  return room;
}

int64_t GangPlacer::CountRoom(std::span<const PodId> pods, NodeId node, int64_t cap) {
  const model::Snapshot& s = m_.snapshot;
  const PodId rep = pods.front();
  placement::Rejections ignored;
  if (!placement::PassesStaticFilters(s, rep, node, ignored, m_.extra_tolerations)) return 0;
  const auto alloc = s.allocatable(node);
  const auto used = m_.overlay.used(node);
  const size_t p = model::kPods.index();
  int64_t room = alloc[p].value() - used[p].value();
  for (const model::ResourceAmount& ra : s.pod_requests(rep)) {
    const int64_t need = ra.amount.value();
    if (need <= 0) continue;
    const size_t r = ra.resource.index();
    room = std::min(room, (alloc[r].value() - used[r].value()) / need);
  }
  room = std::clamp<int64_t>(room, 0, cap);
  if (room > 0 && !m_.catalog->instances_of(rep).empty()) {
    // Devices: allocate the pods' own claims one after another on this node, then undo.
    const model::Overlay::Mark mark = m_.overlay.mark();
    int64_t fit = 0;
    for (; fit < room && fit < static_cast<int64_t>(pods.size()); ++fit) {
      dra::DraFailureInfo failure;
      if (!m_.allocator->Allocate(m_.overlay, pods[fit], node, failure)) break;
    }
    m_.overlay.RollbackTo(mark);
    room = fit;
  }
  return room;
}

void GangPlacer::ComputeRoom(const TopologyIndex& t, std::span<const PodId> pods,
                             std::span<const NodeId> scope, int64_t cap, int prune_level,
                             int64_t need) {
  m_.node_room.assign(m_.snapshot.num_nodes(), 0);
  m_.domain_room.resize(t.num_levels());
  for (int l = 0; l < t.num_levels(); ++l) m_.domain_room[l].assign(t.num_domains(l), 0);
  root_room_ = 0;
  // Counts are cached per class when every pod that could be counted is of the first one's.
  internal::ClassCache* cache = m_.CacheFor(pods.front());
  const size_t counted = std::min(pods.size(), static_cast<size_t>(std::max<int64_t>(cap, 0)));
  for (size_t i = 1; cache != nullptr && i < counted; ++i) {
    if (m_.CacheFor(pods[i]) != cache) cache = nullptr;
  }
  // Nodes in a domain another exclusive Job holds are not the pods' (JobSet's anti-affinity).
  held_.clear();
  held_pod_ = pods.front();
  const bool keyed = m_.MayBeHeldAgainst(pods.front());
  for (NodeId node : scope) {
    if (t.domain_of(0, node) == TopologyIndex::kNone) continue;
    if (prune_level >= 0 &&
        !t.MayHold(prune_level, t.domain_of(prune_level, node), pods.front(), need)) {
      continue;
    }
    if (keyed && m_.ExclusiveHolder(pods.front(), node) >= 0) {
      held_.push_back(node);
      continue;
    }
    const int64_t room = Room(pods, node, cap, cache);
    if (room == 0) continue;
    m_.node_room[node.index()] = static_cast<int32_t>(room);
    for (int l = 0; l < t.num_levels(); ++l) m_.domain_room[l][t.domain_of(l, node)] += room;
    root_room_ += room;
  }
}

std::vector<uint32_t> GangPlacer::Candidates(const TopologyIndex& t, int level, int64_t need,
                                             int within_level, uint32_t within) const {
  std::vector<uint32_t> out;
  for (uint32_t d = 0; d < t.num_domains(level); ++d) {
    if (room(level, d) < need || need <= 0) continue;
    if (within_level >= 0) {
      uint32_t up = d;
      for (int l = level; l > within_level; --l) up = t.parent(l, up);
      if (up != within) continue;
    }
    out.push_back(d);
  }
  auto parent_room = [&](uint32_t d) {
    return level > 0 ? room(level - 1, t.parent(level, d)) : int64_t{0};
  };
  std::sort(out.begin(), out.end(), [&](uint32_t x, uint32_t y) {
    if (room(level, x) != room(level, y)) return room(level, x) < room(level, y);
    if (parent_room(x) != parent_room(y)) return parent_room(x) < parent_room(y);
    return x < y;
  });
  return out;
}

void GangPlacer::Distribute(const TopologyIndex& t, int level, uint32_t domain, int64_t target,
                            std::vector<std::pair<uint32_t, int64_t>>& out) const {
  std::vector<std::pair<uint32_t, int64_t>> items;
  if (level == t.num_levels() - 1) {
    for (NodeId node : t.nodes(level, domain)) {
      const int64_t r = m_.node_room[node.index()];
      if (r > 0) items.emplace_back(node.value(), r);
    }
    BestFitTake(items, target, out);
    return;
  }
  for (uint32_t child : t.children(level, domain)) {
    const int64_t r = room(level + 1, child);
    if (r > 0) items.emplace_back(child, r);
  }
  std::vector<std::pair<uint32_t, int64_t>> taken;
  BestFitTake(items, target, taken);
  for (const auto& [child, count] : taken) Distribute(t, level + 1, child, count, out);
}

bool GangPlacer::PlaceCounts(std::span<const PodId> pods,
                             const std::vector<std::pair<uint32_t, int64_t>>& counts) {
  for (const auto& [node_value, count] : counts) {
    const NodeId node(node_value);
    for (int64_t k = 0; k < count; ++k) {
      TESSERA_CHECK(next_ < pods.size()) << "distribution exceeds the member's pods";
      Decision d = m_.DecideAmong(pods[next_], std::span<const NodeId>(&node, 1));
      if (d.outcome != Outcome::kPlaced) return false;
      run_.log.push_back(std::move(d));
      ++run_.placed;
      ++next_;
    }
  }
  return true;
}

void GangPlacer::LeaveRest(const GangGroup& g, std::span<const PodId> pods,
                           std::string_view why) {
  for (; next_ < pods.size(); ++next_) {
    Decision d{.pod = pods[next_],
               .outcome = Outcome::kWaiting,
               .nodes_total = static_cast<uint32_t>(m_.snapshot.num_nodes())};
    d.message = fmt::format("{}: started with {} of the {} pods of {}; {}", run_.plan.label,
                            next_, pods.size(), g.name, why);
    run_.log.push_back(std::move(d));
  }
}

bool GangPlacer::PlacePodByPod(const GangGroup& g, std::span<const PodId> pods, int32_t need,
                               std::span<const NodeId> scope) {
  int32_t placed = 0;
  for (next_ = 0; next_ < pods.size(); ++next_) {
    Decision d = m_.DecideAmong(pods[next_], scope);
    if (d.outcome != Outcome::kPlaced) {
      if (!run_.blocked) run_.blocked = d;
      if (placed >= need) {
        run_.log.push_back(std::move(d));
        ++next_;
        LeaveRest(g, pods, "the rest did not fit");
        return true;
      }
      const model::Pod& spec = m_.snapshot.pod(pods[next_]);
      const std::string pod = fmt::format("pod {}/{}", spec.namespace_name, spec.name);
      if (pods.size() == 1) {
        run_.why = pod + " fits no node";
      } else if (static_cast<int32_t>(pods.size()) == need) {
        run_.why = fmt::format("{} of {} fits no node", pod, g.name);
      } else {
        run_.why = fmt::format("{} fits no node ({} of {} placed, {} needed)", pod, placed,
                               pods.size(), need);
      }
      if (!d.message.empty()) run_.why += ": " + d.message;  // e.g. a domain held exclusively
      return false;
    }
    run_.log.push_back(std::move(d));
    ++run_.placed;
    ++placed;
  }
  return true;
}

bool GangPlacer::PlaceSlices(const GangGroup& g, std::span<const PodId> pods,
                             std::span<const NodeId> scope, const Constraint& c) {
  const TopologyIndex& t = *c.topology;
  const std::vector<Constraint::SliceLayer>& layers = c.slices;
  const int64_t k = layers.front().size;
  const int64_t total = static_cast<int64_t>(pods.size());
  if (total % k != 0) {
    run_.why = layers.size() == 1
                   ? fmt::format("{}: podset-slice-size {} does not divide its {} pods", g.name,
                                 k, total)
                   : fmt::format("{}: the outermost slice size {} does not divide its {} pods",
                                 g.name, k, total);
    return false;
  }
  const int64_t slices = total / k;
  const int S = layers.front().level;
  const int inner = layers.back().level;
  const int64_t inner_size = layers.back().size;
  ComputeRoom(t, pods, scope, total, inner, inner_size);
  // Room in units per domain, counted bottom-up: at the innermost layer's level, its slices
  // (pods that fit / its size); at another layer's level, that layer's slices (the next
  // layer's units inside the domain / the ratio of the sizes); between layer levels and above
  // the outermost, the sum over the children. So at and above S a unit is an outermost slice.
  std::vector<int64_t> ratio(inner + 1, 1);
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    ratio[layers[i].level] = layers[i].size / layers[i + 1].size;
  }
  std::vector<std::vector<int64_t>> units(inner + 1);
  for (int l = inner; l >= 0; --l) {
    units[l].assign(t.num_domains(l), 0);
    for (uint32_t d = 0; d < t.num_domains(l); ++d) {
      if (l == inner) {
        units[l][d] = m_.domain_room[l][d] / inner_size;
      } else {
        int64_t sum = 0;
        for (uint32_t child : t.children(l, d)) sum += units[l + 1][child];
        units[l][d] = sum / ratio[l];
      }
    }
  }
  int64_t root_slices = 0;
  for (uint32_t d = 0; d < t.num_domains(0); ++d) root_slices += units[0][d];
  auto slice_room = [&](int level, uint32_t d) {
    return level < 0 ? root_slices : units[level][d];
  };
  // n units of `domain`, BestFit level by level: at a layer's level each unit becomes
  // `ratio` units of the next layer among the children; at the innermost, pods on nodes.
  std::function<bool(int, uint32_t, int64_t)> place = [&](int level, uint32_t domain,
                                                          int64_t n) -> bool {
    if (level == inner) return DistributeAndPlace(t, inner, domain, n * inner_size, pods);
    std::vector<std::pair<uint32_t, int64_t>> items, taken;
    for (uint32_t child : t.children(level, domain)) {
      if (slice_room(level + 1, child) > 0) items.emplace_back(child, slice_room(level + 1, child));
    }
    BestFitTake(items, level >= 0 ? n * ratio[level] : n, taken);
    for (const auto& [child, count] : taken) {
      if (!place(level + 1, child, count)) return false;
    }
    return true;
  };
  // ", in groups of 8 pods each in one kubernetes.io/hostname domain" per inner layer.
  std::string groups;
  for (size_t i = 1; i < layers.size(); ++i) {
    groups += fmt::format(", in groups of {} pods each in one {} domain", layers[i].size,
                          t.level_name(layers[i].level));
  }
  next_ = 0;
  if (c.required >= 0) {
    std::vector<uint32_t> cands;
    for (uint32_t d = 0; d < t.num_domains(c.required); ++d) {
      if (slice_room(c.required, d) >= slices) cands.push_back(d);
    }
    std::sort(cands.begin(), cands.end(), [&](uint32_t x, uint32_t y) {
      return slice_room(c.required, x) != slice_room(c.required, y)
                 ? slice_room(c.required, x) < slice_room(c.required, y)
                 : x < y;
    });
    for (size_t i = 0; i < cands.size() && i < kMaxDomainTries; ++i) {
      const RunMark saved = Save();
      next_ = 0;
      if (place(c.required, cands[i], slices)) return true;
      Restore(saved);
    }
    int64_t best = 0;
    for (uint32_t d = 0; d < t.num_domains(c.required); ++d)
      best = std::max(best, slice_room(c.required, d));
    run_.why = fmt::format(
        "{} needs {} slices of {} pods in one {} domain, each slice in one {} domain{}; the "
        "roomiest has room for {} slices{}",
        g.name, slices, k, t.level_name(c.required), t.level_name(S), groups, best, HeldNote());
    return false;
  }
  if (root_slices >= slices) {
    const RunMark saved = Save();
    if (place(-1, 0, slices)) return true;
    Restore(saved);
  }
  run_.why = fmt::format("{} needs {} slices of {} pods, each in one {} domain{}; there is room "
                         "for {} slices{}",
                         g.name, slices, k, t.level_name(S), groups, root_slices, HeldNote());
  return false;
}

bool GangPlacer::PlaceExclusive(int gi, std::span<const NodeId> scope) {
  const GangGroup& g = group(gi);
  const TopologyIndex& t = *run_.plan.exclusive_topology;
  const int E = run_.plan.exclusive_level;
  std::vector<int32_t>* owners = &m_.exclusive_owners[m_.ExclusiveTable(t, E)].second;
  const size_t per = g.pods_per_job > 0 ? static_cast<size_t>(g.pods_per_job) : g.pods.size();
  std::vector<uint8_t> foreign, own;
  for (size_t begin = 0; begin < g.pods.size(); begin += per) {
    const auto job = std::span<const PodId>(g.pods).subspan(begin, std::min(per, g.pods.size() - begin));
    const auto need = static_cast<int64_t>(job.size());
    // JobSet's pod anti-affinity: a domain holding a pod with another Job's job key (bound, or
    // placed in this run) is not this Job's; its pod affinity: when pods of this Job run
    // already, only their domains are.
    foreign.assign(t.num_domains(E), 0);
    own.assign(t.num_domains(E), 0);
    bool joins_own = false;
    const int32_t job_id = m_.job_of_pod.empty() ? -1 : m_.job_of_pod[job.front().index()];
    const std::string& first = m_.snapshot.pod(job.front()).name;
    const std::string job_name = first.substr(0, first.rfind('-'));
    for (PodId p : m_.keyed_pods) {
      const NodeId node = m_.overlay.node_of(p);
      if (!node.valid()) continue;
      const uint32_t d = t.domain_of(E, node);
      if (d == TopologyIndex::kNone) continue;
      if (job_id >= 0 && m_.job_of_pod[p.index()] == job_id) {
        own[d] = 1;
        joins_own = true;
      } else {
        foreign[d] = 1;
      }
    }
    // A domain another Job holds exclusively is not this Job's either (its own domains, held
    // by its running pods, are).
    auto held = [&](uint32_t d) { return (*owners)[d] >= 0 && (*owners)[d] != job_id; };
    ComputeRoom(t, job, scope, need, E, need);
    std::vector<uint32_t> cands = Candidates(t, E, need, -1, 0);
    std::erase_if(cands, [&](uint32_t d) {
      return held(d) || foreign[d] != 0 || (joins_own && own[d] == 0);
    });
    bool ok = false;
    for (size_t i = 0; i < cands.size() && i < kMaxDomainTries && !ok; ++i) {
      const RunMark saved = Save();
      next_ = 0;
      if (DistributeAndPlace(t, E, cands[i], need, job)) {
        // A Job without an id (its pods carry no job key) gets one now, for this domain.
        const int32_t owner =
            job_id >= 0 ? job_id
                        : m_.NewJobId(fmt::format(
                              "{}/{}", m_.snapshot.pod(job.front()).namespace_name, job_name));
        if ((*owners)[cands[i]] != owner) {
          m_.journal.push_back(
              {.owners = owners, .domain = cands[i], .old_owner = (*owners)[cands[i]]});
          (*owners)[cands[i]] = owner;
        }
        ok = true;
      } else {
        Restore(saved);
      }
    }
    if (!ok) {
      if (joins_own) {
        std::vector<std::string> names;
        for (uint32_t d = 0; d < t.num_domains(E); ++d) {
          if (own[d] != 0) names.push_back(t.domain_value(E, d));
        }
        run_.why = fmt::format(
            "Job {} has pods running in {} {} (exclusive-topology: its pods go together) and "
            "there is no room there for its {} pods",
            job_name, t.level_name(E), fmt::join(names, ", "), need);
        return false;
      }
      int64_t taken = 0;
      for (uint32_t d = 0; d < t.num_domains(E); ++d) {
        taken += (foreign[d] != 0 || held(d)) ? 1 : 0;
      }
      run_.why = fmt::format(
          "Job {} needs a {} domain of its own (exclusive-topology) with room for its {} pods; "
          "none is free ({} of the {} domains hold pods of other Jobs)",
          job_name, t.level_name(E), need, taken, t.num_domains(E));
      return false;
    }
  }
  return true;
}

bool GangPlacer::PlaceLeaf(int gi, std::span<const PodId> pods, int32_t need,
                           std::span<const NodeId> scope, const Constraint& c) {
  const GangGroup& g = group(gi);
  next_ = 0;
  if (pods.empty()) return true;
  if (c.topology == nullptr || (c.required < 0 && c.preferred < 0 && c.slices.empty() &&
                                !c.unconstrained)) {
    return PlacePodByPod(g, pods, need, scope);
  }
  if (!c.slices.empty()) return PlaceSlices(g, pods, scope, c);
  const TopologyIndex& t = *c.topology;
  const auto total = static_cast<int64_t>(pods.size());
  const int64_t want = std::max<int64_t>(need, 1);
  ComputeRoom(t, pods, scope, total, c.required, want);
  auto try_domains = [&](int level, int within_level, uint32_t within) {
    const std::vector<uint32_t> cands = Candidates(t, level, want, within_level, within);
    for (size_t i = 0; i < cands.size() && i < kMaxDomainTries; ++i) {
      const RunMark saved = Save();
      next_ = 0;
      if (DistributeAndPlace(t, level, cands[i], std::min(total, room(level, cands[i])), pods)) {
        LeaveRest(g, pods, fmt::format("no room for the rest in its {} domain", t.level_name(level)));
        return true;
      }
      Restore(saved);
    }
    return false;
  };
  if (c.required >= 0) {
    const std::vector<uint32_t> cands = Candidates(t, c.required, want, -1, 0);
    for (size_t i = 0; i < cands.size() && i < kMaxDomainTries; ++i) {
      // KAI: a preferred level finer than the required one is tried first inside it.
      for (int l = c.preferred; l > c.required; --l) {
        if (try_domains(l, c.required, cands[i])) return true;
      }
      const RunMark saved = Save();
      next_ = 0;
      if (DistributeAndPlace(t, c.required, cands[i], std::min(total, room(c.required, cands[i])),
                             pods)) {
        LeaveRest(g, pods, "no room for the rest in its domain");
        return true;
      }
      Restore(saved);
    }
    // Room as it is, without the pruning that skipped domains too small to be worth visiting.
    ComputeRoom(t, pods, scope, total, -1, want);
    int64_t best = 0;
    for (uint32_t d = 0; d < t.num_domains(c.required); ++d) best = std::max(best, room(c.required, d));
    run_.why = fmt::format("{} needs {} pods in one {} domain; the roomiest has room for {}{}",
                           g.name, want, t.level_name(c.required), best, HeldNote());
    return false;
  }
  if (c.preferred >= 0) {
    for (int l = c.preferred; l >= 0; --l) {
      if (try_domains(l, -1, 0)) return true;
    }
  }
  // Preferred that fits no single domain, or unconstrained: spread. Unconstrained takes the
  // nodes with the least room first (Kueue's LeastFreeCapacity), preferred walks BestFit
  // down from the top.
  if (root_room_ >= want) {
    const RunMark saved = Save();
    next_ = 0;
    const int64_t target = std::min(total, root_room_);
    bool ok;
    if (c.unconstrained && c.preferred < 0) {
      std::vector<std::pair<uint32_t, int64_t>> items;
      for (NodeId node : scope) {
        if (m_.node_room[node.index()] > 0) items.emplace_back(node.value(), m_.node_room[node.index()]);
      }
      std::sort(items.begin(), items.end(), [](const auto& x, const auto& y) {
        return x.second != y.second ? x.second < y.second : x.first < y.first;
      });
      std::vector<std::pair<uint32_t, int64_t>> counts;
      int64_t remaining = target;
      for (const auto& [node, r] : items) {
        if (remaining == 0) break;
        counts.emplace_back(node, std::min(r, remaining));
        remaining -= std::min(r, remaining);
      }
      ok = PlaceCounts(pods, counts);
    } else {
      ok = DistributeAndPlace(t, -1, 0, target, pods);
    }
    if (ok) {
      LeaveRest(g, pods, "no room for the rest");
      return true;
    }
    Restore(saved);
  }
  run_.why = fmt::format("{} needs {} pods; the nodes have room for {}{}", g.name, want,
                         root_room_, HeldNote());
  return false;
}

bool GangPlacer::PlaceOwnAndChildren(int gi, std::span<const NodeId> scope) {
  const GangGroup& g = group(gi);
  if (g.children.empty()) {
    if (run_.plan.exclusive_topology != nullptr && gi > 0) return PlaceExclusive(gi, scope);
    return PlaceLeaf(gi, g.pods, g.min, scope, g.constraint);
  }
  if (!g.pods.empty() && !PlaceLeaf(gi, g.pods, g.min, scope, Constraint{})) return false;
  for (int child : g.children) {
    if (!PlaceGroup(child, scope)) return false;
  }
  return true;
}

bool GangPlacer::PlaceGroup(int gi, std::span<const NodeId> scope) {
  const GangGroup& g = group(gi);
  const Constraint& c = g.constraint;
  if (!c.problem.empty()) {
    run_.why = c.problem;
    return false;
  }
  if (g.children.empty() || c.topology == nullptr || (c.required < 0 && c.preferred < 0)) {
    return PlaceOwnAndChildren(gi, scope);
  }
  // A group of members (a KAI PodGroup or a subgroup with subgroups) with a topology
  // constraint: a domain whose free capacity holds what all of its members need, tightest
  // (by the scarcest requested resource) first.
  const TopologyIndex& t = *c.topology;
  const size_t dims = m_.snapshot.num_resources();
  std::vector<int64_t> demand(dims, 0);
  std::vector<int> stack = {gi};
  while (!stack.empty()) {
    const GangGroup& x = group(stack.back());
    stack.pop_back();
    for (int child : x.children) stack.push_back(child);
    if (x.pods.empty()) continue;
    demand[model::kPods.index()] += x.min;
    for (const model::ResourceAmount& ra : m_.snapshot.pod_requests(x.pods.front())) {
      demand[ra.resource.index()] += ra.amount.value() * x.min;
    }
  }
  auto slack = [&](int level, uint32_t d) {
    const auto free = t.free(level, d);
    double s = 1e300;
    for (size_t r = 0; r < dims; ++r) {
      if (demand[r] > 0) s = std::min(s, static_cast<double>(free[r]) / static_cast<double>(demand[r]));
    }
    return s;
  };
  const bool all = scope.size() == m_.snapshot.num_nodes();
  // One domain of `level` (inside domain `within` of `within_level`, when >= 0) that holds
  // the group; at the required level, a preferred finer domain inside it first (KAI).
  std::function<bool(int, int, uint32_t)> try_level = [&](int level, int within_level,
                                                          uint32_t within) {
    std::vector<uint32_t> cands;
    for (uint32_t d = 0; d < t.num_domains(level); ++d) {
      if (slack(level, d) < 1) continue;
      if (within_level >= 0) {
        uint32_t up = d;
        for (int l = level; l > within_level; --l) up = t.parent(l, up);
        if (up != within) continue;
      }
      cands.push_back(d);
    }
    std::sort(cands.begin(), cands.end(), [&](uint32_t x, uint32_t y) {
      return slack(level, x) != slack(level, y) ? slack(level, x) < slack(level, y) : x < y;
    });
    for (size_t i = 0; i < cands.size() && i < kMaxDomainTries; ++i) {
      const RunMark saved = Save();
      const std::vector<NodeId> sub =
          all ? std::vector<NodeId>(t.nodes(level, cands[i]).begin(), t.nodes(level, cands[i]).end())
              : Intersect(scope, t.nodes(level, cands[i]));
      bool ok = false;
      if (level == c.required) {
        for (int l = c.preferred; l > c.required && !ok; --l) ok = try_level(l, level, cands[i]);
      }
      if (!ok) ok = PlaceOwnAndChildren(gi, sub);
      if (ok) return true;
      Restore(saved);
    }
    return false;
  };
  if (c.required >= 0) {
    if (try_level(c.required, -1, 0)) return true;
    run_.why = fmt::format("{} needs all its members in one {} domain; none has room ({})",
                           g.name, t.level_name(c.required),
                           run_.why.empty() ? "free capacity too small everywhere" : run_.why);
    return false;
  }
  for (int l = c.preferred; l >= 0; --l) {
    if (try_level(l, -1, 0)) return true;
  }
  run_.why.clear();
  return PlaceOwnAndChildren(gi, scope);
}

}  // namespace

// --- compile ---------------------------------------------------------------------------

double Engine::Impl::PodSize(PodId pod) const {
  double size = static_cast<double>(catalog->instances_of(pod).size());
  for (const model::ResourceAmount& ra : snapshot.pod_requests(pod)) {
    const int64_t most = max_allocatable[ra.resource.index()];
    if (most > 0) {
      size = std::max(size, static_cast<double>(ra.amount.value()) / static_cast<double>(most));
    }
  }
  return size;
}

placement::TopologyIndex* Engine::Impl::TopologyFor(const std::vector<std::string>& levels) {
  for (auto& t : topologies) {
    if (t->level_keys() == levels) return t.get();
  }
  // Built from the overlay as it is now; reservations journaled before this are undone by
  // OnRelease, which is consistent because their usage is in the overlay already.
  topologies.push_back(std::make_unique<placement::TopologyIndex>(snapshot, levels, overlay));
  return topologies.back().get();
}

Constraint Engine::Impl::Resolve(const model::TopologyConstraintSpec& spec,
                                 std::string_view flavor_topology) {
  Constraint c;
  if (spec.empty()) return c;
  c.unconstrained = spec.unconstrained;
  std::vector<std::string> named;
  auto name_level = [&named](const std::string& level) {
    if (!level.empty() && std::find(named.begin(), named.end(), level) == named.end()) {
      named.push_back(level);
    }
  };
  name_level(spec.required_level);
  name_level(spec.preferred_level);
  for (const model::SliceLayerSpec& layer : spec.slices) name_level(layer.level);
  const std::string_view name = spec.topology.empty() ? flavor_topology : spec.topology;
  const model::TopologySpec* found = nullptr;
  std::span<const model::TopologySpec> known;
  if (options.gangs != nullptr) known = options.gangs->topologies;
  if (!name.empty()) {
    for (const model::TopologySpec& t : known) {
      if (t.name == name && (found == nullptr || (!spec.topology.empty() && t.api_group == "kai.scheduler"))) {
        found = &t;
      }
    }
    if (found == nullptr) {
      c.problem = fmt::format("Topology \"{}\" does not exist", name);
      return c;
    }
  } else {
    for (const model::TopologySpec& t : known) {
      const bool has_all = std::all_of(named.begin(), named.end(), [&](const std::string& l) {
        return std::find(t.levels.begin(), t.levels.end(), l) != t.levels.end();
      });
      if (has_all && !named.empty()) {
        found = &t;
        break;
      }
    }
  }
  std::vector<std::string> levels;
  if (found != nullptr) {
    levels = found->levels;
  } else {
    levels = named;  // required is coarser than preferred and slice levels, by the APIs
    if (std::find(levels.begin(), levels.end(), kHostname) == levels.end()) {
      levels.emplace_back(kHostname);
    }
  }
  c.topology = TopologyFor(levels);
  auto level_of = [&](const std::string& key) -> int {
    if (key.empty()) return -1;
    const int l = c.topology->LevelOf(key);
    if (l < 0 && c.problem.empty()) {
      c.problem = fmt::format("topology level \"{}\" is not a level of Topology \"{}\"", key,
                              found != nullptr ? found->name : "");
    }
    return l;
  };
  c.required = level_of(spec.required_level);
  c.preferred = level_of(spec.preferred_level);
  for (const model::SliceLayerSpec& layer : spec.slices) {
    c.slices.push_back({.level = level_of(layer.level), .size = layer.size});
  }
  // Kueue's scheduler: the outermost slice level not above the PodSet's level, each further
  // layer strictly finer than the one before; its webhook: sizes from 1, each dividing the one
  // before (io checks those; gangs from elsewhere are checked here too).
  for (size_t i = 0; i < c.slices.size() && c.problem.empty(); ++i) {
    const Constraint::SliceLayer& layer = c.slices[i];
    const std::string& key = spec.slices[i].level;
    if (i == 0 && c.required >= 0 && layer.level < c.required) {
      c.problem = fmt::format("slice level \"{}\" is coarser than the required level \"{}\"",
                              key, spec.required_level);
    } else if (i == 0 && c.required < 0 && c.preferred >= 0 && layer.level < c.preferred) {
      c.problem = fmt::format("slice level \"{}\" is coarser than the preferred level \"{}\"",
                              key, spec.preferred_level);
    } else if (i > 0 && layer.level <= c.slices[i - 1].level) {
      c.problem = fmt::format(
          "slice layer [{}] level \"{}\" is not finer than layer [{}] level \"{}\" (the "
          "levels from coarse to fine: {})",
          i, key, i - 1, spec.slices[i - 1].level, fmt::join(c.topology->level_keys(), ", "));
    } else if (layer.size < 1 || (i > 0 && c.slices[i - 1].size % layer.size != 0)) {
      c.problem = i == 0 ? fmt::format("slice size {} must be at least 1", layer.size)
                         : fmt::format("slice layer [{}] size {} does not divide layer [{}] size {}",
                                       i, layer.size, i - 1, c.slices[i - 1].size);
    }
  }
  if (!c.problem.empty()) c.slices.clear();
  if (c.required >= 0 && c.preferred >= 0 && c.preferred <= c.required) c.preferred = -1;
  return c;
}

internal::GangPlan Engine::Impl::CompileGang(const model::GangSpec& spec,
                                             std::string_view flavor_topology) {
  GangPlan plan;
  plan.label = fmt::format("{} {}/{}", KindName(spec.kind), spec.namespace_name, spec.name);
  plan.min_total = spec.min_member;
  plan.groups.resize(spec.members.size() + 1);
  plan.groups[0].name = "the gang";
  plan.groups[0].constraint = Resolve(spec.topology, flavor_topology);
  for (size_t i = 0; i < spec.members.size(); ++i) {
    const model::GangMemberSpec& m = spec.members[i];
    GangGroup& g = plan.groups[i + 1];
    g.name = m.name.empty() ? std::string("its pods") : fmt::format("member {}", m.name);
    g.parent = 0;
    for (size_t j = 0; j < spec.members.size(); ++j) {
      if (j != i && !m.parent.empty() && spec.members[j].name == m.parent) g.parent = static_cast<int>(j + 1);
    }
    for (const std::string& name : m.pod_names) {
      auto id = snapshot.FindPod(spec.namespace_name, name);
      if (!id || snapshot.pod(*id).node.valid()) continue;
      g.pods.push_back(*id);
      plan.pods.push_back(*id);
    }
    const auto count = static_cast<int32_t>(g.pods.size());
    g.min = m.min_count >= 0 ? std::min(m.min_count, count) : (spec.min_member < 0 ? count : 0);
    g.constraint = Resolve(m.topology, flavor_topology);
    if (!g.constraint.problem.empty()) g.constraint.problem = g.name + ": " + g.constraint.problem;
    g.pods_per_job = m.pods_per_job;
    for (PodId pod : g.pods) g.size = std::max(g.size, PodSize(pod));
  }
  // A parent chain that loops (io rejects those) is cut at the gang.
  for (size_t i = 1; i < plan.groups.size(); ++i) {
    int at = plan.groups[i].parent;
    for (size_t steps = 0; at > 0 && steps <= plan.groups.size(); ++steps) at = plan.groups[at].parent;
    if (at != 0) plan.groups[i].parent = 0;
    plan.groups[plan.groups[i].parent].children.push_back(static_cast<int>(i));
  }
  // Larger members first; a group is as large as its largest descendant.
  for (size_t i = plan.groups.size(); i-- > 1;) {
    GangGroup& g = plan.groups[i];
    plan.groups[g.parent].size = std::max(plan.groups[g.parent].size, g.size);
  }
  for (GangGroup& g : plan.groups) {
    std::stable_sort(g.children.begin(), g.children.end(),
                     [&](int x, int y) { return plan.groups[x].size > plan.groups[y].size; });
  }
  // A gang of one member: the gang's minimum is the member's (so that a domain is chosen
  // with room for that many, not for one).
  if (plan.groups.size() == 2 && plan.min_total >= 0) {
    GangGroup& only = plan.groups[1];
    only.min = std::max(only.min, std::min(plan.min_total, static_cast<int32_t>(only.pods.size())));
  }
  // A gang-level constraint over a single member without one of its own (a KAI PodGroup
  // without subgroups) is that member's: its pods then spread inside the domain by BestFit.
  for (GangGroup& g : plan.groups) {
    if (g.children.size() != 1) continue;
    GangGroup& only = plan.groups[g.children[0]];
    const bool unconstrained = only.constraint.topology == nullptr && only.constraint.problem.empty();
    if (only.children.empty() && unconstrained && g.pods.empty()) {
      only.constraint = g.constraint;
      g.constraint = Constraint{};
    }
  }
  if (!spec.exclusive_topology.empty()) {
    model::TopologyConstraintSpec ex;
    ex.required_level = spec.exclusive_topology;
    const Constraint c = Resolve(ex, flavor_topology);
    if (!c.problem.empty()) {
      plan.exclusive_problem = "exclusive-topology: " + c.problem;
    } else {
      plan.exclusive_topology = c.topology;
      plan.exclusive_level = c.required;
    }
  }
  return plan;
}

model::GangSpec Engine::Impl::GangOfWorkload(const model::WorkloadSpec& spec,
                                             uint32_t pod_set) const {
  const model::PodSetSpec& ps = spec.pod_sets[pod_set];
  model::GangSpec gang;
  gang.namespace_name = spec.namespace_name;
  gang.name = spec.name;
  gang.kind = spec.owner.kind == "JobSet" ? model::GangKind::kJobSet : model::GangKind::kJob;
  model::GangMemberSpec member;
  member.name = ps.name;
  member.pod_names = ps.pod_names;
  member.topology = model::TopologyOf(ps);
  // The JobSet's exclusive placement, as io read it for these pods.
  for (const std::string& name : ps.pod_names) {
    auto id = snapshot.FindPod(spec.namespace_name, name);
    if (!id || gang_spec_of_pod[id->index()] < 0) continue;
    const model::GangSpec& from = options.gangs->gangs[gang_spec_of_pod[id->index()]];
    gang.exclusive_topology = from.exclusive_topology;
    for (const model::GangMemberSpec& m : from.members) {
      if (m.name == ps.name) member.pods_per_job = m.pods_per_job;
    }
    break;
  }
  gang.members.push_back(std::move(member));
  return gang;
}

namespace {
// The label JobSet puts on the pods of each of its Jobs (a hash of the Job's namespace and
// name), and the labels the Job controller names the Job with.
constexpr std::string_view kJobKeyLabel = "jobset.sigs.k8s.io/job-key";
constexpr std::string_view kJobNameLabel = "batch.kubernetes.io/job-name";
constexpr std::string_view kLegacyJobNameLabel = "job-name";

std::optional<model::LabelValueId> PodLabel(const model::Snapshot& s, PodId pod,
                                            std::optional<model::LabelKeyId> key) {
  if (!key) return std::nullopt;
  for (const model::Label& l : s.pod_labels(pod)) {
    if (l.key == *key) return l.value;
  }
  return std::nullopt;
}

bool HasLabel(const model::Snapshot& s, PodId pod, std::optional<model::LabelKeyId> key) {
  return PodLabel(s, pod, key).has_value();
}

// Engine::Impl::job_of_pod and keyed_pods. A pod carries a job key when it has the label
// (read from a live cluster) or belongs to a JobSet (io makes its pods without the hash, but
// JobSet labels every pod it creates). Two pods are of one Job when they share namespace and
// Job name (batch.kubernetes.io/job-name, else job-name, else the pod name without its last
// "-<index>", as JobSet names pods), which is what the hash is made of; a pod with the label
// but no Job name is matched by the label's value.
void CompileJobKeys(Engine::Impl& m) {
  const model::Snapshot& s = m.snapshot;
  const auto key = s.FindLabelKey(kJobKeyLabel);
  const auto job_name = s.FindLabelKey(kJobNameLabel);
  const auto legacy_job_name = s.FindLabelKey(kLegacyJobNameLabel);
  m.job_of_pod.assign(s.num_pods(), -1);
  m.keyed_pods.clear();
  std::map<std::pair<std::string, std::string>, int32_t> ids;
  for (size_t p = 0; p < s.num_pods(); ++p) {
    const PodId pod = PodId::FromIndex(p);
    const auto hash = PodLabel(s, pod, key);
    const int32_t g = m.gang_spec_of_pod[p];
    const bool in_jobset =
        g >= 0 && m.options.gangs->gangs[static_cast<size_t>(g)].kind == model::GangKind::kJobSet;
    if (!hash && !in_jobset) continue;
    std::pair<std::string, std::string> job;
    auto name = PodLabel(s, pod, job_name);
    if (!name) name = PodLabel(s, pod, legacy_job_name);
    const model::Pod& spec = s.pod(pod);
    if (name) {
      job = {spec.namespace_name, s.label_value(*name)};
    } else if (hash) {
      job = {std::string(), s.label_value(*hash)};  // the hash covers the namespace
    } else {
      job = {spec.namespace_name, spec.name.substr(0, spec.name.rfind('-'))};
    }
    const auto [it, added] = ids.try_emplace(std::move(job), static_cast<int32_t>(ids.size()));
    if (added) {
      m.job_names.push_back(it->first.first.empty()
                                ? fmt::format("with {} {}", kJobKeyLabel, it->first.second)
                                : fmt::format("{}/{}", it->first.first, it->first.second));
    }
    m.job_of_pod[p] = it->second;
    m.keyed_pods.push_back(pod);
  }
  // Exclusive Jobs: those with a pod in a gang that asks for exclusive placement. Their
  // bound pods hold their domains from the start (JobSet gives every pod of such a Job the
  // anti-affinity, and the scheduler checks it for pods already placed).
  m.exclusive_table_of_job.assign(m.job_names.size(), -1);
  std::map<std::string, int32_t> table_of_key;
  for (PodId pod : m.keyed_pods) {
    const int32_t g = m.gang_spec_of_pod[pod.index()];
    const int32_t job = m.job_of_pod[pod.index()];
    if (g < 0 || m.exclusive_table_of_job[job] >= 0) continue;
    const std::string& level = m.options.gangs->gangs[static_cast<size_t>(g)].exclusive_topology;
    if (level.empty()) continue;
    auto [at, added] = table_of_key.try_emplace(level, -1);
    if (added) {
      model::TopologyConstraintSpec ex;
      ex.required_level = level;
      const Constraint c = m.Resolve(ex, {});
      if (c.problem.empty()) {
        at->second = static_cast<int32_t>(m.ExclusiveTable(*c.topology, c.required));
      }
    }
    m.exclusive_table_of_job[job] = at->second;
  }
  for (PodId pod : m.keyed_pods) {
    const NodeId node = m.overlay.node_of(pod);
    const int32_t job = m.job_of_pod[pod.index()];
    const int32_t table = m.exclusive_table_of_job[job];
    if (!node.valid() || table < 0) continue;
    auto& [where, owners] = m.exclusive_owners[static_cast<size_t>(table)];
    const uint32_t d = where.first->domain_of(where.second, node);
    // Two exclusive Jobs in one domain (the input breaks the rule already): the first holds it.
    if (d != TopologyIndex::kNone && owners[d] < 0) owners[d] = job;
  }
}
}  // namespace

size_t Engine::Impl::ExclusiveTable(const TopologyIndex& t, int level) {
  for (size_t i = 0; i < exclusive_owners.size(); ++i) {
    const auto& [topology, at] = exclusive_owners[i].first;
    if (topology == &t && at == level) return i;
  }
  exclusive_owners.push_back({{&t, level}, std::vector<int32_t>(t.num_domains(level), -1)});
  return exclusive_owners.size() - 1;
}

int32_t Engine::Impl::NewJobId(std::string name) {
  job_names.push_back(std::move(name));
  exclusive_table_of_job.push_back(-1);
  return static_cast<int32_t>(job_names.size() - 1);
}

int32_t Engine::Impl::ExclusiveHolder(PodId pod, NodeId node) const {
  if (!MayBeHeldAgainst(pod)) return -1;
  const int32_t job = job_of_pod[pod.index()];
  for (const auto& [key, owners] : exclusive_owners) {
    const uint32_t d = key.first->domain_of(key.second, node);
    if (d == TopologyIndex::kNone) continue;
    if (owners[d] >= 0 && owners[d] != job) return owners[d];
  }
  return -1;
}

std::pair<int32_t, uint32_t> Engine::Impl::OwnExclusiveDomain(PodId pod) const {
  if (!MayBeHeldAgainst(pod)) return {-1, 0};
  const int32_t job = job_of_pod[pod.index()];
  const int32_t table = exclusive_table_of_job[static_cast<size_t>(job)];
  if (table < 0) return {-1, 0};
  const std::vector<int32_t>& owners = exclusive_owners[static_cast<size_t>(table)].second;
  const auto it = std::find(owners.begin(), owners.end(), job);
  if (it == owners.end()) return {-1, 0};
  return {table, static_cast<uint32_t>(it - owners.begin())};
}

bool Engine::Impl::OutsideOwnDomain(std::pair<int32_t, uint32_t> own, NodeId node) const {
  if (own.first < 0) return false;
  const auto& key = exclusive_owners[static_cast<size_t>(own.first)].first;
  return key.first->domain_of(key.second, node) != own.second;
}

std::string Engine::Impl::ExclusiveHeldMessage(PodId pod, std::span<const NodeId> nodes) const {
  constexpr size_t kMaxNamed = 3;
  if (!MayBeHeldAgainst(pod)) return {};
  const int32_t job = job_of_pod[pod.index()];
  std::vector<std::string> parts;
  const std::pair<int32_t, uint32_t> own = OwnExclusiveDomain(pod);
  if (std::any_of(nodes.begin(), nodes.end(),
                  [&](NodeId node) { return OutsideOwnDomain(own, node); })) {
    const auto& key = exclusive_owners[static_cast<size_t>(own.first)].first;
    parts.push_back(fmt::format(
        "Job {} runs in {} {} (a Job of an exclusive JobSet stays in one domain)",
        job_names[static_cast<size_t>(job)], key.first->level_name(key.second),
        key.first->domain_value(key.second, own.second)));
  }
  // Per table, the domains of `nodes` held against the pod (each node counted in the first
  // table that holds it, as ExclusiveHolder answers).
  std::vector<std::vector<uint8_t>> seen(exclusive_owners.size());
  for (size_t i = 0; i < exclusive_owners.size(); ++i) {
    seen[i].assign(exclusive_owners[i].second.size(), 0);
  }
  for (NodeId node : nodes) {
    for (size_t i = 0; i < exclusive_owners.size(); ++i) {
      const auto& [key, owners] = exclusive_owners[i];
      const uint32_t d = key.first->domain_of(key.second, node);
      if (d == TopologyIndex::kNone || owners[d] < 0 || owners[d] == job) continue;
      seen[i][d] = 1;
      break;
    }
  }
  size_t count = 0;
  for (size_t i = 0; i < exclusive_owners.size(); ++i) {
    const auto& [key, owners] = exclusive_owners[i];
    for (uint32_t d = 0; d < seen[i].size(); ++d) {
      if (seen[i][d] == 0 || ++count > kMaxNamed) continue;
      const auto owner = static_cast<size_t>(owners[d]);
      parts.push_back(fmt::format("{} {} is held exclusively by Job {}",
                                  key.first->level_name(key.second),
                                  key.first->domain_value(key.second, d),
                                  owner < job_names.size() ? job_names[owner] : "(unnamed)"));
    }
  }
  if (count > kMaxNamed) {
    parts.push_back(fmt::format("{} more domain{} held by other Jobs", count - kMaxNamed,
                                count - kMaxNamed == 1 ? " is" : "s are"));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

void Engine::Impl::HoldExclusiveDomain(PodId pod, NodeId node) {
  if (job_of_pod.empty() || exclusive_owners.empty()) return;
  const int32_t job = job_of_pod[pod.index()];
  if (job < 0 || exclusive_table_of_job[job] < 0) return;
  auto& [key, owners] = exclusive_owners[static_cast<size_t>(exclusive_table_of_job[job])];
  const uint32_t d = key.first->domain_of(key.second, node);
  if (d == TopologyIndex::kNone || owners[d] >= 0) return;
  journal.push_back({.owners = &owners, .domain = d, .old_owner = owners[d]});
  owners[d] = job;
}

void Engine::Impl::ReleaseExclusiveDomain(PodId pod, NodeId node) {
  if (!MayBeHeldAgainst(pod)) return;
  const int32_t job = job_of_pod[pod.index()];
  const int32_t table = exclusive_table_of_job[static_cast<size_t>(job)];
  if (table < 0) return;
  auto& [key, owners] = exclusive_owners[static_cast<size_t>(table)];
  const uint32_t d = key.first->domain_of(key.second, node);
  if (d == TopologyIndex::kNone || owners[d] != job) return;
  for (PodId other : keyed_pods) {
    if (job_of_pod[other.index()] != job) continue;
    const NodeId at = overlay.node_of(other);
    if (at.valid() && key.first->domain_of(key.second, at) == d) return;  // still there
  }
  journal.push_back({.owners = &owners, .domain = d, .old_owner = job});
  owners[d] = -1;
}

void Engine::Impl::CompileGangs() {
  gang_of_pod.assign(snapshot.num_pods(), -1);
  gang_spec_of_pod.assign(snapshot.num_pods(), -1);
  if (options.gangs == nullptr) return;
  const auto& specs = options.gangs->gangs;
  for (size_t i = 0; i < specs.size(); ++i) {
    const model::GangSpec& spec = specs[i];
    bool queued = false, running = false, taken = false;
    for (const model::GangMemberSpec& m : spec.members) {
      for (const std::string& name : m.pod_names) {
        auto id = snapshot.FindPod(spec.namespace_name, name);
        if (!id) continue;
        if (gang_spec_of_pod[id->index()] >= 0) {
          taken = true;
          continue;
        }
        gang_spec_of_pod[id->index()] = static_cast<int32_t>(i);
        queued |= workload_of_pod[id->index()] >= 0;
        running |= snapshot.pod(*id).node.valid();
      }
    }
    if (taken) {
      warnings.push_back(fmt::format("{} {}/{}: some of its pods already belong to another "
                                     "gang; they are placed with that one",
                                     KindName(spec.kind), spec.namespace_name, spec.name));
    }
    // Queued gangs are placed by admission (Admit); a gang with a running pod has started,
    // and its other pods are placed one by one.
    if (queued || running) continue;
    GangPlan plan = CompileGang(spec, {});
    std::erase_if(plan.pods, [&](PodId p) { return gang_spec_of_pod[p.index()] != static_cast<int32_t>(i); });
    for (GangGroup& g : plan.groups) {
      std::erase_if(g.pods, [&](PodId p) { return gang_spec_of_pod[p.index()] != static_cast<int32_t>(i); });
      g.min = std::min<int32_t>(g.min, static_cast<int32_t>(g.pods.size()));
    }
    if (plan.pods.empty()) continue;
    for (PodId p : plan.pods) gang_of_pod[p.index()] = static_cast<int32_t>(gangs.size());
    gangs.push_back(std::move(plan));
  }
  const bool exclusive = std::any_of(specs.begin(), specs.end(), [](const model::GangSpec& g) {
    return !g.exclusive_topology.empty();
  });
  if (exclusive) CompileJobKeys(*this);
}

namespace {
// KAI's default: priority classes below 100 (e.g. its "train" class, 50) are preemptible.
constexpr int32_t kPreemptiblePriorityBelow = 100;
constexpr size_t kMaxConsolidationVictims = 32;

// Whether every DRA claim of the bound `pod` is its own, so that moving the pod moves its
// claims: the claim the resource claim controller made from a ResourceClaimTemplate for one
// of the pod's references. A running pod arrives naming that claim (its
// status.resourceClaimStatuses, which io keeps as PodClaimRefSpec::generated_from_template),
// so io reads it as a ResourceClaim; it is the pod's own when the status says so or it bears
// the controller's name for the reference (`<pod>-<reference>`, the name Tessera writes, or
// `<pod>-<reference>-<suffix>`, the generateName Kubernetes uses), is reserved for
// this pod alone (status.reservedFor), no other pod names it, it arrived allocated and its
// devices are not being evicted (NoExecute). Any other claim is shared: its devices cannot
// follow the pod, so the pod stays. `users`: per claim instance, the pods that name it.
bool ClaimsMoveWith(const Engine::Impl& m, PodId pod, std::span<const uint32_t> users) {
  const model::Pod& spec = m.snapshot.pod(pod);
  for (uint32_t instance : m.catalog->instances_of(pod)) {
    const dra::ClaimInstance& inst = m.catalog->instances()[instance];
    // A template claim made in this run holds nothing of a running pod: what it uses is
    // unknown, so it is not moved.
    if (inst.from_template || users[instance] != 1 || !m.no_execute[instance].empty()) return false;
    if (!m.allocator->allocated(m.overlay, instance) || !m.preallocated.contains(instance)) {
      return false;
    }
    const model::ResourceClaimSpec& claim = *m.catalog->claims()[inst.claim].spec;
    if (claim.reserved_for.size() != 1 || claim.reserved_for[0] != spec.name) return false;
    bool generated = false;
    for (const model::PodClaimRefSpec& ref : spec.claims) {
      if (ref.resource_claim_name != claim.name) continue;
      // status.resourceClaimStatuses said so; else the controller's naming.
      const std::string base = fmt::format("{}-{}", spec.name, ref.name);
      generated |= !ref.generated_from_template.empty() || claim.name == base ||
                   claim.name.starts_with(base + "-");
    }
    if (!generated) return false;
  }
  return true;
}

// Puts a consolidation victim with claims back on its own node with its own devices, as it
// arrived: the claims' recorded allocation is applied again (the inverse of
// ReleaseClaimsOf). False, with nothing changed, when the node's resources or any of those
// devices are taken now.
bool RestoreInPlace(Engine::Impl& m, PodId pod, NodeId node) {
  placement::Rejections ignored;
  if (!placement::FitsResources(m.snapshot, pod, node, m.overlay.used(node), ignored)) return false;
  const internal::Mark mark = m.TakeMark();
  std::vector<model::DeviceId> devices;
  const auto claims = m.catalog->instances_of(pod);
  for (size_t i = 0; i < claims.size(); ++i) {
    const uint32_t instance = claims[i];
    if (std::find(claims.begin(), claims.begin() + static_cast<std::ptrdiff_t>(i), instance) !=
        claims.begin() + static_cast<std::ptrdiff_t>(i)) {
      continue;  // named twice
    }
    m.overlay.AddToLedger(m.allocator->consumers_slot(instance), 1);
    for (const auto& [slot, delta] : m.preallocated.at(instance)) {
      if (slot == m.allocator->append_only_slot() ||
          slot == m.allocator->consumers_slot(instance)) {
        continue;
      }
      m.overlay.AddToLedger(slot, delta);
    }
    for (const dra::DeviceResult& row : m.allocator->results(m.overlay, instance)) {
      devices.push_back(row.device);
    }
  }
  if (!dra::CheckDevices(*m.allocator, m.overlay, devices).empty()) {
    m.RollbackTo(mark);
    return false;
  }
  m.ReservePod(pod, node);
  return true;
}

// After a committed move: the pod's claims now hold what its new allocation took (its
// held entries), which ReleaseClaimsOf gives back should the pod be preempted later. All of
// it is recorded on the pod's last claim, the one ReleaseClaimsOf releases last, without the
// consumer counts, which ReleaseClaimsOf takes off one claim at a time.
void RecordNewAllocation(Engine::Impl& m, PodId pod) {
  const auto claims = m.catalog->instances_of(pod);
  std::vector<std::pair<size_t, int64_t>> took;
  for (uint32_t i = m.held_begin[pod.index()]; i < m.held_end[pod.index()]; ++i) {
    const size_t slot = m.held[i].first;
    const bool consumers = std::any_of(claims.begin(), claims.end(), [&](uint32_t instance) {
      return slot == m.allocator->consumers_slot(instance);
    });
    if (!consumers) took.push_back(m.held[i]);
  }
  for (uint32_t instance : claims) m.preallocated[instance].clear();
  m.preallocated[claims.back()] = std::move(took);
}
}  // namespace

bool Engine::Impl::Consolidate(const GangPlan& gang, std::span<const NodeId> scope,
                               std::vector<Decision>& decisions, internal::MoveLog* log) {
  if (gang.pods.empty()) return false;
  const PodId rep = gang.pods.front();
  const bool rep_has_claims = !catalog->instances_of(rep).empty();
  // Pods naming each claim instance (a pod naming one twice counts once).
  std::vector<uint32_t> users(catalog->instances().size(), 0);
  if (!users.empty()) {
    for (size_t p = 0; p < snapshot.num_pods(); ++p) {
      const auto claims = catalog->instances_of(PodId::FromIndex(p));
      for (size_t i = 0; i < claims.size(); ++i) {
        if (std::find(claims.begin(), claims.begin() + static_cast<std::ptrdiff_t>(i), claims[i]) ==
            claims.begin() + static_cast<std::ptrdiff_t>(i)) {
          ++users[claims[i]];
        }
      }
    }
  }
  // Nodes where taking every candidate off could host at least one pod of the gang.
  const size_t dims = snapshot.num_resources();
  std::vector<PodId> candidates;
  std::vector<int64_t> freeable;
  std::vector<uint8_t> in_scope(snapshot.num_nodes(), 0);
  for (NodeId node : scope) in_scope[node.index()] = 1;
  std::vector<std::vector<PodId>> on_node(snapshot.num_nodes());
  const auto job_key = snapshot.FindLabelKey(kJobKeyLabel);
  for (size_t p = 0; p < snapshot.num_pods(); ++p) {
    const PodId pod = PodId::FromIndex(p);
    const model::Pod& spec = snapshot.pod(pod);
    const NodeId node = overlay.node_of(pod);
    if (!spec.node.valid() || node != spec.node || !in_scope[node.index()]) continue;
    if (spec.priority >= kPreemptiblePriorityBelow || moved[p] != 0) continue;
    // A pod of a gang stays, and so does a pod with a JobSet job key: it is one of a child
    // Job's pods, and moving it could put it in a domain another Job holds exclusively.
    if (gang_spec_of_pod[p] >= 0 || HasLabel(snapshot, pod, job_key)) continue;
    if (!stays_put.empty() && stays_put[p] != 0) continue;  // a running queued workload's
    if (!catalog->instances_of(pod).empty() && !ClaimsMoveWith(*this, pod, users)) continue;
    on_node[node.index()].push_back(pod);
  }
  for (NodeId node : scope) {
    auto& pods = on_node[node.index()];
    if (pods.empty()) continue;
    freeable.assign(dims, 0);
    for (size_t r = 0; r < dims; ++r) {
      freeable[r] = snapshot.allocatable(node)[r].value() - overlay.used(node)[r].value();
    }
    for (PodId pod : pods) {
      freeable[model::kPods.index()] += 1;
      for (const model::ResourceAmount& ra : snapshot.pod_requests(pod)) {
        freeable[ra.resource.index()] += ra.amount.value();
      }
    }
    bool helps = freeable[model::kPods.index()] >= 1;
    for (const model::ResourceAmount& ra : snapshot.pod_requests(rep)) {
      helps &= freeable[ra.resource.index()] >= ra.amount.value();
    }
    placement::Rejections ignored;
    helps &= placement::PassesStaticFilters(snapshot, rep, node, ignored);
    if (helps && rep_has_claims) {
      // Devices: with the candidates' claims given back, the gang's pod must get its claims
      // here (a trial allocation, undone).
      const internal::Mark mark = TakeMark();
      ReleaseClaimsOf(pods);
      dra::DraFailureInfo failure;
      helps = allocator->Allocate(overlay, rep, node, failure);
      RollbackTo(mark);
    }
    if (helps) candidates.insert(candidates.end(), pods.begin(), pods.end());
  }
  if (candidates.empty()) return false;
  // Smallest first: a pod's largest request relative to the largest node, devices its
  // claims hold counted against the most devices any node has.
  size_t most_devices = 0;
  for (NodeId node : all_nodes) {
    most_devices = std::max(most_devices, index->devices_for(node).size());
  }
  // A running KAI job of several pods moves whole (move_units): it is a candidate when all of
  // its pods are, and one of them is on a node that helps; then all of its pods go.
  std::vector<uint8_t> eligible;
  if (!move_units.empty()) {
    eligible.assign(snapshot.num_pods(), 0);
    for (NodeId node : scope) {
      for (PodId pod : on_node[node.index()]) eligible[pod.index()] = 1;
    }
    std::vector<uint8_t> taken(move_units.size(), 0);
    std::vector<PodId> kept;
    for (PodId pod : candidates) {
      const int32_t u = move_unit_of[pod.index()];
      if (u < 0) {
        kept.push_back(pod);
        continue;
      }
      if (taken[static_cast<size_t>(u)] != 0) continue;
      taken[static_cast<size_t>(u)] = 1;
      const std::vector<PodId>& unit = move_units[static_cast<size_t>(u)];
      if (std::all_of(unit.begin(), unit.end(), [&](PodId q) { return eligible[q.index()] != 0; })) {
        kept.insert(kept.end(), unit.begin(), unit.end());
      }
    }
    candidates = std::move(kept);
    if (candidates.empty()) return false;
  }
  std::vector<double> size(snapshot.num_pods(), 0);
  for (PodId pod : candidates) {
    double s = 0;
    for (const model::ResourceAmount& ra : snapshot.pod_requests(pod)) {
      const int64_t most = max_allocatable[ra.resource.index()];
      if (most > 0) {
        s = std::max(s, static_cast<double>(ra.amount.value()) / static_cast<double>(most));
      }
    }
    size_t devices = 0;
    for (uint32_t instance : catalog->instances_of(pod)) {
      devices += allocator->results(overlay, instance).size();
    }
    if (devices > 0) {
      s = std::max(s, most_devices > 0
                          ? static_cast<double>(devices) / static_cast<double>(most_devices)
                          : 1.0);
    }
    size[pod.index()] = s;
  }
  // Victims are units: a pod, or a job that moves whole (its pods in a row, taken together,
  // sized and ranked by its largest pod and highest priority).
  struct Unit {
    size_t begin = 0, end = 0;  // into candidates
    int32_t priority = 0;
    double size = 0;
  };
  std::vector<Unit> units;
  for (size_t i = 0; i < candidates.size();) {
    Unit unit{.begin = i, .end = i + 1};
    const int32_t u = move_units.empty() ? -1 : move_unit_of[candidates[i].index()];
    while (u >= 0 && unit.end < candidates.size() &&
           move_unit_of[candidates[unit.end].index()] == u) {
      ++unit.end;
    }
    unit.priority = snapshot.pod(candidates[i]).priority;
    for (size_t j = unit.begin; j < unit.end; ++j) {
      unit.priority = std::max(unit.priority, snapshot.pod(candidates[j]).priority);
      unit.size = std::max(unit.size, size[candidates[j].index()]);
    }
    units.push_back(unit);
    i = unit.end;
  }
  std::stable_sort(units.begin(), units.end(), [](const Unit& x, const Unit& y) {
    if (x.priority != y.priority) return x.priority < y.priority;
    return x.size < y.size;
  });
  if (units.size() > kMaxConsolidationVictims) units.resize(kMaxConsolidationVictims);
  {
    std::vector<PodId> ordered;
    for (Unit& unit : units) {
      const size_t begin = ordered.size();
      ordered.insert(ordered.end(), candidates.begin() + static_cast<std::ptrdiff_t>(unit.begin),
                     candidates.begin() + static_cast<std::ptrdiff_t>(unit.end));
      unit.begin = begin;
      unit.end = ordered.size();
    }
    candidates = std::move(ordered);
  }

  std::vector<NodeId> elsewhere;
  for (size_t u = 1; u <= units.size(); ++u) {
    const size_t k = units[u - 1].end;  // the victims: the first u units' pods
    const internal::Mark mark = TakeMark();
    // What this scenario may overwrite: the gang's and the victims' decisions.
    std::vector<Decision> saved;
    for (PodId p : gang.pods) saved.push_back(decisions[p.index()]);
    for (size_t i = 0; i < k; ++i) saved.push_back(decisions[candidates[i].index()]);
    // The victims leave; their claims give their devices back (as for preempted pods).
    for (size_t i = 0; i < k; ++i) {
      const std::span<const PodId> victim(&candidates[i], 1);
      ReleaseClaimsOf(victim);
      Unbind(victim);
    }
    std::string reason;
    std::optional<Decision> blocked;
    bool ok = PlaceGang(gang, scope, decisions, reason, blocked);
    // A queued gang's flavor tolerations are the gang's, not the moved pods'.
    std::vector<model::Toleration> gang_tolerations;
    gang_tolerations.swap(extra_tolerations);
    for (size_t i = 0; ok && i < k; ++i) {
      const PodId victim = candidates[i];
      const NodeId from = snapshot.pod(victim).node;
      Decision d;
      if (catalog->instances_of(victim).empty()) {
        d = DecideAmong(victim, all_nodes);
      } else {
        // A pod with claims stays when its node and devices are still free; otherwise its
        // controller makes it again elsewhere, with its claims allocated anew there.
        if (RestoreInPlace(*this, victim, from)) continue;
        elsewhere.clear();
        for (NodeId node : all_nodes) {
          if (node != from) elsewhere.push_back(node);
        }
        d = DecideAmong(victim, elsewhere);
      }
      if (d.outcome != Outcome::kPlaced) {
        ok = false;
        break;
      }
      if (d.node == from) continue;  // it could stay where it was
      d.outcome = Outcome::kMoved;
      d.message = fmt::format("moved from node {} to {} so that {} fits (consolidation)",
                              snapshot.node_name(from), snapshot.node_name(d.node), gang.label);
      decisions[victim.index()] = std::move(d);
    }
    gang_tolerations.swap(extra_tolerations);
    // A job that moves is evicted whole: a pod of it placed again on its own node restarts too.
    for (size_t v = 0; ok && v < u; ++v) {
      const Unit& unit = units[v];
      bool any = false;
      for (size_t j = unit.begin; j < unit.end; ++j) {
        any |= decisions[candidates[j].index()].outcome == Outcome::kMoved;
      }
      for (size_t j = unit.begin; any && unit.end - unit.begin > 1 && j < unit.end; ++j) {
        Decision& d = decisions[candidates[j].index()];
        if (d.outcome == Outcome::kMoved) continue;
        d.outcome = Outcome::kMoved;
        d.message = fmt::format(
            "evicted with its job and placed again on node {} so that {} fits (consolidation)",
            snapshot.node_name(d.node), gang.label);
      }
    }
    if (ok) {
      for (size_t i = 0; i < k; ++i) {
        const PodId victim = candidates[i];
        moved[victim.index()] = 1;
        if (log != nullptr) log->decisions.push_back(saved[gang.pods.size() + i]);
        if (decisions[victim.index()].outcome == Outcome::kMoved &&
            !catalog->instances_of(victim).empty()) {
          if (log != nullptr) {
            for (uint32_t instance : catalog->instances_of(victim)) {
              log->preallocated.emplace_back(instance, preallocated[instance]);
            }
          }
          RecordNewAllocation(*this, victim);
        }
      }
      return true;
    }
    RollbackTo(mark);
    size_t at = 0;
    for (PodId p : gang.pods) decisions[p.index()] = std::move(saved[at++]);
    for (size_t i = 0; i < k; ++i) decisions[candidates[i].index()] = std::move(saved[at++]);
  }
  return false;
}

void Engine::Impl::UndoMoves(internal::MoveLog& log, std::vector<Decision>& decisions) {
  // Newest first: a claim recorded twice (named twice by one pod) gets its oldest value.
  for (size_t i = log.preallocated.size(); i-- > 0;) {
    preallocated[log.preallocated[i].first] = std::move(log.preallocated[i].second);
  }
  for (Decision& d : log.decisions) {
    moved[d.pod.index()] = 0;
    decisions[d.pod.index()] = std::move(d);
  }
  log.clear();
}

bool Engine::Impl::PlaceGang(const GangPlan& gang, std::span<const NodeId> scope,
                             std::vector<Decision>& decisions, std::string& reason,
                             std::optional<Decision>& blocked) {
  GangRun run{gang};
  const internal::Mark mark = TakeMark();
  bool ok;
  if (!gang.exclusive_problem.empty()) {
    ok = false;
    run.why = gang.exclusive_problem;
  } else {
    GangPlacer placer(*this, run);
    ok = placer.PlaceGroup(0, scope);
  }
  const auto total = static_cast<int32_t>(gang.pods.size());
  if (ok && gang.min_total >= 0 && run.placed < gang.min_total) {
    ok = false;
    run.why = fmt::format("{} of its {} pods fit; minMember is {}", run.placed, total,
                          gang.min_total);
  }
  if (!ok) {
    RollbackTo(mark);
    reason = gang.label.empty() ? run.why : gang.label + ": " + run.why;
    blocked = std::move(run.blocked);
    return false;
  }
  for (Decision& d : run.log) {
    const PodId pod = d.pod;
    decisions[pod.index()] = std::move(d);
  }
  return true;
}

}  // namespace tessera::engine
