// Random small graphs for the graph tests: varied enough to exercise every rule of
// liveness (several graph inputs, multi-output operators, shared inputs, marked outputs
// that are also read, chains that create single-tensor cuts).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "graph/graph.hpp"

namespace bitforge::graph::testing {

inline Graph random_dag(std::mt19937_64& rng, int max_nodes) {
  std::uniform_int_distribution<int> nodes_dist(1, max_nodes), size(1, 9), coin(0, 99);
  const int n = nodes_dist(rng);
  const int style = coin(rng) % 3;  // 0: dense random, 1: sparse random, 2: chain of small cells
  Graph g;
  std::vector<TensorId> available;
  const int inputs = 1 + coin(rng) % 2;
  for (int i = 0; i < inputs; ++i)
    available.push_back(g.add_tensor(fmt::format("in{}", i), size(rng)));
  TensorId last = available.back();
  for (int v = 0; v < n; ++v) {
    std::vector<TensorId> ins;
    if (style == 2 && v % 3 == 0) {
      ins.push_back(last);  // a cell boundary: only the last cell's output crosses
      available.assign(1, last);
    } else {
      const int percent = style == 0 ? 45 : 20;
      for (TensorId t : available)
        if (coin(rng) < percent) ins.push_back(t);
      if (ins.empty())
        ins.push_back(
            available[std::uniform_int_distribution<std::size_t>(0, available.size() - 1)(rng)]);
    }
    std::vector<TensorId> outs{g.add_tensor(fmt::format("t{}", v), size(rng))};
    if (coin(rng) < 15) outs.push_back(g.add_tensor(fmt::format("t{}b", v), size(rng)));
    g.add_node(fmt::format("op{}", v), "op", ins, outs);
    available.insert(available.end(), outs.begin(), outs.end());
    last = outs.front();
    if (coin(rng) < 10) g.mark_output(outs.front());
  }
  g.validate();
  return g;
}

// Every topological order, for brute-force oracles on graphs of up to ~10 operators.
template <typename Visit>
void for_each_topological_order(const Graph& g, Visit visit) {
  const int n = g.num_nodes();
  std::vector<int> indegree(n);
  for (NodeId v = 0; v < n; ++v) indegree[v] = static_cast<int>(g.predecessors(v).size());
  std::vector<char> used(n, 0);
  Order order;
  auto recurse = [&](auto& self) -> void {
    if (static_cast<int>(order.size()) == n) {
      visit(order);
      return;
    }
    for (NodeId v = 0; v < n; ++v) {
      if (used[v] || indegree[v] != 0) continue;
      used[v] = 1;
      order.push_back(v);
      const auto succ = g.successors(v);
      for (NodeId s : succ) --indegree[s];
      self(self);
      for (NodeId s : succ) ++indegree[s];
      order.pop_back();
      used[v] = 0;
    }
  };
  recurse(recurse);
}

}  // namespace bitforge::graph::testing
