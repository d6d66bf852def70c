// The "grid" tuner: every valid config exactly once, in a fixed order that strides across
// the index space (index k·s mod size, s coprime with size and near size/φ) so that the
// first trials are spread over all knobs instead of varying only the last one.
#include <numeric>

#include "tune/search_support.hpp"
#include "tune/tuners_internal.hpp"

namespace bitforge::tuners {

namespace {
class GridTuner : public Tuner {
 public:
  GridTuner(const TuningTask& task, const std::vector<TrialRecord>& history)
      : space_(task.space), size_(space_.size()), visited_(history) {
    stride_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(size_) * 0.6180339887));
    while (size_ > 1 && std::gcd(stride_, size_) != 1) ++stride_;
  }
  std::vector<Config> next_batch(int n) override {
    std::vector<Config> out;
    while (static_cast<int>(out.size()) < n && step_ < size_) {
      // k·s mod size without overflow: sizes are far below 2^32 in practice, but be safe.
      const std::uint64_t index = static_cast<std::uint64_t>((static_cast<unsigned __int128>(step_) * stride_) % size_);
      ++step_;
      Config c = space_.at(index);
      if (visited_.add(c)) out.push_back(std::move(c));
    }
    return out;
  }
  void update(const std::vector<TrialRecord>&) override {}

 private:
  ScheduleSpace space_;
  std::uint64_t size_;
  std::uint64_t stride_ = 1;
  std::uint64_t step_ = 0;
  tune_detail::VisitedSet visited_;
};
}  // namespace

// The order is fixed by the space alone (the seed does not change it): a grid walk is
// reproducible by construction, and resuming skips what the history already holds.
std::unique_ptr<Tuner> make_grid(const TuningTask& task, std::uint64_t, const std::vector<TrialRecord>& history,
                                 const std::vector<TrialRecord>&) {
  return std::make_unique<GridTuner>(task, history);
}

}  // namespace bitforge::tuners
