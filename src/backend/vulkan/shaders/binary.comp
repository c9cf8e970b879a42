#version 450
// out = a op b for every BinaryOp, with b (or a) optionally a push-constant scalar: any
// dtype, any layout of at most 4 dims. Comparisons and logical ops write bool. Compiled
// per storage variant (elements.glsl).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "elements.glsl"
#include "math.glsl"

DATA_TENSOR(out_data, 0)
DATA_TENSOR(a_data, 1)
DATA_TENSOR(b_data, 2)

// ember::BinaryOp's values.
#define OP_ADD 0u
#define OP_SUB 1u
#define OP_MUL 2u
#define OP_DIV 3u
#define OP_POW 4u
#define OP_MAXIMUM 5u
#define OP_MINIMUM 6u
#define OP_REMAINDER 7u
#define OP_EQ 8u
#define OP_NE 9u
#define OP_LT 10u
#define OP_LE 11u
#define OP_GT 12u
#define OP_GE 13u
#define OP_LOGICAL_AND 14u
#define OP_LOGICAL_OR 15u

#define SCALAR_NONE 0u
#define SCALAR_SECOND 1u  // a op scalar
#define SCALAR_FIRST 2u   // scalar op a

// The op, the dtypes, the scalar side and the layout select code, so they are
// specialization constants and each pipeline holds only its own case; sizes, strides,
// offsets and the scalar are pushed.
layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint DTYPE = DT_F32;  // of a and b
layout(constant_id = 3) const uint OUT_DTYPE = DT_F32;
layout(constant_id = 4) const uint SCALAR_MODE = SCALAR_NONE;
layout(constant_id = 5) const bool CONTIGUOUS = false;
// Dense, one float dtype throughout (float32 in any variant, 16-bit in its own), counts
// and offsets multiples of 4: each invocation does four elements through load4/store4.
layout(constant_id = 6) const bool VEC4 = false;

layout(push_constant) uniform Push {
  uvec4 sizes;
  ivec4 out_strides;
  ivec4 a_strides;
  ivec4 b_strides;
  uint n;
  uint out_offset;
  uint a_offset;
  uint b_offset;
  float scalar_f;
  uint scalar_lo, scalar_hi;
} pc;

bool compare(uint op, bool lt, bool eq, bool gt) {
  switch (op) {
    case OP_EQ: return eq;
    case OP_NE: return !eq;
    case OP_LT: return lt;
    case OP_LE: return lt || eq;
    case OP_GT: return gt;
    default: return gt || eq;
  }
}

float float_op(float a, float b) {
  switch (OP) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_POW: return pow_f(a, b);
    case OP_MAXIMUM: return (is_nan(a) || a > b) ? a : b;  // NaN wins
    case OP_MINIMUM: return (is_nan(a) || a < b) ? a : b;
    default: return remainder_f(a, b);
  }
}

int64_t int_pow(int64_t base, int64_t exponent) {
  if (exponent < 0l) {
    if (base == 1l) return 1l;
    if (base == -1l) return (exponent & 1l) != 0l ? -1l : 1l;
    return 0l;
  }
  int64_t result = 1l;
  while (exponent != 0l) {
    if ((exponent & 1l) != 0l) result *= base;
    base *= base;
    exponent >>= 1;
  }
  return result;
}

int64_t int_op(int64_t a, int64_t b) {
  switch (OP) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_POW: return int_pow(a, b);
    case OP_MAXIMUM: return a > b ? a : b;
    default: return a < b ? a : b;  // OP_MINIMUM; the host runs integer % on the CPU
  }
}

void main_vec4(uint q) {
  vec4 a = a_data_load4(pc.a_offset / 4u + q);
  vec4 b = SCALAR_MODE == SCALAR_NONE ? b_data_load4(pc.b_offset / 4u + q) : vec4(pc.scalar_f);
  if (SCALAR_MODE == SCALAR_FIRST) {
    vec4 t = a;
    a = b;
    b = t;
  }
  out_data_store4(pc.out_offset / 4u + q, vec4(float_op(a.x, b.x), float_op(a.y, b.y),
                                               float_op(a.z, b.z), float_op(a.w, b.w)));
}

void main() {
  uint i = global_index();
  if (i >= pc.n) return;  // n counts vec4s when VEC4
  if (VEC4) {
    main_vec4(i);
    return;
  }
  bool dense = CONTIGUOUS;
  uint o = pc.out_offset + (dense ? i : strided_offset(i, pc.sizes, pc.out_strides));
  uint ia = pc.a_offset + (dense ? i : strided_offset(i, pc.sizes, pc.a_strides));
  uint ib = pc.b_offset + (dense ? i : strided_offset(i, pc.sizes, pc.b_strides));
  bool predicate = OP >= OP_EQ;
  if (is_floating(DTYPE)) {
    float a = a_data_load_float(ia, DTYPE);
    float b = SCALAR_MODE == SCALAR_NONE ? b_data_load_float(ib, DTYPE) : pc.scalar_f;
    if (SCALAR_MODE == SCALAR_FIRST) {
      float t = a;
      a = b;
      b = t;
    }
    if (!predicate) {
      out_data_store_float(o, OUT_DTYPE, float_op(a, b));
      return;
    }
    bool result = OP == OP_LOGICAL_AND ? (a != 0.0 && b != 0.0)
                : OP == OP_LOGICAL_OR  ? (a != 0.0 || b != 0.0)
                                          : compare(OP, a < b, a == b, a > b);
    out_data_store_int(o, DT_BOOL, result ? 1l : 0l);
    return;
  }
  int64_t a = a_data_load_int(ia, DTYPE);
  int64_t b = SCALAR_MODE == SCALAR_NONE ? b_data_load_int(ib, DTYPE)
                                            : int64_t(packUint2x32(uvec2(pc.scalar_lo, pc.scalar_hi)));
  if (SCALAR_MODE == SCALAR_FIRST) {
    int64_t t = a;
    a = b;
    b = t;
  }
  if (!predicate) {
    out_data_store_int(o, OUT_DTYPE, int_op(a, b));
    return;
  }
  bool result = OP == OP_LOGICAL_AND ? (a != 0l && b != 0l)
              : OP == OP_LOGICAL_OR  ? (a != 0l || b != 0l)
                                        : compare(OP, a < b, a == b, a > b);
  out_data_store_int(o, DT_BOOL, result ? 1l : 0l);
}
