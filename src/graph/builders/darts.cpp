// DARTS evaluation networks with the published DARTS-V2 genotype (Liu, Simonyan, Yang,
// "DARTS: Differentiable Architecture Search", ICLR 2019; genotypes.py and model.py).
// A cell's two inputs are pre-processed to C channels, each of its four intermediate nodes
// sums two operations on earlier states, and its output concatenates the four (4C).
#include <fmt/format.h>

#include <array>

#include "graph/builders.hpp"
#include "graph/builders/net.hpp"

namespace bitforge::graph {

namespace {

struct Edge {
  const char* op;
  int from;
};
// DARTS_V2 = Genotype(normal=[...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3,
// 4, 5])
constexpr std::array<Edge, 8> kNormal = {{{"sep_conv_3x3", 0},
                                          {"sep_conv_3x3", 1},
                                          {"sep_conv_3x3", 0},
                                          {"sep_conv_3x3", 1},
                                          {"sep_conv_3x3", 1},
                                          {"skip_connect", 0},
                                          {"skip_connect", 0},
                                          {"dil_conv_3x3", 2}}};
constexpr std::array<Edge, 8> kReduce = {{{"max_pool_3x3", 0},
                                          {"max_pool_3x3", 1},
                                          {"skip_connect", 2},
                                          {"max_pool_3x3", 1},
                                          {"max_pool_3x3", 0},
                                          {"skip_connect", 2},
                                          {"skip_connect", 2},
                                          {"max_pool_3x3", 1}}};

// One operation of a cell edge, expanded into the operators that produce a tensor each.
Activation edge_op(NetBuilder& b, const std::string& p, const std::string& op, const Activation& in,
                   int c, int stride) {
  if (op == "skip_connect")  // identity, or FactorizedReduce when it must halve the resolution
    return stride == 1 ? in : b.conv(p + "factorized_reduce", "conv", in, c, 1, 2, 0);
  if (op == "max_pool_3x3") return b.conv(p + "max_pool", "maxpool", in, c, 3, stride);
  if (op == "dil_conv_3x3") {  // ReLU, depthwise 3x3 dilation 2 (padding 2), pointwise
    Activation y = b.conv(p + "dw", "dwconv", in, in.c, 5, stride, 2);
    return b.conv(p + "pw", "conv", y, c, 1, 1);
  }
  // sep_conv_3x3: (ReLU, depthwise 3x3, pointwise, BN) twice, the first with the stride.
  Activation y = b.conv(p + "dw1", "dwconv", in, in.c, 3, stride);
  y = b.conv(p + "pw1", "conv", y, c, 1, 1);
  y = b.conv(p + "dw2", "dwconv", y, c, 3, 1);
  return b.conv(p + "pw2", "conv", y, c, 1, 1);
}

// One cell on states s0 (from two cells back) and s1 (the previous cell); returns its output.
Activation build_cell(NetBuilder& b, const std::string& p, const Activation& s0,
                      const Activation& s1, int c, bool reduction, bool reduction_prev) {
  std::vector<Activation> states;
  states.push_back(reduction_prev ? b.conv(p + "pre0.factorized_reduce", "conv", s0, c, 1, 2, 0)
                                  : b.conv(p + "pre0", "conv", s0, c, 1, 1));
  states.push_back(b.conv(p + "pre1", "conv", s1, c, 1, 1));
  const auto& genotype = reduction ? kReduce : kNormal;
  for (int node = 0; node < 4; ++node) {
    std::vector<Activation> terms;
    for (int e = 2 * node; e < 2 * node + 2; ++e) {
      const int stride = reduction && genotype[e].from < 2 ? 2 : 1;
      terms.push_back(edge_op(b, fmt::format("{}n{}.e{}.", p, node + 2, e), genotype[e].op,
                              states[genotype[e].from], c, stride));
    }
    const Activation& t = terms[0];
    states.push_back(b.op(fmt::format("{}n{}.add", p, node + 2), "add", terms, c, t.h, t.w));
  }
  const Activation& last = states.back();
  return b.op(p + "concat", "concat", {states[2], states[3], states[4], states[5]}, 4 * c, last.h,
              last.w);
}

}  // namespace

Graph build_darts(const DartsOptions& o) {
  if (o.layers < 3) fail("DARTS needs at least 3 cells (two are reductions); got {}", o.layers);
  if (o.channels < 1) fail("DARTS channels {} must be >= 1", o.channels);
  NetBuilder b(o.bits);
  if (o.cell != DartsOptions::Cell::network) {
    // One cell alone, fed by two graph inputs of 4C channels at `size` (as between normal cells).
    const Activation s0 = b.input("s0", 4 * o.channels, o.size, o.size);
    const Activation s1 = b.input("s1", 4 * o.channels, o.size, o.size);
    build_cell(b, "cell.", s0, s1, o.channels, o.cell == DartsOptions::Cell::reduce, false);
    return b.take();
  }
  Activation x = b.input("input", 3, o.size, o.size);
  Activation s0, s1;
  int c = o.channels;
  bool reduction_prev;
  if (o.imagenet) {  // NetworkImageNet: two stride-2 stems, 224 -> 56 -> 28
    Activation y = b.conv("stem0.conv1", "conv", x, c / 2, 3, 2);
    s0 = b.conv("stem0.conv2", "conv", y, c, 3, 2);
    s1 = b.conv("stem1.conv", "conv", s0, c, 3, 2);
    reduction_prev = true;
  } else {  // NetworkCIFAR: one 3x3 stem to 3C channels
    s0 = s1 = b.conv("stem", "conv", x, 3 * c, 3, 1);
    reduction_prev = false;
  }
  for (int i = 0; i < o.layers; ++i) {
    const bool reduction = i == o.layers / 3 || i == 2 * o.layers / 3;
    if (reduction) c *= 2;
    Activation out = build_cell(b, fmt::format("cell{}.", i), s0, s1, c, reduction, reduction_prev);
    s0 = s1;
    s1 = out;
    reduction_prev = reduction;
  }
  x = b.op("global_pooling", "global_avgpool", {s1}, s1.c, 1, 1);
  b.op("classifier", "dense", {x}, o.imagenet ? 1000 : 10, 1, 1);
  return b.take();
}

}  // namespace bitforge::graph
