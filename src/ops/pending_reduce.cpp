// TEMPORARY placeholders so the library links while these ops are written.
#include "ops/op_utils.h"
#include "backend/cpu/cpu_backend.h"
#define PENDING detail::fail("pending", "not written yet")
namespace ember {
#define R(name) Tensor name(const Tensor&, const Dims&, bool) { PENDING; }
R(sum) R(mean) R(prod) R(amax) R(amin) R(logsumexp) R(all) R(any)
Tensor max(const Tensor&) { PENDING; }
Tensor min(const Tensor&) { PENDING; }
Tensor argmax(const Tensor&, std::optional<int64_t>, bool) { PENDING; }
Tensor argmin(const Tensor&, std::optional<int64_t>, bool) { PENDING; }
Tensor var(const Tensor&, const Dims&, int64_t, bool) { PENDING; }
Tensor std(const Tensor&, const Dims&, int64_t, bool) { PENDING; }
Tensor cumsum(const Tensor&, int64_t) { PENDING; }
Tensor softmax(const Tensor&, int64_t) { PENDING; }
Tensor log_softmax(const Tensor&, int64_t) { PENDING; }
namespace cpu {
void CpuBackend::reduce(ReduceOp, const Tensor&, const std::vector<int64_t>&, const Tensor&) { PENDING; }
void CpuBackend::cumsum(const Tensor&, int64_t, const Tensor&) { PENDING; }
void CpuBackend::softmax(const Tensor&, int64_t, bool, const Tensor&) { PENDING; }
}
}  // namespace ember
