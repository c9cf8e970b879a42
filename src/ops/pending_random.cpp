// TEMPORARY placeholders so the library links while these ops are written.
#include "ops/op_utils.h"
#include "backend/cpu/cpu_backend.h"
#define PENDING detail::fail("pending", "not written yet")
#include "ember/random.h"
namespace ember {
void manual_seed(uint64_t) { PENDING; }
RngState get_rng_state() { PENDING; }
void set_rng_state(const RngState&) { PENDING; }
Tensor rand(const Shape&, DType, const Device&) { PENDING; }
Tensor randn(const Shape&, DType, const Device&) { PENDING; }
Tensor randint(int64_t, int64_t, const Shape&, DType, const Device&) { PENDING; }
Tensor bernoulli(const Tensor&) { PENDING; }
Tensor bernoulli(const Shape&, double, DType, const Device&) { PENDING; }
Tensor randperm(int64_t, DType, const Device&) { PENDING; }
std::ostream& operator<<(std::ostream& out, const Tensor&) { PENDING; return out; }
std::string to_string(const Tensor&) { PENDING; }
namespace cpu {
void CpuBackend::random(Distribution, uint64_t, uint64_t, double, double, const Tensor&) { PENDING; }
}
}  // namespace ember
