// bitforge bench: the oneDNN baselines — float32 and u8 x s8 -> s32 convolutions with the
// implementation oneDNN itself picks for this machine, exactly as a user gets them.
//
// Timed like oneDNN's benchdnn: operands already in the layouts oneDNN chose (memory
// format `any`), so the timed call is the primitive's execute plus the stream wait; the
// reorders of activations and weights into those layouts happen once, before timing.
// What it is not: a way to run oneDNN for anything but comparison (no epilogues, no
// post-ops, no caching of primitives across layers).
#pragma once

#include <memory>
#include <string>

#include "bench/implementation.hpp"

namespace bitforge::bench {

// `wl` must already have the implementation's operand types (f32 x f32 for "onednn-f32",
// u8 x s8 for "onednn-u8s8") and an accumulator output.
std::unique_ptr<PreparedConv> prepare_onednn_conv(const std::string& implementation,
                                                  const Conv2d& wl, int threads);

// "2.6.3" and the ISA oneDNN dispatches to here ("avx512_core_amx", capped by
// ONEDNN_MAX_CPU_ISA), for report headers.
std::string onednn_version();
std::string onednn_isa();
// Whether oneDNN may use instructions beyond AVX2 (AVX-512, AMX) here.
bool onednn_above_avx2();

}  // namespace bitforge::bench
