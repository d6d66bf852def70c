// bitforge quant: bit packing of levels into words, SEMANTICS.md §2.
//
// Packing is where a tensor of levels becomes k bit planes of machine words: element j of
// each group of `word bits` consecutive elements along the pack axis goes to bit j (LSB
// first), tail lanes are 0. This is the layout contract between the reference, the
// generated kernels and chained layers; the fast packers of generated pipelines must
// produce exactly these words.
#pragma once

#include <cstdint>

#include "core/tensor.hpp"
#include "quant/encoding.hpp"

namespace bitforge {

// Bits in a packing word; `word` must be u8, u16, u32 or u64 (else Error).
int word_bits(DType word);

// Shape of bitpack's output: `shape` with extent of `pack_axis` replaced by
// ceil(extent / word_bits) and an axis of extent k inserted at `bit_axis` (0..rank).
Shape bitpacked_shape(std::span<const std::int64_t> shape, int bits, int pack_axis, int bit_axis,
                      DType word);

// Packs `levels` (integer tensor, validated against `encoding`; `name` is used in
// errors). pack_axis is an axis of `levels`; bit_axis is a position in the output.
Tensor bitpack(const Tensor& levels, Encoding encoding, int pack_axis, int bit_axis, DType word,
               std::string_view name = "bitpack input");

// Inverse of bitpack for the valid lanes: `extent` is the original extent of pack_axis
// (pack_axis numbers the axes of the unpacked tensor). Returns levels in `dtype`
// (default: the encoding's level dtype). Tail lanes are ignored whatever they hold.
Tensor bitunpack(const Tensor& packed, Encoding encoding, int pack_axis, int bit_axis,
                 std::int64_t extent, DType dtype);
Tensor bitunpack(const Tensor& packed, Encoding encoding, int pack_axis, int bit_axis,
                 std::int64_t extent);

}  // namespace bitforge
