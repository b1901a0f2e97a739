// The named scenarios `tessera bench` runs: clusters in the shape of Kubernetes
// scheduler_perf's DRA cases (../shared/reference/k8s-perf.md sections 1-2), built with
// model::SnapshotBuilder, each with the published figure it compares with. Invariant: a
// scenario's snapshots are built outside every timed region; building is not measured.
#pragma once

#include <span>
#include <string_view>

#include "model/snapshot.h"

namespace tessera::cli {

struct BenchScenario {
  std::string_view name;
  std::string_view anchor;  // the Kubernetes figure the result is compared with
  // Builds the cluster with every pending pod of one run. Aborts on a builder error (a bug).
  model::Snapshot (*build)();
  // Builds the cluster with one representative pending pod alone, for the per-pod latency
  // pass; null when a pod decided alone does not stand for the pods of the run (a fill: each
  // pod sees a fuller cluster than the one before), so p50/p99/max are not measured.
  model::Snapshot (*build_one)();
  int runs;          // timed whole-scenario runs, each on a fresh engine
  int latency_runs;  // single-pod runs for p50/p99/max (when build_one is set)
  // > 0: a steady state instead of one ScheduleAll: this many rounds in which every pending
  // pod is placed (Engine::PlacePod, each timed for p50/p99/max) and then released, as
  // scheduler_perf deletes and recreates its pods.
  int steady_rounds = 0;
};

// Every scenario, in the order `tessera bench` runs them.
std::span<const BenchScenario> BenchScenarios();

// The scenario called `name`, or null.
const BenchScenario* FindBenchScenario(std::string_view name);

}  // namespace tessera::cli
