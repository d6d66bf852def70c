// `bitforge conv2d`: runs one convolution on .npy operands. The workload is derived from
// the operand shapes and the flags, so its key (printed on success) reproduces it.
#include <memory>

#include "cli/commands.hpp"
#include "cli/implementation.hpp"
#include "cli/operands.hpp"
#include "core/error.hpp"
#include "core/npy.hpp"

namespace bitforge::cli {

namespace {
struct Conv2dOptions {
  std::string input, weight, out, act, wgt;
  std::string layout = "NCHW", weight_layout = "OIHW";
  std::string stride = "1", pad = "0", dilation = "1";
  std::int64_t groups = 1;
  ImplOptions impl;
};

void run_conv2d(const Conv2dOptions& opt) {
  Conv2d wl;
  wl.act = OperandType::parse(opt.act);
  wl.wgt = OperandType::parse(opt.wgt);
  wl.layout = parse_act_layout(opt.layout);
  wl.weight_layout = parse_wgt_layout(opt.weight_layout);
  const auto stride = parse_pair(opt.stride, "--stride");
  const auto dilation = parse_pair(opt.dilation, "--dilation");
  const auto pad = parse_padding(opt.pad);
  wl.stride_h = stride[0];
  wl.stride_w = stride[1];
  wl.dilation_h = dilation[0];
  wl.dilation_w = dilation[1];
  wl.pad_top = pad[0];
  wl.pad_left = pad[1];
  wl.pad_bottom = pad[2];
  wl.pad_right = pad[3];
  wl.groups = opt.groups;
  op_family(wl.act, wl.wgt);  // refuse a type pair before reading files

  const Tensor x = read_operand(opt.input, wl.act, "input");
  const Tensor w = read_operand(opt.weight, wl.wgt, "weight");
  if (x.rank() != 4)
    fail("input '{}' has shape {}; conv2d needs 4 dimensions ({})", opt.input, shape_str(x.shape()),
         layout_name(wl.layout));
  if (w.rank() != 4)
    fail("weight '{}' has shape {}; conv2d needs 4 dimensions ({})", opt.weight,
         shape_str(w.shape()), layout_name(wl.weight_layout));
  const bool nchw = wl.layout == ActLayout::NCHW, oihw = wl.weight_layout == WgtLayout::OIHW;
  wl.n = x.dim(0);
  wl.c = x.dim(nchw ? 1 : 3);
  wl.h = x.dim(nchw ? 2 : 1);
  wl.w = x.dim(nchw ? 3 : 2);
  wl.o = w.dim(oihw ? 0 : 3);
  const std::int64_t per_group = w.dim(oihw ? 1 : 2);
  wl.kh = w.dim(oihw ? 2 : 0);
  wl.kw = w.dim(oihw ? 3 : 1);
  wl.validate();
  if (per_group * wl.groups != wl.c)
    fail("weight '{}' has {} input channels per group, but the input has C = {} with groups = {} "
         "(needs C / groups = {})",
         opt.weight, per_group, wl.c, wl.groups, wl.c / wl.groups);

  const Tensor y = run_implementation(wl, x, w, opt.impl);
  npy_write(opt.out, y);
  fmt::print("{} -> {} {} {}\n", wl.key(), opt.out, dtype_name(y.dtype()), shape_str(y.shape()));
}
}  // namespace

void add_conv2d_command(CLI::App& app) {
  auto opt = std::make_shared<Conv2dOptions>();
  CLI::App* cmd = app.add_subcommand(
      "conv2d", "2-D convolution of .npy operands (levels for low-bit types), int32 .npy output");
  cmd->add_option("--input", opt->input, "activations X.npy (int8/uint8/int16/int32 levels)")->required();
  cmd->add_option("--weight", opt->weight, "weights W.npy (int8/uint8/int16/int32 levels)")->required();
  cmd->add_option("--act", opt->act, "activation type: u1..u8, b1..b8; baselines u8 (with s8), s2..s16, f32")
      ->required();
  cmd->add_option("--wgt", opt->wgt, "weight type: u1..u8, b1..b8; baselines s8 (with u8), s2..s16, f32")
      ->required();
  cmd->add_option("--layout", opt->layout, "activation and output layout: NCHW or NHWC")
      ->capture_default_str();
  cmd->add_option("--weight-layout", opt->weight_layout, "weight layout: OIHW or HWIO")
      ->capture_default_str();
  cmd->add_option("--stride", opt->stride, "stride: s or sh,sw")->capture_default_str();
  cmd->add_option("--pad", opt->pad, "padding: p, ph,pw or top,left,bottom,right")
      ->capture_default_str();
  cmd->add_option("--dilation", opt->dilation, "dilation: d or dh,dw")->capture_default_str();
  cmd->add_option("--groups", opt->groups, "groups (C and O divisible; = C = O is depthwise)")
      ->capture_default_str();
  cmd->add_option("--out", opt->out, "output Y.npy (int32; written atomically)")->required();
  add_impl_options(cmd, opt->impl);
  cmd->callback([opt] { run_conv2d(*opt); });
}

}  // namespace bitforge::cli
