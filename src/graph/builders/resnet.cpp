// ResNet-18 / ResNet-50 (He et al., 2016) as torchvision builds them; operator names
// follow torchvision's module names.
#include <fmt/format.h>

#include "graph/builders.hpp"
#include "graph/builders/net.hpp"

namespace bitforge::graph {

Graph build_resnet(const ResNetOptions& o) {
  if (o.depth != 18 && o.depth != 50)
    fail("ResNet depth {} is not built; allowed: 18, 50", o.depth);
  NetBuilder b(o.bits);
  Activation x = b.input("input", 3, o.height, o.width);
  x = b.conv("conv1", "conv", x, 64, 7, 2, 3);
  x = b.conv("maxpool", "maxpool", x, 64, 3, 2, 1);
  const bool bottleneck = o.depth == 50;
  const int blocks[2][4] = {{2, 2, 2, 2}, {3, 4, 6, 3}};
  const int expansion = bottleneck ? 4 : 1;
  for (int stage = 0; stage < 4; ++stage) {
    const int width = 64 << stage;
    for (int i = 0; i < blocks[bottleneck][stage]; ++i) {
      const std::string p = fmt::format("layer{}.{}.", stage + 1, i);
      const int stride = (stage > 0 && i == 0) ? 2 : 1;
      const Activation identity = x;
      Activation y;
      if (bottleneck) {
        y = b.conv(p + "conv1", "conv", x, width, 1, 1);
        y = b.conv(p + "conv2", "conv", y, width, 3, stride);
        y = b.conv(p + "conv3", "conv", y, width * expansion, 1, 1);
      } else {
        y = b.conv(p + "conv1", "conv", x, width, 3, stride);
        y = b.conv(p + "conv2", "conv", y, width, 3, 1);
      }
      Activation shortcut = identity;
      if (stride != 1 || identity.c != width * expansion)
        shortcut = b.conv(p + "downsample", "conv", identity, width * expansion, 1, stride, 0);
      x = b.op(p + "add", "add_relu", {y, shortcut}, y.c, y.h, y.w);
    }
  }
  x = b.op("avgpool", "global_avgpool", {x}, x.c, 1, 1);
  b.op("fc", "dense", {x}, 1000, 1, 1);
  return b.take();
}

}  // namespace bitforge::graph
