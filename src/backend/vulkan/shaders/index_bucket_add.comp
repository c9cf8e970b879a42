#version 450
// index_add along a dim with nothing before it, after index_sort.comp has bucketed the
// tokens: out [V, inner] += src [L, inner] at index[l], bit for bit as the CPU adds.
//
// keys[s] = (index, position) sorted, so each bucket is a run of equal indices listing
// its positions in token order. One invocation per (sorted slot s, column c): where s
// starts a run it walks the run, out[v][c] + src[p1][c] + src[p2][c] + ... in float32 in
// token order, and stores once (16-bit out is rounded once, as the CPU does). A launch
// covers the slots [begin, end), at most kMaxLoopIterations (kernels.h); a run that goes
// on past `end` leaves its partial sum in carry, and the next launch's invocation at
// `begin` resumes from it. carry holds two rows of `inner` floats, read and written
// alternately by even and odd launches. Bad indices sorted last as SENTINEL and are
// skipped (index_sort.comp reported them).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

TENSOR(out_data, 0)
TENSOR(src_data, 1)
layout(std430, binding = 2) readonly buffer Keys { uvec2 keys[]; };
layout(std430, binding = 3) buffer Carry { float carry[]; };

#define SENTINEL 0xffffffffu

layout(constant_id = 1) const uint DTYPE = DT_F32;  // of out and src, a float dtype

layout(push_constant) uniform Push {
  uint count;  // tokens: the sorted slots that may hold a valid key
  uint inner;
  uint src_offset;
  uint out_offset;
  uint begin;  // the slots of this launch
  uint end;
  uint launch;  // its number: the parity picks the carry row read and the one written
} pc;

void main() {
  uint item = global_index();
  if (item >= (pc.end - pc.begin) * pc.inner) return;
  uint s = pc.begin + item / pc.inner, c = item % pc.inner;
  uint v = keys[s].x;
  if (v == SENTINEL) return;
  bool starts_run = s == 0u || keys[s - 1u].x != v;
  if (!starts_run && s != pc.begin) return;
  uint carried = (pc.launch & 1u) * pc.inner, carrying = pc.inner - carried;
  uint to = pc.out_offset + v * pc.inner + c;
  precise float sum = starts_run ? out_data_load_float(to, DTYPE) : carry[carried + c];
  uint t = s;
  for (; t < pc.end && keys[t].x == v; ++t) {
    sum += src_data_load_float(pc.src_offset + keys[t].y * pc.inner + c, DTYPE);
  }
  if (t < pc.count && keys[t].x == v) {
    carry[carrying + c] = sum;
  } else {
    out_data_store_float(to, DTYPE, sum);
  }
}
