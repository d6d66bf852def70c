#include "quant/encoding.hpp"

#include <charconv>

#include "core/error.hpp"

namespace bitforge {

namespace {
void check_bits(int bits) {
  if (bits < 1 || bits > 8) fail("encoding bit width {} is out of range (allowed: 1..8)", bits);
}
}  // namespace

Encoding Encoding::unsigned_(int bits) {
  check_bits(bits);
  return {EncodingKind::Unsigned, bits};
}

Encoding Encoding::bipolar(int bits) {
  check_bits(bits);
  return {EncodingKind::Bipolar, bits};
}

Encoding Encoding::parse(std::string_view name) {
  if (name.size() == 2 && (name[0] == 'u' || name[0] == 'b') && name[1] >= '1' && name[1] <= '8') {
    int bits = name[1] - '0';
    return name[0] == 'u' ? unsigned_(bits) : bipolar(bits);
  }
  fail("unknown encoding '{}' (allowed: u1..u8 for unsigned, b1..b8 for bipolar)", name);
}

std::string Encoding::name() const {
  return fmt::format("{}{}", kind == EncodingKind::Unsigned ? 'u' : 'b', bits);
}

std::int64_t Encoding::max_level() const { return (std::int64_t{1} << bits) - 1; }

std::int64_t Encoding::min_level() const {
  return kind == EncodingKind::Unsigned ? 0 : -max_level();
}

bool Encoding::is_valid(std::int64_t level) const {
  if (level < min_level() || level > max_level()) return false;
  return kind == EncodingKind::Unsigned || (level & 1) != 0;
}

std::string Encoding::level_set() const {
  if (bits > 2) {
    return kind == EncodingKind::Unsigned
               ? fmt::format("integers in [0, {}]", max_level())
               : fmt::format("odd integers in [{}, {}]", min_level(), max_level());
  }
  std::string s;
  std::int64_t step = kind == EncodingKind::Unsigned ? 1 : 2;
  for (std::int64_t v = min_level(); v <= max_level(); v += step)
    s += fmt::format("{}{}", s.empty() ? "" : ", ", v);
  return "{" + s + "}";
}

std::uint32_t Encoding::planes_of(std::int64_t level) const {
  return static_cast<std::uint32_t>(kind == EncodingKind::Unsigned ? level
                                                                   : (level + max_level()) / 2);
}

std::int64_t Encoding::level_of(std::uint32_t planes) const {
  return kind == EncodingKind::Unsigned ? planes : 2 * std::int64_t{planes} - max_level();
}

DType Encoding::level_dtype() const {
  if (kind == EncodingKind::Unsigned) return DType::u8;
  return bits <= 7 ? DType::i8 : DType::i16;
}

void validate_levels(const Tensor& t, Encoding encoding, std::string_view tensor_name) {
  if (!dtype_is_integer(t.dtype()))
    fail("{} holds {} values; levels must be integers", tensor_name, dtype_name(t.dtype()));
  for_each_index(t.shape(), [&](std::span<const std::int64_t> idx) {
    std::int64_t v = t.get_int(idx);
    if (!encoding.is_valid(v))
      fail("{} level {} at index {} is not a {} level (allowed: {})", tensor_name, v,
           shape_str(idx), encoding.name(), encoding.level_set());
  });
}

}  // namespace bitforge
