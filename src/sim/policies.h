// Placement policies of the simulator, each a node scorer selected by name. The simulator
// filters nodes (NodeState::Fits), asks the policy to score every node that passes, and
// places the task on the highest score; ties go to the node with the lowest rank, a seeded
// random permutation of the nodes (as the FGD authors' simulator does with its random
// node-name prefixes). The GPU inside the node is chosen by the DRA allocator, in its packing
// order (the fullest GPU that fits, lowest index among equals: the paper's "best"), unless
// the policy names one (FGD, random).
// Policies follow fgd.md and the authors' simulator exactly where the paper defines them;
// see docs/simulate.md for the formulas.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/rng.h"
#include "base/status.h"
#include "model/trace.h"
#include "sim/cluster.h"

namespace tessera::sim {

struct Score {
  int64_t value = 0;
  int gpu = -1;  // preferred GPU index on the node; -1: the allocator's packing order
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;
  // The device-plugin world: GPU requests are rounded up to whole GPUs before placement.
  virtual bool whole_gpu() const { return false; }
  // Once per run, before the first task. `original` is the task list as the trace gives it
  // (before shuffling and inflation); `rng` is the run's generator.
  virtual void Begin(const World& world, std::span<const model::TraceTask> original, Rng& rng);
  // Task `t` arrived and is about to be placed (or found not to fit): what a policy that
  // learns the workload online may count.
  virtual void Arrived(const World& world, size_t t);
  // Score of placing `task` on node `n`, which passes the filters.
  virtual Score Evaluate(const World& world, size_t n, const Task& task) = 0;
  // Random picks a feasible node uniformly instead of scoring: it returns true here and
  // the simulator calls PickAmong.
  virtual bool picks_at_random() const { return false; }
  // After task `t` was placed on node `n`, or taken off it.
  virtual void Placed(const World& world, size_t t, size_t n);
  virtual void Removed(const World& world, size_t t, size_t n);

 protected:
  Rng* rng_ = nullptr;
};

// Every policy name, in the order `--help` lists them.
std::span<const std::string_view> PolicyNames();
// The six policies of the FGD paper, in its order.
std::span<const std::string_view> PaperPolicyNames();
// A fresh policy by name; the error lists the valid names.
Result<std::unique_ptr<Policy>> MakePolicy(std::string_view name);

}  // namespace tessera::sim
