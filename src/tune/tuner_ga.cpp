// The "ga" tuner: a genetic search. The population is the fastest measured configs;
// children come from tournament selection, per-knob uniform crossover and mutation, where
// mutating re-samples a few knobs uniformly among the valid configs that keep the others,
// so mutation respects the space's validity rules. A child the rules reject is repaired
// the same way, by re-sampling a few of its knobs until it is valid. A share of each
// batch is uniform random exploration.
#include <algorithm>

#include <optional>

#include "tune/search_support.hpp"
#include "tune/tuners_internal.hpp"

namespace bitforge::tuners {

namespace {
constexpr std::size_t kPopulation = 16;  // parents kept: the best configs measured so far
constexpr int kTournament = 3;
constexpr double kMutationRate = 0.15;  // per knob
constexpr double kExploration = 0.125;  // share of a batch sampled uniformly
constexpr int kAttemptsPerChild = 20;

class GaTuner : public Tuner {
 public:
  GaTuner(const TuningTask& task, std::uint64_t seed, const std::vector<TrialRecord>& history)
      : space_(task.space), rng_(seed), visited_(history) {
    learn(history);
  }

  std::vector<Config> next_batch(int n) override {
    std::vector<Config> out;
    // Until two configs have been measured successfully there is nothing to breed.
    const int explore = population_.size() < 2 ? n : static_cast<int>(n * kExploration + rng_.unit());
    for (Config& c : tune_detail::sample_unvisited(space_, rng_, visited_, explore)) out.push_back(std::move(c));
    while (static_cast<int>(out.size()) < n) {
      std::optional<Config> child = breed();
      if (!child) {
        // The neighbourhood of the population is used up: fall back to exploration.
        auto more = tune_detail::sample_unvisited(space_, rng_, visited_, n - static_cast<int>(out.size()));
        if (more.empty()) break;
        for (Config& c : more) out.push_back(std::move(c));
        break;
      }
      out.push_back(std::move(*child));
    }
    return out;
  }

  void update(const std::vector<TrialRecord>& results) override {
    for (const TrialRecord& r : results) visited_.add(r.config);
    learn(results);
  }

 private:
  void learn(const std::vector<TrialRecord>& records) {
    for (const TrialRecord& r : records)
      if (r.ok() && space_.check(r.config).empty()) population_.push_back({r.min_s, r.config});
    std::sort(population_.begin(), population_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (population_.size() > kPopulation) population_.resize(kPopulation);
  }

  const Config& tournament() {
    std::size_t best = rng_.below(population_.size());
    for (int i = 1; i < kTournament; ++i) best = std::min<std::size_t>(best, rng_.below(population_.size()));
    return population_[best].second;  // sorted fastest first: the smallest index wins
  }

  // Uniform among the valid configs that keep every knob but `redraw`: re-draw those
  // knobs uniformly and reject invalid results. (ScheduleSpace::sample with fixed knobs
  // gives the same distribution, but falls back to enumerating the whole space when the
  // fixed knobs rarely fit, which costs seconds on a real space.) nullopt if no valid
  // completion turned up.
  std::optional<Config> redraw(const Config& base, const std::vector<const Knob*>& redraw) {
    for (int attempt = 0; attempt < 64; ++attempt) {
      Config c = base;
      for (const Knob* k : redraw) c.set(k->name, k->values[rng_.below(k->values.size())]);
      if (space_.check(c).empty()) return c;
      if (redraw.empty()) break;
    }
    return std::nullopt;
  }

  std::optional<Config> breed() {
    for (int attempt = 0; attempt < kAttemptsPerChild; ++attempt) {
      const Config& a = tournament();
      const Config& b = tournament();
      Config child;
      std::vector<const Knob*> mutate;
      for (const Knob& k : space_.knobs()) {
        child.set(k.name, rng_.below(2) ? a.get(k.name) : b.get(k.name));
        if (rng_.unit() < kMutationRate) mutate.push_back(&k);
      }
      std::optional<Config> c = redraw(child, mutate);
      // Repair: a crossover of two valid parents can break a validity rule; re-draw a
      // growing random share of the knobs until the child is valid.
      for (double share = 0.25; !c && share <= 1.0; share += 0.25) {
        std::vector<const Knob*> knobs;
        for (const Knob& k : space_.knobs())
          if (rng_.unit() < share) knobs.push_back(&k);
        c = redraw(child, knobs);
      }
      if (c && visited_.add(*c)) return c;
    }
    return std::nullopt;
  }

  ScheduleSpace space_;
  tune_detail::SplitMix64 rng_;
  tune_detail::VisitedSet visited_;
  std::vector<std::pair<double, Config>> population_;
};
}  // namespace

std::unique_ptr<Tuner> make_ga(const TuningTask& task, std::uint64_t seed, const std::vector<TrialRecord>& history,
                               const std::vector<TrialRecord>&) {
  return std::make_unique<GaTuner>(task, seed, history);
}

}  // namespace bitforge::tuners
