// The parent side of measurement: forks a worker per run of consecutive configs,
// reads one result line per config with a per-trial deadline, and turns a worker's death
// (any signal), a missed deadline or a compile error into that trial's record, then
// forks a fresh worker for the rest. Fork without exec is deliberate: the worker inherits
// the task, the operands and the reference output (computed once, here) and the test
// seams, with nothing to serialize; it is safe because this process never JIT-compiles.
#include "tune/measure.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.hpp"
#include "core/error.hpp"
#include "tune/measure_worker.hpp"

namespace bitforge {

using tune_detail::WorkerResult;

namespace {
using Clock = std::chrono::steady_clock;

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : fmt::format("signal {}", sig);
}

struct Worker {
  pid_t pid = -1;
  int out_fd = -1;  // result lines
  int err_fd = -1;  // the worker's stderr (a memory file), for a crash's last words
};

Worker spawn_worker(const TuningTask& task, const std::vector<Config>& configs, const std::vector<std::size_t>& order,
                    std::size_t from, const tune_detail::TrialOperands& ops, const MeasureOptions& opt) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail("cannot create a pipe to a measurement worker: {}", std::strerror(errno));
  const int err_fd = ::memfd_create("bitforge-worker-stderr", MFD_CLOEXEC);
  if (err_fd < 0) fail("cannot create the stderr file of a measurement worker: {}", std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) fail("cannot fork a measurement worker: {}", std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    // Die with the tuner: an orphaned worker stuck in a hanging config would run forever.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() == 1) ::_exit(5);
    ::dup2(err_fd, 2);
    const int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);  // the tuner's stdout carries its own report only
    }
    // Read by Halide's thread pool when the worker first runs a parallel loop.
    ::setenv("HL_NUM_THREADS", std::to_string(opt.threads).c_str(), 1);
    tune_detail::run_worker(task, configs, order, from, ops, opt, fds[1]);
  }
  ::close(fds[1]);
  return {pid, fds[0], err_fd};
}

// The worker's last stderr line, if it wrote one (a Halide runtime error, an assertion).
std::string stderr_tail(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) return "";
  const off_t len = std::min<off_t>(st.st_size, 400);
  std::string text(static_cast<std::size_t>(len), '\0');
  if (::pread(fd, text.data(), text.size(), st.st_size - len) != len) return "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (auto nl = text.rfind('\n'); nl != std::string::npos) text = text.substr(nl + 1);
  return text;
}

void close_worker(Worker& w) {
  ::close(w.out_fd);
  ::close(w.err_fd);
  w = {};
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void finish_record(TrialRecord& rec, WorkerResult r) {
  rec.error = r.error;
  rec.detail = std::move(r.detail);
  rec.costs = std::move(r.costs);
  if (rec.ok() && rec.costs.empty()) {  // cannot happen with a sane worker; never a 0 s best
    rec.error = TrialError::Crash;
    rec.detail = "worker reported no costs";
  }
  if (rec.ok()) {
    std::vector<double> sorted = rec.costs;
    std::sort(sorted.begin(), sorted.end());
    rec.min_s = sorted.front();
    const std::size_t n = sorted.size();
    rec.median_s = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    rec.spread = sorted.back() / sorted.front() - 1;
  }
  rec.time = utc_timestamp();
}
}  // namespace

void validate_measure_options(const MeasureOptions& o) {
  if (!(o.min_seconds >= 0) || o.min_seconds > 60)
    fail("minimum measured duration {} s is out of range (allowed: 0 to 60 seconds)", o.min_seconds);
  if (o.min_repeats < 1 || o.min_repeats > 1000)
    fail("minimum repeats {} is out of range (allowed: 1 to 1000)", o.min_repeats);
  if (!(o.timeout_seconds > 0) || o.timeout_seconds > 3600)
    fail("trial timeout {} s is out of range (allowed: more than 0, at most 3600 seconds)", o.timeout_seconds);
  if (o.threads < 1 || o.threads > 256) fail("worker threads {} is out of range (allowed: 1 to 256)", o.threads);
}

std::vector<TrialRecord> measure_trials(const TuningTask& task, const std::vector<Config>& configs,
                                        const MeasureOptions& options) {
  return measure_trials(task, configs, options, nullptr);
}

std::vector<TrialRecord> measure_trials(const TuningTask& task, const std::vector<Config>& configs,
                                        const MeasureOptions& options,
                                        const std::function<void(const TrialRecord&)>& on_trial) {
  auto report = [&](const TrialRecord& r) {
    if (on_trial) on_trial(r);
  };
  validate_measure_options(options);
  std::vector<TrialRecord> records(configs.size());
  std::vector<std::size_t> order;  // the configs a worker runs, in order
  const std::string key = workload_key(task.workload), cpu = detect_cpu_features().cpu_name();
  for (std::size_t i = 0; i < configs.size(); ++i) {
    TrialRecord& rec = records[i];
    rec.key = key;
    rec.target = task.target.name;
    rec.halide = task.target.halide;
    rec.threads = options.threads;
    rec.cpu = cpu;
    rec.config = configs[i];
    rec.version = bitforge_version();
    if (std::string why = task.space.check(configs[i]); !why.empty()) {
      rec.error = TrialError::Invalid;
      rec.detail = why;
      rec.time = utc_timestamp();
      report(rec);
    } else {
      order.push_back(i);
    }
  }
  if (order.empty()) return records;
  if (!task.target.runs_here)
    fail("target '{}' ({}) cannot run on this machine, so it cannot be measured here", task.target.name,
         task.target.halide);
  const auto operands = tune_detail::trial_operands(task.workload);

  std::size_t next = 0;  // position in `order` of the first config without a record
  while (next < order.size()) {
    const std::size_t first = next;
    Worker w = spawn_worker(task, configs, order, next, *operands, options);
    std::string buffer;
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(options.timeout_seconds));
    bool exited = false;
    bool broken = false;  // killed for a malformed answer: the config in flight is not to blame
    while (!exited) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd pfd{w.out_fd, POLLIN, 0};
      const int ready = left > 0 ? ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1 << 30))) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {  // this trial is over time
        ::kill(w.pid, SIGKILL);
        wait_for(w.pid);
        finish_record(records[order[next]],
                      {{}, TrialError::Timeout, fmt::format("no result within {} s", options.timeout_seconds)});
        report(records[order[next]]);
        ++next;
        close_worker(w);
        break;
      }
      char chunk[4096];
      const ssize_t n = ::read(w.out_fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        buffer.append(chunk, static_cast<std::size_t>(n));
        for (std::size_t nl; !broken && (nl = buffer.find('\n')) != std::string::npos;) {
          const std::string line = buffer.substr(0, nl);
          buffer.erase(0, nl + 1);
          std::size_t index = 0;
          WorkerResult r;
          try {
            r = tune_detail::parse_worker_result_line(line, &index);
            if (next >= order.size() || index != order[next]) fail("answer for config {} out of turn", index);
          } catch (const Error& e) {
            // A worker that talks nonsense is broken: the trial in flight fails like a crash.
            ::kill(w.pid, SIGKILL);
            broken = true;
            index = order[next];
            r = {{}, TrialError::Crash, fmt::format("malformed worker result: {}", e.what())};
          }
          finish_record(records[index], std::move(r));
          report(records[index]);
          ++next;
          deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.timeout_seconds));
        }
        continue;
      }
      // End of the pipe: the worker exited or died.
      exited = true;
      const int status = wait_for(w.pid);
      const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (!broken && (!clean || next == first) && next < order.size()) {
        // It died in the middle of configs[order[next]]: that config's trial failed.
        std::string detail = WIFSIGNALED(status) ? signal_name(WTERMSIG(status))
                                                 : fmt::format("worker exited with status {}", WEXITSTATUS(status));
        if (std::string tail = stderr_tail(w.err_fd); !tail.empty()) detail += ": " + tail;
        finish_record(records[order[next]], {{}, TrialError::Crash, detail});
        report(records[order[next]]);
        ++next;
      }
      close_worker(w);
    }
  }
  return records;
}

}  // namespace bitforge
