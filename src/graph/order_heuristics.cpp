// The heuristic orders the exact search is measured against (and starts from).
#include <algorithm>
#include <functional>
#include <queue>

#include "graph/peak_memory.hpp"

namespace bitforge::graph {

Order default_order(const Graph& g) {
  g.validate();
  // Creation order when it is topological (builders and ONNX files are); otherwise the
  // topological order closest to it: always run the earliest-created ready operator.
  std::vector<int> indegree(g.num_nodes());
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<>> ready;
  for (NodeId n = 0; n < g.num_nodes(); ++n)
    if ((indegree[n] = static_cast<int>(g.predecessors(n).size())) == 0) ready.push(n);
  Order order;
  while (!ready.empty()) {
    NodeId n = ready.top();
    ready.pop();
    order.push_back(n);
    for (NodeId s : g.successors(n))
      if (--indegree[s] == 0) ready.push(s);
  }
  return order;
}

Order reverse_postorder(const Graph& g) {
  g.validate();
  std::vector<char> visited(g.num_nodes(), 0);
  Order post;
  // Iterative DFS (graphs of thousands of operators would overflow a recursive one).
  for (NodeId root = 0; root < g.num_nodes(); ++root) {
    if (visited[root] || !g.predecessors(root).empty()) continue;
    std::vector<std::pair<NodeId, std::size_t>> stack{{root, 0}};
    visited[root] = 1;
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      const std::vector<NodeId> succ = g.successors(n);
      if (next < succ.size()) {
        NodeId s = succ[next++];
        if (!visited[s]) {
          visited[s] = 1;
          stack.push_back({s, 0});
        }
      } else {
        post.push_back(n);
        stack.pop_back();
      }
    }
  }
  std::reverse(post.begin(), post.end());
  return post;
}

Order greedy_order(const Graph& g) {
  g.validate();
  std::vector<int> indegree(g.num_nodes()), remaining_uses(g.num_tensors());
  std::vector<NodeId> ready;
  for (NodeId n = 0; n < g.num_nodes(); ++n)
    if ((indegree[n] = static_cast<int>(g.predecessors(n).size())) == 0) ready.push_back(n);
  for (TensorId t = 0; t < g.num_tensors(); ++t)
    remaining_uses[t] = static_cast<int>(g.tensor(t).consumers.size());
  // Bytes n frees when it runs now: inputs it is the last reader of. (The bytes live
  // before the step are the same for every candidate, so only the change is compared.)
  auto freed = [&](NodeId n) {
    std::int64_t f = 0;
    for (TensorId t : g.node(n).inputs)
      if (remaining_uses[t] == 1 && !g.is_output(t)) f += g.tensor(t).bytes;
    return f;
  };
  Order order;
  while (!ready.empty()) {
    auto best = std::min_element(ready.begin(), ready.end(), [&](NodeId a, NodeId b) {
      const std::int64_t after_a = g.output_bytes(a) - freed(a),
                         after_b = g.output_bytes(b) - freed(b);
      if (after_a != after_b) return after_a < after_b;
      if (g.output_bytes(a) != g.output_bytes(b)) return g.output_bytes(a) < g.output_bytes(b);
      return a < b;
    });
    const NodeId n = *best;
    ready.erase(best);
    for (TensorId t : g.node(n).inputs) --remaining_uses[t];
    order.push_back(n);
    for (NodeId s : g.successors(n))
      if (--indegree[s] == 0) ready.push_back(s);
  }
  return order;
}

}  // namespace bitforge::graph
