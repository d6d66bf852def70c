#include <fmt/format.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "graph/builders.hpp"

namespace bitforge::graph {

Graph build_layered(const LayeredOptions& o) {
  if (o.n < 1 || o.n > 100000) fail("layered n = {} out of range; allowed: 1..100000", o.n);
  if (!(o.density >= 0 && o.density <= 1))
    fail("layered density = {} out of range; allowed: 0..1", o.density);
  if (!(o.skip >= 0 && o.skip <= 1)) fail("layered skip = {} out of range; allowed: 0..1", o.skip);
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::uniform_int_distribution<int> size_units(1, 16);
  const int layers =
      std::max(1, static_cast<int>(std::lround(std::sqrt(static_cast<double>(o.n)))));
  std::vector<int> layer(o.n), layer_begin(layers + 1, 0);
  for (int i = 0; i < o.n; ++i)
    layer[i] = static_cast<int>(static_cast<std::int64_t>(i) * layers / o.n);
  for (int i = o.n - 1; i >= 0; --i) layer_begin[layer[i]] = i;
  layer_begin[layers] = o.n;

  Graph g;
  const TensorId input = g.add_tensor("input", 4096 * size_units(rng));
  std::vector<TensorId> out(o.n);
  for (int v = 0; v < o.n; ++v) {
    std::vector<TensorId> ins;
    const int l = layer[v];
    if (l == 0) {
      ins.push_back(input);
    } else {
      for (int u = layer_begin[l - 1]; u < layer_begin[l]; ++u)
        if (coin(rng) < o.density) ins.push_back(out[u]);
      if (ins.empty()) {  // keep every layer connected to the one before
        std::uniform_int_distribution<int> pick(layer_begin[l - 1], layer_begin[l] - 1);
        ins.push_back(out[pick(rng)]);
      }
      for (int u = 0; u < layer_begin[l - 1]; ++u)
        if (coin(rng) < o.skip) ins.push_back(out[u]);
    }
    const std::string name = fmt::format("op{}", v);
    out[v] = g.add_tensor(name, 4096 * size_units(rng));
    g.add_node(name, "op", ins, {out[v]});
  }
  g.validate();
  return g;
}

}  // namespace bitforge::graph
