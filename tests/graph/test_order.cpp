// Peak memory of an order, the heuristic orders and the exact minimum-peak order.
#include <gtest/gtest.h>

#include <limits>

#include "core/error.hpp"
#include "graph/builders.hpp"
#include "graph/peak_memory.hpp"
#include "graph/random_graphs.hpp"

namespace bitforge::graph {
namespace {

using testing::for_each_topological_order;
using testing::random_dag;

// The issue's definition, step by step: live from the producing step (inputs from 0)
// through the last consumer's step (outputs through the last step).
std::int64_t peak_by_definition(const Graph& g, const Order& order) {
  const int n = g.num_nodes();
  std::vector<int> step(n);
  for (int i = 0; i < n; ++i) step[order[i]] = i;
  std::int64_t peak = 0;
  for (int s = 0; s < n; ++s) {
    std::int64_t live = 0;
    for (const Tensor& t : g.tensors()) {
      const int first = t.producer < 0 ? 0 : step[t.producer];
      int last = first;
      for (NodeId c : t.consumers) last = std::max(last, step[c]);
      if (t.marked_output || t.consumers.empty()) last = n - 1;
      if (first <= s && s <= last) live += t.bytes;
    }
    peak = std::max(peak, live);
  }
  return peak;
}

Graph diamond() {
  Graph g;
  const TensorId in = g.add_tensor("in", 10), a = g.add_tensor("a", 20), b = g.add_tensor("b", 30),
                 c = g.add_tensor("c", 40), d = g.add_tensor("d", 5);
  g.add_node("A", "op", {in}, {a});
  g.add_node("B", "op", {a}, {b});
  g.add_node("C", "op", {a}, {c});
  g.add_node("D", "op", {b, c}, {d});
  return g;
}

TEST(graphPeakMemory, DiamondByHand) {
  const Graph g = diamond();
  // Steps: A {in, a} = 30; B {a, b} = 50; C {a, b, c} = 90; D {b, c, d} = 75.
  EXPECT_EQ(live_bytes_per_step(g, {0, 1, 2, 3}), (std::vector<std::int64_t>{30, 50, 90, 75}));
  EXPECT_EQ(peak_bytes(g, {0, 1, 2, 3}), 90);
  EXPECT_EQ(peak_bytes(g, {0, 2, 1, 3}), 90);
  EXPECT_EQ(peak_lower_bound(g), 75);  // D: inputs b, c and output d
}

TEST(graphPeakMemory, InputsLiveFromStartOutputsToEnd) {
  Graph g;
  const TensorId x = g.add_tensor("x", 100), y = g.add_tensor("y", 1), z = g.add_tensor("z", 7);
  const TensorId u = g.add_tensor("u", 1), w = g.add_tensor("w", 1);
  g.add_node("P", "op", {y}, {z});  // z is read by Q and is also a graph output
  g.add_node("Q", "op", {z}, {u});
  g.add_node("R", "op", {x}, {w});
  g.mark_output(z);
  // Order P, Q, R: x (an input read only at the last step) is live throughout; z to the end.
  EXPECT_EQ(live_bytes_per_step(g, {0, 1, 2}), (std::vector<std::int64_t>{108, 108, 109}));
  EXPECT_EQ(peak_by_definition(g, {0, 1, 2}), 109);
}

TEST(graphPeakMemory, RefusesAnOrderThatIsNotTopological) {
  const Graph g = diamond();
  EXPECT_THROW(peak_bytes(g, {1, 0, 2, 3}), Error);
  EXPECT_THROW(peak_bytes(g, {0, 1, 2}), Error);
  EXPECT_THROW(peak_bytes(g, {0, 1, 1, 3}), Error);
}

TEST(graphPeakMemory, MatchesTheDefinitionOnRandomOrders) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 200; ++trial) {
    const Graph g = random_dag(rng, 12);
    for (const Order& o : {default_order(g), reverse_postorder(g), greedy_order(g)}) {
      check_order(g, o);
      EXPECT_EQ(peak_bytes(g, o), peak_by_definition(g, o));
    }
  }
}

// The acceptance test of issue 6: the exact order against brute-force enumeration of every
// topological order on 600 random DAGs of at most 10 operators.
TEST(graphExactOrder, MatchesBruteForceOn600RandomDags) {
  std::mt19937_64 rng(2024);
  int split = 0, beat_heuristics = 0;
  for (int trial = 0; trial < 600; ++trial) {
    const Graph g = random_dag(rng, 10);
    std::int64_t best = std::numeric_limits<std::int64_t>::max();
    for_each_topological_order(
        g, [&](const Order& o) { best = std::min(best, peak_by_definition(g, o)); });
    const Order incumbent = default_order(g);
    const ExactOrderResult r = exact_min_peak_order(g, incumbent, 60);
    ASSERT_TRUE(r.optimal) << "trial " << trial;
    ASSERT_EQ(r.peak, best) << "trial " << trial;
    ASSERT_EQ(peak_by_definition(g, r.order), r.peak) << "trial " << trial;
    EXPECT_EQ(r.lower_bound, r.peak);
    EXPECT_LE(peak_lower_bound(g), best);
    for (const Order& o : {incumbent, reverse_postorder(g), greedy_order(g)})
      EXPECT_GE(peak_bytes(g, o), best);
    split += r.segments > 1;
    beat_heuristics += best < std::min({peak_bytes(g, incumbent), peak_bytes(g, greedy_order(g))});
  }
  // The generator must exercise both the cut splitting and real improvements.
  EXPECT_GT(split, 100);
  EXPECT_GT(beat_heuristics, 20);
}

TEST(graphExactOrder, StopsAtTheTimeLimitWithAValidOrderAndBound) {
  const Graph g = build_layered({400, 0.05, 0.02, 7});
  const Order incumbent = greedy_order(g);
  const ExactOrderResult r = exact_min_peak_order(g, incumbent, 0.05);
  EXPECT_FALSE(r.optimal);
  check_order(g, r.order);
  EXPECT_EQ(peak_bytes(g, r.order), r.peak);
  EXPECT_LE(r.peak, peak_bytes(g, incumbent));
  EXPECT_LE(r.lower_bound, r.peak);
  EXPECT_GE(r.lower_bound, peak_lower_bound(g));
  EXPECT_LT(r.seconds, 5.0);
}

TEST(graphExactOrder, ImprovesOnRandWireAndLayeredGraphs) {
  // Property, not a number: optimal never loses to a heuristic, and the plans are valid.
  for (const char* spec :
       {"randwire:n=16,k=4,p=0.75,seed=2,cell=1", "layered:n=30,density=0.2,skip=0.1,seed=3",
        "darts:cell=normal", "darts:cell=reduce", "resnet18:size=64"}) {
    const Graph g = build_graph(spec);
    const ExactOrderResult r = exact_min_peak_order(g, greedy_order(g), 30);
    ASSERT_TRUE(r.optimal) << spec;
    EXPECT_EQ(peak_bytes(g, r.order), r.peak) << spec;
    for (const Order& o : {default_order(g), reverse_postorder(g), greedy_order(g)})
      EXPECT_LE(r.peak, peak_bytes(g, o)) << spec;
    EXPECT_GE(r.peak, peak_lower_bound(g)) << spec;
  }
}

TEST(graphExactOrder, ChainIsSplitIntoOneSegmentPerOperator) {
  Graph g;
  TensorId t = g.add_tensor("x", 4);
  for (int i = 0; i < 50; ++i) {
    const TensorId next = g.add_tensor(fmt::format("t{}", i), 1 + i % 7);
    g.add_node(fmt::format("op{}", i), "op", {t}, {next});
    t = next;
  }
  const ExactOrderResult r = exact_min_peak_order(g, default_order(g), 10);
  EXPECT_TRUE(r.optimal);
  EXPECT_EQ(r.segments, 50);
  EXPECT_EQ(r.peak, peak_bytes(g, default_order(g)));
}

}  // namespace
}  // namespace bitforge::graph
