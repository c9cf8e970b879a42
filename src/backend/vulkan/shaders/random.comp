#version 450
// Philox-4x32-10 random numbers, element for element the CPU's (src/core/philox.h,
// src/backend/cpu/random.cpp): invocation b computes counter block offset + b and writes
// its 4 elements (2 for int64 output). UNIFORM and NORMAL write float32, float16 or
// bfloat16 (float32's numbers rounded on store, as the CPU does); INTEGER any dtype.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "elements.glsl"

DATA_TENSOR(out_data, 0)

#define DIST_UNIFORM 0u
#define DIST_NORMAL 1u
#define DIST_INTEGER 2u

layout(constant_id = 1) const uint DISTRIBUTION = DIST_UNIFORM;
layout(constant_id = 2) const uint DTYPE = DT_F32;

layout(push_constant) uniform Push {
  uint n;
  uint out_offset;
  uvec2 key;
  uvec2 counter;     // offset, as two words
  float low;         // uniform: low; normal: mean
  float span;        // uniform: high - low; normal: standard deviation
  float below_high;  // the largest value of the output dtype below high
  uint low_lo, low_hi, range_lo, range_hi;
} pc;

uvec4 philox_round(uvec4 c, uvec2 k) {
  uint hi0, lo0, hi1, lo1;
  umulExtended(0xD2511F53u, c.x, hi0, lo0);
  umulExtended(0xCD9E8D57u, c.z, hi1, lo1);
  return uvec4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
}

uvec4 philox(uvec4 counter, uvec2 key) {
  counter = philox_round(counter, key);
  for (int r = 1; r < 10; ++r) {
    key += uvec2(0x9E3779B9u, 0xBB67AE85u);
    counter = philox_round(counter, key);
  }
  return counter;
}

float to_float(uint x) { return float(x >> 8) * 5.9604644775390625e-8; }
float to_float_nonzero(uint x) { return float((x >> 8) + 1u) * 5.9604644775390625e-8; }

void main() {
  uint block = global_index();
  bool wide = DISTRIBUTION == DIST_INTEGER && DTYPE == DT_I64;
  uint per_block = wide ? 2u : 4u;
  uint first = block * per_block;
  if (first >= pc.n) return;
  uint64_t c = packUint2x32(pc.counter) + uint64_t(block);
  uvec4 r = philox(uvec4(unpackUint2x32(c), 0u, 0u), pc.key);
  uint count = min(per_block, pc.n - first);
  if (DISTRIBUTION == DIST_UNIFORM) {
    for (uint j = 0u; j < count; ++j) {
      out_data_store_float(pc.out_offset + first + j, DTYPE,
                           min(pc.low + pc.span * to_float(r[j]), pc.below_high));
    }
  } else if (DISTRIBUTION == DIST_NORMAL) {
    for (uint j = 0u; j < count; j += 2u) {
      float radius = sqrt(-2.0 * log(to_float_nonzero(r[j])));
      float angle = 6.283185307179586 * to_float(r[j + 1u]);
      out_data_store_float(pc.out_offset + first + j, DTYPE,
                           pc.low + pc.span * radius * cos(angle));
      if (j + 1u < count) {
        out_data_store_float(pc.out_offset + first + j + 1u, DTYPE,
                             pc.low + pc.span * radius * sin(angle));
      }
    }
  } else {
    uint64_t low = packUint2x32(uvec2(pc.low_lo, pc.low_hi));
    uint64_t range = packUint2x32(uvec2(pc.range_lo, pc.range_hi));
    for (uint j = 0u; j < count; ++j) {
      uint64_t x = wide ? packUint2x32(uvec2(r[2u * j], r[2u * j + 1u])) : uint64_t(r[j]);
      out_data_store_int(pc.out_offset + first + j, DTYPE, int64_t(low + x % range));
    }
  }
}
