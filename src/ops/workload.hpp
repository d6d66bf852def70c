// bitforge ops: workload descriptors — what an operator computes, independent of how.
//
// A workload is a value: operand types, shapes, convolution parameters, layouts and
// epilogue. It has one canonical key string (docs/workloads.md) that names it on the
// command line, in tuning logs, in benchmark tables and in test names: print then parse
// gives the same workload. A workload says nothing about schedules or kernels.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/tensor.hpp"
#include "ops/epilogue.hpp"
#include "ops/operand_type.hpp"

namespace bitforge {

enum class ActLayout { NCHW, NHWC };
enum class WgtLayout { OIHW, HWIO };
std::string_view layout_name(ActLayout l);  // "NCHW"
std::string_view layout_name(WgtLayout l);  // "OIHW"
ActLayout parse_act_layout(std::string_view s);  // case-insensitive; Error otherwise
WgtLayout parse_wgt_layout(std::string_view s);

struct Conv2d {
  OperandType act;
  OperandType wgt;
  std::int64_t n = 1, c = 0, h = 0, w = 0;  // activations
  std::int64_t o = 0, kh = 1, kw = 1;       // weights: O x (C / groups) x kh x kw
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t groups = 1;
  ActLayout layout = ActLayout::NCHW;  // of the activations and of the output
  WgtLayout weight_layout = WgtLayout::OIHW;
  Epilogue epilogue;

  OpFamily family() const { return op_family(act, wgt); }
  std::int64_t out_h() const;
  std::int64_t out_w() const;
  std::int64_t macs() const;  // multiply-accumulates: N*O*OH*OW*(C/g)*kh*kw
  // The largest possible |Y| (SEMANTICS §3 "Overflow"); integer families only.
  std::int64_t accumulator_bound() const;

  Shape input_shape() const;   // in `layout`
  Shape weight_shape() const;  // in `weight_layout`
  Shape accumulator_shape() const;  // N,O,OH,OW in `layout`
  Shape output_shape() const;       // after the epilogue (packed if it packs)
  DType output_dtype() const;
  int channel_axis() const { return layout == ActLayout::NCHW ? 1 : 3; }

  // Refuses an inconsistent workload: non-positive extents, groups that do not divide
  // C and O, a non-positive output size, the int32 overflow bound, an epilogue that does
  // not fit the family. Each message names the value and what was allowed.
  void validate() const;
  std::string key() const;
  bool operator==(const Conv2d&) const = default;
};

struct Dense {
  OperandType act;
  OperandType wgt;
  std::int64_t n = 1, c = 0, o = 0;  // X [N, C], W [O, C], Y [N, O]
  Epilogue epilogue;

  OpFamily family() const { return op_family(act, wgt); }
  std::int64_t macs() const { return n * c * o; }
  std::int64_t accumulator_bound() const;
  Shape input_shape() const { return {n, c}; }
  Shape weight_shape() const { return {o, c}; }
  Shape accumulator_shape() const { return {n, o}; }
  Shape output_shape() const;
  DType output_dtype() const;
  int channel_axis() const { return 1; }

  // The same math as a 1x1 convolution on [N, C, 1, 1] (how the reference runs it).
  Conv2d as_conv2d() const;
  void validate() const;
  std::string key() const;
  bool operator==(const Dense&) const = default;
};

using Workload = std::variant<Conv2d, Dense>;

// Parses any workload key ("conv2d_..." or "dense_..."); Error naming the bad part.
Workload parse_workload_key(std::string_view key);
Conv2d parse_conv2d_key(std::string_view key);
Dense parse_dense_key(std::string_view key);
std::string workload_key(const Workload& w);
std::int64_t workload_macs(const Workload& w);

}  // namespace bitforge
