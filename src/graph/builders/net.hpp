// Shared by the network builders: activation shapes and "one operator, one output" steps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "graph/graph.hpp"

namespace bitforge::graph {

struct Activation {
  TensorId id;
  int c, h, w;
};

class NetBuilder {
 public:
  explicit NetBuilder(int bits) : bits_(bits) {
    if (bits < 1 || bits > 32) fail("activation bits {} out of range; allowed: 1..32", bits);
  }
  Activation input(const std::string& name, int c, int h, int w) {
    return {g_.add_tensor(name, bytes(name, c, h, w)), c, h, w};
  }
  // An operator named `name` whose output tensor has the same name.
  Activation op(const std::string& name, const std::string& kind,
                const std::vector<Activation>& inputs, int c, int h, int w) {
    std::vector<TensorId> ids;
    for (const Activation& a : inputs) ids.push_back(a.id);
    const TensorId out = g_.add_tensor(name, bytes(name, c, h, w));
    g_.add_node(name, kind, ids, {out});
    return {out, c, h, w};
  }
  // A k x k convolution-like operator (padding k/2, or `pad`), output size from the usual formula.
  Activation conv(const std::string& name, const std::string& kind, const Activation& in, int c,
                  int k, int stride, int pad = -1) {
    if (pad < 0) pad = k / 2;
    return op(name, kind, {in}, c, out_size(name, in.h, k, stride, pad),
              out_size(name, in.w, k, stride, pad));
  }
  Graph take() {
    g_.validate();
    return std::move(g_);
  }

 private:
  std::int64_t bytes(const std::string& name, int c, int h, int w) const {
    const std::int64_t bits = std::int64_t{c} * h * w * bits_;
    if (c <= 0 || h <= 0 || w <= 0)
      fail("tensor '{}' would have shape {}x{}x{}; the input is too small", name, c, h, w);
    return (bits + 7) / 8;
  }
  static int out_size(const std::string& name, int size, int k, int stride, int pad) {
    const int out = (size + 2 * pad - k) / stride + 1;
    if (size + 2 * pad - k < 0 || out <= 0)
      fail("operator '{}' would have an output of size {}; the input is too small", name, out);
    return out;
  }
  Graph g_;
  int bits_;
};

}  // namespace bitforge::graph
