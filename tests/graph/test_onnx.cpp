// ONNX import: sizes from shape inference, weights left out, and refusals naming the node.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "graph/onnx_import.hpp"
#include "graph/peak_memory.hpp"

namespace bitforge::graph {
namespace {

using ::testing::HasSubstr;

// A model from ONNX's textual syntax, with `w` turned into an initializer (a weight).
onnx::ModelProto parse_model(const std::string& text) {
  onnx::ModelProto model;
  const auto status = onnx::OnnxParser::Parse(model, text.c_str());
  if (!status.IsOK())
    throw std::runtime_error("test model does not parse: " + status.ErrorMessage());
  return model;
}

void add_weight(onnx::ModelProto& model, const std::string& name, std::vector<std::int64_t> dims) {
  auto* w = model.mutable_graph()->add_initializer();
  w->set_name(name);
  w->set_data_type(onnx::TensorProto::FLOAT);
  std::int64_t count = 1;
  for (auto d : dims) w->add_dims(d), count *= d;
  for (std::int64_t i = 0; i < count; ++i) w->add_float_data(0.5f);
}

class graphOnnxImport : public ::testing::Test {
 protected:
  std::string save(const onnx::ModelProto& model) {
    const std::string path = (dir_ / fmt::format("m{}.onnx", count_++)).string();
    write_file_atomically(path, model.SerializeAsString());
    return path;
  }
  std::string error_of(const std::string& path,
                       const std::map<std::string, std::int64_t>& dims = {}) {
    try {
      import_onnx(path, dims);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("bitforge-test-onnx-{}",
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  int count_ = 0;
};

TEST_F(graphOnnxImport, SizesComeFromShapeInferenceAndWeightsAreLeftOut) {
  onnx::ModelProto model = parse_model(R"(
    < ir_version: 8, opset_import: ["" : 15] >
    residual (float[1,3,8,8] x, float[4,3,3,3] w) => (float[1,4,4,4] y) {
      c = Conv <pads = [1, 1, 1, 1]> (x, w)
      r = Relu (c)
      p = MaxPool <kernel_shape = [2, 2], strides = [2, 2]> (r)
      q = Flatten (p)
      s = Shape (p)
      z = Reshape (q, s)
      y = Add (z, p)
    }
  )");
  add_weight(model, "w", {4, 3, 3, 3});
  const Graph g = import_onnx(save(model));
  EXPECT_EQ(g.find_tensor("w"), -1);  // a weight, never freed, not planned
  EXPECT_EQ(g.tensor(g.find_tensor("x")).bytes, 1 * 3 * 8 * 8 * 4);
  EXPECT_EQ(g.tensor(g.find_tensor("c")).bytes, 4 * 8 * 8 * 4);
  EXPECT_EQ(g.tensor(g.find_tensor("p")).bytes, 4 * 4 * 4 * 4);
  EXPECT_EQ(g.tensor(g.find_tensor("q")).bytes, 64 * 4);
  EXPECT_EQ(g.tensor(g.find_tensor("s")).bytes, 4 * 8);  // int64[4]
  EXPECT_EQ(g.tensor(g.find_tensor("z")).bytes,
            4 * 4 * 4 * 4);  // a Shape -> Reshape chain resolved
  EXPECT_EQ(g.num_nodes(), 7);
  EXPECT_TRUE(g.is_output(g.find_tensor("y")));
  EXPECT_GT(peak_bytes(g, default_order(g)), 0);
}

TEST_F(graphOnnxImport, SymbolicDimensionsNeedAValue) {
  onnx::ModelProto model = parse_model(R"(
    < ir_version: 8, opset_import: ["" : 15] >
    g (float[N,16] x) => (float[N,16] y) {
      h = Relu (x)
      y = Sigmoid (h)
    }
  )");
  const std::string path = save(model);
  EXPECT_THAT(error_of(path), HasSubstr("is symbolic ('N'); fix it with --dim N=VALUE"));
  const Graph g = import_onnx(path, {{"N", 3}});
  EXPECT_EQ(g.tensor(g.find_tensor("h")).bytes, 3 * 16 * 4);
  EXPECT_THAT(error_of(path, {{"M", 3}}), HasSubstr("no graph input"));
}

TEST_F(graphOnnxImport, DeadCodeIsDropped) {
  onnx::ModelProto model = parse_model(R"(
    < ir_version: 8, opset_import: ["" : 15] >
    g (float[2,16] x) => (float[2,16] y) {
      y = Relu (x)
      unused = Sigmoid (x)
    }
  )");
  const Graph g = import_onnx(save(model));
  EXPECT_EQ(g.num_nodes(), 1);
  EXPECT_EQ(g.find_tensor("unused"), -1);
}

TEST_F(graphOnnxImport, ConstantNodesAreWeights) {
  onnx::ModelProto model = parse_model(R"(
    < ir_version: 8, opset_import: ["" : 15] >
    g (float[2] x) => (float[2] y) {
      k = Constant <value = float[2] {1.0, 2.0}> ()
      y = Add (x, k)
    }
  )");
  const Graph g = import_onnx(save(model));
  EXPECT_EQ(g.num_nodes(), 1);
  EXPECT_EQ(g.find_tensor("k"), -1);
  EXPECT_EQ(g.node(0).inputs.size(), 1u);
}

TEST_F(graphOnnxImport, RefusesAnUnknownOperatorNamingIt) {
  onnx::ModelProto model = parse_model(R"(
    < ir_version: 8, opset_import: ["" : 15, "com.example" : 1] >
    g (float[2,16] x) => (float[2,16] y) {
      h = com.example.Mystery (x)
      y = Relu (h)
    }
  )");
  model.mutable_graph()->mutable_node(0)->set_name("mystery_node");
  EXPECT_THAT(error_of(save(model)), HasSubstr("ONNX node 'mystery_node' (Mystery)"));
}

TEST_F(graphOnnxImport, RefusesControlFlowNamingTheNode) {
  onnx::ModelProto model = parse_model(R"(
    < ir_version: 8, opset_import: ["" : 15] >
    g (bool[1] cond, float[2] x) => (float[2] y) {
      y = Relu (x)
    }
  )");
  auto* node = model.mutable_graph()->add_node();
  node->set_op_type("If");
  node->set_name("branchy");
  node->add_input("cond");
  node->add_output("z");
  auto* then_branch = node->add_attribute();
  then_branch->set_name("then_branch");
  then_branch->set_type(onnx::AttributeProto::GRAPH);
  then_branch->mutable_g()->set_name("then");
  auto* else_branch = node->add_attribute();
  else_branch->set_name("else_branch");
  else_branch->set_type(onnx::AttributeProto::GRAPH);
  else_branch->mutable_g()->set_name("else");
  *model.mutable_graph()->add_output() = model.graph().output(0);
  model.mutable_graph()->mutable_output(1)->set_name("z");
  EXPECT_THAT(error_of(save(model)), HasSubstr("ONNX node 'branchy' (If) has a subgraph"));
}

TEST_F(graphOnnxImport, RefusesACycle) {
  onnx::ModelProto model = parse_model(R"(
    < ir_version: 8, opset_import: ["" : 15] >
    g (float[2] x) => (float[2] b) {
      a = Add (x, b)
      b = Relu (a)
    }
  )");
  for (const char* name : {"a", "b"}) {
    auto* vi = model.mutable_graph()->add_value_info();
    *vi = model.graph().input(0);
    vi->set_name(name);
  }
  EXPECT_THAT(error_of(save(model)), HasSubstr("cycle"));
}

TEST_F(graphOnnxImport, RefusesFilesThatAreNotModels) {
  const std::string path = (dir_ / "junk.onnx").string();
  write_file_atomically(path, "this is not a protobuf \xff\xff\xff");
  EXPECT_THAT(error_of(path), HasSubstr("is not an ONNX model"));
  EXPECT_THROW(import_onnx((dir_ / "missing.onnx").string()), Error);
}

}  // namespace
}  // namespace bitforge::graph
