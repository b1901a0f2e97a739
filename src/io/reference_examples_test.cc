// Loads every upstream example manifest under ../shared/reference/k8s-examples, each file
// on its own. A file must load, unless it is one of the exceptions pinned below with the
// exact reason: Helm templates (must say so), Go text/template inputs of kube-scheduler's
// scheduler_perf (must say they are templates; they load once rendered), two Kueue perf
// configs that are not Kubernetes objects, one upstream file with a real mistake, and one
// Pod whose ResourceClaimTemplate lives in another file. See the SOURCES.md files there for
// where each file comes from.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/manifests.h"

namespace tessera::io {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const fs::path kExamples = fs::path(TESSERA_SHARED_DIR) / "reference" / "k8s-examples";

constexpr std::string_view kTemplateMessage =
    "looks like a Helm template (\"{{ ... }}\"); render it first (e.g. with helm template) and "
    "load the output";

// Helm chart templates: need `helm template`.
const std::set<std::string> kHelmTemplates = {
    "dra/nvidia-k8s-dra-driver-gpu/helm-templates/deviceclass-gpu.yaml",
    "dra/nvidia-k8s-dra-driver-gpu/helm-templates/deviceclass-mig.yaml",
};

// scheduler_perf inputs ({{.Index}} and friends); rendered by RenderSchedulerPerf below.
const std::set<std::string> kGoTemplates = {
    "dra/kubernetes-scheduler_perf/resourceclaim-with-selector.yaml",
    "dra/kubernetes-scheduler_perf/resourceclaimtemplate.yaml",
    "dra/kubernetes-scheduler_perf/resourceslice-consumablecapacity.yaml",
    "dra/kubernetes-scheduler_perf/resourceslice-partitionable-backtracking.yaml",
    "dra/kubernetes-scheduler_perf/resourceslice-partitionable-countersets.yaml",
    "dra/kubernetes-scheduler_perf/resourceslice-partitionable-devices.yaml",
};

// Files that fail for a reason other than templating, with the error (after "<file>: ").
const std::map<std::string, std::string> kExpectedFailures = {
    // Kueue's scheduler performance-test settings: plain data, not Kubernetes objects.
    {"kueue/perf-baseline-generator.yaml",
     "document 1: not a Kubernetes object: apiVersion and kind are missing"},
    {"kueue/perf-baseline-rangespec.yaml",
     "document 1: not a Kubernetes object: apiVersion and kind are missing"},
    // Upstream mistake: `expression:` is indented as a sibling of `cel:` instead of under
    // it, so `cel` is null; the API server rejects this claim the same way.
    {"dra/kubernetes-website/resourceclaim.yaml",
     "ResourceClaim default/example-resource-claim: "
     "spec.devices.requests[0].exactly.selectors[0].cel: required field is missing"},
    // The template it names is in resourceclaimtemplate.yaml; see LoadsPodWithItsTemplate.
    {"dra/kubernetes-scheduler_perf/pod-with-claim-template.yaml",
     "Pod default/test-drabbbbb: spec.resourceClaims[0].resourceClaimTemplateName: "
     "ResourceClaimTemplate \"default/test-claim-template\" does not exist"},
    // Jobs become pods, so their claims must exist too; the template and claim are in the
    // sibling files (see WorkloadsTest.ExpandsTheDraExampleJobWithItsClaims).
    {"dra/kubernetes-website/dra-example-job.yaml",
     "Job default/example-dra-job: spec.template.spec.resourceClaims[0]."
     "resourceClaimTemplateName: ResourceClaimTemplate "
     "\"default/example-resource-claim-template\" does not exist"},
    // The PriorityClass its pod template names is not part of the example (see
    // WorkloadsTest.ExpandsTheGangJobSetWithItsPriorityClass).
    {"jobset/was-gang-preemption-low-priority.yaml",
     "JobSet default/lp-js: spec.replicatedJobs[0].template.spec.template.spec."
     "priorityClassName: PriorityClass \"low-priority\" does not exist"},
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

// Renders the scheduler_perf templates with their defaults: {{.Index}} = 0, one request,
// no selectors and no constraints (the `{{$x := ...}}` lines become empty).
std::string RenderSchedulerPerf(std::string text) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("{{$") && line.find(":=") != std::string::npos) continue;
    out += line + "\n";
  }
  ReplaceAll(out, "{{.Index}}", "0");
  ReplaceAll(out, "{{$constraints}}", "null");
  ReplaceAll(out, "{{$selectors}}", "null");
  ReplaceAll(out, "{{range $numRequests}}", "");
  ReplaceAll(out, "{{end}}", "");
  ReplaceAll(out, "{{.}}", "0");
  return out;
}

Result<LoadedManifests> LoadText(const std::string& text) {
  std::istringstream in(text);
  LoadOptions options;
  options.stdin_stream = &in;
  const std::vector<std::string> paths = {"-"};
  return LoadManifests(paths, options);
}

Result<LoadedManifests> LoadExample(const std::string& relative) {
  const std::vector<std::string> paths = {(kExamples / relative).generic_string()};
  return LoadManifests(paths);
}

class ReferenceExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kExamples)) {
      GTEST_SKIP() << "reference manifests not found at " << kExamples
                   << " (they live in ../shared beside the repository)";
    }
  }
};

TEST_F(ReferenceExamplesTest, EveryFileLoadsOrFailsForItsPinnedReason) {
  std::vector<std::string> manifests;
  for (const auto& entry : fs::recursive_directory_iterator(kExamples)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = fs::relative(entry.path(), kExamples).generic_string();
    const std::string ext = entry.path().extension().string();
    if (ext == ".yaml" || ext == ".yml" || ext == ".json") {
      manifests.push_back(relative);
    } else {
      // Provenance notes are the only other files.
      EXPECT_EQ(entry.path().filename(), "SOURCES.md") << relative;
    }
  }
  std::sort(manifests.begin(), manifests.end());
  ASSERT_GE(manifests.size(), 80u);

  size_t loaded_ok = 0;
  for (const std::string& relative : manifests) {
    SCOPED_TRACE(relative);
    const std::string file = (kExamples / relative).generic_string();
    auto loaded = LoadExample(relative);
    if (kHelmTemplates.contains(relative) || kGoTemplates.contains(relative)) {
      ASSERT_FALSE(loaded.ok());
      EXPECT_THAT(loaded.error().ToString(), HasSubstr(std::string(kTemplateMessage)));
      EXPECT_TRUE(loaded.error().ToString().starts_with(file + ": line "));
    } else if (auto it = kExpectedFailures.find(relative); it != kExpectedFailures.end()) {
      ASSERT_FALSE(loaded.ok());
      EXPECT_EQ(loaded.error().ToString(), file + ": " + it->second);
    } else {
      EXPECT_TRUE(loaded.ok()) << loaded.error().ToString();
      if (loaded.ok()) ++loaded_ok;
    }
  }
  EXPECT_EQ(loaded_ok, manifests.size() - kHelmTemplates.size() - kGoTemplates.size() -
                           kExpectedFailures.size());
}

TEST_F(ReferenceExamplesTest, HelmTemplatesNameTheLineOfTheFirstAction) {
  auto loaded = LoadExample("dra/nvidia-k8s-dra-driver-gpu/helm-templates/deviceclass-gpu.yaml");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().ToString(),
            (kExamples / "dra/nvidia-k8s-dra-driver-gpu/helm-templates/deviceclass-gpu.yaml")
                    .generic_string() +
                ": line 1: " + std::string(kTemplateMessage));
}

TEST_F(ReferenceExamplesTest, SchedulerPerfTemplatesLoadOnceRendered) {
  // Devices per rendered slice, by file.
  const std::map<std::string, size_t> devices = {
      {"dra/kubernetes-scheduler_perf/resourceslice-consumablecapacity.yaml", 2},
      {"dra/kubernetes-scheduler_perf/resourceslice-partitionable-backtracking.yaml", 8},
      {"dra/kubernetes-scheduler_perf/resourceslice-partitionable-countersets.yaml", 0},
      {"dra/kubernetes-scheduler_perf/resourceslice-partitionable-devices.yaml", 6},
  };
  for (const std::string& relative : kGoTemplates) {
    SCOPED_TRACE(relative);
    const std::string rendered = RenderSchedulerPerf(ReadFile(kExamples / relative));
    ASSERT_EQ(rendered.find("{{"), std::string::npos) << rendered;
    auto loaded = LoadText(rendered);
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    if (auto it = devices.find(relative); it != devices.end()) {
      EXPECT_EQ(loaded->snapshot.resource_slices().size(), 1u);
      EXPECT_EQ(loaded->snapshot.devices().size(), it->second);
    } else {
      EXPECT_EQ(loaded->snapshot.resource_claims().size(), 1u);
    }
  }
  // The counter-set slice: one set of four counters of value 1, pool of two slices.
  auto counters = LoadText(RenderSchedulerPerf(ReadFile(
      kExamples / "dra/kubernetes-scheduler_perf/resourceslice-partitionable-countersets.yaml")));
  ASSERT_TRUE(counters.ok());
  const model::ResourceSliceSpec& slice = counters->snapshot.resource_slices()[0];
  EXPECT_EQ(slice.pool, "resourceslice-0");
  EXPECT_EQ(slice.resource_slice_count, 2);
  ASSERT_EQ(slice.shared_counters.size(), 1u);
  EXPECT_EQ(slice.shared_counters[0].counters.size(), 4u);
  ASSERT_TRUE(slice.node_selector.has_value());
}

TEST_F(ReferenceExamplesTest, LoadsPodWithItsTemplate) {
  std::string text = RenderSchedulerPerf(
      ReadFile(kExamples / "dra/kubernetes-scheduler_perf/resourceclaimtemplate.yaml"));
  text += "\n---\n" +
          ReadFile(kExamples / "dra/kubernetes-scheduler_perf/pod-with-claim-template.yaml");
  auto loaded = LoadText(text);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  ASSERT_EQ(loaded->snapshot.num_pods(), 1u);
  const model::Pod& pod = loaded->snapshot.pod(model::PodId::FromIndex(0));
  EXPECT_EQ(pod.name, "test-drabbbbb");  // generateName "test-dra" + the first suffix
  ASSERT_EQ(pod.claims.size(), 1u);
  EXPECT_EQ(pod.claims[0].resource_claim_template_name, "test-claim-template");
}

TEST_F(ReferenceExamplesTest, CountsObjectsInDraExamples) {
  {
    auto loaded = LoadExample(
        "dra/dra-example-driver/basic-shared-claim-across-pods/"
        "basic-shared-claim-across-pods.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    EXPECT_EQ(loaded->num_objects, 4u);  // Namespace, ResourceClaim, 2 Pods
    EXPECT_EQ(loaded->snapshot.num_pods(), 2u);
    ASSERT_EQ(loaded->snapshot.resource_claims().size(), 1u);
    EXPECT_FALSE(loaded->snapshot.resource_claims()[0].is_template);
    EXPECT_EQ(loaded->pod_objects.size(), 2u);
  }
  {
    auto loaded = LoadExample(
        "dra/dra-example-driver/device-taints-tolerations/"
        "device-taint-configurable-pod-eviction-time/1-basic-resourceclaimtemplate.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    EXPECT_EQ(loaded->num_objects, 7u);  // Namespace, 3 templates, 3 Pods
    EXPECT_EQ(loaded->snapshot.num_pods(), 3u);
    EXPECT_EQ(loaded->snapshot.resource_claims().size(), 3u);
  }
  {
    // v1alpha3 (old shape): firstAvailable with two subrequests.
    auto loaded =
        LoadExample("dra/kubernetes-scheduler_perf/resourceclaimtemplate-first-available.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    ASSERT_EQ(loaded->snapshot.resource_claims().size(), 1u);
    ASSERT_EQ(loaded->snapshot.resource_claims()[0].requests.size(), 1u);
    EXPECT_EQ(loaded->snapshot.resource_claims()[0].requests[0].first_available.size(), 2u);
  }
  {
    // Extended resource backed by a DeviceClass: the pod asks for one MIG slice.
    auto loaded = LoadExample("dra/nvidia-k8s-dra-driver-gpu/extended-resources/mig-1g-12gb.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    ASSERT_EQ(loaded->snapshot.device_classes().size(), 1u);
    EXPECT_EQ(loaded->snapshot.device_classes()[0].extended_resource_name,
              "nvidia.com/mig-1g.12gb");
    EXPECT_EQ(loaded->snapshot.num_pods(), 1u);
  }
  {
    // `deviceSelector:` is null: by the API such a rule matches no device, despite the
    // upstream comment, so it is dropped with a warning.
    auto loaded = LoadExample("dra/kubernetes-scheduler_perf/devicetaintrule.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    EXPECT_TRUE(loaded->snapshot.device_taint_rules().empty());
    ASSERT_EQ(loaded->warnings.size(), 1u);
    EXPECT_THAT(loaded->warnings[0], HasSubstr("DeviceTaintRule taint-all-devices: ignored"));
  }
  {
    auto loaded = LoadExample(
        "dra/dra-example-driver/device-taints-tolerations/"
        "device-taint-configurable-pod-eviction-time/2-device-taint-rule.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    ASSERT_EQ(loaded->snapshot.device_taint_rules().size(), 1u);
    EXPECT_EQ(loaded->snapshot.device_taint_rules()[0].taint.effect,
              model::TaintEffect::kNoExecute);
  }
}

TEST_F(ReferenceExamplesTest, ReadsKueueQueuesAndKeepsTheOtherKueueKinds) {
  // Queues are read since the queue reader (internal/queue_objects.h); details are checked
  // in queue_objects_test.cc.
  auto loaded = LoadExample("kueue/shared-quota-setup.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_TRUE(loaded->kept.empty());
  EXPECT_EQ(loaded->num_objects, 5u);
  EXPECT_EQ(loaded->snapshot.num_pods(), 0u);
  EXPECT_EQ(loaded->queues.flavors.size(), 3u);
  EXPECT_EQ(loaded->queues.cluster_queues.size(), 1u);
  EXPECT_EQ(loaded->queues.local_queues.size(), 1u);
  EXPECT_TRUE(loaded->warnings.empty());

  auto multikueue = LoadExample("kueue/multikueue-setup.yaml");
  ASSERT_TRUE(multikueue.ok()) << multikueue.error().ToString();
  EXPECT_EQ(multikueue->kept.size(), 3u);  // AdmissionCheck, MultiKueueConfig, MultiKueueCluster
  EXPECT_THAT(multikueue->warnings,
              ElementsAre("ignored 3 objects of kinds the engine does not use yet: "
                          "AdmissionCheck (kueue.x-k8s.io/v1beta2) x1, MultiKueueCluster "
                          "(kueue.x-k8s.io/v1beta2) x1, MultiKueueConfig "
                          "(kueue.x-k8s.io/v1beta2) x1"));
}

TEST_F(ReferenceExamplesTest, LoadsWholeFoldersAndFindsDuplicatesAcrossFiles) {
  // dra-example-driver: 10 files, 10 Namespaces, 14 claims and templates, 15 Pods.
  const std::vector<std::string> dra = {(kExamples / "dra/dra-example-driver").generic_string()};
  auto loaded = LoadManifests(dra);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->num_files, 10u);
  EXPECT_EQ(loaded->num_objects, 39u);
  EXPECT_EQ(loaded->snapshot.num_pods(), 15u);
  EXPECT_EQ(loaded->snapshot.resource_claims().size(), 14u);
  EXPECT_TRUE(loaded->warnings.empty());

  // kai: two example files both define Pod default/gpu-sharing.
  const std::vector<std::string> kai = {(kExamples / "kai").generic_string()};
  auto duplicate = LoadManifests(kai);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().ToString(),
            kai[0] +
                "/gpu-sharing-memory-pod.yaml: Pod default/gpu-sharing: metadata.name: "
                "duplicate Pod \"default/gpu-sharing\" (first defined in " +
                kai[0] + "/gpu-sharing-fraction-pod.yaml, document 1)");
  EXPECT_EQ(duplicate.error().code(), ErrorCode::kAlreadyExists);
}

}  // namespace
}  // namespace tessera::io
