#include "sim/packing_bound.h"

#include <algorithm>
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

// The shares grouped by size, in units of the largest common divisor of every size and
// 1000 (so a trace whose shares are multiples of 10 milli gets a knapsack of 100 cells).
struct SizeClasses {
  std::vector<int32_t> size;
  std::vector<int64_t> count;
  int32_t capacity = 0;  // one GPU, in the same unit
  int32_t unit = 1;      // milli
};

SizeClasses Classify(std::span<const int32_t> shares_milli) {
  std::map<int32_t, int64_t> counts;
  int32_t unit = kGpuMilli;
  for (int32_t s : shares_milli) {
    assert(s > 0 && s < kGpuMilli);
    ++counts[s];
    unit = std::gcd(unit, s);
  }
  SizeClasses out;
  out.capacity = kGpuMilli / unit;
  out.unit = unit;
  for (const auto& entry : counts) {
    out.size.push_back(entry.first / unit);
    out.count.push_back(entry.second);
  }
  return out;
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
  const size_t max_iterations = 100 * m + 1000;
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

// Prices checked by an exact knapsack: no GPU carries more than `most` (0: no price is
// positive, nothing learnt).
struct CheckedPrices {
  std::vector<double> price;
  double most = 0;
};

CheckedPrices CheckedDualPrices(const SizeClasses& sc) {
  CheckedPrices out{.price = DualPrices(sc)};
  for (double& p : out.price) p = std::max(p, 0.0);
  out.most = MostValuableLoad(sc, out.price).value;
  return out;
}

// No GPU can carry more than `most` in price, so the shares' total price over `most` is a
// lower bound on the GPUs of any packing. The slack absorbs rounding in the sums.
int64_t GpusBound(const SizeClasses& sc, const CheckedPrices& prices, int64_t total_milli) {
  const int64_t by_volume = (total_milli + kGpuMilli - 1) / kGpuMilli;
  if (prices.most <= 0) return by_volume;
  double priced = 0;
  for (size_t i = 0; i < sc.size.size(); ++i) {
    priced += prices.price[i] * static_cast<double>(sc.count[i]);
  }
  return std::max(by_volume, static_cast<int64_t>(std::ceil(priced / prices.most - 1e-7)));
}

// The least unallocated milli of any run at a sample (docs/simulate.md, "Packing floor"):
// a run that places a subset P of the shares leaves unallocated at least both
//   gap + (milli of the shares it dropped)      (gap = capacity - arrived demand), and
//   waste(P) >= sum over P of excess_i,  excess_i = 1000 price_i / most - milli_i,
// the second because P needs at least price(P) / most GPUs. The least over P of the larger
// of the two is bounded below by letting shares be dropped in fractions, those with the
// most excess per milli first, until the two terms meet.
double AnyRunFloorMilli(const SizeClasses& sc, const CheckedPrices& prices, double gap) {
  struct Class {
    double milli, excess, count;
  };
  std::vector<Class> classes;
  double dropped = gap, kept = 0;  // the two terms with nothing dropped
  for (size_t i = 0; i < sc.size.size(); ++i) {
    const double milli = static_cast<double>(sc.size[i]) * sc.unit;
    const double excess =
        (prices.most > 0 ? kGpuMilli * prices.price[i] / prices.most : 0) - milli;
    const auto count = static_cast<double>(sc.count[i]);
    kept += excess * count;
    if (excess > 0) classes.push_back({milli, excess, count});
  }
  std::sort(classes.begin(), classes.end(), [](const Class& a, const Class& b) {
    return a.excess / a.milli > b.excess / b.milli;
  });
  for (const Class& c : classes) {
    if (dropped >= kept) break;
    const double all = c.count * (c.milli + c.excess);  // how much the gap closes
    if (dropped + c.count * c.milli >= kept - c.count * c.excess) {
      const double fraction = (kept - dropped) / all;
      dropped += fraction * c.count * c.milli;
      kept = dropped;
      break;
    }
    dropped += c.count * c.milli;
    kept -= c.count * c.excess;
  }
  return std::max({0.0, dropped, kept});
}

}  // namespace

int64_t MinGpusLowerBound(std::span<const int32_t> shares_milli) {
  if (shares_milli.empty()) return 0;
  int64_t total = 0;
  for (int32_t s : shares_milli) total += s;
  const SizeClasses sc = Classify(shares_milli);
  return GpusBound(sc, CheckedDualPrices(sc), total);
}

int64_t BestFitDecreasingGpus(std::span<const int32_t> shares_milli) {
  std::vector<int32_t> sorted(shares_milli.begin(), shares_milli.end());
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  std::multiset<int32_t> free;  // free milli of each opened GPU
  for (int32_t s : sorted) {
    const auto it = free.lower_bound(s);
    if (it == free.end()) {
      free.insert(kGpuMilli - s);
    } else {
      const int32_t left = *it - s;
      free.erase(it);
      free.insert(left);
    }
  }
  return static_cast<int64_t>(free.size());
}

PackingFloor UnallocatedFloor(std::span<const model::TraceTask> order,
                              int64_t gpu_capacity_milli, int arrived_pct) {
  PackingFloor out;
  if (gpu_capacity_milli <= 0) return out;
  const auto cap = static_cast<double>(gpu_capacity_milli);
  const int64_t gpus = gpu_capacity_milli / kGpuMilli;
  double any_run = 0, every_share = 0, packed = 0;
  bool every_share_possible = true;
  int64_t samples = 0, arrived = 0, share_milli = 0;
  std::vector<int32_t> shares;
  for (const model::TraceTask& t : order) {
    arrived += int64_t{t.num_gpu} * t.gpu_milli;
    if (t.num_gpu > 0 && t.gpu_milli > 0 && t.gpu_milli < kGpuMilli) {
      shares.insert(shares.end(), static_cast<size_t>(t.num_gpu), t.gpu_milli);
      share_milli += int64_t{t.num_gpu} * t.gpu_milli;
    }
    const long bucket = std::lround(static_cast<double>(arrived) * 100 / cap);
    if (bucket > arrived_pct) break;
    if (bucket < arrived_pct) continue;
    ++samples;
    const SizeClasses sc = Classify(shares);
    const CheckedPrices prices = CheckedDualPrices(sc);
    // Whatever else, what has not arrived is not allocated.
    const auto gap = static_cast<double>(gpu_capacity_milli - arrived);
    const int64_t needed = shares.empty() ? 0 : GpusBound(sc, prices, share_milli);
    every_share_possible = every_share_possible && needed <= gpus;
    every_share += std::max(gap, static_cast<double>(needed * kGpuMilli - share_milli));
    any_run += AnyRunFloorMilli(sc, prices, gap);
    packed += std::max(
        gap, static_cast<double>(BestFitDecreasingGpus(shares) * kGpuMilli - share_milli));
  }
  if (samples == 0) return out;
  const double scale = 100 / cap / static_cast<double>(samples);
  out.any_run_pct = any_run * scale;
  if (every_share_possible) {
    out.every_share_placed_pct = every_share * scale;
    out.best_fit_decreasing_pct = packed * scale;
  }
  return out;
}

}  // namespace tessera::sim
