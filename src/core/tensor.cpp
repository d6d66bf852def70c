#include "core/tensor.hpp"

#include <cstdlib>
#include <cstring>

namespace bitforge {

std::string shape_str(std::span<const std::int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

std::int64_t shape_numel(std::span<const std::int64_t> shape) {
  std::int64_t n = 1;
  for (std::int64_t e : shape)
    if (__builtin_mul_overflow(n, e, &n))
      fail("shape {} has more elements than fit in 64 bits", shape_str(shape));
  return n;
}

Shape contiguous_strides(std::span<const std::int64_t> shape) {
  Shape strides(shape.size());
  std::int64_t s = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

Tensor::Tensor(DType dtype, Shape shape)
    : dtype_(dtype), shape_(std::move(shape)), strides_(contiguous_strides(shape_)) {
  for (std::int64_t e : shape_)
    if (e < 0) fail("tensor extent {} in shape {} is negative", e, shape_str(shape_));
  std::size_t bytes = nbytes();
  // aligned_alloc needs a size that is a multiple of the alignment, and a non-zero one.
  std::size_t padded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (padded == 0) padded = kTensorAlignment;
  void* p = std::aligned_alloc(kTensorAlignment, padded);
  if (p == nullptr) fail("cannot allocate {} bytes for a tensor of shape {}", bytes, shape_str(shape_));
  std::memset(p, 0, padded);
  storage_.reset(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
}

void Tensor::check_dtype(DType t) const {
  if (t != dtype_)
    fail("tensor of dtype {} accessed as {}", dtype_name(dtype_), dtype_name(t));
}

void* Tensor::raw_data() {
  if (!is_contiguous()) fail("raw access to a non-contiguous tensor of shape {}", shape_str(shape_));
  return storage_.get() + offset_ * static_cast<std::int64_t>(dtype_size(dtype_));
}

const void* Tensor::raw_data() const { return const_cast<Tensor*>(this)->raw_data(); }

std::int64_t Tensor::get_int(std::span<const std::int64_t> index) const {
  return visit_dtype(dtype_, [&](auto v) -> std::int64_t {
    using T = decltype(v);
    if constexpr (std::is_floating_point_v<T>) {
      fail("integer read from a tensor of dtype {}", dtype_name(dtype_));
    } else {
      return static_cast<std::int64_t>(at<T>(index));
    }
  });
}

void Tensor::set_int(std::span<const std::int64_t> index, std::int64_t value) {
  visit_dtype(dtype_, [&](auto v) {
    using T = decltype(v);
    at<T>(index) = static_cast<T>(value);
  });
}

double Tensor::get_f64(std::span<const std::int64_t> index) const {
  return visit_dtype(dtype_, [&](auto v) { return static_cast<double>(at<decltype(v)>(index)); });
}

Tensor Tensor::permuted(std::span<const int> order) const {
  if (order.size() != shape_.size())
    fail("permutation of {} axes applied to a tensor of rank {}", order.size(), rank());
  std::vector<bool> seen(order.size(), false);
  Tensor t = *this;
  for (std::size_t i = 0; i < order.size(); ++i) {
    int a = order[i];
    if (a < 0 || a >= rank() || seen[static_cast<std::size_t>(a)])
      fail("axis order [{}] is not a permutation of 0..{}", fmt::join(order, ", "), rank() - 1);
    seen[static_cast<std::size_t>(a)] = true;
    t.shape_[i] = shape_[static_cast<std::size_t>(a)];
    t.strides_[i] = strides_[static_cast<std::size_t>(a)];
  }
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (!is_contiguous()) fail("reshape of a non-contiguous tensor of shape {}", shape_str(shape_));
  if (shape_numel(shape) != numel())
    fail("cannot reshape {} elements of shape {} to shape {}", numel(), shape_str(shape_),
         shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  t.strides_ = contiguous_strides(t.shape_);
  return t;
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const { return astype(dtype_); }

Tensor Tensor::astype(DType dtype) const {
  Tensor out(dtype, shape_);
  visit_dtype(dtype_, [&](auto s) {
    using S = decltype(s);
    visit_dtype(dtype, [&](auto d) {
      using D = decltype(d);
      D* dst = out.data<D>();
      const S* src = data<S>();
      std::int64_t i = 0;
      for_each_index(shape_, [&](std::span<const std::int64_t> idx) {
        dst[i++] = static_cast<D>(src[offset_of(idx)]);
      });
    });
  });
  return out;
}

}  // namespace bitforge
