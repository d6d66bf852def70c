// bitforge core: seeded randomness and string hashing that give the same numbers on every
// platform and standard library (std:: distributions are implementation-defined), so a
// seed names one test case, one tuning run or one set of generated operands.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <string_view>

namespace bitforge {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for sampling.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) for n > 0 (the modulo bias is negligible for the small n used).
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  // Uniform in [lo, hi], inclusive.
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool chance(double p) { return unit() < p; }
  template <typename C>
  auto pick(const C& options) {
    return options[static_cast<std::size_t>(below(static_cast<std::uint64_t>(std::size(options))))];
  }
  // A generator of uniform 64-bit numbers, as ScheduleSpace::sample takes.
  std::function<std::uint64_t()> source() {
    return [this] { return next(); };
  }

 private:
  std::uint64_t state_;
};

// FNV-1a of a string: a stable 64-bit seed or name suffix derived from text.
inline std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace bitforge
