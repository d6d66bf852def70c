// bitforge bench (internal): the generated implementations — bit-serial wXaY and int16 —
// compiled for the host with the best recorded config (tune/dispatch), or the default
// config when nobody tuned the layer here.
#pragma once

#include <memory>
#include <string>

#include "bench/implementation.hpp"

namespace bitforge::bench::detail {

// `wl` must already have the implementation's operand types and an accumulator output.
// Runs the layer in its own layouts, unless the tuning records hold a config only for the
// same layer in other layouts (NHWC / HWIO), which it then runs in.
std::unique_ptr<PreparedConv> prepare_generated_conv(const std::string& implementation,
                                                     const Conv2d& wl, int threads,
                                                     const PrepareOptions& options);

}  // namespace bitforge::bench::detail
