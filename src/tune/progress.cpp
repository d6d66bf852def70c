#include "tune/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace bitforge::tune_detail {

bool stderr_is_terminal() { return ::isatty(2) == 1; }

ProgressBar::ProgressBar(bool enabled, std::string label, int done, int total)
    : enabled_(enabled), label_(std::move(label)), start_done_(done), done_(done), total_(total),
      start_(std::chrono::steady_clock::now()) {
  draw();
}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputs("\n", stderr);
}

void ProgressBar::update(int done, double best_gops) {
  done_ = done;
  best_gops_ = best_gops;
  draw();
}

void ProgressBar::draw() {
  if (!enabled_) return;
  constexpr int kWidth = 24;
  const int filled = total_ > 0 ? std::min(kWidth, done_ * kWidth / total_) : kWidth;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(kWidth - filled), '.');
  // ETA from this run's own pace: trials already in the log took no time here.
  std::string eta = "--";
  const int new_done = done_ - start_done_;
  if (new_done > 0) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const int left = static_cast<int>(elapsed / new_done * (total_ - done_) + 0.5);
    eta = left >= 3600 ? fmt::format("{}h{:02}m", left / 3600, left / 60 % 60) : fmt::format("{}m{:02}s", left / 60, left % 60);
  }
  const std::string best = best_gops_ > 0 ? fmt::format("{:.1f} GOP/s", best_gops_) : "-";
  // \x1b[K clears what a longer earlier line left behind.
  std::fputs(fmt::format("\r{} [{}] {}/{}  best {}  ETA {}\x1b[K", label_, bar, done_, total_, best, eta).c_str(), stderr);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace bitforge::tune_detail
