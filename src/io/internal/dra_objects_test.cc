// Known-answer tests for the DRA fields the allocator reads beyond the basics: capacity
// request policies, per-device node selection, binding conditions, opaque config, constraint
// references and device taint effects. Everything goes through LoadManifests, the public
// entry point, so each error is checked as a user sees it ("-: <object>: <field>: <why>").
#include "io/internal/dra_objects.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "io/internal/test_util.h"
#include "io/manifests.h"

namespace tessera::io {
namespace {

using test_util::ErrorOf;
using test_util::LoadString;
using test_util::TempDir;

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int64_t kGi = int64_t{1} << 30;
constexpr int64_t kMi = int64_t{1} << 20;

// A v1 ResourceSlice named "s" on node-0 (unless `node_selection` replaces that line) whose
// spec.devices is `devices` (a YAML flow or block list indented for the key).
std::string Slice(const std::string& devices,
                  const std::string& node_selection = "nodeName: node-0") {
  return "apiVersion: resource.k8s.io/v1\nkind: ResourceSlice\nmetadata: {name: s}\nspec:\n"
         "  driver: gpu.example.com\n  pool: {name: p}\n  " +
         node_selection + "\n  devices: " + devices + "\n";
}

// One shareable device "d" with capacity memory {value: 80Gi, requestPolicy: `policy`}.
std::string SliceWithPolicy(const std::string& policy, bool shareable = true) {
  return Slice(std::string("[{name: d, allowMultipleAllocations: ") +
               (shareable ? "true" : "false") +
               ", capacity: {memory: {value: 80Gi, requestPolicy: " + policy + "}}}]");
}

std::string PolicyError(const std::string& field, const std::string& message) {
  return "-: ResourceSlice s: spec.devices[0].capacity.memory.requestPolicy" + field + ": " +
         message;
}

Quantity Q(int64_t v) { return Quantity(v); }

// --- capacity[x].requestPolicy -----------------------------------------------------------

TEST(DraObjectsTest, ReadsCapacityRequestPolicies) {
  auto loaded = LoadString(Slice(R"(
  - name: nic-0
    allowMultipleAllocations: true
    capacity:
      bandwidth:
        value: 100G
        requestPolicy: {default: 1G, validRange: {min: 1G, max: 10G, step: 1G}}
      memory:
        value: 80Gi
        requestPolicy: {default: 2Gi, validValues: [1Gi, 2Gi, 4Gi]}
      queues:
        value: "16"
        requestPolicy: {default: "4"}
      ports: {value: "2"}
      slots:
        value: "8"
        requestPolicy: {validRange: {min: "2"}})"));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::DeviceSpec& d = loaded->snapshot.resource_slices()[0].devices[0];
  ASSERT_EQ(d.capacity.size(), 5u);

  const model::DeviceCapacitySpec& bandwidth = d.capacity[0];
  EXPECT_EQ(bandwidth.name, "bandwidth");
  EXPECT_EQ(bandwidth.value, Q(100'000'000'000));
  ASSERT_TRUE(bandwidth.request_policy.has_value());
  EXPECT_EQ(bandwidth.request_policy->default_value, Q(1'000'000'000));
  EXPECT_THAT(bandwidth.request_policy->valid_values, IsEmpty());
  ASSERT_TRUE(bandwidth.request_policy->valid_range.has_value());
  EXPECT_EQ(bandwidth.request_policy->valid_range->min, Q(1'000'000'000));
  EXPECT_EQ(bandwidth.request_policy->valid_range->max, Q(10'000'000'000));
  EXPECT_EQ(bandwidth.request_policy->valid_range->step, Q(1'000'000'000));

  const model::DeviceCapacitySpec& memory = d.capacity[1];
  ASSERT_TRUE(memory.request_policy.has_value());
  EXPECT_EQ(memory.request_policy->default_value, Q(2 * kGi));
  EXPECT_THAT(memory.request_policy->valid_values, ElementsAre(Q(kGi), Q(2 * kGi), Q(4 * kGi)));
  EXPECT_FALSE(memory.request_policy->valid_range.has_value());

  const model::DeviceCapacitySpec& queues = d.capacity[2];
  ASSERT_TRUE(queues.request_policy.has_value());
  EXPECT_EQ(queues.request_policy->default_value, Q(4));
  EXPECT_THAT(queues.request_policy->valid_values, IsEmpty());
  EXPECT_FALSE(queues.request_policy->valid_range.has_value());

  EXPECT_FALSE(d.capacity[3].request_policy.has_value());

  const model::DeviceCapacitySpec& slots = d.capacity[4];
  ASSERT_TRUE(slots.request_policy.has_value());
  EXPECT_FALSE(slots.request_policy->default_value.has_value());
  ASSERT_TRUE(slots.request_policy->valid_range.has_value());
  EXPECT_EQ(slots.request_policy->valid_range->min, Q(2));
  EXPECT_FALSE(slots.request_policy->valid_range->max.has_value());
  EXPECT_FALSE(slots.request_policy->valid_range->step.has_value());
}

TEST(DraObjectsTest, ReadsRequestPolicyInTheV1Beta1Shape) {
  auto loaded = LoadString(R"(
apiVersion: resource.k8s.io/v1beta1
kind: ResourceSlice
metadata: {name: s}
spec:
  driver: gpu.example.com
  pool: {name: p}
  allNodes: true
  devices:
  - name: d
    basic:
      allowMultipleAllocations: true
      capacity:
        memory: {value: 8Gi, requestPolicy: {default: 512Mi, validValues: [512Mi, 1Gi]}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const auto& policy = loaded->snapshot.resource_slices()[0].devices[0].capacity[0].request_policy;
  ASSERT_TRUE(policy.has_value());
  EXPECT_EQ(policy->default_value, Q(512 * kMi));
  EXPECT_THAT(policy->valid_values, ElementsAre(Q(512 * kMi), Q(kGi)));
}

TEST(DraObjectsTest, RejectsInvalidRequestPolicies) {
  struct Case {
    std::string policy;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"{validValues: [1Gi, 4Gi, 2Gi]}",
       PolicyError(".validValues[2]",
                   "\"2Gi\" is not greater than the previous value \"4Gi\": validValues must be "
                   "strictly ascending")},
      {"{validValues: [1Gi, 1Gi]}",
       PolicyError(".validValues[1]",
                   "\"1Gi\" is not greater than the previous value \"1Gi\": validValues must be "
                   "strictly ascending")},
      {"{validValues: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}",
       PolicyError(".validValues", "must have at most 10 values, got 11")},
      {"{validValues: [1Gi, 100Gi]}",
       PolicyError(".validValues[1]", "\"100Gi\" is larger than the capacity value \"80Gi\"")},
      {"{default: 3Gi, validValues: [1Gi, 2Gi]}",
       PolicyError(".default", "\"3Gi\" is not one of validValues")},
      {"{default: 81Gi}",
       PolicyError(".default", "\"81Gi\" is larger than the capacity value \"80Gi\"")},
      {"{validValues: [1Gi], validRange: {min: 1Gi}}",
       PolicyError("", "must not set both validValues and validRange")},
      {"{validRange: {max: 1Gi}}", PolicyError(".validRange.min", "required field is missing")},
      {"{validRange: {min: 4Gi, max: 2Gi}}",
       PolicyError(".validRange.max", "\"2Gi\" is less than min \"4Gi\"")},
      {"{validRange: {min: 1Gi, step: 0}}",
       PolicyError(".validRange.step", "must be greater than zero, got \"0\"")},
      {"{validRange: {min: 1Gi, step: 80Gi}}",
       PolicyError(".validRange.step",
                   "min \"1Gi\" plus step \"80Gi\" is larger than the capacity value \"80Gi\"")},
      {"{validRange: {min: 1Gi, max: 4Gi, step: 2Gi}}",
       PolicyError(".validRange.max",
                   "\"4Gi\" is not min \"1Gi\" plus a multiple of step \"2Gi\"")},
      {"{default: 512Mi, validRange: {min: 1Gi}}",
       PolicyError(".default", "\"512Mi\" is outside validRange: less than min \"1Gi\"")},
      {"{default: 8Gi, validRange: {min: 1Gi, max: 4Gi}}",
       PolicyError(".default", "\"8Gi\" is outside validRange: greater than max \"4Gi\"")},
      {"{default: 1536Mi, validRange: {min: 1Gi, step: 1Gi}}",
       PolicyError(".default", "\"1536Mi\" is not min \"1Gi\" plus a multiple of step \"1Gi\"")},
      {"{default: 0.5}", PolicyError(".default", "\"0.5\" has precision finer than 1")},
      {"[1Gi]", PolicyError("", "must be a mapping, got a list")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.policy);
    EXPECT_EQ(ErrorOf(LoadString(SliceWithPolicy(c.policy))), c.error);
  }
}

TEST(DraObjectsTest, RejectsRequestPolicyOnADeviceThatIsNotShareable) {
  EXPECT_EQ(ErrorOf(LoadString(SliceWithPolicy("{default: 1Gi}", /*shareable=*/false))),
            PolicyError("", "must not be set unless allowMultipleAllocations is true"));
}

// The scheduler_perf consumable-capacity slice (a Go template; {{.Index}} is its only
// action) carries {default: 1Gi, validRange: {min: 1Gi}} on both devices.
TEST(DraObjectsTest, ReadsTheRequestPolicyOfTheSchedulerPerfSlice) {
  const fs::path file = fs::path(TESSERA_SHARED_DIR) / "reference" / "k8s-examples" / "dra" /
                        "kubernetes-scheduler_perf" / "resourceslice-consumablecapacity.yaml";
  if (!fs::exists(file)) GTEST_SKIP() << file << " not found (../shared lives beside the repo)";
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  std::string rendered = text.str();
  for (size_t pos; (pos = rendered.find("{{.Index}}")) != std::string::npos;) {
    rendered.replace(pos, 10, "0");
  }
  auto loaded = LoadString(rendered);
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const auto& devices = loaded->snapshot.resource_slices()[0].devices;
  ASSERT_EQ(devices.size(), 2u);
  for (const model::DeviceSpec& d : devices) {
    SCOPED_TRACE(d.name);
    const model::DeviceCapacitySpec& memory = d.capacity.back();
    EXPECT_EQ(memory.name, "memory");
    EXPECT_EQ(memory.value, Q(80 * kGi));
    ASSERT_TRUE(memory.request_policy.has_value());
    EXPECT_EQ(memory.request_policy->default_value, Q(kGi));
    ASSERT_TRUE(memory.request_policy->valid_range.has_value());
    EXPECT_EQ(memory.request_policy->valid_range->min, Q(kGi));
    EXPECT_FALSE(memory.request_policy->valid_range->max.has_value());
    EXPECT_FALSE(memory.request_policy->valid_range->step.has_value());
  }
  EXPECT_EQ(devices[1].capacity[0].name, "counters");
  EXPECT_FALSE(devices[1].capacity[0].request_policy.has_value());
}

// --- perDeviceNodeSelection --------------------------------------------------------------

TEST(DraObjectsTest, ReadsPerDeviceNodeSelection) {
  auto loaded = LoadString(Slice(R"(
  - {name: local, nodeName: node-1}
  - name: rack
    nodeSelector:
      nodeSelectorTerms:
      - matchExpressions: [{key: example.com/rack, operator: In, values: [r1, r2]}]
  - {name: fabric, allNodes: true})",
                                 "perDeviceNodeSelection: true"));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::ResourceSliceSpec& slice = loaded->snapshot.resource_slices()[0];
  EXPECT_TRUE(slice.per_device_node_selection);
  EXPECT_EQ(slice.node_name, "");
  EXPECT_FALSE(slice.all_nodes);
  EXPECT_FALSE(slice.node_selector.has_value());
  ASSERT_EQ(slice.devices.size(), 3u);

  EXPECT_EQ(slice.devices[0].node_name, "node-1");
  EXPECT_FALSE(slice.devices[0].all_nodes);
  EXPECT_FALSE(slice.devices[0].node_selector.has_value());

  EXPECT_EQ(slice.devices[1].node_name, "");
  EXPECT_FALSE(slice.devices[1].all_nodes);
  ASSERT_TRUE(slice.devices[1].node_selector.has_value());
  ASSERT_EQ(slice.devices[1].node_selector->requirements.size(), 1u);
  const model::NodeSelectorRequirementSpec& r = slice.devices[1].node_selector->requirements[0];
  EXPECT_EQ(r.key, "example.com/rack");
  EXPECT_EQ(r.op, model::SelectorOperator::kIn);
  EXPECT_THAT(r.values, ElementsAre("r1", "r2"));
  EXPECT_FALSE(r.is_field);

  EXPECT_EQ(slice.devices[2].node_name, "");
  EXPECT_TRUE(slice.devices[2].all_nodes);
  EXPECT_FALSE(slice.devices[2].node_selector.has_value());
  EXPECT_EQ(loaded->snapshot.devices().size(), 3u);
}

TEST(DraObjectsTest, ValidatesPerDeviceNodeSelection) {
  const std::string per_device = "perDeviceNodeSelection: true";
  const std::string exactly_one =
      "must set exactly one of nodeName, nodeSelector and allNodes when "
      "spec.perDeviceNodeSelection is true";
  EXPECT_EQ(ErrorOf(LoadString(Slice("[{name: d}]", per_device))),
            "-: ResourceSlice s: spec.devices[0]: " + exactly_one);
  EXPECT_EQ(ErrorOf(LoadString(Slice("[{name: d, nodeName: node-0, allNodes: true}]", per_device))),
            "-: ResourceSlice s: spec.devices[0]: " + exactly_one);
  EXPECT_EQ(ErrorOf(LoadString(
                Slice("[{name: d, nodeSelector: {nodeSelectorTerms: [{}, {}]}}]", per_device))),
            "-: ResourceSlice s: spec.devices[0].nodeSelector.nodeSelectorTerms: must have "
            "exactly one term, got 2");
  EXPECT_EQ(ErrorOf(LoadString(Slice("[{name: d, nodeName: Node_0}]", per_device))),
            "-: ResourceSlice s: spec.devices[0].nodeName: \"Node_0\" is not a valid DNS "
            "subdomain: must consist of lower case alphanumeric characters, '-' or '.', and "
            "start and end with an alphanumeric character");
  // Devices of a slice without perDeviceNodeSelection must not say where they are.
  EXPECT_EQ(ErrorOf(LoadString(Slice("[{name: d, allNodes: true}]"))),
            "-: ResourceSlice s: spec.devices[0].allNodes: must not be set unless "
            "spec.perDeviceNodeSelection is true");
  EXPECT_EQ(ErrorOf(LoadString(Slice("[{name: d, nodeName: node-0}]", "allNodes: true"))),
            "-: ResourceSlice s: spec.devices[0].nodeName: must not be set unless "
            "spec.perDeviceNodeSelection is true");
  // The slice itself still sets exactly one of the four.
  EXPECT_EQ(ErrorOf(LoadString(Slice("[]", "nodeName: n\n  perDeviceNodeSelection: true"))),
            "-: ResourceSlice s: spec: must set exactly one of nodeName, nodeSelector, allNodes "
            "and perDeviceNodeSelection");
}

// --- bindsToNode, bindingConditions, bindingFailureConditions -------------------------

TEST(DraObjectsTest, ReadsBindingConditions) {
  auto loaded = LoadString(Slice(R"(
  - name: attached
    bindsToNode: true
    bindingConditions: [dra.example.com/attached, Ready]
    bindingFailureConditions: [dra.example.com/attach-failed]
  - name: plain)"));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const auto& devices = loaded->snapshot.resource_slices()[0].devices;
  EXPECT_TRUE(devices[0].binds_to_node);
  EXPECT_THAT(devices[0].binding_conditions, ElementsAre("dra.example.com/attached", "Ready"));
  EXPECT_THAT(devices[0].binding_failure_conditions, ElementsAre("dra.example.com/attach-failed"));
  EXPECT_FALSE(devices[1].binds_to_node);
  EXPECT_THAT(devices[1].binding_conditions, IsEmpty());
  EXPECT_THAT(devices[1].binding_failure_conditions, IsEmpty());
}

TEST(DraObjectsTest, ValidatesBindingConditions) {
  auto error = [](const std::string& device) {
    return ErrorOf(LoadString(Slice("[" + device + "]")));
  };
  EXPECT_EQ(error("{name: d, bindingConditions: [a, b, c, d, e], bindingFailureConditions: [f]}"),
            "-: ResourceSlice s: spec.devices[0].bindingConditions: must have at most 4 "
            "conditions, got 5");
  EXPECT_EQ(error("{name: d, bindingConditions: [a], bindingFailureConditions: [b, c, d, e, f]}"),
            "-: ResourceSlice s: spec.devices[0].bindingFailureConditions: must have at most 4 "
            "conditions, got 5");
  EXPECT_EQ(error("{name: d, bindingConditions: [a, a], bindingFailureConditions: [b]}"),
            "-: ResourceSlice s: spec.devices[0].bindingConditions[1]: duplicate condition \"a\"");
  EXPECT_EQ(error("{name: d, bindingConditions: [a, b], bindingFailureConditions: [c, b]}"),
            "-: ResourceSlice s: spec.devices[0].bindingFailureConditions[1]: \"b\" is also "
            "listed in bindingConditions");
  EXPECT_EQ(error("{name: d, bindingConditions: [a]}"),
            "-: ResourceSlice s: spec.devices[0].bindingFailureConditions: required when "
            "bindingConditions is set");
  EXPECT_EQ(error("{name: d, bindingFailureConditions: [a]}"),
            "-: ResourceSlice s: spec.devices[0].bindingConditions: required when "
            "bindingFailureConditions is set");
  EXPECT_EQ(error("{name: d, bindsToNode: yes}"),
            "-: ResourceSlice s: spec.devices[0].bindsToNode: must be true or false, got \"yes\"");
}

// --- config[].opaque ---------------------------------------------------------------------

TEST(DraObjectsTest, ReadsOpaqueConfigOfClassesAndClaims) {
  auto loaded = LoadString(R"(
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata: {name: gpu.example.com}
spec:
  config:
  - opaque:
      driver: gpu.example.com
      parameters:
        kind: GpuConfig
        apiVersion: gpu.resource.example.com/v1alpha1
        sharing: {strategy: TimeSlicing, timeSlicingConfig: {interval: Long}}
---
apiVersion: resource.k8s.io/v1
kind: ResourceClaim
metadata: {name: c, namespace: team-a}
spec:
  devices:
    requests:
    - {name: gpu, exactly: {deviceClassName: gpu.example.com}}
    - name: nic
      firstAvailable: [{name: fast, deviceClassName: nic.example.com}]
    config:
    - requests: [gpu, nic/fast]
      opaque:
        driver: gpu.example.com
        parameters:
          percentage: 50
          limit: 10Gi
          ratio: 0.25
          big: 1e3
          hex: 0x1F
          enabled: true
          quoted: "50"
          nothing: null
          list: [1, "two", {three: 3}]
          text: "say \"hi\"\n"
    - opaque: {driver: nic.example.com, parameters: {}}
)");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  ASSERT_EQ(loaded->snapshot.device_classes().size(), 1u);
  const model::DeviceClassSpec& cls = loaded->snapshot.device_classes()[0];
  ASSERT_EQ(cls.config.size(), 1u);
  EXPECT_THAT(cls.config[0].requests, IsEmpty());
  EXPECT_EQ(cls.config[0].driver, "gpu.example.com");
  // Keys sorted, as Kubernetes stores a RawExtension decoded from YAML.
  EXPECT_EQ(cls.config[0].parameters_json,
            R"({"apiVersion":"gpu.resource.example.com/v1alpha1","kind":"GpuConfig",)"
            R"("sharing":{"strategy":"TimeSlicing","timeSlicingConfig":{"interval":"Long"}}})");

  const model::ResourceClaimSpec& claim = loaded->snapshot.resource_claims()[0];
  ASSERT_EQ(claim.config.size(), 2u);
  EXPECT_THAT(claim.config[0].requests, ElementsAre("gpu", "nic/fast"));
  EXPECT_EQ(claim.config[0].driver, "gpu.example.com");
  EXPECT_EQ(claim.config[0].parameters_json,
            R"({"big":1000.0,"enabled":true,"hex":31,"limit":"10Gi",)"
            R"("list":[1,"two",{"three":3}],"nothing":null,"percentage":50,"quoted":"50",)"
            R"("ratio":0.25,"text":"say \"hi\"\n"})");
  EXPECT_THAT(claim.config[1].requests, IsEmpty());
  EXPECT_EQ(claim.config[1].driver, "nic.example.com");
  EXPECT_EQ(claim.config[1].parameters_json, "{}");
}

TEST(DraObjectsTest, ReadsOpaqueConfigOfTemplatesAndJson) {
  auto loaded = LoadString(R"({
  "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaimTemplate",
  "metadata": {"name": "t"},
  "spec": {"spec": {"devices": {
    "requests": [{"name": "gpu", "exactly": {"deviceClassName": "gpu.example.com"}}],
    "config": [{"requests": ["gpu"],
                "opaque": {"driver": "gpu.example.com",
                           "parameters": {"n": 7, "s": "7", "b": false, "z": null}}}]}}}})");
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const model::ResourceClaimSpec& t = loaded->snapshot.resource_claims()[0];
  EXPECT_TRUE(t.is_template);
  ASSERT_EQ(t.config.size(), 1u);
  EXPECT_THAT(t.config[0].requests, ElementsAre("gpu"));
  EXPECT_EQ(t.config[0].parameters_json, R"({"b":false,"n":7,"s":"7","z":null})");
}

std::string ClaimWithConfig(const std::string& config) {
  return "apiVersion: resource.k8s.io/v1\nkind: ResourceClaim\nmetadata: {name: c}\nspec:\n"
         "  devices:\n    requests:\n    - {name: gpu, exactly: {deviceClassName: g}}\n"
         "    - {name: nic, firstAvailable: [{name: fast, deviceClassName: n}]}\n"
         "    config: " +
         config + "\n";
}

TEST(DraObjectsTest, ValidatesOpaqueConfig) {
  const std::string at = "-: ResourceClaim default/c: spec.devices.config";
  EXPECT_EQ(ErrorOf(LoadString(ClaimWithConfig(
                "[{requests: [tpu], opaque: {driver: d.example.com, parameters: {}}}]"))),
            at + "[0].requests[0]: \"tpu\" names no request of this claim");
  EXPECT_EQ(ErrorOf(LoadString(ClaimWithConfig(
                "[{requests: [gpu, nic/slow], opaque: {driver: d.example.com, parameters: {}}}]"))),
            at + "[0].requests[1]: \"nic/slow\" names no request of this claim");
  EXPECT_EQ(ErrorOf(LoadString(ClaimWithConfig(
                "[{requests: [gpu/x], opaque: {driver: d.example.com, parameters: {}}}]"))),
            at + "[0].requests[0]: \"gpu/x\" names no request of this claim");
  EXPECT_EQ(ErrorOf(LoadString(ClaimWithConfig("[{requests: [gpu]}]"))),
            at + "[0].opaque: required field is missing");
  EXPECT_EQ(ErrorOf(LoadString(ClaimWithConfig("[{opaque: {parameters: {}}}]"))),
            at + "[0].opaque.driver: required field is missing");
  EXPECT_EQ(ErrorOf(LoadString(ClaimWithConfig("[{opaque: {driver: d.example.com}}]"))),
            at + "[0].opaque.parameters: required field is missing");
  EXPECT_EQ(ErrorOf(LoadString(
                ClaimWithConfig("[{opaque: {driver: d.example.com, parameters: [1, 2]}}]"))),
            at + "[0].opaque.parameters: must be a mapping, got a list");

  // 10 KiB of JSON is allowed, one byte more is not: {"k":"<x...>"} is 8 bytes + the value.
  auto sized = [](size_t json_bytes) {
    return ClaimWithConfig("[{opaque: {driver: d.example.com, parameters: {k: " +
                           std::string(json_bytes - 8, 'x') + "}}}]");
  };
  EXPECT_EQ(ErrorOf(LoadString(sized(10 * 1024))), "OK");
  EXPECT_EQ(ErrorOf(LoadString(sized(10 * 1024 + 1))),
            at + "[0].opaque.parameters: must be no more than 10240 bytes as JSON, got 10241");

  std::string many = "[";
  for (int i = 0; i < 33; ++i) many += "{opaque: {driver: d.example.com, parameters: {}}},";
  EXPECT_EQ(ErrorOf(LoadString(ClaimWithConfig(many + "]"))),
            at + ": must have at most 32 config entries, got 33");

  // A DeviceClass's config applies to every request that uses the class.
  EXPECT_EQ(
      ErrorOf(LoadString("apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: {name: g}\n"
                         "spec:\n  config: [{requests: [gpu], opaque: {driver: d.example.com, "
                         "parameters: {}}}]\n")),
      "-: DeviceClass g: spec.config[0].requests: is not allowed in a DeviceClass");
}

// --- constraints -------------------------------------------------------------------------

TEST(DraObjectsTest, ValidatesConstraintReferencesAndAttributeNames) {
  auto claim = [](const std::string& constraint) {
    return ErrorOf(LoadString(
        "apiVersion: resource.k8s.io/v1\nkind: ResourceClaim\nmetadata: {name: c}\nspec:\n"
        "  devices:\n    requests:\n    - {name: gpu, exactly: {deviceClassName: g}}\n"
        "    - {name: nic, firstAvailable: [{name: fast, deviceClassName: n}]}\n"
        "    constraints: [" +
        constraint + "]\n"));
  };
  const std::string at = "-: ResourceClaim default/c: spec.devices.constraints[0]";
  EXPECT_EQ(claim("{requests: [gpu, nic, nic/fast], matchAttribute: example.com/pcieRoot}"), "OK");
  EXPECT_EQ(claim("{matchAttribute: example.com/pcieRoot}"), "OK");
  EXPECT_EQ(claim("{requests: [gpu, tpu], matchAttribute: example.com/pcieRoot}"),
            at + ".requests[1]: \"tpu\" names no request of this claim");
  EXPECT_EQ(claim("{requests: [nic/slow], distinctAttribute: example.com/nic}"),
            at + ".requests[0]: \"nic/slow\" names no request of this claim");
  EXPECT_EQ(claim("{requests: [gpu], matchAttribute: pcieRoot}"),
            at + ".matchAttribute: \"pcieRoot\" is not a fully qualified name: it needs a "
                 "domain (\"domain/name\")");
  EXPECT_EQ(claim("{requests: [gpu], distinctAttribute: nicIndex}"),
            at + ".distinctAttribute: \"nicIndex\" is not a fully qualified name: it needs a "
                 "domain (\"domain/name\")");
  EXPECT_EQ(claim("{requests: [gpu]}"),
            at + ": must set exactly one of matchAttribute and distinctAttribute");
}

// --- device taints -----------------------------------------------------------------------

TEST(DraObjectsTest, KeepsBlockingDeviceTaintsAndDropsNoneAndUnknownEffects) {
  auto loaded = LoadString(Slice(R"(
  - name: d
    taints:
    - {key: example.com/unhealthy, value: ecc, effect: NoSchedule}
    - {key: example.com/informational, effect: None}
    - {key: example.com/future, effect: NoAllocateInTheFuture}
    - {key: example.com/evict, effect: NoExecute})"));
  ASSERT_TRUE(loaded.ok()) << ErrorOf(loaded);
  const auto& taints = loaded->snapshot.resource_slices()[0].devices[0].taints;
  ASSERT_EQ(taints.size(), 2u);
  EXPECT_EQ(taints[0].key, "example.com/unhealthy");
  EXPECT_EQ(taints[0].value, "ecc");
  EXPECT_EQ(taints[0].effect, model::TaintEffect::kNoSchedule);
  EXPECT_EQ(taints[1].key, "example.com/evict");
  EXPECT_EQ(taints[1].value, "");
  EXPECT_EQ(taints[1].effect, model::TaintEffect::kNoExecute);
}

TEST(DraObjectsTest, ValidatesDeviceTaintsWhateverTheirEffect) {
  auto error = [](const std::string& taint) {
    return ErrorOf(LoadString(Slice("[{name: d, taints: [" + taint + "]}]")));
  };
  const std::string at = "-: ResourceSlice s: spec.devices[0].taints[0]";
  EXPECT_EQ(error("{key: -bad, effect: SomethingNew}"),
            at + ".key: \"-bad\" is not a valid key: the name part must consist of "
                 "alphanumeric characters, '-', '_' or '.', and start and end with an "
                 "alphanumeric character");
  EXPECT_EQ(error("{key: k, effect: PreferNoSchedule}"),
            at + ".effect: \"PreferNoSchedule\" is a node taint effect: a device taint's effect "
                 "must be NoSchedule, NoExecute or None");
  EXPECT_EQ(error("{key: k}"), at + ".effect: required field is missing");
}

TEST(DraObjectsTest, KeepsDeviceTaintRuleBehaviour) {
  auto rule = [](const std::string& effect) {
    return LoadString(
        "apiVersion: resource.k8s.io/v1alpha3\nkind: DeviceTaintRule\nmetadata: {name: r}\n"
        "spec:\n  deviceSelector: {driver: gpu.example.com}\n  taint: {key: k, effect: " +
        effect + "}\n");
  };
  auto none = rule("None");
  ASSERT_TRUE(none.ok()) << ErrorOf(none);
  EXPECT_TRUE(none->snapshot.device_taint_rules().empty());
  EXPECT_THAT(none->warnings, ElementsAre("-: DeviceTaintRule r: ignored because its taint has "
                                          "effect None, which does not affect scheduling"));
  auto execute = rule("NoExecute");
  ASSERT_TRUE(execute.ok()) << ErrorOf(execute);
  ASSERT_EQ(execute->snapshot.device_taint_rules().size(), 1u);
  EXPECT_EQ(execute->snapshot.device_taint_rules()[0].driver, "gpu.example.com");
  EXPECT_EQ(execute->snapshot.device_taint_rules()[0].taint.effect, model::TaintEffect::kNoExecute);
  EXPECT_EQ(ErrorOf(rule("Sometimes")),
            "-: DeviceTaintRule r: spec.taint.effect: \"Sometimes\" is not a valid device taint "
            "effect: must be one of NoSchedule, NoExecute");
}

}  // namespace
}  // namespace tessera::io
