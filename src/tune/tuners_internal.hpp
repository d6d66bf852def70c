// bitforge tune (internal): constructors of the individual tuners, called by make_tuner.
// Each has make_tuner's contract (tuner.hpp).
#pragma once

#include "tune/tuner.hpp"

namespace bitforge::tuners {

using TunerFactory = std::unique_ptr<Tuner> (*)(const TuningTask& task, std::uint64_t seed,
                                                const std::vector<TrialRecord>& history,
                                                const std::vector<TrialRecord>& transfer);

std::unique_ptr<Tuner> make_random(const TuningTask&, std::uint64_t, const std::vector<TrialRecord>&,
                                   const std::vector<TrialRecord>&);
std::unique_ptr<Tuner> make_grid(const TuningTask&, std::uint64_t, const std::vector<TrialRecord>&,
                                 const std::vector<TrialRecord>&);
std::unique_ptr<Tuner> make_ga(const TuningTask&, std::uint64_t, const std::vector<TrialRecord>&,
                               const std::vector<TrialRecord>&);
std::unique_ptr<Tuner> make_xgb(const TuningTask&, std::uint64_t, const std::vector<TrialRecord>&,
                                const std::vector<TrialRecord>&);

}  // namespace bitforge::tuners
