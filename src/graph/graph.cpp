#include "graph/graph.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.hpp"

namespace bitforge::graph {

TensorId Graph::add_tensor(const std::string& name, std::int64_t bytes) {
  if (name.empty()) fail("a tensor needs a name");
  if (bytes <= 0) fail("tensor '{}' has size {} bytes; allowed: a positive size", name, bytes);
  if (tensor_index_.count(name)) fail("tensor name '{}' is used twice; names must be unique", name);
  const TensorId id = num_tensors();
  tensors_.push_back(Tensor{name, bytes, -1, {}, false});
  tensor_index_.emplace(name, id);
  return id;
}

NodeId Graph::add_node(const std::string& name, const std::string& op, std::vector<TensorId> inputs,
                       const std::vector<TensorId>& outputs) {
  if (name.empty()) fail("an operator needs a name");
  if (node_index_.count(name)) fail("operator name '{}' is used twice; names must be unique", name);
  if (outputs.empty())
    fail("operator '{}' has no outputs; every operator must produce a tensor", name);
  auto known = [&](TensorId t) {
    if (t < 0 || t >= num_tensors())
      fail("operator '{}' refers to tensor id {}; allowed: 0..{}", name, t, num_tensors() - 1);
  };
  std::vector<TensorId> distinct;
  for (TensorId t : inputs) {
    known(t);
    if (std::find(distinct.begin(), distinct.end(), t) == distinct.end()) distinct.push_back(t);
  }
  for (TensorId t : outputs) {
    known(t);
    if (tensors_[t].producer >= 0)
      fail("tensor '{}' is produced by both '{}' and '{}'; a tensor has one producer",
           tensors_[t].name, nodes_[tensors_[t].producer].name, name);
    if (std::find(distinct.begin(), distinct.end(), t) != distinct.end())
      fail("operator '{}' reads its own output '{}' (a cycle)", name, tensors_[t].name);
  }
  const NodeId id = num_nodes();
  for (TensorId t : distinct) tensors_[t].consumers.push_back(id);
  for (TensorId t : outputs) tensors_[t].producer = id;
  nodes_.push_back(Node{name, op, std::move(distinct), outputs});
  node_index_.emplace(name, id);
  return id;
}

void Graph::mark_output(TensorId t) {
  tensors_.at(t).marked_output = true;
}

TensorId Graph::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? -1 : it->second;
}

std::int64_t Graph::output_bytes(NodeId n) const {
  std::int64_t sum = 0;
  for (TensorId t : nodes_[n].outputs) sum += tensors_[t].bytes;
  return sum;
}

std::int64_t Graph::input_bytes(NodeId n) const {
  std::int64_t sum = 0;
  for (TensorId t : nodes_[n].inputs) sum += tensors_[t].bytes;
  return sum;
}

std::vector<NodeId> Graph::predecessors(NodeId n) const {
  std::vector<NodeId> p;
  for (TensorId t : nodes_[n].inputs)
    if (tensors_[t].producer >= 0) p.push_back(tensors_[t].producer);
  std::sort(p.begin(), p.end());
  p.erase(std::unique(p.begin(), p.end()), p.end());
  return p;
}

std::vector<NodeId> Graph::successors(NodeId n) const {
  std::vector<NodeId> s;
  for (TensorId t : nodes_[n].outputs)
    s.insert(s.end(), tensors_[t].consumers.begin(), tensors_[t].consumers.end());
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

void Graph::validate() const {
  if (nodes_.empty()) fail("the graph has no operators; nothing to plan");
  // Kahn's algorithm; whatever it cannot schedule lies on or behind a cycle.
  std::vector<int> indegree(nodes_.size());
  for (NodeId n = 0; n < num_nodes(); ++n) indegree[n] = static_cast<int>(predecessors(n).size());
  std::vector<NodeId> ready;
  for (NodeId n = 0; n < num_nodes(); ++n)
    if (indegree[n] == 0) ready.push_back(n);
  int done = 0;
  while (!ready.empty()) {
    NodeId n = ready.back();
    ready.pop_back();
    ++done;
    for (NodeId s : successors(n))
      if (--indegree[s] == 0) ready.push_back(s);
  }
  if (done == num_nodes()) return;
  // Walk predecessors among the unscheduled nodes until one repeats: that walk is a cycle.
  NodeId n = static_cast<NodeId>(
      std::find_if(indegree.begin(), indegree.end(), [](int d) { return d > 0; }) -
      indegree.begin());
  std::vector<int> seen_at(nodes_.size(), -1);
  std::vector<NodeId> walk;
  while (seen_at[n] < 0) {
    seen_at[n] = static_cast<int>(walk.size());
    walk.push_back(n);
    for (NodeId p : predecessors(n))
      if (indegree[p] > 0) {
        n = p;
        break;
      }
  }
  std::string cycle;
  for (std::size_t i = walk.size(); i-- > static_cast<std::size_t>(seen_at[n]);)
    cycle += nodes_[walk[i]].name + " -> ";
  fail("the graph has a cycle: {}{}; allowed: a DAG", cycle, nodes_[n].name);
}

void check_order(const Graph& g, const Order& order) {
  if (static_cast<int>(order.size()) != g.num_nodes())
    fail("an order has {} steps but the graph has {} operators", order.size(), g.num_nodes());
  std::vector<int> step(g.num_nodes(), -1);
  for (std::size_t i = 0; i < order.size(); ++i) {
    NodeId n = order[i];
    if (n < 0 || n >= g.num_nodes())
      fail("an order names operator id {}; allowed: 0..{}", n, g.num_nodes() - 1);
    if (step[n] >= 0) fail("operator '{}' appears twice in an order", g.node(n).name);
    step[n] = static_cast<int>(i);
  }
  for (NodeId n = 0; n < g.num_nodes(); ++n)
    for (NodeId p : g.predecessors(n))
      if (step[p] > step[n])
        fail("order runs '{}' before its input's producer '{}'", g.node(n).name, g.node(p).name);
}

std::string format_bytes(std::int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (std::abs(v) >= 1024.0 && u < 4) v /= 1024.0, ++u;
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.2f} {}", v, units[u]);
}

std::int64_t parse_bytes(const std::string& text) {
  std::size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (const std::exception&) {
    fail(
        "'{}' is not a byte count; allowed: a number with an optional unit B, KiB, MiB, GiB, KB, "
        "MB, GB",
        text);
  }
  std::string unit = text.substr(pos);
  std::string lower;
  for (char c : unit) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale = 0;
  if (lower.empty() || lower == "b")
    scale = 1;
  else if (lower == "kib" || lower == "k")
    scale = 1024.0;
  else if (lower == "mib" || lower == "m")
    scale = 1024.0 * 1024;
  else if (lower == "gib" || lower == "g")
    scale = 1024.0 * 1024 * 1024;
  else if (lower == "kb")
    scale = 1e3;
  else if (lower == "mb")
    scale = 1e6;
  else if (lower == "gb")
    scale = 1e9;
  else
    fail("unknown unit '{}' in '{}'; allowed: B, KiB, MiB, GiB, KB, MB, GB", unit, text);
  const double bytes = value * scale;
  if (!(bytes >= 1) || bytes > 9e18 || bytes != std::floor(bytes))
    fail("'{}' is not a positive whole number of bytes", text);
  return static_cast<std::int64_t>(bytes);
}

}  // namespace bitforge::graph
