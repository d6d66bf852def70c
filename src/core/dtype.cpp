#include "core/dtype.hpp"

#include <array>

#include "core/error.hpp"

namespace bitforge {

namespace {
constexpr std::array kAll = {DType::f32, DType::i32, DType::i16, DType::i8,
                             DType::u8,  DType::u16, DType::u32, DType::u64};
}

std::size_t dtype_size(DType t) {
  return visit_dtype(t, [](auto v) { return sizeof(v); });
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::i32: return "i32";
    case DType::i16: return "i16";
    case DType::i8: return "i8";
    case DType::u8: return "u8";
    case DType::u16: return "u16";
    case DType::u32: return "u32";
    case DType::u64: return "u64";
  }
  __builtin_unreachable();
}

DType parse_dtype(std::string_view name) {
  for (DType t : kAll)
    if (dtype_name(t) == name) return t;
  fail("unknown dtype '{}' (allowed: f32, i32, i16, i8, u8, u16, u32, u64)", name);
}

bool dtype_is_integer(DType t) { return t != DType::f32; }

}  // namespace bitforge
