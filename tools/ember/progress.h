// Progress of a long loop: a bar with rate and ETA redrawn in place on a terminal, and
// a plain line at every quarter otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ember::cli {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit);
  // Marks done steps finished, each of step_items items; status is shown after the bar.
  void update(int64_t done, int64_t items, const std::string& status);
  void finish();

 private:
  double elapsed() const;
  void draw(const std::string& status);

  std::string label_, unit_;
  int64_t total_, done_ = 0, items_ = 0;
  int next_quarter_ = 1;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1m05s", "12s", "0.4s".
std::string format_duration(double seconds);
// "12.3k", "1.20M".
std::string format_rate(double per_second);

}  // namespace ember::cli
