// TEMPORARY placeholders so the library links while these ops are written.
#include "ops/op_utils.h"
#include "backend/cpu/cpu_backend.h"
#define PENDING detail::fail("pending", "not written yet")
namespace ember {
Tensor index_select(const Tensor&, int64_t, const Tensor&) { PENDING; }
Tensor gather(const Tensor&, int64_t, const Tensor&) { PENDING; }
Tensor scatter_add(const Tensor&, int64_t, const Tensor&, const Tensor&) { PENDING; }
Tensor index_add(const Tensor&, int64_t, const Tensor&, const Tensor&, Scalar) { PENDING; }
Tensor cat(const std::vector<Tensor>&, int64_t) { PENDING; }
Tensor stack(const std::vector<Tensor>&, int64_t) { PENDING; }
std::vector<Tensor> split(const Tensor&, int64_t, int64_t) { PENDING; }
std::vector<Tensor> split(const Tensor&, const std::vector<int64_t>&, int64_t) { PENDING; }
std::vector<Tensor> chunk(const Tensor&, int64_t, int64_t) { PENDING; }
Tensor one_hot(const Tensor&, int64_t) { PENDING; }
Tensor embedding(const Tensor&, const Tensor&) { PENDING; }
namespace cpu {
void CpuBackend::index_select(const Tensor&, int64_t, const Tensor&, const Tensor&) { PENDING; }
void CpuBackend::gather(const Tensor&, int64_t, const Tensor&, const Tensor&) { PENDING; }
void CpuBackend::scatter_add(const Tensor&, int64_t, const Tensor&, const Tensor&) { PENDING; }
void CpuBackend::index_add(const Tensor&, int64_t, const Tensor&, const Tensor&) { PENDING; }
}
}  // namespace ember
