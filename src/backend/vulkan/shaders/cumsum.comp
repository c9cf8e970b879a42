#version 450
// Running sums of a contiguous [outer, n, inner] tensor along n: one invocation per
// (outer, inner) pair walks n in order (in pieces over several launches for long n). Floats use compensated (Kahan) summation, so long
// rows stay close to the CPU's double accumulation; integers add in int64.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

TENSOR(out_data, 0)
TENSOR(x_data, 1)

layout(constant_id = 1) const uint DTYPE = DT_F32;

layout(push_constant) uniform Push {
  uint outer;
  uint n;
  uint inner;
  uint x_offset;
  uint begin;  // this launch covers steps [begin, end) and continues from out[begin - 1]
  uint end;
} pc;

void main() {
  uint item = global_index();
  if (item >= pc.outer * pc.inner) return;
  uint o = item / pc.inner, i = item % pc.inner;
  uint base = o * pc.n * pc.inner + i;
  if (is_floating(DTYPE)) {
    float sum = pc.begin > 0u ? out_data_load_float(base + (pc.begin - 1u) * pc.inner, DTYPE) : 0.0;
    float compensation = 0.0;
    for (uint k = pc.begin; k < pc.end; ++k) {
      float y = x_data_load_float(pc.x_offset + base + k * pc.inner, DTYPE) - compensation;
      float t = sum + y;
      // Once the sum is infinite the correction would be inf - inf: drop it.
      compensation = is_inf(t) || is_nan(t) ? 0.0 : (t - sum) - y;
      sum = t;
      out_data_store_float(base + k * pc.inner, DTYPE, sum);
    }
  } else {
    int64_t sum = pc.begin > 0u ? out_data_load_int(base + (pc.begin - 1u) * pc.inner, DTYPE) : 0l;
    for (uint k = pc.begin; k < pc.end; ++k) {
      sum += x_data_load_int(pc.x_offset + base + k * pc.inner, DTYPE);
      out_data_store_int(base + k * pc.inner, DTYPE, sum);
    }
  }
}
