#include "plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ember::cli {

namespace {

constexpr double kPanelWidth = 420, kPanelHeight = 300, kMargin = 50;
constexpr size_t kMaxPoints = 600;

struct Panel {
  double left, top;
  std::string title, x_label;
};

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

// Averages neighbours so that a long run draws at most kMaxPoints points.
std::vector<std::pair<double, double>> downsample(const std::vector<double>& values,
                                                  double x_scale) {
  std::vector<std::pair<double, double>> points;
  size_t group = std::max<size_t>(1, (values.size() + kMaxPoints - 1) / kMaxPoints);
  for (size_t i = 0; i < values.size(); i += group) {
    size_t end = std::min(values.size(), i + group);
    double sum = 0;
    for (size_t j = i; j < end; ++j) sum += values[j];
    points.emplace_back((static_cast<double>(i + end - 1) / 2 + 1) * x_scale,
                        sum / static_cast<double>(end - i));
  }
  return points;
}

void draw_panel(std::ostringstream& svg, const Panel& panel,
                const std::vector<std::pair<double, double>>& points, const std::string& color,
                bool markers) {
  double x0 = panel.left + kMargin, y0 = panel.top + 30;
  double w = kPanelWidth - kMargin - 20, h = kPanelHeight - 80;
  svg << "<text x='" << panel.left + kPanelWidth / 2 << "' y='" << panel.top + 18
      << "' text-anchor='middle' font-weight='bold'>" << panel.title << "</text>\n";
  svg << "<rect x='" << x0 << "' y='" << y0 << "' width='" << w << "' height='" << h
      << "' fill='none' stroke='#999'/>\n";
  svg << "<text x='" << x0 + w / 2 << "' y='" << y0 + h + 35 << "' text-anchor='middle'>"
      << panel.x_label << "</text>\n";
  if (points.empty()) return;
  double xmin = points.front().first, xmax = points.back().first;
  auto [lo, hi] = std::minmax_element(points.begin(), points.end(),
                                      [](auto& a, auto& b) { return a.second < b.second; });
  double ymin = lo->second, ymax = hi->second;
  if (ymax - ymin < 1e-12) ymax = ymin + 1;
  if (xmax - xmin < 1e-12) xmax = xmin + 1;
  auto px = [&](double x) { return x0 + (x - xmin) / (xmax - xmin) * w; };
  auto py = [&](double y) { return y0 + h - (y - ymin) / (ymax - ymin) * h; };
  for (int tick = 0; tick <= 4; ++tick) {
    double y = ymin + (ymax - ymin) * tick / 4;
    svg << "<text x='" << x0 - 5 << "' y='" << py(y) + 4 << "' text-anchor='end' font-size='11'>"
        << number(y) << "</text>\n";
    double x = xmin + (xmax - xmin) * tick / 4;
    svg << "<text x='" << px(x) << "' y='" << y0 + h + 16
        << "' text-anchor='middle' font-size='11'>" << number(x) << "</text>\n";
  }
  svg << "<polyline fill='none' stroke='" << color << "' stroke-width='1.5' points='";
  for (auto& [x, y] : points) svg << px(x) << "," << py(y) << " ";
  svg << "'/>\n";
  if (!markers) return;
  for (auto& [x, y] : points) {
    svg << "<circle cx='" << px(x) << "' cy='" << py(y) << "' r='3' fill='" << color << "'/>\n";
  }
}

}  // namespace

std::string training_svg(const History& history, const std::string& title) {
  std::ostringstream svg;
  double width = 2 * kPanelWidth, height = kPanelHeight + 30;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='13'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << width / 2 << "' y='18' text-anchor='middle' font-size='15'>" << title
      << "</text>\n";
  double steps_per_epoch =
      history.epoch_loss.empty()
          ? 1
          : static_cast<double>(history.step_loss.size()) / history.epoch_loss.size();
  draw_panel(svg, {0, 30, "training loss", "epoch"},
             downsample(history.step_loss, 1 / std::max(1.0, steps_per_epoch)), "#d9480f", false);
  std::vector<std::pair<double, double>> accuracy;
  for (size_t e = 0; e < history.test_accuracy.size(); ++e) {
    accuracy.emplace_back(static_cast<double>(e + 1), history.test_accuracy[e]);
  }
  draw_panel(svg, {kPanelWidth, 30, "test accuracy", "epoch"}, accuracy, "#1c7ed6", true);
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace ember::cli
