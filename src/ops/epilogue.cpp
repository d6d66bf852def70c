#include "ops/epilogue.hpp"

#include <charconv>
#include <vector>

#include "core/error.hpp"
#include "quant/bitpack.hpp"

namespace bitforge {

Epilogue Epilogue::affine(Activation a) {
  Epilogue e;
  e.kind = Kind::Affine;
  e.activation = a;
  return e;
}

Epilogue Epilogue::threshold(Encoding out) {
  Epilogue e;
  e.kind = Kind::Threshold;
  e.out = out;
  return e;
}

Epilogue Epilogue::threshold_packed(Encoding out, DType word, int bit_axis) {
  word_bits(word);  // refuses a non-word dtype
  Epilogue e = threshold(out);
  e.packed = true;
  e.word = word;
  e.bit_axis = bit_axis;
  return e;
}

int Epilogue::threshold_count() const { return (1 << out.bits) - 1; }

bool Epilogue::operator==(const Epilogue& e) const {
  if (kind != e.kind) return false;
  switch (kind) {
    case Kind::Accumulator: return true;
    case Kind::Affine: return activation == e.activation;
    case Kind::Threshold:
      return out == e.out && packed == e.packed &&
             (!packed || (word == e.word && bit_axis == e.bit_axis));
  }
  return false;
}

std::string Epilogue::token(bool float_accumulator) const {
  switch (kind) {
    case Kind::Accumulator: return float_accumulator ? "f32" : "i32";
    case Kind::Affine:
      return activation == Activation::None   ? "affine"
             : activation == Activation::Relu ? "affine-relu"
                                              : "affine-clip";
    case Kind::Threshold:
      if (!packed) return "thr-" + out.name();
      return fmt::format("thr-{}-pack-{}-bit{}", out.name(), dtype_name(word), bit_axis);
  }
  __builtin_unreachable();
}

Epilogue Epilogue::parse_token(std::string_view token, bool float_accumulator) {
  constexpr std::string_view kAllowed =
      "i32 (f32 for float operators), affine, affine-relu, affine-clip, thr-<enc>, "
      "thr-<enc>-pack-<u8|u16|u32|u64>-bit<axis>";
  if (token == "i32" || token == "f32") {
    if ((token == "f32") != float_accumulator)
      fail("epilogue '{}' does not match the operator's {} accumulator", token,
           float_accumulator ? "f32" : "i32");
    return accumulator();
  }
  if (token == "affine") return affine();
  if (token == "affine-relu") return affine(Activation::Relu);
  if (token == "affine-clip") return affine(Activation::Clip);
  if (token.starts_with("thr-")) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0; start <= token.size();) {
      std::size_t end = token.find('-', start);
      if (end == std::string_view::npos) end = token.size();
      parts.push_back(token.substr(start, end - start));
      start = end + 1;
    }
    if (parts.size() == 2) return threshold(Encoding::parse(parts[1]));
    int axis = -1;
    if (parts.size() == 5 && parts[2] == "pack" && parts[4].starts_with("bit")) {
      std::string_view digits = parts[4].substr(3);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), axis);
      if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) axis = -1;
    }
    if (axis >= 0) return threshold_packed(Encoding::parse(parts[1]), parse_dtype(parts[3]), axis);
  }
  fail("unknown epilogue '{}' (allowed: {})", token, kAllowed);
}

void validate_epilogue_params(const Epilogue& e, std::int64_t channels, const EpilogueParams& p) {
  auto expect = [](const Tensor& t, const char* name, DType dtype, const Shape& shape) {
    if (!t.defined()) fail("epilogue needs {} ({} of shape {})", name, dtype_name(dtype), shape_str(shape));
    if (t.dtype() != dtype || t.shape() != shape)
      fail("epilogue {} is {} of shape {}; expected {} of shape {}", name, dtype_name(t.dtype()),
           shape_str(t.shape()), dtype_name(dtype), shape_str(shape));
  };
  switch (e.kind) {
    case Epilogue::Kind::Accumulator: return;
    case Epilogue::Kind::Affine:
      expect(p.scale, "scale", DType::f32, {channels});
      expect(p.bias, "bias", DType::f32, {channels});
      if (e.activation == Epilogue::Activation::Clip && !(p.clip_lo <= p.clip_hi))
        fail("epilogue clip range [{}, {}] is empty (need lo <= hi)", p.clip_lo, p.clip_hi);
      return;
    case Epilogue::Kind::Threshold: {
      const std::int64_t count = e.threshold_count();
      expect(p.thresholds, "thresholds", DType::i32, {channels, count});
      if (p.descending.defined()) expect(p.descending, "descending", DType::u8, {channels});
      const Tensor t = p.thresholds.contiguous();
      const std::int32_t* T = t.data<std::int32_t>();
      for (std::int64_t o = 0; o < channels; ++o)
        for (std::int64_t i = 1; i < count; ++i)
          if (T[o * count + i] < T[o * count + i - 1])
            fail("epilogue thresholds of channel {} decrease at t = {} ({} after {}); they must be "
                 "non-decreasing",
                 o, i, T[o * count + i], T[o * count + i - 1]);
      return;
    }
  }
}

}  // namespace bitforge
