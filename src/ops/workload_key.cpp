// Key strings of workloads: printing and parsing. The grammar is documented in
// docs/workloads.md; parse(print(w)) == w for every valid workload, and print(parse(k))
// == k for every canonical key k.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <vector>

#include "core/error.hpp"
#include "ops/workload.hpp"

namespace bitforge {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    std::size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// "mb1ic64ih56" -> {mb: 1, ic: 64, ih: 56}, each name once, names from `allowed`.
std::map<std::string, std::int64_t> parse_fields(std::string_view key, std::string_view token,
                                                 std::initializer_list<std::string_view> allowed) {
  std::map<std::string, std::int64_t> fields;
  std::size_t i = 0;
  while (i < token.size()) {
    std::size_t name_start = i;
    while (i < token.size() && std::isalpha(static_cast<unsigned char>(token[i]))) ++i;
    std::string name(token.substr(name_start, i - name_start));
    std::int64_t value = 0;
    auto [p, ec] = std::from_chars(token.data() + i, token.data() + token.size(), value);
    if (name.empty() || ec != std::errc())
      fail("workload key '{}': cannot read a <name><number> field at '{}'", key,
           token.substr(name_start));
    i = static_cast<std::size_t>(p - token.data());
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      fail("workload key '{}': unknown field '{}' (allowed: {})", key, name, fmt::join(allowed, ", "));
    if (!fields.emplace(name, value).second)
      fail("workload key '{}': field '{}' is given twice", key, name);
  }
  return fields;
}

void parse_types(std::string_view key, std::string_view token, OperandType* act, OperandType* wgt) {
  std::size_t a = OperandType::parse_prefix(token, act);
  std::size_t w = a ? OperandType::parse_prefix(token.substr(a), wgt) : 0;
  if (a == 0 || w == 0 || a + w != token.size())
    fail("workload key '{}': '{}' is not an activation type followed by a weight type (each one "
         "of {}, e.g. u2b1)",
         key, token, kOperandTypeNames);
}

std::int64_t take(std::map<std::string, std::int64_t>& f, const char* name, std::int64_t dflt) {
  auto it = f.find(name);
  return it == f.end() ? dflt : it->second;
}

std::int64_t require(std::string_view key, std::map<std::string, std::int64_t>& f, const char* name) {
  auto it = f.find(name);
  if (it == f.end()) fail("workload key '{}': field '{}' is missing", key, name);
  return it->second;
}

}  // namespace

std::string Conv2d::key() const {
  std::string shape = fmt::format("mb{}ic{}ih{}iw{}oc{}kh{}kw{}", n, c, h, w, o, kh, kw);
  if (stride_h != 1 || stride_w != 1) shape += fmt::format("sh{}sw{}", stride_h, stride_w);
  if (pad_top == pad_bottom && pad_left == pad_right) {
    if (pad_top != 0 || pad_left != 0) shape += fmt::format("ph{}pw{}", pad_top, pad_left);
  } else {
    shape += fmt::format("pt{}pl{}pb{}pr{}", pad_top, pad_left, pad_bottom, pad_right);
  }
  if (dilation_h != 1 || dilation_w != 1) shape += fmt::format("dh{}dw{}", dilation_h, dilation_w);
  if (groups != 1) shape += fmt::format("g{}", groups);
  return fmt::format("conv2d_{}{}_{}_{}_{}_{}", act.name(), wgt.name(), shape,
                     lower(layout_name(layout)), lower(layout_name(weight_layout)),
                     epilogue.token(act.is_float()));
}

std::string Dense::key() const {
  return fmt::format("dense_{}{}_mb{}ic{}oc{}_{}", act.name(), wgt.name(), n, c, o,
                     epilogue.token(act.is_float()));
}

Conv2d parse_conv2d_key(std::string_view key) {
  auto tokens = split(key, '_');
  if (tokens.size() < 3 || tokens[0] != "conv2d")
    fail("workload key '{}' is not conv2d_<types>_<shape>[_<layout>_<weight layout>_<epilogue>]", key);
  Conv2d wl;
  parse_types(key, tokens[1], &wl.act, &wl.wgt);
  auto f = parse_fields(key, tokens[2], {"mb", "ic", "ih", "iw", "oc", "kh", "kw", "sh", "sw", "ph",
                                         "pw", "pt", "pl", "pb", "pr", "dh", "dw", "g"});
  if ((f.count("ph") && (f.count("pt") || f.count("pb"))) ||
      (f.count("pw") && (f.count("pl") || f.count("pr"))))
    fail("workload key '{}': ph/pw set both sides; give either ph/pw or pt/pl/pb/pr", key);
  wl.n = take(f, "mb", 1);
  wl.c = require(key, f, "ic");
  wl.h = require(key, f, "ih");
  wl.w = require(key, f, "iw");
  wl.o = require(key, f, "oc");
  wl.kh = require(key, f, "kh");
  wl.kw = require(key, f, "kw");
  wl.stride_h = take(f, "sh", 1);
  wl.stride_w = take(f, "sw", 1);
  wl.pad_top = take(f, "pt", take(f, "ph", 0));
  wl.pad_bottom = take(f, "pb", take(f, "ph", 0));
  wl.pad_left = take(f, "pl", take(f, "pw", 0));
  wl.pad_right = take(f, "pr", take(f, "pw", 0));
  wl.dilation_h = take(f, "dh", 1);
  wl.dilation_w = take(f, "dw", 1);
  wl.groups = take(f, "g", 1);
  // Optional trailing tokens, in order: activation layout, weight layout, epilogue.
  std::size_t i = 3;
  if (i < tokens.size() && (tokens[i] == "nchw" || tokens[i] == "nhwc"))
    wl.layout = parse_act_layout(tokens[i++]);
  if (i < tokens.size() && (tokens[i] == "oihw" || tokens[i] == "hwio"))
    wl.weight_layout = parse_wgt_layout(tokens[i++]);
  if (i < tokens.size()) wl.epilogue = Epilogue::parse_token(tokens[i++], wl.act.is_float());
  if (i < tokens.size())
    fail("workload key '{}': unexpected '{}' (after the shape come the activation layout "
         "nchw|nhwc, the weight layout oihw|hwio and the epilogue, in that order)",
         key, tokens[i]);
  wl.validate();
  return wl;
}

Dense parse_dense_key(std::string_view key) {
  auto tokens = split(key, '_');
  if (tokens.size() < 3 || tokens.size() > 4 || tokens[0] != "dense")
    fail("workload key '{}' is not dense_<types>_mb<N>ic<C>oc<O>[_<epilogue>]", key);
  Dense wl;
  parse_types(key, tokens[1], &wl.act, &wl.wgt);
  auto f = parse_fields(key, tokens[2], {"mb", "ic", "oc"});
  wl.n = take(f, "mb", 1);
  wl.c = require(key, f, "ic");
  wl.o = require(key, f, "oc");
  if (tokens.size() == 4) wl.epilogue = Epilogue::parse_token(tokens[3], wl.act.is_float());
  wl.validate();
  return wl;
}

Workload parse_workload_key(std::string_view key) {
  if (key.starts_with("conv2d_")) return parse_conv2d_key(key);
  if (key.starts_with("dense_")) return parse_dense_key(key);
  fail("workload key '{}' names no operator (allowed: conv2d_..., dense_...)", key);
}

}  // namespace bitforge
