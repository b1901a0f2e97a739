#include "sim/packing_bound.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <utility>
#include <vector>

namespace tessera::sim {
namespace {

constexpr int32_t kGpuMilli = 1000;

// Shares counted by size: index = milli (1..999).
using SizeCounts = std::array<int64_t, kGpuMilli>;

// At most this many size classes go into the LP: a trace with more distinct sizes is
// rounded to a coarser grid (ClassGrid), so the solver's cost stays bounded.
constexpr size_t kMaxClasses = 64;

// The LP's size classes: shares rounded down to a multiple of `grid` milli (a share below
// the grid is left out: it takes no room in the relaxation), counted, in units of the
// largest common divisor of every class size and 1000 (shares that are multiples of 10
// milli get a knapsack of 100 cells). Rounding down only shrinks shares, so a lower bound
// on the GPUs the rounded shares need is one for the shares.
struct SizeClasses {
  std::vector<int32_t> size;
  std::vector<int64_t> count;
  int32_t capacity = 0;  // one GPU, in the same unit
  int32_t unit = 1;      // milli
  int32_t grid = 1;      // milli
};

SizeClasses Classify(const SizeCounts& counts, int32_t grid) {
  std::map<int32_t, int64_t> classes;
  int32_t unit = kGpuMilli;
  for (int32_t s = grid; s < kGpuMilli; ++s) {
    if (counts[static_cast<size_t>(s)] == 0) continue;
    const int32_t rounded = s / grid * grid;
    classes[rounded] += counts[static_cast<size_t>(s)];
    unit = std::gcd(unit, rounded);
  }
  SizeClasses out;
  out.capacity = kGpuMilli / unit;
  out.unit = unit;
  out.grid = grid;
  for (const auto& entry : classes) {
    out.size.push_back(entry.first / unit);
    out.count.push_back(entry.second);
  }
  return out;
}

// The finest grid (a divisor of 1000) that leaves at most kMaxClasses classes.
int32_t ClassGrid(const SizeCounts& counts) {
  for (int32_t grid : {1, 2, 4, 5, 8, 10, 20, 25, 40, 50, 100}) {
    std::set<int32_t> classes;
    for (int32_t s = grid; s < kGpuMilli; ++s) {
      if (counts[static_cast<size_t>(s)] > 0) classes.insert(s / grid);
    }
    if (classes.size() <= kMaxClasses) return grid;
  }
  return 100;  // at most 9 classes
}

// The most a GPU can carry at `price` per share of each size: a bounded knapsack (at most
// count[i] shares of size i, copies split in powers of two), with one multiset reaching it.
struct BestLoad {
  double value = 0;
  std::vector<int64_t> pattern;  // shares of each size
};

BestLoad MostValuableLoad(const SizeClasses& sc, std::span<const double> price) {
  const auto cap = static_cast<size_t>(sc.capacity);
  struct Item {
    size_t cls;
    int64_t copies;
  };
  std::vector<Item> items;
  for (size_t i = 0; i < sc.size.size(); ++i) {
    if (price[i] <= 0) continue;
    int64_t left = std::min<int64_t>(sc.count[i], sc.capacity / sc.size[i]);
    for (int64_t k = 1; left > 0; k *= 2) {
      const int64_t take = std::min(k, left);
      items.push_back({i, take});
      left -= take;
    }
  }
  // best[c]: the most value within c units; took[j * (cap + 1) + c]: item j improved it.
  std::vector<double> best(cap + 1, 0.0);
  std::vector<uint8_t> took(items.size() * (cap + 1), 0);
  for (size_t j = 0; j < items.size(); ++j) {
    const int64_t weight = sc.size[items[j].cls] * items[j].copies;
    const double value = price[items[j].cls] * static_cast<double>(items[j].copies);
    for (auto c = static_cast<int64_t>(cap); c >= weight; --c) {
      const auto at = static_cast<size_t>(c);
      const auto from = static_cast<size_t>(c - weight);
      if (best[from] + value > best[at]) {
        best[at] = best[from] + value;
        took[j * (cap + 1) + at] = 1;
      }
    }
  }
  BestLoad out{.value = best[cap], .pattern = std::vector<int64_t>(sc.size.size(), 0)};
  size_t c = cap;
  for (size_t j = items.size(); j-- > 0;) {
    if (took[j * (cap + 1) + c] == 0) continue;
    out.pattern[items[j].cls] += items[j].copies;
    c -= static_cast<size_t>(sc.size[items[j].cls] * items[j].copies);
  }
  return out;
}

// Dual prices of the cutting-stock LP  min sum x_p  s.t.  sum_p a_p x_p >= count, x >= 0,
// by column generation with a revised simplex on an explicit basis inverse. The prices are
// only a candidate: the caller checks them. Starts from one single-size pattern per class.
std::vector<double> DualPrices(const SizeClasses& sc) {
  const size_t m = sc.size.size();
  std::vector<double> binv(m * m, 0.0), x(m), cost(m, 1.0), y(m, 0.0);
  for (size_t i = 0; i < m; ++i) {
    const auto per_gpu =
        static_cast<double>(std::min<int64_t>(sc.count[i], sc.capacity / sc.size[i]));
    binv[i * m + i] = 1 / per_gpu;
    x[i] = static_cast<double>(sc.count[i]) / per_gpu;
  }
  constexpr double kEps = 1e-9;
  // Column generation usually ends within a few times m pivots; past the cap the prices
  // reached so far are used (still checked, so still a valid bound, if a weaker one).
  const size_t max_iterations = 20 * m + 200;
  std::vector<double> column(m), direction(m);
  for (size_t iteration = 0; iteration < max_iterations; ++iteration) {
    for (size_t j = 0; j < m; ++j) {
      double sum = 0;
      for (size_t r = 0; r < m; ++r) sum += cost[r] * binv[r * m + j];
      y[j] = sum;
    }
    // Entering column: a surplus whose price went negative (smallest index first), else
    // the pattern the knapsack prices above one GPU.
    double entering_cost = 0;
    const auto negative = std::find_if(y.begin(), y.end(), [](double v) { return v < -kEps; });
    if (negative != y.end()) {
      std::fill(column.begin(), column.end(), 0.0);
      column[static_cast<size_t>(negative - y.begin())] = -1;
    } else {
      const BestLoad load = MostValuableLoad(sc, y);
      if (load.value <= 1 + kEps) break;  // optimal
      for (size_t i = 0; i < m; ++i) column[i] = static_cast<double>(load.pattern[i]);
      entering_cost = 1;
    }
    for (size_t r = 0; r < m; ++r) {
      double sum = 0;
      for (size_t i = 0; i < m; ++i) sum += binv[r * m + i] * column[i];
      direction[r] = sum;
    }
    size_t leave = m;
    double theta = 0;
    for (size_t r = 0; r < m; ++r) {
      if (direction[r] <= kEps) continue;
      const double ratio = x[r] / direction[r];
      if (leave == m || ratio < theta - kEps) {
        leave = r;
        theta = ratio;
      }
    }
    if (leave == m) break;  // cannot happen for this LP (bounded below by 0); stop safely
    for (size_t r = 0; r < m; ++r) x[r] -= theta * direction[r];
    x[leave] = theta;
    const double pivot = direction[leave];
    for (size_t i = 0; i < m; ++i) binv[leave * m + i] /= pivot;
    for (size_t r = 0; r < m; ++r) {
      if (r == leave || direction[r] == 0) continue;
      for (size_t i = 0; i < m; ++i) binv[r * m + i] -= direction[r] * binv[leave * m + i];
    }
    cost[leave] = entering_cost;
  }
  return y;
}

// Prices per share size, checked by an exact knapsack: no GPU carries more than `most` of
// them (0: no price is positive, nothing learnt). Every size of one class has its price.
struct Certificate {
  std::array<double, kGpuMilli> price{};
  double most = 0;
};

// The LP's prices for the shares in `current`, checked against `check`, which must hold at
// least as many shares of every size (the same prices then bound every multiset between
// the two). Both are classed on `grid`.
Certificate Certify(const SizeCounts& current, const SizeCounts& check, int32_t grid) {
  Certificate out;
  const SizeClasses now = Classify(current, grid);
  if (now.size.empty()) return out;
  const std::vector<double> dual = DualPrices(now);
  for (size_t i = 0; i < now.size.size(); ++i) {
    const int32_t from = now.size[i] * now.unit;
    for (int32_t s = from; s < std::min(from + grid, kGpuMilli); ++s) {
      out.price[static_cast<size_t>(s)] = std::max(dual[i], 0.0);
    }
  }
  const SizeClasses all = Classify(check, grid);
  std::vector<double> class_price(all.size.size());
  for (size_t i = 0; i < all.size.size(); ++i) {
    class_price[i] = out.price[static_cast<size_t>(all.size[i] * all.unit)];
  }
  out.most = MostValuableLoad(all, class_price).value;
  return out;
}

// No GPU can carry more than `most` in price, so the shares' total price over `most` is a
// lower bound on the GPUs of any packing. The slack absorbs rounding in the sums.
int64_t GpusBound(const SizeCounts& counts, const Certificate& c, int64_t total_milli) {
  const int64_t by_volume = (total_milli + kGpuMilli - 1) / kGpuMilli;
  if (c.most <= 0) return by_volume;
  double priced = 0;
  for (size_t s = 1; s < counts.size(); ++s) {
    priced += c.price[s] * static_cast<double>(counts[s]);
  }
  return std::max(by_volume, static_cast<int64_t>(std::ceil(priced / c.most - 1e-7)));
}

// The least unallocated milli of any run at a sample (docs/simulate.md, "Packing floor"):
// a run that places a subset P of the shares leaves unallocated at least both
//   gap + (milli of the shares it dropped)      (gap = capacity - arrived demand), and
//   waste(P) >= sum over P of excess_j,  excess_j = 1000 price_j / most - milli_j,
// the second because P needs at least price(P) / most GPUs. The least over P of the larger
// of the two is bounded below by letting shares be dropped in fractions, those with the
// most excess per milli first, until the two terms meet.
double AnyRunFloorMilli(const SizeCounts& counts, const Certificate& c, double gap) {
  struct Size {
    double milli, excess, count;
  };
  std::vector<Size> sizes;
  double dropped = gap, kept = 0;  // the two terms with nothing dropped
  for (size_t s = 1; s < counts.size(); ++s) {
    if (counts[s] == 0) continue;
    const auto milli = static_cast<double>(s);
    const double excess = (c.most > 0 ? kGpuMilli * c.price[s] / c.most : 0) - milli;
    const auto count = static_cast<double>(counts[s]);
    kept += excess * count;
    if (excess > 0) sizes.push_back({milli, excess, count});
  }
  std::sort(sizes.begin(), sizes.end(), [](const Size& a, const Size& b) {
    return a.excess / a.milli > b.excess / b.milli;
  });
  for (const Size& z : sizes) {
    if (dropped >= kept) break;
    if (dropped + z.count * z.milli >= kept - z.count * z.excess) {
      const double fraction = (kept - dropped) / (z.count * (z.milli + z.excess));
      dropped += fraction * z.count * z.milli;
      kept = dropped;
      break;
    }
    dropped += z.count * z.milli;
    kept -= z.count * z.excess;
  }
  return std::max({0.0, dropped, kept});
}

// Best-fit decreasing over shares counted by size.
int64_t BestFitDecreasing(const SizeCounts& counts) {
  std::multiset<int32_t> free;  // free milli of each opened GPU
  for (auto s = static_cast<int32_t>(counts.size()) - 1; s > 0; --s) {
    for (int64_t k = 0; k < counts[static_cast<size_t>(s)]; ++k) {
      const auto it = free.lower_bound(s);
      if (it == free.end()) {
        free.insert(kGpuMilli - s);
      } else {
        const int32_t left = *it - s;
        free.erase(it);
        free.insert(left);
      }
    }
  }
  return static_cast<int64_t>(free.size());
}

SizeCounts Count(std::span<const int32_t> shares_milli) {
  SizeCounts counts{};
  for (int32_t s : shares_milli) {
    assert(s > 0 && s < kGpuMilli);
    ++counts[static_cast<size_t>(s)];
  }
  return counts;
}

}  // namespace

int64_t MinGpusLowerBound(std::span<const int32_t> shares_milli) {
  if (shares_milli.empty()) return 0;
  int64_t total = 0;
  for (int32_t s : shares_milli) total += s;
  const SizeCounts counts = Count(shares_milli);
  return GpusBound(counts, Certify(counts, counts, ClassGrid(counts)), total);
}

int64_t BestFitDecreasingGpus(std::span<const int32_t> shares_milli) {
  return BestFitDecreasing(Count(shares_milli));
}

PackingFloor UnallocatedFloor(std::span<const model::TraceTask> order,
                              int64_t gpu_capacity_milli, int arrived_pct) {
  PackingFloor out;
  if (gpu_capacity_milli <= 0) return out;
  const auto cap = static_cast<double>(gpu_capacity_milli);
  auto is_share = [](const model::TraceTask& t) {
    return t.num_gpu > 0 && t.gpu_milli > 0 && t.gpu_milli < kGpuMilli;
  };
  // First pass: which tasks are followed by a sample in the bucket, and the shares that have
  // arrived by the last of them (the check for every certificate below).
  std::vector<size_t> sampled;
  SizeCounts last{};
  {
    int64_t arrived = 0;
    SizeCounts counts{};
    for (size_t i = 0; i < order.size(); ++i) {
      const model::TraceTask& t = order[i];
      arrived += int64_t{t.num_gpu} * t.gpu_milli;
      if (is_share(t)) counts[static_cast<size_t>(t.gpu_milli)] += t.num_gpu;
      const long bucket = std::lround(static_cast<double>(arrived) * 100 / cap);
      if (bucket > arrived_pct) break;
      if (bucket < arrived_pct) continue;
      sampled.push_back(i);
      last = counts;
    }
  }
  if (sampled.empty()) return out;
  const int32_t grid = ClassGrid(last);
  // The LP is solved at most kMaxSolves times per bucket, at evenly spaced samples; the
  // samples between reuse the last prices (checked against `last`, so still valid).
  // Best-fit decreasing runs at the same samples.
  constexpr size_t kMaxSolves = 128;
  const size_t stride = (sampled.size() + kMaxSolves - 1) / kMaxSolves;
  const int64_t gpus = gpu_capacity_milli / kGpuMilli;
  double any_run = 0, every_share = 0, packed = 0;
  int64_t packed_samples = 0;
  bool every_share_possible = true;
  int64_t arrived = 0, share_milli = 0;
  SizeCounts counts{};
  Certificate certificate;
  size_t next_sample = 0;
  for (size_t i = 0; i <= sampled.back(); ++i) {
    const model::TraceTask& t = order[i];
    arrived += int64_t{t.num_gpu} * t.gpu_milli;
    if (is_share(t)) {
      counts[static_cast<size_t>(t.gpu_milli)] += t.num_gpu;
      share_milli += int64_t{t.num_gpu} * t.gpu_milli;
    }
    if (i != sampled[next_sample]) continue;
    // Whatever else, what has not arrived is not allocated.
    const auto gap = static_cast<double>(gpu_capacity_milli - arrived);
    const bool solve = next_sample % stride == 0;
    ++next_sample;
    if (solve) {
      certificate = Certify(counts, last, grid);
      packed += std::max(
          gap, static_cast<double>(BestFitDecreasing(counts) * kGpuMilli - share_milli));
      ++packed_samples;
    }
    const int64_t needed = GpusBound(counts, certificate, share_milli);
    every_share_possible = every_share_possible && needed <= gpus;
    every_share += std::max(gap, static_cast<double>(needed * kGpuMilli - share_milli));
    any_run += AnyRunFloorMilli(counts, certificate, gap);
  }
  const double scale = 100 / cap / static_cast<double>(sampled.size());
  out.any_run_pct = any_run * scale;
  if (every_share_possible) {
    out.every_share_placed_pct = every_share * scale;
    out.best_fit_decreasing_pct = packed * 100 / cap / static_cast<double>(packed_samples);
  }
  return out;
}

}  // namespace tessera::sim
