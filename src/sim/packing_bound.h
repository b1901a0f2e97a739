// How few GPUs can hold a set of GPU shares: a proven lower bound and best-fit decreasing.
//
// A share is a piece of one GPU, in milli-GPU (1..999). The bound is the linear-programming
// bound of the cutting-stock formulation (Gilmore and Gomory): solved by column generation
// over "patterns" (multisets of shares that fit one GPU), priced with a knapsack. Its value
// is not taken from the solver on trust: the solver's dual prices w (one per share size) are
// checked by a separate exact knapsack — the most any one GPU can hold, M = max over patterns
// of the prices in it — and the bound reported is ceil(sum of w over all shares / M). That
// holds for every packing whatever the solver's rounding did: each GPU carries at most M.
//
// Its cost stays bounded on any input: with more than 64 distinct share sizes, sizes are
// rounded down to a coarser grid first (smaller shares need no more GPUs, so the bound
// stays valid, if a little weaker), and column generation stops after 20 m + 200 pivots
// (m = size classes), its prices then checked like any others.
//
// Used to say how far a placement policy is from the best any policy could do on a trace
// (docs/simulate.md, "The packing floor").
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

#include "model/trace.h"

namespace tessera::sim {

// A lower bound on the number of 1000-milli GPUs needed to hold every share in
// `shares_milli` (values in 1..999; others are an error the caller must not make — checked
// with an assertion). At least ceil(sum / 1000); usually the LP bound, which is within one
// GPU of the optimum on every known real-world instance.
int64_t MinGpusLowerBound(std::span<const int32_t> shares_milli);

// GPUs used by best-fit decreasing (largest share first, into the open GPU it leaves least
// free, a new GPU when none fits): an achievable packing, so an upper bound on the optimum.
int64_t BestFitDecreasingGpus(std::span<const int32_t> shares_milli);

// The least GPU capacity a fill run on `order` can leave unallocated at a given arrived
// demand, whatever its policy, counting GPU shares alone (CPU, memory, GPU models and node
// boundaries only raise it). Averaged, as the fill metric is, over the samples taken after
// each task whose arrived GPU demand rounds to `arrived_pct` percent of
// `gpu_capacity_milli`, in percent of capacity; every field is NaN when no sample does. In
// a bucket of more than 128 samples the LP is solved at 128 evenly spaced ones and its
// checked prices reused between them (still a bound), and best-fit decreasing is averaged
// over those 128.
//
// At a sample, a run has placed some of the shares that arrived, on k GPUs: it has
// allocated at most those shares plus whole GPUs on the other ones, so it leaves at least
// k * 1000 - (their milli) unallocated, with k at least MinGpusLowerBound of them; and it
// leaves unallocated at least the milli of the shares it dropped plus what has not arrived
// (each figure below is at least the latter).
struct PackingFloor {
  // Any run: the least over which shares a run places of the larger of the two (dropping a
  // share trades its milli for the GPU room it would strand), bounded below as
  // docs/simulate.md explains. Every run of every policy leaves at least this.
  double any_run_pct = std::nan("");
  // A run that places every share that has arrived: k * 1000 - (all shares' milli), k the
  // proven bound, or what has not arrived if that is more. NaN as well when the shares need more GPUs than there are at a sample (no
  // run can place them all).
  double every_share_placed_pct = std::nan("");
  // The same with k from best-fit decreasing: what an offline packer that knew every share
  // in advance would leave (an achievable packing, so at or above the optimum). NaN when
  // every_share_placed_pct is.
  double best_fit_decreasing_pct = std::nan("");
};

PackingFloor UnallocatedFloor(std::span<const model::TraceTask> order,
                              int64_t gpu_capacity_milli, int arrived_pct = 100);

}  // namespace tessera::sim
