// A benchmark run: layer by layer, prepare every implementation (each checks itself
// against the reference), time them interleaved, and bound each by the roofline.
#include "bench/bench_run.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "bench/onednn_conv.hpp"
#include "codegen/target.hpp"
#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "ops/suites.hpp"
#include "roofline/bounds.hpp"
#include "tune/records.hpp"

namespace bitforge::bench {

namespace {

// The suite's convolutions; its dense layers are not timed (implementations are
// convolutions), so `skipped` counts them.
std::vector<SuiteEntry> suite_convolutions(const std::string& suite, int* skipped = nullptr) {
  // Operand types do not matter here: only the shapes are used.
  std::vector<SuiteEntry> entries =
      load_suite(suite, OperandType::parse("u1"), OperandType::parse("b1"));
  const auto dense = std::erase_if(
      entries, [](const SuiteEntry& e) { return !std::holds_alternative<Conv2d>(e.workload); });
  if (skipped) *skipped = static_cast<int>(dense);
  return entries;
}

std::vector<SuiteEntry> chosen_layers(const BenchOptions& o, int* skipped = nullptr) {
  std::vector<SuiteEntry> entries = suite_convolutions(o.suite, skipped);
  if (entries.empty()) fail("suite '{}' has no convolution to time", o.suite);
  if (o.names.empty()) return entries;
  std::vector<std::string> all;
  for (const SuiteEntry& e : entries) all.push_back(e.name);
  for (const std::string& name : o.names)
    if (std::find(all.begin(), all.end(), name) == all.end())
      fail("suite '{}' has no convolution '{}' (allowed: {})", o.suite, name, fmt::join(all, ", "));
  std::erase_if(entries, [&](const SuiteEntry& e) {
    return std::find(o.names.begin(), o.names.end(), e.name) == o.names.end();
  });
  return entries;
}

double geomean(const std::vector<double>& v) {
  double log_sum = 0;
  for (double x : v) log_sum += std::log(x);
  return std::exp(log_sum / static_cast<double>(v.size()));
}

}  // namespace

void validate_bench_options(const BenchOptions& o) {
  if (o.implementations.empty())
    fail("no implementation to time (allowed: {})", fmt::join(default_implementations(), ", "));
  std::set<std::string> seen;
  for (const std::string& impl : o.implementations) {
    check_implementation_name(impl);
    if (!seen.insert(impl).second) fail("implementation '{}' is given twice", impl);
  }
  std::set<std::string> names;
  for (const std::string& name : o.names)
    if (!names.insert(name).second) fail("layer '{}' is given twice", name);
  if (o.threads < 1 || o.threads > 256)
    fail("thread count {} is out of range (allowed: 1 to 256)", o.threads);
  if (!(o.min_seconds >= 0) || o.min_seconds > 60)
    fail("minimum measured duration {} s is out of range (allowed: 0 to 60 seconds)",
         o.min_seconds);
  if (o.min_repeats < 1 || o.min_repeats > 100000)
    fail("minimum repeats {} is out of range (allowed: 1 to 100000)", o.min_repeats);
  chosen_layers(o);  // the suite and the layer names
  // An unreadable tuning log now rather than at the first generated kernel.
  if (!o.prepare.logs.empty()) load_records(o.prepare.logs);
}

const Measurement* BenchResult::find(const std::string& layer,
                                     const std::string& implementation) const {
  for (const Measurement& m : rows)
    if (m.layer == layer && m.implementation == implementation) return &m;
  return nullptr;
}

BenchResult run_bench(const BenchOptions& options, const roofline::MachineModel& machine) {
  validate_bench_options(options);
  BenchResult result;
  result.options = options;
  int dense_skipped = 0;
  const std::vector<SuiteEntry> layers = chosen_layers(options, &dense_skipped);
  if (dense_skipped > 0 && options.names.empty())
    result.notes.push_back(
        fmt::format("suite {}: its {} dense workloads are not timed (bench times convolutions)",
                    options.suite, dense_skipped));

  const CodegenTarget host = resolve_target("host");
  result.host_isa = host.isa;
  result.onednn_above_avx2 = onednn_above_avx2();
  result.cpu = machine.cpu;
  result.target = host.name;
  result.halide = host.halide;
  result.onednn = fmt::format("oneDNN {} ({})", onednn_version(), onednn_isa());

  std::set<std::string> bound_failures;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t li = 0; li < layers.size(); ++li) {
    const SuiteEntry& entry = layers[li];
    const Conv2d& shape = std::get<Conv2d>(entry.workload);
    result.layers.push_back(entry.name);
    std::vector<std::unique_ptr<PreparedConv>> prepared;
    std::vector<PreparedConv*> convs;
    for (const std::string& impl : options.implementations) {
      prepared.push_back(prepare_conv(impl, shape, options.threads, options.prepare));
      convs.push_back(prepared.back().get());
    }
    const std::vector<Timing> timings =
        time_interleaved(convs, options.min_seconds, options.min_repeats);

    std::string line = fmt::format("bench: {} ({}/{}):", entry.name, li + 1, layers.size());
    for (std::size_t i = 0; i < convs.size(); ++i) {
      const PreparedConv& c = *convs[i];
      Measurement m;
      m.layer = entry.name;
      m.implementation = c.implementation();
      m.key = workload_key(c.workload());
      m.detail = c.detail();
      m.timing = timings[i];
      m.ops = 2.0 * static_cast<double>(workload_macs(c.workload()));
      try {
        const roofline::Bound b = roofline::bound(c.workload(), c.kind(), machine, options.threads);
        m.bound_seconds = b.best_seconds;
        m.roofline_pct = 100.0 * b.best_seconds / m.timing.min_seconds;
      } catch (const Error& e) {
        if (bound_failures.insert(std::string(roofline::impl_kind_name(c.kind()))).second)
          result.notes.push_back(
              fmt::format("no roofline for {}: {}", roofline::impl_kind_name(c.kind()), e.what()));
      }
      line += fmt::format(" {} {:.3f} ms,", m.implementation, m.timing.min_seconds * 1e3);
      result.rows.push_back(std::move(m));
    }
    line += fmt::format(
        " {:.0f} s so far",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (options.progress) options.progress(line);
  }
  // Above 100% the model's limits are below what this machine just did: it was measured
  // under load or in quick mode. Said once, so no one reads such a percentage as real.
  const auto over = std::count_if(result.rows.begin(), result.rows.end(), [](const Measurement& m) {
    return m.roofline_pct && *m.roofline_pct > 100;
  });
  if (over > 0)
    result.notes.push_back(fmt::format(
        "{} measurement{} beat the machine model's bound (roofline > 100%): the model "
        "underestimates this machine "
        "({}); `bitforge roofline` measures it again, longer",
        over, over == 1 ? "" : "s",
        machine.quick ? "it was measured in quick mode" : "perhaps it was measured under load"));
  return result;
}

std::vector<ImplSummary> summarize(const BenchResult& r) {
  std::vector<ImplSummary> out;
  for (const std::string& impl : r.options.implementations) {
    ImplSummary s;
    s.implementation = impl;
    std::vector<double> gops, over_f32, over_u8s8, pct, ceil_f32, ceil_u8s8;
    bool all_pct = true;
    for (const std::string& layer : r.layers) {
      const Measurement* m = r.find(layer, impl);
      if (!m) continue;
      ++s.layers;
      gops.push_back(m->gops());
      if (const Measurement* b = r.find(layer, "onednn-f32"); b && impl != "onednn-f32") {
        over_f32.push_back(b->timing.min_seconds / m->timing.min_seconds);
        if (m->bound_seconds) ceil_f32.push_back(b->timing.min_seconds / *m->bound_seconds);
      }
      if (const Measurement* b = r.find(layer, "onednn-u8s8"); b && impl != "onednn-u8s8") {
        over_u8s8.push_back(b->timing.min_seconds / m->timing.min_seconds);
        if (m->bound_seconds) ceil_u8s8.push_back(b->timing.min_seconds / *m->bound_seconds);
      }
      if (m->roofline_pct)
        pct.push_back(*m->roofline_pct);
      else
        all_pct = false;
    }
    if (s.layers == 0) continue;
    s.gops = geomean(gops);
    if (!over_f32.empty()) {
      s.speedup_f32 = geomean(over_f32);
      s.min_speedup_f32 = *std::min_element(over_f32.begin(), over_f32.end());
    }
    if (!over_u8s8.empty()) s.speedup_u8s8 = geomean(over_u8s8);
    if (!ceil_f32.empty() && ceil_f32.size() == over_f32.size()) {
      s.ceiling_f32 = geomean(ceil_f32);
      s.ceiling_min_f32 = *std::min_element(ceil_f32.begin(), ceil_f32.end());
    }
    if (!ceil_u8s8.empty() && ceil_u8s8.size() == over_u8s8.size())
      s.ceiling_u8s8 = geomean(ceil_u8s8);
    if (all_pct) s.roofline_pct = geomean(pct);
    out.push_back(s);
  }
  return out;
}

GoalCheck check_goals(const BenchResult& r, const std::vector<ImplSummary>& summaries) {
  GoalCheck check;
  const BenchOptions& o = r.options;
  if (o.suite != "resnet18" || r.layers.size() != 11 || o.threads != 1) {
    check.scope = "not evaluated: the goals are defined on all 11 resnet18 layers at 1 thread";
    return check;
  }
  auto summary = [&](const std::string& impl) -> const ImplSummary* {
    for (const ImplSummary& s : summaries)
      if (s.implementation == impl) return &s;
    return nullptr;
  };
  using Field = std::optional<double> ImplSummary::*;
  auto add = [&](const std::string& impl, const char* what, Field field, Field ceiling,
                 double target, bool percent) {
    const ImplSummary* s = summary(impl);
    if (!s || !(s->*field)) return;  // an implementation or baseline this run did not time
    const std::string text = percent ? fmt::format("{} {} >= {}%", impl, what, target)
                                     : fmt::format("{} {} >= {}x", impl, what, target);
    check.goals.push_back(
        {text, target, *(s->*field), percent, ceiling ? s->*ceiling : std::nullopt});
  };
  const Field none = nullptr;
  if (r.host_isa == "avx512") {
    check.scope = "AVX-512, 1 thread, 11 resnet18 layers";
    add("w1a1", "geomean speedup over onednn-f32", &ImplSummary::speedup_f32,
        &ImplSummary::ceiling_f32, 15, false);
    add("w1a1", "geomean speedup over onednn-u8s8", &ImplSummary::speedup_u8s8,
        &ImplSummary::ceiling_u8s8, 3.5, false);
    add("w1a1", "slowest layer's speedup over onednn-f32", &ImplSummary::min_speedup_f32,
        &ImplSummary::ceiling_min_f32, 8, false);
    add("w1a1", "geomean of % of the roofline", &ImplSummary::roofline_pct, none, 60, true);
    add("w1a2", "geomean speedup over onednn-f32", &ImplSummary::speedup_f32,
        &ImplSummary::ceiling_f32, 8, false);
    add("w2a2", "geomean speedup over onednn-f32", &ImplSummary::speedup_f32,
        &ImplSummary::ceiling_f32, 4, false);
    add("w2a2", "geomean speedup over onednn-u8s8", &ImplSummary::speedup_u8s8,
        &ImplSummary::ceiling_u8s8, 1, false);
  } else if (r.host_isa == "avx2") {
    check.scope =
        r.onednn_above_avx2
            ? "AVX2 (BITFORGE_MAX_ISA), 1 thread, 11 resnet18 layers; but oneDNN is not capped to "
              "AVX2: "
              "set ONEDNN_MAX_CPU_ISA=AVX2 for the goal's comparison"
        : detect_cpu_features().isa_level() == "avx2"
            ? "AVX2 (this CPU's highest level, for bitforge and oneDNN alike), 1 thread, 11 resnet18 layers"
            : "AVX2 (BITFORGE_MAX_ISA and ONEDNN_MAX_CPU_ISA), 1 thread, 11 resnet18 layers";
    add("w1a1", "geomean speedup over onednn-f32", &ImplSummary::speedup_f32,
        &ImplSummary::ceiling_f32, 5, false);
  } else {
    check.scope = fmt::format("not evaluated: the goals are defined for AVX-512 and AVX2, not {}",
                              r.host_isa);
    return check;
  }
  if (check.goals.empty())
    check.scope += "; none evaluated: they need w1a1, w1a2, w2a2 and the oneDNN baselines";
  return check;
}

}  // namespace bitforge::bench
