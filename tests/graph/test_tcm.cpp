// TCM + DRAM plans: feasibility of every plan, the heuristic's properties, and the exact
// integer program against an exhaustive search on small graphs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <map>

#include "core/error.hpp"
#include "graph/builders.hpp"
#include "graph/peak_memory.hpp"
#include "graph/random_graphs.hpp"
#include "graph/tcm.hpp"

namespace bitforge::graph {
namespace {

using testing::for_each_topological_order;
using ::testing::HasSubstr;
using testing::random_dag;

std::int64_t min_capacity(const Graph& g) {
  std::int64_t m = 0;
  for (NodeId n = 0; n < g.num_nodes(); ++n) m = std::max(m, g.input_bytes(n) + g.output_bytes(n));
  return m;
}

// Exhaustive search over every order and every choice of what to evict before each step
// (spilling what has no DRAM copy and is still needed). Loads happen when a tensor is read
// and graph outputs are stored when produced: doing either earlier only takes capacity.
class BruteForceTcm {
 public:
  BruteForceTcm(const Graph& g, std::int64_t capacity) : g_(g), capacity_(capacity) {}

  std::int64_t best() {
    std::int64_t best = kInf;
    for_each_topological_order(g_, [&](const Order& o) {
      order_ = o;
      memo_.clear();
      std::uint32_t dram = 0;
      for (TensorId t = 0; t < g_.num_tensors(); ++t)
        if (g_.is_input(t)) dram |= 1u << t;
      best = std::min(best, solve(0, 0, dram));
    });
    return best;
  }

 private:
  static constexpr std::int64_t kInf = std::numeric_limits<std::int64_t>::max() / 4;

  bool read_at_or_after(TensorId t, int step) const {
    for (int s = step; s < g_.num_nodes(); ++s)
      for (TensorId i : g_.node(order_[s]).inputs)
        if (i == t) return true;
    return false;
  }
  std::int64_t bytes(std::uint32_t set) const {
    std::int64_t b = 0;
    for (TensorId t = 0; t < g_.num_tensors(); ++t)
      if (set >> t & 1) b += g_.tensor(t).bytes;
    return b;
  }

  std::int64_t solve(int step, std::uint32_t resident, std::uint32_t dram) {
    if (step == g_.num_nodes()) return 0;
    const auto key = std::tuple{step, resident, dram};
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    const Node& node = g_.node(order_[step]);
    std::uint32_t needed = 0, outputs = 0;
    for (TensorId t : node.inputs) needed |= 1u << t;
    for (TensorId t : node.outputs) outputs |= 1u << t;
    const std::uint32_t evictable = resident & ~needed;
    std::int64_t best = kInf;
    for (std::uint32_t evict = evictable;; evict = (evict - 1) & evictable) {  // every subset
      std::int64_t cost = 0;
      std::uint32_t d = dram;
      for (TensorId t = 0; t < g_.num_tensors(); ++t)
        if ((evict >> t & 1) && !(d >> t & 1) && read_at_or_after(t, step)) {
          cost += g_.tensor(t).bytes;  // spill
          d |= 1u << t;
        }
      std::uint32_t r = resident & ~evict;
      const std::uint32_t load = needed & ~r;
      bool ok = (load & ~d) == 0;  // a tensor neither resident nor in DRAM is lost
      cost += bytes(load);
      r |= load | outputs;
      ok = ok && bytes(r) <= capacity_;
      if (ok) {
        for (TensorId t : node.outputs)
          if (g_.is_output(t)) {
            cost += g_.tensor(t).bytes;
            d |= 1u << t;
          }
        for (TensorId t = 0; t < g_.num_tensors(); ++t)  // the dead leave, as in check_tcm_plan
          if ((r >> t & 1) && !read_at_or_after(t, step + 1) && (!g_.is_output(t) || (d >> t & 1)))
            r &= ~(1u << t);
        best = std::min(best, cost + solve(step + 1, r, d));
      }
      if (evict == 0) break;
    }
    memo_[key] = best;
    return best;
  }

  const Graph& g_;
  std::int64_t capacity_;
  Order order_;
  std::map<std::tuple<int, std::uint32_t, std::uint32_t>, std::int64_t> memo_;
};

TEST(graphTcm, FurthestNextUsePlansAreFeasible) {
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 300; ++trial) {
    const Graph g = random_dag(rng, 14);
    const Order o = greedy_order(g);
    const std::int64_t lo = min_capacity(g), hi = peak_bytes(g, o);
    for (std::int64_t cap : {lo, (lo + hi) / 2, hi}) {
      const TcmPlan plan = tcm_furthest_next_use(g, o, cap);
      EXPECT_EQ(plan.order(), o);
      EXPECT_EQ(check_tcm_plan(g, plan, cap), plan.traffic_bytes);
      EXPECT_GE(plan.traffic_bytes, compulsory_traffic(g));
      // With room for everything live, nothing is ever spilled or loaded twice.
      if (cap >= hi) {
        EXPECT_EQ(plan.traffic_bytes, compulsory_traffic(g));
      }
    }
  }
}

TEST(graphTcm, ExactMatchesExhaustiveSearchOnSmallGraphs) {
  std::mt19937_64 rng(23);
  int tested = 0, beat_heuristic = 0;
  while (tested < 60) {
    const Graph g = random_dag(rng, 5);
    if (g.num_tensors() > 9) continue;
    const std::int64_t lo = min_capacity(g), hi = peak_bytes(g, default_order(g));
    if (hi == lo) continue;
    ++tested;
    const std::int64_t cap =
        lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo));
    TcmPlan incumbent = tcm_furthest_next_use(g, default_order(g), cap);
    const auto exact = tcm_exact(g, cap, incumbent, 30);
    ASSERT_TRUE(exact.has_value());
    ASSERT_TRUE(exact->optimal) << "trial " << tested;
    EXPECT_EQ(check_tcm_plan(g, exact->plan, cap), exact->plan.traffic_bytes);
    const std::int64_t oracle = BruteForceTcm(g, cap).best();
    EXPECT_EQ(exact->plan.traffic_bytes, oracle) << "trial " << tested << " capacity " << cap;
    EXPECT_EQ(exact->lower_bound, oracle);
    beat_heuristic += exact->plan.traffic_bytes < incumbent.traffic_bytes;
  }
  EXPECT_GT(beat_heuristic, 0);
}

TEST(graphTcm, ExactOnAMidSizeGraphIsFeasibleAndBounded) {
  const Graph g = build_graph("layered:n=16,density=0.3,skip=0.1,seed=5");
  const std::int64_t cap = min_capacity(g) + 16384;
  const TcmPlan heuristic = tcm_furthest_next_use(g, greedy_order(g), cap);
  const auto exact = tcm_exact(g, cap, heuristic, 3);
  ASSERT_TRUE(exact.has_value());
  EXPECT_EQ(check_tcm_plan(g, exact->plan, cap), exact->plan.traffic_bytes);
  EXPECT_LE(exact->plan.traffic_bytes, heuristic.traffic_bytes);
  EXPECT_GE(exact->lower_bound, compulsory_traffic(g));
  EXPECT_LE(exact->lower_bound, exact->plan.traffic_bytes);
  const Graph big = build_graph("layered:n=31");  // above kExactTcmMaxNodes
  EXPECT_FALSE(tcm_exact(big, 1 << 30, tcm_furthest_next_use(big, default_order(big), 1 << 30), 1)
                   .has_value());
}

TEST(graphTcm, RefusesACapacityBelowAnOperatorsOwnTensors) {
  Graph g;
  const TensorId a = g.add_tensor("a", 100), b = g.add_tensor("b", 50), c = g.add_tensor("c", 10);
  g.add_node("big", "op", {a}, {b});
  g.add_node("small", "op", {b}, {c});
  try {
    tcm_furthest_next_use(g, {0, 1}, 149);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("operator 'big' needs for its own inputs plus outputs (150 bytes)"));
  }
  EXPECT_EQ(tcm_furthest_next_use(g, {0, 1}, 150).traffic_bytes, 100 + 10);
}

TEST(graphTcm, CheckRefusesInfeasiblePlans) {
  Graph g;
  const TensorId a = g.add_tensor("a", 10), b = g.add_tensor("b", 10), c = g.add_tensor("c", 10);
  g.add_node("P", "op", {a}, {b});
  g.add_node("Q", "op", {b}, {c});
  auto plan = [&](std::vector<TcmStep> steps) { return TcmPlan{std::move(steps), 0}; };
  const TcmPlan good = plan({{0, {}, {}, {a}, {}}, {1, {}, {}, {}, {c}}});
  EXPECT_EQ(check_tcm_plan(g, good, 20), 20);
  EXPECT_THROW(check_tcm_plan(g, good, 19), Error);  // over capacity
  EXPECT_THROW(check_tcm_plan(g, plan({{0, {}, {}, {}, {}}, {1, {}, {}, {}, {c}}}), 20),
               Error);  // a not loaded
  EXPECT_THROW(check_tcm_plan(g, plan({{0, {}, {}, {a}, {}}, {1, {}, {b}, {}, {c}}}), 20),
               Error);  // b dropped
  EXPECT_THROW(check_tcm_plan(g, plan({{0, {}, {}, {a}, {}}, {1, {}, {b}, {b}, {c}}}), 20),
               Error);  // no copy
  EXPECT_THROW(check_tcm_plan(g, plan({{0, {}, {}, {a}, {}}, {1, {}, {}, {}, {}}}), 20),
               Error);  // c never stored
  // Spilling b and reloading it is feasible, and costs 2 x 10 more.
  EXPECT_EQ(check_tcm_plan(g, plan({{0, {}, {}, {a}, {}}, {1, {b}, {}, {b}, {c}}}), 20), 40);
}

}  // namespace
}  // namespace bitforge::graph
