// make_tuner: the one table of search strategies.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "tune/tuners_internal.hpp"

namespace bitforge {

namespace {
struct TunerEntry {
  const char* name;
  tuners::TunerFactory make;
};

constexpr TunerEntry kTuners[] = {
    {"xgb", &tuners::make_xgb},
    {"ga", &tuners::make_ga},
    {"random", &tuners::make_random},
    {"grid", &tuners::make_grid},
};
}  // namespace

std::vector<std::string> tuner_names() {
  std::vector<std::string> names;
  for (const TunerEntry& e : kTuners) names.push_back(e.name);
  return names;
}

std::unique_ptr<Tuner> make_tuner(const std::string& name, const TuningTask& task, std::uint64_t seed,
                                  const std::vector<TrialRecord>& history, const std::vector<TrialRecord>& transfer) {
  for (const TunerEntry& e : kTuners) {
    if (name != e.name) continue;
    return e.make(task, seed, history, transfer);
  }
  fail("unknown tuner '{}' (allowed: {})", name, fmt::join(tuner_names(), ", "));
}

}  // namespace bitforge
