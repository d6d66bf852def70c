#include "roofline/probes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <memory>
#include <tuple>

#include "core/error.hpp"
#include "core/random.hpp"
#include "core/utc_time.hpp"
#include "roofline/host_info.hpp"
#include "roofline/probe_kernels.hpp"

namespace bitforge::roofline {

using namespace detail;

namespace {
constexpr std::int64_t KiB = 1 << 10, MiB = 1 << 20, GiB = std::int64_t{1} << 30;

// Every kernel result is added here, so no probe's work is dead code.
std::atomic<std::uint64_t> g_sink{0};

struct Settings {
  double seconds = 0.002;
  int repeats = 50;
  double warmup = 0.2;
};

std::string size_name(std::int64_t bytes) {
  if (bytes >= GiB && bytes % GiB == 0) return fmt::format("{} GiB", bytes / GiB);
  if (bytes >= MiB && bytes % MiB == 0) return fmt::format("{} MiB", bytes / MiB);
  if (bytes >= MiB) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / MiB);
  return fmt::format("{} KiB", bytes / KiB);
}

// The operands of the compute kernels (probe_kernels.hpp's layout), the same on every run.
void fill_operands(std::uint8_t* p) {
  SplitMix64 rng(0x726f6f666c696e65);  // "roofline"
  for (std::int64_t i = 0; i < 4096; ++i) p[i] = static_cast<std::uint8_t>(rng.next());
  float* f = reinterpret_cast<float*>(p + 4096);
  for (std::int64_t i = 0; i < (kOperandBytes - 4096) / 4; ++i)
    f[i] = 0.5f + 0.5f * static_cast<float>(rng.unit());
}

// The count (a multiple of `granule`) for which one run lasts about `seconds`: doubled
// from `granule` until a run takes an eighth of that, then scaled. The doubling runs also
// warm the core up.
std::int64_t calibrate(const std::function<void(std::int64_t)>& run, double seconds,
                       std::int64_t granule) {
  for (std::int64_t n = granule;; n *= 2) {
    const double t0 = now_seconds();
    run(n);
    const double t = now_seconds() - t0;
    if (t >= seconds / 8 || n >= (std::int64_t{1} << 40)) {
      const double scaled = static_cast<double>(n) * seconds / std::max(t, 1e-9);
      return std::max<std::int64_t>(granule,
                                    std::llround(scaled / static_cast<double>(granule)) * granule);
    }
  }
}

// Keeps every core busy for `seconds` so that its clock has ramped up before measuring.
void warm_up(const std::vector<int>& cpus, double seconds) {
  best_rate(
      cpus, 1, [](int) {},
      [&](int) {
        const double end = now_seconds() + seconds;
        while (now_seconds() < end) g_sink += clock_kernel(1000);
        return 0.0;
      });
}

double measure_clock_ghz(int cpu, const Settings& s) {
  std::int64_t iters = 0;
  const double adds_per_second = best_rate(
      {cpu}, s.repeats,
      [&](int) {
        iters = calibrate([](std::int64_t n) { g_sink += clock_kernel(n); }, s.seconds, 64);
      },
      [&](int) {
        g_sink += clock_kernel(iters);
        return static_cast<double>(iters) * kClockAddsPerIter;
      });
  return adds_per_second / 1e9;
}

ComputePeak measure_compute(const ComputeProbe& probe, const std::vector<int>& cpus,
                            const Settings& s) {
  std::vector<std::unique_ptr<Buffer>> operands(cpus.size());
  std::int64_t iters = 0;  // calibrated on the one-core run, reused by the all-cores run
  auto setup = [&](int t) {
    auto& buf = operands[static_cast<std::size_t>(t)];
    buf = std::make_unique<Buffer>(kOperandBytes);
    fill_operands(buf->data());
    if (iters == 0)
      iters =
          calibrate([&](std::int64_t n) { g_sink += probe.kernel(buf->data(), n); }, s.seconds, 64);
  };
  auto run = [&](int t) {
    g_sink += probe.kernel(operands[static_cast<std::size_t>(t)]->data(), iters);
    return static_cast<double>(iters) * probe.ops_per_iter;
  };
  ComputePeak peak{probe.name, probe.instruction, probe.isa, 0, 0};
  peak.gops_one_core = best_rate({cpus[0]}, s.repeats, setup, run) / 1e9;
  peak.gops_all_cores =
      cpus.size() > 1 ? best_rate(cpus, s.repeats, setup, run) / 1e9 : peak.gops_one_core;
  return peak;
}

std::int64_t round_down(std::int64_t x, std::int64_t granule) {
  return std::max(granule, x / granule * granule);
}

// A level to probe: its name, capacity and buffer; the rates are measured later.
MemoryLevel planned(const char* name, std::int64_t bytes_per_core, int shared_by, std::int64_t buffer_bytes) {
  MemoryLevel m;
  m.name = name;
  m.bytes_per_core = bytes_per_core;
  m.shared_by = shared_by;
  m.buffer_bytes = buffer_bytes;
  return m;
}

// Which buffer each level is read from and written to (the sizes and their reasons are tabled in
// docs/performance.md).
std::vector<MemoryLevel> plan_levels(const std::vector<CacheLevel>& caches, int threads,
                                     const ProbeOptions& o) {
  std::vector<MemoryLevel> plan;
  auto cache = [&](int level) -> const CacheLevel* {
    for (const CacheLevel& c : caches)
      if (c.level == level) return &c;
    return nullptr;
  };
  const CacheLevel* l1 = cache(1);
  const CacheLevel* l2 = cache(2);
  const CacheLevel* l3 = cache(3);
  MemoryLevel m1 = planned("L1", l1 ? l1->bytes : 32 * KiB, l1 ? l1->shared_by : 1, 0);
  if (!l1) m1.note = "size not in sysfs: 32 KiB assumed";
  m1.buffer_bytes = m1.bytes_per_core / 2;  // half: the stack and the operands need the rest
  plan.push_back(m1);
  std::int64_t last = m1.bytes_per_core;
  if (l2) {
    MemoryLevel m2 = planned("L2", l2->bytes, l2->shared_by, std::max(l2->bytes / 2, 4 * m1.bytes_per_core));
    plan.push_back(m2);
    last = l2->bytes;
  }
  if (l3) {
    // Several times L2 (so L2 hits are rare), but each all-cores thread reads its own
    // buffer, and together they must fit with room to spare.
    const std::int64_t share = l3->bytes / (2 * std::max(1, std::min(l3->shared_by, threads)));
    MemoryLevel m3 = planned("L3", l3->bytes, l3->shared_by, std::min(16 * last, share));
    if (m3.buffer_bytes < 2 * last) {
      m3.buffer_bytes = 2 * last;
      m3.note = fmt::format("L3 per-core share below 2x L2: buffer {} partly from L2 or DRAM",
                            size_name(2 * last));
    }
    plan.push_back(m3);
    last = l3->bytes;
  }
  // DRAM: twice the last level, so a cyclic read misses it every time; memory and the
  // quick mode cap it.
  MemoryLevel dram = planned("DRAM", 0, 0, std::max(2 * last, 256 * MiB));
  dram.buffer_bytes = std::min(dram.buffer_bytes, o.quick ? 1 * GiB : 8 * GiB);
  if (const std::int64_t avail = available_memory_bytes(); avail > 0)
    dram.buffer_bytes = std::min(dram.buffer_bytes, avail / 4);
  plan.push_back(dram);
  for (MemoryLevel& m : plan) {
    if (o.max_buffer_bytes > 0) m.buffer_bytes = std::min(m.buffer_bytes, o.max_buffer_bytes);
    // The read kernel takes multiples of kReadChunk; the DRAM buffer is read in MiB pieces
    // of each thread's part.
    m.buffer_bytes =
        round_down(m.buffer_bytes, m.name == "DRAM" ? MiB * std::max(threads, 1) : kReadChunk);
  }
  if (plan.back().buffer_bytes <= last)
    plan.back().note = fmt::format(
        "buffer {} not larger than {} ({}): this is a cache number, not DRAM",
        size_name(plan.back().buffer_bytes), plan[plan.size() - 2].name, size_name(last));
  return plan;
}

// A thread's part of the DRAM buffer and where its next read starts.
struct DramStream {
  std::uint8_t* begin = nullptr;
  std::int64_t size = 0;
  std::int64_t cursor = 0;
};

// One pass of a bandwidth probe over `bytes` of a buffer, `passes` times: a read or a
// write kernel.
using Traverse = std::function<void(std::uint8_t* buffer, std::int64_t bytes, std::int64_t passes)>;

// Traverses `bytes` of the stream from its cursor on, wrapping around. The buffer is twice
// the last cache, so what a run touches was last touched a whole cache-size of traffic ago:
// it comes from DRAM, and a run can be as short as the cache probes' runs.
void traverse_wrapping(const Traverse& traverse, DramStream& s, std::int64_t bytes) {
  while (bytes > 0) {
    const std::int64_t len = std::min(bytes, s.size - s.cursor);
    traverse(s.begin + s.cursor, len, 1);
    s.cursor = (s.cursor + len) % s.size;
    bytes -= len;
  }
}

// The level's bandwidth for `traverse`, GB/s on one core and on all of `cpus`.
std::pair<double, double> measure_level(const MemoryLevel& level, const Traverse& traverse,
                                        const std::vector<int>& cpus, const Settings& s) {
  const auto n = static_cast<std::int64_t>(cpus.size());
  std::int64_t count = 0;  // calibrated on the one-core run, reused by the all-cores run
  double rates[2] = {0, 0};
  if (level.name != "DRAM") {
    // A cache: each thread traverses its own buffer, allocated and touched by that thread,
    // `count` times over.
    std::vector<std::unique_ptr<Buffer>> own(cpus.size());
    auto setup = [&](int t) {
      auto& buf = own[static_cast<std::size_t>(t)];
      buf = std::make_unique<Buffer>(level.buffer_bytes);
      if (count == 0)
        count = calibrate([&](std::int64_t p) { traverse(buf->data(), buf->size(), p); }, s.seconds, 1);
    };
    auto run = [&](int t) {
      traverse(own[static_cast<std::size_t>(t)]->data(), level.buffer_bytes, count);
      return static_cast<double>(level.buffer_bytes) * static_cast<double>(count);
    };
    rates[0] = best_rate({cpus[0]}, s.repeats, setup, run);
    if (n > 1) rates[1] = best_rate(cpus, s.repeats, setup, run);
  } else {
    // DRAM: one buffer, split among the all-cores threads; `count` MiB per run.
    constexpr std::int64_t kUnit = MiB;
    Buffer buffer(level.buffer_bytes, /*huge_pages=*/false);
    std::vector<DramStream> streams(cpus.size());
    auto setup_for = [&](std::int64_t parts) {
      return [&, parts](int t) {
        const std::int64_t size = level.buffer_bytes / parts / kUnit * kUnit;
        streams[static_cast<std::size_t>(t)] = {buffer.data() + t * size, size, 0};
        if (count == 0)
          count = calibrate([&](std::int64_t units) { traverse_wrapping(traverse, streams[0], units * kUnit); },
                            s.seconds, 1);
      };
    };
    auto run = [&](int t) {
      traverse_wrapping(traverse, streams[static_cast<std::size_t>(t)], count * kUnit);
      return static_cast<double>(count * kUnit);
    };
    rates[0] = best_rate({cpus[0]}, s.repeats, setup_for(1), run);
    if (n > 1) rates[1] = best_rate(cpus, s.repeats, setup_for(n), run);
  }
  return {rates[0] / 1e9, (n > 1 ? rates[1] : rates[0]) / 1e9};
}
}  // namespace

std::vector<std::string> model_flags(const CpuFeatures& f) {
  std::vector<std::string> flags;
  auto add = [&](bool on, const char* name) {
    if (on) flags.emplace_back(name);
  };
  add(f.popcnt, "popcnt");
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512vpopcntdq, "avx512vpopcntdq");
  add(f.avx512vnni, "avx512vnni");
  add(f.avx512bitalg, "avx512bitalg");
  add(f.neon, "neon");
  add(f.dotprod, "dotprod");
  add(f.isa_level() == "avx512" && cpu_has_amx_int8(), "amx_int8");
  return flags;
}

MachineModel probe_machine(const ProbeOptions& options) {
  const CpuFeatures features = host_cpu_features();
  Settings s{options.seconds_per_probe, options.repeats, 0.2};
  if (options.quick) s = {s.seconds, std::min(s.repeats, 10), 0.05};
  if (s.seconds <= 0 || s.repeats < 1)
    fail("probe time {} s x {} repeats: both must be positive", s.seconds, s.repeats);

  const CpuOrder order = cpus_by_core();
  const int threads = options.threads > 0 ? options.threads : order.cores;
  if (threads > static_cast<int>(order.cpus.size()))
    fail("--threads {} is more than the {} CPUs this process may run on", threads,
         order.cpus.size());
  const std::vector<int> cpus(order.cpus.begin(), order.cpus.begin() + threads);
  auto progress = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };

  MachineModel m;
  m.cpu = features.brand;
  m.isa_level = features.isa_level();
  m.flags = model_flags(features);
  m.cores = threads;
  m.measured_at = utc_timestamp();
  m.quick = options.quick;

  warm_up(cpus, s.warmup);
  m.clock_ghz = measure_clock_ghz(cpus[0], s);
  progress(fmt::format("clock {:.2f} GHz", m.clock_ghz));

  // AMX needs the OS's permission first; an avx512 cap or lower leaves it out.
  const bool amx = features.isa_level() == "avx512" && request_amx_permission();
  for (const ComputeProbe& probe : compute_probes(features, amx)) {
    m.compute.push_back(measure_compute(probe, cpus, s));
    const ComputePeak& p = m.compute.back();
    progress(fmt::format("{:<24} {:>9.1f} GOP/s one core {:>9.1f} all cores", p.name,
                         p.gops_one_core, p.gops_all_cores));
  }

  const ReadProbe read = read_probe(features);
  const WriteProbe write = write_probe(features);
  if (read.kernel != nullptr && write.kernel != nullptr) {
    const Traverse reads = [&](std::uint8_t* b, std::int64_t bytes, std::int64_t passes) {
      g_sink += read.kernel(b, bytes, passes);
    };
    const Traverse writes = [&](std::uint8_t* b, std::int64_t bytes, std::int64_t passes) {
      g_sink += write.kernel(b, bytes, passes);
    };
    for (MemoryLevel level : plan_levels(data_caches(), threads, options)) {
      std::tie(level.read_gbps_one_core, level.read_gbps_all_cores) = measure_level(level, reads, cpus, s);
      std::tie(level.write_gbps_one_core, level.write_gbps_all_cores) = measure_level(level, writes, cpus, s);
      m.memory.push_back(level);
      progress(fmt::format("{:<24} {:>9.1f} GB/s read, {:>9.1f} write one core; {:>9.1f} read, {:>9.1f} write all cores",
                           level.name, level.read_gbps_one_core, level.write_gbps_one_core,
                           level.read_gbps_all_cores, level.write_gbps_all_cores));
    }
  }
  return m;
}

}  // namespace bitforge::roofline
