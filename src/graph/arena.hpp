// bitforge graph: arena placement — one buffer for all tensors of an order, each at a fixed
// offset, tensors live at the same step never overlapping. The arena can never be smaller
// than the order's peak live bytes, so every placement is reported against that bound.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "graph/graph.hpp"
#include "graph/peak_memory.hpp"

namespace bitforge::graph {

struct Placement {
  std::vector<std::int64_t> offsets;  // per tensor id
  std::int64_t arena_bytes = 0;
};

// TFLite's arena planner: tensors by decreasing size, each in the smallest gap (among the
// tensors already placed that are live with it) that fits, else above them all.
Placement place_greedy_by_size(const Graph& g, const Liveness& live);
// ONNX Runtime's memory-pattern planner: tensors in allocation order (step, then id), each in
// the smallest gap between the blocks live at that moment, else at the end.
Placement place_best_fit(const Graph& g, const Liveness& live);

// Tensors up to which the exact search is attempted (beyond, it rarely proves anything in
// a time limit that makes sense for a planning command).
constexpr int kExactArenaMaxTensors = 400;

struct ExactPlacementResult {
  Placement placement;           // the best found: `incumbent` if nothing better
  std::int64_t lower_bound = 0;  // the order's peak, or the proven optimum
  bool optimal = false;
  double seconds = 0;
};
// Branch and bound with Gecode (non-overlap of step x address rectangles), improving on
// `incumbent`; nullopt when the graph has more than kExactArenaMaxTensors tensors or the
// arena, in units of the greatest common divisor of the sizes, exceeds Gecode's integers.
std::optional<ExactPlacementResult> place_exact(const Graph& g, const Liveness& live,
                                                const Placement& incumbent, double time_limit_s);

// Refuses (naming the two tensors) a placement where tensors live together overlap, or
// one reaches past the arena.
void check_placement(const Graph& g, const Liveness& live, const Placement& p);

}  // namespace bitforge::graph
