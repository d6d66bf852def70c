#include "ops/random_operands.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace bitforge {

namespace {
Tensor random_operand(SplitMix64& rng, OperandType t, const Shape& shape, bool vary_storage) {
  const DType storage = t.is_float() ? DType::f32 : vary_storage && t.is_low_bit() && rng.chance(0.5) ? DType::i16 : DType::i32;
  Tensor x(storage, shape);
  for_each_index(shape, [&](std::span<const std::int64_t> idx) {
    if (t.is_float()) {
      x.at<float>(idx) = static_cast<float>(rng.uniform(-1000, 1000)) / 1000.0f;
    } else if (t.is_low_bit()) {
      const Encoding enc = t.encoding();
      x.set_int(idx, enc.level_of(static_cast<std::uint32_t>(rng.uniform(0, enc.max_level()))));
    } else if (t.kind == OperandType::Kind::Unsigned) {
      x.set_int(idx, rng.uniform(0, t.max_abs()));
    } else {
      x.set_int(idx, rng.uniform(-t.max_abs(), t.max_abs() - 1));
    }
  });
  return x;
}

template <typename W>
RandomOperands make(SplitMix64& rng, const W& w, bool vary_storage) {
  RandomOperands ops;
  ops.input = random_operand(rng, w.act, w.input_shape(), vary_storage);
  ops.weight = random_operand(rng, w.wgt, w.weight_shape(), vary_storage);
  const Epilogue& e = w.epilogue;
  if (e.kind == Epilogue::Kind::Affine) {
    ops.params.scale = Tensor(DType::f32, {w.o});
    ops.params.bias = Tensor(DType::f32, {w.o});
    for (std::int64_t i = 0; i < w.o; ++i) {
      ops.params.scale.data<float>()[i] = static_cast<float>(rng.uniform(-300, 300)) / 97.0f;
      ops.params.bias.data<float>()[i] = static_cast<float>(rng.uniform(-300, 300)) / 7.0f;
    }
    ops.params.clip_lo = -5.0f;
    ops.params.clip_hi = 7.5f;
  }
  if (e.kind == Epilogue::Kind::Threshold) {
    const int count = e.threshold_count();
    const std::int64_t spread =
        std::max<std::int64_t>(4, static_cast<std::int64_t>(std::sqrt(static_cast<double>(w.accumulator_bound()))));
    ops.params.thresholds = Tensor(DType::i32, {w.o, count});
    ops.params.descending = Tensor(DType::u8, {w.o});
    for (std::int64_t c = 0; c < w.o; ++c) {
      std::vector<std::int32_t> t(static_cast<std::size_t>(count));
      for (auto& v : t) v = static_cast<std::int32_t>(rng.uniform(-spread, spread));
      std::sort(t.begin(), t.end());
      std::copy(t.begin(), t.end(), ops.params.thresholds.data<std::int32_t>() + c * count);
      ops.params.descending.data<std::uint8_t>()[c] = rng.uniform(0, 2) == 0 ? 1 : 0;
    }
  }
  return ops;
}
}  // namespace

RandomOperands random_operands(SplitMix64& rng, const Workload& wl, bool vary_storage) {
  return std::visit([&](const auto& w) { return make(rng, w, vary_storage); }, wl);
}

}  // namespace bitforge
