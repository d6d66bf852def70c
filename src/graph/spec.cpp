// The graph spec strings of `bitforge memplan --graph` (builders.hpp).
#include <fmt/ranges.h>

#include <charconv>
#include <map>
#include <optional>

#include "core/error.hpp"
#include "graph/builders.hpp"

namespace bitforge::graph {

namespace {

// "name:k=v,k=v": the keys a builder reads are taken out one by one; leftovers are errors.
class SpecArgs {
 public:
  explicit SpecArgs(const std::string& spec) : spec_(spec) {
    const auto colon = spec.find(':');
    name_ = spec.substr(0, colon);
    if (colon == std::string::npos) return;
    std::string rest = spec.substr(colon + 1);
    std::size_t pos = 0;
    while (pos <= rest.size()) {
      const std::size_t comma = std::min(rest.find(',', pos), rest.size());
      const std::string item = rest.substr(pos, comma - pos);
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0)
        fail("graph spec '{}': '{}' is not key=value", spec, item);
      if (!values_.emplace(item.substr(0, eq), item.substr(eq + 1)).second)
        fail("graph spec '{}': key '{}' given twice", spec, item.substr(0, eq));
      pos = comma + 1;
    }
  }
  const std::string& name() const { return name_; }

  std::int64_t integer(const std::string& key, std::int64_t fallback, std::int64_t lo,
                       std::int64_t hi) {
    const auto text = take(key);
    if (!text) return fallback;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size() || v < lo || v > hi)
      fail("graph spec '{}': {}={} is invalid; allowed: an integer in {}..{}", spec_, key, *text,
           lo, hi);
    return v;
  }
  double real(const std::string& key, double fallback, double lo, double hi) {
    const auto text = take(key);
    if (!text) return fallback;
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(*text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text->size() || !(v >= lo && v <= hi))
      fail("graph spec '{}': {}={} is invalid; allowed: a number in {}..{}", spec_, key, *text, lo,
           hi);
    return v;
  }
  std::string choice(const std::string& key, const std::string& fallback,
                     const std::vector<std::string>& allowed) {
    const auto text = take(key);
    if (!text) return fallback;
    for (const auto& a : allowed)
      if (*text == a) return a;
    fail("graph spec '{}': {}={} is invalid; allowed: {}", spec_, key, *text,
         fmt::join(allowed, ", "));
  }
  void done(const std::string& allowed) const {
    if (!values_.empty())
      fail("graph spec '{}': unknown key '{}' for {}; allowed: {}", spec_, values_.begin()->first,
           name_, allowed);
  }

 private:
  std::optional<std::string> take(const std::string& key) {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    std::string v = it->second;
    values_.erase(it);
    return v;
  }
  std::string spec_, name_;
  std::map<std::string, std::string> values_;
};

}  // namespace

Graph build_graph(const std::string& spec) {
  SpecArgs a(spec);
  if (a.name() == "resnet18" || a.name() == "resnet50") {
    ResNetOptions o;
    o.depth = a.name() == "resnet18" ? 18 : 50;
    o.height = o.width = static_cast<int>(a.integer("size", 224, 32, 8192));
    o.height = static_cast<int>(a.integer("height", o.height, 32, 8192));
    o.width = static_cast<int>(a.integer("width", o.width, 32, 8192));
    o.bits = static_cast<int>(a.integer("bits", 8, 1, 32));
    a.done("size, height, width, bits");
    return build_resnet(o);
  }
  if (a.name() == "darts") {
    DartsOptions o;
    const std::string cell = a.choice("cell", "network", {"network", "normal", "reduce"});
    o.cell = cell == "normal"   ? DartsOptions::Cell::normal
             : cell == "reduce" ? DartsOptions::Cell::reduce
                                : DartsOptions::Cell::network;
    o.imagenet = a.choice("dataset", "imagenet", {"imagenet", "cifar"}) == "imagenet";
    o.layers = static_cast<int>(a.integer("layers", o.imagenet ? 14 : 20, 3, 1000));
    o.channels = static_cast<int>(a.integer("c", o.imagenet ? 48 : 36, 2, 4096));
    const int default_size = o.cell != DartsOptions::Cell::network ? 28 : o.imagenet ? 224 : 32;
    o.size = static_cast<int>(a.integer("size", default_size, 2, 8192));
    o.bits = static_cast<int>(a.integer("bits", 8, 1, 32));
    a.done("cell, dataset, layers, c, size, bits");
    return build_darts(o);
  }
  if (a.name() == "randwire") {
    RandWireOptions o;
    o.n = static_cast<int>(a.integer("n", 32, 3, 10000));
    o.k = static_cast<int>(a.integer("k", 4, 2, 10000));
    o.p = a.real("p", 0.75, 0, 1);
    o.seed = static_cast<std::uint64_t>(a.integer("seed", 1, 0, INT64_MAX));
    o.channels = static_cast<int>(a.integer("c", 78, 2, 4096));
    o.size = static_cast<int>(a.integer("size", 224, 32, 8192));
    o.bits = static_cast<int>(a.integer("bits", 8, 1, 32));
    o.cell = a.integer("cell", 0, 0, 1) == 1;
    a.done("n, k, p, seed, c, size, bits, cell");
    return build_randwire(o);
  }
  if (a.name() == "layered") {
    LayeredOptions o;
    o.n = static_cast<int>(a.integer("n", 40, 1, 100000));
    o.density = a.real("density", 0.2, 0, 1);
    o.skip = a.real("skip", 0.1, 0, 1);
    o.seed = static_cast<std::uint64_t>(a.integer("seed", 1, 0, INT64_MAX));
    a.done("n, density, skip, seed");
    return build_layered(o);
  }
  fail("unknown graph '{}' in spec '{}'; allowed: resnet18, resnet50, darts, randwire, layered",
       a.name(), spec);
}

}  // namespace bitforge::graph
