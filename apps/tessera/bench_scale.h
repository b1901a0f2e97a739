// The `scale` scenarios of `tessera bench` (issue #7): a large cluster of DRA GPUs (8 per
// node in two NVLink domains of 4, racks of 32 nodes, blocks of 8 racks) and a replay of
// pods through the engine's incremental API (engine::Engine::PlacePod, PlaceGang, Release)
// in simulated time: 60% of the pods ask for a share of one GPU (25% or 50% of its memory),
// 35% for 1, 2, 4 or 8 whole GPUs, 5% belong to gangs with a required rack or block; they
// arrive and leave at rates that keep the cluster about 90% full of GPU.
//
// Invariants: the snapshot (every node, device and pod of the run) and the engine are built
// before the timed part, which is the event loop; a run is deterministic for its shape (the
// seed included); every PlacePod and PlaceGang call is one decision, timed alone.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tessera::cli {

// One kind of gang: `pods` pods of `gpus_per_pod` whole GPUs each, all in one rack (or, with
// `required_block`, in one block).
struct ScaleGangKind {
  int32_t pods = 0;
  int32_t gpus_per_pod = 0;
  bool required_block = false;
};

struct ScaleShape {
  int32_t nodes = 0;  // 8 GPUs each
  int32_t nodes_per_rack = 32;
  int32_t racks_per_block = 8;
  int64_t pods = 0;  // in every arrival, gang pods included
  // Shares of the pods: a fraction of one GPU (half 25%, half 50% of its memory), whole GPUs
  // (1, 2, 4 or 8: 50/25/15/10%); the rest are gang pods, gangs drawn uniformly from
  // `gang_kinds`.
  double fractional_share = 0.60;
  double whole_share = 0.35;
  std::vector<ScaleGangKind> gang_kinds;
  // Arrivals (a pod or a whole gang each) are a Poisson process at the rate that offers this
  // share of the cluster's GPUs in demand; every pod or gang runs for an exponential time of
  // mean `mean_duration_ms` (GPU-weighted).
  double offered_load = 0.90;
  int64_t mean_duration_ms = 3'600'000;
  // Occupancy is averaged from here on (the cluster fills in about three mean durations).
  int64_t warmup_ms = 3 * 3'600'000;
  // A pod or gang that fits nowhere waits in a FIFO. After each departure at most
  // `retries_per_departure` of the first `retry_scan` waiting entries are tried again, each
  // only once at least its own GPUs have been freed since its last try; an entry is dropped
  // (counted) after `max_attempts` failed tries, its first included.
  int32_t retry_scan = 16;
  int32_t retries_per_departure = 4;
  int32_t max_attempts = 8;
  uint64_t seed = 0;
  // Tests: every this many decisions (and at the end) Engine::CheckInvariants() and the
  // GPUs per node summed from the decisions; every gang checked whole or empty after its
  // decision. 0: no checks (the bench).
  int64_t check_every = 0;
};

// 10,000 nodes (80,000 GPUs), one million pods.
ScaleShape Scale10k();
// 1,000 nodes, 100,000 pods: the same shape scaled down, quick.
ScaleShape Scale1k();

struct ScaleRun {
  int64_t nodes = 0;
  int64_t gpus = 0;
  int64_t pods = 0;
  int64_t gangs = 0;  // gangs in the workload
  // The pods by kind: a share of one GPU, whole GPUs, in a gang.
  int64_t fractional_pods = 0, whole_pods = 0, gang_pods = 0;
  int64_t decisions = 0;  // PlacePod and PlaceGang calls
  int64_t gang_decisions = 0;
  int64_t retries = 0;      // decisions for waiting entries (a subset of decisions)
  int64_t placed_pods = 0;  // a gang's pods count one each
  int64_t placed_gangs = 0;
  int64_t dropped_pods = 0;  // gave up after max_attempts (gang pods included)
  int64_t dropped_gangs = 0;
  int64_t waiting_at_end = 0;  // entries still waiting when the last pod has arrived
  int64_t releases = 0;        // Engine::Release calls
  // Share of the GPUs allocated (GPU shares counted as fractions), time-weighted from the
  // warm-up to the last arrival; min and max as seen at arrivals in that window.
  double occupancy_mean = 0;
  double occupancy_min = 0;
  double occupancy_max = 0;
  int64_t simulated_ms = 0;  // first to last arrival
  // By `cpu_clock`: building the snapshot, Engine::Create, then the event loop (the figure
  // that counts: decisions, releases and the bookkeeping between them).
  double build_seconds = 0;
  double create_seconds = 0;
  double decide_seconds = 0;
  // Resident memory (Linux /proc/self/statm; 0 elsewhere) once the snapshot is built, once
  // the engine is created and after the loop, in MiB.
  double rss_after_build_mib = 0;
  double rss_after_create_mib = 0;
  double rss_after_loop_mib = 0;
  // By `latency_clock`: each decision alone; the gangs' again on their own; all releases.
  std::vector<double> decision_seconds;
  std::vector<double> gang_decision_seconds;
  double release_seconds = 0;
  // A hash of every decision's outcome and node(s), in order: equal runs have equal ones.
  uint64_t fingerprint = 0;
  // ScaleShape::check_every: the first broken invariant; "" when all held (or unchecked).
  std::string check_error;
  int64_t checks = 0;  // invariant checks run
};

// Builds the shape and replays it once. `cpu_clock` and `latency_clock` return seconds since
// some fixed point (the bench passes the thread's CPU clock and a monotonic wall clock);
// `progress`, when set, is called with 10, 20, ... 100 as that percentage of the arrivals
// has been decided.
ScaleRun RunScale(const ScaleShape& shape, const std::function<double()>& cpu_clock,
                  const std::function<double()>& latency_clock,
                  const std::function<void(int percent)>& progress = {});

}  // namespace tessera::cli
