// `bitforge analyze KEY`: one workload against this machine's limits — its operation
// count, the compulsory bytes of each memory level, which limit binds and the best
// possible time (roofline/bounds.hpp), next to the measured time of each implementation
// (bench/implementation.hpp) and its efficiency (docs/performance.md).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <regex>

#include "bench/implementation.hpp"
#include "cli/commands.hpp"
#include "cli/lists.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "ops/suites.hpp"
#include "roofline/bounds.hpp"
#include "roofline/machine_model.hpp"

namespace bitforge::cli {

namespace {
struct AnalyzeOptions {
  std::string key, act, wgt, impls, model;
  int threads = 1;
  bool bound_only = false;
  double min_seconds = 0.3;
  int min_repeats = 10;
};

std::string time_str(double s) {
  if (s < 1e-3) return fmt::format("{:.1f} µs", s * 1e6);
  if (s < 1) return fmt::format("{:.2f} ms", s * 1e3);
  return fmt::format("{:.2f} s", s);
}

std::string bytes_str(double b) {
  if (b >= 1e9) return fmt::format("{:.2f} GB", b / 1e9);
  if (b >= 1e6) return fmt::format("{:.2f} MB", b / 1e6);
  return fmt::format("{:.1f} kB", b / 1e3);
}

std::string count_str(double n) {
  if (n >= 1e9) return fmt::format("{:.3f} G", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.3f} M", n / 1e6);
  return fmt::format("{:.0f}", n);
}

// The workload: a key, or "suite:name" (its operand types from --act/--wgt, default u1 x b1).
struct Chosen {
  std::string label;  // what the user named it by, when that is not the key
  Workload workload;
};

Chosen choose_workload(const AnalyzeOptions& opt) {
  const std::size_t colon = opt.key.find(':');
  if (colon != std::string::npos) {
    const std::string suite = opt.key.substr(0, colon), name = opt.key.substr(colon + 1);
    const OperandType act = OperandType::parse(opt.act.empty() ? "u1" : opt.act);
    const OperandType wgt = OperandType::parse(opt.wgt.empty() ? "b1" : opt.wgt);
    std::vector<std::string> names;
    for (const SuiteEntry& e : load_suite(suite, act, wgt)) {
      if (e.name == name) return {opt.key, e.workload};
      names.push_back(e.name);
    }
    fail("suite '{}' has no workload '{}' (allowed: {})", suite, name, fmt::join(names, ", "));
  }
  Workload wl = parse_workload_key(opt.key);
  std::visit([](const auto& w) { w.validate(); }, wl);
  return {"", wl};
}

// The bit-serial implementation for the workload's (or --act/--wgt's) operand types: the
// bench's wXaY runs bX weights with uY activations.
std::string bitserial_name(const Workload& wl, const AnalyzeOptions& opt) {
  const auto [act0, wgt0] = std::visit([](const auto& w) { return std::pair{w.act, w.wgt}; }, wl);
  const bool low_bit = act0.is_low_bit() && wgt0.is_low_bit();
  const OperandType act = !opt.act.empty() ? OperandType::parse(opt.act)
                          : low_bit        ? act0
                                           : OperandType::parse("u1");
  const OperandType wgt = !opt.wgt.empty() ? OperandType::parse(opt.wgt)
                          : low_bit        ? wgt0
                                           : OperandType::parse("b1");
  if (act.kind != OperandType::Kind::Unsigned || wgt.kind != OperandType::Kind::Bipolar)
    fail(
        "bit-serial implementations run unsigned activations uY with bipolar weights bX, not {} x "
        "{} "
        "(give --act uY --wgt bX)",
        act.name(), wgt.name());
  return fmt::format("w{}a{}", wgt.bits, act.bits);
}

roofline::ImplKind kind_of(const std::string& name) {
  if (name == "int16") return roofline::ImplKind::Int16;
  if (name == "onednn-f32") return roofline::ImplKind::OnednnF32;
  if (name == "onednn-u8s8") return roofline::ImplKind::OnednnU8S8;
  return roofline::ImplKind::BitSerial;
}

// The layer at an implementation's operand types, for a bound without a measurement. Only
// bit-serial bounds depend on the types (their bit planes); the others on the kind alone.
Conv2d bound_workload(const std::string& name, const Conv2d& shape) {
  Conv2d wl = shape;
  wl.epilogue = Epilogue{};
  static const std::regex re("w([1-8])a([1-8])");
  std::smatch m;
  if (std::regex_match(name, m, re)) {
    wl.act = OperandType::parse(fmt::format("u{}", m[2].str()));
    wl.wgt = OperandType::parse(fmt::format("b{}", m[1].str()));
  } else if (name == "onednn-f32") {
    wl.act = wl.wgt = OperandType::parse("f32");
  } else if (name == "onednn-u8s8") {
    wl.act = OperandType::parse("u8"), wl.wgt = OperandType::parse("s8");
  }
  return wl;
}

struct Row {
  std::string name, detail, error;
  std::optional<roofline::Bound> bound;
  std::optional<bench::Timing> timing;
  std::unique_ptr<bench::PreparedConv> conv;
  Workload workload;
};

void print_bound(const roofline::Bound& b) {
  if (b.planes > 1)
    fmt::print("  compute   {} {:.1f} GOP/s / {} bit planes = {:.1f} GOP/s -> {}\n", b.compute_peak,
               b.peak_gops, b.planes, b.compute_gops, time_str(b.compute_seconds));
  else
    fmt::print("  compute   {} {:.1f} GOP/s -> {}\n", b.compute_peak, b.compute_gops,
               time_str(b.compute_seconds));
  fmt::print("  bytes     {} = input {} + weights {} + output {}; intensity {:.1f} ops/byte\n",
             bytes_str(b.bytes), bytes_str(b.input_bytes), bytes_str(b.weight_bytes),
             bytes_str(b.output_bytes), b.intensity);
  for (const roofline::LevelBound& l : b.memory)
    fmt::print("  {:<9} read {} at {:.1f} GB/s -> {}, write {} at {:.1f} GB/s -> {}\n", l.level,
               bytes_str(l.read_bytes), l.read_gbps, time_str(l.read_seconds), bytes_str(l.write_bytes),
               l.write_gbps, time_str(l.write_seconds));
  fmt::print("  bound     {}-bound, best {}\n", b.binding, time_str(b.best_seconds));
}

// A level's binding direction in words: "L2 writes 0.80 MB at 58.7 GB/s".
std::string traffic(const roofline::LevelBound& l) {
  const bool writes = l.write_seconds > l.read_seconds;
  return fmt::format("{} {} {} at {:.1f} GB/s", l.level, writes ? "writes" : "reads",
                     bytes_str(writes ? l.write_bytes : l.read_bytes), writes ? l.write_gbps : l.read_gbps);
}

// One sentence with the numbers: what binds, what the runner-up needs, how close the
// measurement comes.
std::string verdict(const Row& r) {
  const roofline::Bound& b = *r.bound;
  const roofline::LevelBound* heaviest = nullptr;
  for (const roofline::LevelBound& l : b.memory)
    if (!heaviest || l.seconds > heaviest->seconds) heaviest = &l;
  std::string s;
  const std::string planes = b.planes > 1 ? fmt::format(" / {} planes", b.planes) : "";
  const std::string compute = fmt::format("2·MACs at {} {:.0f} GOP/s{} = {}", b.compute_peak,
                                          b.peak_gops, planes, time_str(b.compute_seconds));
  if (b.binding == "compute") {
    s = fmt::format("{}: compute-bound: {}", r.name, compute);
    if (heaviest)
      s += fmt::format("; {} takes {}", traffic(*heaviest), time_str(heaviest->seconds));
  } else {
    s = fmt::format("{}: {}-bound: {} takes {}, while {}", r.name, heaviest->level, traffic(*heaviest),
                    time_str(heaviest->seconds), compute);
  }
  if (r.timing) {
    const double efficiency = b.best_seconds / r.timing->min_seconds;
    s += fmt::format("; measured {} = {:.0f}% of the bound", time_str(r.timing->min_seconds),
                     100 * efficiency);
    // Faster than the bound means the model's number is too low, not that the code beats
    // the machine: probes on a busy machine measure less than the peak, and a capped model
    // lacks the instructions an uncapped library may still use.
    if (efficiency > 1.05) {
      s += fmt::format(" (above 100%: the model's {} is too low",
                       b.binding == "compute" ? b.compute_peak : b.binding + " bandwidth");
      if (!host_cpu_features().cap.empty())
        s += fmt::format(
            ", or the implementation runs instructions above the model's ISA level "
            "{} (oneDNN follows ONEDNN_MAX_CPU_ISA, not BITFORGE_MAX_ISA)",
            host_cpu_features().isa_level());
      else
        s += ", probably probed on a busy machine; re-run `bitforge roofline`";
      s += ")";
    }
  }
  return s + ".";
}

void run_analyze(const AnalyzeOptions& opt) {
  if (opt.threads < 1) fail("--threads {} must be >= 1", opt.threads);
  const Chosen chosen = choose_workload(opt);
  const Conv2d shape = std::holds_alternative<Conv2d>(chosen.workload)
                           ? std::get<Conv2d>(chosen.workload)
                           : std::get<Dense>(chosen.workload).as_conv2d();
  std::vector<std::string> names;
  if (opt.impls.empty()) {
    names = {bitserial_name(chosen.workload, opt), "int16", "onednn-f32", "onednn-u8s8"};
  } else {
    if (!opt.act.empty() || !opt.wgt.empty())
      bitserial_name(chosen.workload, opt);  // refuse a bad type early
    names = split_commas(opt.impls);
    if (names.empty())
      fail("--impls is empty (allowed: {})", fmt::join(bench::default_implementations(), ", "));
  }
  for (const std::string& n : names) bench::check_implementation_name(n);

  std::string note;
  const roofline::MachineModel machine = [&] {
    if (opt.model.empty()) return roofline::machine_model_for_host(&note);
    std::optional<roofline::MachineModel> m = roofline::load_machine_model(opt.model);
    if (!m) fail("machine model '{}' does not exist", opt.model);
    note = "machine model " + opt.model;
    return *m;
  }();

  const double macs = static_cast<double>(workload_macs(chosen.workload));
  fmt::print("workload  {}{}\n", workload_key(chosen.workload),
             chosen.label.empty() ? "" : " (" + chosen.label + ")");
  fmt::print("ops       {}op = 2 x {}MAC\n", count_str(2 * macs), count_str(macs));
  fmt::print("machine   {}, {}, {} cores, {:.2f} GHz; {}\n", machine.cpu, machine.isa_level,
             machine.cores, machine.clock_ghz, note);
  fmt::print("threads   {}\n", opt.threads);
  std::fflush(stdout);

  std::vector<Row> rows(names.size());
  std::vector<bench::PreparedConv*> prepared;
  for (std::size_t i = 0; i < names.size(); ++i) {
    Row& r = rows[i];
    r.name = names[i];
    r.workload = bound_workload(r.name, shape);
    roofline::ImplKind kind = kind_of(r.name);
    if (!opt.bound_only) {
      // One implementation that cannot run this layer does not hide the others.
      try {
        r.conv = bench::prepare_conv(r.name, shape, opt.threads);
        r.workload = r.conv->workload();
        r.detail = r.conv->detail();
        kind = r.conv->kind();
        prepared.push_back(r.conv.get());
      } catch (const Error& e) {
        r.error = e.what();
      }
    }
    try {
      r.bound = roofline::bound(r.workload, kind, machine, opt.threads);
    } catch (const Error& e) {
      if (r.error.empty()) r.error = e.what();
    }
  }
  // Interleaved, so a noisy moment of a shared machine hits every implementation alike.
  const std::vector<bench::Timing> timings =
      bench::time_interleaved(prepared, opt.min_seconds, opt.min_repeats);
  for (std::size_t i = 0, t = 0; i < rows.size(); ++i)
    if (rows[i].conv) rows[i].timing = timings[t++];

  for (const Row& r : rows) {
    fmt::print("\n{}{}\n", r.name, r.detail.empty() ? "" : " (" + r.detail + ")");
    if (r.conv) fmt::print("  workload  {}\n", workload_key(r.workload));
    if (r.bound) print_bound(*r.bound);
    if (r.timing)
      fmt::print("  measured  {} (median {}, {} runs): {:.1f} GOP/s, {:.0f}% of the bound\n",
                 time_str(r.timing->min_seconds), time_str(r.timing->median_seconds),
                 r.timing->repeats, 2 * macs / r.timing->min_seconds / 1e9,
                 r.bound ? 100 * r.bound->best_seconds / r.timing->min_seconds : 0.0);
    if (!r.error.empty())
      fmt::print("  not {}: {}\n", r.conv || opt.bound_only ? "bounded" : "measured", r.error);
  }

  fmt::print("\n{:<12} {:>10} {:>10} {:>10} {:>10} {:>11}\n", "impl", "binding", "bound",
             "measured", "GOP/s", "efficiency");
  for (const Row& r : rows) {
    const std::string measured = r.timing ? time_str(r.timing->min_seconds) : "-";
    const std::string gops =
        r.timing ? fmt::format("{:.1f}", 2 * macs / r.timing->min_seconds / 1e9) : "-";
    const std::string eff =
        r.timing && r.bound
            ? fmt::format("{:.0f}%", 100 * r.bound->best_seconds / r.timing->min_seconds)
            : "-";
    fmt::print("{:<12} {:>10} {:>10} {:>10} {:>10} {:>11}\n", r.name,
               r.bound ? r.bound->binding : "-", r.bound ? time_str(r.bound->best_seconds) : "-",
               measured, gops, eff);
  }
  fmt::print("\n");
  for (const Row& r : rows)
    if (r.bound) fmt::print("{}\n", verdict(r));
}
}  // namespace

void add_analyze_command(CLI::App& app) {
  auto opt = std::make_shared<AnalyzeOptions>();
  CLI::App* cmd = app.add_subcommand("analyze",
                                     "one workload against this machine's limits: bound per "
                                     "implementation, measured time, efficiency");
  cmd->add_option("KEY", opt->key,
                  "workload key (bitforge workloads prints them) or SUITE:NAME, e.g. resnet18:C2")
      ->required();
  cmd->add_option("--act", opt->act,
                  "activation type of the bit-serial implementation (uY), or of SUITE:NAME");
  cmd->add_option("--wgt", opt->wgt,
                  "weight type of the bit-serial implementation (bX), or of SUITE:NAME");
  cmd->add_option("--impls", opt->impls,
                  "comma-separated implementations (default: the bit-serial wXaY of the types, "
                  "int16, onednn-f32, "
                  "onednn-u8s8)");
  cmd->add_option("--threads", opt->threads, "threads of every implementation and of the bound")
      ->capture_default_str();
  cmd->add_option("--model", opt->model,
                  "machine model JSON to use (default: the stored one, probed with --quick "
                  "settings if missing)");
  cmd->add_flag("--bound-only", opt->bound_only,
                "print the bounds without running any implementation");
  cmd->add_option("--min-seconds", opt->min_seconds,
                  "each implementation is timed at least this long")
      ->capture_default_str();
  cmd->add_option("--min-repeats", opt->min_repeats, "and at least this many runs")
      ->capture_default_str();
  cmd->callback([opt] { run_analyze(*opt); });
}

}  // namespace bitforge::cli
