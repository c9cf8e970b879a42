#version 450
// Fused cross-entropy over contiguous float logits [N, C] with int64 targets [N]: one
// workgroup per row, computed in float32; out, logits and grad_losses have the logits'
// dtype (a storage variant each, elements.glsl). FORWARD writes losses[n]; BACKWARD
// writes grad_logits[n, :] from grad_losses[n]. Label smoothing s and ignore_index as in
// backend.h.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#define CHECKS_BINDING 4
#include "checks.glsl"

#include "elements.glsl"

DATA_TENSOR(out_data, 0)
DATA_TENSOR(logits_data, 1)
layout(std430, binding = 2) readonly buffer Target { uint target_words[]; };
DATA_TENSOR(grad_data, 3)

layout(push_constant) uniform Push {
  uint rows;
  uint classes;
  float smoothing;
  uint ignore_lo, ignore_hi;
  uint logits_offset;
  uint target_offset;
  uint grad_offset;
  uint check_slot;
} pc;

#define CHECK_TARGET 1u

#include "workgroup_reduce.glsl"
// The dtype of every DATA_TENSOR, for the 32-bit-word variant.
layout(constant_id = 1) const uint DTYPE = DT_F32;
layout(constant_id = 2) const bool BACKWARD = false;

float logit_at(uint i) { return logits_data_load_float(i, DTYPE); }

void main() {
  uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  uint t = gl_LocalInvocationID.x;
  bool in_range = row < pc.rows;
  uint base = pc.logits_offset + row * pc.classes;
  uint ti = pc.target_offset + row;
  int64_t target = in_range ? int64_t(packUint2x32(uvec2(target_words[2u * ti], target_words[2u * ti + 1u])))
                            : 0l;
  bool ignored = target == int64_t(packUint2x32(uvec2(pc.ignore_lo, pc.ignore_hi)));
  bool bad = in_range && !ignored && (target < 0l || target >= int64_t(pc.classes));
  if (bad && t == 0u) report_error(pc.check_slot, CHECK_TARGET, target, pc.classes, row);

  float max_value = uintBitsToFloat(0xff800000u);
  for (uint c = t; in_range && c < pc.classes; c += gl_WorkGroupSize.x) {
    float v = logit_at(base + c);
    max_value = (is_nan(max_value) || max_value > v) ? max_value : v;
  }
  max_value = workgroup_max(max_value);
  float sum = 0.0, logit_sum = 0.0;
  for (uint c = t; in_range && c < pc.classes; c += gl_WorkGroupSize.x) {
    float v = logit_at(base + c);
    sum += exp(v - max_value);
    logit_sum += v;
  }
  sum = workgroup_sum(sum);
  logit_sum = workgroup_sum(logit_sum);
  if (!in_range) return;
  float s = pc.smoothing;
  if (!BACKWARD) {
    if (t != 0u) return;
    float loss = 0.0;
    if (!ignored && !bad) {
      float lse = max_value + log(sum);
      loss = (1.0 - s) * (lse - logit_at(base + uint(target))) +
             s * (lse - logit_sum / float(pc.classes));
    }
    out_data_store_float(row, DTYPE, loss);
    return;
  }
  float g = grad_data_load_float(pc.grad_offset + row, DTYPE);
  for (uint c = t; c < pc.classes; c += gl_WorkGroupSize.x) {
    float value = 0.0;
    if (!ignored && !bad) {
      float p = exp(logit_at(base + c) - max_value) / sum;
      value = g * (p - (int64_t(c) == target ? 1.0 - s : 0.0) - s / float(pc.classes));
    }
    out_data_store_float(row * pc.classes + c, DTYPE, value);
  }
}
