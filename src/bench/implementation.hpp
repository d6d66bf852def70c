// bitforge bench: implementations of a convolution that `bitforge bench` and
// `bitforge analyze` time side by side.
//
// Names (the --impls values and the CSV's `implementation` column):
//   w1a1, w1a2, w2a2, ... wXaY  generated bit-serial conv, X-bit bipolar weights (bX),
//                               Y-bit unsigned activations (uY), int32 output, the best
//                               shipped/logged config for this machine (tune/dispatch)
//   int16                       generated int16 conv (signed operands stored as int16, as
//                               many bits as the layer's reduction allows without overflow)
//   onednn-f32                  oneDNN float32 convolution, implementation oneDNN picks
//   onednn-u8s8                 oneDNN u8 x s8 -> s32 convolution, implementation oneDNN picks
//                               (activations 0..127 where oneDNN's int8 has no VNNI: it
//                               saturates above, and oneDNN documents the 7-bit rule)
// Every implementation is checked once against the reference on the operands it is timed
// on before it is timed; GOP/s counts 2 x MACs for all of them.
// What it is not: a tuner (tune/) or a model of the machine (roofline/).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ops/workload.hpp"
#include "roofline/bounds.hpp"

namespace bitforge::bench {

// One implementation bound to one workload (shape from the suite; operand types set by
// the implementation), with operands ready: construction compiles / creates the
// primitive, prepares weights and checks one run against the reference.
class PreparedConv {
 public:
  virtual ~PreparedConv() = default;
  virtual const std::string& implementation() const = 0;  // "w1a1", "onednn-f32", ...
  virtual const Workload& workload() const = 0;  // with this implementation's operand types
  // What actually runs: kernel name, or oneDNN's impl_info_str ("brgconv:avx512_core").
  virtual std::string detail() const = 0;
  virtual roofline::ImplKind kind() const = 0;
  // One execution on the prepared operands (the timed call).
  virtual void run() = 0;
};

struct Timing {
  double min_seconds = 0;
  double median_seconds = 0;
  int repeats = 0;
};

// The implementation names accepted by --impls ("wXaY" for X, Y in 1..8 as well).
std::vector<std::string> default_implementations();  // w1a1,w1a2,w2a2,int16,onednn-f32,onednn-u8s8
// Throws Error naming the allowed names for an unknown one.
void check_implementation_name(const std::string& name);
// The baselines that speedups are taken over, in report order: onednn-f32, onednn-u8s8.
std::vector<std::string> baseline_implementations();

// How generated implementations choose their schedule config (tune/dispatch): the best
// successful record for the workload key and the host target among `logs` and, with
// `use_tophub`, the shipped best records; the default config (with a warning) if none.
struct PrepareOptions {
  std::vector<std::string> logs;
  bool use_tophub = true;
};

// `shape` gives the layer (its operand types are ignored). `threads` sets the kernel's
// thread count (Halide / oneDNN's OpenMP). Halide reads its thread count once per process,
// when its thread pool starts: asking for generated kernels at another thread count after
// one has run is an Error.
std::unique_ptr<PreparedConv> prepare_conv(const std::string& implementation, const Conv2d& shape,
                                           int threads, const PrepareOptions& options = {});

// Warm-up, then repeats until both `min_seconds` and `min_repeats`; minimum and median.
Timing time_runs(PreparedConv& conv, double min_seconds = 0.1, int min_repeats = 5);

// The same for several implementations of one layer, timed in interleaved rounds (a burst
// of calls of each in turn, round after round) so that a noisy period of a shared machine
// hits all of them alike and their ratios stay fair. One Timing per conv, in order.
std::vector<Timing> time_interleaved(std::span<PreparedConv* const> convs, double min_seconds = 0.1,
                                     int min_repeats = 5);

}  // namespace bitforge::bench
