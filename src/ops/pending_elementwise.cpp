// TEMPORARY placeholders so the library links while elementwise ops are written.
#include "ops/op_utils.h"
namespace ember {
#define PENDING detail::fail("pending", "not written yet")
#define U(name) Tensor name(const Tensor&) { PENDING; }
U(neg) U(abs) U(exp) U(log) U(log1p) U(expm1) U(sqrt) U(rsqrt) U(sin) U(cos) U(tanh) U(sigmoid)
U(relu) U(silu) U(softplus) U(erf) U(floor) U(ceil) U(round) U(sign) U(reciprocal) U(square)
U(logical_not) U(isnan) U(isinf)
Tensor gelu(const Tensor&, const std::string&) { PENDING; }
#define B(name) Tensor name(const Tensor&, const Tensor&) { PENDING; } Tensor name(const Tensor&, Scalar) { PENDING; }
B(mul) B(div) B(pow) B(remainder) B(eq) B(ne) B(lt) B(le) B(gt) B(ge)
Tensor add(const Tensor&, const Tensor&, Scalar) { PENDING; }
Tensor add(const Tensor&, Scalar) { PENDING; }
Tensor sub(const Tensor&, const Tensor&, Scalar) { PENDING; }
Tensor sub(const Tensor&, Scalar) { PENDING; }
Tensor pow(Scalar, const Tensor&) { PENDING; }
Tensor maximum(const Tensor&, const Tensor&) { PENDING; }
Tensor minimum(const Tensor&, const Tensor&) { PENDING; }
Tensor logical_and(const Tensor&, const Tensor&) { PENDING; }
Tensor logical_or(const Tensor&, const Tensor&) { PENDING; }
Tensor where(const Tensor&, const Tensor&, const Tensor&) { PENDING; }
Tensor where(const Tensor&, const Tensor&, Scalar) { PENDING; }
Tensor where(const Tensor&, Scalar, const Tensor&) { PENDING; }
Tensor clamp(const Tensor&, std::optional<Scalar>, std::optional<Scalar>) { PENDING; }
Tensor clamp_min(const Tensor&, Scalar) { PENDING; }
Tensor clamp_max(const Tensor&, Scalar) { PENDING; }
Tensor masked_fill(const Tensor&, const Tensor&, Scalar) { PENDING; }
bool allclose(const Tensor&, const Tensor&, double, double, bool) { PENDING; }
bool equal(const Tensor&, const Tensor&) { PENDING; }
Tensor operator-(Scalar, const Tensor&) { PENDING; }
Tensor operator/(Scalar, const Tensor&) { PENDING; }
}  // namespace ember
#include "backend/cpu/cpu_backend.h"
namespace ember::cpu {
void CpuBackend::unary(UnaryOp, const Tensor&, const Tensor&) { PENDING; }
void CpuBackend::binary(BinaryOp, const Tensor&, const Tensor&, const Tensor&) { PENDING; }
void CpuBackend::binary_scalar(BinaryOp, const Tensor&, Scalar, bool, const Tensor&) { PENDING; }
void CpuBackend::where(const Tensor&, const Tensor&, const Tensor&, const Tensor&) { PENDING; }
void CpuBackend::clamp(const Tensor&, Scalar, Scalar, const Tensor&) { PENDING; }
}  // namespace ember::cpu
