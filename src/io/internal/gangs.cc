#include "io/internal/gangs.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>

#include "base/check.h"
#include "io/internal/names.h"

namespace tessera::io::internal {
namespace {

// What Volcano's job controller puts on the pods it makes (createJobPod).
constexpr char kVolcanoJobNameKey[] = "volcano.sh/job-name";
constexpr char kVolcanoJobNamespaceKey[] = "volcano.sh/job-namespace";
constexpr char kVolcanoQueueNameKey[] = "volcano.sh/queue-name";
constexpr char kVolcanoJobVersionKey[] = "volcano.sh/job-version";
constexpr char kVolcanoTemplateKey[] = "volcano.sh/template-uid";
constexpr char kVolcanoTaskIndexKey[] = "volcano.sh/task-index";

// Where a pod names its KAI subgroup, below its metadata.
constexpr char kSubGroupLabelField[] = "labels.kai.scheduler/subgroup-name";

// At most this many names are listed in one message.
constexpr size_t kMaxListedNames = 8;

Status FailIf(const Field& at, std::string message) {
  if (message.empty()) return OkStatus();
  return at.Fail(std::move(message));
}

// An int32 count: nullopt when absent; at least `minimum`.
Result<std::optional<int32_t>> GetCount(const Field& parent, std::string_view key,
                                        int64_t minimum) {
  TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> value, parent.GetInt(key));
  if (!value) return std::optional<int32_t>();
  if (*value < minimum) {
    return parent.Get(key).Fail(minimum == 0
                                    ? fmt::format("must not be negative, got {}", *value)
                                    : fmt::format("must be at least {}, got {}", minimum, *value));
  }
  if (*value > std::numeric_limits<int32_t>::max()) {
    return parent.Get(key).Fail(fmt::format("must fit in 32 bits, got {}", *value));
  }
  return std::optional<int32_t>(static_cast<int32_t>(*value));
}

// "a, b, c" (quoted), cut after kMaxListedNames.
std::string ListNames(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxListedNames; ++i) {
    if (i > 0) out += ", ";
    out += Quote(names[i]);
  }
  if (names.size() > kMaxListedNames) {
    out += fmt::format(" and {} more", names.size() - kMaxListedNames);
  }
  return out;
}

// KAI's topologyConstraint: {topology, requiredTopologyLevel, preferredTopologyLevel}.
Result<model::TopologyConstraintSpec> ParseKaiTopologyConstraint(const Field& constraint) {
  TESSERA_RETURN_IF_ERROR(constraint.ExpectMap());
  model::TopologyConstraintSpec out;
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> topology, constraint.GetString("topology"));
  if (topology && !topology->empty()) {
    TESSERA_RETURN_IF_ERROR(FailIf(constraint.Get("topology"), CheckDnsSubdomain(*topology)));
    out.topology = std::move(*topology);
  }
  for (auto [key, target] :
       {std::pair<const char*, std::string*>{"requiredTopologyLevel", &out.required_level},
        std::pair<const char*, std::string*>{"preferredTopologyLevel", &out.preferred_level}}) {
    TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> level, constraint.GetString(key));
    if (!level || level->empty()) continue;
    TESSERA_RETURN_IF_ERROR(FailIf(constraint.Get(key), CheckQualifiedName(*level)));
    *target = std::move(*level);
  }
  return out;
}

// The name of the controller ownerReference of kind Job in group batch.volcano.sh; "" for
// none. Read leniently: ownerReferences are written by controllers, not people.
std::string VolcanoJobOwner(const Field& object) {
  const Field owners = object.Get("metadata").Get("ownerReferences");
  if (!owners.is_list()) return "";
  for (const YAML::Node& ref : owners.node()) {
    const Field r(ref, "");
    const Field kind = r.Get("kind");
    const Field api_version = r.Get("apiVersion");
    const Field name = r.Get("name");
    if (kind.is_scalar() && kind.node().Scalar() == "Job" && api_version.is_scalar() &&
        api_version.node().Scalar().starts_with("batch.volcano.sh/") && name.is_scalar()) {
      return name.node().Scalar();
    }
  }
  return "";
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

// Makes `node` the string `value`, tagged as quoted so that output keeps "0" a string.
void SetString(YAML::Node node, const std::string& value) {
  node = value;
  node.SetTag("!");
}

// Volcano's scheduler checks the per-task minimums only when minMember is at least their sum
// (JobInfo.CheckTaskValid and CheckTaskReady: "if job minAvailable is less than sumof(task
// minAvailable), skip this check"); otherwise only minMember counts. So: vcjob minAvailable 3
// with one task of 6 replicas (task minAvailable defaults to 6) needs any 3 pods.
void DropTaskMinimumsBelowMinMember(model::GangSpec& gang) {
  int64_t sum = 0;
  for (const model::GangMemberSpec& m : gang.members) sum += std::max(0, m.min_count);
  if (gang.min_member >= sum) return;
  for (model::GangMemberSpec& m : gang.members) m.min_count = 0;
}

// A copy of the pod spec `spec` with spec.schedulerName set to `name`.
YAML::Node WithSchedulerName(const YAML::Node& spec, const std::string& name) {
  YAML::Node copy = YAML::Clone(spec);
  SetString(copy["schedulerName"], name);
  return copy;
}

Status CheckVolcanoTotal(const Field& at, int64_t num_pods, int64_t pods_before) {
  if (pods_before + num_pods <= kMaxExpandedPods) return OkStatus();
  return at.Fail(
      fmt::format("the Jobs, JobSets and Volcano Jobs of the input would have {} pods in all; "
                  "at most {} are allowed",
                  pods_before + num_pods, kMaxExpandedPods));
}

}  // namespace

Result<model::TopologySpec> ParseTopology(const Field& object, ObjectMeta meta,
                                          std::string_view api_group) {
  model::TopologySpec out;
  out.name = std::move(meta.name);
  out.api_group = std::string(api_group);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  if (!spec.present()) return spec.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(Field levels_field, spec.GetList("levels"));
  if (!levels_field.present()) return levels_field.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> levels, levels_field.Items());
  if (levels.empty()) return levels_field.Fail("must list at least one level");
  if (levels.size() > kMaxTopologyLevels) {
    return levels_field.Fail(
        fmt::format("must have at most {} levels, got {}", kMaxTopologyLevels, levels.size()));
  }
  for (size_t i = 0; i < levels.size(); ++i) {
    const Field& level = levels[i];
    if (!level.is_map()) return level.WrongType("a mapping");
    const Field label_field = level.Get("nodeLabel");
    TESSERA_ASSIGN_OR_RETURN(std::string label, level.GetRequiredString("nodeLabel"));
    TESSERA_RETURN_IF_ERROR(FailIf(label_field, CheckQualifiedName(label)));
    for (size_t j = 0; j < out.levels.size(); ++j) {
      if (out.levels[j] == label) {
        return label_field.Fail(fmt::format("duplicate level {} (also {})", Quote(label),
                                            levels[j].Get("nodeLabel").path()));
      }
    }
    if (label == kHostnameLabel && i + 1 != levels.size()) {
      return label_field.Fail(
          fmt::format("{} may only be the last (finest) level; {} more level{} follow{}",
                      kHostnameLabel, levels.size() - i - 1, levels.size() - i - 1 == 1 ? "" : "s",
                      levels.size() - i - 1 == 1 ? "s" : ""));
    }
    out.levels.push_back(std::move(label));
  }
  return out;
}

Result<std::string> ParseExclusiveTopology(const Field& object) {
  const Field annotations = object.Get("metadata").Get("annotations");
  TESSERA_RETURN_IF_ERROR(annotations.ExpectMap());
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> key,
                           annotations.GetString(kExclusiveTopologyAnnotation));
  if (!key) return std::string();
  const Field at = annotations.Get(kExclusiveTopologyAnnotation);
  if (key->empty()) return at.Fail("must name a node label key (a topology level)");
  TESSERA_RETURN_IF_ERROR(FailIf(at, CheckQualifiedName(*key)));
  return std::move(*key);
}

Result<bool> ParseNodeSelectorStrategy(const Field& object, bool exclusive) {
  const Field annotations = object.Get("metadata").Get("annotations");
  TESSERA_RETURN_IF_ERROR(annotations.ExpectMap());
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> value,
                           annotations.GetString(kNodeSelectorStrategyAnnotation));
  return exclusive && value.has_value();
}

void NodeSelectorStrategy::Apply(const std::string& job, model::PodSpec& pod, YAML::Node object) {
  const std::string value = fmt::format("{}_{}", pod.namespace_name, job);
  bool have = false;
  for (auto& [key, v] : pod.node_selector) {
    if (key == kNamespacedJobLabel) {
      v = value;
      have = true;
    }
  }
  if (!have) pod.node_selector.emplace_back(kNamespacedJobLabel, value);
  pod.tolerations.push_back({.key = kNoScheduleTaintKey,
                             .op = model::TolerationOperator::kExists,
                             .effect = model::TaintEffect::kNoSchedule});
  auto [it, added] = spec_of_job_.try_emplace(job);
  if (added) {
    // One copy per Job (as WithSchedulerName makes one per Volcano task), not per pod.
    YAML::Node spec = YAML::Clone(object["spec"]);
    if (!spec["nodeSelector"].IsMap()) spec["nodeSelector"] = YAML::Node(YAML::NodeType::Map);
    SetString(spec["nodeSelector"][kNamespacedJobLabel], value);
    if (!spec["tolerations"].IsSequence()) {
      spec["tolerations"] = YAML::Node(YAML::NodeType::Sequence);
    }
    YAML::Node toleration(YAML::NodeType::Map);
    SetString(toleration["key"], kNoScheduleTaintKey);
    SetString(toleration["operator"], "Exists");
    SetString(toleration["effect"], "NoSchedule");
    spec["tolerations"].push_back(toleration);
    it->second = spec;
  }
  object["spec"] = it->second;
}

namespace {

// A list of strings, each one of `allowed` when that is not empty; nullopt when absent.
Result<std::vector<std::string>> GetStrings(const Field& parent, std::string_view key,
                                            std::span<const std::string_view> allowed) {
  std::vector<std::string> out;
  const Field list = parent.Get(key);
  if (!list.present()) return out;
  TESSERA_RETURN_IF_ERROR(list.ExpectList());
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  for (const Field& item : items) {
    TESSERA_ASSIGN_OR_RETURN(std::string value, item.AsString());
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
      std::string valid;
      for (std::string_view a : allowed) valid += (valid.empty() ? "" : ", ") + std::string(a);
      return item.Fail(fmt::format("{} is not one of {}", Quote(value), valid));
    }
    out.push_back(std::move(value));
  }
  return out;
}

// A string field with a default, which must be one of `allowed`.
Result<std::string> GetEnum(const Field& parent, std::string_view key, std::string_view fallback,
                            std::span<const std::string_view> allowed) {
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> value, parent.GetString(key));
  if (!value) return std::string(fallback);
  if (std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
    std::string valid;
    for (std::string_view a : allowed) valid += (valid.empty() ? "" : ", ") + std::string(a);
    return parent.Get(key).Fail(fmt::format("{} is not one of {}", Quote(*value), valid));
  }
  return std::move(*value);
}

constexpr std::string_view kRuleActions[] = {"FailJobSet", "RestartJobSet",
                                             "RestartJobSetAndIgnoreMaxRestarts", "RestartJob",
                                             "RestartJobAndIgnoreMaxRestarts"};
// batch/v1 JobConditionReason values a failed Job can carry (JobSet's webhook checks these).
constexpr std::string_view kJobFailureReasons[] = {"BackoffLimitExceeded", "DeadlineExceeded",
                                                   "FailedIndexes", "MaxFailedIndexesExceeded",
                                                   "PodFailurePolicy"};

// Checks that every name in `names` (at `parent`.`key`[i]) is a replicatedJob.
Status CheckTargets(const Field& parent, std::string_view key,
                    const std::vector<std::string>& names,
                    const std::vector<model::JobSetReplicatedJobLifecycle>& rjs) {
  if (names.empty()) return OkStatus();
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, parent.Get(key).Items());
  for (size_t i = 0; i < names.size() && i < items.size(); ++i) {
    const bool found = std::any_of(rjs.begin(), rjs.end(), [&](const auto& rj) {
      return rj.name == names[i];
    });
    if (!found) {
      return items[i].Fail(fmt::format("{} is not a replicatedJob of this JobSet", Quote(names[i])));
    }
  }
  return OkStatus();
}

// The Job's podFailurePolicy: the first rule on the DisruptionTarget condition decides what
// a disruption does; any other rule is something the lifecycle does not model.
Status ReadPodFailurePolicy(const Field& job_spec, model::JobSetReplicatedJobLifecycle& rj) {
  const Field policy = job_spec.Get("podFailurePolicy");
  if (!policy.present()) return OkStatus();
  TESSERA_RETURN_IF_ERROR(policy.ExpectMap());
  TESSERA_ASSIGN_OR_RETURN(Field rules, policy.GetList("rules"));
  if (!rules.present()) return OkStatus();
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, rules.Items());
  static constexpr std::string_view kActions[] = {"FailJob", "FailIndex", "Ignore", "Count"};
  for (size_t i = 0; i < items.size(); ++i) {
    const Field& rule = items[i];
    TESSERA_RETURN_IF_ERROR(rule.ExpectMap());
    TESSERA_ASSIGN_OR_RETURN(std::string action, GetEnum(rule, "action", "", kActions));
    if (action.empty()) return rule.Get("action").Fail("required field is missing");
    const std::string at = fmt::format("template.spec.podFailurePolicy.rules[{}]", i);
    bool disruption = false;
    TESSERA_ASSIGN_OR_RETURN(Field conditions, rule.GetList("onPodConditions"));
    if (conditions.present()) {
      TESSERA_ASSIGN_OR_RETURN(std::vector<Field> conds, conditions.Items());
      for (const Field& c : conds) {
        TESSERA_RETURN_IF_ERROR(c.ExpectMap());
        TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> type, c.GetString("type"));
        TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> status, c.GetString("status"));
        if (type && *type == "DisruptionTarget" && (!status || *status == "True")) {
          disruption = true;
        }
      }
    }
    if (disruption && !rule.Has("onExitCodes") && action != "FailIndex") {
      if (rj.on_disruption.empty()) rj.on_disruption = action;
    } else {
      rj.unmodelled.push_back(at);
    }
  }
  return OkStatus();
}

}  // namespace

Result<model::JobSetLifecycleSpec> ParseJobSetLifecycle(const Field& object) {
  model::JobSetLifecycleSpec out;
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  TESSERA_ASSIGN_OR_RETURN(Field list, spec.GetList("replicatedJobs"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  for (const Field& item : items) {
    model::JobSetReplicatedJobLifecycle rj;
    TESSERA_ASSIGN_OR_RETURN(rj.name, item.GetRequiredString("name"));
    rj.path = item.path();
    TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> replicas, GetCount(item, "replicas", 0));
    rj.replicas = replicas.value_or(1);
    const Field job_spec = item.Get("template").Get("spec");
    TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> parallelism,
                             GetCount(job_spec, "parallelism", 0));
    rj.parallelism = parallelism.value_or(1);
    TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> completions,
                             GetCount(job_spec, "completions", 0));
    rj.completions = completions.value_or(-1);
    TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> backoff, GetCount(job_spec, "backoffLimit", 0));
    rj.backoff_limit = backoff.value_or(6);
    for (std::string_view key : {"backoffLimitPerIndex", "maxFailedIndexes",
                                 "activeDeadlineSeconds", "successPolicy"}) {
      if (job_spec.Has(key)) rj.unmodelled.push_back(fmt::format("template.spec.{}", key));
    }
    TESSERA_RETURN_IF_ERROR(ReadPodFailurePolicy(job_spec, rj));
    const Field pod_spec = job_spec.Get("template").Get("spec");
    if (pod_spec.is_map()) {
      TESSERA_ASSIGN_OR_RETURN(std::optional<int64_t> grace,
                               pod_spec.GetInt("terminationGracePeriodSeconds"));
      if (grace && *grace < 0) {
        return pod_spec.Get("terminationGracePeriodSeconds")
            .Fail(fmt::format("must not be negative, got {}", *grace));
      }
      rj.termination_grace_s = grace.value_or(-1);
      TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> restart,
                               pod_spec.GetString("restartPolicy"));
      rj.restart_policy = restart.value_or("");
    }
    const Field depends = item.Get("dependsOn");
    if (depends.present()) {
      TESSERA_RETURN_IF_ERROR(depends.ExpectList());
      TESSERA_ASSIGN_OR_RETURN(std::vector<Field> deps, depends.Items());
      if (deps.size() > 1) return depends.Fail("JobSet allows at most one entry");
      if (!deps.empty()) {
        const Field& dep = deps.front();
        TESSERA_RETURN_IF_ERROR(dep.ExpectMap());
        TESSERA_ASSIGN_OR_RETURN(rj.depends_on, dep.GetRequiredString("name"));
        static constexpr std::string_view kStatuses[] = {"Ready", "Complete"};
        TESSERA_ASSIGN_OR_RETURN(rj.depends_on_status, GetEnum(dep, "status", "", kStatuses));
        if (rj.depends_on_status.empty()) return dep.Get("status").Fail("required field is missing");
        const bool earlier =
            std::any_of(out.replicated_jobs.begin(), out.replicated_jobs.end(),
                        [&](const auto& e) { return e.name == rj.depends_on; });
        if (!earlier) {
          return dep.Get("name").Fail(
              out.replicated_jobs.empty()
                  ? std::string("the first replicatedJob cannot depend on another")
                  : fmt::format("{} is not an earlier replicatedJob", Quote(rj.depends_on)));
        }
      }
    }
    out.replicated_jobs.push_back(std::move(rj));
  }

  const Field failure = spec.Get("failurePolicy");
  if (failure.present()) {
    TESSERA_RETURN_IF_ERROR(failure.ExpectMap());
    out.has_failure_policy = true;
    TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> max_restarts,
                             GetCount(failure, "maxRestarts", 0));
    out.max_restarts = max_restarts.value_or(0);
    static constexpr std::string_view kStrategies[] = {"Recreate", "BlockingRecreate",
                                                       "InPlaceRestart"};
    TESSERA_ASSIGN_OR_RETURN(out.restart_strategy,
                             GetEnum(failure, "restartStrategy", "Recreate", kStrategies));
    TESSERA_ASSIGN_OR_RETURN(Field rules, failure.GetList("rules"));
    if (rules.present()) {
      TESSERA_ASSIGN_OR_RETURN(std::vector<Field> rule_items, rules.Items());
      for (const Field& item : rule_items) {
        TESSERA_RETURN_IF_ERROR(item.ExpectMap());
        model::JobSetFailureRuleSpec rule;
        rule.path = item.path();
        TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> name, item.GetString("name"));
        rule.name = name.value_or("");
        TESSERA_ASSIGN_OR_RETURN(rule.action, GetEnum(item, "action", "", kRuleActions));
        if (rule.action.empty()) return item.Get("action").Fail("required field is missing");
        TESSERA_ASSIGN_OR_RETURN(rule.target_replicated_jobs,
                                 GetStrings(item, "targetReplicatedJobs", {}));
        TESSERA_RETURN_IF_ERROR(CheckTargets(item, "targetReplicatedJobs",
                                             rule.target_replicated_jobs, out.replicated_jobs));
        TESSERA_ASSIGN_OR_RETURN(rule.on_job_failure_reasons,
                                 GetStrings(item, "onJobFailureReasons", kJobFailureReasons));
        rule.has_message_patterns = item.Has("onJobFailureMessagePatterns");
        out.rules.push_back(std::move(rule));
      }
    }
  }

  const Field success = spec.Get("successPolicy");
  if (success.present()) {
    TESSERA_RETURN_IF_ERROR(success.ExpectMap());
    static constexpr std::string_view kOperators[] = {"All", "Any"};
    TESSERA_ASSIGN_OR_RETURN(out.success_operator, GetEnum(success, "operator", "All", kOperators));
    TESSERA_ASSIGN_OR_RETURN(out.success_targets, GetStrings(success, "targetReplicatedJobs", {}));
    TESSERA_RETURN_IF_ERROR(CheckTargets(success, "targetReplicatedJobs", out.success_targets,
                                         out.replicated_jobs));
  }

  const Field startup = spec.Get("startupPolicy");
  if (startup.present()) {
    TESSERA_RETURN_IF_ERROR(startup.ExpectMap());
    static constexpr std::string_view kOrders[] = {"AnyOrder", "InOrder"};
    TESSERA_ASSIGN_OR_RETURN(out.startup_policy_order,
                             GetEnum(startup, "startupPolicyOrder", "AnyOrder", kOrders));
  }
  return out;
}

Result<PodGroupIntake> ParseKaiPodGroup(const Field& object, ObjectMeta meta) {
  PodGroupIntake out;
  model::GangSpec& gang = out.gang;
  gang.kind = model::GangKind::kKaiPodGroup;
  gang.namespace_name = std::move(meta.namespace_name);
  gang.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  // KAI's CRD: PodGroup minMember and minSubGroup have Minimum=1; a subgroup's minMember
  // has Minimum=0 and its minSubGroup Minimum=1 (the webhook then requires > 0).
  TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> min_member, GetCount(spec, "minMember", 1));
  TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> min_subgroup, GetCount(spec, "minSubGroup", 1));
  if (min_member && min_subgroup) {
    return spec.Get("minSubGroup")
        .Fail(
            "must not be set together with minMember (minMember counts pods, minSubGroup "
            "counts top-level subgroups)");
  }
  TESSERA_ASSIGN_OR_RETURN(gang.topology,
                           ParseKaiTopologyConstraint(spec.Get("topologyConstraint")));

  // The CRD field is subGroups; KAI's own multi-level topology example spells it subgroups
  // (which the API server would prune). Read either, and say so for the second.
  const Field upper = spec.Get("subGroups");
  const Field lower = spec.Get("subgroups");
  if (upper.present() && lower.present()) {
    return lower.Fail("must not be set together with subGroups");
  }
  const Field list = lower.present() ? lower : upper;
  if (lower.present()) {
    out.warnings.push_back(
        fmt::format("{}: read as spec.subGroups; KAI's CRD spells the field subGroups, so the "
                    "API server would drop this one",
                    lower.path()));
  }
  TESSERA_RETURN_IF_ERROR(list.ExpectList());
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  if (items.empty()) {
    if (min_subgroup) {
      return spec.Get("minSubGroup").Fail("needs subGroups: it counts top-level subgroups");
    }
    // KAI's scheduler puts every pod of a PodGroup without subgroups in one pod set
    // "default" whose minimum is spec.minMember, or 1 when it is not set (setSubGroups in
    // pkg/scheduler/api/podgroup_info/job_info.go).
    model::GangMemberSpec member;
    member.name = kDefaultMember;
    member.min_count = min_member.value_or(1);
    gang.min_member = member.min_count;
    gang.members.push_back(std::move(member));
    out.has_children.push_back(false);
    return out;
  }

  struct Raw {
    std::optional<int32_t> min_member;
    std::optional<int32_t> min_subgroup;
    std::optional<std::string> parent;
  };
  std::vector<Raw> raw;
  std::map<std::string, size_t, std::less<>> index;
  for (const Field& item : items) {
    if (!item.is_map()) return item.WrongType("a mapping");
    model::GangMemberSpec member;
    const Field name_field = item.Get("name");
    TESSERA_ASSIGN_OR_RETURN(member.name, item.GetRequiredString("name"));
    if (member.name.empty()) return name_field.Fail("must not be empty");
    // Pods name their subgroup in a label, so the name must be a label value.
    TESSERA_RETURN_IF_ERROR(FailIf(name_field, CheckLabelValue(member.name)));
    auto [it, added] = index.emplace(member.name, gang.members.size());
    if (!added) {
      return name_field.Fail(fmt::format("duplicate subgroup name {} (also {})", Quote(member.name),
                                         items[it->second].Get("name").path()));
    }
    Raw r;
    TESSERA_ASSIGN_OR_RETURN(r.min_member, GetCount(item, "minMember", 0));
    TESSERA_ASSIGN_OR_RETURN(r.min_subgroup, GetCount(item, "minSubGroup", 1));
    if (r.min_member && *r.min_member > 0 && r.min_subgroup) {
      return item.Get("minSubGroup").Fail("must not be set together with minMember");
    }
    TESSERA_ASSIGN_OR_RETURN(r.parent, item.GetString("parent"));
    if (r.parent && r.parent->empty()) {
      return item.Get("parent").Fail(
          "must name another subgroup (leave it out for a top-level subgroup)");
    }
    TESSERA_ASSIGN_OR_RETURN(member.topology,
                             ParseKaiTopologyConstraint(item.Get("topologyConstraint")));
    member.min_count = -1;
    raw.push_back(std::move(r));
    gang.members.push_back(std::move(member));
  }

  out.has_subgroups = true;
  const size_t n = gang.members.size();
  std::vector<int64_t> parent(n, -1);
  for (size_t i = 0; i < n; ++i) {
    if (!raw[i].parent) continue;
    const Field at = items[i].Get("parent");
    auto it = index.find(*raw[i].parent);
    if (it == index.end()) {
      return at.Fail(
          fmt::format("subgroup {} does not exist in {}", Quote(*raw[i].parent), list.path()));
    }
    if (it->second == i) return at.Fail("a subgroup must not be its own parent");
    parent[i] = static_cast<int64_t>(it->second);
    gang.members[i].parent = *raw[i].parent;
  }
  // Cycles, in O(n): follow each unvisited chain of parents; meeting a subgroup of the
  // chain being walked closes a cycle.
  std::vector<uint8_t> state(n, 0);  // 0: not seen, 1: on the current chain, 2: done
  std::vector<size_t> chain;
  for (size_t i = 0; i < n; ++i) {
    chain.clear();
    int64_t j = static_cast<int64_t>(i);
    while (j >= 0 && state[static_cast<size_t>(j)] == 0) {
      state[static_cast<size_t>(j)] = 1;
      chain.push_back(static_cast<size_t>(j));
      j = parent[static_cast<size_t>(j)];
    }
    if (j >= 0 && state[static_cast<size_t>(j)] == 1) {
      const auto start = static_cast<size_t>(j);
      std::vector<std::string> names = {gang.members[start].name};
      for (auto k = static_cast<size_t>(parent[start]);; k = static_cast<size_t>(parent[k])) {
        names.push_back(gang.members[k].name);
        if (k == start) break;
      }
      std::string cycle;
      for (size_t k = 0; k < names.size(); ++k) {
        if (k == kMaxListedNames && names.size() > kMaxListedNames + 1) {
          cycle += fmt::format(" -> ... ({} subgroups in all)", names.size() - 1);
          break;
        }
        if (k > 0) cycle += " -> ";
        cycle += Quote(names[k]);
      }
      return items[start].Get("parent").Fail(
          fmt::format("the parents of subgroup {} form a cycle: {}", Quote(names[0]), cycle));
    }
    for (size_t k : chain) state[k] = 2;
  }

  std::vector<int32_t> children(n, 0);
  int32_t top_level = 0;
  for (size_t i = 0; i < n; ++i) {
    if (parent[i] >= 0) {
      ++children[static_cast<size_t>(parent[i])];
    } else {
      ++top_level;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    model::GangMemberSpec& member = gang.members[i];
    const Field& item = items[i];
    if (children[i] == 0) {
      if (raw[i].min_subgroup) {
        return item.Get("minSubGroup")
            .Fail("must not be set on a subgroup without child subgroups; use minMember");
      }
      if (!raw[i].min_member) {
        return item.Get("minMember")
            .Fail(
                "required on a subgroup without child subgroups (KAI's webhook rejects it "
                "missing)");
      }
      member.min_count = *raw[i].min_member;
    } else {
      if (raw[i].min_member && *raw[i].min_member > 0) {
        return item.Get("minMember")
            .Fail(fmt::format("must not be set on a subgroup with child subgroups (it has {}); use "
                              "minSubGroup",
                              children[i]));
      }
      if (raw[i].min_subgroup) {
        if (*raw[i].min_subgroup > children[i]) {
          return item.Get("minSubGroup")
              .Fail(fmt::format("is {} but the subgroup has {} child subgroup{}",
                                *raw[i].min_subgroup, children[i], children[i] == 1 ? "" : "s"));
        }
        member.min_subgroups = *raw[i].min_subgroup;
      }
      member.min_count = -1;  // it has no pods of its own; its children decide
    }
    out.has_children.push_back(children[i] > 0);
  }
  if (min_subgroup && *min_subgroup > top_level) {
    return spec.Get("minSubGroup")
        .Fail(fmt::format("is {} but there {} {} top-level subgroup{}", *min_subgroup,
                          top_level == 1 ? "is" : "are", top_level, top_level == 1 ? "" : "s"));
  }
  gang.min_member = min_member.value_or(-1);
  gang.min_subgroups = min_subgroup.value_or(-1);
  return out;
}

Result<PodGroupIntake> ParseVolcanoPodGroup(const Field& object, ObjectMeta meta) {
  PodGroupIntake out;
  model::GangSpec& gang = out.gang;
  gang.kind = model::GangKind::kVolcanoPodGroup;
  gang.namespace_name = std::move(meta.namespace_name);
  gang.name = std::move(meta.name);
  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  // An int32 without a default in Volcano's CRD: absent is 0, and Volcano's gang plugin then
  // considers the group ready with any number of pods.
  TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> min_member, GetCount(spec, "minMember", 0));
  gang.min_member = min_member.value_or(0);
  TESSERA_ASSIGN_OR_RETURN(Field tasks, spec.GetMap("minTaskMember"));
  TESSERA_ASSIGN_OR_RETURN(auto entries, tasks.Entries());
  for (const auto& [task, value] : entries) {
    if (task.empty()) return value.Fail("a task name must not be empty");
    TESSERA_ASSIGN_OR_RETURN(int64_t count, value.AsInt());
    if (count < 0) return value.Fail(fmt::format("must not be negative, got {}", count));
    if (count > std::numeric_limits<int32_t>::max()) {
      return value.Fail(fmt::format("must fit in 32 bits, got {}", count));
    }
    model::GangMemberSpec member;
    member.name = task;
    member.min_count = static_cast<int32_t>(count);
    gang.members.push_back(std::move(member));
    out.has_children.push_back(false);
  }
  DropTaskMinimumsBelowMinMember(gang);
  if (spec.Has("networkTopology")) {
    out.warnings.push_back(
        "spec.networkTopology: not read (Volcano's HyperNode network topologies are not "
        "modelled); the group is placed without it");
  }
  out.owner_volcano_job = VolcanoJobOwner(object);
  return out;
}

Result<VolcanoJobIntake> ParseVolcanoJob(const Field& object, ObjectMeta meta,
                                         int64_t pods_before) {
  VolcanoJobIntake out;
  out.namespace_name = std::move(meta.namespace_name);
  out.name = std::move(meta.name);
  out.creation_unix_seconds = meta.creation_unix_seconds;
  const Field metadata = object.Get("metadata");
  // The name becomes the value of the volcano.sh/job-name label of every pod.
  TESSERA_RETURN_IF_ERROR(FailIf(metadata.Get("name"), CheckLabelValue(out.name)));
  TESSERA_ASSIGN_OR_RETURN(auto created, metadata.GetString("creationTimestamp"));
  if (created) out.creation_timestamp = std::move(*created);
  TESSERA_ASSIGN_OR_RETURN(auto uid, metadata.GetString("uid"));
  if (uid) out.uid = std::move(*uid);

  TESSERA_ASSIGN_OR_RETURN(Field spec, object.GetMap("spec"));
  if (!spec.present()) return spec.Fail("required field is missing");
  TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> min_available, GetCount(spec, "minAvailable", 0));
  // Volcano's mutating webhook: queue "default", schedulerName "volcano".
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> queue, spec.GetString("queue"));
  out.queue = queue && !queue->empty() ? std::move(*queue) : std::string("default");
  TESSERA_RETURN_IF_ERROR(FailIf(spec.Get("queue"), CheckLabelValue(out.queue)));
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> scheduler, spec.GetString("schedulerName"));
  out.scheduler_name =
      scheduler && !scheduler->empty() ? std::move(*scheduler) : std::string("volcano");
  if (spec.Has("networkTopology")) {
    out.warnings.push_back(
        "spec.networkTopology: not read (Volcano's HyperNode network topologies are not "
        "modelled); the Job is placed without it");
  }

  TESSERA_ASSIGN_OR_RETURN(Field list, spec.GetList("tasks"));
  TESSERA_ASSIGN_OR_RETURN(std::vector<Field> items, list.Items());
  if (items.empty()) return list.Fail("must list at least one task");
  std::map<std::string, std::string, std::less<>> names;  // name -> path
  int64_t total_min_available = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const Field& item = items[i];
    if (!item.is_map()) return item.WrongType("a mapping");
    VolcanoTaskIntake task;
    task.path = item.path();
    TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> name, item.GetString("name"));
    // Volcano's mutating webhook names unnamed tasks default0, default1, ...
    task.name = name && !name->empty() ? std::move(*name) : fmt::format("default{}", i);
    TESSERA_RETURN_IF_ERROR(FailIf(item.Get("name"), CheckDnsLabel(task.name)));
    auto [it, added] = names.emplace(task.name, item.Get("name").path());
    if (!added) {
      return item.Get("name").Fail(
          fmt::format("duplicate task name {} (also {})", Quote(task.name), it->second));
    }
    // An int32 without a default (omitempty): absent is 0 replicas.
    TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> replicas, GetCount(item, "replicas", 0));
    task.replicas = replicas.value_or(0);
    const int64_t before = out.num_pods;
    out.num_pods += task.replicas;
    if (out.num_pods > kMaxPodsPerWorkload) {
      return item.Get("replicas")
          .Fail(fmt::format(
              "the Volcano Job would have {} pods{}; at most {} are allowed per workload",
              out.num_pods,
              before > 0
                  ? fmt::format(" ({} in earlier tasks + {} replicas)", before, task.replicas)
                  : "",
              kMaxPodsPerWorkload));
    }
    TESSERA_RETURN_IF_ERROR(CheckVolcanoTotal(item.Get("replicas"), out.num_pods, pods_before));
    TESSERA_ASSIGN_OR_RETURN(std::optional<int32_t> task_min, GetCount(item, "minAvailable", 0));
    task.min_available = task_min.value_or(task.replicas);
    if (task.min_available > task.replicas) {
      return item.Get("minAvailable")
          .Fail(
              fmt::format("is {} but the task has {} replicas", task.min_available, task.replicas));
    }
    total_min_available += task.min_available;
    TESSERA_ASSIGN_OR_RETURN(task.tmpl, ParsePodTemplate(item.Get("template"), out.namespace_name));
    out.tasks.push_back(std::move(task));
  }
  // Volcano's webhook replaces a minAvailable of 0 (or none) by the sum of the tasks'
  // minAvailable (each defaulting to its replicas).
  if (!min_available || *min_available == 0) {
    out.min_available = static_cast<int32_t>(total_min_available);  // <= kMaxPodsPerWorkload
  } else {
    out.min_available = *min_available;
    if (out.min_available > out.num_pods) {
      return spec.Get("minAvailable")
          .Fail(fmt::format("is {} but the tasks have {} replicas in all", out.min_available,
                            out.num_pods));
    }
  }
  return out;
}

model::GangSpec ExpandVolcanoJob(const VolcanoJobIntake& job,
                                 std::span<const int32_t> task_priorities,
                                 const std::string& source,
                                 const std::function<ExistingPod(const std::string&)>& existing,
                                 const std::function<void(model::PodSpec, YAML::Node)>& add_pod) {
  model::GangSpec gang;
  gang.kind = model::GangKind::kVolcanoJob;
  gang.namespace_name = job.namespace_name;
  gang.name = job.name;
  gang.source = source;
  gang.min_member = job.min_available;
  YAML::Node pool(YAML::NodeType::Sequence);  // owns the nodes of every pod object
  size_t pool_size = 0;
  int64_t total_task_minimum = 0;
  for (size_t t = 0; t < job.tasks.size(); ++t) {
    const VolcanoTaskIntake& task = job.tasks[t];
    total_task_minimum += task.min_available;
    model::GangMemberSpec member;
    member.name = task.name;
    member.min_count = task.min_available;
    member.pod_names.reserve(static_cast<size_t>(task.replicas));
    // The controller fills the pod's schedulerName from the Job when the template has none:
    // one copy of the template's spec per task, shared by its pods (never mutated after).
    // (Initialised, not assigned: assigning a YAML::Node would rewrite the template's node.)
    const YAML::Node spec = task.tmpl.pod.spec.scheduler_name.empty()
                                ? WithSchedulerName(task.tmpl.spec, job.scheduler_name)
                                : task.tmpl.spec;
    const std::string template_key = fmt::format("{}-{}", job.name, task.name);
    for (int32_t i = 0; i < task.replicas; ++i) {
      std::string name = fmt::format("{}-{}-{}", job.name, task.name, i);
      switch (existing(name)) {
        case ExistingPod::kActive:
          member.pod_names.push_back(std::move(name));
          continue;
        case ExistingPod::kSucceeded:
          member.min_count = std::max(0, member.min_count - 1);
          gang.min_member = std::max(0, gang.min_member - 1);
          continue;
        case ExistingPod::kFailed:
          continue;
        case ExistingPod::kNone:
          break;
      }
      model::PodSpec pod = task.tmpl.pod.spec;
      pod.namespace_name = job.namespace_name;
      pod.name = name;
      pod.source = source;
      pod.priority = task_priorities[t];
      pod.creation_unix_seconds = job.creation_unix_seconds;
      if (pod.scheduler_name.empty()) pod.scheduler_name = job.scheduler_name;
      SetLabel(pod.labels, kVolcanoJobNameKey, job.name);
      SetLabel(pod.labels, kVolcanoTaskAnnotation, task.name);
      SetLabel(pod.labels, kVolcanoJobNamespaceKey, job.namespace_name);
      SetLabel(pod.labels, kVolcanoQueueNameKey, job.queue);

      // Every node is made in `pool`'s memory (see ExpandWorkload).
      YAML::Node object = pool[pool_size++];
      YAML::Node annotations =
          WriteControllerPodObject(object, pod, job.creation_timestamp, task.tmpl.annotations,
                                   {"batch.volcano.sh/v1alpha1", "Job", job.name, job.uid});
      SetString(annotations[kVolcanoTaskAnnotation], task.name);
      SetString(annotations[kVolcanoGroupAnnotation], job.name);
      SetString(annotations[kVolcanoJobNameKey], job.name);
      SetString(annotations[kVolcanoQueueNameKey], job.queue);
      SetString(annotations[kVolcanoJobVersionKey], "0");
      SetString(annotations[kVolcanoTemplateKey], template_key);
      SetString(annotations[kVolcanoTaskIndexKey], std::to_string(i));
      object["spec"] = spec;

      member.pod_names.push_back(pod.name);
      add_pod(std::move(pod), std::move(object));
    }
    gang.members.push_back(std::move(member));
  }
  // On the Job's own numbers, as Volcano compares the PodGroup's minMember and minTaskMember.
  if (job.min_available < total_task_minimum) {
    for (model::GangMemberSpec& m : gang.members) m.min_count = 0;
  }
  return gang;
}

model::GangSpec NewWorkloadGang(const WorkloadIntake& w,
                                std::span<const model::PodSetSpec> pod_sets,
                                std::string exclusive_topology) {
  const bool jobset = w.kind == WorkloadKind::kJobSet;
  model::GangSpec gang;
  gang.kind = jobset ? model::GangKind::kJobSet : model::GangKind::kJob;
  gang.namespace_name = w.namespace_name;
  gang.name = w.name;
  gang.exclusive_topology = std::move(exclusive_topology);
  for (size_t i = 0; i < pod_sets.size(); ++i) {
    const model::PodSetSpec& set = pod_sets[i];
    model::GangMemberSpec member;
    member.name = set.name;
    member.pod_names = set.pod_names;
    member.topology = model::TopologyOf(set);
    member.pods_per_job = jobset && i < w.pod_sets.size() ? w.pod_sets[i].pods_per_job : 0;
    gang.members.push_back(std::move(member));
  }
  return gang;
}

Result<GangKeys> ReadGangKeys(const Field& annotations, const model::Labels& labels) {
  TESSERA_RETURN_IF_ERROR(annotations.ExpectMap());
  GangKeys out;
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> kai,
                           annotations.GetString(kKaiPodGroupAnnotation));
  if (kai) out.kai_pod_group = std::move(*kai);
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> volcano,
                           annotations.GetString(kVolcanoGroupAnnotation));
  if (volcano) out.volcano_group = std::move(*volcano);
  TESSERA_ASSIGN_OR_RETURN(out.volcano_task, annotations.GetString(kVolcanoTaskAnnotation));
  for (const auto& [key, value] : labels) {
    if (key == kKaiSubGroupLabel) out.kai_subgroup = value;
  }
  return out;
}

void GangAssembler::AddKaiPodGroup(PodGroupIntake pg, size_t order) {
  PendingGang p;
  for (size_t i = 0; i < pg.gang.members.size(); ++i) {
    p.member_index.emplace(pg.gang.members[i].name, i);
  }
  p.source = Source::kKaiPodGroup;
  p.order = order;
  p.kai_subgroups = pg.has_subgroups;
  p.has_children = std::move(pg.has_children);
  p.gang = std::move(pg.gang);
  gangs_.push_back(std::move(p));
}

void GangAssembler::AddVolcanoPodGroup(PodGroupIntake pg, size_t order) {
  PendingGang p;
  for (size_t i = 0; i < pg.gang.members.size(); ++i) {
    p.member_index.emplace(pg.gang.members[i].name, i);
  }
  p.source = Source::kVolcanoPodGroup;
  p.order = order;
  p.owner_volcano_job = std::move(pg.owner_volcano_job);
  p.gang = std::move(pg.gang);
  gangs_.push_back(std::move(p));
}

void GangAssembler::AddWorkloadGang(model::GangSpec gang, size_t order) {
  PendingGang p;
  p.source = Source::kWorkload;
  p.order = order;
  p.gang = std::move(gang);
  gangs_.push_back(std::move(p));
}

void GangAssembler::AddVolcanoJobGang(model::GangSpec gang, size_t order) {
  PendingGang p;
  p.source = Source::kVolcanoJob;
  p.order = order;
  p.gang = std::move(gang);
  gangs_.push_back(std::move(p));
}

uint32_t GangAssembler::AddKeys(GangKeys keys, Origin origin) {
  if (keys.empty()) return kNoKeys;
  keys_.push_back(KeysEntry{std::move(keys), std::move(origin), 0});
  return static_cast<uint32_t>(keys_.size() - 1);
}

Result<model::GangObjects> GangAssembler::Finish(const model::Snapshot& snapshot,
                                                 std::vector<std::string>& warnings) && {
  TESSERA_CHECK(pod_keys_.size() == snapshot.num_pods())
      << pod_keys_.size() << " pods registered, " << snapshot.num_pods() << " in the snapshot";
  using Key = std::pair<std::string_view, std::string_view>;  // (namespace, name)

  // The pods of Volcano Jobs are theirs whatever they say.
  std::set<Key> volcano_jobs;
  std::set<Key> volcano_job_pods;
  for (const PendingGang& p : gangs_) {
    if (p.source != Source::kVolcanoJob) continue;
    volcano_jobs.emplace(p.gang.namespace_name, p.gang.name);
    for (const model::GangMemberSpec& m : p.gang.members) {
      for (const std::string& pod : m.pod_names)
        volcano_job_pods.emplace(p.gang.namespace_name, pod);
    }
  }
  std::map<Key, size_t> kai;
  std::map<Key, size_t> volcano;
  std::map<Key, size_t> replaced;  // Volcano PodGroups of Volcano Jobs in the input
  for (size_t i = 0; i < gangs_.size(); ++i) {
    PendingGang& p = gangs_[i];
    const Key key(p.gang.namespace_name, p.gang.name);
    if (p.source == Source::kKaiPodGroup) kai.emplace(key, i);
    if (p.source != Source::kVolcanoPodGroup) continue;
    if (!p.owner_volcano_job.empty() &&
        volcano_jobs.contains(Key(p.gang.namespace_name, p.owner_volcano_job))) {
      // The Volcano Job's own gang stands for it.
      p.dropped = true;
      replaced.emplace(key, i);
    } else {
      volcano.emplace(key, i);
    }
  }

  auto fail = [](const KeysEntry& e, std::string_view field, std::string message) {
    return InvalidArgument(std::move(message))
        .UnderField(JoinPath(e.origin.metadata_path, field))
        .WithObject(e.origin.kind, e.origin.object_label)
        .WithFile(e.origin.file);
  };
  // PodGroups that pods name but the input lacks: one warning per PodGroup, at the first pod
  // or template that names it, with the number of others.
  struct Missing {
    uint32_t entry;  // into keys_
    const char* annotation;
    std::string what;
    size_t others = 0;
  };
  std::vector<Missing> missing;
  std::map<std::tuple<uint8_t, std::string_view, std::string_view>, size_t> missing_index;
  auto warn_missing = [this, &missing, &missing_index](uint32_t k, const char* annotation,
                                                       std::string_view namespace_name,
                                                       std::string_view group, std::string what) {
    KeysEntry& e = keys_[k];
    const uint8_t bit = std::string_view(annotation) == kKaiPodGroupAnnotation ? 1 : 2;
    if ((e.warned & bit) != 0) return;  // once per pod or template
    e.warned |= bit;
    auto [it, added] =
        missing_index.emplace(std::tuple(bit, namespace_name, group), missing.size());
    if (added) {
      missing.push_back(Missing{k, annotation, std::move(what)});
    } else {
      ++missing[it->second].others;
    }
  };
  // The member of KAI PodGroup `p` that a pod with keys `e` joins. O(log members),
  // allocating only to report an error.
  auto kai_member = [&fail](const PendingGang& p, const KeysEntry& e) -> Result<size_t> {
    auto pg = [&p] { return Quote(p.gang.namespace_name + "/" + p.gang.name); };
    auto leaves = [&p] {
      std::vector<std::string> names;
      for (size_t i = 0; i < p.gang.members.size(); ++i) {
        if (!p.has_children[i]) names.push_back(p.gang.members[i].name);
      }
      return ListNames(names);
    };
    if (!p.kai_subgroups) {
      if (!e.keys.kai_subgroup || *e.keys.kai_subgroup == kDefaultMember) return size_t{0};
      return fail(e, kSubGroupLabelField,
                  fmt::format("PodGroup {} has no subGroups, so it has no subgroup {}; leave "
                              "the label out",
                              pg(), Quote(*e.keys.kai_subgroup)));
    }
    if (!e.keys.kai_subgroup) {
      return fail(e, "labels",
                  fmt::format("PodGroup {} has subGroups, so its pods need the label {} naming "
                              "one of its leaf subgroups ({})",
                              pg(), kKaiSubGroupLabel, leaves()));
    }
    auto it = p.member_index.find(*e.keys.kai_subgroup);
    if (it != p.member_index.end()) {
      if (!p.has_children[it->second]) return it->second;
      return fail(e, kSubGroupLabelField,
                  fmt::format("subgroup {} of PodGroup {} has child subgroups; pods join leaf "
                              "subgroups only ({})",
                              Quote(*e.keys.kai_subgroup), pg(), leaves()));
    }
    return fail(e, kSubGroupLabelField,
                fmt::format("PodGroup {} has no subgroup {}; its leaf subgroups are {}", pg(),
                            Quote(*e.keys.kai_subgroup), leaves()));
  };

  std::set<Key> joined;  // pods that joined a PodGroup (and so leave their Job's gang)
  for (size_t index = 0; index < pod_keys_.size(); ++index) {
    const uint32_t k = pod_keys_[index];
    if (k == kNoKeys) continue;
    const model::Pod& pod = snapshot.pod(model::PodId::FromIndex(index));
    const Key pod_key(pod.namespace_name, pod.name);
    if (volcano_job_pods.contains(pod_key)) continue;
    KeysEntry& e = keys_[k];
    if (!e.keys.kai_pod_group.empty()) {
      auto it = kai.find(Key(pod.namespace_name, e.keys.kai_pod_group));
      if (it != kai.end()) {
        PendingGang& p = gangs_[it->second];
        TESSERA_ASSIGN_OR_RETURN(size_t member, kai_member(p, e));
        p.gang.members[member].pod_names.push_back(pod.name);
        joined.insert(pod_key);
        continue;
      }
      warn_missing(k, kKaiPodGroupAnnotation, pod.namespace_name, e.keys.kai_pod_group,
                   fmt::format("the KAI PodGroup {} is not in the input",
                               Quote(pod.namespace_name + "/" + e.keys.kai_pod_group)));
    }
    if (!e.keys.volcano_group.empty()) {
      const Key group(pod.namespace_name, e.keys.volcano_group);
      auto it = volcano.find(group);
      if (it != volcano.end()) {
        PendingGang& p = gangs_[it->second];
        const std::string_view task =
            e.keys.volcano_task ? std::string_view(*e.keys.volcano_task) : kDefaultMember;
        auto m = p.member_index.find(task);
        if (m == p.member_index.end()) {
          // A task minTaskMember does not list: no minimum of its own.
          model::GangMemberSpec member;
          member.name = std::string(task);
          member.min_count = 0;
          p.gang.members.push_back(std::move(member));
          m = p.member_index.emplace(std::string(task), p.gang.members.size() - 1).first;
        }
        p.gang.members[m->second].pod_names.push_back(pod.name);
        joined.insert(pod_key);
        continue;
      }
      auto r = replaced.find(group);
      warn_missing(
          k, kVolcanoGroupAnnotation, pod.namespace_name, e.keys.volcano_group,
          r != replaced.end()
              ? fmt::format("the Volcano PodGroup {} belongs to Volcano Job {}, whose gang has "
                            "only the pods the Job makes (<job>-<task>-<index>)",
                            Quote(pod.namespace_name + "/" + e.keys.volcano_group),
                            Quote(gangs_[r->second].owner_volcano_job))
              : fmt::format("the Volcano PodGroup {} is not in the input",
                            Quote(pod.namespace_name + "/" + e.keys.volcano_group)));
    }
  }

  for (const Missing& m : missing) {
    const KeysEntry& e = keys_[m.entry];
    warnings.push_back(fmt::format(
        "{}: {} {}: {}.annotations.{}: {}; {} placed as if the annotation were absent{}",
        e.origin.file, e.origin.kind, e.origin.object_label, e.origin.metadata_path, m.annotation,
        m.what, e.origin.kind == "Pod" ? "the pod is" : "its pods are",
        m.others == 0 ? std::string()
                      : fmt::format("; {} more pod{} or template{} name{} it too", m.others,
                                    m.others == 1 ? "" : "s", m.others == 1 ? "" : "s",
                                    m.others == 1 ? "s" : "")));
  }

  // Pods that joined a PodGroup leave their Job's gang; a Job none of whose pods is left
  // has no gang of its own.
  if (!joined.empty()) {
    for (PendingGang& p : gangs_) {
      if (p.source != Source::kWorkload) continue;
      bool moved = false;
      for (model::GangMemberSpec& m : p.gang.members) {
        const size_t before = m.pod_names.size();
        std::erase_if(m.pod_names, [&](const std::string& pod) {
          return joined.contains(Key(p.gang.namespace_name, pod));
        });
        if (m.pod_names.size() != before) {
          moved = true;
          if (m.pod_names.empty()) m.name.clear();  // marks the member for removal
        }
      }
      if (!moved) continue;
      std::erase_if(p.gang.members, [](const model::GangMemberSpec& m) { return m.name.empty(); });
      if (p.gang.members.empty()) p.dropped = true;
    }
  }

  // PodGroups whose pods in the input fall short of their minimums cannot start yet (nor
  // can a Volcano Job whose Failed pods are not made again).
  for (const PendingGang& p : gangs_) {
    if (p.dropped || p.source == Source::kWorkload) continue;
    std::vector<std::string> short_of;
    int64_t total = 0;
    for (const model::GangMemberSpec& m : p.gang.members) {
      const auto pods = static_cast<int64_t>(m.pod_names.size());
      total += pods;
      if (m.min_count > pods) {
        short_of.push_back(fmt::format("{} {} needs {}, has {}",
                                       p.source == Source::kKaiPodGroup ? "subgroup" : "task",
                                       Quote(m.name), m.min_count, pods));
      }
    }
    if (p.gang.min_member > total) {
      short_of.insert(short_of.begin(),
                      fmt::format("minMember is {}, {} pod{} join it", p.gang.min_member, total,
                                  total == 1 ? "" : "s"));
    }
    if (short_of.empty()) continue;
    std::string list;
    for (size_t i = 0; i < short_of.size() && i < kMaxListedNames; ++i) {
      if (i > 0) list += "; ";
      list += short_of[i];
    }
    if (short_of.size() > kMaxListedNames) {
      list += fmt::format("; and {} more", short_of.size() - kMaxListedNames);
    }
    warnings.push_back(fmt::format(
        "{}: {} {}/{}: too few pods in the input ({}); it cannot start until more pods join it",
        p.gang.source, p.source == Source::kVolcanoJob ? "Job" : "PodGroup", p.gang.namespace_name,
        p.gang.name, list));
  }

  std::stable_sort(gangs_.begin(), gangs_.end(),
                   [](const PendingGang& a, const PendingGang& b) { return a.order < b.order; });
  model::GangObjects out;
  out.topologies = std::move(topologies_);
  for (PendingGang& p : gangs_) {
    if (!p.dropped) out.gangs.push_back(std::move(p.gang));
  }
  return out;
}

}  // namespace tessera::io::internal
