#version 450
// out = f(x) for every UnaryOp, clamp, copy with dtype conversion, and fill: any dtypes,
// any layout of at most 4 dims (the host splits larger ones). Compiled per storage
// variant (elements.glsl), and for copies between float32 and a 16-bit float per pair.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "elements.glsl"
#include "math.glsl"

DATA_TENSOR(out_data, 0)
DATA_TENSOR_AS(EMBER_IN_STORAGE, in_data, 1)

// ember::UnaryOp's values, then the copy family.
#define OP_NEG 0u
#define OP_ABS 1u
#define OP_EXP 2u
#define OP_LOG 3u
#define OP_LOG1P 4u
#define OP_EXPM1 5u
#define OP_SQRT 6u
#define OP_RSQRT 7u
#define OP_SIN 8u
#define OP_COS 9u
#define OP_TANH 10u
#define OP_SIGMOID 11u
#define OP_RELU 12u
#define OP_GELU_ERF 13u
#define OP_GELU_TANH 14u
#define OP_SILU 15u
#define OP_SOFTPLUS 16u
#define OP_ERF 17u
#define OP_FLOOR 18u
#define OP_CEIL 19u
#define OP_ROUND 20u
#define OP_SIGN 21u
#define OP_RECIPROCAL 22u
#define OP_LOGICAL_NOT 23u
#define OP_ISNAN 24u
#define OP_ISINF 25u
#define OP_COPY 100u
#define OP_FILL 101u
#define OP_CLAMP 102u

// The op, the dtypes and the layout select code, so they are specialization constants and
// each pipeline holds only its own case; sizes, strides, offsets and values are pushed.
layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint OUT_DTYPE = DT_F32;
layout(constant_id = 3) const uint IN_DTYPE = DT_F32;
layout(constant_id = 4) const bool CONTIGUOUS = false;  // element i is at offset + i
// Dense, one float dtype in and out (float32 in any variant, 16-bit in its own), counts
// and offsets multiples of 4: each invocation does four elements through load4/store4.
layout(constant_id = 5) const bool VEC4 = false;

layout(push_constant) uniform Push {
  uvec4 sizes;
  ivec4 out_strides;
  ivec4 in_strides;
  uint n;
  uint out_offset;
  uint in_offset;
  float low_f;      // fill value, or clamp's bounds
  float high_f;
  uint low_lo, low_hi, high_lo, high_hi;  // the same as int64 words
} pc;

int64_t low_int() { return int64_t(packUint2x32(uvec2(pc.low_lo, pc.low_hi))); }
int64_t high_int() { return int64_t(packUint2x32(uvec2(pc.high_lo, pc.high_hi))); }

float float_op(float x) {
  switch (OP) {
    case OP_NEG: return -x;
    case OP_ABS: return abs(x);
    case OP_EXP: return exp(x);
    case OP_LOG: return log(x);
    case OP_LOG1P: return log1p_f(x);
    case OP_EXPM1: return expm1_f(x);
    case OP_SQRT: return sqrt(x);
    case OP_RSQRT: return 1.0 / sqrt(x);
    case OP_SIN: return sin(x);
    case OP_COS: return cos(x);
    case OP_TANH: return tanh_f(x);
    case OP_SIGMOID: return sigmoid_f(x);
    case OP_RELU: return x < 0.0 ? 0.0 : x;
    case OP_GELU_ERF: return gelu_erf_f(x);
    case OP_GELU_TANH: return 0.5 * x * (1.0 + tanh_f(0.79788456080286535588 * (x + 0.044715 * x * x * x)));
    case OP_SILU: return x * sigmoid_f(x);
    case OP_SOFTPLUS: return x > 20.0 ? x : log1p_f(exp(x));
    case OP_ERF: return erf_f(x);
    case OP_FLOOR: return floor(x);
    case OP_CEIL: return ceil(x);
    case OP_ROUND: return roundEven(x);
    case OP_SIGN: return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : (is_nan(x) ? x : 0.0));
    case OP_RECIPROCAL: return 1.0 / x;
    case OP_CLAMP: {
      float low = x < pc.low_f ? pc.low_f : x;
      return low > pc.high_f ? pc.high_f : low;
    }
    default: return x;
  }
}

int64_t int_op(int64_t x) {
  switch (OP) {
    case OP_NEG: return -x;
    case OP_ABS: return x < 0l ? -x : x;
    case OP_RELU: return x < 0l ? 0l : x;
    case OP_SIGN: return x > 0l ? 1l : (x < 0l ? -1l : 0l);
    case OP_CLAMP: {
      int64_t low = x < low_int() ? low_int() : x;
      return low > high_int() ? high_int() : low;
    }
    default: return x;
  }
}

void main_vec4(uint q) {
  if (OP == OP_FILL) {
    out_data_store4(pc.out_offset / 4u + q, vec4(pc.low_f));
    return;
  }
  vec4 x = in_data_load4(pc.in_offset / 4u + q);
  out_data_store4(pc.out_offset / 4u + q,
                  vec4(float_op(x.x), float_op(x.y), float_op(x.z), float_op(x.w)));
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
  if (OP == OP_FILL) {
    if (is_floating(OUT_DTYPE)) {
      out_data_store_float(o, OUT_DTYPE, pc.low_f);
    } else {
      out_data_store_int(o, OUT_DTYPE, low_int());
    }
    return;
  }
  uint s = pc.in_offset + (dense ? i : strided_offset(i, pc.sizes, pc.in_strides));
  bool floating = is_floating(IN_DTYPE);
  if (OP == OP_LOGICAL_NOT || OP == OP_ISNAN || OP == OP_ISINF) {
    bool result = false;
    if (floating) {
      float x = in_data_load_float(s, IN_DTYPE);
      result = OP == OP_LOGICAL_NOT ? x == 0.0 : (OP == OP_ISNAN ? is_nan(x) : is_inf(x));
    } else {
      result = OP == OP_LOGICAL_NOT && in_data_load_int(s, IN_DTYPE) == 0l;
    }
    out_data_store_int(o, DT_BOOL, result ? 1l : 0l);
  } else if (floating) {
    out_data_store_float(o, OUT_DTYPE, float_op(in_data_load_float(s, IN_DTYPE)));
  } else {
    out_data_store_int(o, OUT_DTYPE, int_op(in_data_load_int(s, IN_DTYPE)));
  }
}
