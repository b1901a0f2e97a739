// The `queues` scenarios of `tessera bench` (issue #7): Kueue's large-scale scheduler_perf
// shape (test/performance/scheduler/configs/large-scale at kueue f6517b0c: 10 cohorts x 100
// ClusterQueues, 50 single-pod workloads per ClusterQueue in three classes) on a cluster of
// real nodes with two flavors, run in simulated time by sim::AdmissionLoop (the loop
// `tessera simulate` replays tenants with). Workloads arrive; an admission cycle
// (admission::Admitter, with every pod placed on the nodes by the placement filters and
// scorer, as the engine places them) runs whenever something arrived, left or was preempted;
// admitted workloads run for their runtime and leave; preempted ones go back to their queue.
//
// Invariants: everything (queue objects, the compiled QueueModel, the snapshot of nodes and
// of every pod, the workloads' requests) is built before the timed part, which is the cycles
// and the bookkeeping between them; every run is deterministic for its seed; after a run every
// workload has been admitted and has left, so quota usage and the overlay are back to zero
// (checked).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "model/queue_specs.h"
#include "model/snapshot.h"

namespace tessera::cli {

// One of Kueue's workload classes ("small", "medium", "large").
struct QueueWorkloadClass {
  std::string_view name;
  int per_queue = 0;        // workloads of this class per ClusterQueue
  int64_t interval_ms = 0;  // between two arrivals of the class in one ClusterQueue
  int64_t runtime_ms = 0;   // how long an admitted workload runs
  int32_t priority = 0;     // its WorkloadPriorityClass value
  int64_t cpu_milli = 0;    // the pod's cpu request; memory is 2 GiB per cpu
};

struct QueuesShape {
  int cohorts = 0;
  int queues_per_cohort = 0;
  std::vector<QueueWorkloadClass> classes;
  // Per ClusterQueue and flavor ("on-demand" first in the group, then "spot"), in cpu; memory
  // quota is 2 GiB per cpu. Kueue's shape has one flavor with nominal 20, borrowingLimit 100.
  int64_t on_demand_cpu = 0, spot_cpu = 0;
  int64_t on_demand_borrowing_cpu = 0, spot_borrowing_cpu = 0;
  // Nodes of each flavor (label tessera.dev/pool=<flavor>), each with node_cpu and 4 GiB
  // of memory per cpu.
  int on_demand_nodes = 0, spot_nodes = 0;
  int64_t node_cpu = 0;
  int64_t cycle_ms = 0;  // cycles run at multiples of this, when something changed
  uint64_t seed = 0;     // arrival phases and runtime jitter
};

// 10 cohorts x 100 ClusterQueues, 50,000 workloads: the shape Kueue measured at ~1,179 s.
QueuesShape QueuesLargeScale();
// 2 cohorts x 50 ClusterQueues, 5,000 workloads: the same shape scaled down, for tests.
QueuesShape QueuesSmall();

struct QueuesRun {
  int64_t cluster_queues = 0;
  int64_t nodes = 0;
  int64_t workloads = 0;
  int64_t decisions = 0;   // admission attempts: one per pending workload tried per cycle
  int64_t admissions = 0;  // workloads admitted (a preempted one counts again when readmitted)
  int64_t borrowing_admissions = 0;  // of those, admitted while their ClusterQueue borrows
  int64_t preemptions = 0;           // workloads evicted to make room
  int64_t no_placement = 0;          // decisions where the quota fitted but the pods did not
  // Placements attempted on the nodes (the rest of no_placement reused a refusal of alike
  // pods in the same cycle: PendingWorkload::placement_class).
  int64_t placement_attempts = 0;
  int64_t cycles = 0;
  int64_t makespan_ms = 0;  // simulated: first arrival to last departure
  // By `cpu_clock`: building everything, then the cycles (the figure that counts).
  double setup_seconds = 0;
  double decide_seconds = 0;
  // By `latency_clock`: each decision from the end of the previous one in its cycle (the
  // first from the start of the cycle, so the cycle's own setup is charged to it).
  std::vector<double> decision_seconds;
};

// The whole shape at once for engine::Engine (Options::queues): every workload pending, as
// Jobs of one pod (WorkloadSpec with PodSet "main") in the snapshot, for one ScheduleAll.
// Creation times are the arrival times in milliseconds, read as seconds (only their order
// matters).
struct QueuesBurst {
  model::QueueObjects objects;
  model::Snapshot snapshot;
};
QueuesBurst BuildQueuesBurst(const QueuesShape& shape);

// Runs the shape once. `cpu_clock` measures setup and decide time (the bench passes the
// thread's CPU clock); `latency_clock` times single decisions (the bench passes a monotonic
// wall clock, cheaper to read). Both return seconds since some fixed point.
QueuesRun RunQueues(const QueuesShape& shape, const std::function<double()>& cpu_clock,
                    const std::function<double()>& latency_clock);

}  // namespace tessera::cli
