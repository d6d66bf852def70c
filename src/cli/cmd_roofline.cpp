// `bitforge roofline`: measures this machine's limits (roofline/probes.hpp), prints them as
// a table and stores the machine model that `bitforge analyze` and `bitforge bench` read
// (docs/performance.md).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "cli/commands.hpp"
#include "roofline/machine_model.hpp"
#include "roofline/probes.hpp"

namespace bitforge::cli {

namespace {
struct RooflineOptions {
  int threads = 0;
  std::string json;
  bool quick = false;
};

std::string capacity_name(const roofline::MemoryLevel& l) {
  if (l.bytes_per_core <= 0) return "-";
  const std::int64_t b = l.bytes_per_core;
  const std::string size =
      b >= (1 << 20) ? fmt::format("{} MiB", b >> 20) : fmt::format("{} KiB", b >> 10);
  return l.shared_by > 1 ? fmt::format("{} shared by {}", size, l.shared_by) : size + " per core";
}

std::string buffer_name(std::int64_t b) {
  if (b >= (1 << 20)) return fmt::format("{:.0f} MiB", static_cast<double>(b) / (1 << 20));
  return fmt::format("{} KiB", b >> 10);
}

void print_model(const roofline::MachineModel& m, double seconds) {
  fmt::print("cpu      {}\n", m.cpu);
  fmt::print("isa      {} [{}]\n", m.isa_level, fmt::join(m.flags, " "));
  fmt::print("clock    {:.2f} GHz (a chain of dependent adds, one per cycle)\n", m.clock_ghz);
  fmt::print("cores    {} (all-cores probes: one pinned thread per core, started together)\n",
             m.cores);
  fmt::print("measured {}{} in {:.1f} s\n\n", m.measured_at, m.quick ? " with --quick" : "",
             seconds);

  fmt::print("{:<22} {:<44} {:>10} {:>10}\n", "compute peak", "instruction (inner loop)",
             "one core", "all cores");
  for (const roofline::ComputePeak& p : m.compute)
    fmt::print("{:<22} {:<44} {:>10.1f} {:>10.1f}\n", p.name, p.instruction, p.gops_one_core,
               p.gops_all_cores);
  fmt::print("(GOP/s; one multiply-accumulate = 2 ops, one 64-bit AND+popcount lane = 128)\n\n");

  fmt::print("{:<6} {:<20} {:>14} {:>10} {:>10} {:>10} {:>10}\n", "memory", "capacity", "probe buffer",
             "read 1", "read all", "write 1", "write all");
  for (const roofline::MemoryLevel& l : m.memory)
    fmt::print("{:<6} {:<20} {:>14} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f}\n", l.name, capacity_name(l),
               buffer_name(l.buffer_bytes), l.read_gbps_one_core, l.read_gbps_all_cores, l.write_gbps_one_core,
               l.write_gbps_all_cores);
  fmt::print(
      "(GB/s on one core and on all cores, 1 GB = 1e9 bytes; all cores: each thread its own "
      "buffer, DRAM: one buffer split; writes are plain stores)\n");
  for (const roofline::MemoryLevel& l : m.memory)
    if (!l.note.empty()) fmt::print("note: {}: {}\n", l.name, l.note);
}

void run_roofline(const RooflineOptions& opt) {
  roofline::ProbeOptions probe;
  probe.threads = opt.threads;
  probe.quick = opt.quick;
  // Progress only where someone watches; stdout stays the table alone.
  if (::isatty(2) == 1)
    probe.progress = [](const std::string& line) { fmt::print(stderr, "  {}\n", line); };
  const auto t0 = std::chrono::steady_clock::now();
  const roofline::MachineModel m = roofline::probe_machine(probe);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const std::string path = roofline::default_machine_model_path();
  roofline::save_machine_model(m, path);
  if (!opt.json.empty()) roofline::save_machine_model(m, opt.json);
  print_model(m, seconds);
  fmt::print("\nmachine model written to {}{}\n", path, opt.json.empty() ? "" : " and " + opt.json);
}
}  // namespace

void add_roofline_command(CLI::App& app) {
  auto opt = std::make_shared<RooflineOptions>();
  CLI::App* cmd = app.add_subcommand("roofline",
                                     "measure this machine's peak compute rates and memory "
                                     "bandwidths; store them as the machine model");
  cmd->add_option("--threads", opt->threads,
                  "threads of the all-cores probes (default: one per physical core)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--json", opt->json, "also write the machine model JSON here");
  cmd->add_flag("--quick", opt->quick,
                "short probes (about 2 s; what analyze and bench do when no model is stored)");
  cmd->callback([opt] { run_roofline(*opt); });
}

}  // namespace bitforge::cli
