// `bitforge dense`: Y[n, o] = sum_c X[n, c] W[o, c] on .npy operands.
#include <memory>

#include "cli/commands.hpp"
#include "cli/implementation.hpp"
#include "cli/operands.hpp"
#include "core/error.hpp"
#include "core/npy.hpp"

namespace bitforge::cli {

namespace {
struct DenseOptions {
  std::string input, weight, out, act, wgt;
  ImplOptions impl;
};

void run_dense(const DenseOptions& opt) {
  Dense wl;
  wl.act = OperandType::parse(opt.act);
  wl.wgt = OperandType::parse(opt.wgt);
  op_family(wl.act, wl.wgt);
  const Tensor x = read_operand(opt.input, wl.act, "input");
  const Tensor w = read_operand(opt.weight, wl.wgt, "weight");
  if (x.rank() != 2)
    fail("input '{}' has shape {}; dense needs 2 dimensions (N, C)", opt.input, shape_str(x.shape()));
  if (w.rank() != 2)
    fail("weight '{}' has shape {}; dense needs 2 dimensions (O, C)", opt.weight,
         shape_str(w.shape()));
  if (w.dim(1) != x.dim(1))
    fail("weight '{}' has C = {} but input '{}' has C = {}", opt.weight, w.dim(1), opt.input, x.dim(1));
  wl.n = x.dim(0);
  wl.c = x.dim(1);
  wl.o = w.dim(0);
  const Tensor y = run_implementation(wl, x, w, opt.impl);
  npy_write(opt.out, y);
  fmt::print("{} -> {} {} {}\n", wl.key(), opt.out, dtype_name(y.dtype()), shape_str(y.shape()));
}
}  // namespace

void add_dense_command(CLI::App& app) {
  auto opt = std::make_shared<DenseOptions>();
  CLI::App* cmd = app.add_subcommand("dense", "fully connected layer of .npy operands, int32 .npy output");
  cmd->add_option("--input", opt->input, "activations X.npy [N, C]")->required();
  cmd->add_option("--weight", opt->weight, "weights W.npy [O, C]")->required();
  cmd->add_option("--act", opt->act, "activation type: u1..u8, b1..b8; baselines u8 (with s8), s2..s16, f32")
      ->required();
  cmd->add_option("--wgt", opt->wgt, "weight type: u1..u8, b1..b8; baselines s8 (with u8), s2..s16, f32")
      ->required();
  cmd->add_option("--out", opt->out, "output Y.npy [N, O] (int32; written atomically)")->required();
  add_impl_options(cmd, opt->impl);
  cmd->callback([opt] { run_dense(*opt); });
}

}  // namespace bitforge::cli
