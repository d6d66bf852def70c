// The pointwise microkernels' shared entry: bounds query, layout checks, runs of pixels.
#include "codegen/bitserial_pointwise_driver.hpp"

#include <algorithm>

#include "codegen/halide_buffers.hpp"

namespace bitforge::codegen::pointwise {

int drive(const Call& c, RunFn run) {
  halide_buffer_t *act = c.act, *wgt = c.wgt, *pixel_term = c.pixel_term, *out = c.out;
  const int out_w = c.out_w;
  // The output's dimensions by role: sums (oi, g, x, y, n), or the output (x, y, o, n).
  const halide_dimension_t one_group{0, 1, 0, 0};
  const halide_dimension_t* d = out->dim;
  const bool is_out = c.out_is_output != 0;
  const halide_dimension_t &dx = d[is_out ? 0 : 2], &dy = d[is_out ? 1 : 3], &dc = d[is_out ? 2 : 0],
                           &dn = d[is_out ? 3 : 4], &dg = is_out ? one_group : d[1];
  // The output's pixels [first, last] numbered across rows. Tiles start at a multiple of
  // a block and may end past `last`: the activation rows asked for cover every pixel a
  // tile reads (the algorithm clamps rows past the image).
  const int first = dy.min * out_w + dx.min;
  const int last = (dy.min + dy.extent - 1) * out_w + dx.min + dx.extent - 1;
  const int row0 = first / c.block * c.block / out_w;
  const int row1 = ((last / c.block + std::max(c.tile_pixels / c.block, 1)) * c.block - 1) / out_w;
  if (act->host == nullptr || wgt->host == nullptr || pixel_term->host == nullptr) {
    answer_bounds(act, {{0, out_w}, {row0, row1 - row0 + 1}, {0, c.halves}, {0, c.words}, {0, c.act_planes},
                        {dn.min, dn.extent}, {dg.min, dg.extent}});
    answer_bounds(wgt, {{0, c.halves}, {0, c.words}, {0, c.wgt_planes}, {dc.min, dc.extent}, {dg.min, dg.extent}});
    answer_bounds(pixel_term, {{dx.min, dx.extent}, {dy.min, dy.extent}, {dn.min, dn.extent}, {dg.min, dg.extent}});
    return 0;
  }
  const halide_dimension_t* a = act->dim;
  const halide_dimension_t* w = wgt->dim;
  const halide_dimension_t* t = pixel_term->dim;
  // The loads assume pixels numbered across whole rows at unit stride, and a word's
  // halves adjacent; the stores and term loads, pixels at unit stride.
  if (run == nullptr || a[0].stride != 1 || a[0].min != 0 || a[0].extent != out_w || a[1].stride != out_w ||
      a[1].min > row0 || a[1].min + a[1].extent <= row1 || w[0].stride != 1 || dx.stride != 1 || t[0].stride != 1)
    return -1;
  // Whole rows that follow each other in both the output and the term: one run for all
  // of them; otherwise a run per row.
  const bool whole_rows = dx.min == 0 && dx.extent == out_w;
  const bool one_run = whole_rows && (dy.extent == 1 || (dy.stride == out_w && t[0].extent == out_w &&
                                                         t[0].min == 0 && t[1].stride == out_w));
  auto out_at = [&](int ch, int g, int x, int y, int n) {
    return static_cast<std::int32_t*>(static_cast<void*>(out->host)) +
           (static_cast<std::ptrdiff_t>(ch - dc.min) * dc.stride + static_cast<std::ptrdiff_t>(g - dg.min) * dg.stride +
            static_cast<std::ptrdiff_t>(x - dx.min) * dx.stride + static_cast<std::ptrdiff_t>(y - dy.min) * dy.stride +
            static_cast<std::ptrdiff_t>(n - dn.min) * dn.stride);
  };
  for (int n = dn.min; n < dn.min + dn.extent; ++n)
    for (int g = dg.min; g < dg.min + dg.extent; ++g) {
      // (Pixel 0 may lie before the buffer: only rows from a[1].min are read.)
      const Operands op{element_at(act, {0, 0, 0, 0, 0, n, g}), a[2].stride, a[3].stride, a[4].stride,
                        element_at(wgt, {0, 0, 0, dc.min, g}), w[1].stride, w[2].stride, w[3].stride,
                        c.words, c.act_planes, c.wgt_planes, c.scale_shift};
      const int rows = one_run ? dy.extent : 1;
      for (int y = dy.min; y < dy.min + dy.extent; y += rows) {
        const int p0 = y * out_w + dx.min, p1 = (y + rows - 1) * out_w + dx.min + dx.extent;
        const Run r{p0, p1, out_at(dc.min, g, dx.min, y, n), dc.stride,
                    static_cast<const std::int32_t*>(element_at(pixel_term, {dx.min, y, n, g})), dc.extent};
        run(op, r);
      }
    }
  return 0;
}

}  // namespace bitforge::codegen::pointwise
