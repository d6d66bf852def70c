#include "cli/operands.hpp"

#include <charconv>

#include "core/error.hpp"
#include "core/npy.hpp"

namespace bitforge::cli {

Tensor read_operand(const std::string& path, OperandType type, const std::string& role) {
  Tensor t = npy_read(path);
  const DType d = t.dtype();
  if (type.is_float()) {
    if (d != DType::f32)
      fail("{} '{}' has dtype {}; an f32 operand needs float32", role, path, dtype_name(d));
  } else if (d != DType::i8 && d != DType::u8 && d != DType::i16 && d != DType::i32) {
    fail("{} '{}' has dtype {}; {} levels must be int8, uint8, int16 or int32", role, path,
         dtype_name(d), type.name());
  }
  return t;
}

namespace {
std::vector<std::int64_t> parse_list(const std::string& text, const char* flag) {
  std::vector<std::int64_t> values;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + start, text.data() + end, v);
    if (ec != std::errc() || p != text.data() + end || end == start)
      fail("{} '{}' is not a comma-separated list of integers", flag, text);
    values.push_back(v);
    if (end == text.size()) return values;
    start = end + 1;
  }
}
}  // namespace

std::vector<std::int64_t> parse_pair(const std::string& text, const char* flag) {
  auto v = parse_list(text, flag);
  if (v.size() == 1) return {v[0], v[0]};
  if (v.size() == 2) return v;
  fail("{} '{}' has {} numbers (allowed: 1, or 2 for h,w)", flag, text, v.size());
}

std::vector<std::int64_t> parse_padding(const std::string& text) {
  auto v = parse_list(text, "--pad");
  if (v.size() == 1) return {v[0], v[0], v[0], v[0]};
  if (v.size() == 2) return {v[0], v[1], v[0], v[1]};
  if (v.size() == 4) return v;
  fail("--pad '{}' has {} numbers (allowed: 1, 2 for h,w, or 4 for top,left,bottom,right)", text,
       v.size());
}

}  // namespace bitforge::cli
