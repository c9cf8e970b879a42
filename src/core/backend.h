// The primitive interface: the one list of kernels every backend implements.
//
// Front-end ops (src/ops/) validate, broadcast and promote, allocate the output, and
// call exactly these methods. By the time a primitive runs:
//   - all tensors are on this backend's device;
//   - inputs have the dtype the op computes in unless a method says otherwise; outputs
//     are freshly allocated and contiguous unless noted. float16 and bfloat16 are
//     computed in float32 and rounded once on store; a backend takes them wherever
//     floating input is allowed unless supports() declines (see there);
//   - inputs may have any strides, including 0 for broadcast dimensions.
// Composite ops (var, linear, mse_loss, ...) are written once on top of these.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/storage.h"
#include "ember/scalar.h"
#include "ember/tensor.h"

namespace ember {

enum class UnaryOp : uint8_t {
  Neg,
  Abs,
  Exp,
  Log,
  Log1p,
  Expm1,
  Sqrt,
  Rsqrt,
  Sin,
  Cos,
  Tanh,
  Sigmoid,
  Relu,
  GeluErf,
  GeluTanh,
  Silu,
  Softplus,
  Erf,
  Floor,
  Ceil,
  Round,
  Sign,
  Reciprocal,
  LogicalNot,
  IsNan,
  IsInf,  // these three write bool
};

enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Remainder,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogicalAnd,
  LogicalOr,  // these write bool
};

enum class ReduceOp : uint8_t { Sum, Mean, Prod, Max, Min, ArgMax, ArgMin, All, Any };

enum class Distribution : uint8_t {
  Uniform,  // [a, b)
  Normal,   // mean a, standard deviation b
  Integer,  // integers in [a, b)
};

const char* unary_op_name(UnaryOp op);
const char* binary_op_name(BinaryOp op);
const char* reduce_op_name(ReduceOp op);
bool writes_bool(UnaryOp op);
bool writes_bool(BinaryOp op);
bool is_arg_reduction(ReduceOp op);
// What a reduction over no elements gives: 1 for Prod and All, NaN for Mean, else 0.
Scalar empty_reduction_result(ReduceOp op);

// One Adam(W) update, as torch.optim.Adam and AdamW compute it (step counts from 1).
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled_weight_decay;  // AdamW: p -= lr * wd * p; Adam: g += wd * p
  int64_t step;
};

// The tensors of one parameter in an Adam(W) update.
struct AdamTensors {
  Tensor param, grad, exp_avg, exp_avg_sq;
};
// Raises [adam_step] ember::Error unless every tensor of each parameter has its dtype.
void check_adam_dtypes(std::span<const AdamTensors> group);

// The primitives as supports() names them; a fused primitive's backward goes with it.
enum class Primitive : uint8_t {
  Unary,
  Binary,
  Where,
  Clamp,
  Reduce,
  Cumsum,
  Softmax,
  Matmul,
  Index,
  Random,
  LayerNorm,
  CrossEntropy,
  AdamStep,
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // Whether the backend computes `primitive` on data of `dtype` itself. For a dtype it
  // declines, the front end runs a fused primitive's composite (src/ops/composites.h) on
  // the same device, and converts 16-bit data to float32 around the other primitives. Only
  // 16-bit dtypes may be declined: anything else a kernel lacks goes to the backend's own
  // fallback.
  virtual bool supports(Primitive /*primitive*/, DType /*dtype*/) const { return true; }

  // ---- memory ----
  virtual std::shared_ptr<Storage> allocate(size_t nbytes) = 0;
  // Host to device; may return before the copy lands on a GPU.
  virtual void write(const Storage& dst, size_t dst_offset, const void* src, size_t nbytes) = 0;
  // Device to host; waits for the work that writes src.
  virtual void read(const Storage& src, size_t src_offset, void* dst, size_t nbytes) = 0;
  virtual void synchronize() = 0;
  // The caching allocator's figures; backends without one report zeros.
  virtual MemoryStats memory_stats() { return {}; }
  virtual void reset_peak_memory() {}
  virtual void empty_cache() {}

  // ---- copy (src/backend/*/copy.cpp) ----
  // dst = src converted to dst's dtype. Same shape; dst may be any view. Any dtypes.
  virtual void copy(const Tensor& src, const Tensor& dst) = 0;
  // Every element of dst (any view, any dtype) set to value.
  virtual void fill(const Tensor& dst, Scalar value) = 0;

  // ---- elementwise (elementwise.cpp); inputs already have out's shape ----
  // LogicalNot, IsNan and IsInf write bool; the rest write x's dtype.
  virtual void unary(UnaryOp op, const Tensor& x, const Tensor& out) = 0;
  // a and b share one dtype; comparisons and logical ops write bool.
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) = 0;
  // The same with a number for one side: b op a when scalar_first.
  virtual void binary_scalar(BinaryOp op, const Tensor& a, Scalar b, bool scalar_first,
                             const Tensor& out) = 0;
  // condition is bool; a and b share out's dtype.
  virtual void where(const Tensor& condition, const Tensor& a, const Tensor& b,
                     const Tensor& out) = 0;
  // NaN stays NaN; min and max are already within the dtype's range.
  virtual void clamp(const Tensor& x, Scalar min, Scalar max, const Tensor& out) = 0;

  // ---- reductions (reduce.cpp) ----
  // out has x's shape with each of dims (sorted, unique, non-empty) set to 1. Sum, Mean,
  // Prod, Max, Min write x's dtype (bool sums are done in int64 by the front end); ArgMax
  // and ArgMin write int64 (the first extreme, over exactly one dim); All and Any write
  // bool from bool input. Results must not depend on the thread count.
  virtual void reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
                      const Tensor& out) = 0;
  // 16-bit x accumulates in float32 (float64 for float32, as PyTorch's CPU cumsum).
  virtual void cumsum(const Tensor& x, int64_t dim, const Tensor& out) = 0;
  // Floating x; log selects log_softmax.
  virtual void softmax(const Tensor& x, int64_t dim, bool log, const Tensor& out) = 0;

  // ---- matmul (matmul.cpp) ----
  // a [B,M,K] @ b [B,K,N] -> out [B,M,N]. Each matrix of a and b is row- or column-major
  // (one of its two last strides is 1); batch strides are arbitrary, 0 included.
  // float16/bfloat16 operands accumulate in float32 and write their own dtype.
  virtual void matmul(const Tensor& a, const Tensor& b, const Tensor& out) = 0;

  // ---- indexing (index.cpp); index is int64, out-of-range raises ember::Error ----
  // out = x with dim replaced by index's length; index is 1-D.
  virtual void index_select(const Tensor& x, int64_t dim, const Tensor& index,
                            const Tensor& out) = 0;
  // out[i][j] = x[index[i][j]][j] (for dim 0); index has out's shape.
  virtual void gather(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) = 0;
  // In place on out (contiguous): out[index[i][j]][j] += src[i][j] (for dim 0). 16-bit
  // out rounds after each add, as PyTorch's CPU kernel.
  virtual void scatter_add(const Tensor& out, int64_t dim, const Tensor& index,
                           const Tensor& src) = 0;
  // In place on out (contiguous): out.select(dim, index[i]) += src.select(dim, i). 16-bit
  // out sums every contribution to an element in float32 and rounds once.
  virtual void index_add(const Tensor& out, int64_t dim, const Tensor& index,
                         const Tensor& src) = 0;

  // ---- random (random.cpp) ----
  // Element i of out (contiguous) comes from Philox-4x32-10 with key seed and counter
  // offset + i / 4, lane i % 4 (float64 and int64 take two lanes: counter offset + i / 2).
  // float16/bfloat16 take float32's numbers rounded (uniform ones kept below b).
  virtual void random(Distribution distribution, uint64_t seed, uint64_t offset, double a, double b,
                      const Tensor& out) = 0;

  // ---- normalisation (norm.cpp); x, out and grads contiguous [rows, cols] ----
  // out = (x - mean) * rstd * weight + bias over each row, with mean and rstd ([rows]) kept
  // for the backward: x's dtype, but float32 for float16/bfloat16 x, as PyTorch's CPU kernel
  // keeps them in its accumulate type. weight and bias ([cols], x's dtype) may be undefined.
  virtual void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                          const Tensor& out, const Tensor& mean, const Tensor& rstd) = 0;
  // grad_x from grad_out; the weight and bias gradients are plain sums done by the caller.
  virtual void layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                   const Tensor& mean, const Tensor& rstd,
                                   const Tensor& grad_x) = 0;

  // ---- losses (loss.cpp); logits contiguous [N, C], target int64 [N] ----
  // losses[n] = (1 - s) * (lse_n - logits[n, t_n]) + s * (lse_n - mean_c logits[n, c]) for
  // label smoothing s, and 0 where t_n == ignore_index. Other targets outside [0, C) raise.
  virtual void cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                             double label_smoothing, const Tensor& losses) = 0;
  // grad_logits[n, c] = grad_losses[n] * (softmax[n, c] - (1 - s) [c == t_n] - s / C).
  virtual void cross_entropy_backward(const Tensor& logits, const Tensor& target,
                                      int64_t ignore_index, double label_smoothing,
                                      const Tensor& grad_losses, const Tensor& grad_logits) = 0;

  // ---- optimizer updates (optim.cpp) ----
  // One update of every parameter of group, in place on param, exp_avg and exp_avg_sq; all
  // contiguous, of one floating dtype, sharing step (16-bit state stays in that dtype, as
  // PyTorch keeps it). GPUs update a group in one dispatch.
  virtual void adam_step(std::span<const AdamTensors> group, const AdamStep& step) = 0;
};

// The backend that runs a device's tensors. Raises ember::Error for unknown devices.
Backend& backend_for(const Device& device);

}  // namespace ember
