// DRA device quota through Kueue's deviceClassMappings, on hand-built snapshots: the worked
// example of quota_devices.h and each request Kueue refuses.
#include "admission/quota_devices.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace tessera::admission {
namespace {

model::ResourceClaimSpec Template(std::string name,
                                  std::vector<model::DeviceRequestSpec> requests) {
  model::ResourceClaimSpec c;
  c.name = std::move(name);
  c.is_template = true;
  c.requests = std::move(requests);
  return c;
}

model::DeviceRequestSpec Request(std::string device_class, int64_t count = 1) {
  model::DeviceRequestSpec r;
  r.name = "r";
  r.device_class_name = std::move(device_class);
  r.count = count;
  return r;
}

struct Fixture {
  QueueModel queues;
  model::Snapshot snapshot;
};

// A pod "p" claiming from `templates` (by template) and from `shared` (by claim name).
Fixture Build(std::vector<model::ResourceClaimSpec> claims,
              std::vector<model::PodClaimRefSpec> refs, bool configuration = true) {
  model::QueueObjects o;
  o.has_kueue_configuration = configuration;
  if (configuration) {
    o.device_class_mappings = {
        {"example.com/gpu", {"gpu.example.com", "gpu-large.example.com"}, "config.yaml", 0}};
  }
  Result<QueueModel> queues = QueueModel::Build(o);
  EXPECT_TRUE(queues.ok()) << queues.error().ToString();
  model::SnapshotBuilder b;
  for (model::ResourceClaimSpec& c : claims) b.AddResourceClaim(std::move(c));
  model::PodSpec pod;
  pod.name = "p";
  pod.claims = std::move(refs);
  b.AddPod(std::move(pod));
  Result<model::Snapshot> snapshot = std::move(b).Build();
  EXPECT_TRUE(snapshot.ok()) << snapshot.error().ToString();
  return Fixture{std::move(*queues), std::move(*snapshot)};
}

model::PodClaimRefSpec FromTemplate(std::string name, std::string tmpl) {
  return model::PodClaimRefSpec{std::move(name), "", std::move(tmpl)};
}

TEST(DeviceQuotaTest, CountsTemplateRequestsPerPodAndNotSharedClaims) {
  model::ResourceClaimSpec shared;
  shared.name = "scratch";
  shared.requests = {Request("gpu.example.com", 4)};
  Fixture f = Build({Template("one-gpu", {Request("gpu.example.com")}),
                     Template("two-gpus", {Request("gpu-large.example.com", 2)}), shared},
                    {FromTemplate("a", "one-gpu"), FromTemplate("b", "two-gpus"),
                     model::PodClaimRefSpec{"c", "scratch", ""}});
  const DeviceQuota q = DeviceQuotaOf(f.queues, f.snapshot, model::PodId::FromIndex(0), 0);
  EXPECT_EQ(q.inadmissible, "");
  ASSERT_EQ(q.per_pod.size(), 1u);
  EXPECT_EQ(f.queues.resource_name(q.per_pod[0].resource), "example.com/gpu");
  EXPECT_EQ(q.per_pod[0].amount, 3);  // 1 + 2; the shared claim's 4 are not charged
}

TEST(DeviceQuotaTest, AdminAccessIsFreeAndNothingIsChargedWithoutAConfiguration) {
  model::DeviceRequestSpec admin = Request("gpu.example.com", 8);
  admin.admin_access = true;
  Fixture f = Build({Template("monitor", {admin, Request("gpu.example.com")})},
                    {FromTemplate("m", "monitor")});
  DeviceQuota q = DeviceQuotaOf(f.queues, f.snapshot, model::PodId::FromIndex(0), 0);
  ASSERT_EQ(q.per_pod.size(), 1u);
  EXPECT_EQ(q.per_pod[0].amount, 1);

  Fixture none = Build({Template("t", {Request("tpu.example.com")})}, {FromTemplate("m", "t")},
                       /*configuration=*/false);
  q = DeviceQuotaOf(none.queues, none.snapshot, model::PodId::FromIndex(0), 0);
  EXPECT_TRUE(q.per_pod.empty());
  EXPECT_EQ(q.inadmissible, "");
}

TEST(DeviceQuotaTest, RefusesAllocationModeAllFirstAvailableAndUnmappedClasses) {
  model::DeviceRequestSpec all = Request("gpu.example.com");
  all.allocation_mode = model::AllocationMode::kAll;
  Fixture f = Build({Template("all-gpus", {all})}, {FromTemplate("g", "all-gpus")});
  EXPECT_EQ(DeviceQuotaOf(f.queues, f.snapshot, model::PodId::FromIndex(0), 1).inadmissible,
            "spec.podSets[1].template.spec.resourceClaims[0].devices.requests[0].exactly."
            "allocationMode: Invalid value: \"All\": ResourceClaimTemplate all-gpus: "
            "AllocationMode 'All' is not supported");

  model::DeviceRequestSpec alternatives;
  alternatives.name = "r";
  alternatives.first_available = {Request("gpu.example.com")};
  Fixture fa = Build({Template("either", {Request("gpu.example.com"), alternatives})},
                     {FromTemplate("g", "either")});
  EXPECT_EQ(DeviceQuotaOf(fa.queues, fa.snapshot, model::PodId::FromIndex(0), 0).inadmissible,
            "spec.podSets[0].template.spec.resourceClaims[0].devices.requests[1]: Invalid value: "
            "\"null\": ResourceClaimTemplate either: FirstAvailable device selection is not "
            "supported");

  Fixture u = Build({Template("one-gpu", {Request("gpu.example.com")}),
                     Template("one-tpu", {Request("tpu.example.com")})},
                    {FromTemplate("g", "one-gpu"), FromTemplate("t", "one-tpu")});
  const DeviceQuota q = DeviceQuotaOf(u.queues, u.snapshot, model::PodId::FromIndex(0), 0);
  EXPECT_EQ(q.inadmissible,
            "spec.podSets[0].template.spec.resourceClaims[1].resourceClaimTemplateName."
            "deviceClassName: Not found: \"tpu.example.com\"");
  EXPECT_TRUE(q.per_pod.empty());
}

TEST(DeviceQuotaTest, AClassMappedTwiceIsAnError) {
  model::QueueObjects o;
  o.has_kueue_configuration = true;
  o.device_class_mappings = {
      {"example.com/gpu", {"gpu.example.com", "gpu.example.com"}, "config.yaml", 0}};
  Result<QueueModel> m = QueueModel::Build(o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().ToString(),
            "config.yaml: Configuration: resources.deviceClassMappings[0].deviceClassNames[1]: "
            "DeviceClass gpu.example.com is mapped twice");
}

}  // namespace
}  // namespace tessera::admission
