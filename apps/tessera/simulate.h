// `tessera simulate`: replays a trace or scenario on a modelled cluster under several
// placement policies and seeds, and reports GPU allocation, fragmentation and queueing
// (docs/simulate.md); `--experiment backfill` replays gang jobs under queueing policies
// (docs/backfill.md). Invariant: stdout carries only the results (table or JSON); progress
// and the report's path go to stderr.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace tessera::cli {

struct SimulateFlags {
  std::string experiment = "fill";
  std::string nodes, pods, scenario, arrivals;
  std::string policies;  // comma-separated; empty: the default set
  std::string seeds = "42-51";
  double tune = 1.3;
  std::string output = "table";
  std::string report;         // HTML file; the built-in scenario writes tessera-simulate.html
  int threads = 0;            // 0: one per core
  bool check = false;         // run the invariant checker after every decision
  int reservation_depth = 1;  // backfill experiment: blocked jobs that get a reservation
  // Backfill experiment: failure injection through the JobSet lifecycle (0: off).
  double pod_failure_rate = 0;  // probability that a pod's run fails
  double node_mtbf_hours = 0;   // each node's mean time between failures
  int max_restarts = 3;         // the JobSets' failurePolicy.maxRestarts
  // Backfill experiment: the rest of the JobSet lifecycle (off by default).
  std::string jobset_shape = "gang";    // the big gangs: gang or leader-workers
  int wait_for_pods_ready_seconds = 0;  // Kueue waitForPodsReady timeout; 0: off
  int backoff_limit_count = -1;         // requeues before deactivation; -1: no limit
  int pod_startup_seconds = 0;          // pods Ready after a uniform 0 to this many seconds
  bool block_admission = false;         // Kueue waitForPodsReady.blockAdmission
  // Kueue waitForPodsReady.requeuingStrategy and recoveryTimeout (need the timeout when they
  // differ from these defaults, which are Kueue's).
  int requeue_backoff_base_seconds = 60;       // backoffBaseSeconds
  int requeue_backoff_max_seconds = 3600;      // backoffMaxSeconds
  std::string requeue_timestamp = "eviction";  // timestamp: eviction or creation
  int recovery_timeout_seconds = -1;           // recoveryTimeout; -1: none
  std::vector<std::string> jobset_files;       // JobSet manifests the big gangs become
};

CLI::App* AddSimulateCommand(CLI::App& app, SimulateFlags& flags);

// Runs the simulation and returns the exit status (see exit_status.h).
int RunSimulate(const SimulateFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace tessera::cli
