#include "graph/arena.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/error.hpp"

namespace bitforge::graph {

namespace {
bool overlap_in_time(const Liveness& l, TensorId a, TensorId b) {
  return l.first[a] <= l.last[b] && l.first[b] <= l.last[a];
}

// The offset for `size` bytes among `blocks` (offset, size), sorted by offset: the smallest
// gap that fits, else just above the highest block. Shared by both planners: they differ in
// which tensors they consider and in what order, not in how a gap is chosen.
std::int64_t best_gap(std::vector<std::pair<std::int64_t, std::int64_t>>& blocks,
                      std::int64_t size) {
  std::sort(blocks.begin(), blocks.end());
  std::int64_t best = -1, best_slack = std::numeric_limits<std::int64_t>::max(), top = 0;
  for (auto [offset, bytes] : blocks) {
    if (offset >= top + size && offset - top < best_slack) {
      best = top;
      best_slack = offset - top;
    }
    top = std::max(top, offset + bytes);
  }
  return best >= 0 ? best : top;
}

Placement finish(const Graph& g, std::vector<std::int64_t> offsets) {
  Placement p{std::move(offsets), 0};
  for (TensorId t = 0; t < g.num_tensors(); ++t)
    p.arena_bytes = std::max(p.arena_bytes, p.offsets[t] + g.tensor(t).bytes);
  return p;
}
}  // namespace

Placement place_greedy_by_size(const Graph& g, const Liveness& live) {
  std::vector<TensorId> by_size(g.num_tensors());
  std::iota(by_size.begin(), by_size.end(), 0);
  std::stable_sort(by_size.begin(), by_size.end(), [&](TensorId a, TensorId b) {
    if (g.tensor(a).bytes != g.tensor(b).bytes) return g.tensor(a).bytes > g.tensor(b).bytes;
    return live.first[a] < live.first[b];
  });
  std::vector<std::int64_t> offsets(g.num_tensors(), -1);
  std::vector<TensorId> placed;
  for (TensorId t : by_size) {
    std::vector<std::pair<std::int64_t, std::int64_t>> blocks;
    for (TensorId o : placed)
      if (overlap_in_time(live, t, o)) blocks.push_back({offsets[o], g.tensor(o).bytes});
    offsets[t] = best_gap(blocks, g.tensor(t).bytes);
    placed.push_back(t);
  }
  return finish(g, std::move(offsets));
}

Placement place_best_fit(const Graph& g, const Liveness& live) {
  std::vector<TensorId> by_time(g.num_tensors());
  std::iota(by_time.begin(), by_time.end(), 0);
  std::stable_sort(by_time.begin(), by_time.end(),
                   [&](TensorId a, TensorId b) { return live.first[a] < live.first[b]; });
  std::vector<std::int64_t> offsets(g.num_tensors(), -1);
  std::vector<TensorId> placed;
  for (TensorId t : by_time) {
    // Online: only the blocks still allocated when t is allocated (freed ones are reusable).
    std::vector<std::pair<std::int64_t, std::int64_t>> blocks;
    for (TensorId o : placed)
      if (live.last[o] >= live.first[t]) blocks.push_back({offsets[o], g.tensor(o).bytes});
    offsets[t] = best_gap(blocks, g.tensor(t).bytes);
    placed.push_back(t);
  }
  return finish(g, std::move(offsets));
}

void check_placement(const Graph& g, const Liveness& live, const Placement& p) {
  if (static_cast<int>(p.offsets.size()) != g.num_tensors())
    fail("placement has {} offsets for {} tensors", p.offsets.size(), g.num_tensors());
  std::vector<TensorId> ids(g.num_tensors());
  std::iota(ids.begin(), ids.end(), 0);
  for (TensorId t : ids) {
    if (p.offsets[t] < 0 || p.offsets[t] + g.tensor(t).bytes > p.arena_bytes)
      fail("tensor '{}' at offset {} ({} bytes) lies outside the arena of {} bytes",
           g.tensor(t).name, p.offsets[t], g.tensor(t).bytes, p.arena_bytes);
  }
  // Sweep by offset: O(T^2) worst case but each pair is one comparison.
  std::sort(ids.begin(), ids.end(),
            [&](TensorId a, TensorId b) { return p.offsets[a] < p.offsets[b]; });
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (std::size_t j = i + 1;
         j < ids.size() && p.offsets[ids[j]] < p.offsets[ids[i]] + g.tensor(ids[i]).bytes; ++j)
      if (overlap_in_time(live, ids[i], ids[j]))
        fail(
            "tensors '{}' and '{}' are live together (steps {}-{} and {}-{}) and overlap in the "
            "arena",
            g.tensor(ids[i]).name, g.tensor(ids[j]).name, live.first[ids[i]], live.last[ids[i]],
            live.first[ids[j]], live.last[ids[j]]);
}

}  // namespace bitforge::graph
