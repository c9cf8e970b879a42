// Printing tensors exactly as PyTorch's torch/_tensor_str.py does (default print options:
// precision 4, line width 80, summarised above 1000 elements with 3 edge items).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string_view>

#include "core/sizes.h"
#include "core/tensor_impl.h"
#include "ember/autograd.h"
#include "ember/ops.h"
#include "ember/tensor.h"

namespace ember {

std::string shape_string(const Shape& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "," : "") << shape[i];
  out << ']';
  return out.str();
}

namespace {

constexpr int64_t kLineWidth = 80;
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kThreshold = 1000;

// The elements shown, on the host, row-major: doubles for floating dtypes, else int64. A
// summarised tensor keeps only the edge items of its elided dims there.
struct HostValues {
  DType dtype;
  Shape shape;    // the tensor's
  Shape strides;  // of the values kept
  std::vector<double> reals;
  std::vector<int64_t> integers;
  bool summarize;

  bool floating() const { return is_floating_point(dtype); }
  // A dim of this size shows only its first and last kEdgeItems.
  bool elided(int64_t size) const { return summarize && size > 2 * kEdgeItems; }
  // Where index i of dim sits among the values kept.
  int64_t position(size_t dim, int64_t i) const {
    int64_t size = shape[dim];
    int64_t kept = elided(size) && i >= kEdgeItems ? i - (size - 2 * kEdgeItems) : i;
    return kept * strides[dim];
  }
};

// snprintf with a format taking one double; the texts here are at most a few dozen chars.
std::string c_format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// PyTorch's _Formatter: one width and one style for every element shown.
class Formatter {
 public:
  Formatter(const HostValues& host, const std::vector<int64_t>& shown) : host_(host) {
    if (host.floating()) {
      choose_float_style(shown);
    } else {
      for (int64_t i : shown) width_ = std::max(width_, integer_text(i).size());
    }
  }

  size_t width() const { return width_; }

  std::string format(int64_t i) const {
    std::string text = host_.floating() ? float_text(host_.reals[i]) : integer_text(i);
    return std::string(width_ > text.size() ? width_ - text.size() : 0, ' ') + text;
  }

 private:
  void choose_float_style(const std::vector<int64_t>& shown) {
    std::vector<double> values;
    for (int64_t i : shown) {
      double v = host_.reals[i];
      if (std::isfinite(v) && v != 0) values.push_back(v);
    }
    if (values.empty()) return;
    double min = INFINITY, max = 0;
    for (double v : values) {
      min = std::min(min, std::abs(v));
      max = std::max(max, std::abs(v));
      int_mode_ = int_mode_ && v == std::ceil(v);
    }
    sci_mode_ = max / min > 1000.0 || max > 1.0e8 || (!int_mode_ && min < 1.0e-4);
    for (double v : values) width_ = std::max(width_, float_text(v).size());
  }

  std::string float_text(double v) const {
    if (std::isnan(v)) return "nan";  // Python never writes "-nan"
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (sci_mode_) return c_format("%.4e", v);
    return c_format(int_mode_ ? "%.0f." : "%.4f", v);
  }

  std::string integer_text(int64_t i) const {
    int64_t v = host_.integers[i];
    if (host_.dtype == kBool) return v ? "True" : "False";
    return std::to_string(v);
  }

  const HostValues& host_;
  size_t width_ = 1;
  bool int_mode_ = true;
  bool sci_mode_ = false;
};

// The flat indices of the elements that will be printed (get_summarized_data).
void collect_shown(const HostValues& host, size_t dim, int64_t base, std::vector<int64_t>& out) {
  if (dim == host.shape.size()) {
    out.push_back(base);
    return;
  }
  int64_t size = host.shape[dim];
  for (int64_t i = 0; i < size; ++i) {
    if (host.elided(size) && i == kEdgeItems) i = size - kEdgeItems;
    collect_shown(host, dim + 1, base + host.position(dim, i), out);
  }
}

// Appends the parts in turn (operator+ on a literal trips GCC 12's -Wrestrict).
std::string concat(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (std::string_view part : parts) text += part;
  return text;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) text += separator;
    text += parts[i];
  }
  return text;
}

// _vector_str: as many elements per line as fit in the line width.
std::string vector_string(const HostValues& host, int64_t base, int64_t indent,
                          const Formatter& formatter) {
  size_t dim = host.shape.size() - 1;
  int64_t size = host.shape[dim];
  std::vector<std::string> items;
  for (int64_t i = 0; i < size; ++i) {
    if (host.elided(size) && i == kEdgeItems) {
      items.push_back(" ...");
      i = size - kEdgeItems;
    }
    items.push_back(formatter.format(base + host.position(dim, i)));
  }
  auto element_length = static_cast<int64_t>(formatter.width()) + 2;
  size_t per_line =
      static_cast<size_t>(std::max<int64_t>(1, (kLineWidth - indent) / element_length));
  std::vector<std::string> lines;
  for (size_t i = 0; i < items.size(); i += per_line) {
    auto last = items.begin() + static_cast<int64_t>(std::min(items.size(), i + per_line));
    lines.push_back(join({items.begin() + static_cast<int64_t>(i), last}, ", "));
  }
  return concat({"[", join(lines, concat({",\n", std::string(indent + 1, ' ')})), "]"});
}

// _tensor_str_with_formatter: nested brackets, blank lines between blocks of 3-d and up.
std::string nested_string(const HostValues& host, size_t dim, int64_t base, int64_t indent,
                          const Formatter& formatter) {
  size_t ndim = host.shape.size();
  if (ndim == 0) return formatter.format(base);
  if (dim + 1 == ndim) return vector_string(host, base, indent, formatter);
  int64_t size = host.shape[dim];
  std::vector<std::string> slices;
  for (int64_t i = 0; i < size; ++i) {
    if (host.elided(size) && i == kEdgeItems) {
      slices.push_back("...");
      i = size - kEdgeItems;
    }
    slices.push_back(
        nested_string(host, dim + 1, base + host.position(dim, i), indent + 1, formatter));
  }
  std::string separator =
      concat({",", std::string(ndim - dim - 1, '\n'), std::string(indent + 1, ' ')});
  return concat({"[", join(slices, separator), "]"});
}

// Only the edge items of a summarised tensor are read: the rest is never printed, and a
// broadcast view may have more elements than memory holds.
Tensor shown_part(const Tensor& tensor) {
  NoGradGuard no_grad;
  Tensor part = tensor;
  for (int64_t d = 0; d < tensor.dim(); ++d) {
    int64_t size = tensor.size(d);
    if (size <= 2 * kEdgeItems) continue;
    part = cat({part.narrow(d, 0, kEdgeItems), part.narrow(d, size - kEdgeItems, kEdgeItems)}, d);
  }
  return part;
}

// The elements shown_part keeps: a summary keeps 2 * kEdgeItems of each longer dim, so many
// short dims can still multiply past this machine's memory.
int64_t shown_count(const Tensor& tensor, bool summarize) {
  int64_t count = 1;
  for (int64_t size : tensor.shape()) {
    int64_t kept = summarize ? std::min<int64_t>(size, 2 * kEdgeItems) : size;
    count = checked_mul(count, kept, "to_string", "the printed elements");
  }
  return count;
}

HostValues to_host(const Tensor& tensor) {
  bool summarize = tensor.numel() > kThreshold;
  check_host_buffer(checked_nbytes(shown_count(tensor, summarize), kFloat64, "to_string"),
                    "to_string");
  Tensor shown = summarize ? shown_part(tensor) : tensor;
  HostValues host{tensor.dtype(), tensor.shape(), contiguous_strides(shown.shape()), {}, {},
                  summarize};
  if (host.floating()) {
    host.reals = shown.to_vector<double>();
  } else {
    host.integers = shown.to_vector<int64_t>();
  }
  return host;
}

std::string contents_string(const Tensor& tensor, int64_t indent) {
  HostValues host = to_host(tensor);
  std::vector<int64_t> shown;
  collect_shown(host, 0, 0, shown);
  Formatter formatter(host, shown);
  return nested_string(host, 0, 0, indent, formatter);
}

// Python's repr of a shape tuple: (0, 3).
std::string tuple_string(const Shape& shape) {
  std::vector<std::string> sizes;
  for (int64_t s : shape) sizes.push_back(std::to_string(s));
  return concat({"(", join(sizes, ", "), shape.size() == 1 ? ",)" : ")"});
}

// "mul" -> "MulBackward0", the name PyTorch gives the node of the same op.
std::string backward_name(const std::string& op) {
  std::string name;
  bool upper = true;
  for (char c : op) {
    if (c == '_') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name + "Backward0";
}

std::vector<std::string> suffixes_of(const Tensor& tensor) {
  std::vector<std::string> suffixes;
  if (!tensor.device().is_cpu())
    suffixes.push_back(concat({"device='", tensor.device().str(), "'"}));
  DType dtype = tensor.dtype();
  bool default_dtype = dtype == kFloat32 || dtype == kInt64 || dtype == kBool;
  if (tensor.numel() == 0) {
    if (tensor.dim() != 1) suffixes.push_back(concat({"size=", tuple_string(tensor.shape())}));
    default_dtype = dtype == kFloat32;  // nothing else shows an empty tensor's dtype
  }
  if (!default_dtype) suffixes.push_back(concat({"dtype=", dtype_name(dtype)}));
  if (tensor.grad_fn()) {
    suffixes.push_back(concat({"grad_fn=<", backward_name(tensor.grad_fn()->name()), ">"}));
  } else if (tensor.requires_grad()) {
    suffixes.push_back("requires_grad=True");
  }
  return suffixes;
}

// _add_suffixes: a suffix that would pass the line width starts a new line.
std::string with_suffixes(std::string text, const std::vector<std::string>& suffixes,
                          int64_t indent) {
  size_t newline = text.rfind('\n');
  // Python's len(s) - s.rfind("\n") + 1, quirks included (rfind is -1 without a newline).
  auto line_length = static_cast<int64_t>(text.size()) -
                     (newline == std::string::npos ? -1 : static_cast<int64_t>(newline)) + 1;
  for (const std::string& suffix : suffixes) {
    auto length = static_cast<int64_t>(suffix.size());
    if (line_length + length + 2 > kLineWidth) {
      text += concat({",\n", std::string(indent, ' '), suffix});
      line_length = indent + length;
    } else {
      text += concat({", ", suffix});
      line_length += length + 2;
    }
  }
  return text + ")";
}

}  // namespace

std::string to_string(const Tensor& tensor) {
  if (!tensor.defined()) return "tensor(undefined)";
  const std::string prefix = "tensor(";
  auto indent = static_cast<int64_t>(prefix.size());
  std::string contents = tensor.numel() == 0 ? "[]" : contents_string(tensor, indent);
  return with_suffixes(concat({prefix, contents}), suffixes_of(tensor), indent);
}

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) {
  return out << to_string(tensor);
}

}  // namespace ember
