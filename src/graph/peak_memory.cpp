#include "graph/peak_memory.hpp"

#include <algorithm>

namespace bitforge::graph {

Liveness liveness(const Graph& g, const Order& order) {
  check_order(g, order);
  const int steps = g.num_nodes();
  std::vector<int> step(steps);
  for (int i = 0; i < steps; ++i) step[order[i]] = i;
  Liveness l;
  l.first.resize(g.num_tensors());
  l.last.resize(g.num_tensors());
  for (TensorId t = 0; t < g.num_tensors(); ++t) {
    const Tensor& x = g.tensor(t);
    l.first[t] = x.producer < 0 ? 0 : step[x.producer];
    int last = l.first[t];
    for (NodeId c : x.consumers) last = std::max(last, step[c]);
    l.last[t] = g.is_output(t) ? steps - 1 : last;
  }
  return l;
}

std::vector<std::int64_t> live_bytes_per_step(const Graph& g, const Order& order) {
  const Liveness l = liveness(g, order);
  // Difference array over steps: O(tensors + steps).
  std::vector<std::int64_t> delta(g.num_nodes() + 1, 0);
  for (TensorId t = 0; t < g.num_tensors(); ++t) {
    delta[l.first[t]] += g.tensor(t).bytes;
    delta[l.last[t] + 1] -= g.tensor(t).bytes;
  }
  std::vector<std::int64_t> live(g.num_nodes());
  std::int64_t running = 0;
  for (int s = 0; s < g.num_nodes(); ++s) live[s] = running += delta[s];
  return live;
}

std::int64_t peak_bytes(const Graph& g, const Order& order) {
  const auto live = live_bytes_per_step(g, order);
  return *std::max_element(live.begin(), live.end());
}

std::int64_t peak_lower_bound(const Graph& g) {
  std::int64_t bound = 0, inputs = 0, outputs = 0;
  for (NodeId n = 0; n < g.num_nodes(); ++n)
    bound = std::max(bound, g.input_bytes(n) + g.output_bytes(n));
  for (TensorId t = 0; t < g.num_tensors(); ++t) {
    if (g.is_input(t)) inputs += g.tensor(t).bytes;
    if (g.is_output(t)) outputs += g.tensor(t).bytes;
  }
  return std::max({bound, inputs, outputs});
}

}  // namespace bitforge::graph
