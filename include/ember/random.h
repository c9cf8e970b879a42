// Random numbers from a counter-based generator (Philox-4x32-10): a seed and a running
// offset fully determine every value, so the same seed gives the same numbers on the
// CPU with any thread count and on every GPU.
#pragma once

#include <cstdint>

#include "ember/tensor.h"

namespace ember {

// The default generator's state; saving and restoring it replays the same numbers.
struct RngState {
  uint64_t seed = 0;
  uint64_t offset = 0;  // Philox counters consumed so far
};

void manual_seed(uint64_t seed);
RngState get_rng_state();
void set_rng_state(const RngState& state);

// Uniform in [0, 1).
Tensor rand(const Shape& shape, DType dtype = kFloat32, const Device& device = kCPU);
// Standard normal.
Tensor randn(const Shape& shape, DType dtype = kFloat32, const Device& device = kCPU);
// Integers uniform in [low, high).
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = kInt64,
               const Device& device = kCPU);
// 1 with probability p (elementwise, p in [0, 1]), else 0; same dtype and device as p.
Tensor bernoulli(const Tensor& p);
Tensor bernoulli(const Shape& shape, double p, DType dtype = kFloat32, const Device& device = kCPU);
// A random permutation of 0..n-1.
Tensor randperm(int64_t n, DType dtype = kInt64, const Device& device = kCPU);

}  // namespace ember
