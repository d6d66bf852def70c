#include "core/npy.hpp"

#include <cctype>
#include <cstring>
#include <map>
#include <optional>

#include "core/file_io.hpp"

namespace bitforge {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

// .npy descr strings of the supported dtypes, as NumPy writes them on little-endian hosts.
std::string_view descr_of(DType t) {
  switch (t) {
    case DType::f32: return "<f4";
    case DType::i32: return "<i4";
    case DType::i16: return "<i2";
    case DType::i8: return "|i1";
    case DType::u8: return "|u1";
    case DType::u16: return "<u2";
    case DType::u32: return "<u4";
    case DType::u64: return "<u8";
  }
  __builtin_unreachable();
}

DType dtype_of_descr(const std::string& descr, const std::string& what) {
  constexpr std::string_view kSupported =
      "float32, int32, int16, int8, uint8, uint16, uint32, uint64";
  if (descr.size() == 3 && std::strchr("<>|=", descr[0]) != nullptr) {
    char order = descr[0];
    std::string_view code(descr.data() + 1, 2);
    bool single_byte = code[1] == '1';
    if (order == '>' && !single_byte)
      fail("{}: big-endian data ('{}') is not supported; save it little-endian", what, descr);
    static const std::map<std::string_view, DType> kCodes = {
        {"f4", DType::f32}, {"i4", DType::i32}, {"i2", DType::i16}, {"i1", DType::i8},
        {"u1", DType::u8},  {"u2", DType::u16}, {"u4", DType::u32}, {"u8", DType::u64}};
    if (auto it = kCodes.find(code); it != kCodes.end()) return it->second;
  }
  fail("{}: dtype '{}' is not supported (supported: {})", what, descr, kSupported);
}

// A parser for the Python dict literal of a .npy header: string keys, and values that
// are strings, True/False, or tuples of non-negative integers.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& what) : s_(text), what_(what) {}

  struct Value {
    std::optional<std::string> str;
    std::optional<bool> boolean;
    std::optional<Shape> tuple;
  };

  std::map<std::string, Value> parse_dict() {
    std::map<std::string, Value> out;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      std::string key = parse_string();
      expect(':');
      Value v = parse_value();
      if (!out.emplace(key, std::move(v)).second) bad("key '" + key + "' appears twice");
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') bad("expected ',' or '}'");
    }
    ++pos_;
    skip_space();
    if (pos_ != s_.size()) bad("text after the closing '}'");
    return out;
  }

 private:
  [[noreturn]] void bad(const std::string& why) {
    fail("{}: malformed .npy header ({} at offset {})", what_, why, pos_);
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  char peek() { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void expect(char c) {
    skip_space();
    if (peek() != c) bad(fmt::format("expected '{}'", c));
    ++pos_;
  }
  std::string parse_string() {
    skip_space();
    char q = peek();
    if (q != '\'' && q != '"') bad("expected a quoted string");
    std::size_t end = s_.find(q, pos_ + 1);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  std::int64_t parse_int() {
    std::int64_t v = 0;
    std::size_t start = pos_;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      if (v > (INT64_MAX - 9) / 10) bad("extent too large");
      v = v * 10 + (s_[pos_++] - '0');
    }
    if (pos_ == start) bad("expected a non-negative integer");
    if (peek() == 'L') ++pos_;  // Python 2 long suffix, still written by old NumPy
    return v;
  }
  Value parse_value() {
    skip_space();
    Value v;
    if (peek() == '\'' || peek() == '"') {
      v.str = parse_string();
    } else if (s_.substr(pos_, 4) == "True") {
      v.boolean = true;
      pos_ += 4;
    } else if (s_.substr(pos_, 5) == "False") {
      v.boolean = false;
      pos_ += 5;
    } else if (peek() == '(') {
      ++pos_;
      Shape shape;
      while (true) {
        skip_space();
        if (peek() == ')') break;
        shape.push_back(parse_int());
        skip_space();
        if (peek() == ',') {
          ++pos_;
        } else if (peek() != ')') {
          bad("expected ',' or ')' in the shape");
        }
      }
      ++pos_;
      v.tuple = std::move(shape);
    } else {
      bad("expected a string, True, False or a shape tuple");
    }
    return v;
  }

  std::string_view s_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

std::uint32_t read_le(std::string_view bytes, std::size_t at, int width) {
  std::uint32_t v = 0;
  for (int i = width - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  return v;
}

}  // namespace

Tensor npy_parse(std::string_view bytes, const std::string& what) {
  if (bytes.size() < 10 || bytes.substr(0, kMagic.size()) != kMagic)
    fail("{}: not a .npy file (it does not start with the \\x93NUMPY magic)", what);
  int major = static_cast<unsigned char>(bytes[6]);
  int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    fail("{}: .npy format version {}.{} is not supported (supported: 1.0, 2.0, 3.0)", what, major,
         minor);
  int len_width = major == 1 ? 2 : 4;
  std::size_t header_start = 8 + static_cast<std::size_t>(len_width);
  if (bytes.size() < header_start) fail("{}: truncated .npy header", what);
  std::size_t header_len = read_le(bytes, 8, len_width);
  if (bytes.size() < header_start + header_len) fail("{}: truncated .npy header", what);
  std::string_view header = bytes.substr(header_start, header_len);

  auto dict = HeaderParser(header, what).parse_dict();
  for (const auto& [key, _] : dict)
    if (key != "descr" && key != "fortran_order" && key != "shape")
      fail("{}: malformed .npy header (unexpected key '{}')", what, key);
  auto need = [&](const char* key) -> const HeaderParser::Value& {
    auto it = dict.find(key);
    if (it == dict.end()) fail("{}: malformed .npy header (no '{}' key)", what, key);
    return it->second;
  };
  const auto& descr = need("descr");
  const auto& fortran = need("fortran_order");
  const auto& shape = need("shape");
  if (!descr.str) fail("{}: malformed .npy header ('descr' is not a simple dtype string)", what);
  if (!fortran.boolean) fail("{}: malformed .npy header ('fortran_order' is not True/False)", what);
  if (!shape.tuple) fail("{}: malformed .npy header ('shape' is not a tuple)", what);
  if (*fortran.boolean) fail("{}: Fortran-order arrays are not supported; save it in C order", what);
  DType dtype = dtype_of_descr(*descr.str, what);

  // Check the claimed size against the file before allocating anything: a corrupt
  // header must not make us allocate (or overflow computing) a huge tensor.
  for (std::int64_t e : *shape.tuple)
    if (e < 0) fail("{}: malformed .npy header (negative extent {})", what, e);
  std::uint64_t data_bytes = dtype_size(dtype);
  for (std::int64_t e : *shape.tuple)
    if (__builtin_mul_overflow(data_bytes, static_cast<std::uint64_t>(e), &data_bytes))
      fail("{}: shape {} is too large to exist", what, shape_str(*shape.tuple));
  const std::size_t data_start = header_start + header_len;
  const std::size_t have = bytes.size() - data_start;
  if (have < data_bytes)
    fail("{}: truncated data (shape {} of {} needs {} bytes, the file has {})", what,
         shape_str(*shape.tuple), dtype_name(dtype), data_bytes, have);
  if (have > data_bytes)
    fail("{}: {} unexpected bytes after the data of shape {}", what, have - data_bytes, shape_str(*shape.tuple));
  Tensor t(dtype, *shape.tuple);
  std::memcpy(t.raw_data(), bytes.data() + data_start, t.nbytes());
  return t;
}

Tensor npy_read(const std::string& path) { return npy_parse(read_file(path), "'" + path + "'"); }

std::string npy_serialize(const Tensor& tensor) {
  const Tensor t = tensor.contiguous();
  std::string shape;
  for (std::int64_t e : t.shape()) shape += fmt::format("{}, ", e);
  if (t.rank() > 1) shape.resize(shape.size() - 2);  // (3,) keeps its comma, (3, 4) does not
  if (t.rank() == 1) shape.pop_back();
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}",
                                 descr_of(t.dtype()), shape);
  // Pad with spaces so the data starts 64-byte aligned, as NumPy does; end with '\n'.
  std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  if (dict.size() > 65535) fail("tensor of rank {} has too large a .npy header", t.rank());
  std::string out(kMagic);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(dict.size() & 0xff));
  out.push_back(static_cast<char>(dict.size() >> 8));
  out += dict;
  out.append(static_cast<const char*>(t.raw_data()), t.nbytes());
  return out;
}

void npy_write(const std::string& path, const Tensor& t) {
  write_file_atomically(path, npy_serialize(t));
}

}  // namespace bitforge
