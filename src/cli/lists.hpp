// bitforge cli: comma-separated option values ("--impls w1a1,onednn-f32", "--names C2,C3").
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace bitforge::cli {

// The pieces between commas, in order. Empty pieces are kept when `keep_empty` (so that a
// command can refuse "a,,b" naming the empty value), dropped otherwise.
inline std::vector<std::string> split_commas(const std::string& s, bool keep_empty = false) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = std::min(s.find(',', start), s.size());
    if (keep_empty || comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace bitforge::cli
