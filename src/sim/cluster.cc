#include "sim/cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "base/check.h"
#include "dra/invariants.h"

namespace tessera::sim {
namespace {

constexpr std::string_view kClassName = "gpu.tessera.dev";
constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kPodsPerNode = 1'000'000;  // the simulator does not limit pods per node

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A DNS-label-like name for the claim template of one GPU shape.
std::string TemplateName(const model::TraceTask& t, int32_t gpu_milli) {
  std::string name = fmt::format("gpu-{}x{}", t.num_gpu, gpu_milli);
  for (const std::string& m : t.gpu_models) name += "-" + Lower(m);
  return name;
}

std::string ModelSelector(const std::vector<std::string>& models) {
  std::string list;
  for (const std::string& m : models) {
    if (!list.empty()) list += ", ";
    list += "\"" + m + "\"";
  }
  return fmt::format("device.attributes[\"{}\"].model in [{}]", kGpuDriver, list);
}

}  // namespace

const std::string& World::node_name(size_t n) const {
  return snapshot_->node_name(model::NodeId::FromIndex(n));
}

Result<std::unique_ptr<World>> World::Build(std::span<const model::TraceNode> nodes,
                                            std::span<const model::TraceTask> tasks,
                                            WorldOptions options) {
  std::unique_ptr<World> w(new World());
  std::map<std::string, int32_t> model_ids;
  model::SnapshotBuilder b;
  for (const model::TraceNode& n : nodes) {
    if (n.gpus > kMaxGpusPerNode) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("node {}: {} GPUs; the simulator models at most {} per node", n.name,
                               n.gpus, kMaxGpusPerNode));
    }
    model::NodeSpec spec{.name = n.name,
                         .labels = n.labels,
                         .allocatable = {{"cpu", Quantity(n.cpu_milli)},
                                         {"memory", Quantity(n.memory_mib * kMiB)},
                                         {"pods", Quantity(kPodsPerNode)}}};
    b.AddNode(std::move(spec));
    if (n.gpus == 0) continue;
    if (!model_ids.contains(n.gpu_model)) {
      if (model_ids.size() >= kMaxGpuModels) {
        return Error(ErrorCode::kInvalidArgument,
                     fmt::format("node {}: more than {} GPU models", n.name, kMaxGpuModels));
      }
      const auto id = static_cast<int32_t>(model_ids.size());
      model_ids.emplace(n.gpu_model, id);
      w->model_names_.push_back(n.gpu_model);
    }
    model::ResourceSliceSpec slice{.name = n.name + "-gpus",
                                   .driver = std::string(kGpuDriver),
                                   .pool = n.name,
                                   .node_name = n.name};
    for (int32_t g = 0; g < n.gpus; ++g) {
      model::DeviceSpec d{.name = fmt::format("gpu-{}", g),
                          .attributes = {{"model", n.gpu_model}},
                          .capacity = {{"milli", Quantity(kGpuMilli)}},
                          .allow_multiple_allocations = true};
      slice.devices.push_back(std::move(d));
    }
    b.AddResourceSlice(std::move(slice));
    w->gpu_capacity_milli_ += int64_t{n.gpus} * kGpuMilli;
  }
  b.AddDeviceClass({.name = std::string(kClassName),
                    .selectors = {fmt::format("device.driver == \"{}\"", kGpuDriver)}});

  // One claim template per GPU shape; equal requests share a shape id.
  std::map<std::string, bool> templates;
  std::map<std::tuple<int64_t, int64_t, int32_t, int32_t, std::vector<std::string>>, uint32_t>
      shapes;
  w->tasks_.reserve(tasks.size());
  for (const model::TraceTask& t : tasks) {
    Task task{.cpu_milli = t.cpu_milli,
              .memory_mib = t.memory_mib,
              .num_gpu = t.num_gpu,
              .gpu_milli = t.gpu_milli,
              .demand_milli = t.num_gpu * t.gpu_milli,
              .constrained = !t.gpu_models.empty()};
    if (options.whole_gpu && task.num_gpu > 0) task.gpu_milli = kGpuMilli;
    for (const std::string& m : t.gpu_models) {
      auto it = model_ids.find(m);
      if (it != model_ids.end()) task.model_mask |= uint64_t{1} << it->second;
    }
    auto key = std::make_tuple(t.cpu_milli, t.memory_mib, t.num_gpu, task.gpu_milli, t.gpu_models);
    task.shape = shapes.emplace(std::move(key), static_cast<uint32_t>(shapes.size())).first->second;

    model::PodSpec pod{
        .name = t.name,
        .requests = {{"cpu", Quantity(t.cpu_milli)}, {"memory", Quantity(t.memory_mib * kMiB)}}};
    if (t.num_gpu > 0) {
      const std::string name = TemplateName(t, task.gpu_milli);
      if (templates.emplace(name, true).second) {
        model::DeviceRequestSpec req{
            .name = "gpu", .device_class_name = std::string(kClassName), .count = t.num_gpu};
        if (!t.gpu_models.empty()) req.selectors.push_back(ModelSelector(t.gpu_models));
        // A whole GPU asks for no capacity and so consumes all of it.
        if (task.gpu_milli < kGpuMilli)
          req.capacity_requests = {{"milli", Quantity(task.gpu_milli)}};
        b.AddResourceClaim({.name = name, .is_template = true, .requests = {std::move(req)}});
      }
      pod.claims.push_back({.name = "gpu", .resource_claim_template_name = name});
    }
    b.AddPod(std::move(pod));
    w->tasks_.push_back(task);
  }

  TESSERA_ASSIGN_OR_RETURN(model::Snapshot snapshot, std::move(b).Build());
  w->snapshot_ = std::make_unique<model::Snapshot>(std::move(snapshot));
  const model::Snapshot& s = *w->snapshot_;
  w->selectors_ = std::make_unique<dra::cel::SelectorCache>(s);
  std::vector<std::string> warnings;
  TESSERA_ASSIGN_OR_RETURN(dra::DeviceIndex index,
                           dra::DeviceIndex::Build(s, *w->selectors_, warnings));
  w->index_ = std::make_unique<dra::DeviceIndex>(std::move(index));
  TESSERA_ASSIGN_OR_RETURN(dra::ClaimCatalog catalog,
                           dra::ClaimCatalog::Build(s, *w->index_, *w->selectors_));
  w->catalog_ = std::make_unique<dra::ClaimCatalog>(std::move(catalog));
  w->allocator_ = std::make_unique<dra::Allocator>(*w->index_, *w->catalog_, *w->selectors_);
  w->overlay_ = std::make_unique<model::Overlay>(s);
  w->overlay_->ResizeLedger(w->allocator_->ledger_size());

  // Pods were added in task order; the snapshot sorts nothing but nodes, so find each by name.
  for (size_t i = 0; i < tasks.size(); ++i) {
    auto pod = s.FindPod("default", tasks[i].name);
    TESSERA_CHECK(pod.has_value()) << "pod " << tasks[i].name;
    w->tasks_[i].pod = *pod;
  }

  const size_t num_nodes = s.num_nodes();
  w->nodes_.resize(num_nodes);
  w->devices_.resize(num_nodes);
  w->capacity_slots_.resize(num_nodes);
  std::map<std::string, const model::TraceNode*> by_name;
  for (const model::TraceNode& n : nodes) by_name.emplace(n.name, &n);
  const model::DeviceTable& dt = s.devices();
  for (size_t n = 0; n < num_nodes; ++n) {
    const model::TraceNode& tn = *by_name.at(w->node_name(n));
    NodeState& st = w->nodes_[n];
    st.cpu_capacity = tn.cpu_milli;
    st.memory_capacity = tn.memory_mib;
    st.gpus = tn.gpus;
    st.model = tn.gpus > 0 ? model_ids.at(tn.gpu_model) : -1;
    auto devices = w->index_->devices_for(model::NodeId::FromIndex(n));
    TESSERA_CHECK(devices.size() == static_cast<size_t>(tn.gpus)) << tn.name;
    for (size_t g = 0; g < devices.size(); ++g) {
      w->devices_[n][g] = devices[g];
      w->capacity_slots_[n][g] =
          static_cast<uint32_t>(w->index_->capacity_slot(dt.capacities[devices[g].index()].begin));
    }
    w->Sync(n);
  }
  w->task_node_.assign(tasks.size(), -1);
  w->held_begin_.assign(tasks.size(), 0);
  w->held_end_.assign(tasks.size(), 0);
  return w;
}

void World::Sync(size_t n) {
  NodeState& st = nodes_[n];
  const model::NodeId node = model::NodeId::FromIndex(n);
  st.cpu_free = st.cpu_capacity - overlay_->used(node, model::kCpu).value();
  st.memory_free = st.memory_capacity - overlay_->used(node, model::kMemory).value() / kMiB;
  st.max_gpu_free = 0;
  st.full_gpus = 0;
  st.gpu_free_total = 0;
  for (int32_t g = 0; g < st.gpus; ++g) {
    const auto free = static_cast<int32_t>(kGpuMilli - overlay_->ledger(capacity_slots_[n][g]));
    st.gpu_free[g] = free;
    st.max_gpu_free = std::max(st.max_gpu_free, free);
    st.full_gpus += free == kGpuMilli ? 1 : 0;
    st.gpu_free_total += free;
  }
  ++st.version;
}

void World::Place(size_t t, size_t n, int gpu) {
  const Task& task = tasks_[t];
  TESSERA_CHECK(task_node_[t] < 0) << "task " << t << " is already placed";
  TESSERA_CHECK(nodes_[n].Fits(task)) << "task " << t << " does not fit node " << node_name(n);
  model::Overlay& overlay = *overlay_;
  const model::Overlay::Mark mark = overlay.mark();
  const model::NodeId node = model::NodeId::FromIndex(n);
  overlay.Reserve(task.pod, node);
  if (task.num_gpu > 0) {
    if (gpu >= 0) {
      TESSERA_CHECK(gpu < nodes_[n].gpus) << "gpu " << gpu;
      allocator_->Prefer({&devices_[n][static_cast<size_t>(gpu)], 1});
    }
    dra::DraFailureInfo failure;
    const bool ok = allocator_->Allocate(overlay, task.pod, node, failure);
    TESSERA_CHECK(ok) << "the DRA allocator found no devices for task " << t << " on node "
                      << node_name(n) << " (failure " << static_cast<int>(failure.kind)
                      << ") although the node view said it fits";
  }
  held_begin_[t] = held_.size();
  ledger_scratch_.clear();
  overlay.LedgerChangesSince(mark, ledger_scratch_);
  for (const auto& change : ledger_scratch_) {
    if (change.first != allocator_->append_only_slot()) held_.push_back(change);
  }
  held_end_[t] = held_.size();
  overlay.Commit();
  task_node_[t] = static_cast<int64_t>(n);
  Sync(n);
}

void World::Remove(size_t t) {
  const int64_t n = task_node_[t];
  TESSERA_CHECK(n >= 0) << "task " << t << " is not placed";
  model::Overlay& overlay = *overlay_;
  overlay.Unreserve(tasks_[t].pod);
  for (size_t i = held_begin_[t]; i < held_end_[t]; ++i) {
    overlay.AddToLedger(held_[i].first, -held_[i].second);
  }
  overlay.Commit();
  task_node_[t] = -1;
  Sync(static_cast<size_t>(n));
}

std::string World::Check(size_t n, bool full) const {
  const NodeState& st = nodes_[n];
  std::span<const model::DeviceId> devices(devices_[n].data(), static_cast<size_t>(st.gpus));
  std::string problem = dra::CheckDevices(*allocator_, *overlay_, devices);
  if (problem.empty()) {
    const model::NodeId node = model::NodeId::FromIndex(n);
    problem = dra::CheckNodes(*overlay_, {&node, 1});
  }
  if (problem.empty() && (st.cpu_free < 0 || st.memory_free < 0)) {
    problem = fmt::format("node {}: negative free CPU or memory in the view", node_name(n));
  }
  for (int32_t g = 0; problem.empty() && g < st.gpus; ++g) {
    const int64_t ledger = overlay_->ledger(capacity_slots_[n][static_cast<size_t>(g)]);
    if (st.gpu_free[static_cast<size_t>(g)] != kGpuMilli - ledger) {
      problem = fmt::format("node {}: GPU {} view says {} free, the ledger {}", node_name(n), g,
                            st.gpu_free[static_cast<size_t>(g)], kGpuMilli - ledger);
    }
  }
  if (problem.empty() && full) problem = dra::CheckAll(*allocator_, *overlay_);
  return problem;
}

}  // namespace tessera::sim
