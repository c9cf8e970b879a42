#include "progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace ember::cli {

namespace {
constexpr int kBarWidth = 30;
constexpr double kRedrawSeconds = 0.1;
}  // namespace

std::string format_duration(double seconds) {
  char buffer[32];
  if (seconds < 10) {
    std::snprintf(buffer, sizeof buffer, "%.1fs", seconds);
  } else if (seconds < 60) {
    std::snprintf(buffer, sizeof buffer, "%.0fs", seconds);
  } else {
    auto whole = static_cast<int64_t>(seconds);
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(whole / 60),
                  static_cast<long long>(whole % 60));
  }
  return buffer;
}

std::string format_rate(double per_second) {
  char buffer[32];
  if (per_second >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.2fM", per_second / 1e6);
  } else if (per_second >= 1e3) {
    std::snprintf(buffer, sizeof buffer, "%.1fk", per_second / 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f", per_second);
  }
  return buffer;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double Progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(int64_t done, int64_t items, const std::string& status) {
  done_ += done;
  items_ += items;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (std::chrono::duration<double>(now - last_draw_).count() >= kRedrawSeconds ||
        done_ == total_) {
      last_draw_ = now;
      draw(status);
    }
  } else if (total_ > 0 && done_ * 4 >= total_ * next_quarter_ && next_quarter_ < 4) {
    while (done_ * 4 >= total_ * next_quarter_) ++next_quarter_;
    draw(status);
  }
}

void Progress::draw(const std::string& status) {
  double seconds = elapsed();
  double rate = seconds > 0 ? static_cast<double>(items_) / seconds : 0;
  double step_rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  double eta = step_rate > 0 ? static_cast<double>(total_ - done_) / step_rate : 0;
  // Appends one by one: g++ 12 warns falsely (-Wrestrict) on chains of string +.
  std::string line = label_;
  line.append(" ");
  if (tty_) {
    int filled = total_ > 0 ? static_cast<int>(kBarWidth * done_ / total_) : 0;
    line.append("[").append(filled, '#').append(kBarWidth - filled, '.').append("] ");
  }
  line.append(std::to_string(done_)).append("/").append(std::to_string(total_)).append("  ");
  line.append(status).append("  ").append(format_rate(rate)).append(" ").append(unit_);
  line.append("/s  ETA ").append(format_duration(eta));
  if (tty_) {
    std::cerr << "\r\033[K" << line << std::flush;
  } else {
    std::cerr << line << std::endl;
  }
}

void Progress::finish() {
  if (tty_) std::cerr << "\r\033[K" << std::flush;
}

}  // namespace ember::cli
