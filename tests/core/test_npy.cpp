#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/error.hpp"
#include "core/npy.hpp"
#include "test_util.hpp"

namespace bitforge {
namespace {

using testing::tensors_equal;

std::string header_v1(const std::string& dict) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64 != 0) h.push_back(' ');
  h.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(h.size() & 0xff));
  out.push_back(static_cast<char>(h.size() >> 8));
  return out + h;
}

std::string error_of(const std::string& bytes) {
  try {
    npy_parse(bytes, "'f.npy'");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Npy, RoundTripsEveryDtypeAndRank) {
  testing::Rng rng(7);
  for (DType t : {DType::f32, DType::i32, DType::i16, DType::i8, DType::u8, DType::u16, DType::u32,
                  DType::u64})
    for (const Shape& shape : {Shape{}, Shape{0}, Shape{5}, Shape{3, 4}, Shape{2, 3, 4, 5}}) {
      Tensor x(t, shape);
      std::memset(x.raw_data(), 0, x.nbytes());
      auto* bytes = static_cast<unsigned char*>(x.raw_data());
      for (std::size_t i = 0; i < x.nbytes(); ++i) bytes[i] = static_cast<unsigned char>(rng.next());
      if (t == DType::f32)  // avoid NaN payloads, which do not compare equal
        for (std::int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i) * 0.5f;
      const std::string file = npy_serialize(x);
      EXPECT_EQ(file.find("\n") % 64, 63u) << "data must start 64-byte aligned";
      EXPECT_TRUE(tensors_equal(npy_parse(file, "x"), x)) << dtype_name(t) << shape_str(shape);
    }
}

TEST(Npy, WritesNumpysHeaderText) {
  Tensor x(DType::i16, {3});
  std::string file = npy_serialize(x);
  EXPECT_EQ(file.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_NE(file.find("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }"), std::string::npos);
}

TEST(Npy, ReadsVersion2AndDoubleQuotesAndPythonLongs) {
  std::string dict = "{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (2L, 1L)}";
  std::string file("\x93NUMPY\x02\x00", 8);
  std::uint32_t len = static_cast<std::uint32_t>(dict.size());
  file.append(reinterpret_cast<const char*>(&len), 4);
  file += dict + std::string("\x05\x06", 2);
  Tensor t = npy_parse(file, "x");
  EXPECT_EQ(t.shape(), (Shape{2, 1}));
  EXPECT_EQ(t.data<std::uint8_t>()[1], 6);
}

TEST(Npy, RefusesMalformedFilesNamingTheProblem) {
  const std::string ok = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
  const std::string data(8, '\0');
  EXPECT_NE(error_of("PK\x03\x04 zip file").find("not a .npy file"), std::string::npos);
  EXPECT_NE(error_of(std::string("\x93NUMPY\x04\x00\x00\x00", 10)).find("version 4.0"), std::string::npos);
  EXPECT_NE(error_of(header_v1(ok).substr(0, 30)).find("truncated .npy header"), std::string::npos);
  EXPECT_NE(error_of(header_v1(ok) + data.substr(0, 5)).find("truncated data"), std::string::npos);
  EXPECT_NE(error_of(header_v1(ok) + data + "xx").find("2 unexpected bytes"), std::string::npos);
  EXPECT_NE(error_of(header_v1("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }") + data)
                .find("'<f8' is not supported"),
            std::string::npos);
  EXPECT_NE(error_of(header_v1("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }") + data)
                .find("big-endian"),
            std::string::npos);
  EXPECT_NE(error_of(header_v1("{'descr': '<i4', 'fortran_order': True, 'shape': (2,), }") + data)
                .find("Fortran-order"),
            std::string::npos);
  EXPECT_NE(error_of(header_v1("{'descr': '<i4', 'shape': (2,), }") + data).find("no 'fortran_order'"),
            std::string::npos);
  EXPECT_NE(error_of(header_v1("{'descr': '<i4', 'fortran_order': False, 'shape': (2,-1), }"))
                .find("malformed .npy header"),
            std::string::npos);
  EXPECT_NE(error_of(header_v1("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }"))
                .find("malformed .npy header"),
            std::string::npos);
  EXPECT_NE(error_of(header_v1("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), 'x': 1}"))
                .find("malformed"),
            std::string::npos);
  EXPECT_NE(error_of(header_v1(ok)).find("'f.npy'"), std::string::npos) << "names the file";
}

}  // namespace
}  // namespace bitforge
