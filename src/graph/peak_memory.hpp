// bitforge graph: peak live memory of an operator order, and orders that make it small.
//
// Liveness (issue 6): a tensor is live from the step that produces it (graph inputs from
// step 0) through the step of its last consumer (graph outputs through the last step); the
// peak is the maximum over steps of the bytes live. Weights are not counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graph/graph.hpp"

namespace bitforge::graph {

struct Liveness {
  std::vector<int> first, last;  // per tensor: inclusive step interval
};
Liveness liveness(const Graph& g, const Order& order);
std::vector<std::int64_t> live_bytes_per_step(const Graph& g, const Order& order);
std::int64_t peak_bytes(const Graph& g, const Order& order);
// No order can do better: every operator's inputs and outputs are live at its step, all
// graph inputs at step 0 and all graph outputs at the last step.
std::int64_t peak_lower_bound(const Graph& g);

// Heuristic orders.
Order default_order(const Graph& g);      // creation (file) order, TFLite's choice
Order reverse_postorder(const Graph& g);  // of a DFS from the first operators
// At each step the ready operator that leaves the fewest bytes live, ties broken by the
// smaller peak during the step, then by creation order.
Order greedy_order(const Graph& g);

struct ExactOrderResult {
  Order order;
  std::int64_t peak = 0;
  std::int64_t lower_bound = 0;  // == peak when optimal
  bool optimal = false;          // false: the time limit or the state cap stopped the search
  std::int64_t states = 0;       // distinct scheduled sets visited
  int segments = 0;              // pieces the graph was split into at narrow cuts
  double seconds = 0;
};
// The minimum-peak order by dynamic programming over scheduled sets; `incumbent` (any valid
// order) is the fallback and the budget that prunes the search.
ExactOrderResult exact_min_peak_order(const Graph& g, const Order& incumbent, double time_limit_s);

}  // namespace bitforge::graph
