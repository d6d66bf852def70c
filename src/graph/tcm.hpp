// bitforge graph: a small tightly-coupled memory (TCM) beside DRAM.
//
// Model: an operator runs with all its inputs and outputs resident in the TCM, whose
// capacity is a byte budget (allocation inside the TCM is assumed free of fragmentation;
// arena.hpp is where placement is studied). Graph inputs start in DRAM; graph outputs must
// end in DRAM. Moving a tensor either way costs its bytes of DRAM traffic: a load brings a
// DRAM copy in, a store writes a resident tensor out (once is enough: the copy stays valid,
// tensors are never modified after they are produced). The compulsory traffic — loading each
// graph input that is read and storing each graph output — is what no plan can avoid.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "graph/graph.hpp"

namespace bitforge::graph {

// One step of a plan, in the order things happen.
struct TcmStep {
  NodeId node = -1;
  std::vector<TensorId> spill;  // before the operator: store to DRAM, then drop from TCM
  std::vector<TensorId> evict;  // before: drop from TCM (a DRAM copy exists, or it is not needed)
  std::vector<TensorId> load;   // before: copy from DRAM into TCM
  std::vector<TensorId> store;  // after the operator: copy to DRAM, keep resident
};
struct TcmPlan {
  std::vector<TcmStep> steps;
  std::int64_t traffic_bytes = 0;
  Order order() const;
};

std::int64_t compulsory_traffic(const Graph& g);
// Refuses a capacity below some operator's own inputs plus outputs, naming the operator.
void check_tcm_capacity(const Graph& g, std::int64_t capacity);
// Replays a plan: every operator's inputs resident, capacity never exceeded at any step,
// loads only of tensors with a DRAM copy, every graph output in DRAM at the end. Returns the
// plan's traffic; refuses (naming the step and tensor) anything else. Tensors whose readers
// have all run (and that need no store) leave the TCM by themselves after each step.
// `residency`, if given, receives the tensors in the TCM while each step's operator runs.
std::int64_t check_tcm_plan(const Graph& g, const TcmPlan& plan, std::int64_t capacity,
                            std::vector<std::vector<TensorId>>* residency = nullptr);

// The plan that keeps, at each step, only tensors of `keep[step]` (which must hold the
// operator's inputs and outputs), loads inputs when first needed and stores the tensors of
// `stored` (and every graph output) right after they are produced. This is how a solution of
// the exact method becomes a plan; it refuses, like check_tcm_plan, a `keep` that is not one.
TcmPlan plan_from_residency(const Graph& g, const Order& order,
                            const std::vector<std::vector<char>>& keep,
                            const std::vector<char>& stored, std::int64_t capacity);

// The heuristic for any size: on a fixed order, load what the operator needs and, while it
// does not fit, evict the resident tensor whose next use is furthest away (Belady), spilling
// it first if it has no DRAM copy yet; clean tensors go first among equally distant ones.
TcmPlan tcm_furthest_next_use(const Graph& g, const Order& order, std::int64_t capacity);

// Operators up to which the exact method is attempted (its integer program has one
// variable per operator and step).
constexpr int kExactTcmMaxNodes = 30;

struct ExactTcmResult {
  TcmPlan plan;                  // the best found; `incumbent` when nothing beat it
  std::int64_t lower_bound = 0;  // proven: no plan moves fewer bytes
  bool optimal = false;
  double seconds = 0;
};
// Chooses order and residency together by an integer program solved with Cbc, started from
// `incumbent`; nullopt when the graph has more than kExactTcmMaxNodes operators.
std::optional<ExactTcmResult> tcm_exact(const Graph& g, std::int64_t capacity,
                                        const TcmPlan& incumbent, double time_limit_s);

}  // namespace bitforge::graph
