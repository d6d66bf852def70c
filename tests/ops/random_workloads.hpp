// Random valid workloads for sweeps: every parameter SEMANTICS §3 defines, with the edge
// values (channels below/at/above a 64-bit word, padding on bipolar operands, groups,
// depthwise, dilation, strides, both layouts) drawn often.
#pragma once

#include "ops/workload.hpp"
#include "test_util.hpp"

namespace bitforge::testing {

inline Encoding random_encoding(Rng& rng) {
  const int k = static_cast<int>(rng.uniform(1, 8));
  return rng.chance(0.5) ? Encoding::unsigned_(k) : Encoding::bipolar(k);
}

// A conv2d with low-bit operands whose cost stays small (a few hundred thousand
// bit-plane MACs at most), so thousands fit in the test budget.
inline Conv2d random_bitserial_conv2d(Rng& rng) {
  static const std::int64_t kChannels[] = {1, 2, 3, 5, 7, 8, 16, 31, 63, 64, 65, 100, 127, 128, 129};
  while (true) {
    Conv2d wl;
    wl.act = OperandType::of(random_encoding(rng));
    wl.wgt = OperandType::of(random_encoding(rng));
    const std::int64_t mode = rng.uniform(0, 9);  // 0: depthwise, 1-2: grouped, else dense
    const std::int64_t cg = mode == 0 ? 1 : rng.pick(kChannels);
    wl.groups = mode == 0 ? rng.uniform(1, 12) : mode <= 2 ? rng.uniform(2, 4) : 1;
    wl.c = cg * wl.groups;
    wl.o = mode == 0 ? wl.groups : wl.groups * rng.uniform(1, 4);
    wl.n = rng.uniform(1, 2);
    wl.kh = rng.uniform(1, 3);
    wl.kw = rng.chance(0.8) ? wl.kh : rng.uniform(1, 3);
    wl.h = rng.uniform(1, 8);
    wl.w = rng.uniform(1, 8);
    wl.stride_h = rng.uniform(1, 3);
    wl.stride_w = rng.chance(0.7) ? wl.stride_h : rng.uniform(1, 3);
    wl.dilation_h = rng.chance(0.75) ? 1 : rng.uniform(2, 3);
    wl.dilation_w = rng.chance(0.75) ? 1 : rng.uniform(2, 3);
    if (rng.chance(0.7)) {
      wl.pad_top = rng.uniform(0, 2);
      wl.pad_left = rng.uniform(0, 2);
      wl.pad_bottom = rng.chance(0.6) ? wl.pad_top : rng.uniform(0, 2);
      wl.pad_right = rng.chance(0.6) ? wl.pad_left : rng.uniform(0, 2);
    }
    wl.layout = rng.chance(0.5) ? ActLayout::NCHW : ActLayout::NHWC;
    wl.weight_layout = rng.chance(0.5) ? WgtLayout::OIHW : WgtLayout::HWIO;
    if (wl.out_h() < 1 || wl.out_w() < 1) continue;
    const std::int64_t cost = wl.macs() * wl.act.bits * wl.wgt.bits;
    if (cost > 400000) continue;
    return wl;
  }
}

// A storage dtype that can hold every level of `t`.
inline DType random_storage(Rng& rng, OperandType t) {
  const std::int64_t m = t.max_abs();
  std::vector<DType> ok = {DType::i32, DType::i16};
  if (t.kind == OperandType::Kind::Unsigned) ok.push_back(DType::u8);
  if (m <= 127) ok.push_back(DType::i8);
  return rng.pick(ok);
}

}  // namespace bitforge::testing
