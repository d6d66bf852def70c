#include "codegen/lowering.hpp"

namespace bitforge::codegen {

LoweredWorkload lower_workload(const Workload& wl) {
  if (const Conv2d* c = std::get_if<Conv2d>(&wl)) return {*c, false};
  const Dense& d = std::get<Dense>(wl);
  Conv2d conv;
  conv.act = d.act;
  conv.wgt = d.wgt;
  conv.n = 1;
  conv.h = 1;
  conv.w = d.n;
  conv.c = d.c;
  conv.o = d.o;
  conv.layout = ActLayout::NHWC;
  conv.weight_layout = WgtLayout::OIHW;
  conv.epilogue = d.epilogue;
  if (conv.epilogue.packed) conv.epilogue.bit_axis += 2;
  return {conv, true};
}

}  // namespace bitforge::codegen
