// `bitforge memplan` end to end: the table, the JSON, the plot, and refusals with exit 2
// that leave no output file behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include "core/file_io.hpp"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Outcome {
  int code;
  std::string out, err;
};

class graphMemplanCli : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = BITFORGE_TEST_BINARY;  // compiled in by tests/CMakeLists.txt
    ASSERT_TRUE(fs::exists(binary_)) << binary_ << " is not built";
    dir_ = fs::temp_directory_path() /
           ("bitforge-test-memplan-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome run(const std::string& args) {
    const fs::path out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    const std::string cmd =
        "'" + binary_ + "' memplan " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, bitforge::read_file(out.string()),
            bitforge::read_file(err.string())};
  }
  // Writes an ONNX model given in ONNX's textual syntax; `value_infos` declares float[2]
  // types for tensors shape inference cannot reach (e.g. on a cycle).
  std::string write_model(const std::string& name, const std::string& text,
                          const std::vector<std::string>& value_infos = {}) {
    onnx::ModelProto model;
    const auto status = onnx::OnnxParser::Parse(model, text.c_str());
    EXPECT_TRUE(status.IsOK()) << status.ErrorMessage();
    for (const std::string& v : value_infos) {
      auto* vi = model.mutable_graph()->add_value_info();
      *vi = model.graph().input(0);
      vi->set_name(v);
    }
    const std::string path = (dir_ / name).string();
    bitforge::write_file_atomically(path, model.SerializeAsString());
    return path;
  }
  std::string binary_;
  fs::path dir_;
};

TEST_F(graphMemplanCli, PrintsTheTableAndWritesJsonAndPlot) {
  const fs::path json = dir_ / "plan.json", png = dir_ / "plan.png";
  const Outcome r =
      run("--graph layered:n=14,density=0.3,skip=0.1,seed=3 --tcm 200KiB --time-limit 5 --json '" +
          json.string() + "' --plot '" + png.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* row :
       {"default", "reverse-postorder", "greedy", "optimal", "arena exact", "TCM exact"})
    EXPECT_THAT(r.out, HasSubstr(row));
  const auto j = nlohmann::json::parse(bitforge::read_file(json.string()));
  EXPECT_EQ(j["nodes"].size(), 14u);
  EXPECT_EQ(j["tensors"].size(), 15u);
  EXPECT_EQ(j["tensors"][0]["name"], "input");
  EXPECT_TRUE(j["tensors"][0]["producer"].is_null());
  for (const char* m : {"default", "reverse-postorder", "greedy", "optimal"}) {
    ASSERT_TRUE(j["methods"].contains(m)) << m;
    EXPECT_EQ(j["methods"][m]["order"].size(), 14u);
    EXPECT_LE(j["methods"]["optimal"]["peak_bytes"].get<std::int64_t>(),
              j["methods"][m]["peak_bytes"].get<std::int64_t>());
  }
  EXPECT_TRUE(j["methods"]["optimal"]["optimal"].get<bool>());
  EXPECT_GE(j["tcm"]["exact"]["traffic_bytes"].get<std::int64_t>(),
            j["tcm"]["compulsory_bytes"].get<std::int64_t>());
  const std::string image = bitforge::read_file(png.string());
  ASSERT_GT(image.size(), 8u);
  EXPECT_EQ(image.substr(1, 3), "PNG");
}

TEST_F(graphMemplanCli, BadInputExitsTwoWithOneLineAndNoFiles) {
  const fs::path json = dir_ / "plan.json";
  const std::string out = " --json '" + json.string() + "'";
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"--graph vgg16", "unknown graph 'vgg16'"},
           {"--graph layered:n=10 --tcm 1KiB", "smaller than operator"},
           {"--graph layered:n=10 --tcm 12parsecs", "unknown unit"},
           {"--model '" + (dir_ / "missing.onnx").string() + "'", "missing.onnx"},
           {"--graph darts --model x.onnx", "exactly one of --model"},
           {"--graph layered:n=10 --time-limit 0", "--time-limit"},
       }) {
    const Outcome r = run(args + out);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_THAT(r.err, HasSubstr(message)) << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args;
    EXPECT_FALSE(fs::exists(json)) << args;
  }
}

TEST_F(graphMemplanCli, PlansAnOnnxModel) {
  const std::string model = write_model("net.onnx", R"(
    < ir_version: 8, opset_import: ["" : 15] >
    net (float[N,64] x) => (float[N,64] y) {
      a = Relu (x)
      b = Sigmoid (x)
      c = Tanh (a)
      y = Add (b, c)
    }
  )");
  const fs::path json = dir_ / "plan.json";
  const Outcome r = run("--model '" + model + "' --dim N=2 --time-limit 5 --json '" + json.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(bitforge::read_file(json.string()));
  EXPECT_EQ(j["nodes"].size(), 4u);
  EXPECT_EQ(j["tensors"][0]["bytes"], 2 * 64 * 4);
  // Every order has three 512-byte tensors live at some step (x stays until Sigmoid runs).
  EXPECT_EQ(j["methods"]["optimal"]["peak_bytes"], 3 * 512);
  const Outcome symbolic = run("--model '" + model + "'");
  EXPECT_EQ(symbolic.code, 2);
  EXPECT_THAT(symbolic.err, HasSubstr("--dim N=VALUE"));
}

TEST_F(graphMemplanCli, RefusesCyclesAndUnsupportedOnnxNodes) {
  const std::string cyclic = write_model("cycle.onnx", R"(
    < ir_version: 8, opset_import: ["" : 15] >
    g (float[2] x) => (float[2] b) {
      a = Add (x, b)
      b = Relu (a)
    }
  )", {"a", "b"});
  const std::string custom = write_model("custom.onnx", R"(
    < ir_version: 8, opset_import: ["" : 15, "com.example" : 1] >
    g (float[2] x) => (float[2] y) {
      h = com.example.Mystery (x)
      y = Relu (h)
    }
  )");
  const fs::path json = dir_ / "plan.json";
  for (const auto& [model, message] : std::vector<std::pair<std::string, std::string>>{
           {cyclic, "the graph has a cycle"}, {custom, "ONNX node 'Mystery_0' (Mystery)"}}) {
    const Outcome r = run("--model '" + model + "' --json '" + json.string() + "'");
    EXPECT_EQ(r.code, 2) << model;
    EXPECT_THAT(r.err, HasSubstr(message)) << model;
    EXPECT_FALSE(fs::exists(json));
  }
}

}  // namespace
