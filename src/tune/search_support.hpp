// bitforge tune (internal): what the search strategies share — a seeded random source and
// the set of configs a tuner must not propose again.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "codegen/schedule_space.hpp"
#include "tune/records.hpp"

namespace bitforge::tune_detail {

// SplitMix64: a seed names one search on every platform (std:: distributions are
// implementation-defined).
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }  // n > 0; bias negligible for small n
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::function<std::uint64_t()> source() {
    return [this] { return next(); };
  }

 private:
  std::uint64_t state_;
};

// Configs proposed or measured so far. A space's configs are keyed by their values, so
// two records of the same config (e.g. from two logs) are one visit.
class VisitedSet {
 public:
  VisitedSet() = default;
  explicit VisitedSet(const std::vector<TrialRecord>& history) {
    for (const TrialRecord& r : history) add(r.config);
  }
  bool contains(const Config& c) const { return seen_.count(c) != 0; }
  bool add(const Config& c) { return seen_.insert(c).second; }  // false if already there
  std::size_t size() const { return seen_.size(); }

 private:
  std::set<Config> seen_;
};

// Up to n new uniformly random valid configs (marked visited). Rejection sampling while
// the space is mostly unvisited; once most of it has been seen, a uniform pick among the
// unvisited indices, so the last configs of a small space are still found.
std::vector<Config> sample_unvisited(const ScheduleSpace& space, SplitMix64& rng, VisitedSet& visited, int n);

}  // namespace bitforge::tune_detail
