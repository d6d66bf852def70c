// bitforge graph: builders of the networks memory planning is studied on, and the one
// spec string that names each on the command line ("randwire:n=32,k=4,p=0.75,seed=1").
//
// Operators are modelled as bitforge runs them: a convolution with its batch-norm and
// activation folded into its epilogue is one operator; a residual add (with its ReLU) is
// one; weights are not tensors. Activation tensors hold `bits`-bit values (default 8), batch 1.
#pragma once

#include <cstdint>
#include <string>

#include "graph/graph.hpp"

namespace bitforge::graph {

struct ResNetOptions {
  int depth = 50;  // 18 (basic blocks) or 50 (bottlenecks)
  int height = 224, width = 224;
  int bits = 8;
};
Graph build_resnet(const ResNetOptions& o);

struct DartsOptions {
  enum class Cell { network, normal, reduce };
  Cell cell = Cell::network;  // the whole network, or one cell alone (inputs 4C x size x size)
  bool imagenet = true;  // ImageNet network (14 cells, C = 48, 224x224) or CIFAR (20, 36, 32x32)
  int layers = 14, channels = 48, size = 224;
  int bits = 8;
};
// The DARTS-V2 genotype (Liu et al., ICLR 2019, genotypes.py) in its evaluation network.
Graph build_darts(const DartsOptions& o);

struct RandWireOptions {
  int n = 32, k = 4;  // Watts-Strogatz WS(N, k, p) per stage
  double p = 0.75;
  std::uint64_t seed = 1;
  int channels = 78;  // C of the small regime
  int size = 224;
  bool cell = false;  // one random stage alone: input C x 56 x 56 -> N nodes -> average
  int bits = 8;
};
// Xie et al., "Exploring Randomly Wired Neural Networks" (ICCV 2019), small regime: conv1,
// conv2, then three random stages (C, 2C, 4C channels), each its own WS graph.
Graph build_randwire(const RandWireOptions& o);

struct LayeredOptions {
  int n = 40;            // operators
  double density = 0.2;  // probability of an edge from each operator of the layer before
  double skip = 0.1;     // probability of an edge from each operator of earlier layers
  std::uint64_t seed = 1;
};
// A random layered DAG: about sqrt(n) layers; each operator reads at least one operator of
// the layer before; tensor sizes drawn from 4 KiB .. 64 KiB.
Graph build_layered(const LayeredOptions& o);

// "resnet18[:size=224,bits=8]", "resnet50[...]",
// "darts[:dataset=imagenet|cifar,layers=..,c=..,size=..,cell=network|normal|reduce]",
// "randwire[:n=32,k=4,p=0.75,seed=1,c=78,size=224,cell=0|1]",
// "layered[:n=40,density=0.2,skip=0.1,seed=1]". Unknown names, keys and out-of-range values are
// refused with what is allowed.
Graph build_graph(const std::string& spec);

}  // namespace bitforge::graph
