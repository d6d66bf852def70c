// A test helper for tests/cli/npy_numpy_interop.py: exposes bitforge's own .npy reader
// (npy_read) and writer (npy_write) to a script, so NumPy can check both directions
// independently (a reader bug and a matching writer bug cannot cancel out):
//
//   cli_npy_tool dump FILE                     reads FILE, prints "dtype <name>",
//                                              "shape <d0> <d1> ..." and "values <v0> ...":
//                                              integers in decimal, f32 as C99 hex floats
//   cli_npy_tool make DTYPE SHAPE OUT [V...]   writes the values V (row-major) as a tensor
//                                              of DTYPE ("u8", ...) and SHAPE ("2,3"; ""
//                                              for 0-d) to OUT
//   cli_npy_tool copy IN OUT                   npy_read IN, npy_write OUT
//
// Errors go to stderr as one line with exit code 2, like bitforge's.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/npy.hpp"

namespace {

using namespace bitforge;

Shape parse_shape(std::string_view text) {
  Shape shape;
  if (text.empty()) return shape;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + start, text.data() + end, v);
    if (ec != std::errc() || p != text.data() + end) fail("bad shape '{}'", text);
    shape.push_back(v);
    if (end == text.size()) return shape;
    start = end + 1;
  }
}

void dump(const std::string& path) {
  const Tensor t = npy_read(path);
  std::string out = fmt::format("dtype {}\nshape", dtype_name(t.dtype()));
  for (std::int64_t e : t.shape()) out += fmt::format(" {}", e);
  out += "\nvalues";
  for_each_index(t.shape(), [&](std::span<const std::int64_t> idx) {
    visit_dtype(t.dtype(), [&](auto zero) {
      using T = decltype(zero);
      const T v = t.at<T>(idx);
      if constexpr (std::is_floating_point_v<T>)
        out += fmt::format(" {:a}", static_cast<double>(v));
      else
        out += fmt::format(" {}", v);
    });
  });
  out += "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void make(const std::string& dtype, const std::string& shape_text, const std::string& path,
          const std::vector<std::string>& values) {
  Tensor t(parse_dtype(dtype), parse_shape(shape_text));
  if (static_cast<std::int64_t>(values.size()) != t.numel())
    fail("{} values given for shape {}", values.size(), shape_str(t.shape()));
  std::size_t i = 0;
  for_each_index(t.shape(), [&](std::span<const std::int64_t> idx) {
    const std::string& text = values[i++];
    visit_dtype(t.dtype(), [&](auto zero) {
      using T = decltype(zero);
      if constexpr (std::is_floating_point_v<T>) {
        t.at<T>(idx) = static_cast<T>(std::strtod(text.c_str(), nullptr));  // hex floats too
      } else {
        T v{};
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc() || p != text.data() + text.size())
          fail("'{}' is not a {} value", text, dtype);
        t.at<T>(idx) = v;
      }
    });
  });
  npy_write(path, t);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "dump") {
      dump(args[1]);
    } else if (args.size() >= 4 && args[0] == "make") {
      make(args[1], args[2], args[3], std::vector<std::string>(args.begin() + 4, args.end()));
    } else if (args.size() == 3 && args[0] == "copy") {
      npy_write(args[2], npy_read(args[1]));
    } else {
      std::fputs("usage: cli_npy_tool dump FILE | make DTYPE SHAPE OUT [V...] | copy IN OUT\n",
                 stderr);
      return 2;
    }
  } catch (const bitforge::Error& e) {
    std::fprintf(stderr, "cli_npy_tool: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
