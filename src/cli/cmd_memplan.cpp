// `bitforge memplan`: memory planning of a network graph (issue 6, docs/memory.md).
// Orders (default, reverse post-order, greedy, exact minimum peak), arena placement for
// each, and with --tcm the DRAM traffic of a small tightly-coupled memory; one table on
// stdout, optionally JSON and a plot of live bytes over steps.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "graph/arena.hpp"
#include "graph/builders.hpp"
#include "graph/onnx_import.hpp"
#include "graph/peak_memory.hpp"
#include "graph/tcm.hpp"

extern char** environ;

namespace bitforge::cli {

namespace {

using namespace bitforge::graph;

struct MemplanOptions {
  std::string model, graph_spec, tcm, json, plot;
  std::vector<std::string> dims;
  double time_limit = 10;
};

struct OrderRow {
  std::string method;
  Order order;
  std::int64_t peak = 0, lower_bound = 0;
  bool optimal = false;
  Placement by_size, best_fit;
  std::optional<TcmPlan> tcm;
  double seconds = 0;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

Graph load_graph(const MemplanOptions& opt, std::string& label) {
  if (opt.model.empty() == opt.graph_spec.empty())
    fail("memplan needs exactly one of --model FILE.onnx or --graph SPEC");
  if (!opt.graph_spec.empty()) {
    if (!opt.dims.empty()) fail("--dim applies to --model only");
    label = opt.graph_spec;
    return build_graph(opt.graph_spec);
  }
  std::map<std::string, std::int64_t> dims;
  for (const std::string& d : opt.dims) {
    const auto eq = d.find('=');
    std::int64_t v = 0;
    std::size_t used = 0;
    try {
      v = std::stoll(d.substr(eq == std::string::npos ? d.size() : eq + 1), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (eq == std::string::npos || eq == 0 || used == 0 || eq + 1 + used != d.size())
      fail("--dim '{}' is not NAME=SIZE", d);
    dims[d.substr(0, eq)] = v;
  }
  label = opt.model;
  return import_onnx(opt.model, dims);
}

std::string ratio(std::int64_t num, std::int64_t den) {
  return den > 0 ? fmt::format("{:.2f}x", static_cast<double>(num) / static_cast<double>(den))
                 : "-";
}

// Runs `gnuplot script` and waits; the PNG lands where the script says.
void run_gnuplot(const std::string& script) {
  const char* argv[] = {"gnuplot", script.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawnp(&pid, "gnuplot", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
    fail("--plot needs gnuplot on the PATH (Debian package gnuplot-nox)");
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("gnuplot failed to draw the plot (script {})", script);
}

// The PNG bytes of live memory per step, default order against the best one.
std::string render_plot(const Graph& g, const std::string& label,
                        const std::vector<OrderRow>& rows) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::temp_directory_path() / "bitforge-memplan-XXXXXX").string();
  if (!mkdtemp(pattern.data())) fail("cannot create a temporary directory for the plot");
  const fs::path dir = pattern;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  const OrderRow& first = rows.front();
  const OrderRow& best = rows.back();
  const auto a = live_bytes_per_step(g, first.order), b = live_bytes_per_step(g, best.order);
  std::string data;
  for (std::size_t s = 0; s < a.size(); ++s)
    data += fmt::format("{} {:.6f} {:.6f}\n", s, static_cast<double>(a[s]) / (1 << 20),
                        static_cast<double>(b[s]) / (1 << 20));
  std::string title = label;
  for (char& c : title)
    if (c == '"' || c == '\\') c = '\'';
  const std::string script = fmt::format(
      "set terminal pngcairo size 1000,500\n"
      "set output '{}'\n"
      "set title \"{}: live memory per step\"\n"
      "set xlabel 'step'\nset ylabel 'live MiB'\nset key top left\nset grid\n"
      "plot '{}' using 1:2 with steps lw 2 title '{} (peak {})', '' using 1:3 with steps lw 2 "
      "title '{} (peak {})'\n",
      (dir / "plot.png").string(), title, (dir / "live.dat").string(), first.method,
      format_bytes(first.peak), best.method, format_bytes(best.peak));
  write_file_atomically((dir / "live.dat").string(), data);
  write_file_atomically((dir / "plot.gp").string(), script);
  run_gnuplot((dir / "plot.gp").string());
  return read_file((dir / "plot.png").string());
}

nlohmann::json order_json(const Graph& g, const Order& order) {
  nlohmann::json names = nlohmann::json::array();
  for (NodeId n : order) names.push_back(g.node(n).name);
  return names;
}

void run_memplan(const MemplanOptions& opt) {
  if (!(opt.time_limit > 0)) fail("--time-limit {} must be positive (seconds)", opt.time_limit);
  std::string label;
  const Graph g = load_graph(opt, label);  // builders and the importer validate it
  std::optional<std::int64_t> capacity;
  if (!opt.tcm.empty()) {
    capacity = parse_bytes(opt.tcm);
    check_tcm_capacity(g, *capacity);
  }

  std::vector<OrderRow> rows;
  auto place = [&](OrderRow& r) {
    const Liveness l = liveness(g, r.order);
    r.by_size = place_greedy_by_size(g, l);
    r.best_fit = place_best_fit(g, l);
    check_placement(g, l, r.by_size);
    check_placement(g, l, r.best_fit);
    if (capacity) r.tcm = tcm_furthest_next_use(g, r.order, *capacity);
  };
  auto smallest_arena = [](const OrderRow& r) {
    return std::min(r.by_size.arena_bytes, r.best_fit.arena_bytes);
  };
  auto add_heuristic = [&](const std::string& method, auto make) {
    const auto t = std::chrono::steady_clock::now();
    OrderRow r;
    r.method = method;
    r.order = make(g);
    r.peak = peak_bytes(g, r.order);
    r.seconds = seconds_since(t);
    place(r);
    rows.push_back(std::move(r));
  };
  add_heuristic("default", default_order);
  add_heuristic("reverse-postorder", reverse_postorder);
  add_heuristic("greedy", greedy_order);
  // The exact search keeps the incumbent wherever it cannot do strictly better, so start it
  // from the heuristic order with the smallest peak and, among those, the smallest arena.
  const OrderRow* incumbent = &rows[0];
  for (const OrderRow& r : rows)
    if (r.peak < incumbent->peak ||
        (r.peak == incumbent->peak && smallest_arena(r) < smallest_arena(*incumbent)))
      incumbent = &r;
  const ExactOrderResult exact = exact_min_peak_order(g, incumbent->order, opt.time_limit);
  {
    OrderRow r;
    r.method = exact.optimal ? "optimal" : "exact (stopped)";
    r.order = exact.order;
    r.peak = exact.peak;
    r.lower_bound = exact.lower_bound;
    r.optimal = exact.optimal;
    r.seconds = exact.seconds;
    place(r);
    rows.push_back(std::move(r));
  }
  OrderRow& best = rows.back();
  const Liveness best_live = liveness(g, best.order);
  const Placement& arena_incumbent =
      best.by_size.arena_bytes <= best.best_fit.arena_bytes ? best.by_size : best.best_fit;
  const auto arena = place_exact(g, best_live, arena_incumbent, opt.time_limit);
  if (arena) check_placement(g, best_live, arena->placement);
  std::optional<ExactTcmResult> tcm;
  const OrderRow* tcm_incumbent = nullptr;
  if (capacity) {
    for (const OrderRow& r : rows)
      if (!tcm_incumbent || r.tcm->traffic_bytes < tcm_incumbent->tcm->traffic_bytes)
        tcm_incumbent = &r;
    tcm = tcm_exact(g, *capacity, *tcm_incumbent->tcm, opt.time_limit);
  }

  // The table.
  std::int64_t activations = 0;
  for (const Tensor& t : g.tensors()) activations += t.bytes;
  fmt::print("graph {}: {} operators, {} tensors, {} of activations; no order peaks below {}\n",
             label, g.num_nodes(), g.num_tensors(), format_bytes(activations),
             format_bytes(peak_lower_bound(g)));
  const std::string dram_head =
      capacity ? fmt::format("DRAM @ {}", format_bytes(*capacity)) : "DRAM";
  fmt::print("{:<18} {:>12} {:>9} {:>14} {:>14} {:>16} {:>10}\n", "order", "peak", "default/",
             "arena by-size", "arena best-fit", dram_head, "time");
  for (const OrderRow& r : rows)
    fmt::print("{:<18} {:>12} {:>9} {:>14} {:>14} {:>16} {:>9.3f}s\n", r.method,
               format_bytes(r.peak), ratio(rows[0].peak, r.peak),
               format_bytes(r.by_size.arena_bytes), format_bytes(r.best_fit.arena_bytes),
               r.tcm ? format_bytes(r.tcm->traffic_bytes) : "-", r.seconds);
  if (!exact.optimal)
    fmt::print("exact order search stopped after {:.1f} s: best peak {}, proven lower bound {}\n",
               exact.seconds, format_bytes(exact.peak), format_bytes(exact.lower_bound));
  fmt::print("exact order: {} states in {} segment(s)\n", exact.states, exact.segments);
  if (arena)
    fmt::print(
        "arena exact on the {} order: {} ({}; lower bound = peak {}, {:.2f}x of it) in {:.3f}s\n",
        best.method, format_bytes(arena->placement.arena_bytes),
        arena->optimal ? "proven optimal" : "best found", format_bytes(best.peak),
        static_cast<double>(arena->placement.arena_bytes) / static_cast<double>(best.peak),
        arena->seconds);
  else
    fmt::print("arena exact: not attempted ({})\n",
               g.num_tensors() > kExactArenaMaxTensors
                   ? fmt::format("{} tensors; the exact search runs up to {}", g.num_tensors(),
                                 kExactArenaMaxTensors)
                   : std::string("the arena in units of the sizes' common divisor exceeds "
                                 "Gecode's 31-bit integers"));
  if (capacity) {
    fmt::print("TCM {}: compulsory traffic {}; furthest-next-use best on the {} order: {}\n",
               format_bytes(*capacity), format_bytes(compulsory_traffic(g)), tcm_incumbent->method,
               format_bytes(tcm_incumbent->tcm->traffic_bytes));
    if (tcm)
      fmt::print("TCM exact (ILP, order and residency): {} ({}; lower bound {}) in {:.3f}s\n",
                 format_bytes(tcm->plan.traffic_bytes),
                 tcm->optimal ? "proven optimal" : "best found", format_bytes(tcm->lower_bound),
                 tcm->seconds);
    else
      fmt::print("TCM exact: not attempted ({} operators; the integer program runs up to {})\n",
                 g.num_nodes(), kExactTcmMaxNodes);
  }

  // Everything that can fail runs before the first output file is written.
  const std::string png = opt.plot.empty() ? "" : render_plot(g, label, rows);
  if (!opt.json.empty()) {
    nlohmann::json j;
    j["graph"] = label;
    j["lower_bound_bytes"] = peak_lower_bound(g);
    for (const Tensor& t : g.tensors()) {
      nlohmann::json consumers = nlohmann::json::array();
      for (NodeId c : t.consumers) consumers.push_back(g.node(c).name);
      j["tensors"].push_back(
          {{"name", t.name},
           {"bytes", t.bytes},
           {"producer",
            t.producer < 0 ? nlohmann::json(nullptr) : nlohmann::json(g.node(t.producer).name)},
           {"consumers", consumers}});
    }
    for (const Node& n : g.nodes()) {
      nlohmann::json ins = nlohmann::json::array(), outs = nlohmann::json::array();
      for (TensorId t : n.inputs) ins.push_back(g.tensor(t).name);
      for (TensorId t : n.outputs) outs.push_back(g.tensor(t).name);
      j["nodes"].push_back({{"name", n.name}, {"op", n.op}, {"inputs", ins}, {"outputs", outs}});
    }
    for (const OrderRow& r : rows) {
      nlohmann::json m = {{"order", order_json(g, r.order)},
                          {"peak_bytes", r.peak},
                          {"seconds", r.seconds},
                          {"arena_greedy_by_size_bytes", r.by_size.arena_bytes},
                          {"arena_best_fit_bytes", r.best_fit.arena_bytes}};
      if (r.method != "default" && r.method != "reverse-postorder" && r.method != "greedy") {
        m["optimal"] = r.optimal;
        m["lower_bound_bytes"] = r.lower_bound;
        m["states"] = exact.states;
        m["segments"] = exact.segments;
      }
      if (r.tcm) m["dram_traffic_furthest_next_use_bytes"] = r.tcm->traffic_bytes;
      j["methods"][r.method == "exact (stopped)" ? "exact" : r.method] = m;
    }
    if (arena) {
      nlohmann::json offsets;
      for (TensorId t = 0; t < g.num_tensors(); ++t)
        offsets[g.tensor(t).name] = arena->placement.offsets[t];
      j["arena_exact"] = {{"arena_bytes", arena->placement.arena_bytes},
                          {"lower_bound_bytes", arena->lower_bound},
                          {"optimal", arena->optimal},
                          {"seconds", arena->seconds},
                          {"offsets", offsets}};
    }
    if (capacity) {
      j["tcm"] = {{"capacity_bytes", *capacity},
                  {"compulsory_bytes", compulsory_traffic(g)},
                  {"furthest_next_use",
                   {{"order_method", tcm_incumbent->method},
                    {"traffic_bytes", tcm_incumbent->tcm->traffic_bytes}}}};
      if (tcm)
        j["tcm"]["exact"] = {{"traffic_bytes", tcm->plan.traffic_bytes},
                             {"lower_bound_bytes", tcm->lower_bound},
                             {"optimal", tcm->optimal},
                             {"seconds", tcm->seconds},
                             {"order", order_json(g, tcm->plan.order())}};
    }
    write_file_atomically(opt.json, j.dump(1) + "\n");
  }
  if (!opt.plot.empty()) write_file_atomically(opt.plot, png);
}

}  // namespace

void add_memplan_command(CLI::App& app) {
  auto opt = std::make_shared<MemplanOptions>();
  CLI::App* cmd = app.add_subcommand(
      "memplan",
      "memory planning of a network graph: min-peak order, arena placement, TCM + DRAM traffic");
  cmd->add_option("--model", opt->model, "an ONNX model file");
  cmd->add_option("--graph", opt->graph_spec,
                  "a built-in network: resnet18, resnet50, darts, randwire:n=32,k=4,p=0.75,seed=1, "
                  "layered:n=40,density=0.2,skip=0.1,seed=3 (docs/memory.md lists every key)");
  cmd->add_option("--dim", opt->dims,
                  "NAME=SIZE for a symbolic input dimension of --model (repeatable)");
  cmd->add_option("--tcm", opt->tcm,
                  "tightly-coupled memory capacity, e.g. 256KiB: plan DRAM traffic");
  cmd->add_option("--time-limit", opt->time_limit,
                  "seconds for each exact method (order, arena, TCM)")
      ->capture_default_str();
  cmd->add_option("--json", opt->json,
                  "write tensors, nodes and every method's order and peak as JSON");
  cmd->add_option("--plot", opt->plot,
                  "write a PNG of live memory per step, default vs optimal order");
  cmd->callback([opt] { run_memplan(*opt); });
}

}  // namespace bitforge::cli
