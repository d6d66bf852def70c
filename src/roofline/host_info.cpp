#include "roofline/host_info.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <barrier>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/error.hpp"

namespace bitforge::roofline::detail {

namespace {
std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// sysfs sizes: "48K", "2048K", "32M".
std::int64_t parse_size(const std::string& s) {
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || v <= 0) return 0;
  switch (*end) {
    case 'K':
      return v << 10;
    case 'M':
      return v << 20;
    case 'G':
      return v << 30;
    default:
      return v;
  }
}

// "0-3,8,10-11" -> 7.
int count_cpu_list(const std::string& s) {
  int n = 0;
  std::size_t at = 0;
  while (at < s.size()) {
    const std::size_t comma = std::min(s.find(',', at), s.size());
    const std::string part = s.substr(at, comma - at);
    const std::size_t dash = part.find('-');
    if (dash == std::string::npos)
      n += part.empty() ? 0 : 1;
    else
      n += std::atoi(part.c_str() + dash + 1) - std::atoi(part.c_str()) + 1;
    at = comma + 1;
  }
  return std::max(n, 1);
}

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  // Best effort: a container may forbid it; the numbers are then only less clean.
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}
}  // namespace

std::vector<CacheLevel> data_caches() {
  std::map<int, CacheLevel> by_level;
  for (int i = 0; i < 16; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string type = read_line(dir + "type");
    if (type.empty()) continue;
    if (type != "Data" && type != "Unified") continue;
    CacheLevel c;
    c.level = std::atoi(read_line(dir + "level").c_str());
    c.bytes = parse_size(read_line(dir + "size"));
    c.shared_by = count_cpu_list(read_line(dir + "shared_cpu_list"));
    if (c.level > 0 && c.bytes > 0) by_level[c.level] = c;
  }
  std::vector<CacheLevel> out;
  for (const auto& [level, c] : by_level) out.push_back(c);
  return out;
}

CpuOrder cpus_by_core() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return {{0}, 1};
  std::vector<int> first, siblings;
  std::set<std::pair<std::string, std::string>> seen;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    const std::string topo = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    const std::string package = read_line(topo + "physical_package_id"),
                      core = read_line(topo + "core_id");
    // Without topology every CPU counts as its own core.
    const bool new_core = core.empty() || seen.insert({package, core}).second;
    (new_core ? first : siblings).push_back(cpu);
  }
  if (first.empty()) return {{0}, 1};
  CpuOrder order{first, static_cast<int>(first.size())};
  order.cpus.insert(order.cpus.end(), siblings.begin(), siblings.end());
  return order;
}

std::int64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long long kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit)
    if (key == "MemAvailable:") return kib * 1024;
  return 0;
}

Buffer::Buffer(std::int64_t bytes, bool huge_pages) : bytes_(bytes) {
  constexpr std::int64_t kHuge = 2 << 20;
  if (bytes >= kHuge) {
    // Over-allocate by one huge page so the buffer can start on a 2 MiB boundary.
    mapped_ = (bytes + 2 * kHuge - 1) / kHuge * kHuge;
    void* p = ::mmap(nullptr, static_cast<std::size_t>(mapped_), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      fail("cannot allocate a {} MiB probe buffer: {}", bytes >> 20, std::strerror(errno));
    auto base = reinterpret_cast<std::uintptr_t>(p);
    data_ = reinterpret_cast<std::uint8_t*>((base + kHuge - 1) / kHuge * kHuge);
    if (huge_pages) ::madvise(data_, static_cast<std::size_t>(bytes), MADV_HUGEPAGE);
    mapped_base_ = p;
  } else {
    data_ = static_cast<std::uint8_t*>(
        std::aligned_alloc(64, static_cast<std::size_t>((bytes + 63) / 64 * 64)));
    if (data_ == nullptr) fail("cannot allocate a {} KiB probe buffer", bytes >> 10);
  }
  std::memset(data_, 0x5a, static_cast<std::size_t>(bytes));
}

Buffer::~Buffer() {
  if (mapped_ > 0)
    ::munmap(mapped_base_, static_cast<std::size_t>(mapped_));
  else
    std::free(data_);
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double best_rate(const std::vector<int>& cpus, int repeats, const std::function<void(int)>& setup,
                 const std::function<double(int)>& run) {
  const int n = static_cast<int>(cpus.size());
  std::vector<double> seconds(static_cast<std::size_t>(n * repeats)), work(seconds.size());
  std::barrier sync(n);
  std::mutex error_mutex;
  std::exception_ptr error;
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      pin_to(cpus[static_cast<std::size_t>(t)]);
      bool ok = true;
      try {
        setup(t);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        ok = false;
      }
      // Every thread goes through every barrier, even after a failure, or the others wait forever.
      for (int r = 0; r < repeats; ++r) {
        sync.arrive_and_wait();
        const double t0 = now_seconds();
        const double w = ok ? run(t) : 0;
        const auto i = static_cast<std::size_t>(r * n + t);
        seconds[i] = now_seconds() - t0;
        work[i] = w;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  if (error) std::rethrow_exception(error);
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    double total = 0, slowest = 0;
    for (int t = 0; t < n; ++t) {
      const auto i = static_cast<std::size_t>(r * n + t);
      total += work[i];
      slowest = std::max(slowest, seconds[i]);
    }
    if (slowest > 0) best = std::max(best, total / slowest);
  }
  return best;
}

}  // namespace bitforge::roofline::detail
