// Test-only shorthands for writing queueing objects in a few lines. Included only by the
// admission tests; nothing in the library uses it.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "admission/admitter.h"
#include "model/queue_specs.h"

namespace tessera::admission::testing {

// Compiles `o`; an error fails the test (without aborting it) and names the object.
inline QueueModel Compile(const model::QueueObjects& o) {
  Result<QueueModel> m = QueueModel::Build(o);
  EXPECT_TRUE(m.ok()) << m.error().ToString();
  return std::move(m).value();
}

// Compiles `o` with its flavors replaced by the one flavor "default" that CpuQueue names.
inline QueueModel CompileWithDefaultFlavor(model::QueueObjects o) {
  o.flavors = {model::ResourceFlavorSpec{.name = "default"}};
  return Compile(o);
}

inline model::ResourceQuotaSpec Quota(std::string name, int64_t nominal,
                                      std::optional<int64_t> borrowing_limit = std::nullopt,
                                      std::optional<int64_t> lending_limit = std::nullopt) {
  model::ResourceQuotaSpec q;
  q.name = std::move(name);
  q.nominal_quota = Quantity(nominal);
  if (borrowing_limit) q.borrowing_limit = Quantity(*borrowing_limit);
  if (lending_limit) q.lending_limit = Quantity(*lending_limit);
  return q;
}

inline model::FlavorQuotasSpec FlavorQuotas(std::string flavor,
                                            std::vector<model::ResourceQuotaSpec> resources) {
  return model::FlavorQuotasSpec{std::move(flavor), std::move(resources)};
}

inline model::ResourceGroupSpec Group(std::vector<std::string> covered,
                                      std::vector<model::FlavorQuotasSpec> flavors) {
  return model::ResourceGroupSpec{std::move(covered), std::move(flavors)};
}

// A ClusterQueue with one group {cpu} and one flavor "default".
inline model::ClusterQueueSpec CpuQueue(std::string name, std::string cohort, int64_t nominal,
                                        std::optional<int64_t> borrowing_limit = std::nullopt,
                                        std::optional<int64_t> lending_limit = std::nullopt) {
  model::ClusterQueueSpec cq;
  cq.name = std::move(name);
  cq.cohort = std::move(cohort);
  cq.resource_groups = {Group(
      {"cpu"}, {FlavorQuotas("default", {Quota("cpu", nominal, borrowing_limit, lending_limit)})})};
  return cq;
}

inline model::CohortSpec Cohort(std::string name, std::string parent,
                                std::vector<model::ResourceGroupSpec> groups = {}) {
  model::CohortSpec c;
  c.name = std::move(name);
  c.parent = std::move(parent);
  c.resource_groups = std::move(groups);
  return c;
}

inline model::ResourceFlavorSpec Flavor(std::string name, model::Labels labels = {}) {
  model::ResourceFlavorSpec f;
  f.name = std::move(name);
  f.node_labels = std::move(labels);
  return f;
}

// A single-PodSet ("main") workload of `count` pods requesting `cpu_milli` each.
inline PendingWorkload CpuWorkload(const QueueModel& model, std::string name, std::string cq,
                                   int64_t cpu_milli, int32_t priority = 0, int64_t creation = 0,
                                   int32_t count = 1) {
  PendingWorkload w;
  w.name = std::move(name);
  w.cluster_queue = model.FindClusterQueue(cq);
  w.priority = priority;
  w.creation_unix_seconds = creation;
  PodSetRequest ps;
  ps.name = "main";
  ps.count = count;
  ps.per_pod.push_back(ResourceAmount{model.FindResource("cpu"), cpu_milli});
  w.pod_sets.push_back(std::move(ps));
  return w;
}

// Admits `w` directly (test setup): usage = its PodSets' requests in flavor "default".
inline AdmittedWorkload Running(const QueueModel& model, std::string name, std::string cq,
                                int64_t cpu_milli, int32_t priority, int64_t admitted_at,
                                int64_t created_at = 0) {
  AdmittedWorkload a;
  a.name = std::move(name);
  a.cluster_queue = model.FindClusterQueue(cq);
  a.priority = priority;
  a.creation_unix_seconds = created_at;
  a.admission_unix_seconds = admitted_at;
  a.usage.push_back(FlavorResourceAmount{
      model.Fr(model.FindFlavor("default"), model.FindResource("cpu")), cpu_milli});
  return a;
}

}  // namespace tessera::admission::testing
