// bitforge graph: import of ONNX models for memory planning.
//
// Reads a .onnx file with the ONNX library (Debian libonnx-dev), runs ONNX shape inference
// (with data propagation, so Shape->Reshape chains resolve), and builds the graph:
// every node an operator, every activation tensor sized from its inferred shape and element
// type. Initializers and Constant nodes are weights and are not tensors of the graph; node
// outputs nobody reads that are not graph outputs are dropped, and so are nodes left with no
// outputs (dead code, which runtimes prune too). Anything whose size cannot be known is
// refused naming the node: control flow (If/Loop/Scan subgraphs), non-tensor values,
// unknown or symbolic dimensions (unless given in `dims`), string tensors.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "graph/graph.hpp"

namespace bitforge::graph {

// `dims` fixes symbolic input dimensions by name, e.g. {"batch", 1}.
Graph import_onnx(const std::string& path, const std::map<std::string, std::int64_t>& dims = {});

}  // namespace bitforge::graph
