// Queued workloads in simulated time: workloads arrive, an admission cycle
// (admission::Admitter, placing pods through the caller's PlacementOracle) runs whenever
// something arrived, left or was preempted, admitted workloads run for their runtime and
// leave, and preempted ones go back to their queue with their original creation time, as in
// Kueue. Shared by `tessera simulate` (replay of a scenario with queues, tenant_replay.h) and
// `tessera bench queues`; the time unit is the caller's (seconds there, milliseconds here).
//
// Cycles run on a grid: at multiples of `cycle` (from the first arrival rounded up), only at
// grid points where something changed, and never twice at one point; a victim requeued by a
// cycle is retried at the next grid point. Worked example, cycle 10, a queue with room for two
// workloads: A arrives at 3 and runs 21, B at 25 and C at 26. Cycles run at 10 (A is admitted
// and will leave at 31), 30 (B is admitted, C waits for quota) and 40 (A's departure, seen at
// the first grid point at or after it: C is admitted); nothing happens at 20.
//
// Invariant: a workload is in exactly one of: not yet arrived, pending, admitted (with a
// departure scheduled for its current generation, unless its runtime is < 0), departed.
// Not thread-safe; one loop per run.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "admission/admitter.h"

namespace tessera::sim {

struct LoopWorkload {
  int64_t arrival = 0;
  int64_t runtime = -1;  // once admitted; < 0: never leaves
  // The admitter's view. Its name, queue and requests are the caller's; the loop moves it into
  // the pending list while the workload waits and back when it is admitted.
  admission::PendingWorkload spec;
  // Set by the loop.
  admission::WorkloadHandle handle;  // while admitted
  uint32_t generation = 0;           // bumped on preemption: its departure is cancelled
};

// Told what happens, in order, on the loop's thread.
class LoopListener {
 public:
  virtual ~LoopListener() = default;
  virtual void Arrived(uint32_t /*workload*/, int64_t /*now*/) {}
  // The workload finished: take its pods off the nodes (its quota is released by the loop).
  virtual void Departed(uint32_t workload, int64_t now) = 0;
  virtual void CycleStarting(int64_t /*now*/) {}
  virtual void Admitted(uint32_t /*workload*/, const admission::AdmissionDecision& /*d*/,
                        int64_t /*now*/) {}
  // Evicted for a preemptor (the oracle already took its pods off); it is pending again.
  virtual void Preempted(uint32_t /*workload*/, int64_t /*now*/) {}
  // After the departures, arrivals and cycle of one grid point.
  virtual void Stepped(int64_t /*now*/) {}
};

struct LoopStats {
  int64_t cycles = 0;
  int64_t admissions = 0;            // a readmitted victim counts again
  int64_t borrowing_admissions = 0;  // admitted while their ClusterQueue borrows
  int64_t preemptions = 0;
  int64_t no_placement = 0;  // pending decisions where the quota fitted but the pods did not
  int64_t departed = 0;
  int64_t never_admitted = 0;  // still pending at the end
  int64_t first_arrival = 0;
  int64_t last_departure = 0;  // first_arrival when nothing left
  int64_t end = 0;             // the last grid point
};

class AdmissionLoop {
 public:
  // `admitter` and `workloads` must outlive the loop. Requires: cycle > 0.
  AdmissionLoop(admission::Admitter& admitter, std::vector<LoopWorkload>& workloads, int64_t cycle);
  AdmissionLoop(const AdmissionLoop&) = delete;
  AdmissionLoop& operator=(const AdmissionLoop&) = delete;

  // Runs until no arrival or departure is left and nothing changed since the last cycle.
  LoopStats Run(admission::PlacementOracle& oracle, LoopListener& listener);

  // For oracles and listeners during Run: the workload a pending entry (an element of the
  // span RunCycle was given) or an admitted handle belongs to.
  uint32_t WorkloadOf(const admission::PendingWorkload& pending) const {
    return pending_id_[static_cast<size_t>(&pending - pending_.data())];
  }
  uint32_t WorkloadOf(admission::WorkloadHandle handle) const {
    return workload_of_handle_[handle.index()];
  }
  // Workloads waiting now, in queue-entry order.
  std::span<const uint32_t> pending() const { return pending_id_; }

 private:
  void Enqueue(uint32_t id);

  admission::Admitter& admitter_;
  std::vector<LoopWorkload>& workloads_;
  int64_t cycle_;
  std::vector<admission::PendingWorkload> pending_;
  std::vector<uint32_t> pending_id_;
  std::vector<uint32_t> workload_of_handle_;
};

}  // namespace tessera::sim
