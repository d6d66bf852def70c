// bitforge core: NumPy .npy files (format versions 1.0, 2.0 and 3.0; C order;
// little-endian f32, i32, i16, i8, u8, u16, u32, u64).
//
// Not supported, and refused with a message naming what was found: Fortran order,
// big-endian data, structured or object dtypes, pickles, .npz archives.
#pragma once

#include <string>
#include <string_view>

#include "core/tensor.hpp"

namespace bitforge {

// `what` names the file in error messages ("input 'X.npy'"); defaults to the path.
Tensor npy_parse(std::string_view bytes, const std::string& what);
Tensor npy_read(const std::string& path);
std::string npy_serialize(const Tensor& t);
void npy_write(const std::string& path, const Tensor& t);  // atomic: temp file + rename

}  // namespace bitforge
