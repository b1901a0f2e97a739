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
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "io/internal/common.h"
#include "io/internal/core_objects.h"
#include "io/internal/documents.h"
#include "io/internal/dra_objects.h"
#include "io/internal/fields.h"

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
};

struct KindInfo {
  std::string_view name;
  Kind kind;
  bool namespaced;
  NameRule name_rule;
  std::vector<std::pair<std::string_view, DraShape>> versions;  // shape only matters for DRA
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
    };
  }();
  return *kinds;
}

const KindInfo* FindKind(std::string_view kind) {
  for (const KindInfo& k : KnownKinds()) {
    if (k.name == kind) return &k;
  }
  return nullptr;
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
    TESSERA_RETURN_IF_ERROR(ResolvePods());
    auto snapshot = std::move(builder_).Build();
    if (!snapshot.ok()) return std::move(snapshot).error();
    return Assemble(std::move(*snapshot));
  }

 private:
  enum class FileFormat { kYaml, kJson, kSniff };

  // LoadedManifests has no default constructor (Snapshot has none public), so the pieces
  // are kept here until the snapshot exists.
  Result<LoadedManifests> Assemble(model::Snapshot snapshot) {
    LoadedManifests out{std::move(snapshot), std::move(pod_objects_),
                        std::move(kept_),    {},
                        num_files_,          num_objects_, std::move(claim_objects_)};
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
         FindKind(std::string_view(kind_name).substr(0, kind_name.size() - 4)) != nullptr)) {
      if (in_list) return fail(InvalidArgument("a List inside a List is not supported"));
      std::pair<std::string, std::string> item_kind;
      if (kind_name == "List") {
        if (version != "v1") return fail(UnknownVersion(object, kind_name, version, {"v1"}));
      } else {
        const KindInfo* info = FindKind(kind_name.substr(0, kind_name.size() - 4));
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
    const KindInfo* info = FindKind(kind_name);
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

    auto meta = internal::ParseMetadata(object, info->namespaced, info->name_rule,
                                        /*allow_generate_name=*/info->kind == Kind::kPod);
    if (!meta.ok()) {
      return std::move(meta).error().WithObject(info->name, BestEffortName(*info, object, unnamed));
    }
    const std::string object_label = ObjectLabel(*info, *meta);
    const std::string defined_at = DefinedAt(file, label);
    Status parsed =
        LoadKnown(*info, *shape, file, defined_at, object_label, object, std::move(*meta));
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

  // Records `key` for `kind`; an AlreadyExists error if it was seen before.
  Status CheckUnique(std::string_view kind, const std::string& key, const std::string& at) {
    auto [it, inserted] = seen_.emplace(std::pair(std::string(kind), key), at);
    if (inserted) return OkStatus();
    return AlreadyExists(
               fmt::format("duplicate {} \"{}\" (first defined in {})", kind, key, it->second))
        .UnderField("metadata.name");
  }

  Status LoadKnown(const KindInfo& info, DraShape shape, const std::string& file,
                   const std::string& defined_at, const std::string& object_label,
                   const Field& object, ObjectMeta meta) {
    const bool generated = info.kind == Kind::kPod && meta.name.empty();
    if (!generated) TESSERA_RETURN_IF_ERROR(CheckUnique(info.name, object_label, defined_at));
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
        pending_pods_.push_back({std::move(pod), object_label, defined_at, object.node()});
        return OkStatus();
      }
      case Kind::kNamespace:
        // Accepted so that example bundles load; nothing in the engine reads namespaces yet.
        return OkStatus();
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

  Status ResolvePods() {
    // Generated names must not collide with names given explicitly anywhere in the input.
    std::set<std::pair<std::string, std::string>> taken;
    for (const PendingPod& p : pending_pods_) {
      if (!p.intake.spec.name.empty()) {
        taken.emplace(p.intake.spec.namespace_name, p.intake.spec.name);
      }
    }
    uint64_t counter = 0;
    for (PendingPod& p : pending_pods_) {
      model::PodSpec& spec = p.intake.spec;
      auto priority = ResolvePriority(p.intake);
      if (!priority.ok()) {
        return std::move(priority).error().WithObject("Pod", p.object_label).WithFile(spec.source);
      }
      spec.priority = *priority;
      if (spec.name.empty()) {
        do {
          spec.name = internal::GeneratedName(p.intake.generate_name, counter++);
        } while (!taken.emplace(spec.namespace_name, spec.name).second);
      }
      if (p.intake.phase == "Succeeded" || p.intake.phase == "Failed") {
        ++skipped_terminal_pods_;
        continue;
      }
      pod_objects_.push_back(p.object);
      builder_.AddPod(std::move(spec));
    }
    return OkStatus();
  }

  const LoadOptions& options_;
  model::SnapshotBuilder builder_;
  std::vector<PendingPod> pending_pods_;
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
