// Implementation names, the operand types each one runs a layer at, the reference check
// every one passes before it is timed, and the timing loops.
#include "bench/implementation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <regex>

#include "bench/conv_support.hpp"
#include "bench/generated_conv.hpp"
#include "bench/onednn_conv.hpp"
#include "core/error.hpp"
#include "tune/measure_operands.hpp"

namespace bitforge::bench {

namespace {

constexpr std::string_view kAllowedNames =
    "wXaY for X, Y in 1..8 (e.g. w1a1, w1a2, w2a2), int16, onednn-f32, onednn-u8s8";

// X (weight bits) and Y (activation bits) of a "wXaY" name; false for any other name.
bool parse_bitserial_name(const std::string& name, int* wgt_bits, int* act_bits) {
  static const std::regex re("w([1-8])a([1-8])");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return false;
  *wgt_bits = std::stoi(m[1]);
  *act_bits = std::stoi(m[2]);
  return true;
}

using Clock = std::chrono::steady_clock;

double time_one(PreparedConv& conv) {
  const auto t0 = Clock::now();
  conv.run();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Timing summarize(std::vector<double> costs) {
  std::sort(costs.begin(), costs.end());
  const std::size_t n = costs.size();
  Timing t;
  t.repeats = static_cast<int>(n);
  t.min_seconds = costs.front();
  t.median_seconds = n % 2 ? costs[n / 2] : (costs[n / 2 - 1] + costs[n / 2]) / 2;
  return t;
}

}  // namespace

std::vector<std::string> default_implementations() {
  return {"w1a1", "w1a2", "w2a2", "int16", "onednn-f32", "onednn-u8s8"};
}

std::vector<std::string> baseline_implementations() {
  return {"onednn-f32", "onednn-u8s8"};
}

void check_implementation_name(const std::string& name) {
  int x = 0, y = 0;
  if (parse_bitserial_name(name, &x, &y) || name == "int16" || name == "onednn-f32" ||
      name == "onednn-u8s8")
    return;
  fail("unknown implementation '{}' (allowed: {})", name, kAllowedNames);
}

namespace detail {

Conv2d typed_workload(const std::string& implementation, const Conv2d& shape) {
  check_implementation_name(implementation);
  Conv2d wl = shape;
  wl.epilogue = Epilogue::accumulator();
  int x = 0, y = 0;
  if (parse_bitserial_name(implementation, &x, &y)) {
    wl.act = OperandType::parse(fmt::format("u{}", y));
    wl.wgt = OperandType::parse(fmt::format("b{}", x));
  } else if (implementation == "onednn-f32") {
    wl.act = wl.wgt = OperandType::parse("f32");
  } else if (implementation == "onednn-u8s8") {
    wl.act = OperandType::parse("u8");
    wl.wgt = OperandType::parse("s8");
  } else {  // int16
    // The shape's own problems first (float32 has no overflow rule), so that the loop
    // below only ever refuses a width for overflow.
    Conv2d f = wl;
    f.act = f.wgt = OperandType::parse("f32");
    f.validate();
    for (int k = 16; k >= 2; --k) {
      wl.act = wl.wgt = OperandType::parse(fmt::format("s{}", k));
      try {
        wl.validate();
        return wl;
      } catch (const Error&) {
      }
    }
    fail("int16 cannot run {}: even s2 x s2 overflows int32 over its reduction", f.key());
  }
  wl.validate();
  return wl;
}

std::shared_ptr<const CheckOperands> check_operands(const Conv2d& wl) {
  // The tuner's trial operands: seeded by the key, reference computed once per process,
  // so a bench checks each layer on the same values a tuning trial of it was checked on.
  const auto trial = tune_detail::trial_operands(wl);
  auto ops = std::make_shared<CheckOperands>();
  ops->input = trial->input;
  ops->weight = trial->weight;
  ops->expected = trial->expected;
  return ops;
}

void check_output(const std::string& implementation, const Conv2d& wl, const Tensor& got,
                  const Tensor& expected) {
  const std::string why = tune_detail::output_mismatch(got, expected);
  if (!why.empty()) fail("{} gives a wrong result on {}: {}", implementation, wl.key(), why);
}

}  // namespace detail

std::unique_ptr<PreparedConv> prepare_conv(const std::string& implementation, const Conv2d& shape,
                                           int threads, const PrepareOptions& options) {
  if (threads < 1 || threads > 256)
    fail("thread count {} is out of range (allowed: 1 to 256)", threads);
  const Conv2d wl = detail::typed_workload(implementation, shape);
  if (implementation.starts_with("onednn-"))
    return prepare_onednn_conv(implementation, wl, threads);
  return detail::prepare_generated_conv(implementation, wl, threads, options);
}

Timing time_runs(PreparedConv& conv, double min_seconds, int min_repeats) {
  PreparedConv* one[] = {&conv};
  return time_interleaved(one, min_seconds, min_repeats).front();
}

std::vector<Timing> time_interleaved(std::span<PreparedConv* const> convs, double min_seconds,
                                     int min_repeats) {
  if (!(min_seconds >= 0) || min_seconds > 60)
    fail("minimum measured duration {} s is out of range (allowed: 0 to 60 seconds)", min_seconds);
  if (min_repeats < 1 || min_repeats > 100000)
    fail("minimum repeats {} is out of range (allowed: 1 to 100000)", min_repeats);
  // About this many rounds: each implementation's burst lasts ~1/kRounds of min_seconds, so
  // every implementation is sampled across the whole measuring period, not in one block.
  constexpr double kRounds = 5;
  const std::size_t n = convs.size();
  std::vector<std::vector<double>> costs(n);
  std::vector<double> spent(n, 0);
  std::vector<int> burst(n, 1);
  // Warm-up (caches, page faults, thread pools), timed only to size the bursts.
  for (std::size_t i = 0; i < n; ++i) {
    const double t = std::max(time_one(*convs[i]), 1e-9);
    burst[i] = static_cast<int>(std::clamp(std::floor(min_seconds / kRounds / t), 1.0, 100000.0));
  }
  for (bool busy = true; busy;) {
    busy = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (spent[i] >= min_seconds && static_cast<int>(costs[i].size()) >= min_repeats) continue;
      busy = true;
      for (int b = 0; b < burst[i]; ++b) {
        const double t = time_one(*convs[i]);
        costs[i].push_back(t);
        spent[i] += t;
      }
    }
  }
  std::vector<Timing> timings;
  for (std::vector<double>& c : costs) timings.push_back(summarize(std::move(c)));
  return timings;
}

}  // namespace bitforge::bench
