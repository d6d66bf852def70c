// The exact TCM plan as a time-indexed integer program, solved with Cbc (COIN-OR).
//
// Variables (all binary), with n steps:
//   x[v][t]  operator v runs at step t       (only between its earliest and latest step)
//   r[i][t]  tensor i is in the TCM at step t (only while it can matter: from its producer's
//            earliest step to its last reader's latest step)
//   l[i][t]  tensor i is loaded before step t
//   s[i]     produced tensor i is stored to DRAM (at production; fixed to 1 for graph outputs)
// Constraints: one operator per step and one step per operator; precedence in the strong
// cumulative form (v has run by t only if its producer u ran before t); an operator's inputs
// and outputs are resident when it runs; resident bytes <= capacity at every step; a tensor
// is resident at t only if it was at t-1, or is loaded or produced at t; a load needs a DRAM
// copy (s[i], and production strictly earlier). Objective: bytes stored plus bytes loaded.
// Storing at production loses nothing: tensors never change, so a store costs the same
// whenever it happens, and earlier leaves more freedom.
#include <fmt/format.h>

#include <CbcModel.hpp>
#include <CbcSolver.hpp>
#include <CoinPackedMatrix.hpp>
#include <OsiClpSolverInterface.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>

#include "graph/peak_memory.hpp"
#include "graph/tcm.hpp"

namespace bitforge::graph {

namespace {

class Program {
 public:
  int add_column(double cost, double lower = 0) {
    cost_.push_back(cost);
    lower_.push_back(lower);
    return static_cast<int>(cost_.size()) - 1;
  }
  void add_row(std::vector<std::pair<int, double>> terms, double lo, double hi) {
    rows_.push_back({std::move(terms), lo, hi});
  }
  int columns() const { return static_cast<int>(cost_.size()); }

  void load_into(OsiClpSolverInterface& solver) const {
    CoinPackedMatrix matrix(false, 0, 0);  // column-ordered = false: we append rows
    matrix.setDimensions(0, columns());
    std::vector<double> row_lo, row_hi;
    for (const Row& r : rows_) {
      std::vector<int> idx;
      std::vector<double> val;
      for (auto [c, v] : r.terms) idx.push_back(c), val.push_back(v);
      matrix.appendRow(static_cast<int>(idx.size()), idx.data(), val.data());
      row_lo.push_back(r.lo);
      row_hi.push_back(r.hi);
    }
    std::vector<double> upper(columns(), 1.0);
    solver.loadProblem(matrix, lower_.data(), upper.data(), cost_.data(), row_lo.data(),
                       row_hi.data());
    for (int c = 0; c < columns(); ++c) solver.setInteger(c);
  }

 private:
  struct Row {
    std::vector<std::pair<int, double>> terms;
    double lo, hi;
  };
  std::vector<double> cost_, lower_;
  std::vector<Row> rows_;
};

constexpr double kInf = 1e30;

}  // namespace

std::optional<ExactTcmResult> tcm_exact(const Graph& g, std::int64_t capacity,
                                        const TcmPlan& incumbent, double time_limit_s) {
  const auto start = std::chrono::steady_clock::now();
  const int n = g.num_nodes(), T = g.num_tensors();
  if (n > kExactTcmMaxNodes) return std::nullopt;
  check_tcm_capacity(g, capacity);
  const std::int64_t incumbent_traffic = check_tcm_plan(g, incumbent, capacity);
  ExactTcmResult result{incumbent, compulsory_traffic(g),
                        incumbent_traffic == compulsory_traffic(g), 0};
  if (result.optimal) return result;

  // Earliest / latest step of each operator: after all its ancestors, before all descendants.
  const Order topo = default_order(g);
  std::vector<std::vector<char>> anc(n, std::vector<char>(n, 0));
  for (NodeId v : topo)
    for (NodeId p : g.predecessors(v)) {
      anc[v][p] = 1;
      for (NodeId a = 0; a < n; ++a) anc[v][a] |= anc[p][a];
    }
  std::vector<int> earliest(n, 0), latest(n, n - 1);
  for (NodeId v = 0; v < n; ++v)
    for (NodeId a = 0; a < n; ++a)
      if (anc[v][a]) ++earliest[v], --latest[a];

  Program ip;
  std::vector<std::vector<int>> x(n, std::vector<int>(n, -1)), r(T, std::vector<int>(n, -1)), l = r;
  std::vector<int> s(T, -1);
  for (NodeId v = 0; v < n; ++v)
    for (int t = earliest[v]; t <= latest[v]; ++t) x[v][t] = ip.add_column(0);
  std::vector<int> first(T), last(T);
  for (TensorId i = 0; i < T; ++i) {
    const Tensor& ten = g.tensor(i);
    const double bytes = static_cast<double>(ten.bytes);
    first[i] = ten.producer < 0 ? 0 : earliest[ten.producer];
    last[i] = ten.producer < 0 ? 0 : latest[ten.producer];
    for (NodeId c : ten.consumers) last[i] = std::max(last[i], latest[c]);
    if (ten.producer >= 0) s[i] = ip.add_column(bytes, g.is_output(i) ? 1 : 0);
    for (int t = first[i]; t <= last[i]; ++t) {
      r[i][t] = ip.add_column(0);
      if (ten.producer < 0 || t > earliest[ten.producer]) l[i][t] = ip.add_column(bytes);
    }
  }
  auto ran_by = [&](NodeId v, int t, double sign, std::vector<std::pair<int, double>>& terms) {
    for (int k = 0; k <= t && k < n; ++k)
      if (x[v][k] >= 0) terms.push_back({x[v][k], sign});
  };
  for (NodeId v = 0; v < n; ++v) {
    std::vector<std::pair<int, double>> once;
    ran_by(v, n - 1, 1, once);
    ip.add_row(once, 1, 1);
  }
  for (int t = 0; t < n; ++t) {
    std::vector<std::pair<int, double>> one, cap;
    for (NodeId v = 0; v < n; ++v)
      if (x[v][t] >= 0) one.push_back({x[v][t], 1});
    ip.add_row(one, 1, 1);
    for (TensorId i = 0; i < T; ++i)
      if (r[i][t] >= 0) cap.push_back({r[i][t], static_cast<double>(g.tensor(i).bytes)});
    ip.add_row(cap, -kInf, static_cast<double>(capacity));
  }
  for (NodeId v = 0; v < n; ++v) {
    for (NodeId u : g.predecessors(v))
      for (int t = earliest[v]; t <= latest[v]; ++t) {
        std::vector<std::pair<int, double>> terms;
        ran_by(v, t, 1, terms);
        ran_by(u, t - 1, -1, terms);
        ip.add_row(terms, -kInf, 0);
      }
    std::vector<TensorId> used = g.node(v).inputs;
    used.insert(used.end(), g.node(v).outputs.begin(), g.node(v).outputs.end());
    for (TensorId i : used)
      for (int t = earliest[v]; t <= latest[v]; ++t)
        ip.add_row({{x[v][t], 1}, {r[i][t], -1}}, -kInf, 0);
  }
  for (TensorId i = 0; i < T; ++i) {
    const NodeId p = g.tensor(i).producer;
    for (int t = first[i]; t <= last[i]; ++t) {
      std::vector<std::pair<int, double>> cont{{r[i][t], 1}};
      if (t > first[i]) cont.push_back({r[i][t - 1], -1});
      if (l[i][t] >= 0) cont.push_back({l[i][t], -1});
      if (p >= 0 && x[p][t] >= 0) cont.push_back({x[p][t], -1});
      ip.add_row(cont, -kInf, 0);
      if (p >= 0 && l[i][t] >= 0) {
        ip.add_row({{l[i][t], 1}, {s[i], -1}}, -kInf, 0);
        std::vector<std::pair<int, double>> after{{l[i][t], 1}};
        ran_by(p, t - 1, -1, after);
        ip.add_row(after, -kInf, 0);
      }
    }
  }

  // The incumbent as a starting solution, so Cbc only has to look for better ones.
  std::vector<std::vector<TensorId>> residency;
  check_tcm_plan(g, incumbent, capacity, &residency);
  std::vector<double> warm(ip.columns(), 0.0);
  bool warm_fits = true;  // a plan always fits the variable windows; if not, start cold
  auto mark = [&](int column) { column >= 0 ? void(warm[column] = 1) : void(warm_fits = false); };
  for (int t = 0; t < n; ++t) {
    const TcmStep& step = incumbent.steps[t];
    mark(x[step.node][t]);
    for (TensorId i : residency[t]) mark(r[i][t]);
    for (TensorId i : step.load) mark(l[i][t]);
    for (TensorId i : step.spill) mark(s[i]);
    for (TensorId i : step.store) mark(s[i]);
  }
  for (TensorId i = 0; i < T; ++i)
    if (s[i] >= 0 && g.is_output(i)) mark(s[i]);

  OsiClpSolverInterface solver;
  ip.load_into(solver);
  solver.messageHandler()->setLogLevel(0);
  CbcModel model(solver);
  // Cbc's standalone driver (preprocessing, its default cuts and heuristics) solves these
  // programs several times faster than a bare CbcModel::branchAndBound.
  CbcSolverUsefulData data;
  CbcMain0(model, data);
  model.setLogLevel(0);
  if (warm_fits)
    model.setBestSolution(warm.data(), ip.columns(), static_cast<double>(incumbent_traffic), true);
  const std::string seconds = fmt::format("{}", std::max(0.1, time_limit_s));
  const char* argv[] = {"bitforge",      "-log",      "0",       "-threads", "0",    "-sec",
                        seconds.c_str(), "-timeMode", "elapsed", "-solve",   "-quit"};
  CbcMain1(
      static_cast<int>(std::size(argv)), argv, model, [](CbcModel*, int) { return 0; }, data);

  if (const double* best = model.bestSolution();
      best && model.getObjValue() < incumbent_traffic - 0.5) {
    Order order(n);
    for (NodeId v = 0; v < n; ++v)
      for (int t = earliest[v]; t <= latest[v]; ++t)
        if (best[x[v][t]] > 0.5) order[t] = v;
    std::vector<std::vector<char>> keep(n, std::vector<char>(T, 0));
    std::vector<char> stored(T, 0);
    for (TensorId i = 0; i < T; ++i) {
      for (int t = first[i]; t <= last[i]; ++t) keep[t][i] = best[r[i][t]] > 0.5;
      if (s[i] >= 0) stored[i] = best[s[i]] > 0.5;
    }
    TcmPlan plan = plan_from_residency(g, order, keep, stored, capacity);
    if (plan.traffic_bytes < result.plan.traffic_bytes) result.plan = std::move(plan);
  }
  result.plan.traffic_bytes = check_tcm_plan(g, result.plan, capacity);
  result.optimal = model.isProvenOptimal();
  // Cbc's bound is on a continuous objective; traffic is whole bytes, so round up (with a
  // tolerance for floating-point noise).
  const auto bound = static_cast<std::int64_t>(std::ceil(model.getBestPossibleObjValue() - 1e-6));
  result.lower_bound = result.optimal
                           ? result.plan.traffic_bytes
                           : std::clamp(bound, compulsory_traffic(g), result.plan.traffic_bytes);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace bitforge::graph
