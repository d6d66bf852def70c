// The generated implementations: a JIT kernel with the dispatched config, its weights
// prepared once, and its input already in the kernel's input dtype, so the timed call is
// the kernel's run_unchecked alone.
#include "bench/generated_conv.hpp"

#include <fmt/ranges.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include "bench/conv_support.hpp"
#include "codegen/codegen.hpp"
#include "core/error.hpp"
#include "tune/dispatch.hpp"

namespace bitforge::bench::detail {

namespace {

// Halide starts its thread pool once per process, at the first parallel loop any kernel
// runs, with HL_NUM_THREADS threads; there is no JIT call to change it afterwards.
void use_halide_threads(int threads) {
  static std::mutex mutex;
  static int chosen = 0;
  std::lock_guard lock(mutex);
  if (chosen == 0) {
    ::setenv("HL_NUM_THREADS", std::to_string(threads).c_str(), 1);
    chosen = threads;
  } else if (chosen != threads) {
    fail(
        "generated kernels already run on {} thread(s) in this process; Halide sets its thread "
        "count once per "
        "process (asked for {})",
        chosen, threads);
  }
}

// The tuning logs and shipped records, read once per process per list of logs (a bench
// prepares dozens of kernels); a malformed line is reported once.
const std::vector<TrialRecord>& records_for(const PrepareOptions& options) {
  static std::mutex mutex;
  static std::map<std::pair<std::vector<std::string>, bool>, std::vector<TrialRecord>> cache;
  std::lock_guard lock(mutex);
  const auto key = std::make_pair(options.logs, options.use_tophub);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  std::vector<std::string> paths = options.logs;
  if (options.use_tophub)
    for (std::string& f : tophub_files()) paths.push_back(std::move(f));
  LoadedRecords loaded = load_records(paths);
  for (const std::string& why : loaded.skipped)
    std::cerr << "bitforge: warning: " << why << " (line skipped)\n";
  return cache.emplace(key, std::move(loaded.records)).first->second;
}

struct Choice {
  Conv2d wl;  // in the layouts the kernel runs in
  Config config;
  std::optional<TrialRecord> record;
};

// The layer's own layouts first: the suites' records are for them. Other layouts only
// when a record exists for them and none for the layer's own. Records measured on
// `threads` threads first (best_record).
Choice choose_config(const Conv2d& wl, const CodegenTarget& target, int threads, const PrepareOptions& options) {
  const std::vector<TrialRecord>& records = records_for(options);
  std::vector<Conv2d> candidates{wl};
  for (ActLayout a : {ActLayout::NCHW, ActLayout::NHWC})
    for (WgtLayout w : {WgtLayout::OIHW, WgtLayout::HWIO}) {
      if (a == wl.layout && w == wl.weight_layout) continue;
      Conv2d c = wl;
      c.layout = a;
      c.weight_layout = w;
      candidates.push_back(c);
    }
  for (const Conv2d& c : candidates)
    if (auto r = best_record(records, c.key(), target, schedule_space(c, target), threads))
      return {c, r->config, r};

  // Warned for bit-serial layers only: nobody tunes the int16 comparison (it runs its
  // default config by design), while an untuned bit-serial layer misrepresents bitforge.
  // Either way the report's detail column says which config ran.
  static std::mutex mutex;
  static std::set<std::string> warned;
  std::lock_guard lock(mutex);
  if (wl.family() == OpFamily::BitSerial && warned.insert(wl.key() + '\n' + target.halide).second)
    std::cerr << "bitforge: warning: no tuning record for " << wl.key() << " on " << target.name
              << " (" << target.halide << "); using the default config\n";
  return {wl, schedule_space(wl, target).default_config(), std::nullopt};
}

class GeneratedConv final : public PreparedConv {
 public:
  GeneratedConv(std::string impl, const Conv2d& wl, int threads, const PrepareOptions& options)
      : impl_(std::move(impl)) {
    use_halide_threads(threads);
    const CodegenTarget target = resolve_target("host");
    Choice choice = choose_config(wl, target, threads, options);
    wl_ = choice.wl;
    workload_ = wl_;
    tuned_ = choice.record.has_value();
    if (tuned_ && choice.record->threads != threads) tuned_on_threads_ = choice.record->threads;
    if (tuned_ && choice.record->cpu != detect_cpu_features().cpu_name())
      tuned_on_cpu_ = choice.record->cpu.empty() ? "a CPU not recorded" : choice.record->cpu;
    // A record tuned on fewer threads, or the default config (as if tuned on one), is
    // adapted to this run's threads (the detail says so).
    const Config adapted =
        adapt_to_threads(choice.config, schedule_space(wl_, target), tuned_ ? choice.record->threads : 1, threads);
    parallelized_ = adapted != choice.config;
    choice.config = adapted;
    kernel_ = compile_kernel(workload_, choice.config, target);

    const std::shared_ptr<const CheckOperands> ops = check_operands(wl_);
    input_ = ops->input.astype(kernel_->input_dtype()).contiguous();
    prepared_ = kernel_->prepare(ops->weight);
    output_ = Tensor(wl_.output_dtype(), wl_.output_shape());
    run();
    check_output(impl_, wl_, output_, ops->expected);
  }

  const std::string& implementation() const override { return impl_; }
  const Workload& workload() const override { return workload_; }
  std::string detail() const override {
    // int16 says how many bits its operands use: the comparison depends on it.
    const std::string types =
        wl_.family() == OpFamily::Int16
            ? fmt::format("{} x {} as int16, ", wl_.act.name(), wl_.wgt.name())
            : "";
    // Where the record was measured, when not under this run's conditions.
    std::vector<std::string> elsewhere;
    if (tuned_on_threads_) elsewhere.push_back(fmt::format("{} thread{}", tuned_on_threads_, tuned_on_threads_ == 1 ? "" : "s"));
    if (!tuned_on_cpu_.empty()) elsewhere.push_back(tuned_on_cpu_);
    return fmt::format("{}{}, {}{}", types, kernel_->name(),
                       !tuned_              ? "default config (no record)"
                       : elsewhere.empty() ? "tuned config"
                                           : fmt::format("tuned config (on {})", fmt::join(elsewhere, ", ")),
                       parallelized_ ? " with parallel=pixels" : "");
  }
  roofline::ImplKind kind() const override {
    return wl_.family() == OpFamily::BitSerial ? roofline::ImplKind::BitSerial
                                               : roofline::ImplKind::Int16;
  }
  void run() override { kernel_->run_unchecked(input_, prepared_, {}, output_); }

 private:
  std::string impl_;
  Conv2d wl_;
  Workload workload_;
  bool tuned_ = false;
  int tuned_on_threads_ = 0;   // the record's thread count when it is not the run's, else 0
  std::string tuned_on_cpu_;   // the record's CPU when it is not this one, else ""
  bool parallelized_ = false;  // a record's parallel=none replaced for --threads > 1
  std::shared_ptr<const Kernel> kernel_;
  Tensor input_, prepared_, output_;
};

}  // namespace

std::unique_ptr<PreparedConv> prepare_generated_conv(const std::string& implementation,
                                                     const Conv2d& wl, int threads,
                                                     const PrepareOptions& options) {
  return std::make_unique<GeneratedConv>(implementation, wl, threads, options);
}

}  // namespace bitforge::bench::detail
