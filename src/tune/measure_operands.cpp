#include "tune/measure_operands.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "core/random.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge::tune_detail {

namespace {
Tensor random_operand(SplitMix64& rng, OperandType t, const Shape& shape) {
  Tensor x(t.is_float() ? DType::f32 : DType::i32, shape);
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    if (t.is_float()) {
      x.data<float>()[i] = static_cast<float>(rng.uniform(-1000, 1000)) / 1000.0f;
    } else if (t.is_low_bit()) {
      const Encoding enc = t.encoding();
      x.data<std::int32_t>()[i] =
          static_cast<std::int32_t>(enc.level_of(static_cast<std::uint32_t>(rng.uniform(0, enc.max_level()))));
    } else if (t.kind == OperandType::Kind::Unsigned) {
      x.data<std::int32_t>()[i] = static_cast<std::int32_t>(rng.uniform(0, t.max_abs()));
    } else {
      x.data<std::int32_t>()[i] = static_cast<std::int32_t>(rng.uniform(-t.max_abs(), t.max_abs() - 1));
    }
  }
  return x;
}

template <typename W>
TrialOperands make_operands(const W& w, SplitMix64& rng) {
  TrialOperands ops;
  ops.input = random_operand(rng, w.act, w.input_shape());
  ops.weight = random_operand(rng, w.wgt, w.weight_shape());
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
    // Thresholds spread over the accumulator's typical range (random operands sum to
    // about sqrt(K) times a level), so every output level occurs and a wrong accumulator
    // shows in the output.
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

std::shared_ptr<const TrialOperands> trial_operands(const Workload& wl) {
  static std::map<std::string, std::shared_ptr<const TrialOperands>> cache;
  const std::string key = workload_key(wl);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  SplitMix64 rng(fnv1a(key));
  auto ops = std::make_shared<TrialOperands>(std::visit([&](const auto& w) { return make_operands(w, rng); }, wl));
  if (const Conv2d* c = std::get_if<Conv2d>(&wl))
    ops->expected = reference::conv2d(*c, ops->input, ops->weight, ops->params);
  else
    ops->expected = reference::dense(std::get<Dense>(wl), ops->input, ops->weight, ops->params);
  ops->expected = ops->expected.contiguous();
  cache.emplace(key, ops);
  return ops;
}

std::string output_mismatch(const Tensor& got_in, const Tensor& expected) {
  if (got_in.dtype() != expected.dtype())
    return fmt::format("output dtype {} instead of {}", dtype_name(got_in.dtype()), dtype_name(expected.dtype()));
  if (got_in.shape() != expected.shape())
    return fmt::format("output shape {} instead of {}", shape_str(got_in.shape()), shape_str(expected.shape()));
  const Tensor got = got_in.contiguous();
  const std::int64_t n = got.numel();
  if (got.dtype() == DType::f32) {
    const float* a = got.data<float>();
    const float* b = expected.data<float>();
    double scale = 1.0;
    for (std::int64_t i = 0; i < n; ++i) scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
    for (std::int64_t i = 0; i < n; ++i)
      if (!(std::fabs(static_cast<double>(a[i]) - b[i]) <= 1e-4 * scale))
        return fmt::format("element {} is {} instead of {}", i, a[i], b[i]);
    return "";
  }
  const auto* a = static_cast<const unsigned char*>(got.raw_data());
  const auto* b = static_cast<const unsigned char*>(expected.raw_data());
  if (std::memcmp(a, b, got.nbytes()) == 0) return "";
  const std::size_t size = dtype_size(got.dtype());
  std::size_t first = 0;
  while (std::memcmp(a + first * size, b + first * size, size) == 0) ++first;
  std::vector<std::int64_t> flat{static_cast<std::int64_t>(first)};
  const Tensor ga = got.reshaped({n}), eb = expected.reshaped({n});
  return fmt::format("element {} is {} instead of {}", first, ga.get_int(flat), eb.get_int(flat));
}

}  // namespace bitforge::tune_detail
