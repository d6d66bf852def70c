// bitforge core: Tensor, a typed n-dimensional view over 64-byte-aligned shared storage.
//
// What it is for: holding operands and results (levels, bit-packed words, int32
// accumulators, float32 baselines) and describing layouts through strides, so a NHWC
// tensor can be read as NCHW by a permuted view without a copy.
// What it is not: a math library. Operators live in ops/ and codegen/; Tensor only
// stores, indexes, views and copies.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "core/error.hpp"

namespace bitforge {

using Shape = std::vector<std::int64_t>;

// 64 bytes: one cache line and one AVX-512 register, so any row can be loaded aligned.
inline constexpr std::size_t kTensorAlignment = 64;

std::string shape_str(std::span<const std::int64_t> shape);  // "[1, 64, 56, 56]"
std::int64_t shape_numel(std::span<const std::int64_t> shape);
Shape contiguous_strides(std::span<const std::int64_t> shape);  // row-major, in elements

class Tensor {
 public:
  Tensor() = default;
  // A new contiguous tensor, zero-filled.
  Tensor(DType dtype, Shape shape);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }  // in elements
  int rank() const { return static_cast<int>(shape_.size()); }
  std::int64_t dim(int axis) const { return shape_.at(static_cast<std::size_t>(axis)); }
  std::int64_t numel() const { return shape_numel(shape_); }
  bool is_contiguous() const { return strides_ == contiguous_strides(shape_); }
  bool defined() const { return storage_ != nullptr; }

  // Typed pointer to the first element; refuses a dtype mismatch.
  template <typename T>
  T* data() {
    check_dtype(dtype_of<T>());
    return reinterpret_cast<T*>(storage_.get()) + offset_;
  }
  template <typename T>
  const T* data() const {
    check_dtype(dtype_of<T>());
    return reinterpret_cast<const T*>(storage_.get()) + offset_;
  }
  // Untyped pointer to the first element and its byte size (contiguous tensors only).
  void* raw_data();
  const void* raw_data() const;
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }

  // Element offset (in elements from data()) of a multi-index; indices are not bounds
  // checked in release builds because this sits in reference loops.
  std::int64_t offset_of(std::span<const std::int64_t> index) const {
    std::int64_t off = 0;
    for (std::size_t i = 0; i < index.size(); ++i) off += index[i] * strides_[i];
    return off;
  }
  template <typename T>
  T& at(std::span<const std::int64_t> index) {
    return data<T>()[offset_of(index)];
  }
  template <typename T>
  const T& at(std::span<const std::int64_t> index) const {
    return data<T>()[offset_of(index)];
  }

  // Reads any integer dtype as int64 / writes int64 into it (reference-path convenience).
  std::int64_t get_int(std::span<const std::int64_t> index) const;
  void set_int(std::span<const std::int64_t> index, std::int64_t value);
  double get_f64(std::span<const std::int64_t> index) const;  // any dtype

  // Views (share storage).
  Tensor permuted(std::span<const int> order) const;  // new axis i = old axis order[i]
  Tensor reshaped(Shape shape) const;                 // contiguous tensors only
  // Copies.
  Tensor contiguous() const;  // returns *this (shared) if already contiguous
  Tensor clone() const;
  Tensor astype(DType dtype) const;  // value conversion, C++ rules

 private:
  void check_dtype(DType t) const;

  DType dtype_ = DType::f32;
  Shape shape_;
  Shape strides_;
  std::int64_t offset_ = 0;  // in elements
  std::shared_ptr<std::byte> storage_;
};

// Calls f(index) for every multi-index of `shape` in row-major order.
template <typename F>
void for_each_index(std::span<const std::int64_t> shape, F&& f) {
  const std::size_t rank = shape.size();
  for (std::int64_t e : shape)
    if (e == 0) return;
  std::vector<std::int64_t> index(rank, 0);
  while (true) {
    f(std::span<const std::int64_t>(index));
    std::size_t axis = rank;
    while (axis > 0) {
      --axis;
      if (++index[axis] < shape[axis]) break;
      index[axis] = 0;
      if (axis == 0) return;
    }
    if (rank == 0) return;
  }
}

}  // namespace bitforge
