// Manifest intake. Choices a reviewer should know about (see also the per-kind parsers in
// internal/):
// - Errors stop the load at the first problem; each names file, object and field. Objects
//   whose name is not known yet are named by position: "document 2", "Pod (document 2)",
//   "document 1, items[3]".
// - Lenient where Kubernetes' decoder is strict but the meaning is clear: unknown fields are
//   ignored; a string field accepts any scalar (`gpu: true` reads as "true"). Strict where
//   a wrong type would change the meaning: integers and booleans must be plain scalars.
// - Empty files and empty documents are fine (zero objects). Duplicate mapping keys, alias
//   expansion beyond the node budget and nesting deeper than 100 levels are errors.
// - Duplicate names are reported here (with the document of the first definition); pod ->
//   node and pod -> claim references are checked by SnapshotBuilder::Build.
// - Pods in phase Succeeded or Failed are skipped (kube-scheduler does not count them) and
//   counted in a warning. generateName gets a deterministic suffix (GeneratedName).
// - resource.k8s.io v1alpha3 is read for every DRA kind (with the v1beta1 shape), because
//   upstream examples still use it for ResourceClaimTemplates.
// - Kinds are matched by API group: a Queue is read in scheduling.run.ai (KAI) but kept in
//   scheduling.volcano.sh; a Job is read in batch and (as a Volcano Job) in batch.volcano.sh;
//   a PodGroup in scheduling.run.ai (KAI) and scheduling.volcano.sh but kept in
//   scheduling.k8s.io; a Topology in kueue.x-k8s.io and kai.scheduler. Duplicate names are
//   counted per kind and group (a Kueue and a KAI Topology may share a name).
// - Jobs and JobSets become pods (internal/workloads.h) after every PriorityClass is known;
//   their pods take the place of the Job in PodId order. A Job whose template names a
//   missing PriorityClass is an error, as the Job controller could not create its pods.
//   Volcano Jobs are expanded the same way (internal/gangs.h).
// - Gangs and topologies (LoadedManifests::gangs) are assembled once every pod is known:
//   see internal/gangs.h for which gang a pod joins, and docs/gang-intake.md.
#include "io/manifests.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <istream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "io/internal/common.h"
#include "io/internal/core_objects.h"
#include "io/internal/documents.h"
#include "io/internal/dra_objects.h"
#include "io/internal/fields.h"
#include "io/internal/gangs.h"
#include "io/internal/queue_objects.h"
#include "io/internal/workloads.h"

namespace tessera::io {
namespace {

namespace fs = std::filesystem;
using internal::DraShape;
using internal::Field;
using internal::NameRule;
using internal::ObjectMeta;
using internal::Quote;

// Built-in PriorityClasses every cluster has (scheduling.k8s.io, kube-apiserver).
constexpr std::pair<std::string_view, int32_t> kBuiltinPriorityClasses[] = {
    {"system-cluster-critical", 2'000'000'000},
    {"system-node-critical", 2'000'001'000},
};

enum class Kind {
  kNode,
  kPod,
  kNamespace,
  kPriorityClass,
  kResourceSlice,
  kDeviceClass,
  kResourceClaim,
  kResourceClaimTemplate,
  kDeviceTaintRule,
  kResourceFlavor,
  kClusterQueue,
  kCohort,
  kLocalQueue,
  kWorkloadPriorityClass,
  kKaiQueue,
  kJob,
  kJobSet,
  kKueueTopology,
  kKaiTopology,
  kKaiPodGroup,
  kVolcanoPodGroup,
  kVolcanoJob,
  kKueueWorkload,
};

struct KindInfo {
  std::string_view name;
  Kind kind;
  bool namespaced;
  NameRule name_rule;
  std::vector<std::pair<std::string_view, DraShape>> versions;  // shape only matters for DRA
  // The kind name is read only in the API group of `versions`; objects of the same kind
  // name in other groups (a Volcano Queue, a Volcano batch Job) are kept, not errors.
  bool group_scoped = false;
};

const std::vector<KindInfo>& KnownKinds() {
  static const auto* kinds = [] {
    const std::vector<std::pair<std::string_view, DraShape>> dra = {
        {"resource.k8s.io/v1", DraShape::kV1},
        {"resource.k8s.io/v1beta2", DraShape::kV1},
        {"resource.k8s.io/v1beta1", DraShape::kV1Beta1},
        {"resource.k8s.io/v1alpha3", DraShape::kV1Beta1},
    };
    const std::vector<std::pair<std::string_view, DraShape>> core = {{"v1", DraShape::kV1}};
    const std::vector<std::pair<std::string_view, DraShape>> kueue = {
        {"kueue.x-k8s.io/v1beta2", DraShape::kV1}, {"kueue.x-k8s.io/v1beta1", DraShape::kV1}};
    return new std::vector<KindInfo>{
        {"Node", Kind::kNode, false, NameRule::kDnsSubdomain, core},
        {"Pod", Kind::kPod, true, NameRule::kDnsSubdomain, core},
        {"Namespace", Kind::kNamespace, false, NameRule::kDnsLabel, core},
        {"PriorityClass",
         Kind::kPriorityClass,
         false,
         NameRule::kDnsSubdomain,
         {{"scheduling.k8s.io/v1", DraShape::kV1}}},
        {"ResourceSlice", Kind::kResourceSlice, false, NameRule::kDnsSubdomain, dra},
        {"DeviceClass", Kind::kDeviceClass, false, NameRule::kDnsSubdomain, dra},
        {"ResourceClaim", Kind::kResourceClaim, true, NameRule::kDnsSubdomain, dra},
        {"ResourceClaimTemplate", Kind::kResourceClaimTemplate, true, NameRule::kDnsSubdomain, dra},
        {"DeviceTaintRule",
         Kind::kDeviceTaintRule,
         false,
         NameRule::kDnsSubdomain,
         {{"resource.k8s.io/v1", DraShape::kV1},
          {"resource.k8s.io/v1beta2", DraShape::kV1},
          {"resource.k8s.io/v1alpha3", DraShape::kV1Beta1}}},
        {"ResourceFlavor", Kind::kResourceFlavor, false, NameRule::kDnsSubdomain, kueue, true},
        {"ClusterQueue", Kind::kClusterQueue, false, NameRule::kDnsSubdomain, kueue, true},
        {"Cohort",
         Kind::kCohort,
         false,
         NameRule::kDnsSubdomain,
         {{"kueue.x-k8s.io/v1beta2", DraShape::kV1},
          {"kueue.x-k8s.io/v1beta1", DraShape::kV1},
          {"kueue.x-k8s.io/v1alpha1", DraShape::kV1}},
         true},
        {"LocalQueue", Kind::kLocalQueue, true, NameRule::kDnsSubdomain, kueue, true},
        {"WorkloadPriorityClass", Kind::kWorkloadPriorityClass, false, NameRule::kDnsSubdomain,
         kueue, true},
        {"Workload", Kind::kKueueWorkload, true, NameRule::kDnsSubdomain, kueue, true},
        {"Queue",
         Kind::kKaiQueue,
         false,
         NameRule::kDnsSubdomain,
         {{"scheduling.run.ai/v2", DraShape::kV1}},
         true},
        {"Job", Kind::kJob, true, NameRule::kDnsSubdomain, {{"batch/v1", DraShape::kV1}}, true},
        {"JobSet",
         Kind::kJobSet,
         true,
         NameRule::kDnsSubdomain,
         {{"jobset.x-k8s.io/v1alpha2", DraShape::kV1}},
         true},
        {"Topology",
         Kind::kKueueTopology,
         false,
         NameRule::kDnsSubdomain,
         {{"kueue.x-k8s.io/v1beta2", DraShape::kV1},
          {"kueue.x-k8s.io/v1beta1", DraShape::kV1},
          {"kueue.x-k8s.io/v1alpha1", DraShape::kV1}},
         true},
        {"Topology",
         Kind::kKaiTopology,
         false,
         NameRule::kDnsSubdomain,
         {{"kai.scheduler/v1alpha1", DraShape::kV1}},
         true},
        {"PodGroup",
         Kind::kKaiPodGroup,
         true,
         NameRule::kDnsSubdomain,
         {{"scheduling.run.ai/v2alpha2", DraShape::kV1}},
         true},
        {"PodGroup",
         Kind::kVolcanoPodGroup,
         true,
         NameRule::kDnsSubdomain,
         {{"scheduling.volcano.sh/v1beta1", DraShape::kV1}},
         true},
        {"Job",
         Kind::kVolcanoJob,
         true,
         NameRule::kDnsSubdomain,
         {{"batch.volcano.sh/v1alpha1", DraShape::kV1}},
         true},
    };
  }();
  return *kinds;
}

// "batch" for "batch/v1", "" for "v1".
std::string_view GroupOf(std::string_view api_version) {
  const size_t slash = api_version.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : api_version.substr(0, slash);
}

// The kind read for `kind` in `api_version`'s group; nullptr for kinds that are kept.
const KindInfo* FindKind(std::string_view kind, std::string_view api_version) {
  const KindInfo* by_name = nullptr;
  for (const KindInfo& k : KnownKinds()) {
    if (k.name != kind) continue;
    for (const auto& [v, shape] : k.versions) {
      if (GroupOf(v) == GroupOf(api_version)) return &k;
    }
    if (!k.group_scoped) by_name = &k;
  }
  return by_name;
}

internal::KueueVersion KueueVersionOf(std::string_view api_version) {
  if (api_version.ends_with("/v1alpha1")) return internal::KueueVersion::kV1Alpha1;
  if (api_version.ends_with("/v1beta1")) return internal::KueueVersion::kV1Beta1;
  return internal::KueueVersion::kV1Beta2;
}

std::string ObjectLabel(const KindInfo& info, const ObjectMeta& meta) {
  std::string name = meta.name.empty() ? meta.generate_name : meta.name;
  return info.namespaced ? meta.namespace_name + "/" + name : name;
}

bool HasExtension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// Reads at most max_bytes + 1 bytes of `in` into `out`; true if it stopped early.
bool ReadBounded(std::istream& in, size_t max_bytes, std::string& out) {
  out.clear();
  char buffer[64 * 1024];
  while (in) {
    in.read(buffer, sizeof buffer);
    const auto got = static_cast<size_t>(in.gcount());
    out.append(buffer, got);
    if (out.size() > max_bytes) return true;
  }
  return false;
}

Error TooLarge(std::string_view file, size_t max_bytes) {
  return InvalidArgument(fmt::format("file is larger than the limit of {} bytes "
                                     "(LoadOptions::max_file_bytes)",
                                     max_bytes))
      .WithFile(file);
}

// Where an object was defined, for "first defined in" messages.
std::string DefinedAt(std::string_view file, std::string_view document) {
  return fmt::format("{}, {}", file, document);
}

struct PendingPod {
  internal::PodIntake intake;
  std::string object_label;  // "ns/name" (or "ns/generateName")
  std::string defined_at;
  YAML::Node object;
  internal::QueueLabels queue;                            // a queued Pod becomes a Workload
  std::optional<model::PodSetSpec> topology;              // its topology annotations, when queued
  uint32_t gang_keys = internal::GangAssembler::kNoKeys;  // PodGroup annotations and labels
};

// A Job, JobSet or Volcano Job, expanded into pods once every name and PriorityClass is known.
struct PendingWorkload {
  internal::WorkloadIntake intake;  // Jobs and JobSets
  size_t position = 0;  // its pods go before pending_pods_[position], keeping input order
  std::string kind;     // "Job" or "JobSet", for errors
  std::string object_label;
  std::string file;
  size_t order = 0;                // the object's position in the input, for gang order
  std::string exclusive_topology;  // JobSet alpha.jobset.sigs.k8s.io/exclusive-topology
  std::optional<internal::VolcanoJobIntake> volcano;  // set for a Volcano Job (intake unused)
  std::optional<model::JobSetLifecycleSpec> jobset_lifecycle;  // JobSets: their policies
  // A JobSet using the node-selector strategy of exclusive placement (exclusive_topology is
  // then empty: the pods' nodeSelector does it; internal::ParseNodeSelectorStrategy).
  bool node_selector_strategy = false;
};

// A Workload object, matched to its Job, JobSet or Pod once every object is read.
struct WorkloadObjectEntry {
  internal::WorkloadObjectIntake intake;
  std::string object_label;
  std::string file;
};

struct PriorityClassEntry {
  int32_t value = 0;
  bool global_default = false;
  std::string source;  // empty for built-ins
};

class Loader {
 public:
  explicit Loader(const LoadOptions& options) : options_(options) {
    for (const auto& [name, value] : kBuiltinPriorityClasses) {
      priority_classes_.emplace(std::string(name), PriorityClassEntry{value, false, ""});
    }
  }

  Status LoadPath(const std::string& path) {
    if (path == "-") {
      std::istream& in = options_.stdin_stream != nullptr ? *options_.stdin_stream : std::cin;
      std::string text;
      if (ReadBounded(in, options_.max_file_bytes, text)) {
        return TooLarge(path, options_.max_file_bytes);
      }
      if (in.bad()) return IoError("cannot read standard input").WithFile(path);
      return LoadText(path, text, FileFormat::kSniff);
    }
    std::error_code ec;
    const fs::path p(path);
    const fs::file_status status = fs::status(p, ec);
    if (ec || !fs::exists(status)) {
      return NotFound("no such file or directory").WithFile(path);
    }
    if (fs::is_directory(status)) {
      std::vector<std::string> files;
      fs::recursive_directory_iterator it(p, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        std::error_code entry_ec;
        if (it->is_regular_file(entry_ec) && HasExtension(it->path())) {
          files.push_back(it->path().generic_string());
        }
      }
      if (ec)
        return IoError(fmt::format("cannot list the folder: {}", ec.message())).WithFile(path);
      std::sort(files.begin(), files.end());
      for (const std::string& file : files) TESSERA_RETURN_IF_ERROR(LoadFile(file));
      return OkStatus();
    }
    return LoadFile(path);
  }

  Result<LoadedManifests> Finish() && {
    TESSERA_RETURN_IF_ERROR(internal::CheckKaiQueueParents(queues_.kai_queues));
    TESSERA_RETURN_IF_ERROR(ResolvePods());
    TESSERA_RETURN_IF_ERROR(AttachWorkloadObjects());
    AddImplicitNamespaces();
    auto snapshot = std::move(builder_).Build();
    if (!snapshot.ok()) return std::move(snapshot).error();
    auto gangs = std::move(gangs_).Finish(*snapshot, extra_warnings_);
    if (!gangs.ok()) return std::move(gangs).error();
    return Assemble(std::move(*snapshot), std::move(*gangs));
  }

 private:
  enum class FileFormat { kYaml, kJson, kSniff };

  // LoadedManifests has no default constructor (Snapshot has none public), so the pieces
  // are kept here until the snapshot exists.
  Result<LoadedManifests> Assemble(model::Snapshot snapshot, model::GangObjects gangs) {
    LoadedManifests out{std::move(snapshot),
                        std::move(pod_objects_),
                        std::move(kept_),
                        {},
                        num_files_,
                        num_objects_,
                        std::move(claim_objects_),
                        std::move(queues_),
                        std::move(gangs)};
    if (!kept_counts_.empty()) {
      size_t total = 0;
      std::string list;
      for (const auto& [key, count] : kept_counts_) {
        total += count;
        if (!list.empty()) list += ", ";
        list += fmt::format("{} ({}) x{}", key.first, key.second, count);
      }
      out.warnings.push_back(
          fmt::format("ignored {} object{} of kinds the engine does not use yet: {}", total,
                      total == 1 ? "" : "s", list));
    }
    if (skipped_terminal_pods_ > 0) {
      out.warnings.push_back(
          fmt::format("skipped {} pod{} in phase Succeeded or Failed: they hold no resources",
                      skipped_terminal_pods_, skipped_terminal_pods_ == 1 ? "" : "s"));
    }
    for (std::string& w : extra_warnings_) out.warnings.push_back(std::move(w));
    return out;
  }

  Status LoadFile(const std::string& file) {
    std::error_code ec;
    const uintmax_t size = fs::file_size(file, ec);
    if (!ec && size > options_.max_file_bytes) return TooLarge(file, options_.max_file_bytes);
    std::ifstream in(file, std::ios::binary);
    if (!in) return IoError("cannot open the file").WithFile(file);
    std::string text;
    if (ReadBounded(in, options_.max_file_bytes, text)) {
      return TooLarge(file, options_.max_file_bytes);
    }
    if (in.bad()) return IoError("cannot read the file").WithFile(file);
    const bool json = fs::path(file).extension() == ".json";
    return LoadText(file, text, json ? FileFormat::kJson : FileFormat::kYaml);
  }

  Status LoadText(const std::string& file, const std::string& text, FileFormat format) {
    ++num_files_;
    if (auto line = internal::FindTemplateLine(text)) {
      return InvalidArgument(
                 fmt::format("line {}: looks like a Helm template (\"{{{{ ... }}}}\"); render it "
                             "first (e.g. with helm template) and load the output",
                             *line))
          .WithFile(file);
    }
    Result<std::vector<internal::RawDocument>> docs = std::vector<internal::RawDocument>();
    if (format == FileFormat::kJson) {
      docs = internal::ParseJson(text);
    } else if (format == FileFormat::kYaml) {
      docs = internal::ParseYamlStream(text);
    } else {
      // Standard input: `kubectl get -o json` output starts with '{'; anything else is YAML.
      const size_t first = text.find_first_not_of(" \t\r\n");
      if (first != std::string::npos && text[first] == '{') {
        docs = internal::ParseJson(text);
        if (!docs.ok()) {
          // Several JSON objects in a row, or YAML flow style: let the YAML reader try.
          auto yaml = internal::ParseYamlStream(text);
          if (yaml.ok()) docs = std::move(yaml);
        }
      } else {
        docs = internal::ParseYamlStream(text);
      }
    }
    if (!docs.ok()) return std::move(docs).error().WithFile(file);
    const size_t budget = internal::kBaseNodeVisitBudget + text.size();
    for (const internal::RawDocument& doc : *docs) {
      const std::string label = fmt::format("document {}", doc.index);
      // Empty documents ("---" with nothing after it) are skipped, as kubectl does.
      if (!doc.root.IsDefined() || doc.root.IsNull()) continue;
      Status bounded = internal::CheckDocumentBounds(doc.root, budget);
      if (!bounded.ok()) return std::move(bounded).error().WithObject(label, "").WithFile(file);
      Status loaded = LoadDocument(file, label, Field(doc.root, ""), /*in_list=*/false, {});
      if (!loaded.ok()) return std::move(loaded).error().WithFile(file);
    }
    return OkStatus();
  }

  // Routes one object. `label` names it while its kind/name are unknown ("document 2",
  // "document 1, items[3]"). Inside a typed list (PodList) `default_kind` holds the item
  // kind and apiVersion, which the API server leaves out of items.
  Status LoadDocument(const std::string& file, const std::string& label, const Field& object,
                      bool in_list, std::pair<std::string, std::string> default_kind) {
    auto fail = [&label](Error e) { return std::move(e.WithObject(label, "")); };
    if (!object.is_map()) {
      return fail(InvalidArgument(fmt::format("must be a mapping (a Kubernetes object), got {}",
                                              internal::Describe(object.node()))));
    }
    auto api_version = object.GetString("apiVersion");
    if (!api_version.ok()) return fail(std::move(api_version).error());
    auto kind = object.GetString("kind");
    if (!kind.ok()) return fail(std::move(kind).error());
    if (!kind->has_value() && !default_kind.first.empty()) *kind = default_kind.first;
    if (!api_version->has_value() && !default_kind.second.empty()) {
      *api_version = default_kind.second;
    }
    if (!api_version->has_value() && !kind->has_value()) {
      return fail(InvalidArgument("not a Kubernetes object: apiVersion and kind are missing"));
    }
    if (!kind->has_value() || (*kind)->empty()) {
      return fail(object.Get("kind").Fail("required field is missing"));
    }
    if (!api_version->has_value() || (*api_version)->empty()) {
      return fail(object.Get("apiVersion").Fail("required field is missing"));
    }
    const std::string& kind_name = **kind;
    const std::string& version = **api_version;

    // Lists: "v1 List" with typed items, or "<Kind>List" of a kind we read.
    if (kind_name == "List" ||
        (kind_name.ends_with("List") &&
         FindKind(std::string_view(kind_name).substr(0, kind_name.size() - 4), version) !=
             nullptr)) {
      if (in_list) return fail(InvalidArgument("a List inside a List is not supported"));
      std::pair<std::string, std::string> item_kind;
      if (kind_name == "List") {
        if (version != "v1") return fail(UnknownVersion(object, kind_name, version, {"v1"}));
      } else {
        const KindInfo* info = FindKind(kind_name.substr(0, kind_name.size() - 4), version);
        auto shape = CheckVersion(*info, object, version);
        if (!shape.ok()) return fail(std::move(shape).error());
        item_kind = {std::string(info->name), version};
      }
      auto items_field = object.GetList("items");
      if (!items_field.ok()) return fail(std::move(items_field).error());
      auto items = items_field->Items();
      if (!items.ok()) return fail(std::move(items).error());
      for (const Field& item : *items) {
        const std::string item_label = fmt::format("{}, {}", label, item.path());
        TESSERA_RETURN_IF_ERROR(
            LoadDocument(file, item_label, Field(item.node(), ""), /*in_list=*/true, item_kind));
      }
      return OkStatus();
    }

    ++num_objects_;
    // Kueue's Configuration (the controller's config file) has no metadata; only its
    // resources.deviceClassMappings (DRA device quota) and fairSharing are read.
    if (kind_name == "Configuration" && (version == "config.kueue.x-k8s.io/v1beta1" ||
                                         version == "config.kueue.x-k8s.io/v1beta2")) {
      auto mappings = internal::ParseKueueConfiguration(object, file);
      if (!mappings.ok()) {
        return fail(std::move(mappings).error().WithObject("Configuration", label));
      }
      auto fair_sharing = internal::ParseKueueFairSharing(
          object, version == "config.kueue.x-k8s.io/v1beta2", file);
      if (!fair_sharing.ok()) {
        return fail(std::move(fair_sharing).error().WithObject("Configuration", label));
      }
      if (fair_sharing->has_value()) queues_.kueue_fair_sharing = std::move(**fair_sharing);
      auto admission_fair_sharing = internal::ParseAdmissionFairSharing(object, file);
      if (!admission_fair_sharing.ok()) {
        return fail(std::move(admission_fair_sharing).error().WithObject("Configuration", label));
      }
      if (admission_fair_sharing->has_value()) {
        queues_.admission_fair_sharing = std::move(**admission_fair_sharing);
      }
      queues_.has_kueue_configuration = true;
      for (model::DeviceClassMappingSpec& m : *mappings) {
        queues_.device_class_mappings.push_back(std::move(m));
      }
      return OkStatus();
    }
    const KindInfo* info = FindKind(kind_name, version);
    if (info == nullptr) {
      Keep(file, version, kind_name, object);
      return OkStatus();
    }
    const std::string unnamed = fmt::format("({})", label);
    auto shape = CheckVersion(*info, object, version);
    if (!shape.ok()) {
      return std::move(shape).error().WithObject(info->name,
                                                 BestEffortName(*info, object, unnamed));
    }

    auto meta =
        internal::ParseMetadata(object, info->namespaced, info->name_rule,
                                /*allow_generate_name=*/info->kind == Kind::kPod ||
                                    info->kind == Kind::kJob || info->kind == Kind::kJobSet);
    if (!meta.ok()) {
      return std::move(meta).error().WithObject(info->name, BestEffortName(*info, object, unnamed));
    }
    const std::string object_label = ObjectLabel(*info, *meta);
    const std::string defined_at = DefinedAt(file, label);
    Status parsed =
        LoadKnown(*info, *shape, version, file, defined_at, object_label, object, std::move(*meta));
    if (!parsed.ok()) return std::move(parsed).error().WithObject(info->name, object_label);
    return OkStatus();
  }

  // "ns/name" when metadata names the object validly, else `fallback`; for errors found
  // before the metadata is read.
  static std::string BestEffortName(const KindInfo& info, const Field& object,
                                    const std::string& fallback) {
    Field metadata = object.Get("metadata");
    Field name = metadata.Get("name");
    if (!name.is_scalar() ||
        !internal::CheckObjectName(name, name.node().Scalar(), info.name_rule).ok()) {
      return fallback;
    }
    if (!info.namespaced) return name.node().Scalar();
    Field ns = metadata.Get("namespace");
    std::string ns_name = "default";
    if (ns.is_scalar() && !ns.node().Scalar().empty()) ns_name = ns.node().Scalar();
    if (!internal::CheckObjectName(ns, ns_name, NameRule::kDnsLabel).ok()) return fallback;
    return ns_name + "/" + name.node().Scalar();
  }

  Error UnknownVersion(const Field& object, std::string_view kind, std::string_view version,
                       const std::vector<std::string_view>& known) {
    std::string list;
    for (std::string_view v : known) {
      if (!list.empty()) list += ", ";
      list += v;
    }
    return object.Get("apiVersion")
        .Fail(fmt::format("unknown apiVersion {} for kind {}; known: {}", Quote(version), kind,
                          list));
  }

  Result<DraShape> CheckVersion(const KindInfo& info, const Field& object,
                                std::string_view version) {
    std::vector<std::string_view> known;
    for (const auto& [v, shape] : info.versions) {
      if (v == version) return shape;
      known.push_back(v);
    }
    return UnknownVersion(object, info.name, version, known);
  }

  void Keep(const std::string& file, const std::string& version, const std::string& kind,
            const Field& object) {
    KeptObject kept;
    kept.file = file;
    kept.api_version = version;
    kept.kind = kind;
    // Kinds we do not read are not validated; take the name if it is where it should be.
    Field metadata = object.Get("metadata");
    if (metadata.Get("name").is_scalar()) kept.name = metadata.Get("name").node().Scalar();
    if (metadata.Get("namespace").is_scalar()) {
      kept.namespace_name = metadata.Get("namespace").node().Scalar();
    }
    kept.object = object.node();
    kept_.push_back(std::move(kept));
    ++kept_counts_[{kind, version}];
  }

  // Records `key` for `kind` (in `group`); an AlreadyExists error if it was seen before.
  Status CheckUnique(std::string_view kind, std::string_view group, const std::string& key,
                     const std::string& at) {
    auto [it, inserted] = seen_.emplace(std::pair(fmt::format("{} {}", kind, group), key), at);
    if (inserted) return OkStatus();
    return AlreadyExists(
               fmt::format("duplicate {} \"{}\" (first defined in {})", kind, key, it->second))
        .UnderField("metadata.name");
  }

  Status LoadKnown(const KindInfo& info, DraShape shape, const std::string& version,
                   const std::string& file, const std::string& defined_at,
                   const std::string& object_label, const Field& object, ObjectMeta meta) {
    const bool generated = meta.name.empty();  // generateName (Pods, Jobs, JobSets)
    if (!generated) {
      TESSERA_RETURN_IF_ERROR(CheckUnique(info.name, GroupOf(version), object_label, defined_at));
    }
    switch (info.kind) {
      case Kind::kNode: {
        TESSERA_ASSIGN_OR_RETURN(model::NodeSpec node,
                                 internal::ParseNode(object, std::move(meta)));
        node.source = file;
        builder_.AddNode(std::move(node));
        return OkStatus();
      }
      case Kind::kPod: {
        TESSERA_ASSIGN_OR_RETURN(internal::PodIntake pod,
                                 internal::ParsePod(object, std::move(meta)));
        pod.spec.source = file;
        PendingPod pending{std::move(pod), object_label, defined_at, object.node(), {}, {}};
        pending.queue = internal::ReadQueueLabels(pending.intake.spec.labels);
        TESSERA_ASSIGN_OR_RETURN(internal::GangKeys keys,
                                 internal::ReadGangKeys(object.Get("metadata").Get("annotations"),
                                                        pending.intake.spec.labels));
        pending.gang_keys =
            gangs_.AddKeys(std::move(keys), {file, "Pod", object_label, "metadata"});
        if (pending.queue.queued()) {
          model::PodSetSpec topology;
          TESSERA_RETURN_IF_ERROR(internal::ParseTopologyAnnotations(
              object.Get("metadata").Get("annotations"), topology));
          if (!topology.group_name.empty()) {
            return object.Get("metadata")
                .Get("annotations")
                .Get("kueue.x-k8s.io/podset-group-name")
                .Fail("a group of PodSets needs at least 2, and a queued Pod is one PodSet");
          }
          pending.topology = std::move(topology);
        }
        pending_pods_.push_back(std::move(pending));
        return OkStatus();
      }
      case Kind::kNamespace: {
        TESSERA_ASSIGN_OR_RETURN(model::NamespaceSpec ns,
                                 internal::ParseNamespace(std::move(meta)));
        ns.source = file;
        queues_.namespaces.push_back(std::move(ns));
        return OkStatus();
      }
      case Kind::kResourceFlavor: {
        TESSERA_ASSIGN_OR_RETURN(model::ResourceFlavorSpec flavor,
                                 internal::ParseResourceFlavor(object, std::move(meta)));
        flavor.source = file;
        queues_.flavors.push_back(std::move(flavor));
        return OkStatus();
      }
      case Kind::kClusterQueue: {
        TESSERA_ASSIGN_OR_RETURN(
            model::ClusterQueueSpec cq,
            internal::ParseClusterQueue(object, std::move(meta), KueueVersionOf(version)));
        cq.source = file;
        if (!cq.namespace_selector) {
          // Kueue reads a missing selector as "no namespace": a common slip.
          extra_warnings_.push_back(
              fmt::format("{}: ClusterQueue {}: spec.namespaceSelector is not set, so the queue "
                          "admits workloads from no namespace (set it to {{}} for all)",
                          file, object_label));
        }
        queues_.cluster_queues.push_back(std::move(cq));
        return OkStatus();
      }
      case Kind::kCohort: {
        TESSERA_ASSIGN_OR_RETURN(
            model::CohortSpec cohort,
            internal::ParseCohort(object, std::move(meta), KueueVersionOf(version)));
        cohort.source = file;
        queues_.cohorts.push_back(std::move(cohort));
        return OkStatus();
      }
      case Kind::kLocalQueue: {
        TESSERA_ASSIGN_OR_RETURN(model::LocalQueueSpec lq,
                                 internal::ParseLocalQueue(object, std::move(meta)));
        lq.source = file;
        queues_.local_queues.push_back(std::move(lq));
        return OkStatus();
      }
      case Kind::kKueueWorkload: {
        TESSERA_ASSIGN_OR_RETURN(internal::WorkloadObjectIntake w,
                                 internal::ParseWorkloadObject(object, std::move(meta)));
        if (w.admission) w.admission->source = file;
        workload_objects_.push_back({std::move(w), object_label, file});
        return OkStatus();
      }
      case Kind::kWorkloadPriorityClass: {
        TESSERA_ASSIGN_OR_RETURN(model::WorkloadPriorityClassSpec wpc,
                                 internal::ParseWorkloadPriorityClass(object, std::move(meta)));
        wpc.source = file;
        queues_.workload_priority_classes.push_back(std::move(wpc));
        return OkStatus();
      }
      case Kind::kKaiQueue: {
        TESSERA_ASSIGN_OR_RETURN(model::KaiQueueSpec queue,
                                 internal::ParseKaiQueue(object, std::move(meta)));
        queue.source = file;
        queues_.kai_queues.push_back(std::move(queue));
        return OkStatus();
      }
      case Kind::kJob:
      case Kind::kJobSet: {
        std::string exclusive_topology;
        if (info.kind == Kind::kJobSet) {
          TESSERA_ASSIGN_OR_RETURN(exclusive_topology, internal::ParseExclusiveTopology(object));
        }
        TESSERA_ASSIGN_OR_RETURN(
            internal::WorkloadIntake w,
            info.kind == Kind::kJob
                ? internal::ParseJob(object, std::move(meta), expanded_pods_)
                : internal::ParseJobSet(object, std::move(meta), expanded_pods_));
        expanded_pods_ += w.num_pods;
        pending_workloads_.push_back({std::move(w), pending_pods_.size(), std::string(info.name),
                                      object_label, file, num_objects_,
                                      std::move(exclusive_topology), std::nullopt});
        if (info.kind == Kind::kJobSet) {
          PendingWorkload& pw = pending_workloads_.back();
          TESSERA_ASSIGN_OR_RETURN(pw.jobset_lifecycle, internal::ParseJobSetLifecycle(object));
          TESSERA_ASSIGN_OR_RETURN(
              pw.node_selector_strategy,
              internal::ParseNodeSelectorStrategy(object, !pw.exclusive_topology.empty()));
          if (pw.node_selector_strategy) pw.exclusive_topology.clear();
        }
        return OkStatus();
      }
      case Kind::kVolcanoJob: {
        TESSERA_ASSIGN_OR_RETURN(
            internal::VolcanoJobIntake job,
            internal::ParseVolcanoJob(object, std::move(meta), expanded_pods_));
        expanded_pods_ += job.num_pods;
        AddWarnings(file, info, object_label, job.warnings);
        pending_workloads_.push_back({{},
                                      pending_pods_.size(),
                                      std::string(info.name),
                                      object_label,
                                      file,
                                      num_objects_,
                                      "",
                                      std::move(job)});
        return OkStatus();
      }
      case Kind::kKueueTopology:
      case Kind::kKaiTopology: {
        TESSERA_ASSIGN_OR_RETURN(
            model::TopologySpec topology,
            internal::ParseTopology(object, std::move(meta), GroupOf(version)));
        topology.source = file;
        gangs_.AddTopology(std::move(topology));
        return OkStatus();
      }
      case Kind::kKaiPodGroup:
      case Kind::kVolcanoPodGroup: {
        const bool kai = info.kind == Kind::kKaiPodGroup;
        TESSERA_ASSIGN_OR_RETURN(internal::PodGroupIntake pg,
                                 kai ? internal::ParseKaiPodGroup(object, std::move(meta))
                                     : internal::ParseVolcanoPodGroup(object, std::move(meta)));
        AddWarnings(file, info, object_label, pg.warnings);
        pg.gang.source = file;
        if (kai) {
          gangs_.AddKaiPodGroup(std::move(pg), num_objects_);
        } else {
          gangs_.AddVolcanoPodGroup(std::move(pg), num_objects_);
        }
        return OkStatus();
      }
      case Kind::kPriorityClass: {
        TESSERA_ASSIGN_OR_RETURN(internal::PriorityClassIntake pc,
                                 internal::ParsePriorityClass(object, std::move(meta)));
        return AddPriorityClass(std::move(pc), defined_at, object);
      }
      case Kind::kResourceSlice: {
        TESSERA_ASSIGN_OR_RETURN(model::ResourceSliceSpec slice,
                                 internal::ParseResourceSlice(object, std::move(meta), shape));
        slice.source = file;
        builder_.AddResourceSlice(std::move(slice));
        return OkStatus();
      }
      case Kind::kDeviceClass: {
        TESSERA_ASSIGN_OR_RETURN(model::DeviceClassSpec dc,
                                 internal::ParseDeviceClass(object, std::move(meta)));
        dc.source = file;
        builder_.AddDeviceClass(std::move(dc));
        return OkStatus();
      }
      case Kind::kResourceClaim:
      case Kind::kResourceClaimTemplate: {
        TESSERA_ASSIGN_OR_RETURN(
            model::ResourceClaimSpec claim,
            internal::ParseResourceClaim(object, std::move(meta), shape,
                                         info.kind == Kind::kResourceClaimTemplate));
        claim.source = file;
        claim_names_.emplace(claim.is_template, claim.namespace_name, claim.name);
        builder_.AddResourceClaim(std::move(claim));
        claim_objects_.push_back(object.node());
        return OkStatus();
      }
      case Kind::kDeviceTaintRule: {
        TESSERA_ASSIGN_OR_RETURN(internal::DeviceTaintRuleIntake rule,
                                 internal::ParseDeviceTaintRule(object, std::move(meta)));
        if (!rule.rule) {
          extra_warnings_.push_back(fmt::format("{}: DeviceTaintRule {}: ignored because {}", file,
                                                object_label, rule.ignored_because));
          return OkStatus();
        }
        rule.rule->source = file;
        builder_.AddDeviceTaintRule(std::move(*rule.rule));
        return OkStatus();
      }
    }
    return OkStatus();
  }

  // Warnings of a parser ("<field>: <message>") as "<file>: <Kind> <object>: ...".
  void AddWarnings(const std::string& file, const KindInfo& info, const std::string& object_label,
                   const std::vector<std::string>& warnings) {
    for (const std::string& w : warnings) {
      extra_warnings_.push_back(fmt::format("{}: {} {}: {}", file, info.name, object_label, w));
    }
  }

  Status AddPriorityClass(internal::PriorityClassIntake pc, const std::string& defined_at,
                          const Field& object) {
    auto it = priority_classes_.find(pc.name);
    if (it != priority_classes_.end()) {
      // Only a built-in can be here (CheckUnique caught repeats): `kubectl get -o yaml` of a
      // live cluster lists them; accept them when they agree.
      if (it->second.value != pc.value) {
        return object.Get("value").Fail(
            fmt::format("the built-in PriorityClass {} has value {}, got {}", Quote(pc.name),
                        it->second.value, pc.value));
      }
    }
    if (pc.global_default) {
      for (const auto& [name, entry] : priority_classes_) {
        if (entry.global_default && name != pc.name) {
          return object.Get("globalDefault")
              .Fail(fmt::format("only one PriorityClass may be the global default; {} already "
                                "is ({})",
                                Quote(name), entry.source));
        }
      }
    }
    priority_classes_[pc.name] = PriorityClassEntry{pc.value, pc.global_default, defined_at};
    return OkStatus();
  }

  // Pod priority: the value of spec.priorityClassName's class (an unknown class is an
  // error, as admission would reject the pod); without a class, spec.priority if given
  // (a pod exported from a cluster carries both), else the globalDefault class, else 0.
  Result<int32_t> ResolvePriority(const internal::PodIntake& pod) {
    if (!pod.priority_class_name.empty()) {
      auto it = priority_classes_.find(pod.priority_class_name);
      if (it == priority_classes_.end()) {
        return NotFound(
                   fmt::format("PriorityClass {} does not exist", Quote(pod.priority_class_name)))
            .UnderField("spec.priorityClassName");
      }
      return it->second.value;
    }
    if (pod.spec_priority) return *pod.spec_priority;
    for (const auto& [name, entry] : priority_classes_) {
      if (entry.global_default) return entry.value;
    }
    return 0;
  }

  // Names the Jobs and JobSets written with generateName, as GeneratedName does for Pods:
  // a per-kind counter, skipping names given explicitly in the same namespace.
  void NameWorkloads() {
    std::set<std::tuple<std::string, std::string, std::string>> taken;  // (kind, ns, name)
    for (const PendingWorkload& w : pending_workloads_) {
      if (!w.intake.name.empty()) taken.emplace(w.kind, w.intake.namespace_name, w.intake.name);
    }
    std::map<std::string, uint64_t, std::less<>> counters;
    for (PendingWorkload& w : pending_workloads_) {
      if (w.volcano || !w.intake.name.empty()) continue;  // Volcano Jobs need a name
      uint64_t& counter = counters[w.kind];
      do {
        w.intake.name = internal::GeneratedName(w.intake.generate_name, counter++);
      } while (!taken.emplace(w.kind, w.intake.namespace_name, w.intake.name).second);
    }
  }

  // The priority of a workload from the kueue.x-k8s.io/priority-class label (a
  // WorkloadPriorityClass, which must exist), else `fallback`: {class name, value}.
  Result<std::pair<std::string, int32_t>> WorkloadPriority(
      const internal::QueueLabels& queue, std::pair<std::string, int32_t> fallback) {
    if (queue.workload_priority_class.empty()) return fallback;
    for (const model::WorkloadPriorityClassSpec& wpc : queues_.workload_priority_classes) {
      if (wpc.name == queue.workload_priority_class) {
        return std::pair<std::string, int32_t>(wpc.name, wpc.value);
      }
    }
    return NotFound(fmt::format("WorkloadPriorityClass {} does not exist",
                                Quote(queue.workload_priority_class)))
        .UnderField(std::string("metadata.labels.") + internal::kWorkloadPriorityClassLabel);
  }

  // Claim references are checked here, not only by SnapshotBuilder::Build, so that the
  // error names the workload's template rather than its first pod.
  Status CheckTemplateClaims(const internal::PodTemplateIntake& tmpl,
                             const std::string& namespace_name) {
    const auto& claims = tmpl.pod.spec.claims;
    for (size_t i = 0; i < claims.size(); ++i) {
      const bool is_template = claims[i].resource_claim_name.empty();
      const std::string& name =
          is_template ? claims[i].resource_claim_template_name : claims[i].resource_claim_name;
      if (claim_names_.contains({is_template, namespace_name, name})) continue;
      return NotFound(fmt::format("{} \"{}/{}\" does not exist",
                                  is_template ? "ResourceClaimTemplate" : "ResourceClaim",
                                  namespace_name, name))
          .UnderField(fmt::format("{}.spec.resourceClaims[{}].{}", tmpl.path, i,
                                  is_template ? "resourceClaimTemplateName" : "resourceClaimName"));
    }
    return OkStatus();
  }

  // Expands one Job or JobSet into pods (added to the snapshot and pod_objects_), its gang
  // and, when it is queued, a Workload.
  Status ExpandPending(const PendingWorkload& pw) {
    auto fail = [&pw](Error e) {
      return std::move(e.WithObject(pw.kind, pw.object_label).WithFile(pw.file));
    };
    if (pw.volcano) return ExpandVolcano(pw, *pw.volcano);
    const internal::WorkloadIntake& w = pw.intake;
    for (const internal::PodSetIntake& ps : w.pod_sets) {
      Status claims = CheckTemplateClaims(ps.tmpl, w.namespace_name);
      if (!claims.ok()) return fail(std::move(claims).error());
    }
    std::vector<int32_t> priorities;
    std::pair<std::string, int32_t> template_priority;  // of the first PodSet naming a class
    bool have_class = false;
    // The PodGroup annotations and labels of each PodSet's template, for the gang assembler.
    std::vector<uint32_t> gang_keys;
    for (const internal::PodSetIntake& ps : w.pod_sets) {
      auto priority = ResolvePriority(ps.tmpl.pod);
      if (!priority.ok()) return fail(std::move(priority).error().UnderField(ps.tmpl.path));
      priorities.push_back(*priority);
      if (!have_class && !ps.tmpl.pod.priority_class_name.empty()) {
        template_priority = {ps.tmpl.pod.priority_class_name, *priority};
        have_class = true;
      }
      const std::string metadata = ps.tmpl.path + ".metadata";
      auto keys = internal::ReadGangKeys(Field(ps.tmpl.annotations, metadata + ".annotations"),
                                         ps.tmpl.labels);
      if (!keys.ok()) return fail(std::move(keys).error());
      gang_keys.push_back(
          gangs_.AddKeys(std::move(*keys), {pw.file, pw.kind, pw.object_label, metadata}));
    }
    if (!have_class && !priorities.empty()) template_priority.second = priorities[0];
    auto existing = [this, &w](const std::string& job) {
      auto it = job_pods_.find({w.namespace_name, job});
      return it == job_pods_.end() ? std::vector<internal::ExistingJobPod>() : it->second;
    };
    internal::NodeSelectorStrategy node_selector;
    auto pod_sets = internal::ExpandWorkload(
        w, priorities, pw.file, existing,
        [this, &gang_keys, &pw, &node_selector](size_t set, model::PodSpec pod,
                                                 YAML::Node object) {
          if (pw.node_selector_strategy) {
            for (const auto& [key, value] : pod.labels) {
              if (key != "batch.kubernetes.io/job-name") continue;
              node_selector.Apply(value, pod, object);
              break;
            }
          }
          pod_objects_.push_back(std::move(object));
          builder_.AddPod(std::move(pod));
          gangs_.AddPod(gang_keys[set]);
        });
    if (!pod_sets.ok()) return fail(std::move(pod_sets).error());
    model::GangSpec gang = internal::NewWorkloadGang(w, *pod_sets, pw.exclusive_topology);
    gang.source = pw.file;
    gang.jobset = pw.jobset_lifecycle;
    gangs_.AddWorkloadGang(std::move(gang), pw.order);
    if (!w.queue.queued()) return OkStatus();
    auto priority = WorkloadPriority(w.queue, template_priority);
    if (!priority.ok()) return fail(std::move(priority).error());
    model::WorkloadSpec spec = internal::NewWorkloadSpec(w, std::move(*pod_sets));
    spec.source = pw.file;
    spec.priority_class_name = std::move(priority->first);
    spec.priority = priority->second;
    queues_.workloads.push_back(std::move(spec));
    return OkStatus();
  }

  // Expands a Volcano Job into pods (added to the snapshot and pod_objects_) and its gang.
  Status ExpandVolcano(const PendingWorkload& pw, const internal::VolcanoJobIntake& job) {
    auto fail = [&pw](Error e) {
      return std::move(e.WithObject(pw.kind, pw.object_label).WithFile(pw.file));
    };
    std::vector<int32_t> priorities;
    for (const internal::VolcanoTaskIntake& task : job.tasks) {
      Status claims = CheckTemplateClaims(task.tmpl, job.namespace_name);
      if (!claims.ok()) return fail(std::move(claims).error());
      auto priority = ResolvePriority(task.tmpl.pod);
      if (!priority.ok()) return fail(std::move(priority).error().UnderField(task.tmpl.path));
      priorities.push_back(*priority);
    }
    auto existing = [this, &job](const std::string& name) {
      auto it = input_pods_.find({job.namespace_name, name});
      return it == input_pods_.end() ? internal::ExistingPod::kNone : it->second;
    };
    model::GangSpec gang = internal::ExpandVolcanoJob(
        job, priorities, pw.file, existing, [this](model::PodSpec pod, YAML::Node object) {
          pod_objects_.push_back(std::move(object));
          builder_.AddPod(std::move(pod));
          gangs_.AddPod(internal::GangAssembler::kNoKeys);  // a Volcano Job's pods are its own
        });
    gangs_.AddVolcanoJobGang(std::move(gang), pw.order);
    return OkStatus();
  }

  Status ResolvePods() {
    NameWorkloads();
    // Generated names must not collide with names given explicitly anywhere in the input,
    // nor with the pods of Jobs and JobSets.
    std::set<std::pair<std::string, std::string>> taken;
    bool any_generated = false;
    for (const PendingPod& p : pending_pods_) {
      if (!p.intake.spec.name.empty()) {
        taken.emplace(p.intake.spec.namespace_name, p.intake.spec.name);
      } else {
        any_generated = true;
      }
    }
    if (any_generated) {
      for (const PendingWorkload& pw : pending_workloads_) {
        if (pw.volcano) {
          for (const internal::VolcanoTaskIntake& task : pw.volcano->tasks) {
            for (int32_t i = 0; i < task.replicas; ++i) {
              taken.emplace(pw.volcano->namespace_name,
                            fmt::format("{}-{}-{}", pw.volcano->name, task.name, i));
            }
          }
          continue;
        }
        const internal::WorkloadIntake& w = pw.intake;
        for (const internal::PodSetIntake& ps : w.pod_sets) {
          for (int32_t j = 0; j < ps.replicas; ++j) {
            const std::string job = w.kind == internal::WorkloadKind::kJobSet
                                        ? fmt::format("{}-{}-{}", w.name, ps.name, j)
                                        : w.name;
            for (int32_t i = 0; i < ps.pods_per_job; ++i) {
              taken.emplace(w.namespace_name, fmt::format("{}-{}", job, i));
            }
          }
        }
      }
    }
    // Volcano's job controller keeps the pods a Job already has, by name.
    const bool any_volcano =
        std::any_of(pending_workloads_.begin(), pending_workloads_.end(),
                    [](const PendingWorkload& pw) { return pw.volcano.has_value(); });
    uint64_t counter = 0;
    for (PendingPod& p : pending_pods_) {
      model::PodSpec& spec = p.intake.spec;
      if (spec.name.empty()) {
        do {
          spec.name = internal::GeneratedName(p.intake.generate_name, counter++);
        } while (!taken.emplace(spec.namespace_name, spec.name).second);
      }
      if (any_volcano) {
        input_pods_[{spec.namespace_name, spec.name}] =
            p.intake.phase == "Succeeded" ? internal::ExistingPod::kSucceeded
            : p.intake.phase == "Failed"  ? internal::ExistingPod::kFailed
                                          : internal::ExistingPod::kActive;
      }
      if (p.intake.phase == "Succeeded" || p.intake.phase == "Failed") continue;
      if (std::string job = OwningJob(p); !job.empty()) {
        internal::ExistingJobPod e{spec.name, -1};
        for (const auto& [key, value] : spec.labels) {
          if (key == "batch.kubernetes.io/job-completion-index" && !value.empty() &&
              value.size() <= 9 && std::all_of(value.begin(), value.end(), [](char c) {
                return c >= '0' && c <= '9';
              })) {
            e.completion_index = std::stoi(value);
          }
        }
        job_pods_[{spec.namespace_name, job}].push_back(std::move(e));
      }
    }
    size_t next_workload = 0;
    for (size_t index = 0; index <= pending_pods_.size(); ++index) {
      while (next_workload < pending_workloads_.size() &&
             pending_workloads_[next_workload].position == index) {
        TESSERA_RETURN_IF_ERROR(ExpandPending(pending_workloads_[next_workload++]));
      }
      if (index == pending_pods_.size()) break;
      PendingPod& p = pending_pods_[index];
      model::PodSpec& spec = p.intake.spec;
      auto priority = ResolvePriority(p.intake);
      if (!priority.ok()) {
        return std::move(priority).error().WithObject("Pod", p.object_label).WithFile(spec.source);
      }
      spec.priority = *priority;
      if (p.intake.phase == "Succeeded" || p.intake.phase == "Failed") {
        ++skipped_terminal_pods_;
        continue;
      }
      if (p.topology) {
        auto wp = WorkloadPriority(p.queue, {p.intake.priority_class_name, spec.priority});
        if (!wp.ok()) {
          return std::move(wp).error().WithObject("Pod", p.object_label).WithFile(spec.source);
        }
        model::WorkloadSpec workload =
            internal::NewPodWorkloadSpec(spec, p.queue, std::move(*p.topology));
        workload.source = spec.source;
        workload.priority_class_name = std::move(wp->first);
        workload.priority = wp->second;
        queues_.workloads.push_back(std::move(workload));
      }
      pod_objects_.push_back(p.object);
      builder_.AddPod(std::move(spec));
      gangs_.AddPod(p.gang_keys);
    }
    return OkStatus();
  }

  // The Job a pod of the input belongs to: its ownerReference of kind Job in group batch
  // (not a Volcano Job), else its batch.kubernetes.io/job-name or job-name label; "" for
  // none.
  static std::string OwningJob(const PendingPod& p) {
    const Field owners = Field(p.object, "").Get("metadata").Get("ownerReferences");
    if (owners.is_list()) {
      for (const YAML::Node& ref : owners.node()) {
        const Field r(ref, "");
        const Field kind = r.Get("kind");
        const Field name = r.Get("name");
        const Field api_version = r.Get("apiVersion");
        if (api_version.is_scalar() && !api_version.node().Scalar().starts_with("batch/")) {
          continue;
        }
        if (kind.is_scalar() && kind.node().Scalar() == "Job" && name.is_scalar()) {
          return name.node().Scalar();
        }
      }
    }
    for (const char* key : {"batch.kubernetes.io/job-name", "job-name"}) {
      for (const auto& [k, v] : p.intake.spec.labels) {
        if (k == key && !v.empty()) return v;
      }
    }
    return "";
  }

  // Workload objects: an admitted one (status.admission, quota still reserved) gives its
  // admission to the workload of its owner (ownerReference kind and name, else the same
  // name, in its namespace); one whose owner is not in the input holds its quota as a
  // workload of its own, without pods. A Workload that holds no quota and has no owner here
  // is ignored with a warning. The ClusterQueue and the ResourceFlavors an admission names
  // must be objects of the input.
  Status AttachWorkloadObjects() {
    for (WorkloadObjectEntry& e : workload_objects_) {
      internal::WorkloadObjectIntake& in = e.intake;
      auto fail = [&e](Error error, const std::string& field) {
        error.UnderField(field).WithObject("Workload", e.object_label).WithFile(e.file);
        return error;
      };
      if (in.admission) {
        const model::WorkloadAdmissionSpec& a = *in.admission;
        if (std::none_of(queues_.cluster_queues.begin(), queues_.cluster_queues.end(),
                         [&a](const model::ClusterQueueSpec& cq) {
                           return cq.name == a.cluster_queue;
                         })) {
          return fail(NotFound(fmt::format("ClusterQueue {} does not exist",
                                           Quote(a.cluster_queue))),
                      "status.admission.clusterQueue");
        }
        for (size_t i = 0; i < a.pod_sets.size(); ++i) {
          for (const auto& entry : a.pod_sets[i].flavors) {
            const std::string& resource = entry.first;
            const std::string& flavor = entry.second;
            if (std::none_of(queues_.flavors.begin(), queues_.flavors.end(),
                             [&flavor](const model::ResourceFlavorSpec& f) {
                               return f.name == flavor;
                             })) {
              return fail(NotFound(fmt::format("ResourceFlavor {} does not exist", Quote(flavor))),
                          fmt::format("status.admission.podSetAssignments[{}].flavors.{}", i,
                                      resource));
            }
          }
        }
      }
      model::WorkloadSpec* owner = nullptr;
      for (model::WorkloadSpec& w : queues_.workloads) {
        if (w.namespace_name != in.namespace_name) continue;
        const bool by_owner = !in.owner.kind.empty() && w.owner.kind == in.owner.kind &&
                              w.owner.name == in.owner.name;
        if (by_owner || w.name == in.name) {
          owner = &w;
          break;
        }
      }
      if (owner != nullptr) {
        if (!in.admission) continue;
        if (owner->admission) {
          return fail(InvalidArgument(fmt::format(
                          "Workload {} already gives the admission of {} {}/{}",
                          owner->admission->object, owner->owner.kind, owner->namespace_name,
                          owner->owner.name)),
                      "status.admission");
        }
        for (size_t i = 0; i < in.admission->pod_sets.size(); ++i) {
          const std::string& name = in.admission->pod_sets[i].name;
          if (std::none_of(owner->pod_sets.begin(), owner->pod_sets.end(),
                           [&name](const model::PodSetSpec& ps) { return ps.name == name; })) {
            return fail(InvalidArgument(fmt::format("{} is not a PodSet of {} {}/{}", Quote(name),
                                                    owner->owner.kind, owner->namespace_name,
                                                    owner->owner.name)),
                        fmt::format("status.admission.podSetAssignments[{}].name", i));
          }
        }
        owner->admission = std::move(in.admission);
        continue;
      }
      if (!in.admission) {
        extra_warnings_.push_back(fmt::format(
            "{}: Workload {}: ignored: it holds no quota and no Job, JobSet or Pod of the input "
            "owns it",
            e.file, e.object_label));
        continue;
      }
      if (in.queue_name.empty()) {
        return fail(InvalidArgument("required: the Workload holds quota (status.admission) and "
                                    "no Job, JobSet or Pod of the input names its queue"),
                    "spec.queueName");
      }
      model::WorkloadSpec w;
      w.namespace_name = in.namespace_name;
      w.name = in.name;
      w.source = e.file;
      w.queue_name = in.queue_name;
      w.priority = in.priority.value_or(0);
      w.priority_class_name = in.priority_class_name;
      w.owner = in.owner;
      w.pod_sets = std::move(in.pod_sets);
      if (w.pod_sets.empty()) {
        for (const model::PodSetAssignmentSpec& psa : in.admission->pod_sets) {
          w.pod_sets.push_back({.name = psa.name, .count = psa.count.value_or(0)});
        }
      }
      w.admission = std::move(in.admission);
      queues_.workloads.push_back(std::move(w));
    }
    return OkStatus();
  }

  // Namespaces that local queues or workloads use without a Namespace object, with the one
  // label the API server would give them, so that namespaceSelectors can be evaluated.
  void AddImplicitNamespaces() {
    std::set<std::string, std::less<>> known;
    for (const model::NamespaceSpec& ns : queues_.namespaces) known.insert(ns.name);
    std::set<std::string, std::less<>> used;
    for (const model::LocalQueueSpec& lq : queues_.local_queues) used.insert(lq.namespace_name);
    for (const model::WorkloadSpec& w : queues_.workloads) used.insert(w.namespace_name);
    for (const std::string& name : used) {
      if (known.contains(name)) continue;
      model::NamespaceSpec ns;
      ns.name = name;
      ns.labels.emplace_back(internal::kNamespaceNameLabel, name);
      queues_.namespaces.push_back(std::move(ns));
    }
  }

  const LoadOptions& options_;
  model::SnapshotBuilder builder_;
  std::vector<PendingPod> pending_pods_;
  std::vector<PendingWorkload> pending_workloads_;
  std::vector<WorkloadObjectEntry> workload_objects_;
  int64_t expanded_pods_ = 0;  // pods of the Jobs and JobSets read so far
  std::set<std::tuple<bool, std::string, std::string>> claim_names_;  // (template, ns, name)
  // Pods of the input that belong to a Job, by (namespace, Job name).
  std::map<std::pair<std::string, std::string>, std::vector<internal::ExistingJobPod>> job_pods_;
  model::QueueObjects queues_;
  internal::GangAssembler gangs_;
  // Pods of the input by (namespace, name), for Volcano Jobs (which keep pods they have).
  std::map<std::pair<std::string, std::string>, internal::ExistingPod> input_pods_;
  std::vector<YAML::Node> pod_objects_;
  std::vector<YAML::Node> claim_objects_;
  std::vector<KeptObject> kept_;
  std::map<std::pair<std::string, std::string>, size_t> kept_counts_;  // (kind, apiVersion)
  std::map<std::pair<std::string, std::string>, std::string> seen_;    // (kind, name) -> where
  std::map<std::string, PriorityClassEntry, std::less<>> priority_classes_;
  std::vector<std::string> extra_warnings_;
  size_t skipped_terminal_pods_ = 0;
  size_t num_files_ = 0;
  size_t num_objects_ = 0;
};

}  // namespace

Result<LoadedManifests> LoadManifests(std::span<const std::string> paths,
                                      const LoadOptions& options) {
  // yaml-cpp, nlohmann-json and std::filesystem may throw (allocation failures, library
  // bugs); nothing may escape to the caller.
  try {
    Loader loader(options);
    for (const std::string& path : paths) TESSERA_RETURN_IF_ERROR(loader.LoadPath(path));
    return std::move(loader).Finish();
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInternal,
                 fmt::format("unexpected error while reading manifests: {}", e.what()));
  } catch (...) {
    return Error(ErrorCode::kInternal, "unexpected error while reading manifests");
  }
}

}  // namespace tessera::io
