// Arena placement: validity of every planner, and the exact search against brute force.
#include <gtest/gtest.h>

#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "graph/arena.hpp"
#include "graph/builders.hpp"
#include "graph/random_graphs.hpp"

namespace bitforge::graph {
namespace {

using testing::random_dag;

bool live_together(const Liveness& l, TensorId a, TensorId b) {
  return l.first[a] <= l.last[b] && l.first[b] <= l.last[a];
}

// An independent overlap check (the planners' own check_placement is tested against it).
void expect_valid(const Graph& g, const Liveness& l, const Placement& p) {
  for (TensorId a = 0; a < g.num_tensors(); ++a) {
    ASSERT_GE(p.offsets[a], 0);
    ASSERT_LE(p.offsets[a] + g.tensor(a).bytes, p.arena_bytes);
    for (TensorId b = a + 1; b < g.num_tensors(); ++b)
      if (live_together(l, a, b)) {
        ASSERT_TRUE(p.offsets[a] + g.tensor(a).bytes <= p.offsets[b] ||
                    p.offsets[b] + g.tensor(b).bytes <= p.offsets[a])
            << g.tensor(a).name << " and " << g.tensor(b).name;
      }
  }
}

// Brute force: the best over all placement sequences of putting each tensor at the lowest
// address free among those placed before it that it is live with. Sorting an optimal
// placement by address gives a sequence that reproduces it or better, so this is exact.
std::int64_t brute_force_arena(const Graph& g, const Liveness& l) {
  std::vector<TensorId> seq(g.num_tensors());
  std::iota(seq.begin(), seq.end(), 0);
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  do {
    std::vector<std::int64_t> off(g.num_tensors(), -1);
    std::int64_t top = 0;
    for (std::size_t i = 0; i < seq.size(); ++i) {
      const TensorId t = seq[i];
      std::int64_t at = 0;
      for (bool moved = true; moved;) {
        moved = false;
        for (std::size_t j = 0; j < i; ++j) {
          const TensorId o = seq[j];
          if (live_together(l, t, o) && at < off[o] + g.tensor(o).bytes &&
              off[o] < at + g.tensor(t).bytes) {
            at = off[o] + g.tensor(o).bytes;
            moved = true;
          }
        }
      }
      off[t] = at;
      top = std::max(top, at + g.tensor(t).bytes);
    }
    best = std::min(best, top);
  } while (std::next_permutation(seq.begin(), seq.end()));
  return best;
}

TEST(graphArena, HeuristicPlacementsAreValidAndAtLeastThePeak) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    const Graph g = random_dag(rng, 14);
    for (const Order& o : {default_order(g), greedy_order(g), reverse_postorder(g)}) {
      const Liveness l = liveness(g, o);
      for (const Placement& p : {place_greedy_by_size(g, l), place_best_fit(g, l)}) {
        expect_valid(g, l, p);
        check_placement(g, l, p);
        EXPECT_GE(p.arena_bytes, peak_bytes(g, o));
      }
    }
  }
}

TEST(graphArena, ExactMatchesBruteForceOnSmallGraphs) {
  std::mt19937_64 rng(99);
  int tested = 0, improved = 0;
  while (tested < 150) {
    const Graph g = random_dag(rng, 6);
    if (g.num_tensors() > 7) continue;
    ++tested;
    const Order o = default_order(g);
    const Liveness l = liveness(g, o);
    const Placement by_size = place_greedy_by_size(g, l), best_fit = place_best_fit(g, l);
    const Placement& incumbent = by_size.arena_bytes <= best_fit.arena_bytes ? by_size : best_fit;
    const auto exact = place_exact(g, l, incumbent, 30);
    ASSERT_TRUE(exact.has_value());
    ASSERT_TRUE(exact->optimal);
    expect_valid(g, l, exact->placement);
    EXPECT_EQ(exact->placement.arena_bytes, brute_force_arena(g, l)) << "trial " << tested;
    EXPECT_EQ(exact->lower_bound, exact->placement.arena_bytes);
    improved += exact->placement.arena_bytes < incumbent.arena_bytes;
  }
  EXPECT_GT(improved, 0);  // some instances where the heuristics are not optimal
}

TEST(graphArena, ExactOnLargerGraphsStaysValidUnderATimeLimit) {
  const Graph g = build_graph("layered:n=40,density=0.2,skip=0.1,seed=3");
  const Liveness l = liveness(g, greedy_order(g));
  const Placement incumbent = place_greedy_by_size(g, l);
  const auto exact = place_exact(g, l, incumbent, 0.5);
  ASSERT_TRUE(exact.has_value());
  expect_valid(g, l, exact->placement);
  EXPECT_LE(exact->placement.arena_bytes, incumbent.arena_bytes);
  EXPECT_GE(exact->placement.arena_bytes, exact->lower_bound);
  EXPECT_EQ(exact->lower_bound >= peak_bytes(g, greedy_order(g)), true);
  EXPECT_LT(exact->seconds, 5.0);
}

TEST(graphArena, CheckRefusesOverlapOfLiveTensors) {
  Graph g;
  const TensorId a = g.add_tensor("a", 8), b = g.add_tensor("b", 8);
  g.add_node("P", "op", {a}, {b});
  const Liveness l = liveness(g, {0});
  EXPECT_THROW(check_placement(g, l, Placement{{0, 4}, 12}), Error);
  EXPECT_THROW(check_placement(g, l, Placement{{0, 8}, 12}), Error);  // past the arena
  check_placement(g, l, Placement{{8, 0}, 16});
}

}  // namespace
}  // namespace bitforge::graph
