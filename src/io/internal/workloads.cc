#include "io/internal/workloads.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "io/internal/names.h"

namespace tessera::io::internal {
namespace {

constexpr char kRequiredTopology[] = "kueue.x-k8s.io/podset-required-topology";
constexpr char kPreferredTopology[] = "kueue.x-k8s.io/podset-preferred-topology";
constexpr char kUnconstrainedTopology[] = "kueue.x-k8s.io/podset-unconstrained-topology";
constexpr char kSliceRequiredTopology[] = "kueue.x-k8s.io/podset-slice-required-topology";
constexpr char kSliceSize[] = "kueue.x-k8s.io/podset-slice-size";
constexpr char kSliceConstraints[] =
    "kueue.x-k8s.io/podset-slice-required-topology-constraints";
constexpr size_t kMaxSliceLayers = 3;  // Kueue's webhook
constexpr char kPodSetGroupName[] = "kueue.x-k8s.io/podset-group-name";

constexpr char kJobNameLabel[] = "job-name";
constexpr char kBatchJobNameLabel[] = "batch.kubernetes.io/job-name";
constexpr char kCompletionIndex[] = "batch.kubernetes.io/job-completion-index";
constexpr char kJobSetNameLabel[] = "jobset.sigs.k8s.io/jobset-name";
constexpr char kReplicatedJobNameLabel[] = "jobset.sigs.k8s.io/replicatedjob-name";
constexpr char kJobIndexLabel[] = "jobset.sigs.k8s.io/job-index";
constexpr char kJobGlobalIndexLabel[] = "jobset.sigs.k8s.io/job-global-index";
constexpr char kReplicasLabel[] = "jobset.sigs.k8s.io/replicatedjob-replicas";

Status FailIf(const Field& at, std::string message) {
  if (message.empty()) return OkStatus();
  return at.Fail(std::move(message));
}

Result<int32_t> GetCount(const Field& parent, std::string_view key, int32_t fallback) {
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> value, parent.GetInt(key));
  if (!value) return fallback;
  if (*value < 0) {
    return parent.Get(key).Fail(fmt::format("must not be negative, got {}", *value));
  }
  if (*value > std::numeric_limits<int32_t>::max()) {
    return parent.Get(key).Fail(fmt::format("must fit in 32 bits, got {}", *value));
  }
  return static_cast<int32_t>(*value);
}

// Sets `key` in `labels`, replacing an existing value (the controller's labels win over the
// template's, as in Kubernetes).
void SetLabel(model::Labels& labels, std::string_view key, std::string value) {
  for (auto& [k, v] : labels) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  labels.emplace_back(std::string(key), std::move(value));
}

// spec of a Job (for a JobSet: spec.replicatedJobs[i].template.spec).
Result<PodSetIntake> ParseJobSpec(const Field& spec, const std::string& namespace_name,
                                  bool default_indexed) {
  PodSetIntake out;
  TESSERA_ASSIGN_OR_RETURN(int32_t parallelism, GetCount(spec, "parallelism", 1));
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> completions_set, spec.GetInt("completions"));
  TESSERA_ASSIGN_OR_RETURN(int32_t completions, GetCount(spec, "completions", 0));
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> mode, spec.GetString("completionMode"));
  if (!mode) {
    out.indexed = default_indexed;
  } else if (*mode == "Indexed") {
    out.indexed = true;
  } else if (*mode == "NonIndexed") {
    out.indexed = false;
  } else {
    return spec.Get("completionMode")
        .Fail(fmt::format("{} is not a valid completion mode: must be NonIndexed or Indexed",
                          Quote(*mode)));
  }
  out.pods_per_job = completions_set ? std::min(parallelism, completions) : parallelism;
  TESSERA_ASSIGN_OR_RETURN(out.tmpl, ParsePodTemplate(spec.Get("template"), namespace_name));
  TESSERA_RETURN_IF_ERROR(ParseTopologyAnnotations(
      Field(out.tmpl.annotations, JoinPath(out.tmpl.path, "metadata.annotations")), out.topology));
  return out;
}

// The field to blame when a Job's pod count is too large: completions when it caps the
// count, else parallelism.
Field CountField(const Field& job_spec) {
  Field completions = job_spec.Get("completions");
  Field parallelism = job_spec.Get("parallelism");
  if (!completions.present()) return parallelism;
  auto c = completions.AsInt();
  auto p = parallelism.AsInt();
  if (c.ok() && (!parallelism.present() || (p.ok() && *c < *p))) return completions;
  return parallelism;
}

Status CheckTotal(const Field& at, int64_t num_pods, int64_t pods_before) {
  if (pods_before + num_pods <= kMaxExpandedPods) return OkStatus();
  return at.Fail(
      fmt::format("the Jobs and JobSets of the input would have {} pods in all; at "
                  "most {} are allowed",
                  pods_before + num_pods, kMaxExpandedPods));
}

Result<WorkloadIntake> NewIntake(const Field& object, ObjectMeta meta, WorkloadKind kind) {
  WorkloadIntake w;
  w.kind = kind;
  w.namespace_name = std::move(meta.namespace_name);
  w.name = std::move(meta.name);
  w.generate_name = std::move(meta.generate_name);
  w.creation_unix_seconds = meta.creation_unix_seconds;
  w.queue = ReadQueueLabels(meta.labels);
  Field metadata = object.Get("metadata");
  if (!w.name.empty()) {
    // The name becomes the value of the job-name (jobset-name) label of every pod.
    TESSERA_RETURN_IF_ERROR(FailIf(metadata.Get("name"), CheckLabelValue(w.name)));
  }
  TESSERA_ASSIGN_OR_RETURN(auto created, metadata.GetString("creationTimestamp"));
  if (created) w.creation_timestamp = std::move(*created);
  TESSERA_ASSIGN_OR_RETURN(auto uid, metadata.GetString("uid"));
  if (uid) w.uid = std::move(*uid);
  return w;
}

// Adds the labels the Job controller puts on pod `index` of Job `job`.
void AddJobLabels(model::Labels& labels, const std::string& job, int32_t index) {
  SetLabel(labels, kBatchJobNameLabel, job);
  SetLabel(labels, kJobNameLabel, job);
  SetLabel(labels, kCompletionIndex, std::to_string(index));
}

// Makes `node` the string `value`, tagged as quoted so that output keeps "0" a string.
void SetString(YAML::Node node, const std::string& value) {
  node = value;
  node.SetTag("!");
}

}  // namespace

Result<PodTemplateIntake> ParsePodTemplate(const Field& tmpl, const std::string& namespace_name) {
  if (!tmpl.present()) return tmpl.Fail("required field is missing");
  if (!tmpl.is_map()) return tmpl.WrongType("a mapping");
  PodTemplateIntake out;
  out.path = tmpl.path();
  TESSERA_ASSIGN_OR_RETURN(Field metadata, tmpl.GetMap("metadata"));
  TESSERA_ASSIGN_OR_RETURN(Field labels, metadata.GetMap("labels"));
  TESSERA_ASSIGN_OR_RETURN(out.labels, labels.StringMap());
  for (const auto& [key, value] : out.labels) {
    TESSERA_RETURN_IF_ERROR(FailIf(labels.Get(key), CheckQualifiedName(key)));
    TESSERA_RETURN_IF_ERROR(FailIf(labels.Get(key), CheckLabelValue(value)));
  }
  TESSERA_ASSIGN_OR_RETURN(Field annotations, metadata.GetMap("annotations"));
  TESSERA_RETURN_IF_ERROR(annotations.StringMap().status());
  if (annotations.present()) out.annotations = annotations.node();
  ObjectMeta meta;
  meta.namespace_name = namespace_name;
  meta.labels = out.labels;
  // ParsePod reads spec (and status, absent here) below the template, so error paths come
  // out as "spec.template.spec.containers[0]...".
  TESSERA_ASSIGN_OR_RETURN(out.pod, ParsePod(tmpl, std::move(meta)));
  out.spec = tmpl.Get("spec").node();
  return out;
}

QueueLabels ReadQueueLabels(const model::Labels& labels) {
  QueueLabels out;
  for (const auto& [key, value] : labels) {
    if (key == kQueueNameLabel) out.queue_name = value;
    if (key == kKaiQueueLabel) out.kai_queue = value;
    if (key == kWorkloadPriorityClassLabel) out.workload_priority_class = value;
  }
  return out;
}

namespace {

// A slice size as Kueue reads it: a JSON number or a string of decimal digits, 1 to 2^31-1.
std::optional<int32_t> SliceSizeOf(const nlohmann::json& size) {
  int64_t value = 0;
  if (size.is_number_integer()) {
    value = size.get<int64_t>();
  } else if (size.is_string()) {
    const std::string& text = size.get_ref<const std::string&>();
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return {};
  } else {
    return {};
  }
  if (value < 1 || value > std::numeric_limits<int32_t>::max()) return {};
  return static_cast<int32_t>(value);
}

// kueue.x-k8s.io/podset-slice-required-topology-constraints: a JSON array of 1 to 3 layers
// {"topology": <node label key>, "size": <pods>}, outermost first, as Kueue's webhook checks
// it: label keys, sizes from 1, no level twice, each size dividing the one before. Whether
// each level is finer than the one before depends on the Topology; the engine checks that.
Result<std::vector<model::SliceLayerSpec>> ParseSliceConstraints(const Field& at,
                                                                 const std::string& text) {
  constexpr char kShape[] =
      "a JSON array of 1 to 3 layers, outermost first, each {\"topology\": <node label key>, "
      "\"size\": <pods>}";
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return at.Fail(fmt::format("must be {}; {} is not valid JSON", kShape, Quote(text)));
  }
  if (!doc.is_array()) {
    return at.Fail(fmt::format("must be {}, got a JSON {}", kShape, doc.type_name()));
  }
  if (doc.empty() || doc.size() > kMaxSliceLayers) {
    return at.Fail(fmt::format("must list 1 to {} layers, got {}", kMaxSliceLayers, doc.size()));
  }
  std::vector<model::SliceLayerSpec> layers;
  for (size_t i = 0; i < doc.size(); ++i) {
    const nlohmann::json& layer = doc[i];
    if (!layer.is_object()) {
      return at.Fail(fmt::format("layer [{}] must be an object {{\"topology\": <node label "
                                 "key>, \"size\": <pods>}}, got a JSON {}",
                                 i, layer.type_name()));
    }
    for (const auto& item : layer.items()) {
      if (item.key() != "topology" && item.key() != "size") {
        return at.Fail(fmt::format("layer [{}] has the unknown field {} (only \"topology\" and "
                                   "\"size\" are read)",
                                   i, Quote(item.key())));
      }
    }
    const auto topology = layer.find("topology");
    if (topology == layer.end() || !topology->is_string() ||
        topology->get_ref<const std::string&>().empty()) {
      return at.Fail(fmt::format("layer [{}] needs \"topology\": a node label key", i));
    }
    const std::string& level = topology->get_ref<const std::string&>();
    if (const std::string why = CheckQualifiedName(level); !why.empty()) {
      return at.Fail(fmt::format("layer [{}] topology: {}", i, why));
    }
    const auto size = layer.find("size");
    if (size == layer.end()) return at.Fail(fmt::format("layer [{}] needs \"size\"", i));
    const std::optional<int32_t> pods = SliceSizeOf(*size);
    if (!pods) {
      const std::string got =
          size->is_string()      ? Quote(size->get_ref<const std::string&>())
          : size->is_primitive() ? size->dump()
                                 : fmt::format("a JSON {}", size->type_name());
      return at.Fail(fmt::format("layer [{}] size must be a positive whole number of pods, got {}",
                                 i, got));
    }
    for (size_t j = 0; j < layers.size(); ++j) {
      if (layers[j].level == level) {
        return at.Fail(fmt::format("layer [{}] repeats the topology {} of layer [{}]", i,
                                   Quote(level), j));
      }
    }
    if (!layers.empty() && layers.back().size % *pods != 0) {
      return at.Fail(fmt::format("layer [{}] size {} does not divide the size {} of layer [{}]",
                                 i, *pods, layers.back().size, i - 1));
    }
    layers.push_back({.level = level, .size = *pods});
  }
  return layers;
}

}  // namespace

Status ParseTopologyAnnotations(const Field& annotations, model::PodSetSpec& pod_set) {
  TESSERA_RETURN_IF_ERROR(annotations.ExpectMap());
  TESSERA_ASSIGN_OR_RETURN(auto entries, annotations.StringMap());
  const char* topology_key = nullptr;  // the first of required/preferred/unconstrained
  std::string slice_level;   // podset-slice-required-topology
  int32_t slice_size = 0;    // podset-slice-size
  bool has_constraints = false;  // podset-slice-required-topology-constraints
  for (const auto& [key, value] : entries) {
    const Field at = annotations.Get(key);
    std::string* level = nullptr;
    if (key == kRequiredTopology) level = &pod_set.required_topology;
    if (key == kPreferredTopology) level = &pod_set.preferred_topology;
    if (key == kSliceRequiredTopology) level = &slice_level;
    if (level != nullptr) {
      if (value.empty()) return at.Fail("must name a topology level (a node label key)");
      TESSERA_RETURN_IF_ERROR(FailIf(at, CheckQualifiedName(value)));
      *level = value;
    } else if (key == kUnconstrainedTopology) {
      if (value != "true" && value != "false") {
        return at.Fail(fmt::format("must be \"true\" or \"false\", got {}", Quote(value)));
      }
      pod_set.unconstrained_topology = value == "true";
    } else if (key == kSliceSize) {
      int64_t size = 0;
      const bool digits =
          !value.empty() && value.size() <= 9 &&
          std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (digits) size = std::stoll(value);
      if (!digits || size < 1) {
        return at.Fail(fmt::format("must be a positive integer, got {}", Quote(value)));
      }
      slice_size = static_cast<int32_t>(size);
    } else if (key == kSliceConstraints) {
      TESSERA_ASSIGN_OR_RETURN(pod_set.slices, ParseSliceConstraints(at, value));
      has_constraints = true;
      continue;
    } else if (key == kPodSetGroupName) {
      if (value.empty()) return at.Fail("must name a group of PodSets");
      TESSERA_RETURN_IF_ERROR(FailIf(at, CheckLabelValue(value)));
      pod_set.group_name = value;
      continue;
    } else {
      continue;
    }
    if (key == kRequiredTopology || key == kPreferredTopology ||
        (key == kUnconstrainedTopology && pod_set.unconstrained_topology)) {
      if (topology_key != nullptr) {
        return at.Fail(fmt::format("must not be set together with {}", topology_key));
      }
      topology_key = key == kRequiredTopology    ? kRequiredTopology
                     : key == kPreferredTopology ? kPreferredTopology
                                                 : kUnconstrainedTopology;
    }
  }
  if (has_constraints) {
    // Kueue's webhook: the multi-layer annotation replaces the single-layer pair, and (unless
    // its TASGroupedPodSetSlicing gate is on) a PodSet group cannot be sliced by it.
    for (const char* single : {kSliceRequiredTopology, kSliceSize}) {
      if (annotations.Has(single)) {
        return annotations.Get(kSliceConstraints)
            .Fail(fmt::format("must not be set together with {}", single));
      }
    }
    if (!pod_set.group_name.empty()) {
      return annotations.Get(kPodSetGroupName)
          .Fail(fmt::format("must not be set together with {} (Kueue allows it only with the "
                            "TASGroupedPodSetSlicing feature gate)",
                            kSliceConstraints));
    }
  }
  if (slice_size > 0 && slice_level.empty()) {
    return annotations.Get(kSliceSize)
        .Fail(fmt::format("must not be set without {}", kSliceRequiredTopology));
  }
  if (!slice_level.empty() && slice_size == 0) {
    return annotations.Get(kSliceRequiredTopology)
        .Fail(fmt::format("needs {} (the number of pods per slice)", kSliceSize));
  }
  if (!slice_level.empty()) pod_set.slices = {{.level = slice_level, .size = slice_size}};
  if (!pod_set.group_name.empty() && pod_set.required_topology.empty() &&
      pod_set.preferred_topology.empty()) {
    return annotations.Get(kPodSetGroupName)
        .Fail(fmt::format("needs {} or {}: a group of PodSets is placed in one domain of that "
                          "level",
                          kRequiredTopology, kPreferredTopology));
  }
  return OkStatus();
}

Status CheckPodSetGroups(std::span<const PodSetIntake> pod_sets) {
  auto at = [&](size_t i) {
    return Field(pod_sets[i].tmpl.annotations,
                 JoinPath(pod_sets[i].tmpl.path, "metadata.annotations"))
        .Get(kPodSetGroupName);
  };
  auto level = [](const model::PodSetSpec& t) {
    return t.required_topology.empty()
               ? fmt::format("{}: {}", kPreferredTopology, t.preferred_topology)
               : fmt::format("{}: {}", kRequiredTopology, t.required_topology);
  };
  for (size_t i = 0; i < pod_sets.size(); ++i) {
    const model::PodSetSpec& t = pod_sets[i].topology;
    if (t.group_name.empty()) continue;
    size_t members = 0;
    for (size_t j = 0; j < pod_sets.size(); ++j) {
      const model::PodSetSpec& u = pod_sets[j].topology;
      if (u.group_name != t.group_name) continue;
      ++members;
      if (j > i && (u.required_topology != t.required_topology ||
                    u.preferred_topology != t.preferred_topology)) {
        return at(j).Fail(fmt::format(
            "PodSets {} and {} of group {} must ask for the same topology ({} vs {})",
            pod_sets[i].name, pod_sets[j].name, Quote(t.group_name), level(t), level(u)));
      }
    }
    if (members < 2) {
      return at(i).Fail(fmt::format(
          "group {} has only PodSet {}; a group of PodSets needs at least 2 (such as a "
          "leader and its workers)",
          Quote(t.group_name), pod_sets[i].name));
    }
  }
  return OkStatus();
}

namespace {
// A queued Job's kueue.x-k8s.io/job-min-parallelism: a whole number from 1 to one below the
// Job's pod count, as Kueue's Job webhook requires (it parses with strconv.Atoi: an optional
// sign and decimal digits).
Result<std::optional<int32_t>> ReadMinParallelism(const Field& job, int32_t pods) {
  TESSERA_ASSIGN_OR_RETURN(Field annotations, job.Get("metadata").GetMap("annotations"));
  if (!annotations.present()) return std::optional<int32_t>();
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> text,
                           annotations.GetString(kJobMinParallelismAnnotation));
  if (!text) return std::optional<int32_t>();
  const Field at = annotations.Get(kJobMinParallelismAnnotation);
  std::string_view digits = *text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return at.Fail(fmt::format("must be a whole number of pods, got {}", Quote(*text)));
  }
  if (value < 1 || value >= pods) {
    return at.Fail(pods > 1 ? fmt::format("must be between 1 and {} (fewer than the Job's {} "
                                          "pods), got {}",
                                          pods - 1, pods, value)
                            : fmt::format("the Job has {} pod(s): partial admission needs at "
                                          "least 2 (parallelism and completions), got {}",
                                          pods, value));
  }
  return std::optional<int32_t>(static_cast<int32_t>(value));
}
}  // namespace

namespace {
// The multi-layer slice annotation of a PodSet of `pods` pods: its outermost size must divide
// them (Kueue's webhook wants it no larger; a remainder could not be placed in whole slices).
Status CheckSliceCount(const PodSetIntake& ps, int64_t pods) {
  const Field at = Field(ps.tmpl.annotations, JoinPath(ps.tmpl.path, "metadata.annotations"))
                       .Get(kSliceConstraints);
  if (!at.present() || ps.topology.slices.empty()) return OkStatus();
  const int32_t size = ps.topology.slices.front().size;
  if (pods % size == 0) return OkStatus();
  return at.Fail(fmt::format(
      "layer [0] size {} does not divide the PodSet's {} pods{}", size, pods,
      ps.replicas != 1 ? fmt::format(" ({} Jobs x {} pods)", ps.replicas, ps.pods_per_job) : ""));
}
}  // namespace

Result<WorkloadIntake> ParseJob(const Field& object, ObjectMeta meta, int64_t pods_before) {
  const std::string namespace_name = meta.namespace_name;
  TESSERA_ASSIGN_OR_RETURN(WorkloadIntake w,
                           NewIntake(object, std::move(meta), WorkloadKind::kJob));
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  if (!spec.present()) return spec.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(PodSetIntake ps, ParseJobSpec(spec, namespace_name, false));
  if (ps.indexed && !spec.Has("completions")) {
    return spec.Get("completions").Fail("required when completionMode is Indexed");
  }
  ps.name = "main";
  ps.path = "spec";
  w.num_pods = ps.pods_per_job;
  if (w.num_pods > kMaxPodsPerWorkload) {
    return CountField(spec).Fail(
        fmt::format("the Job would have {} pods; at most {} are allowed per workload", w.num_pods,
                    kMaxPodsPerWorkload));
  }
  TESSERA_RETURN_IF_ERROR(CheckTotal(CountField(spec), w.num_pods, pods_before));
  if (!w.queue.queue_name.empty()) {  // Kueue's Job integration; KAI has no such annotation
    TESSERA_ASSIGN_OR_RETURN(ps.min_count, ReadMinParallelism(object, ps.pods_per_job));
  }
  TESSERA_RETURN_IF_ERROR(CheckSliceCount(ps, ps.pods_per_job));
  w.pod_sets.push_back(std::move(ps));
  TESSERA_RETURN_IF_ERROR(CheckPodSetGroups(w.pod_sets));
  return w;
}

Result<WorkloadIntake> ParseJobSet(const Field& object, ObjectMeta meta, int64_t pods_before) {
  const std::string namespace_name = meta.namespace_name;
  TESSERA_ASSIGN_OR_RETURN(WorkloadIntake w,
                           NewIntake(object, std::move(meta), WorkloadKind::kJobSet));
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  if (!spec.present()) return spec.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(Field list, spec.GetList("replicatedJobs"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  if (items.empty()) return list.Fail("must list at least one replicatedJob");
  std::set<std::string, std::less<>> names;
  for (const Field& item : items) {
    if (!item.is_map()) return item.WrongType("a mapping");
    TESSERA_ASSIGN_OR_RETURN(std::string name, item.GetRequiredString("name"));
    TESSERA_RETURN_IF_ERROR(FailIf(item.Get("name"), CheckDnsLabel(name)));
    if (!names.insert(name).second) {
      return item.Get("name").Fail(fmt::format("duplicate replicatedJob name {}", Quote(name)));
    }
    TESSERA_ASSIGN_OR_RETURN(int32_t replicas, GetCount(item, "replicas", 1));
    TESSERA_ASSIGN_OR_RETURN(Field job_template, item.GetMap("template"));
    if (!job_template.present()) return job_template.Fail("required field is missing");
    TESSERA_ASSIGN_OR_RETURN(Field job_spec, job_template.GetMap("spec"));
    if (!job_spec.present()) return job_spec.Fail("required field is missing");
    // JobSet makes its Jobs Indexed unless told otherwise.
    TESSERA_ASSIGN_OR_RETURN(PodSetIntake ps, ParseJobSpec(job_spec, namespace_name, true));
    ps.name = std::move(name);
    ps.path = item.path();
    ps.replicas = replicas;
    const int64_t pods = int64_t{replicas} * ps.pods_per_job;  // < 2^62: no overflow
    const int64_t before = w.num_pods;
    w.num_pods += pods;
    if (w.num_pods > kMaxPodsPerWorkload) {
      const Field at = replicas > 1 ? item.Get("replicas") : CountField(job_spec);
      return at.Fail(fmt::format(
          "the JobSet would have {} pods ({}{} replicas x {} pods per Job); at most {} are "
          "allowed per workload",
          w.num_pods, before > 0 ? fmt::format("{} in earlier replicatedJobs + ", before) : "",
          replicas, ps.pods_per_job, kMaxPodsPerWorkload));
    }
    TESSERA_RETURN_IF_ERROR(CheckTotal(item, w.num_pods, pods_before));
    TESSERA_RETURN_IF_ERROR(CheckSliceCount(ps, pods));
    w.pod_sets.push_back(std::move(ps));
  }
  TESSERA_RETURN_IF_ERROR(CheckPodSetGroups(w.pod_sets));
  return w;
}

Result<std::vector<model::PodSetSpec>> ExpandWorkload(
    const WorkloadIntake& w, std::span<const int32_t> pod_priorities, const std::string& source,
    const std::function<std::vector<ExistingJobPod>(const std::string&)>& existing,
    const std::function<void(size_t, model::PodSpec, YAML::Node)>& add_pod) {
  const bool jobset = w.kind == WorkloadKind::kJobSet;
  std::vector<model::PodSetSpec> out;
  int32_t global_index = 0;
  YAML::Node pool(YAML::NodeType::Sequence);  // owns the nodes of every pod object
  size_t pool_size = 0;
  for (size_t s = 0; s < w.pod_sets.size(); ++s) {
    const PodSetIntake& ps = w.pod_sets[s];
    if (jobset && ps.replicas > 0) {
      // Every pod carries its Job's name in the job-name label, so a Job name must fit a
      // label value (JobSet's webhook checks the same).
      const size_t longest =
          w.name.size() + ps.name.size() + 2 + std::to_string(ps.replicas - 1).size();
      if (longest > 63) {
        return InvalidArgument(
                   fmt::format("Job names \"<jobset>-{}-<index>\" would be up to {} characters "
                               "long; they must fit a label value (at most 63)",
                               ps.name, longest))
            .UnderField(ps.path + ".name");
      }
    }
    model::PodSetSpec set = ps.topology;
    set.name = ps.name;
    set.count = static_cast<int32_t>(int64_t{ps.replicas} * ps.pods_per_job);
    set.min_count = ps.min_count;
    set.pod_names.reserve(static_cast<size_t>(set.count));
    for (int32_t j = 0; j < ps.replicas; ++j, ++global_index) {
      const std::string job = jobset ? fmt::format("{}-{}-{}", w.name, ps.name, j) : w.name;
      const std::vector<ExistingJobPod> have = existing(job);
      std::set<std::string, std::less<>> have_names;
      std::set<int32_t> have_indices;
      for (const ExistingJobPod& e : have) {
        set.pod_names.push_back(e.name);
        have_names.insert(e.name);
        have_indices.insert(e.completion_index);
      }
      int32_t missing = ps.pods_per_job - static_cast<int32_t>(have.size());
      for (int32_t i = 0; missing > 0; ++i) {
        if (have_indices.contains(i) || have_names.contains(fmt::format("{}-{}", job, i))) {
          continue;
        }
        --missing;
        model::PodSpec pod = ps.tmpl.pod.spec;
        pod.namespace_name = w.namespace_name;
        pod.name = fmt::format("{}-{}", job, i);
        pod.source = source;
        pod.priority = pod_priorities[s];
        pod.creation_unix_seconds = w.creation_unix_seconds;
        AddJobLabels(pod.labels, job, i);
        if (jobset) {
          SetLabel(pod.labels, kJobSetNameLabel, w.name);
          SetLabel(pod.labels, kReplicatedJobNameLabel, ps.name);
          SetLabel(pod.labels, kJobIndexLabel, std::to_string(j));
          SetLabel(pod.labels, kJobGlobalIndexLabel, std::to_string(global_index));
          SetLabel(pod.labels, kReplicasLabel, std::to_string(ps.replicas));
        }

        // Every node is made in `pool`'s memory through operator[] and scalar assignment.
        // A Node built on its own and assigned into another merges two yaml-cpp memory pools,
        // which over many pods is quadratic; sharing one pool also lets all pods share the
        // template's spec node (output clones a pod before changing it).
        YAML::Node object = pool[pool_size++];
        YAML::Node annotations = WriteControllerPodObject(
            object, pod, w.creation_timestamp, ps.tmpl.annotations,
            {"batch/v1", "Job", job, jobset ? std::string_view() : std::string_view(w.uid)});
        // The Job controller records the index of an Indexed Job's pod here too.
        if (ps.indexed) SetString(annotations[kCompletionIndex], std::to_string(i));
        object["spec"] = ps.tmpl.spec;

        set.pod_names.push_back(pod.name);
        add_pod(s, std::move(pod), std::move(object));
      }
    }
    // Normally replicas x pods per Job; more when the input holds extra pods of a Job.
    set.count = static_cast<int32_t>(set.pod_names.size());
    out.push_back(std::move(set));
  }
  return out;
}

YAML::Node WriteControllerPodObject(YAML::Node object, const model::PodSpec& pod,
                                    const std::string& creation_timestamp,
                                    const YAML::Node& template_annotations,
                                    const ControllerRef& owner) {
  SetString(object["apiVersion"], "v1");
  SetString(object["kind"], "Pod");
  YAML::Node meta = object["metadata"];
  SetString(meta["name"], pod.name);
  SetString(meta["namespace"], pod.namespace_name);
  if (!creation_timestamp.empty()) SetString(meta["creationTimestamp"], creation_timestamp);
  YAML::Node labels = meta["labels"];
  for (const auto& [key, value] : pod.labels) SetString(labels[key], value);
  YAML::Node annotations = meta["annotations"];
  if (template_annotations.IsDefined() && template_annotations.IsMap()) {
    for (const auto& kv : template_annotations) {
      // Values were checked to be strings.
      SetString(annotations[kv.first.Scalar()],
                kv.second.IsScalar() ? kv.second.Scalar() : std::string());
    }
  }
  YAML::Node ref = meta["ownerReferences"][0];
  SetString(ref["apiVersion"], std::string(owner.api_version));
  SetString(ref["kind"], std::string(owner.kind));
  SetString(ref["name"], std::string(owner.name));
  if (!owner.uid.empty()) SetString(ref["uid"], std::string(owner.uid));
  ref["controller"] = std::string("true");  // untagged: a boolean
  ref["blockOwnerDeletion"] = std::string("true");
  return annotations;
}

model::WorkloadSpec NewWorkloadSpec(const WorkloadIntake& w,
                                    std::vector<model::PodSetSpec> pod_sets) {
  model::WorkloadSpec out;
  out.namespace_name = w.namespace_name;
  const bool jobset = w.kind == WorkloadKind::kJobSet;
  out.name = (jobset ? "jobset-" : "job-") + w.name;
  out.queue_name = w.queue.queue_name;
  out.kai_queue = w.queue.kai_queue;
  out.creation_unix_seconds = w.creation_unix_seconds;
  out.owner = {jobset ? "jobset.x-k8s.io/v1alpha2" : "batch/v1", jobset ? "JobSet" : "Job", w.name};
  out.pod_sets = std::move(pod_sets);
  return out;
}

model::WorkloadSpec NewPodWorkloadSpec(const model::PodSpec& pod, const QueueLabels& queue,
                                       model::PodSetSpec topology) {
  model::WorkloadSpec out;
  out.namespace_name = pod.namespace_name;
  out.name = "pod-" + pod.name;
  out.queue_name = queue.queue_name;
  out.kai_queue = queue.kai_queue;
  out.creation_unix_seconds = pod.creation_unix_seconds;
  out.owner = {"v1", "Pod", pod.name};
  topology.name = "main";
  topology.count = 1;
  topology.pod_names = {pod.name};
  out.pod_sets.push_back(std::move(topology));
  return out;
}

}  // namespace tessera::io::internal
