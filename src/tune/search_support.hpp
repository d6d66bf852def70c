// bitforge tune (internal): what the search strategies share — a seeded random source and
// the set of configs a tuner must not propose again.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "codegen/schedule_space.hpp"
#include "core/random.hpp"
#include "tune/records.hpp"

namespace bitforge::tune_detail {

using ::bitforge::SplitMix64;

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
