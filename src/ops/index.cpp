// Indexing and joining: select, gather and scatter through integer indices; cat, stack,
// split and chunk; one_hot and embedding on top of them.
#include <algorithm>

#include "autograd/graph.h"
#include "core/sizes.h"
#include "core/user_op.h"
#include "ops/op_utils.h"

namespace ember {

using autograd::Grads;
using ops::normalize_dim;

namespace {

// int64 indices on x's device; int32 is converted.
Tensor as_index(const Tensor& index, const Tensor& x, const char* op) {
  ops::check_defined(index, op);
  ops::check_same_device(x, index, op);
  EMBER_CHECK(index.dtype() == kInt64 || index.dtype() == kInt32, op,
              "expects int64 or int32 indices, got ", index.dtype());
  return ops::cast(index.detach(), kInt64, op);
}

Tensor as_1d_index(const Tensor& index, const Tensor& x, const char* op) {
  EMBER_CHECK(index.dim() <= 1, op, "expects a 0-d or 1-d index, got shape ", index.shape());
  return as_index(index, x, op).reshape({-1});
}

Tensor select_forward(const Tensor& x, int64_t dim, const Tensor& index) {
  Shape shape = x.shape();
  shape[dim] = index.numel();
  Tensor out = make_tensor(shape, x.dtype(), x.device(), "index_select");
  ops::backend_of(x).index_select(x, dim, index, out);
  return out;
}

// The gradient of a read through an index: g added into zeros in place, which saves the
// copy an out-of-place index_add or scatter_add would make of a weight-sized tensor.
template <typename Kernel>
Tensor added_into_zeros(const Shape& shape, const Tensor& g, const Kernel& primitive) {
  Tensor out = zeros(shape, ops::kernel_dtype(g.dtype(), g.device(), Primitive::Index), g.device());
  primitive(ops::backend_of(g), out, ops::cast(g, out.dtype(), "backward"));
  return ops::cast(out, g.dtype(), "backward");
}

// A copy of x in the compute dtype: the in-place scatter primitives write into it.
Tensor accumulator(const Tensor& x, const char* op) {
  Tensor out = make_tensor(x.shape(), ops::kernel_dtype(x.dtype(), x.device(), Primitive::Index),
                           x.device(), op);
  ops::backend_of(x).copy(x, out);
  return out;
}

void check_src(const Tensor& x, const Tensor& src, const char* op) {
  ops::check_defined(src, op);
  ops::check_same_device(x, src, op);
  EMBER_CHECK(src.dtype() == x.dtype(), op, "expects src of the same dtype as the input (",
              x.dtype(), "), got ", src.dtype());
  EMBER_CHECK(src.dim() == x.dim(), op, "expects src with as many dims as the input ", x.shape(),
              ", got ", src.shape());
}

// t's values in the leading corner of a zero tensor of the given shape.
Tensor pad_to(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  Tensor out = zeros(shape, t.dtype(), t.device());
  Tensor corner = out;
  for (int64_t d = 0; d < t.dim(); ++d) corner = corner.slice(d, 0, t.size(d));
  corner.copy_(t);
  return out;
}

// Where one input of cat sits in the output, for its gradient.
struct CatPart {
  int64_t offset, size;
  DType dtype;
  bool wanted;
};

// PyTorch still accepts (and skips) 1-D empty tensors among inputs of any shape.
bool is_legacy_empty(const Tensor& t) { return t.dim() == 1 && t.size(0) == 0; }

void check_cat_shapes(const std::vector<Tensor>& tensors, const Tensor& first, int64_t dim) {
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (is_legacy_empty(t)) continue;
    EMBER_CHECK(t.dim() == first.dim(), "cat", "expects tensors with the same number of dims, got ",
                first.shape(), " and ", t.shape(), " (tensor ", i, ")");
    for (int64_t d = 0; d < t.dim(); ++d) {
      EMBER_CHECK(d == dim || t.size(d) == first.size(d), "cat",
                  "sizes must match except in dimension ", dim, ": expected size ", first.size(d),
                  " but got size ", t.size(d), " in dimension ", d, " for tensor ", i);
    }
  }
}

DType cat_dtype(const std::vector<Tensor>& tensors) {
  DType dtype = tensors[0].dtype();
  for (const Tensor& t : tensors) dtype = promote_types(dtype, t.dtype());
  return dtype;
}

const Tensor& check_cat_inputs(const std::vector<Tensor>& tensors) {
  EMBER_CHECK(!tensors.empty(), "cat", "expects a non-empty list of tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    ops::check_defined(tensors[i], "cat");
    ops::check_same_device(tensors[0], tensors[i], "cat");
    EMBER_CHECK(tensors[i].dim() > 0, "cat", "a zero-dimensional tensor (tensor ", i,
                ") cannot be concatenated");
  }
  auto first = std::find_if(tensors.begin(), tensors.end(),
                            [](const Tensor& t) { return !is_legacy_empty(t); });
  return first == tensors.end() ? tensors[0] : *first;
}

// The most tensors one split or chunk returns: each costs a tensor's metadata, and an
// expanded or zero-size dim would otherwise let a count alone exhaust the host.
constexpr int64_t kMaxSplitParts = int64_t{1} << 24;

void check_part_count(int64_t parts, const char* op) {
  EMBER_CHECK(parts <= kMaxSplitParts, op, "would return ", parts, " tensors; at most ",
              kMaxSplitParts, " are allowed");
}

// Consecutive parts of split_size covering n; a single empty part when n is 0.
std::vector<int64_t> even_split_sizes(int64_t n, int64_t split_size, const char* op) {
  int64_t parts = n == 0 ? 1 : n / split_size + (n % split_size != 0);
  check_part_count(parts, op);
  std::vector<int64_t> sizes(static_cast<size_t>(parts));
  for (int64_t i = 0; i < parts; ++i) sizes[i] = std::min(split_size, n - i * split_size);
  return sizes;
}

std::vector<Tensor> split_into(const Tensor& x, const std::vector<int64_t>& sizes, int64_t d,
                               const char* op) {
  check_part_count(static_cast<int64_t>(sizes.size()), op);
  int64_t total = 0;
  for (int64_t size : sizes) {
    EMBER_CHECK(size >= 0, op, "split sizes must not be negative, got ", Shape(sizes));
    total = checked_add(total, size, op, "the split sizes");
  }
  EMBER_CHECK(total == x.size(d), op, "split sizes ", Shape(sizes), " add up to ", total,
              ", not to ", x.size(d), ", the size of dimension ", d);
  std::vector<Tensor> parts;
  parts.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t size : sizes) {
    parts.push_back(x.narrow(d, start, size));
    start += size;
  }
  return parts;
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  ops::check_defined(x, "index_select");
  if (x.dim() == 0) return index_select(x.reshape({1}), dim, index).reshape(index.shape());
  int64_t d = normalize_dim(dim, x.dim(), "index_select");
  Tensor idx = as_1d_index(index, x, "index_select");
  Tensor out = select_forward(x.detach(), d, idx);
  if (autograd::needs_grad(x)) {
    autograd::record("index_select", {x}, out, [shape = x.shape(), d, idx](const Tensor& g) {
      return Grads{
          added_into_zeros(shape, g, [&](Backend& backend, const Tensor& out, const Tensor& src) {
            backend.index_add(out, d, idx, src);
          })};
    });
  }
  return out;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  ops::check_defined(x, "gather");
  ops::check_defined(index, "gather");
  EMBER_CHECK(index.dim() == x.dim(), "gather", "expects an index with as many dims as the input ",
              x.shape(), ", got ", index.shape());
  if (x.dim() == 0) return gather(x.reshape({1}), dim, index.reshape({1})).reshape({});
  int64_t d = normalize_dim(dim, x.dim(), "gather");
  Tensor idx = as_index(index, x, "gather");
  for (int64_t k = 0; k < x.dim(); ++k) {
    EMBER_CHECK(k == d || idx.size(k) <= x.size(k), "gather", "index shape ", idx.shape(),
                " is larger than the input ", x.shape(), " in dimension ", k);
  }
  Tensor out = make_tensor(idx.shape(), x.dtype(), x.device(), "gather");
  ops::backend_of(x).gather(x.detach(), d, idx, out);
  if (autograd::needs_grad(x)) {
    autograd::record("gather", {x}, out, [shape = x.shape(), d, idx](const Tensor& g) {
      return Grads{
          added_into_zeros(shape, g, [&](Backend& backend, const Tensor& out, const Tensor& src) {
            backend.scatter_add(out, d, idx, src);
          })};
    });
  }
  return out;
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  ops::check_defined(x, "scatter_add");
  check_src(x, src, "scatter_add");
  EMBER_CHECK(index.defined() && index.dim() == x.dim(), "scatter_add",
              "expects an index with as many dims as the input ", x.shape());
  if (x.dim() == 0) {
    return scatter_add(x.reshape({1}), dim, index.reshape({1}), src.reshape({1})).reshape({});
  }
  int64_t d = normalize_dim(dim, x.dim(), "scatter_add");
  Tensor idx = as_index(index, x, "scatter_add");
  for (int64_t k = 0; k < x.dim(); ++k) {
    EMBER_CHECK(idx.size(k) <= src.size(k) && (k == d || idx.size(k) <= x.size(k)), "scatter_add",
                "index shape ", idx.shape(), " does not fit the input ", x.shape(), " and src ",
                src.shape(), " in dimension ", k);
  }
  Tensor out = accumulator(x.detach(), "scatter_add");
  ops::backend_of(x).scatter_add(out, d, idx, ops::cast(src.detach(), out.dtype(), "scatter_add"));
  out = ops::cast(out, x.dtype(), "scatter_add");
  if (autograd::needs_grad(x, src)) {
    autograd::record("scatter_add", {x, src}, out,
                     [src_shape = src.shape(), d, idx](const Tensor& g) {
                       return Grads{g, pad_to(gather(g, d, idx), src_shape)};
                     });
  }
  return out;
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                 Scalar alpha) {
  ops::check_defined(x, "index_add");
  check_src(x, src, "index_add");
  if (x.dim() == 0) {
    return index_add(x.reshape({1}), dim, index, src.reshape({1}), alpha).reshape({});
  }
  int64_t d = normalize_dim(dim, x.dim(), "index_add");
  Tensor idx = as_1d_index(index, x, "index_add");
  Shape expected = x.shape();
  expected[d] = idx.numel();
  EMBER_CHECK(src.shape() == expected, "index_add", "expects src of shape ", expected, ", got ",
              src.shape());
  EMBER_CHECK(x.is_floating_point() || !alpha.is_floating_point(), "index_add",
              "alpha must be an integer for ", x.dtype(), " input");
  bool scaled = alpha.to_double() != 1.0;
  Tensor out = accumulator(x.detach(), "index_add");
  Tensor addend =
      ops::cast(scaled ? mul(src.detach(), alpha) : src.detach(), out.dtype(), "index_add");
  ops::backend_of(x).index_add(out, d, idx, addend);
  out = ops::cast(out, x.dtype(), "index_add");
  if (autograd::needs_grad(x, src)) {
    autograd::record("index_add", {x, src}, out, [d, idx, alpha, scaled](const Tensor& g) {
      Tensor picked = index_select(g, d, idx);
      return Grads{g, scaled ? mul(picked, alpha) : picked};
    });
  }
  return out;
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  const Tensor& first = check_cat_inputs(tensors);
  int64_t d = normalize_dim(dim, first.dim(), "cat");
  check_cat_shapes(tensors, first, d);
  Shape shape = first.shape();
  shape[d] = 0;
  for (const Tensor& t : tensors) {
    shape[d] = checked_add(shape[d], is_legacy_empty(t) ? 0 : t.size(d), "cat",
                           "the sizes along the joined dimension");
  }
  Tensor out = make_tensor(shape, cat_dtype(tensors), first.device(), "cat");
  std::vector<CatPart> parts;
  int64_t offset = 0;
  for (const Tensor& t : tensors) {
    bool empty = is_legacy_empty(t);
    parts.push_back({offset, empty ? 0 : t.size(d), t.dtype(), !empty && t.requires_grad()});
    if (empty) continue;
    Tensor part =
        make_view(out, t.shape(), out.strides(), out.storage_offset() + offset * out.stride(d));
    ops::backend_of(out).copy(t, part);
    offset += t.size(d);
  }
  if (autograd::any_needs_grad(tensors)) {
    autograd::record("cat", tensors, out, [parts, d](const Tensor& g) {
      Grads grads;
      for (const CatPart& p : parts) {
        grads.push_back(p.wanted ? g.narrow(d, p.offset, p.size).to(p.dtype) : Tensor());
      }
      return grads;
    });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), "stack", "expects a non-empty list of tensors");
  std::vector<Tensor> expanded;
  for (size_t i = 0; i < tensors.size(); ++i) {
    ops::check_defined(tensors[i], "stack");
    ops::check_same_device(tensors[0], tensors[i], "stack");
    EMBER_CHECK(tensors[i].shape() == tensors[0].shape(), "stack",
                "expects tensors of one shape, got ", tensors[0].shape(), " (tensor 0) and ",
                tensors[i].shape(), " (tensor ", i, ")");
  }
  int64_t d = normalize_dim(dim, tensors[0].dim() + 1, "stack");
  for (const Tensor& t : tensors) expanded.push_back(t.unsqueeze(d));
  return ops::renamed_errors("stack", [&] { return cat(expanded, d); });
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  ops::check_defined(x, "split");
  EMBER_CHECK(x.dim() > 0, "split", "cannot split a 0-d tensor");
  return split_into(x, sizes, normalize_dim(dim, x.dim(), "split"), "split");
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  ops::check_defined(x, "split");
  EMBER_CHECK(x.dim() > 0, "split", "cannot split a 0-d tensor");
  int64_t d = normalize_dim(dim, x.dim(), "split");
  int64_t n = x.size(d);
  EMBER_CHECK(split_size > 0 || (split_size == 0 && n == 0), "split",
              "split_size must be positive, got ", split_size);
  return split_into(x, even_split_sizes(n, split_size, "split"), d, "split");
}

// As torch.chunk: parts of ceil(n / chunks), so fewer than chunks when n is small, except
// that a zero-size dim gives chunks empty parts.
std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  ops::check_defined(x, "chunk");
  EMBER_CHECK(chunks > 0, "chunk", "chunks must be positive, got ", chunks);
  EMBER_CHECK(x.dim() > 0, "chunk", "cannot chunk a 0-d tensor");
  int64_t d = normalize_dim(dim, x.dim(), "chunk");
  int64_t n = x.size(d);
  if (n == 0) {
    check_part_count(chunks, "chunk");
    return split_into(x, std::vector<int64_t>(static_cast<size_t>(chunks), 0), d, "chunk");
  }
  int64_t split_size = n / chunks + (n % chunks != 0);
  return split_into(x, even_split_sizes(n, split_size, "chunk"), d, "chunk");
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  ops::check_defined(indices, "one_hot");
  Tensor idx = as_index(indices, indices, "one_hot");
  std::vector<int64_t> values = idx.to_vector<int64_t>();
  EMBER_CHECK(num_classes >= -1, "one_hot", "num_classes must be -1 or at least 0, got ",
              num_classes);
  EMBER_CHECK(num_classes >= 0 || !values.empty(), "one_hot",
              "cannot infer the number of classes from an empty tensor");
  auto [low, high] = std::minmax_element(values.begin(), values.end());
  int64_t classes =
      num_classes >= 0 ? num_classes : checked_add(*high, 1, "one_hot", "the number of classes");
  if (!values.empty()) {
    EMBER_CHECK(*low >= 0, "one_hot", "class values must not be negative, got ", *low);
    EMBER_CHECK(*high < classes, "one_hot", "class value ", *high, " is out of range for ", classes,
                " classes");
  }
  Shape shape = idx.shape();
  shape.push_back(classes);
  Tensor out = make_tensor(shape, kInt64, idx.device(), "one_hot").zero_();
  Tensor column = idx.unsqueeze(-1);
  ops::backend_of(out).scatter_add(out, out.dim() - 1, column,
                                   ones(column.shape(), kInt64, idx.device()));
  return out;
}

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  ops::check_defined(weight, "embedding");
  EMBER_CHECK(weight.dim() == 2, "embedding", "expects a 2-D weight, got shape ", weight.shape());
  Tensor idx = as_index(indices, weight, "embedding");
  Shape shape = idx.shape();
  shape.push_back(weight.size(1));
  UserOp user_op{"embedding", {{{"weight", &weight.shape()}, {"indices", &indices.shape()}}}};
  UserOpScope scope(user_op);
  return ops::renamed_errors(
      "embedding", [&] { return index_select(weight, 0, idx.reshape({-1})).reshape(shape); });
}

}  // namespace ember
