// Oracle 2: the bit-serial convolution. Both operands are bit-packed along their
// channels-within-group axis into u64 words (quant::bitpack, SEMANTICS §2) and each
// kernel tap sums the popcount identities of SEMANTICS §1 over bit-plane pairs. Taps
// that fall on padding are skipped, which is exactly "padding contributes 0" for every
// encoding; tail lanes are masked so they cannot leak into a result.
#include <bit>

#include "core/error.hpp"
#include "ops/reference/conv2d_common.hpp"
#include "ops/reference/reference.hpp"
#include "quant/bitpack.hpp"

namespace bitforge::reference {

namespace {
constexpr int kWordBits = 64;

// Moves the bit-plane and word axes (2, 3) of a packed [A, B, k, words, P, Q] tensor last:
// [A, B, P, Q, k, words], so one tap's planes are contiguous.
Tensor planes_last(const Tensor& packed) {
  static constexpr int kOrder[] = {0, 1, 4, 5, 2, 3};
  return packed.permuted(kOrder).contiguous();
}
}  // namespace

Tensor conv2d_accumulate_bitserial(const Conv2d& wl, const Tensor& x, const Tensor& w) {
  if (wl.family() != OpFamily::BitSerial)
    fail("the bit-serial reference needs low-bit operands, not {} x {}", wl.act.name(), wl.wgt.name());
  const Encoding ea = wl.act.encoding(), ew = wl.wgt.encoding();
  const std::int64_t G = wl.groups, cg = wl.c / G, og = wl.o / G;
  const std::int64_t words = (cg + kWordBits - 1) / kWordBits;
  const int ka = ea.bits, kw = ew.bits;

  // [N, G, Cg, H, W] packed along Cg -> [N, G, H, W, ka, words]
  const Tensor xp = planes_last(bitpack(as_nchw(wl, x, DType::i32).reshaped({wl.n, G, cg, wl.h, wl.w}),
                                        ea, 2, 2, DType::u64, "input"));
  // [G, Og, Cg, R, S] packed along Cg -> [G, Og, R, S, kw, words]
  const Tensor wp = planes_last(bitpack(as_oihw(wl, w, DType::i32).reshaped({G, og, cg, wl.kh, wl.kw}),
                                        ew, 2, 2, DType::u64, "weight"));
  const std::uint64_t* X = xp.data<std::uint64_t>();
  const std::uint64_t* Wt = wp.data<std::uint64_t>();

  const int tail = static_cast<int>(cg % kWordBits);
  const std::uint64_t last_mask = tail == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << tail) - 1;
  const bool a_bip = ea.kind == EncodingKind::Bipolar, w_bip = ew.kind == EncodingKind::Bipolar;

  // Sum over bit-plane pairs of one tap: a points at [ka][words], b at [kw][words].
  auto tap = [&](const std::uint64_t* a, const std::uint64_t* b) {
    std::int64_t total = 0;
    for (int i = 0; i < ka; ++i)
      for (int j = 0; j < kw; ++j) {
        std::int64_t term = 0;
        for (std::int64_t q = 0; q < words; ++q) {
          const std::uint64_t mask = q == words - 1 ? last_mask : ~std::uint64_t{0};
          const std::uint64_t ai = a[i * words + q] & mask, wj = b[j * words + q] & mask;
          if (a_bip && w_bip) {
            term -= 2 * std::popcount(ai ^ wj);
          } else if (a_bip) {  // b x u: 2 popcount(a & w) - popcount(w)
            term += 2 * std::popcount(ai & wj) - std::popcount(wj);
          } else if (w_bip) {  // u x b: 2 popcount(a & w) - popcount(a)
            term += 2 * std::popcount(ai & wj) - std::popcount(ai);
          } else {
            term += std::popcount(ai & wj);
          }
        }
        if (a_bip && w_bip) term += cg;  // K - 2 popcount(a ^ w), K = valid lanes
        total += term << (i + j);
      }
    return total;
  };

  Tensor out(DType::i32, wl.accumulator_shape());
  const std::int64_t oh = wl.out_h(), ow = wl.out_w();
  const std::int64_t a_tap = ka * words, w_tap = kw * words;
  for (std::int64_t n = 0; n < wl.n; ++n)
    for (std::int64_t o = 0; o < wl.o; ++o) {
      const std::int64_t g = o / og, oi = o % og;
      for (std::int64_t y = 0; y < oh; ++y)
        for (std::int64_t xo = 0; xo < ow; ++xo) {
          std::int64_t sum = 0;
          for (std::int64_t r = 0; r < wl.kh; ++r) {
            const std::int64_t iy = y * wl.stride_h - wl.pad_top + r * wl.dilation_h;
            if (iy < 0 || iy >= wl.h) continue;
            for (std::int64_t s = 0; s < wl.kw; ++s) {
              const std::int64_t ix = xo * wl.stride_w - wl.pad_left + s * wl.dilation_w;
              if (ix < 0 || ix >= wl.w) continue;
              sum += tap(X + (((n * G + g) * wl.h + iy) * wl.w + ix) * a_tap,
                         Wt + (((g * og + oi) * wl.kh + r) * wl.kw + s) * w_tap);
            }
          }
          out.at<std::int32_t>(output_index(wl, n, o, y, xo)) = static_cast<std::int32_t>(sum);
        }
    }
  return out;
}

}  // namespace bitforge::reference
