// The graph IR's refusals, and the builders' structure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/error.hpp"
#include "graph/builders.hpp"
#include "graph/peak_memory.hpp"
#include "test_util.hpp"

namespace bitforge::graph {
namespace {

using ::testing::HasSubstr;

using testing::error_of;

TEST(graphIR, RefusesZeroAndNegativeSizes) {
  Graph g;
  EXPECT_THAT(error_of([&] { g.add_tensor("a", 0); }),
              HasSubstr("tensor 'a' has size 0 bytes; allowed: a positive size"));
  EXPECT_THAT(error_of([&] { g.add_tensor("b", -5); }), HasSubstr("size -5"));
}

TEST(graphIR, RefusesDuplicatesAndSecondProducers) {
  Graph g;
  const TensorId a = g.add_tensor("a", 1), b = g.add_tensor("b", 1);
  EXPECT_THAT(error_of([&] { g.add_tensor("a", 2); }), HasSubstr("'a' is used twice"));
  g.add_node("P", "op", {a}, {b});
  EXPECT_THAT(error_of([&] { g.add_node("Q", "op", {a}, {b}); }),
              HasSubstr("produced by both 'P' and 'Q'"));
  EXPECT_THAT(error_of([&] { g.add_node("P", "op", {a}, {}); }), HasSubstr("'P' is used twice"));
  EXPECT_THAT(error_of([&] { g.add_node("R", "op", {a}, {}); }), HasSubstr("no outputs"));
  EXPECT_THAT(error_of([&] { g.add_node("S", "op", {7}, {g.add_tensor("s", 1)}); }),
              HasSubstr("tensor id 7"));
}

TEST(graphIR, RefusesACycleNamingItsOperators) {
  Graph g;
  const TensorId x = g.add_tensor("x", 1), y = g.add_tensor("y", 1), z = g.add_tensor("z", 1),
                 in = g.add_tensor("in", 1);
  const TensorId out = g.add_tensor("out", 1);
  g.add_node("first", "op", {in, z}, {x});
  g.add_node("second", "op", {x}, {y});
  g.add_node("third", "op", {y}, {z});
  g.add_node("after", "op", {z}, {out});
  const std::string msg = error_of([&] { g.validate(); });
  EXPECT_THAT(msg, HasSubstr("cycle"));
  for (const char* name : {"first", "second", "third"}) EXPECT_THAT(msg, HasSubstr(name));
  EXPECT_THAT(msg, ::testing::Not(HasSubstr("after")));
  EXPECT_THROW(default_order(g), Error);
  EXPECT_THAT(error_of([] { Graph().validate(); }), HasSubstr("no operators"));
}

TEST(graphIR, ParsesByteCounts) {
  EXPECT_EQ(parse_bytes("256KiB"), 262144);
  EXPECT_EQ(parse_bytes("1.5MiB"), 1572864);
  EXPECT_EQ(parse_bytes("4096"), 4096);
  EXPECT_EQ(parse_bytes("2MB"), 2000000);
  for (const char* bad : {"", "KiB", "-1KiB", "0", "12 parsecs", "0.5"})
    EXPECT_THROW(parse_bytes(bad), Error) << bad;
}

TEST(graphBuilders, ResNet50HasTorchvisionStructureAndSizes) {
  const Graph g = build_resnet({50, 224, 224, 8});
  // conv1, maxpool, 16 bottlenecks x (3 convs + add), 4 downsamples, avgpool, fc.
  EXPECT_EQ(g.num_nodes(), 2 + 16 * 4 + 4 + 2);
  EXPECT_EQ(g.tensor(g.find_tensor("input")).bytes, 3 * 224 * 224);
  EXPECT_EQ(g.tensor(g.find_tensor("conv1")).bytes, 64 * 112 * 112);
  EXPECT_EQ(g.tensor(g.find_tensor("maxpool")).bytes, 64 * 56 * 56);
  EXPECT_EQ(g.tensor(g.find_tensor("layer1.0.add")).bytes, 256 * 56 * 56);
  EXPECT_EQ(g.tensor(g.find_tensor("layer4.2.add")).bytes, 2048 * 7 * 7);
  EXPECT_EQ(g.tensor(g.find_tensor("fc")).bytes, 1000);
  // The residual add reads the block input (identity) or the downsample.
  EXPECT_EQ(g.node(g.tensor(g.find_tensor("layer1.1.add")).producer).inputs.size(), 2u);
}

TEST(graphBuilders, ResNetTakesAnyInputSizeAndBitWidth) {
  const Graph g = build_resnet({18, 160, 96, 1});
  EXPECT_EQ(g.num_nodes(), 2 + 8 * 3 + 3 + 2);
  EXPECT_EQ(g.tensor(g.find_tensor("conv1")).bytes, 64 * 80 * 48 / 8);  // 1-bit activations
  EXPECT_EQ(g.tensor(g.find_tensor("layer4.1.add")).bytes, 512 * 5 * 3 / 8);
  EXPECT_THAT(error_of([] { build_resnet({34, 224, 224, 8}); }), HasSubstr("allowed: 18, 50"));
  EXPECT_THAT(error_of([] { build_graph("resnet50:size=8"); }),
              HasSubstr("allowed: an integer in 32..8192"));
}

TEST(graphBuilders, DartsV2NormalCellFollowsTheGenotype) {
  const Graph g = build_graph("darts:cell=normal,c=16,size=8");
  // 2 pre-processing convs; node 2: sep(0)+sep(1); node 3: sep(0)+sep(1); node 4: sep(1)+skip(0);
  // node 5: skip(0)+dil(2). sep = 4 operators, dil = 2, skip = 0; 4 adds and a concat.
  EXPECT_EQ(g.num_nodes(), 2 + 5 * 4 + 2 + 4 + 1);
  const NodeId n4 = g.tensor(g.find_tensor("cell.n4.add")).producer;
  const std::vector<TensorId> n4_inputs = g.node(n4).inputs;
  EXPECT_NE(std::find(n4_inputs.begin(), n4_inputs.end(), g.find_tensor("cell.pre0")),
            n4_inputs.end());
  const NodeId n5 = g.tensor(g.find_tensor("cell.n5.add")).producer;
  EXPECT_NE(
      std::find(g.node(n5).inputs.begin(), g.node(n5).inputs.end(), g.find_tensor("cell.n5.e7.pw")),
      g.node(n5).inputs.end());
  EXPECT_EQ(g.tensor(g.find_tensor("cell.concat")).bytes, 4 * 16 * 8 * 8);
}

TEST(graphBuilders, DartsV2ReductionCellHalvesResolution) {
  const Graph g = build_graph("darts:cell=reduce,c=16,size=8");
  // Five max-pools (1 operator each), three identity skips from node 2, a concat of 4C at 4x4.
  EXPECT_EQ(g.num_nodes(), 2 + 5 + 4 + 1);
  EXPECT_EQ(g.tensor(g.find_tensor("cell.concat")).bytes, 4 * 16 * 4 * 4);
}

TEST(graphBuilders, DartsNetworksHaveTheirCellCounts) {
  const Graph imagenet = build_graph("darts");
  const Graph cifar = build_graph("darts:dataset=cifar");
  int concats_imagenet = 0, concats_cifar = 0;
  for (const Node& n : imagenet.nodes()) concats_imagenet += n.op == "concat";
  for (const Node& n : cifar.nodes()) concats_cifar += n.op == "concat";
  EXPECT_EQ(concats_imagenet, 14);
  EXPECT_EQ(concats_cifar, 20);
  EXPECT_EQ(imagenet.tensor(imagenet.find_tensor("cell13.concat")).bytes, 4 * 192 * 7 * 7);
}

// The WS(N, k, p) stage: rewiring keeps N*k/2 edges, p = 0 is the ring lattice, and edges
// run from lower to higher node index.
std::set<std::pair<int, int>> stage_edges(const Graph& g, const std::string& stage, int n) {
  std::set<std::pair<int, int>> edges;
  for (int v = 0; v < n; ++v) {
    const NodeId node = g.tensor(g.find_tensor(fmt::format("{}.n{}", stage, v))).producer;
    for (NodeId p : g.predecessors(node)) {
      const std::string& name = g.node(p).name;
      if (name.rfind(stage + ".n", 0) == 0)
        edges.insert({std::stoi(name.substr(stage.size() + 2)), v});
    }
  }
  return edges;
}

TEST(graphBuilders, RandWireStagesAreWattsStrogatzDags) {
  const Graph lattice = build_graph("randwire:n=10,k=4,p=0,cell=1");
  const auto ring = stage_edges(lattice, "cell", 10);
  EXPECT_EQ(ring.size(), 20u);
  for (int u = 0; u < 10; ++u)
    for (int j = 1; j <= 2; ++j)
      EXPECT_TRUE(ring.count({std::min(u, (u + j) % 10), std::max(u, (u + j) % 10)}));
  for (int seed = 1; seed <= 5; ++seed) {
    const Graph g = build_graph(fmt::format("randwire:n=32,k=4,p=0.75,seed={}", seed));
    for (const char* stage : {"conv3", "conv4", "conv5"}) {
      const auto e = stage_edges(g, stage, 32);
      EXPECT_EQ(e.size(), 64u);
      for (auto [a, b] : e) EXPECT_LT(a, b);
    }
    EXPECT_EQ(g.num_nodes(), 2 + 3 * 33 + 3);
    EXPECT_EQ(g.tensor(g.find_tensor("conv3.n0")).bytes, 78 * 28 * 28);
    EXPECT_EQ(g.tensor(g.find_tensor("conv5.out")).bytes, 312 * 7 * 7);
  }
  // Deterministic per seed, different across seeds.
  EXPECT_EQ(stage_edges(build_graph("randwire:seed=3"), "conv4", 32),
            stage_edges(build_graph("randwire:seed=3"), "conv4", 32));
  EXPECT_NE(stage_edges(build_graph("randwire:seed=3"), "conv4", 32),
            stage_edges(build_graph("randwire:seed=4"), "conv4", 32));
  EXPECT_THAT(error_of([] { build_graph("randwire:k=3"); }), HasSubstr("allowed: even"));
}

TEST(graphBuilders, LayeredDagsConnectEveryLayer) {
  const Graph g = build_graph("layered:n=40,density=0.2,skip=0.1,seed=3");
  EXPECT_EQ(g.num_nodes(), 40);
  for (NodeId v = 0; v < g.num_nodes(); ++v) EXPECT_FALSE(g.node(v).inputs.empty());
  const Graph dense = build_graph("layered:n=40,density=1,skip=0,seed=3");
  const Graph sparse = build_graph("layered:n=40,density=0,skip=0,seed=3");
  int dense_edges = 0, sparse_edges = 0;
  for (const Node& n : dense.nodes()) dense_edges += static_cast<int>(n.inputs.size());
  for (const Node& n : sparse.nodes()) sparse_edges += static_cast<int>(n.inputs.size());
  EXPECT_EQ(sparse_edges, 40);  // exactly one forced edge (or the graph input) per operator
  EXPECT_GT(dense_edges, 150);
}

TEST(graphBuilders, SpecErrorsSayWhatIsAllowed) {
  EXPECT_THAT(error_of([] { build_graph("vgg16"); }),
              HasSubstr("allowed: resnet18, resnet50, darts, randwire, layered"));
  EXPECT_THAT(error_of([] { build_graph("randwire:n=32,q=1"); }), HasSubstr("unknown key 'q'"));
  EXPECT_THAT(error_of([] { build_graph("layered:density=2"); }),
              HasSubstr("density=2 is invalid"));
  EXPECT_THAT(error_of([] { build_graph("layered:n"); }), HasSubstr("not key=value"));
  EXPECT_THAT(error_of([] { build_graph("darts:cell=odd"); }),
              HasSubstr("allowed: network, normal, reduce"));
}

}  // namespace
}  // namespace bitforge::graph
