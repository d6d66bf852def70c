#include "graph/onnx_import.hpp"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <set>
#include <unordered_map>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace bitforge::graph {

namespace {

std::int64_t element_bytes(int type, const std::string& tensor, const std::string& where) {
  using TP = onnx::TensorProto;
  switch (type) {
    case TP::BOOL:
    case TP::INT8:
    case TP::UINT8:
      return 1;
    case TP::INT16:
    case TP::UINT16:
    case TP::FLOAT16:
    case TP::BFLOAT16:
      return 2;
    case TP::INT32:
    case TP::UINT32:
    case TP::FLOAT:
      return 4;
    case TP::INT64:
    case TP::UINT64:
    case TP::DOUBLE:
    case TP::COMPLEX64:
      return 8;
    case TP::COMPLEX128:
      return 16;
    default:
      fail("{}: tensor '{}' has element type {} ({}); allowed: numeric and bool types", where,
           tensor, TP::DataType_Name(static_cast<TP::DataType>(type)), type);
  }
}

std::int64_t tensor_bytes(const onnx::TypeProto* type, const std::string& tensor,
                          const std::string& where) {
  if (!type)
    fail("{}: the shape of tensor '{}' could not be inferred; allowed: tensors of known shape",
         where, tensor);
  if (!type->has_tensor_type())
    fail("{}: '{}' is not a tensor (sequence, map or optional values are not supported)", where,
         tensor);
  const auto& tt = type->tensor_type();
  std::int64_t bytes = element_bytes(tt.elem_type(), tensor, where);
  if (!tt.has_shape())
    fail("{}: the shape of tensor '{}' could not be inferred; allowed: tensors of known shape",
         where, tensor);
  for (int d = 0; d < tt.shape().dim_size(); ++d) {
    const auto& dim = tt.shape().dim(d);
    if (dim.has_dim_param())
      fail("{}: dimension {} of tensor '{}' is symbolic ('{}'); fix it with --dim {}=VALUE", where,
           d, tensor, dim.dim_param(), dim.dim_param());
    if (!dim.has_dim_value())
      fail("{}: dimension {} of tensor '{}' is unknown after shape inference", where, d, tensor);
    if (dim.dim_value() <= 0)
      fail("{}: dimension {} of tensor '{}' is {}; allowed: positive sizes", where, d, tensor,
           dim.dim_value());
    bytes *= dim.dim_value();
  }
  return bytes;
}

std::string node_label(const onnx::NodeProto& n, int index) {
  return n.name().empty() ? fmt::format("{}_{}", n.op_type(), index) : n.name();
}

}  // namespace

Graph import_onnx(const std::string& path, const std::map<std::string, std::int64_t>& dims) {
  onnx::ModelProto model;
  {
    const std::string bytes = read_file(path);
    if (!model.ParseFromString(bytes))
      fail("'{}' is not an ONNX model (protobuf parse failed)", path);
  }
  auto* graph = model.mutable_graph();
  std::set<std::string> used_dims;
  for (auto& input : *graph->mutable_input()) {
    if (!input.type().has_tensor_type()) continue;
    for (auto& dim : *input.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim())
      if (dim.has_dim_param())
        if (auto it = dims.find(dim.dim_param()); it != dims.end()) {
          used_dims.insert(it->first);
          dim.set_dim_value(it->second);
        }
  }
  for (const auto& [name, value] : dims) {
    if (!used_dims.count(name))
      fail("--dim {}: no graph input of '{}' has a symbolic dimension named '{}'", name, path,
           name);
    if (value <= 0) fail("--dim {}={}: allowed: a positive size", name, value);
  }
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(false, 0, true));
  } catch (const std::exception& e) {
    fail("ONNX shape inference failed on '{}': {}", path, e.what());
  }

  std::unordered_map<std::string, const onnx::TypeProto*> types;
  for (const auto& v : graph->input()) types[v.name()] = &v.type();
  for (const auto& v : graph->value_info()) types[v.name()] = &v.type();
  for (const auto& v : graph->output()) types[v.name()] = &v.type();
  std::set<std::string> weights;
  for (const auto& w : graph->initializer()) weights.insert(w.name());
  for (const auto& w : graph->sparse_initializer()) weights.insert(w.values().name());
  std::set<std::string> outputs;
  for (const auto& v : graph->output()) outputs.insert(v.name());

  // Which node outputs are needed: graph outputs, then backwards through readers (dead code
  // elimination, so unread optional outputs such as Dropout's mask cost nothing).
  const int count = graph->node_size();
  std::set<std::string> needed = outputs;
  std::vector<char> live(count, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (int i = count - 1; i >= 0; --i) {
      const auto& n = graph->node(i);
      if (live[i]) continue;
      for (const auto& o : n.output())
        if (needed.count(o)) live[i] = 1;
      if (!live[i]) continue;
      changed = true;
      for (const auto& in : n.input()) needed.insert(in);
    }
  }

  Graph g;
  auto ensure_tensor = [&](const std::string& name, const std::string& where) {
    if (TensorId t = g.find_tensor(name); t >= 0) return t;
    auto it = types.find(name);
    return g.add_tensor(name, tensor_bytes(it == types.end() ? nullptr : it->second, name, where));
  };
  // Constant nodes are weights: their outputs join the initializers.
  for (int i = 0; i < count; ++i)
    if (live[i] && graph->node(i).op_type() == "Constant" && graph->node(i).domain().empty())
      for (const auto& o : graph->node(i).output()) weights.insert(o);
  std::set<std::string> produced;
  for (int i = 0; i < count; ++i)
    for (const auto& o : graph->node(i).output()) produced.insert(o);
  std::set<std::string> node_names;
  std::vector<std::pair<int, std::vector<TensorId>>>
      pending;  // outputs first: nodes may come in any order
  for (int i = 0; i < count; ++i) {
    const auto& n = graph->node(i);
    if (!live[i] || weights.count(n.output(0))) continue;
    const std::string where = fmt::format("ONNX node '{}' ({})", node_label(n, i), n.op_type());
    for (const auto& a : n.attribute())
      if (a.has_g() || a.graphs_size() > 0)
        fail("{} has a subgraph (attribute '{}'); control flow is not supported", where, a.name());
    std::vector<TensorId> outs;
    for (const auto& o : n.output())
      if (!o.empty() && needed.count(o)) outs.push_back(ensure_tensor(o, where));
    pending.push_back({i, std::move(outs)});
  }
  for (auto& [i, outs] : pending) {
    const auto& n = graph->node(i);
    const std::string where = fmt::format("ONNX node '{}' ({})", node_label(n, i), n.op_type());
    std::vector<TensorId> ins;
    for (const auto& in : n.input()) {
      if (in.empty() || weights.count(in)) continue;  // omitted optional input, or a weight
      if (!produced.count(in) && !types.count(in))
        fail("{} reads '{}', which is neither a graph input, an initializer nor any node's output",
             where, in);
      ins.push_back(ensure_tensor(in, where));
    }
    std::string name = node_label(n, i);
    if (!node_names.insert(name).second)
      name = fmt::format("{}#{}", name, i);  // ONNX does not require unique names
    node_names.insert(name);
    g.add_node(name, n.op_type(), ins, outs);
  }
  for (const auto& o : outputs)
    if (TensorId t = g.find_tensor(o); t >= 0) g.mark_output(t);
  g.validate();
  return g;
}

}  // namespace bitforge::graph
