// A small hand-built snapshot for CEL tests, benchmarks and the fuzz target: seven devices of
// five drivers, with the attribute vocabularies real DRA drivers publish. Test-only.
//   gpu-0  gpu.nvidia.com          type gpu, A100 40GB, index 0, memory 40Gi
//   gpu-1  gpu.nvidia.com          type gpu, H100 80GB, index 1, memory 80Gi
//   mig-0  gpu.nvidia.com          type mig, profile 1g.5gb, memory 4864Mi, 14 SMs
//   ex-0   gpu.example.com         model LATEST-GPU-MODEL, driverVersion 1.2.3-rc.1, 80Gi
//   drv-0  driver.example.com      type gpu, memory 64Gi
//   share-0 test-driver.cdi.k8s.io allowMultipleAllocations, preallocate, counters 2
//   dra-0  dra.example.com         a true, b false, numa 1
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/check.h"
#include "model/snapshot.h"
#include "model/specs.h"

namespace tessera::dra::cel::testing {

inline model::DeviceAttributeSpec Attr(std::string name, int64_t v) { return {std::move(name), v}; }
inline model::DeviceAttributeSpec Attr(std::string name, bool v) { return {std::move(name), v}; }
inline model::DeviceAttributeSpec Attr(std::string name, const char* v) {
  return {std::move(name), std::string(v)};
}
inline model::DeviceAttributeSpec Version(std::string name, const char* v) {
  return {std::move(name), model::SemVer{v}};
}
inline model::DeviceCapacitySpec Cap(std::string name, int64_t v) {
  return {std::move(name), Quantity(v), std::nullopt};
}

constexpr int64_t kGi = int64_t{1} << 30;
constexpr int64_t kMi = int64_t{1} << 20;

inline model::Snapshot BuildCelFixture() {
  model::SnapshotBuilder b;
  model::NodeSpec node;
  node.name = "node-a";
  b.AddNode(node);

  model::ResourceSliceSpec nvidia;
  nvidia.name = "node-a-gpu.nvidia.com";
  nvidia.driver = "gpu.nvidia.com";
  nvidia.pool = "node-a";
  nvidia.node_name = "node-a";
  model::DeviceSpec gpu0;
  gpu0.name = "gpu-0";
  gpu0.attributes = {Attr("type", "gpu"),
                     Attr("productName", "NVIDIA A100-SXM4-40GB"),
                     Attr("brand", "Nvidia"),
                     Attr("architecture", "Ampere"),
                     Attr("uuid", "GPU-aaaa"),
                     Attr("index", int64_t{0}),
                     Attr("minor", int64_t{0}),
                     Version("driverVersion", "550.54.15"),
                     Version("cudaComputeCapability", "8.0.0"),
                     Version("cudaDriverVersion", "12.4.0"),
                     Attr("resource.kubernetes.io/pcieRoot", "pci0000:00")};
  gpu0.capacity = {Cap("memory", 40 * kGi)};
  model::DeviceSpec gpu1;
  gpu1.name = "gpu-1";
  gpu1.attributes = {Attr("type", "gpu"),
                     Attr("productName", "NVIDIA H100 80GB HBM3"),
                     Attr("brand", "Nvidia"),
                     Attr("architecture", "Hopper"),
                     Attr("uuid", "GPU-bbbb"),
                     Attr("gpu.nvidia.com/index", int64_t{1}),
                     Attr("minor", int64_t{1}),
                     Version("driverVersion", "550.54.15"),
                     Version("cudaComputeCapability", "9.0.0"),
                     Version("cudaDriverVersion", "12.4.0"),
                     Attr("resource.kubernetes.io/pcieRoot", "pci0000:80")};
  gpu1.capacity = {Cap("memory", 80 * kGi)};
  model::DeviceSpec mig0;
  mig0.name = "mig-0";
  mig0.attributes = {Attr("type", "mig"),
                     Attr("profile", "1g.5gb"),
                     Attr("parentUUID", "GPU-aaaa"),
                     Attr("productName", "NVIDIA A100-SXM4-40GB"),
                     Version("driverVersion", "550.54.15"),
                     Version("cudaComputeCapability", "8.0.0")};
  mig0.capacity = {Cap("memory", 4864 * kMi), Cap("multiprocessors", 14),
                   Cap("copyEngines", 1)};
  nvidia.devices = {gpu0, gpu1, mig0};
  b.AddResourceSlice(nvidia);

  model::ResourceSliceSpec example;
  example.name = "node-a-gpu.example.com";
  example.driver = "gpu.example.com";
  example.pool = "node-a";
  example.node_name = "node-a";
  model::DeviceSpec ex0;
  ex0.name = "ex-0";
  ex0.attributes = {Attr("model", "LATEST-GPU-MODEL"), Attr("index", int64_t{0}),
                    Attr("uuid", "gpu-18db0e85"), Version("driverVersion", "1.2.3-rc.1")};
  ex0.capacity = {Cap("memory", 80 * kGi), Cap("compute", 100)};
  example.devices = {ex0};
  b.AddResourceSlice(example);

  model::ResourceSliceSpec website;
  website.name = "node-a-driver.example.com";
  website.driver = "driver.example.com";
  website.pool = "node-a";
  website.node_name = "node-a";
  model::DeviceSpec drv0;
  drv0.name = "drv-0";
  drv0.attributes = {Attr("type", "gpu")};
  drv0.capacity = {Cap("memory", 64 * kGi)};
  website.devices = {drv0};
  b.AddResourceSlice(website);

  model::ResourceSliceSpec perf;
  perf.name = "node-a-test-driver";
  perf.driver = "test-driver.cdi.k8s.io";
  perf.pool = "node-a";
  perf.node_name = "node-a";
  model::DeviceSpec share0;
  share0.name = "share-0";
  share0.allow_multiple_allocations = true;
  share0.attributes = {Attr("preallocate", true), Attr("dra.example.com/slice", int64_t{3}),
                       Attr("model", "test-model"), Version("driverVersion", "1.0.0")};
  share0.capacity = {Cap("counters", 2), Cap("memory", 80 * kGi)};
  perf.devices = {share0};
  b.AddResourceSlice(perf);

  model::ResourceSliceSpec dra;
  dra.name = "node-a-dra";
  dra.driver = "dra.example.com";
  dra.pool = "node-a";
  dra.node_name = "node-a";
  model::DeviceSpec dra0;
  dra0.name = "dra-0";
  dra0.attributes = {Attr("a", true), Attr("b", false), Attr("numa", int64_t{1})};
  dra.devices = {dra0};
  b.AddResourceSlice(dra);

  Result<model::Snapshot> s = std::move(b).Build();
  TESSERA_CHECK(s.ok()) << s.error().ToString();
  return std::move(s).value();
}

// The device called `name` in the fixture.
inline model::DeviceId FixtureDevice(const model::Snapshot& s, std::string_view name) {
  const auto& names = s.devices().name;
  for (size_t k = 0; k < names.size(); ++k) {
    if (names[k] == name) return model::DeviceId::FromIndex(k);
  }
  TESSERA_CHECK(false) << "no fixture device " << name;
  return model::DeviceId();
}

}  // namespace tessera::dra::cel::testing
