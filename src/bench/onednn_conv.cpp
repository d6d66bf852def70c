// The oneDNN baselines: a convolution_forward primitive with every memory format left to
// oneDNN (`any`), created once per layer, with operands reordered into its layouts before
// timing (onednn_conv.hpp says why that is the fair comparison).
#include "bench/onednn_conv.hpp"

#include <omp.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include <array>
#include <oneapi/dnnl/dnnl.hpp>

#include "bench/conv_support.hpp"
#include "core/error.hpp"
#include "ops/reference/reference.hpp"

namespace bitforge::bench {

namespace {

using dnnl::memory;
using tag = memory::format_tag;

Tensor as_nchw(const Conv2d& wl, const Tensor& x) {
  if (wl.layout == ActLayout::NCHW) return x.contiguous();
  const std::array<int, 4> order{0, 3, 1, 2};  // NHWC viewed as NCHW
  return x.permuted(order).contiguous();
}

Tensor as_oihw(const Conv2d& wl, const Tensor& w) {
  if (wl.weight_layout == WgtLayout::OIHW) return w.contiguous();
  const std::array<int, 4> order{3, 2, 0, 1};  // HWIO viewed as OIHW
  return w.permuted(order).contiguous();
}

// Without VNNI (or AMX) oneDNN's int8 kernels multiply with vpmaddubsw, which adds pairs of
// u8 x s8 products into int16 with saturation: with activations above 127 a pair can
// exceed 32767 and the result is not exact. oneDNN documents this and asks for 7-bit
// activations there, which is what frameworks feed it on such CPUs; so does the bench.
bool int8_saturates() {
  const auto isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
  return (isa & 0x40u) == 0 &&
         (isa & 0x400u) == 0;  // the VNNI bits of avx512_core_vnni and avx2_vnni
}

// The check operands with every activation halved into 0..127 (still u8 values), and the
// reference on them.
std::shared_ptr<const detail::CheckOperands> seven_bit_operands(const Conv2d& wl) {
  auto ops = std::make_shared<detail::CheckOperands>(*detail::check_operands(wl));
  ops->input = ops->input.clone();
  for_each_index(ops->input.shape(), [&](std::span<const std::int64_t> i) {
    ops->input.set_int(i, ops->input.get_int(i) / 2);
  });
  ops->expected = reference::conv2d(wl, ops->input, ops->weight).contiguous();
  return ops;
}

class OnednnConv final : public PreparedConv {
 public:
  OnednnConv(std::string impl, const Conv2d& wl, int threads)
      : impl_(std::move(impl)),
        wl_(wl),
        workload_(wl),
        threads_(threads),
        engine_(dnnl::engine::kind::cpu, 0),
        stream_(engine_) {
    const Conv2d& c = wl;
    const bool f32 = c.family() == OpFamily::Float32;
    if (!f32 && c.family() != OpFamily::Int8)
      fail("{} runs float32 or u8 x s8 workloads, not {}", impl_, c.key());
    const memory::data_type src_dt = f32 ? memory::data_type::f32 : memory::data_type::u8;
    const memory::data_type wei_dt = f32 ? memory::data_type::f32 : memory::data_type::s8;
    const memory::data_type dst_dt = f32 ? memory::data_type::f32 : memory::data_type::s32;

    const memory::dims src_dims{c.n, c.c, c.h, c.w};
    const memory::dims dst_dims{c.n, c.o, c.out_h(), c.out_w()};
    // Grouped weights are 5-D in oneDNN; OIHW memory is exactly goihw with O = g x O/g.
    const memory::dims wei_dims =
        c.groups == 1 ? memory::dims{c.o, c.c, c.kh, c.kw}
                      : memory::dims{c.groups, c.o / c.groups, c.c / c.groups, c.kh, c.kw};
    const tag wei_plain = c.groups == 1 ? tag::oihw : tag::goihw;

    // oneDNN reads its thread count when it creates a primitive (the work split) and when it
    // runs one: both happen on this thread, whose OpenMP setting this is.
    omp_set_num_threads(threads_);
    try {
      // Direct convolution, as frameworks and benchdnn ask for it; `any` leaves layouts,
      // and with them the implementation (brgconv, jit, AMX, ...), to oneDNN.
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
          memory::desc(src_dims, src_dt, tag::any), memory::desc(wei_dims, wei_dt, tag::any),
          memory::desc(dst_dims, dst_dt, tag::any), {c.stride_h, c.stride_w},
          {c.dilation_h - 1, c.dilation_w - 1},  // oneDNN counts dilation from 0
          {c.pad_top, c.pad_left}, {c.pad_bottom, c.pad_right});
      pd_ = dnnl::convolution_forward::primitive_desc(desc, engine_);
      conv_ = dnnl::convolution_forward(pd_);

      seven_bit_ = !f32 && int8_saturates();
      const std::shared_ptr<const detail::CheckOperands> ops =
          seven_bit_ ? seven_bit_operands(wl_) : detail::check_operands(wl_);
      user_src_ = f32 ? as_nchw(wl_, ops->input) : as_nchw(wl_, ops->input).astype(DType::u8);
      user_wei_ = f32 ? as_oihw(wl_, ops->weight) : as_oihw(wl_, ops->weight).astype(DType::i8);
      src_ = memory(pd_.src_desc(), engine_);
      wei_ = memory(pd_.weights_desc(), engine_);
      dst_ = memory(pd_.dst_desc(), engine_);
      reorder_in(memory(memory::desc(src_dims, src_dt, tag::nchw), engine_, user_src_.raw_data()),
                 src_);
      reorder_in(memory(memory::desc(wei_dims, wei_dt, wei_plain), engine_, user_wei_.raw_data()),
                 wei_);

      run();
      Tensor got(f32 ? DType::f32 : DType::i32, {c.n, c.o, c.out_h(), c.out_w()});
      reorder_in(dst_, memory(memory::desc(dst_dims, dst_dt, tag::nchw), engine_, got.raw_data()));
      if (c.layout == ActLayout::NHWC) {
        const std::array<int, 4> order{0, 2, 3, 1};
        got = got.permuted(order).contiguous();
      }
      detail::check_output(impl_, wl_, got, ops->expected);
    } catch (const dnnl::error& e) {
      fail("oneDNN cannot run {} on {}: {}", impl_, wl_.key(), e.what());
    }
  }

  const std::string& implementation() const override { return impl_; }
  const Workload& workload() const override { return workload_; }
  std::string detail() const override {
    return std::string(pd_.impl_info_str()) +
           (seven_bit_ ? ", activations 0..127 (int8 without VNNI saturates above)" : "");
  }
  roofline::ImplKind kind() const override {
    return wl_.family() == OpFamily::Float32 ? roofline::ImplKind::OnednnF32
                                             : roofline::ImplKind::OnednnU8S8;
  }

  void run() override {
    // Another implementation prepared since may have changed this thread's OpenMP
    // setting; setting it is a store, nothing to time.
    omp_set_num_threads(threads_);
    conv_.execute(stream_, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, wei_}, {DNNL_ARG_DST, dst_}});
    stream_.wait();
  }

 private:
  void reorder_in(memory from, memory to) {
    dnnl::reorder(from, to).execute(stream_, from, to);
    stream_.wait();
  }

  std::string impl_;
  Conv2d wl_;
  Workload workload_;  // wl_ as the interface returns it
  int threads_;
  bool seven_bit_ = false;  // activations limited to 7 bits (int8_saturates)
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::convolution_forward::primitive_desc pd_;
  dnnl::convolution_forward conv_;
  Tensor user_src_, user_wei_;  // the plain operands the reorders read
  memory src_, wei_, dst_;      // in oneDNN's chosen layouts
};

}  // namespace

std::unique_ptr<PreparedConv> prepare_onednn_conv(const std::string& implementation,
                                                  const Conv2d& wl, int threads) {
  return std::make_unique<OnednnConv>(implementation, wl, threads);
}

std::string onednn_version() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("{}.{}.{}", v->major, v->minor, v->patch);
}

std::string onednn_isa() {
  std::string isa = dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa());  // "cpu_isa_avx512_core_amx"
  return isa.starts_with("cpu_isa_") ? isa.substr(8) : isa;
}

bool onednn_above_avx2() {
  // The ISA values are bit sets of what they include; AVX2 and AVX2-VNNI are 0x407 at most.
  return (static_cast<unsigned>(dnnl_get_effective_cpu_isa()) &
          ~static_cast<unsigned>(dnnl_cpu_isa_avx2_vnni)) != 0;
}

}  // namespace bitforge::bench
