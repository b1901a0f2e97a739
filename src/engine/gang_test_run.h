// Test-only: schedule a snapshot with gangs through a fresh engine under the invariant
// checker, and read the decisions back by pod name. Shared by the gang and slice-layer tests.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "testing/cluster_builder.h"

namespace tessera::engine::testing_gangs {

struct GangRunResult {
  model::Snapshot snapshot;
  ScheduleResult result;
  std::unique_ptr<model::Overlay> overlay;

  const model::Decision& Of(const std::string& pod) const {
    return result.decisions[snapshot.FindPod("default", pod)->index()];
  }
  // The node of a placed pod, "" otherwise.
  std::string NodeOf(const std::string& pod) const {
    const auto id = snapshot.FindPod("default", pod);
    EXPECT_TRUE(id.has_value()) << pod;
    const model::Decision& d = result.decisions[id->index()];
    return d.outcome == model::Outcome::kPlaced ? snapshot.node_name(d.node) : "";
  }
  // Pods <prefix>-0 .. <prefix>-<count-1> per node, "" for unplaced.
  std::map<std::string, int> Nodes(const std::string& prefix, int count) const {
    std::map<std::string, int> out;
    for (int i = 0; i < count; ++i) out[NodeOf(fmt::format("{}-{}", prefix, i))]++;
    return out;
  }
  // The same per rack (the node name without its last "-n<i>"), "" for unplaced.
  std::map<std::string, int> Racks(const std::string& prefix, int count) const {
    std::map<std::string, int> out;
    for (int i = 0; i < count; ++i) {
      const std::string node = NodeOf(fmt::format("{}-{}", prefix, i));
      out[node.empty() ? "" : node.substr(0, node.rfind('-'))]++;
    }
    return out;
  }
};

// Every pod decided with Options{.gangs, .check}; the checker must have found nothing.
inline GangRunResult ScheduleGangs(testing::ClusterBuilder&& b, const model::GangObjects& objects) {
  GangRunResult run{std::move(b).Build(), {}, nullptr};
  run.overlay = std::make_unique<model::Overlay>(run.snapshot);
  auto engine = Engine::Create(run.snapshot, Options{.gangs = &objects, .check = true},
                               run.overlay.get());
  EXPECT_TRUE(engine.ok()) << engine.error().ToString();
  run.result = (*engine)->ScheduleAll();
  EXPECT_EQ(run.result.check_error, "");
  return run;
}

}  // namespace tessera::engine::testing_gangs
