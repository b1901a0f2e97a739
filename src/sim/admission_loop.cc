#include "sim/admission_loop.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

#include "base/check.h"

namespace tessera::sim {
namespace {

struct Departure {
  int64_t time;
  uint32_t workload;
  uint32_t generation;
  bool operator>(const Departure& o) const {
    return time != o.time ? time > o.time : workload > o.workload;
  }
};

int64_t RoundUp(int64_t t, int64_t step) {
  const int64_t q = t / step;
  return (q * step < t ? q + 1 : q) * step;
}

}  // namespace

AdmissionLoop::AdmissionLoop(admission::Admitter& admitter, std::vector<LoopWorkload>& workloads,
                             int64_t cycle)
    : admitter_(admitter), workloads_(workloads), cycle_(cycle) {
  TESSERA_CHECK(cycle > 0);
  pending_.reserve(workloads.size());
  pending_id_.reserve(workloads.size());
}

void AdmissionLoop::Enqueue(uint32_t id) {
  pending_.push_back(std::move(workloads_[id].spec));
  pending_id_.push_back(id);
}

LoopStats AdmissionLoop::Run(admission::PlacementOracle& oracle, LoopListener& listener) {
  LoopStats stats;
  if (workloads_.empty()) return stats;
  std::vector<uint32_t> arrivals(workloads_.size());
  for (uint32_t i = 0; i < arrivals.size(); ++i) arrivals[i] = i;
  std::stable_sort(arrivals.begin(), arrivals.end(), [&](uint32_t a, uint32_t b) {
    return workloads_[a].arrival < workloads_[b].arrival;
  });
  std::priority_queue<Departure, std::vector<Departure>, std::greater<>> departures;

  stats.first_arrival = workloads_[arrivals.front()].arrival;
  stats.last_departure = stats.first_arrival;
  int64_t now = RoundUp(stats.first_arrival, cycle_);
  size_t next_arrival = 0;
  bool changed = false;  // since the last cycle: an arrival, a departure or a requeued victim
  for (;;) {
    while (!departures.empty() && departures.top().time <= now) {
      const Departure d = departures.top();
      departures.pop();
      LoopWorkload& w = workloads_[d.workload];
      if (d.generation != w.generation) continue;  // preempted before it finished
      listener.Departed(d.workload, now);
      admitter_.Remove(w.handle);
      stats.last_departure = d.time;
      ++stats.departed;
      changed = true;
    }
    while (next_arrival < arrivals.size() && workloads_[arrivals[next_arrival]].arrival <= now) {
      const uint32_t id = arrivals[next_arrival++];
      Enqueue(id);
      listener.Arrived(id, now);
      changed = true;
    }
    if (changed) {
      changed = false;
      if (!pending_.empty()) {
        ++stats.cycles;
        listener.CycleStarting(now);
        const admission::CycleResult result = admitter_.RunCycle(pending_, oracle, now);
        for (uint32_t index : result.admitted) {
          const admission::AdmissionDecision& d = result.decisions[index];
          const uint32_t id = pending_id_[index];
          LoopWorkload& w = workloads_[id];
          w.handle = d.handle;
          if (workload_of_handle_.size() <= d.handle.index()) {
            workload_of_handle_.resize(d.handle.index() + 1);
          }
          workload_of_handle_[d.handle.index()] = id;
          if (w.runtime >= 0) departures.push({now + w.runtime, id, w.generation});
          ++stats.admissions;
          stats.borrowing_admissions += d.assignment.borrows ? 1 : 0;
          listener.Admitted(id, d, now);
        }
        for (const admission::AdmissionDecision& d : result.decisions) {
          if (d.outcome == admission::AdmissionOutcome::kPending &&
              d.reason.starts_with("quota available")) {
            ++stats.no_placement;
          }
        }
        // Admitted workloads leave the pending list (their specs go home); the rest keep
        // their order.
        size_t kept = 0;
        for (size_t i = 0; i < pending_.size(); ++i) {
          if (result.decisions[i].outcome == admission::AdmissionOutcome::kAdmitted) {
            workloads_[pending_id_[i]].spec = std::move(pending_[i]);
            continue;
          }
          if (kept != i) {
            pending_[kept] = std::move(pending_[i]);
            pending_id_[kept] = pending_id_[i];
          }
          ++kept;
        }
        pending_.resize(kept);
        pending_id_.resize(kept);
        // Victims were evicted (the oracle took their pods off the nodes); like Kueue, they
        // go back to their queue with their original creation time.
        for (admission::WorkloadHandle h : result.preempted) {
          const uint32_t id = workload_of_handle_[h.index()];
          ++workloads_[id].generation;
          Enqueue(id);
          ++stats.preemptions;
          listener.Preempted(id, now);
          changed = true;
        }
      }
    }
    listener.Stepped(now);
    // The next grid point with something to do (a requeued victim: the next one).
    int64_t next = std::numeric_limits<int64_t>::max();
    if (next_arrival < arrivals.size()) next = workloads_[arrivals[next_arrival]].arrival;
    if (!departures.empty()) next = std::min(next, departures.top().time);
    if (changed) next = now;
    if (next == std::numeric_limits<int64_t>::max()) break;
    now = std::max(now + cycle_, RoundUp(next, cycle_));
  }
  stats.end = now;
  stats.never_admitted = static_cast<int64_t>(pending_.size());
  return stats;
}

}  // namespace tessera::sim
