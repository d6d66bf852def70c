// The "random" tuner: uniform over the valid configs, without repeats. The baseline every
// other search must beat.
#include "tune/search_support.hpp"
#include "tune/tuners_internal.hpp"

namespace bitforge::tuners {

namespace {
class RandomTuner : public Tuner {
 public:
  RandomTuner(const TuningTask& task, std::uint64_t seed, const std::vector<TrialRecord>& history)
      : space_(task.space), rng_(seed), visited_(history) {}
  std::vector<Config> next_batch(int n) override {
    return tune_detail::sample_unvisited(space_, rng_, visited_, n);
  }
  void update(const std::vector<TrialRecord>&) override {}

 private:
  ScheduleSpace space_;
  tune_detail::SplitMix64 rng_;
  tune_detail::VisitedSet visited_;
};
}  // namespace

std::unique_ptr<Tuner> make_random(const TuningTask& task, std::uint64_t seed, const std::vector<TrialRecord>& history,
                                   const std::vector<TrialRecord>&) {
  return std::make_unique<RandomTuner>(task, seed, history);
}

}  // namespace bitforge::tuners
