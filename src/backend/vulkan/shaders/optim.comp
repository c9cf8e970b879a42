#version 450
// Adam(W) updates of up to MAX_TENSORS parameters in one dispatch, as torch.optim.Adam
// and AdamW (backend.h: AdamStep), over contiguous tensors of one float dtype, computed
// in float32 and rounded once on store. Each parameter owns a run of workgroups (the
// table gives each its first workgroup), so the array index is the same across a
// workgroup. Step-dependent factors come from the host, in double.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "elements.glsl"

#define MAX_TENSORS 7  // 4 x 7 + 1 buffers stay within 31, what Metal offers a stage
#define TABLE_WORDS 6  // per tensor: first workgroup, n, then the four element offsets

// Arrays of buffers cannot take elements.glsl's DATA_TENSOR, so each variant gives its
// element type and LOAD/STORE(tensors, t, i) here. The 16-bit variants hold the bits and
// convert them as elements.glsl does.
#if EMBER_STORAGE == EMBER_STORAGE_F32
#define ELEMENT float
#define LOAD(tensors, t, i) tensors[t].data[i]
#define STORE(tensors, t, i, v) tensors[t].data[i] = v
#elif EMBER_STORAGE == EMBER_STORAGE_F16
#define ELEMENT uint16_t
#define LOAD(tensors, t, i) unpackHalf2x16(uint(tensors[t].data[i])).x
#define STORE(tensors, t, i, v) tensors[t].data[i] = uint16_t(f16_bits(v))
#elif EMBER_STORAGE == EMBER_STORAGE_BF16
#define ELEMENT uint16_t
#define LOAD(tensors, t, i) uintBitsToFloat(uint(tensors[t].data[i]) << 16)
#define STORE(tensors, t, i, v) tensors[t].data[i] = uint16_t(bf16_bits(v))
#else
// The word variant, for float16 and bfloat16 on devices without 16-bit storage: two
// elements to a word, each stored with two atomics that touch only its own half.
layout(constant_id = 1) const uint DTYPE = DT_F16;
#define ELEMENT uint
float half_of(uint word, uint i) {
  uint bits = (word >> (16u * (i & 1u))) & 0xffffu;
  return DTYPE == DT_F16 ? unpackHalf2x16(bits).x : uintBitsToFloat(bits << 16);
}
uint bits_of(float v) { return DTYPE == DT_F16 ? f16_bits(v) : bf16_bits(v); }
#define LOAD(tensors, t, i) half_of(tensors[t].data[(i) >> 1u], i)
#define STORE(tensors, t, i, v)                                                  \
  atomicAnd(tensors[t].data[(i) >> 1u], 0xffff0000u >> (16u * ((i) & 1u)));      \
  atomicOr(tensors[t].data[(i) >> 1u], bits_of(v) << (16u * ((i) & 1u)))
#endif

layout(std430, binding = 0) buffer Param { ELEMENT data[]; } param[MAX_TENSORS];
layout(std430, binding = 1) buffer ExpAvg { ELEMENT data[]; } exp_avg[MAX_TENSORS];
layout(std430, binding = 2) buffer ExpAvgSq { ELEMENT data[]; } exp_avg_sq[MAX_TENSORS];
layout(std430, binding = 3) readonly buffer Grad { ELEMENT data[]; } grad[MAX_TENSORS];
layout(std430, binding = 4) readonly buffer Table { uint table[]; };

// AdamW: weight decay scales the parameter instead of adding to the gradient.
layout(constant_id = 2) const bool DECOUPLED = false;

layout(push_constant) uniform Push {
  uint count;  // tensors in this dispatch
  float beta1;
  float beta2;
  float weight_decay;
  float decay;      // 1 - lr * weight_decay
  float step_size;  // lr / (1 - beta1^step)
  float sqrt_c2;    // sqrt(1 - beta2^step)
  float eps;
} pc;

void main() {
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint t = 0u;
  while (t + 1u < pc.count && table[(t + 1u) * TABLE_WORDS] <= group) ++t;
  uint base = t * TABLE_WORDS;
  uint i = (group - table[base]) * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  if (i >= table[base + 1u]) return;
  uint p_at = table[base + 2u] + i, m_at = table[base + 3u] + i;
  uint v_at = table[base + 4u] + i, g_at = table[base + 5u] + i;
  float p = LOAD(param, t, p_at);
  float g = LOAD(grad, t, g_at);
  if (DECOUPLED) {
    p *= pc.decay;
  } else {
    g += pc.weight_decay * p;
  }
  float m = pc.beta1 * LOAD(exp_avg, t, m_at) + (1.0 - pc.beta1) * g;
  float v = pc.beta2 * LOAD(exp_avg_sq, t, v_at) + (1.0 - pc.beta2) * g * g;
  STORE(exp_avg, t, m_at, m);
  STORE(exp_avg_sq, t, v_at, v);
  STORE(param, t, p_at, p - pc.step_size * m / (sqrt(v) / pc.sqrt_c2 + pc.eps));
}
