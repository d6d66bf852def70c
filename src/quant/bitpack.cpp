#include "quant/bitpack.hpp"

#include "core/error.hpp"

namespace bitforge {

int word_bits(DType word) {
  switch (word) {
    case DType::u8: return 8;
    case DType::u16: return 16;
    case DType::u32: return 32;
    case DType::u64: return 64;
    default:
      fail("packing word {} is not supported (allowed: u8, u16, u32, u64)", dtype_name(word));
  }
}

namespace {
// Calls f(W{}) with the unsigned word type of `word` (checked by word_bits).
template <typename F>
void visit_word(DType word, F&& f) {
  switch (word_bits(word)) {
    case 8: return f(std::uint8_t{});
    case 16: return f(std::uint16_t{});
    case 32: return f(std::uint32_t{});
    default: return f(std::uint64_t{});
  }
}

void check_axes(int rank, int pack_axis, int bit_axis) {
  if (pack_axis < 0 || pack_axis >= rank)
    fail("pack axis {} is out of range for a tensor of rank {} (allowed: 0..{})", pack_axis, rank,
         rank - 1);
  if (bit_axis < 0 || bit_axis > rank)
    fail("bit axis {} is out of range for a packed tensor of rank {} (allowed: 0..{})", bit_axis,
         rank + 1, rank);
}

// Maps an index of the unpacked tensor (with `plane`) to the packed tensor's index.
void packed_index(std::span<const std::int64_t> idx, int pack_axis, int bit_axis, int plane,
                  int wbits, std::int64_t* out) {
  std::size_t o = 0;
  for (std::size_t a = 0; a <= idx.size(); ++a) {
    if (static_cast<int>(a) == bit_axis) out[o++] = plane;
    if (a == idx.size()) break;
    out[o++] = static_cast<int>(a) == pack_axis ? idx[a] / wbits : idx[a];
  }
}
}  // namespace

Shape bitpacked_shape(std::span<const std::int64_t> shape, int bits, int pack_axis, int bit_axis,
                      DType word) {
  check_axes(static_cast<int>(shape.size()), pack_axis, bit_axis);
  int wbits = word_bits(word);
  Shape out(shape.begin(), shape.end());
  out[static_cast<std::size_t>(pack_axis)] = (shape[static_cast<std::size_t>(pack_axis)] + wbits - 1) / wbits;
  out.insert(out.begin() + bit_axis, bits);
  return out;
}

Tensor bitpack(const Tensor& levels, Encoding encoding, int pack_axis, int bit_axis, DType word,
               std::string_view name) {
  validate_levels(levels, encoding, name);
  Tensor out(word, bitpacked_shape(levels.shape(), encoding.bits, pack_axis, bit_axis, word));
  const int wbits = word_bits(word);
  std::vector<std::int64_t> pidx(static_cast<std::size_t>(out.rank()));
  visit_word(word, [&](auto w) {
    using W = decltype(w);
    for_each_index(levels.shape(), [&](std::span<const std::int64_t> idx) {
      std::uint32_t planes = encoding.planes_of(levels.get_int(idx));
      const int lane = static_cast<int>(idx[static_cast<std::size_t>(pack_axis)] % wbits);
      for (int i = 0; i < encoding.bits; ++i) {
        if (((planes >> i) & 1u) == 0) continue;
        packed_index(idx, pack_axis, bit_axis, i, wbits, pidx.data());
        out.at<W>(pidx) = static_cast<W>(out.at<W>(pidx) | (W{1} << lane));
      }
    });
  });
  return out;
}

Tensor bitunpack(const Tensor& packed, Encoding encoding, int pack_axis, int bit_axis,
                 std::int64_t extent, DType dtype) {
  const int rank = packed.rank() - 1;
  check_axes(rank, pack_axis, bit_axis);
  const int wbits = word_bits(packed.dtype());
  if (packed.dim(bit_axis) != encoding.bits)
    fail("packed tensor of shape {} has {} bit planes on axis {}, but {} needs {}",
         shape_str(packed.shape()), packed.dim(bit_axis), bit_axis, encoding.name(), encoding.bits);
  Shape shape = packed.shape();
  shape.erase(shape.begin() + bit_axis);
  if (extent < 0 || (extent + wbits - 1) / wbits != shape[static_cast<std::size_t>(pack_axis)])
    fail("extent {} does not match {} packed words of {} bits on axis {}", extent,
         shape[static_cast<std::size_t>(pack_axis)], wbits, pack_axis);
  shape[static_cast<std::size_t>(pack_axis)] = extent;
  Tensor out(dtype, shape);
  std::vector<std::int64_t> pidx(static_cast<std::size_t>(packed.rank()));
  visit_word(packed.dtype(), [&](auto w) {
    using W = decltype(w);
    for_each_index(shape, [&](std::span<const std::int64_t> idx) {
      const int lane = static_cast<int>(idx[static_cast<std::size_t>(pack_axis)] % wbits);
      std::uint32_t planes = 0;
      for (int i = 0; i < encoding.bits; ++i) {
        packed_index(idx, pack_axis, bit_axis, i, wbits, pidx.data());
        planes |= static_cast<std::uint32_t>((packed.at<W>(pidx) >> lane) & 1u) << i;
      }
      out.set_int(idx, encoding.level_of(planes));
    });
  });
  return out;
}

Tensor bitunpack(const Tensor& packed, Encoding encoding, int pack_axis, int bit_axis,
                 std::int64_t extent) {
  return bitunpack(packed, encoding, pack_axis, bit_axis, extent, encoding.level_dtype());
}

}  // namespace bitforge
