// Exact arena placement with Gecode: each tensor is a rectangle in (step x address) whose
// step extent is fixed by the order and whose address is the variable; rectangles must not
// overlap and the arena top is minimized by branch and bound. Branching places the largest
// tensors first at their lowest address; the "not there" branch lets non-overlap propagation
// lift the address past the blocking tensor, so the search jumps between gaps instead of
// trying addresses one by one.
#include <chrono>
#include <gecode/int.hh>
#include <gecode/minimodel.hh>
#include <gecode/search.hh>
#include <numeric>

#include "graph/arena.hpp"

namespace bitforge::graph {

namespace {

class ArenaSpace : public Gecode::IntMinimizeSpace {
 public:
  ArenaSpace(const std::vector<int>& first, const std::vector<int>& steps,
             const std::vector<int>& size, int lower, int upper)
      : address_(*this, static_cast<int>(size.size()), 0, upper), top_(*this, lower, upper) {
    using namespace Gecode;
    const int n = static_cast<int>(size.size());
    IntVarArgs x(n);
    for (int i = 0; i < n; ++i) {
      x[i] = IntVar(*this, first[i], first[i]);
      rel(*this, address_[i] + size[i] <= top_);
    }
    nooverlap(*this, x, IntArgs(steps), address_, IntArgs(size));
    // Dominance: pushing every tensor down until it rests on 0 or on a tensor it is live with
    // never grows the arena, so only such placements need to be searched.
    for (int i = 0; i < n; ++i) {
      BoolVarArgs rests;
      rests << expr(*this, address_[i] == 0);
      for (int j = 0; j < n; ++j)
        if (j != i && first[i] < first[j] + steps[j] && first[j] < first[i] + steps[i])
          rests << expr(*this, address_[i] == address_[j] + size[j]);
      rel(*this, BOT_OR, rests, 1);
    }
    std::vector<int> by_size(n);
    std::iota(by_size.begin(), by_size.end(), 0);
    std::stable_sort(by_size.begin(), by_size.end(),
                     [&](int a, int b) { return size[a] > size[b]; });
    IntVarArgs branch_order(n);
    for (int i = 0; i < n; ++i) branch_order[i] = address_[by_size[i]];
    branch(*this, branch_order, INT_VAR_NONE(), INT_VAL_MIN());
    branch(*this, top_, INT_VAL_MIN());  // the smallest top the placed tensors allow
  }
  ArenaSpace(ArenaSpace& other) : Gecode::IntMinimizeSpace(other) {
    address_.update(*this, other.address_);
    top_.update(*this, other.top_);
  }
  Gecode::Space* copy() override { return new ArenaSpace(*this); }
  Gecode::IntVar cost() const override { return top_; }
  int address(int i) const { return address_[i].val(); }
  int top() const { return top_.val(); }

 private:
  Gecode::IntVarArray address_;
  Gecode::IntVar top_;
};

}  // namespace

std::optional<ExactPlacementResult> place_exact(const Graph& g, const Liveness& live,
                                                const Placement& incumbent, double time_limit_s) {
  const auto start = std::chrono::steady_clock::now();
  const int n = g.num_tensors();
  if (n > kExactArenaMaxTensors) return std::nullopt;
  // Addresses in units of the greatest common divisor of all sizes keep Gecode's 31-bit
  // domains enough for real networks, and lose nothing: pushing every tensor down until it
  // rests on 0 or on another tensor never grows the arena and leaves each offset a sum of
  // sizes, i.e. a multiple of the unit.
  std::int64_t unit = 0;
  for (const Tensor& t : g.tensors()) unit = std::gcd(unit, t.bytes);
  std::int64_t peak = 0;
  {
    std::vector<std::int64_t> live_at(g.num_nodes(), 0);
    for (TensorId t = 0; t < n; ++t)
      for (int s = live.first[t]; s <= live.last[t]; ++s) live_at[s] += g.tensor(t).bytes;
    peak = *std::max_element(live_at.begin(), live_at.end());
  }
  ExactPlacementResult result{incumbent, peak, incumbent.arena_bytes == peak, 0};
  if (result.optimal) return result;
  const std::int64_t upper = incumbent.arena_bytes / unit - 1;  // only strict improvements
  if (upper > Gecode::Int::Limits::max) return std::nullopt;
  std::vector<int> first(n), steps(n), size(n);
  for (TensorId t = 0; t < n; ++t) {
    first[t] = live.first[t];
    steps[t] = live.last[t] - live.first[t] + 1;
    size[t] = static_cast<int>(g.tensor(t).bytes / unit);
  }
  auto* root = new ArenaSpace(first, steps, size, static_cast<int>((peak + unit - 1) / unit),
                              static_cast<int>(upper));
  Gecode::Search::Options options;
  options.threads = 1;
  Gecode::Search::TimeStop stop(static_cast<unsigned long>(std::max(1.0, time_limit_s * 1000)));
  options.stop = &stop;
  Gecode::BAB<ArenaSpace> search(root, options);
  delete root;
  while (ArenaSpace* s = search.next()) {
    for (TensorId t = 0; t < n; ++t)
      result.placement.offsets[t] = static_cast<std::int64_t>(s->address(t)) * unit;
    result.placement.arena_bytes = static_cast<std::int64_t>(s->top()) * unit;
    delete s;
  }
  // Exhausted without a stop: the last solution (or the incumbent, if none beat it) is optimal.
  result.optimal = !search.stopped();
  if (result.optimal) result.lower_bound = result.placement.arena_bytes;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace bitforge::graph
