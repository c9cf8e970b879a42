// Matrix products as torch.matmul: vectors, matrices and broadcast batches of matrices.
#include "autograd/autocast.h"
#include "autograd/graph.h"
#include "core/sizes.h"
#include "ops/op_utils.h"

namespace ember {

using autograd::Grads;

namespace {

constexpr const char* kOp = "matmul";

// The layouts a BLAS call reads directly: row- or column-major with a leading dimension
// no smaller than the matrix (a size-1 dim's stride never matters).
bool blas_ready(const Tensor& m) {
  int64_t rows = m.size(-2), cols = m.size(-1);
  int64_t row_stride = m.stride(-2), col_stride = m.stride(-1);
  bool row_major = (cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= cols);
  bool col_major = (rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= rows);
  return row_major || col_major;
}

// The stride that steps through all batch dims of x at once, if one does.
std::optional<int64_t> batch_stride(const Tensor& x) {
  int64_t stride = 0, expected = -1;
  for (int64_t d = x.dim() - 3; d >= 0; --d) {
    if (x.size(d) == 1) continue;
    if (expected >= 0 && x.stride(d) != expected) return std::nullopt;
    if (expected < 0) stride = x.stride(d);
    expected = x.stride(d) * x.size(d);
  }
  return stride;
}

// x [batch..., r, c] as [count, r, c]; copies only when BLAS cannot read the matrices or
// the batch dims have no common stride (a broadcast dim next to a real one).
Tensor as_batch3(const Tensor& x, int64_t count) {
  std::optional<int64_t> stride = batch_stride(x);
  Tensor src = x;
  if (!stride || !blas_ready(x)) {
    src = x.contiguous();
    stride = src.size(-2) * src.size(-1);
  }
  return make_view(src, {count, src.size(-2), src.size(-1)},
                   {*stride, src.stride(-2), src.stride(-1)}, src.storage_offset());
}

Shape batch_shape(const Tensor& a, const Tensor& b) {
  Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  size_t n = std::max(a_batch.size(), b_batch.size());
  a_batch.insert(a_batch.begin(), n - a_batch.size(), 1);
  b_batch.insert(b_batch.begin(), n - b_batch.size(), 1);
  Shape batch(n);
  for (size_t d = 0; d < n; ++d) {
    EMBER_CHECK(a_batch[d] == b_batch[d] || a_batch[d] == 1 || b_batch[d] == 1, kOp,
                "batch dimensions do not broadcast: ", a.shape(), " @ ", b.shape());
    batch[d] = a_batch[d] == 1 ? b_batch[d] : a_batch[d];
  }
  return batch;
}

Shape with_matrix(Shape batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

// a [..., M, K] @ b [..., K, N], both with at least 2 dims, in the compute dtype.
Tensor batched_matmul(const Tensor& a, const Tensor& b) {
  int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  Shape batch = batch_shape(a, b);
  int64_t count = shape_numel(batch, kOp);
  Shape a_shape = with_matrix(batch, m, k), b_shape = with_matrix(batch, k, n);
  // Broadcast batches can hold more elements than either operand: refused here, as matmul.
  checked_numel(a_shape, kOp);
  checked_numel(b_shape, kOp);
  Tensor out = make_tensor({count, m, n}, a.dtype(), a.device(), kOp);
  Tensor a3 = as_batch3(ops::expand_view(a, a_shape), count);
  Tensor b3 = as_batch3(ops::expand_view(b, b_shape), count);
  ops::backend_of(a).matmul(a3, b3, out);
  return out.view(with_matrix(batch, m, n));
}

// A stack of matrices times one matrix is one big product: [B*M, K] @ [K, N].
Tensor matrix_product(const Tensor& a, const Tensor& b) {
  if (a.dim() > 2 && b.dim() == 2 && a.is_contiguous()) {
    Shape out_shape = a.shape();
    out_shape.back() = b.size(1);
    return batched_matmul(a.reshape({-1, a.size(-1)}), b).view(out_shape);
  }
  return batched_matmul(a, b);
}

void check_operands(const Tensor& a, const Tensor& b) {
  ops::check_defined(a, kOp);
  ops::check_defined(b, kOp);
  ops::check_same_device(a, b, kOp);
  EMBER_CHECK(a.dim() > 0 && b.dim() > 0, kOp, "both arguments need at least 1 dimension, got ",
              a.shape(), " @ ", b.shape());
  EMBER_CHECK(a.dtype() == b.dtype(), kOp, "expected operands of one dtype, got ", a.dtype(),
              " and ", b.dtype());
  EMBER_CHECK(a.dtype() != kBool, kOp, "dtype bool is not supported");
  int64_t a_inner = a.size(-1), b_inner = b.dim() == 1 ? b.size(0) : b.size(-2);
  EMBER_CHECK(a_inner == b_inner, kOp, "inner dimensions differ: ", a.shape(), " @ ", b.shape());
}

// Vectors become a 1-row (left) or 1-column (right) matrix and lose that dim again after.
Tensor matmul_forward(const Tensor& a, const Tensor& b) {
  DType compute = ops::kernel_dtype(a.dtype(), a.device(), Primitive::Matmul);
  Tensor a2 = ops::cast(a.dim() == 1 ? a.unsqueeze(0) : a, compute, kOp);
  Tensor b2 = ops::cast(b.dim() == 1 ? b.unsqueeze(1) : b, compute, kOp);
  Tensor out = matrix_product(a2, b2);
  Shape shape = out.shape();
  if (b.dim() == 1) shape.pop_back();
  if (a.dim() == 1) shape.erase(shape.end() - (b.dim() == 1 ? 1 : 2));
  return ops::cast(out.view(shape), a.dtype(), kOp);
}

Tensor vector_as_matrix(const Tensor& x, int64_t dim) {
  return x.dim() == 1 ? x.unsqueeze(dim) : x;
}

// grad_a = g @ b^T and grad_b = a^T @ g on the matrix forms, summed over broadcast batches.
Grads matmul_backward(const Tensor& a, const Tensor& b, const Tensor& g, bool need_a, bool need_b) {
  Tensor a2 = vector_as_matrix(a, 0), b2 = vector_as_matrix(b, 1);
  Tensor g2 = g;
  if (b.dim() == 1) g2 = g2.unsqueeze(-1);
  if (a.dim() == 1) g2 = g2.unsqueeze(-2);
  Grads grads(2);
  if (need_a) {
    Tensor grad = matmul(g2, b2.transpose(-1, -2));
    grads[0] = autograd::sum_to(grad, a2.shape()).reshape(a.shape());
  }
  if (need_b) {
    Tensor grad;
    if (b2.dim() == 2 && b2.stride(0) == 1 && b2.stride(1) != 1) {
      // b is a transposed weight (linear's): (g^T a)^T has the weight's own layout, so its
      // gradient needs no transposing copy.
      grad = matmul(g2.reshape({-1, g2.size(-1)}).t(), a2.reshape({-1, a2.size(-1)})).t();
    } else if (b2.dim() == 2 && g2.dim() > 2) {
      grad = matmul(a2.reshape({-1, a2.size(-1)}).t(), g2.reshape({-1, g2.size(-1)}));
    } else {
      grad = autograd::sum_to(matmul(a2.transpose(-1, -2), g2), b2.shape());
    }
    grads[1] = grad.reshape(b.shape());
  }
  return grads;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (autocast::needs_lower(a, b)) return matmul(autocast::lower(a), autocast::lower(b));
  check_operands(a, b);
  Tensor out = matmul_forward(a.detach(), b.detach());
  if (autograd::needs_grad(a, b)) {
    autograd::record(
        kOp, {a, b}, out,
        [a = a.detach(), b = b.detach(), need_a = a.requires_grad(), need_b = b.requires_grad()](
            const Tensor& g) { return matmul_backward(a, b, g, need_a, need_b); });
  }
  return out;
}

}  // namespace ember
