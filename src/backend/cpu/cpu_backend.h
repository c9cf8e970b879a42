// The CPU backend: every primitive of core/backend.h, multithreaded with OpenMP.
// Each op family lives in the file of the same name (copy.cpp, reduce.cpp, ...).
#pragma once

#include "core/backend.h"

namespace ember::cpu {

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "cpu"; }

  std::shared_ptr<Storage> allocate(size_t nbytes) override;
  void write(const Storage& dst, size_t dst_offset, const void* src, size_t nbytes) override;
  void read(const Storage& src, size_t src_offset, void* dst, size_t nbytes) override;
  void synchronize() override {}
  // Allocated counts the rounded blocks of live storages; reserved adds the block cache.
  MemoryStats memory_stats() override;
  void reset_peak_memory() override;
  void empty_cache() override;

  void copy(const Tensor& src, const Tensor& dst) override;
  void fill(const Tensor& dst, Scalar value) override;

  void unary(UnaryOp op, const Tensor& x, const Tensor& out) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void binary_scalar(BinaryOp op, const Tensor& a, Scalar b, bool scalar_first,
                     const Tensor& out) override;
  void where(const Tensor& condition, const Tensor& a, const Tensor& b, const Tensor& out) override;
  void clamp(const Tensor& x, Scalar min, Scalar max, const Tensor& out) override;

  void reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
              const Tensor& out) override;
  void cumsum(const Tensor& x, int64_t dim, const Tensor& out) override;
  void softmax(const Tensor& x, int64_t dim, bool log, const Tensor& out) override;

  void matmul(const Tensor& a, const Tensor& b, const Tensor& out) override;

  void index_select(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) override;
  void gather(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& out) override;
  void scatter_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;
  void index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;

  void random(Distribution distribution, uint64_t seed, uint64_t offset, double a, double b,
              const Tensor& out) override;

  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps,
                  const Tensor& out, const Tensor& mean, const Tensor& rstd) override;
  void layer_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                           const Tensor& mean, const Tensor& rstd, const Tensor& grad_x) override;

  void cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                     double label_smoothing, const Tensor& losses) override;
  void cross_entropy_backward(const Tensor& logits, const Tensor& target, int64_t ignore_index,
                              double label_smoothing, const Tensor& grad_losses,
                              const Tensor& grad_logits) override;

  void adam_step(std::span<const AdamTensors> group, const AdamStep& step) override;
};

}  // namespace ember::cpu
