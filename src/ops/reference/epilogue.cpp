// SEMANTICS §4 applied element by element.
#include "core/error.hpp"
#include "ops/reference/reference.hpp"
#include "quant/bitpack.hpp"

namespace bitforge::reference {

namespace {
template <typename Acc, typename F>
Tensor map_channels(const Tensor& acc, int channel_axis, DType out_dtype, F f) {
  Tensor out(out_dtype, acc.shape());
  for_each_index(acc.shape(), [&](std::span<const std::int64_t> idx) {
    f(out, idx, acc.at<Acc>(idx), idx[static_cast<std::size_t>(channel_axis)]);
  });
  return out;
}

template <typename Acc>
Tensor affine(const Tensor& acc, const Epilogue& e, int channel_axis, const EpilogueParams& p) {
  const float* scale = p.scale.contiguous().data<float>();
  const float* bias = p.bias.contiguous().data<float>();
  return map_channels<Acc>(acc, channel_axis, DType::f32, [&](Tensor& out, auto idx, Acc y, std::int64_t o) {
    // Two roundings, multiply then add: -ffp-contract=off keeps this from becoming an FMA.
    float z = static_cast<float>(y) * scale[o];
    z = z + bias[o];
    if (e.activation == Epilogue::Activation::Relu) z = z < 0.0f ? 0.0f : z;
    if (e.activation == Epilogue::Activation::Clip)
      z = z < p.clip_lo ? p.clip_lo : (z > p.clip_hi ? p.clip_hi : z);
    out.at<float>(idx) = z;
  });
}

Tensor threshold(const Tensor& acc, const Epilogue& e, int channel_axis, const EpilogueParams& p) {
  const std::int64_t count = e.threshold_count();
  const Tensor thresholds = p.thresholds.contiguous();
  const std::int32_t* T = thresholds.data<std::int32_t>();
  const Tensor descending = p.descending.defined() ? p.descending.contiguous() : Tensor();
  const std::uint8_t* desc = descending.defined() ? descending.data<std::uint8_t>() : nullptr;
  Tensor levels = map_channels<std::int32_t>(
      acc, channel_axis, e.out.level_dtype(), [&](Tensor& out, auto idx, std::int32_t y, std::int64_t o) {
        const bool down = desc != nullptr && desc[o] != 0;
        std::uint32_t q = 0;
        for (std::int64_t t = 0; t < count; ++t) {
          const std::int32_t th = T[o * count + t];
          q += down ? (y <= th) : (y >= th);
        }
        out.set_int(idx, e.out.level_of(q));
      });
  if (!e.packed) return levels;
  return bitpack(levels, e.out, channel_axis, e.bit_axis, e.word, "threshold output");
}
}  // namespace

Tensor apply_epilogue(const Tensor& acc, const Epilogue& e, int channel_axis,
                      const EpilogueParams& params) {
  validate_epilogue_params(e, acc.dim(channel_axis), params);
  switch (e.kind) {
    case Epilogue::Kind::Accumulator: return acc;
    case Epilogue::Kind::Affine:
      return acc.dtype() == DType::f32 ? affine<float>(acc, e, channel_axis, params)
                                       : affine<std::int32_t>(acc, e, channel_axis, params);
    case Epilogue::Kind::Threshold:
      if (acc.dtype() != DType::i32) fail("a threshold epilogue needs an int32 accumulator");
      return threshold(acc, e, channel_axis, params);
  }
  __builtin_unreachable();
}

}  // namespace bitforge::reference
