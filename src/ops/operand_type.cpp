#include "ops/operand_type.hpp"

#include <charconv>

#include "core/error.hpp"

namespace bitforge {

OperandType OperandType::of(Encoding e) {
  return {e.kind == EncodingKind::Unsigned ? Kind::Unsigned : Kind::Bipolar, e.bits};
}

std::size_t OperandType::parse_prefix(std::string_view text, OperandType* out) {
  if (text.starts_with("f32")) {
    *out = {Kind::Float, 32};
    return 3;
  }
  if (text.size() >= 2 && (text[0] == 'u' || text[0] == 'b') && text[1] >= '1' && text[1] <= '8') {
    *out = of(Encoding::parse(text.substr(0, 2)));
    return 2;
  }
  if (text.size() >= 2 && text[0] == 's') {
    int bits = 0;
    auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), bits);
    if (ec == std::errc() && bits >= 2 && bits <= 16) {
      *out = {Kind::Signed, bits};
      return static_cast<std::size_t>(p - text.data());
    }
  }
  return 0;
}

OperandType OperandType::parse(std::string_view name) {
  OperandType t;
  if (parse_prefix(name, &t) != name.size() || name.empty())
    fail("unknown operand type '{}' (allowed: {})", name, kOperandTypeNames);
  return t;
}

std::string OperandType::name() const {
  switch (kind) {
    case Kind::Unsigned:
    case Kind::Bipolar: return encoding().name();
    case Kind::Signed: return fmt::format("s{}", bits);
    case Kind::Float: return "f32";
  }
  __builtin_unreachable();
}

Encoding OperandType::encoding() const {
  if (!is_low_bit()) fail("operand type {} is not a low-precision encoding", name());
  return kind == Kind::Unsigned ? Encoding::unsigned_(bits) : Encoding::bipolar(bits);
}

std::int64_t OperandType::max_abs() const {
  switch (kind) {
    case Kind::Unsigned:
    case Kind::Bipolar: return encoding().max_abs();
    case Kind::Signed: return std::int64_t{1} << (bits - 1);
    case Kind::Float: break;
  }
  fail("operand type f32 has no integer bound");
}

void OperandType::validate(const Tensor& t, std::string_view tensor_name) const {
  if (is_float()) {
    if (t.dtype() != DType::f32)
      fail("{} has dtype {}; an f32 operand needs f32", tensor_name, dtype_name(t.dtype()));
    return;
  }
  if (is_low_bit()) return validate_levels(t, encoding(), tensor_name);
  if (!dtype_is_integer(t.dtype()))
    fail("{} has dtype {}; an {} operand needs integers", tensor_name, dtype_name(t.dtype()), name());
  const std::int64_t lo = -max_abs(), hi = max_abs() - 1;
  for_each_index(t.shape(), [&](std::span<const std::int64_t> idx) {
    std::int64_t v = t.get_int(idx);
    if (v < lo || v > hi)
      fail("{} value {} at index {} is not an {} value (allowed: integers in [{}, {}])", tensor_name,
           v, shape_str(idx), name(), lo, hi);
  });
}

std::string_view op_family_name(OpFamily f) {
  switch (f) {
    case OpFamily::BitSerial: return "bit-serial";
    case OpFamily::Int8: return "int8";
    case OpFamily::Int16: return "int16";
    case OpFamily::Float32: return "float32";
  }
  __builtin_unreachable();
}

OpFamily op_family(OperandType act, OperandType wgt) {
  using K = OperandType::Kind;
  if (act.is_low_bit() && wgt.is_low_bit()) return OpFamily::BitSerial;
  if (act == OperandType{K::Unsigned, 8} && wgt == OperandType{K::Signed, 8}) return OpFamily::Int8;
  if (act.kind == K::Signed && wgt.kind == K::Signed) return OpFamily::Int16;
  if (act.is_float() && wgt.is_float()) return OpFamily::Float32;
  fail("operand types {} x {} name no operator (allowed: low-bit x low-bit from u1..u8, b1..b8; "
       "u8 x s8; signed x signed from s2..s16; f32 x f32)",
       act.name(), wgt.name());
}

}  // namespace bitforge
