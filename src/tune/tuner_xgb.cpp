// The "xgb" tuner: an XGBoost ranking model over config features (cost_model.hpp), and
// simulated annealing over the schedule space that looks for the configs the model ranks
// highest; measured in batches, a share of each batch random (tuner_xgb.hpp says why).
//
// Before every batch the model is retrained on every trial it knows: this task's history
// and results, plus the transfer records (other workloads of the same operator family and
// target), each workload its own ranking group. Failed trials are kept as the slowest of
// their workload rather than dropped: failures (compile timeouts of huge unrolled bodies,
// crashes) cluster in regions of the space, and a model that never sees them keeps
// proposing their neighbours.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "codegen/codegen.hpp"
#include "core/error.hpp"
#include "tune/cost_model.hpp"
#include "tune/tuner_xgb.hpp"
#include "tune/tuners_internal.hpp"

namespace bitforge::tuners {

namespace {

constexpr double kFailed = std::numeric_limits<double>::infinity();

// The cost of a trial the model learns from: the minimum repeat (the least disturbed by
// other processes on the machine), infinity for a failed trial.
double trial_seconds(const TrialRecord& r) {
  if (!r.ok()) return kFailed;
  if (r.min_s > 0) return r.min_s;
  if (!r.costs.empty()) return *std::min_element(r.costs.begin(), r.costs.end());
  return r.median_s > 0 ? r.median_s : kFailed;
}

class XgbTuner final : public Tuner {
 public:
  XgbTuner(const TuningTask& task, std::uint64_t seed, const std::vector<TrialRecord>& history,
           const std::vector<TrialRecord>& transfer, const XgbTunerOptions& options)
      : task_(task), opt_(options), rng_(seed), space_size_(task_.space.size()) {
    own_key_ = workload_key(task_.workload);
    for (const TrialRecord& r : history) learn_own(r);
    add_transfer(transfer);
  }

  std::vector<Config> next_batch(int n) override {
    const std::uint64_t remaining = space_size_ - visited_valid_;
    n = static_cast<int>(std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max(n, 0)), remaining));
    if (n == 0) return {};
    std::set<std::string> taken;
    std::vector<Config> batch;
    if (trainable()) {
      model_.fit(rows_, seconds_, groups_);
      const int explore = static_cast<int>(std::lround(n * opt_.explore_fraction));
      for (Config& c : annealed_candidates(n - explore)) {
        taken.insert(c.str());
        batch.push_back(std::move(c));
      }
    }
    // Exploration share, and whatever the model could not fill (no data yet, or the
    // annealing met fewer unseen configs than asked).
    for (Config& c : random_unseen(n - static_cast<int>(batch.size()), taken)) batch.push_back(std::move(c));
    for (const Config& c : batch) mark_visited(c);
    return batch;
  }

  void update(const std::vector<TrialRecord>& results) override {
    for (const TrialRecord& r : results) learn_own(r);
  }

 private:
  std::uint64_t next() { return rng_(); }
  // Uniform over the valid configs. By index rather than ScheduleSpace::sample: the space
  // is enumerated anyway (for its size), and where valid configs are a small share of the
  // raw product, sample's rejection loop costs milliseconds per config.
  Config random_config() { return task_.space.at(next() % space_size_); }
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

  void mark_visited(const Config& c) {
    if (visited_.insert(c.str()).second && task_.space.check(c).empty()) ++visited_valid_;
  }

  // A trial of this task (history or a result): never proposed again, and a training row
  // if its config is a valid point of the space.
  void learn_own(const TrialRecord& r) {
    mark_visited(r.config);
    if (!task_.space.check(r.config).empty()) return;
    rows_.push_back(config_features(task_.workload, task_.target, task_.space, r.config));
    seconds_.push_back(trial_seconds(r));
    groups_.push_back(0);
    if (r.ok()) measured_.emplace_back(trial_seconds(r), r.config);
  }

  // Records of other workloads become training rows of their own ranking groups when
  // their workload has this task's operator family (same space and knobs) and target.
  void add_transfer(const std::vector<TrialRecord>& transfer) {
    std::map<std::string, std::optional<std::pair<Workload, ScheduleSpace>>> spaces;
    std::map<std::string, int> group_of;
    for (const TrialRecord& r : transfer) {
      if (r.key == own_key_) {  // this task's own trials, handed over as transfer
        learn_own(r);
        continue;
      }
      if (!r.target.empty() && r.target != task_.target.name) continue;
      auto it = spaces.find(r.key);
      if (it == spaces.end()) it = spaces.emplace(r.key, space_of(r.key)).first;
      if (!it->second) continue;
      const auto& [wl, space] = *it->second;
      if (!space.check(r.config).empty()) continue;
      auto [g, inserted] = group_of.emplace(r.key, static_cast<int>(group_of.size()) + 1);
      (void)inserted;
      rows_.push_back(config_features(wl, task_.target, space, r.config));
      seconds_.push_back(trial_seconds(r));
      groups_.push_back(g->second);
    }
  }

  // The workload and space of a transfer key, if it belongs to this task's family.
  std::optional<std::pair<Workload, ScheduleSpace>> space_of(const std::string& key) const {
    try {
      Workload wl = parse_workload_key(key);
      ScheduleSpace space = schedule_space(wl, task_.target);
      if (space.op() != task_.space.op() || space.knobs().size() != task_.space.knobs().size()) return std::nullopt;
      for (std::size_t i = 0; i < space.knobs().size(); ++i)
        if (space.knobs()[i].name != task_.space.knobs()[i].name ||
            space.knobs()[i].values != task_.space.knobs()[i].values)
          return std::nullopt;
      return std::make_pair(std::move(wl), std::move(space));
    } catch (const Error&) {
      return std::nullopt;  // a key of another bitforge version, or one this target refuses
    }
  }

  // The model can rank only if some workload has two trials of different cost.
  bool trainable() const {
    std::map<int, std::pair<double, double>> range;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      auto [it, inserted] = range.emplace(groups_[i], std::make_pair(seconds_[i], seconds_[i]));
      if (!inserted) {
        it->second.first = std::min(it->second.first, seconds_[i]);
        it->second.second = std::max(it->second.second, seconds_[i]);
      }
    }
    for (const auto& [g, r] : range)
      if (r.first != r.second) return true;
    return false;
  }

  std::vector<float> score(const std::vector<Config>& configs) const {
    std::vector<std::vector<float>> rows;
    rows.reserve(configs.size());
    for (const Config& c : configs) rows.push_back(config_features(task_.workload, task_.target, task_.space, c));
    return model_.score(rows);
  }

  // A valid config that differs from `c` in one knob (or `c` itself if none is found).
  Config neighbour(const Config& c) {
    const auto& knobs = task_.space.knobs();
    for (int attempt = 0; attempt < 16; ++attempt) {
      const Knob& k = knobs[next() % knobs.size()];
      if (k.values.size() < 2) continue;
      const auto current =
          static_cast<std::size_t>(std::find(k.values.begin(), k.values.end(), c.get(k.name)) - k.values.begin());
      std::size_t j = next() % (k.values.size() - 1);
      if (j >= current) ++j;
      Config m = c;
      m.set(k.name, k.values[j]);
      if (task_.space.check(m).empty()) return m;
    }
    return c;
  }

  // Simulated annealing on the model's score: chains start at the best measured configs
  // and at random points, move to a one-knob neighbour with the Metropolis rule while the
  // temperature falls linearly to 0. Every unseen config met is a candidate; the `n`
  // best-scored are returned.
  std::vector<Config> annealed_candidates(int n) {
    if (n <= 0) return {};
    const int chains = std::max(opt_.sa_chains, 1);
    std::vector<Config> cur;
    std::sort(measured_.begin(), measured_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < measured_.size() && static_cast<int>(cur.size()) < chains / 2; ++i)
      cur.push_back(measured_[i].second);
    while (static_cast<int>(cur.size()) < chains) cur.push_back(random_config());
    std::vector<float> cur_score = score(cur);

    std::map<std::string, std::pair<float, Config>> candidates;
    auto consider = [&](const Config& c, float s) {
      std::string key = c.str();
      if (visited_.count(key)) return;
      auto [it, inserted] = candidates.emplace(std::move(key), std::make_pair(s, c));
      if (!inserted) it->second.first = std::max(it->second.first, s);
    };
    for (std::size_t i = 0; i < cur.size(); ++i) consider(cur[i], cur_score[i]);

    // Temperature in units of the spread of the scores: the ranking margin has no fixed
    // scale, it depends on the data the model was trained on.
    double mean = 0, var = 0;
    for (float s : cur_score) mean += s;
    mean /= static_cast<double>(cur_score.size());
    for (float s : cur_score) var += (s - mean) * (s - mean);
    const double spread = std::sqrt(var / static_cast<double>(cur_score.size()));
    const double scale = spread > 1e-9 ? spread : 1.0;

    for (int step = 0; step < opt_.sa_steps; ++step) {
      const double t = opt_.sa_start_temperature * scale * (1.0 - static_cast<double>(step) / opt_.sa_steps);
      std::vector<Config> moved;
      moved.reserve(cur.size());
      for (const Config& c : cur) moved.push_back(neighbour(c));
      const std::vector<float> moved_score = score(moved);
      for (std::size_t i = 0; i < cur.size(); ++i) {
        consider(moved[i], moved_score[i]);
        const double gain = moved_score[i] - cur_score[i];
        if (gain >= 0 || (t > 0 && uniform() < std::exp(gain / t))) {
          cur[i] = std::move(moved[i]);
          cur_score[i] = moved_score[i];
        }
      }
    }

    std::vector<std::pair<float, Config>> ranked;
    ranked.reserve(candidates.size());
    for (auto& [key, sc] : candidates) ranked.push_back(std::move(sc));
    // Stable on the config order for equal scores, so a seed gives one batch.
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<Config> out;
    for (std::size_t i = 0; i < ranked.size() && static_cast<int>(out.size()) < n; ++i)
      out.push_back(std::move(ranked[i].second));
    return out;
  }

  // Up to `n` uniformly random valid configs, unseen and not in `taken`. Rejection
  // sampling first; once that keeps hitting seen configs (the space is nearly
  // exhausted), the unseen configs are enumerated.
  std::vector<Config> random_unseen(int n, std::set<std::string>& taken) {
    std::vector<Config> out;
    int misses = 0;
    while (static_cast<int>(out.size()) < n && misses < 256) {
      Config c = random_config();
      std::string key = c.str();
      if (visited_.count(key) || !taken.insert(key).second) {
        ++misses;
        continue;
      }
      out.push_back(std::move(c));
    }
    if (static_cast<int>(out.size()) < n) {
      std::vector<Config> unseen;
      for (std::uint64_t i = 0; i < space_size_; ++i) {
        Config c = task_.space.at(i);
        const std::string key = c.str();
        if (!visited_.count(key) && !taken.count(key)) unseen.push_back(std::move(c));
      }
      std::shuffle(unseen.begin(), unseen.end(), rng_);
      for (std::size_t i = 0; i < unseen.size() && static_cast<int>(out.size()) < n; ++i) {
        taken.insert(unseen[i].str());
        out.push_back(std::move(unseen[i]));
      }
    }
    return out;
  }

  TuningTask task_;
  XgbTunerOptions opt_;
  std::mt19937_64 rng_;
  std::uint64_t space_size_;
  std::string own_key_;
  std::set<std::string> visited_;      // Config::str() of every config seen or proposed
  std::uint64_t visited_valid_ = 0;    // how many of those are valid configs of the space
  std::vector<std::vector<float>> rows_;  // training rows: this task (group 0) and transfer
  std::vector<double> seconds_;
  std::vector<int> groups_;
  std::vector<std::pair<double, Config>> measured_;  // this task's successful trials
  CostModel model_;
};

}  // namespace

std::unique_ptr<Tuner> make_xgb_tuner(const TuningTask& task, std::uint64_t seed,
                                      const std::vector<TrialRecord>& history,
                                      const std::vector<TrialRecord>& transfer, const XgbTunerOptions& options) {
  if (!(options.explore_fraction >= 0 && options.explore_fraction <= 1))
    fail("xgb tuner: explore_fraction {} must be in [0, 1]", options.explore_fraction);
  if (options.sa_steps < 0) fail("xgb tuner: sa_steps {} must be >= 0", options.sa_steps);
  return std::make_unique<XgbTuner>(task, seed, history, transfer, options);
}

std::unique_ptr<Tuner> make_xgb(const TuningTask& task, std::uint64_t seed, const std::vector<TrialRecord>& history,
                                const std::vector<TrialRecord>& transfer) {
  return make_xgb_tuner(task, seed, history, transfer, XgbTunerOptions{});
}

}  // namespace bitforge::tuners
