#include "tune/measure_worker.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "codegen/codegen.hpp"
#include "core/error.hpp"

namespace bitforge::tune_detail {

namespace {
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

WorkerResult measure_one(const TuningTask& task, const Config& config, const TrialOperands& ops,
                         const MeasureOptions& opt) {
  WorkerResult r;
  if (opt.before_trial) opt.before_trial(config);
  std::shared_ptr<const Kernel> kernel;
  try {
    kernel = compile_kernel(task.workload, config, task.target);
  } catch (const std::exception& e) {
    r.error = TrialError::Compile;
    r.detail = e.what();
    return r;
  }
  const Tensor prepared = kernel->prepare(ops.weight);
  // The first run goes through the checked path and is compared with the reference: a
  // fast wrong kernel must never become the best config.
  Tensor first = kernel->run(ops.input, prepared, ops.params);
  if (opt.after_first_run) opt.after_first_run(config, first);
  if (std::string why = output_mismatch(first, ops.expected); !why.empty()) {
    r.error = TrialError::WrongResult;
    r.detail = why;
    return r;
  }

  const Tensor input = ops.input.dtype() == kernel->input_dtype() ? ops.input : ops.input.astype(kernel->input_dtype());
  Tensor output(first.dtype(), first.shape());
  auto run = [&] { kernel->run_unchecked(input, prepared, ops.params, output); };
  // Warm-up (caches, page faults of the output, the thread pool), then one timed run to
  // size the batches: each repeat times `number` back-to-back runs, so a microsecond
  // kernel is not measured at the clock's resolution, and the repeats together last at
  // least min_seconds.
  run();
  auto t0 = Clock::now();
  run();
  const double single = std::max(seconds_since(t0), 1e-9);
  const int repeats_wanted = std::max(opt.min_repeats, 1);
  const double per_repeat = opt.min_seconds / repeats_wanted;
  const std::int64_t number =
      std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(per_repeat / single)), 1, 1'000'000);
  double total = 0;
  while (static_cast<int>(r.costs.size()) < repeats_wanted || total < opt.min_seconds) {
    t0 = Clock::now();
    for (std::int64_t i = 0; i < number; ++i) run();
    const double elapsed = seconds_since(t0);
    total += elapsed;
    r.costs.push_back(elapsed / static_cast<double>(number));
  }
  return r;
}
}  // namespace

std::string worker_result_line(std::size_t index, const WorkerResult& r) {
  nlohmann::json j;
  j["index"] = index;
  j["costs"] = r.costs;
  j["error"] = trial_error_name(r.error);
  j["detail"] = r.detail;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

WorkerResult parse_worker_result_line(const std::string& line, std::size_t* index) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("index") || !j.contains("costs") || !j.contains("error") ||
      !j.contains("detail"))
    fail("malformed worker result line '{}'", line);
  WorkerResult r;
  *index = j["index"].get<std::size_t>();
  r.costs = j["costs"].get<std::vector<double>>();
  r.error = parse_trial_error(j["error"].get<std::string>());
  r.detail = j["detail"].get<std::string>();
  return r;
}

void run_worker(const TuningTask& task, const std::vector<Config>& configs, const std::vector<std::size_t>& order,
                std::size_t from, const TrialOperands& operands, const MeasureOptions& options, int out_fd) {
  int status = 0;
  try {
    for (std::size_t k = from; k < order.size(); ++k) {
      WorkerResult r;
      try {
        r = measure_one(task, configs[order[k]], operands, options);
      } catch (const std::exception& e) {
        // A kernel that compiled but failed while running (e.g. a Halide runtime error).
        r.error = TrialError::Crash;
        r.detail = std::string("error while running: ") + e.what();
      }
      std::string line = worker_result_line(order[k], r);
      line.push_back('\n');
      for (std::size_t done = 0; done < line.size();) {
        const ssize_t n = ::write(out_fd, line.data() + done, line.size() - done);
        if (n <= 0) ::_exit(4);  // the parent is gone
        done += static_cast<std::size_t>(n);
      }
      // After a failed compilation the compiler's state is not trusted: the next config
      // gets a fresh worker.
      if (r.error == TrialError::Compile) break;
    }
  } catch (...) {
    status = 3;
  }
  // _exit: the forked copy must not run the parent's atexit handlers or flush its stdio.
  ::_exit(status);
}

}  // namespace bitforge::tune_detail
