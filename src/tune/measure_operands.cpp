#include "tune/measure_operands.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>

#include "core/random.hpp"
#include "ops/random_operands.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge::tune_detail {

std::shared_ptr<const TrialOperands> trial_operands(const Workload& wl) {
  static std::map<std::string, std::shared_ptr<const TrialOperands>> cache;
  const std::string key = workload_key(wl);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  SplitMix64 rng(fnv1a(key));
  RandomOperands r = random_operands(rng, wl);
  auto ops = std::make_shared<TrialOperands>();
  ops->input = std::move(r.input);
  ops->weight = std::move(r.weight);
  ops->params = std::move(r.params);
  ops->expected = reference::run(wl, ops->input, ops->weight, ops->params);
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
