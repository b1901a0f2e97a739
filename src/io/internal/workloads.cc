#include "io/internal/workloads.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>
#include <string_view>
#include <utility>

#include "io/internal/names.h"

namespace tessera::io::internal {
namespace {

constexpr char kRequiredTopology[] = "kueue.x-k8s.io/podset-required-topology";
constexpr char kPreferredTopology[] = "kueue.x-k8s.io/podset-preferred-topology";
constexpr char kUnconstrainedTopology[] = "kueue.x-k8s.io/podset-unconstrained-topology";
constexpr char kSliceRequiredTopology[] = "kueue.x-k8s.io/podset-slice-required-topology";
constexpr char kSliceSize[] = "kueue.x-k8s.io/podset-slice-size";
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

Status ParseTopologyAnnotations(const Field& annotations, model::PodSetSpec& pod_set) {
  TESSERA_RETURN_IF_ERROR(annotations.ExpectMap());
  TESSERA_ASSIGN_OR_RETURN(auto entries, annotations.StringMap());
  const char* topology_key = nullptr;  // the first of required/preferred/unconstrained
  for (const auto& [key, value] : entries) {
    const Field at = annotations.Get(key);
    std::string* level = nullptr;
    if (key == kRequiredTopology) level = &pod_set.required_topology;
    if (key == kPreferredTopology) level = &pod_set.preferred_topology;
    if (key == kSliceRequiredTopology) level = &pod_set.slice_required_topology;
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
      pod_set.slice_size = static_cast<int32_t>(size);
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
  if (pod_set.slice_size > 0 && pod_set.slice_required_topology.empty()) {
    return annotations.Get(kSliceSize)
        .Fail(fmt::format("must not be set without {}", kSliceRequiredTopology));
  }
  if (!pod_set.slice_required_topology.empty() && pod_set.slice_size == 0) {
    return annotations.Get(kSliceRequiredTopology)
        .Fail(fmt::format("needs {} (the number of pods per slice)", kSliceSize));
  }
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
