// bitforge tune (internal): the progress bar of a tuning session on stderr — trials done
// of the total, the best GOP/s so far and an estimate of the time left. Drawn only when
// stderr is a terminal: in a log file or a pipe the carriage-return redraws are noise.
#pragma once

#include <chrono>
#include <string>

namespace bitforge::tune_detail {

class ProgressBar {
 public:
  // `label` names the workload ("C2 (1/11)"); `done` trials of `total` were in the log.
  ProgressBar(bool enabled, std::string label, int done, int total);
  ~ProgressBar();  // ends the line if one was drawn
  void update(int done, double best_gops);

 private:
  void draw();
  bool enabled_;
  std::string label_;
  int start_done_, done_, total_;
  double best_gops_ = 0;
  std::chrono::steady_clock::time_point start_;
  bool drawn_ = false;
};

// Whether the bar would be drawn (stderr is a terminal).
bool stderr_is_terminal();

}  // namespace bitforge::tune_detail
