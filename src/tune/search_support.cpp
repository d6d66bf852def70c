#include "tune/search_support.hpp"

namespace bitforge::tune_detail {

std::vector<Config> sample_unvisited(const ScheduleSpace& space, SplitMix64& rng, VisitedSet& visited, int n) {
  std::vector<Config> out;
  // Rejection sampling: uniform over the unvisited valid configs, and it never needs the
  // space's size (counting the valid configs enumerates the whole raw space, which takes
  // seconds for a real convolution space). Only when many draws in a row hit visited
  // configs is the space nearly used up; then the rest are enumerated and drawn from.
  constexpr int kMaxMisses = 64;
  int misses = 0;
  while (static_cast<int>(out.size()) < n && misses < kMaxMisses) {
    Config c = space.sample(rng.source());
    if (visited.add(c)) {
      out.push_back(std::move(c));
      misses = 0;
    } else {
      ++misses;
    }
  }
  if (static_cast<int>(out.size()) == n) return out;
  std::vector<std::uint64_t> free;
  for (std::uint64_t i = 0, size = space.size(); i < size; ++i)
    if (!visited.contains(space.at(i))) free.push_back(i);
  while (static_cast<int>(out.size()) < n && !free.empty()) {
    const std::size_t k = rng.below(free.size());
    Config c = space.at(free[k]);
    free[k] = free.back();
    free.pop_back();
    visited.add(c);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace bitforge::tune_detail
