#include "graph/tcm.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "core/error.hpp"

namespace bitforge::graph {

Order TcmPlan::order() const {
  Order o;
  for (const TcmStep& s : steps) o.push_back(s.node);
  return o;
}

std::int64_t compulsory_traffic(const Graph& g) {
  std::int64_t bytes = 0;
  for (TensorId t = 0; t < g.num_tensors(); ++t) {
    if (g.is_input(t) && !g.tensor(t).consumers.empty()) bytes += g.tensor(t).bytes;
    if (!g.is_input(t) && g.is_output(t)) bytes += g.tensor(t).bytes;
  }
  return bytes;
}

void check_tcm_capacity(const Graph& g, std::int64_t capacity) {
  for (NodeId n = 0; n < g.num_nodes(); ++n)
    if (g.input_bytes(n) + g.output_bytes(n) > capacity)
      fail(
          "TCM of {} bytes is smaller than operator '{}' needs for its own inputs plus outputs ({} "
          "bytes); "
          "allowed: a capacity of at least {} bytes for this graph",
          capacity, g.node(n).name, g.input_bytes(n) + g.output_bytes(n), [&] {
            std::int64_t m = 0;
            for (NodeId k = 0; k < g.num_nodes(); ++k)
              m = std::max(m, g.input_bytes(k) + g.output_bytes(k));
            return m;
          }());
}

namespace {

// The TCM and DRAM contents while a plan is replayed. Every action checks its own rule, so
// the heuristic that drives it produces valid plans by construction and the checker and the
// heuristic count traffic in one place.
class TcmState {
 public:
  TcmState(const Graph& g, std::int64_t capacity)
      : g_(g),
        capacity_(capacity),
        resident_(g.num_tensors(), 0),
        in_dram_(g.num_tensors(), 0),
        readers_left_(g.num_tensors()) {
    for (TensorId t = 0; t < g.num_tensors(); ++t) {
      in_dram_[t] = g.is_input(t);
      readers_left_[t] = static_cast<int>(g.tensor(t).consumers.size());
    }
  }
  void begin_step(int step, NodeId n) {
    step_ = step;
    node_ = n;
    if (n < 0 || n >= g_.num_nodes() || ran_.count(n))
      bad("runs operator id {} (unknown or already run)", n);
  }
  void spill(TensorId t) {
    store(t);
    evict(t);
  }
  void evict(TensorId t) {
    known(t);
    if (!resident_[t]) bad("evicts '{}', which is not in the TCM", name(t));
    resident_[t] = 0;
    resident_bytes_ -= g_.tensor(t).bytes;
  }
  void load(TensorId t) {
    known(t);
    if (resident_[t]) bad("loads '{}', which is already in the TCM", name(t));
    if (!in_dram_[t]) bad("loads '{}', which has no DRAM copy", name(t));
    resident_[t] = 1;
    resident_bytes_ += g_.tensor(t).bytes;
    traffic_ += g_.tensor(t).bytes;
  }
  void store(TensorId t) {
    known(t);
    if (!resident_[t]) bad("stores '{}', which is not in the TCM", name(t));
    if (in_dram_[t]) bad("stores '{}' again; its DRAM copy is still valid", name(t));
    in_dram_[t] = 1;
    traffic_ += g_.tensor(t).bytes;
  }
  void run() {
    for (TensorId t : g_.node(node_).inputs)
      if (!resident_[t]) bad("reads '{}', which is not in the TCM", name(t));
    for (TensorId t : g_.node(node_).outputs) {
      resident_[t] = 1;
      resident_bytes_ += g_.tensor(t).bytes;
    }
    if (resident_bytes_ > capacity_)
      bad("needs {} bytes of TCM; the capacity is {}", resident_bytes_, capacity_);
    ran_.insert(node_);
    for (TensorId t : g_.node(node_).inputs) --readers_left_[t];
  }
  // Tensors nobody will read again leave by themselves, once any store they owe is done.
  void drop_dead() {
    for (TensorId t = 0; t < g_.num_tensors(); ++t)
      if (resident_[t] && readers_left_[t] == 0 && (!g_.is_output(t) || in_dram_[t])) {
        resident_[t] = 0;
        resident_bytes_ -= g_.tensor(t).bytes;
      }
  }
  void finish() {
    if (static_cast<int>(ran_.size()) != g_.num_nodes())
      fail("TCM plan runs {} of the {} operators", ran_.size(), g_.num_nodes());
    for (TensorId t = 0; t < g_.num_tensors(); ++t)
      if (g_.is_output(t) && !in_dram_[t])
        fail("TCM plan leaves graph output '{}' without a DRAM copy", name(t));
  }

  bool resident(TensorId t) const { return resident_[t]; }
  bool in_dram(TensorId t) const { return in_dram_[t]; }
  std::int64_t resident_bytes() const { return resident_bytes_; }
  std::int64_t traffic() const { return traffic_; }

 private:
  template <typename... Args>
  [[noreturn]] void bad(fmt::format_string<Args...> what, Args&&... args) const {
    fail("TCM plan step {} ('{}') {}", step_,
         node_ >= 0 && node_ < g_.num_nodes() ? g_.node(node_).name : "?",
         fmt::format(what, std::forward<Args>(args)...));
  }
  void known(TensorId t) const {
    if (t < 0 || t >= g_.num_tensors())
      bad("names tensor id {}; allowed: 0..{}", t, g_.num_tensors() - 1);
  }
  const std::string& name(TensorId t) const { return g_.tensor(t).name; }

  const Graph& g_;
  std::int64_t capacity_;
  std::vector<char> resident_, in_dram_;
  std::vector<int> readers_left_;
  std::set<NodeId> ran_;
  std::int64_t resident_bytes_ = 0, traffic_ = 0;
  int step_ = 0;
  NodeId node_ = -1;
};

// The common end of a planned step: load what the operator reads and is not resident, run
// it, store the outputs `must_store` selects, and let the tensors nobody needs leave.
template <typename MustStore>
void finish_step(const Graph& g, TcmState& state, TcmStep& step, MustStore must_store) {
  for (TensorId t : g.node(step.node).inputs)
    if (!state.resident(t)) {
      state.load(t);
      step.load.push_back(t);
    }
  state.run();
  for (TensorId t : g.node(step.node).outputs)
    if (must_store(t)) {
      state.store(t);
      step.store.push_back(t);
    }
  state.drop_dead();
}

}  // namespace

std::int64_t check_tcm_plan(const Graph& g, const TcmPlan& plan, std::int64_t capacity,
                            std::vector<std::vector<TensorId>>* residency) {
  check_order(g, plan.order());
  TcmState state(g, capacity);
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const TcmStep& s = plan.steps[i];
    state.begin_step(static_cast<int>(i), s.node);
    for (TensorId t : s.spill) state.spill(t);
    for (TensorId t : s.evict) state.evict(t);
    for (TensorId t : s.load) state.load(t);
    state.run();
    if (residency) {
      residency->emplace_back();
      for (TensorId t = 0; t < g.num_tensors(); ++t)
        if (state.resident(t)) residency->back().push_back(t);
    }
    for (TensorId t : s.store) state.store(t);
    state.drop_dead();
  }
  state.finish();
  return state.traffic();
}

TcmPlan plan_from_residency(const Graph& g, const Order& order,
                            const std::vector<std::vector<char>>& keep,
                            const std::vector<char>& stored, std::int64_t capacity) {
  check_order(g, order);
  TcmPlan plan;
  TcmState state(g, capacity);
  for (int i = 0; i < g.num_nodes(); ++i) {
    TcmStep step;
    step.node = order[i];
    state.begin_step(i, step.node);
    for (TensorId t = 0; t < g.num_tensors(); ++t)
      if (state.resident(t) && !keep[i][t]) {
        state.evict(t);
        step.evict.push_back(t);
      }
    finish_step(g, state, step, [&](TensorId t) { return stored[t] || g.is_output(t); });
    plan.steps.push_back(std::move(step));
  }
  state.finish();
  plan.traffic_bytes = state.traffic();
  return plan;
}

TcmPlan tcm_furthest_next_use(const Graph& g, const Order& order, std::int64_t capacity) {
  check_order(g, order);
  check_tcm_capacity(g, capacity);
  const int steps = g.num_nodes();
  std::vector<std::vector<int>> uses(g.num_tensors());  // steps reading each tensor, ascending
  for (int i = 0; i < steps; ++i)
    for (TensorId t : g.node(order[i]).inputs) uses[t].push_back(i);
  auto next_use = [&](TensorId t, int after) {
    auto it = std::upper_bound(uses[t].begin(), uses[t].end(), after);
    return it == uses[t].end() ? std::numeric_limits<int>::max() : *it;
  };
  TcmPlan plan;
  TcmState state(g, capacity);
  for (int i = 0; i < steps; ++i) {
    const Node& node = g.node(order[i]);
    TcmStep step;
    step.node = order[i];
    state.begin_step(i, step.node);
    std::int64_t need = g.output_bytes(step.node);
    for (TensorId t : node.inputs)
      if (!state.resident(t)) need += g.tensor(t).bytes;
    while (state.resident_bytes() + need > capacity) {
      TensorId victim = -1;
      for (TensorId t = 0; t < g.num_tensors(); ++t) {
        if (!state.resident(t) ||
            std::find(node.inputs.begin(), node.inputs.end(), t) != node.inputs.end())
          continue;
        if (victim < 0) {
          victim = t;
          continue;
        }
        const int nt = next_use(t, i), nv = next_use(victim, i);
        if (nt != nv ? nt > nv : state.in_dram(t) && !state.in_dram(victim)) victim = t;
      }
      // check_tcm_capacity guarantees the operator fits once everything else is gone.
      if (state.in_dram(victim)) {
        state.evict(victim);
        step.evict.push_back(victim);
      } else {
        state.spill(victim);
        step.spill.push_back(victim);
      }
    }
    // A graph output's store is owed anyway; storing it now frees the TCM as soon as nobody
    // reads it.
    finish_step(g, state, step, [&](TensorId t) { return g.is_output(t); });
    plan.steps.push_back(std::move(step));
  }
  state.finish();
  plan.traffic_bytes = state.traffic();
  return plan;
}

}  // namespace bitforge::graph
