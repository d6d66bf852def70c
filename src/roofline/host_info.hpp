// bitforge roofline (internal): what Linux says about this machine — cache levels, which
// CPUs to pin probe threads to, free memory — and pinned, synchronized probe threads.
// What it is not: a measurement (probes.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace bitforge::roofline::detail {

struct CacheLevel {
  int level = 0;           // 1, 2, 3
  std::int64_t bytes = 0;  // one instance
  int shared_by = 1;       // CPUs sharing one instance (shared_cpu_list)
};

// Data and unified caches of cpu0 from /sys/devices/system/cpu/cpu0/cache/index*, by level;
// empty where sysfs does not say.
std::vector<CacheLevel> data_caches();

// The CPUs this process may run on, one per physical core first (by package and core id),
// then the remaining hyperthread siblings; `cores` of them are the first ones.
struct CpuOrder {
  std::vector<int> cpus;
  int cores = 1;
};
CpuOrder cpus_by_core();

// MemAvailable from /proc/meminfo (0 if unreadable).
std::int64_t available_memory_bytes();

// A 64-byte aligned buffer, touched (so page faults are not timed later) by the
// constructing thread. With `huge_pages`, one of 2 MiB or more is asked for transparent huge
// pages, so that TLB misses do not make the L3 probe measure page walks. (Not for the DRAM
// buffer: compacting memory for a GiB of huge pages can take seconds, and a stream from DRAM
// barely notices 4 KiB pages.)
class Buffer {
 public:
  explicit Buffer(std::int64_t bytes, bool huge_pages = true);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  std::uint8_t* data() const { return data_; }
  std::int64_t size() const { return bytes_; }

 private:
  std::uint8_t* data_ = nullptr;
  std::int64_t bytes_ = 0;
  void* mapped_base_ = nullptr;  // the mmap'ed region of a large buffer
  std::int64_t mapped_ = 0;
};

// Runs `run(thread)` on one thread pinned to each of `cpus`, `repeats` times, all threads
// starting each repeat together (a barrier). `setup(thread)` runs first on the pinned
// thread, untimed (allocating and touching its buffer, calibrating). `run` returns the
// work it did (ops or bytes). Returns the best repeat's rate: the summed work divided by
// the slowest thread's time, so a straggler cannot inflate the all-cores number.
double best_rate(const std::vector<int>& cpus, int repeats, const std::function<void(int)>& setup,
                 const std::function<double(int)>& run);

// Seconds of a steady clock.
double now_seconds();

}  // namespace bitforge::roofline::detail
