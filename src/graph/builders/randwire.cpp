// RandWire (Xie, Kirillov, Girshick, He, "Exploring Randomly Wired Neural Networks for Image
// Recognition", ICCV 2019), small regime. Each random stage is a Watts-Strogatz graph
// WS(N, k, p) made a DAG by orienting every edge from the lower to the higher node index.
// A node sums its inputs and applies ReLU-SepConv-BN (one fused operator here); nodes
// without predecessors read the stage input with stride 2; the stage output averages the
// nodes without successors.
#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <set>

#include "graph/builders.hpp"
#include "graph/builders/net.hpp"

namespace bitforge::graph {

namespace {

// Watts-Strogatz as networkx.watts_strogatz_graph does it: a ring where each node links to
// its k/2 neighbours on each side; then, neighbour distance by distance, each edge (u, u+j)
// is rewired with probability p to (u, w) for a uniformly random w that is neither u nor
// already linked to u. The random stream is bitforge's own (mt19937_64), so graphs are
// reproducible from the seed but not identical to networkx's for the same seed.
std::set<std::pair<int, int>> watts_strogatz(int n, int k, double p, std::mt19937_64& rng) {
  std::set<std::pair<int, int>> edges;  // (low, high)
  auto key = [](int a, int b) { return std::pair{std::min(a, b), std::max(a, b)}; };
  for (int u = 0; u < n; ++u)
    for (int j = 1; j <= k / 2; ++j) edges.insert(key(u, (u + j) % n));
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::uniform_int_distribution<int> pick(0, n - 1);
  for (int j = 1; j <= k / 2; ++j)
    for (int u = 0; u < n; ++u) {
      if (coin(rng) >= p) continue;
      const int v = (u + j) % n;
      int degree = 0;
      for (auto [a, b] : edges) degree += (a == u || b == u);
      if (degree >= n - 1 || !edges.count(key(u, v))) continue;
      int w = pick(rng);
      while (w == u || edges.count(key(u, w))) w = pick(rng);
      edges.erase(key(u, v));
      edges.insert(key(u, w));
    }
  return edges;
}

Activation random_stage(NetBuilder& b, const std::string& name, const Activation& in, int channels,
                        const RandWireOptions& o, std::mt19937_64& rng) {
  const auto edges = watts_strogatz(o.n, o.k, o.p, rng);
  std::vector<std::vector<int>> preds(o.n);
  std::vector<char> has_succ(o.n, 0);
  for (auto [a, b2] : edges) {
    preds[b2].push_back(a);
    has_succ[a] = 1;
  }
  std::vector<Activation> node(o.n);
  std::vector<Activation> outputs;
  for (int v = 0; v < o.n; ++v) {
    const std::string nm = fmt::format("{}.n{}", name, v);
    if (preds[v].empty()) {
      node[v] = b.conv(nm, "sepconv", in, channels, 3, 2);
    } else {
      std::vector<Activation> ins;
      for (int u : preds[v]) ins.push_back(node[u]);
      node[v] = b.op(nm, "sum_sepconv", ins, channels, ins[0].h, ins[0].w);
    }
    if (!has_succ[v]) outputs.push_back(node[v]);
  }
  return b.op(name + ".out", "average", outputs, channels, outputs[0].h, outputs[0].w);
}

}  // namespace

Graph build_randwire(const RandWireOptions& o) {
  if (o.n < 3) fail("RandWire N = {} is too small; allowed: N >= 3", o.n);
  if (o.k < 2 || o.k % 2 || o.k >= o.n)
    fail("RandWire k = {} is invalid; allowed: even, 2 <= k < N = {}", o.k, o.n);
  if (!(o.p >= 0 && o.p <= 1)) fail("RandWire p = {} is invalid; allowed: 0 <= p <= 1", o.p);
  if (o.channels < 2) fail("RandWire channels {} must be >= 2", o.channels);
  std::mt19937_64 rng(o.seed);
  NetBuilder b(o.bits);
  if (o.cell) {
    random_stage(b, "cell", b.input("input", o.channels, 56, 56), o.channels, o, rng);
    return b.take();
  }
  Activation x = b.input("input", 3, o.size, o.size);
  x = b.conv("conv1", "conv", x, o.channels / 2, 3, 2);
  x = b.conv("conv2", "conv", x, o.channels, 3, 2);
  x = random_stage(b, "conv3", x, o.channels, o, rng);
  x = random_stage(b, "conv4", x, 2 * o.channels, o, rng);
  x = random_stage(b, "conv5", x, 4 * o.channels, o, rng);
  x = b.conv("classifier", "conv", x, 1280, 1, 1);
  x = b.op("avgpool", "global_avgpool", {x}, x.c, 1, 1);
  b.op("fc", "dense", {x}, 1000, 1, 1);
  return b.take();
}

}  // namespace bitforge::graph
