// bitforge graph: the model IR of a network as a DAG of operators and the tensors between
// them, and memory planning on it.
//
// What it is for: answering "how little memory can this network run in?" — the order of
// operators that minimizes peak live bytes (peak_memory.hpp), where each tensor sits in one
// arena buffer (arena.hpp), and which tensors stay in a small tightly-coupled memory beside
// DRAM (tcm.hpp). Graphs come from builders of published networks (builders.hpp) or from
// ONNX files (onnx_import.hpp).
//
// What it deliberately does not do (yet): hold weights, shapes, layouts or operator
// parameters, or execute anything. A tensor here is a name, a byte size, one producer and
// its consumers; weights are not tensors of the graph because they are never freed and so
// do not depend on the plan. Execution will extend this IR, not replace it.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace bitforge::graph {

using TensorId = int;
using NodeId = int;
using Order = std::vector<NodeId>;  // a permutation of all nodes, step by step

struct Tensor {
  std::string name;
  std::int64_t bytes = 0;
  NodeId producer = -1;           // -1: a graph input, live from the start
  std::vector<NodeId> consumers;  // distinct, in node order
  bool marked_output = false;
};

struct Node {
  std::string name;
  std::string op;                // informative only ("conv", "add", ...)
  std::vector<TensorId> inputs;  // distinct: using a tensor twice does not use more memory
  std::vector<TensorId> outputs;
};

class Graph {
 public:
  // Refuses a duplicate name and a size that is not positive.
  TensorId add_tensor(const std::string& name, std::int64_t bytes);
  // Refuses unknown ids, an output that already has a producer or is also an input of the
  // same node, and a node without outputs (it could never be needed).
  NodeId add_node(const std::string& name, const std::string& op, std::vector<TensorId> inputs,
                  const std::vector<TensorId>& outputs);
  void mark_output(TensorId t);

  // Refuses an empty graph and a cycle (naming the nodes on it). Planners call it first.
  void validate() const;

  const std::vector<Tensor>& tensors() const { return tensors_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const Tensor& tensor(TensorId t) const { return tensors_.at(t); }
  const Node& node(NodeId n) const { return nodes_.at(n); }
  int num_tensors() const { return static_cast<int>(tensors_.size()); }
  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  TensorId find_tensor(const std::string& name) const;  // -1 if absent

  bool is_input(TensorId t) const { return tensors_[t].producer < 0; }
  // A tensor nobody reads is an output too: something produced it to be kept.
  bool is_output(TensorId t) const {
    return tensors_[t].marked_output || tensors_[t].consumers.empty();
  }
  std::int64_t output_bytes(NodeId n) const;
  std::int64_t input_bytes(NodeId n) const;

  // Distinct producer nodes of n's inputs / consumer nodes of n's outputs, ascending.
  std::vector<NodeId> predecessors(NodeId n) const;
  std::vector<NodeId> successors(NodeId n) const;

 private:
  std::vector<Tensor> tensors_;
  std::vector<Node> nodes_;
  std::unordered_map<std::string, TensorId> tensor_index_;
  std::unordered_map<std::string, NodeId> node_index_;
};

// Refuses (naming the problem) anything but a topological permutation of g's nodes.
void check_order(const Graph& g, const Order& order);

// Human-readable byte counts for tables: "1.50 MiB", "768 B".
std::string format_bytes(std::int64_t bytes);
// Parses "256KiB", "1.5MiB", "4096", "2MB" (SI units are powers of 1000); Error otherwise.
std::int64_t parse_bytes(const std::string& text);

}  // namespace bitforge::graph
