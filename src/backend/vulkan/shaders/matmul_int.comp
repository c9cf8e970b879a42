#version 450
// out[b] = a[b] @ b[b] for int32, int64 and uint8, bit for bit the CPU's loop_matmul: sums
// in 64-bit integers, which wrap modulo 2^64, so the stored low 32 or 8 bits are the sums
// the CPU wraps in the output's width, whatever the order of the additions. a [M, K] and
// b [K, N] have any strides, out [M, N] is contiguous; all three tensors are uint words.
// Each workgroup computes a TILE x TILE block of out, one element per invocation,
// through shared-memory tiles of TILE x TILE operand values.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(constant_id = 1) const uint TILE = 16;
layout(constant_id = 2) const uint DTYPE = DT_I32;
// The workgroup size (constant 0) must be TILE * TILE.

TENSOR(out_data, 0)
TENSOR(a_data, 1)
TENSOR(b_data, 2)

layout(push_constant) uniform Push {
  uint m;
  uint n;
  uint k;
  uint a_offset;
  uint b_offset;
  uint out_offset;
  int a_batch_stride;
  int a_row_stride;
  int a_col_stride;
  int b_batch_stride;
  int b_row_stride;
  int b_col_stride;
} pc;

shared int64_t a_tile[TILE * TILE];  // [m][k]
shared int64_t b_tile[TILE * TILE];  // [k][n]

void main() {
  uint batch = gl_WorkGroupID.z;
  uint local_row = gl_LocalInvocationID.x / TILE;
  uint local_col = gl_LocalInvocationID.x % TILE;
  uint row = gl_WorkGroupID.y * TILE + local_row;
  uint col = gl_WorkGroupID.x * TILE + local_col;
  int a_base = int(pc.a_offset) + int(batch) * pc.a_batch_stride;
  int b_base = int(pc.b_offset) + int(batch) * pc.b_batch_stride;

  int64_t sum = 0l;
  for (uint k0 = 0u; k0 < pc.k; k0 += TILE) {
    // Invocation (r, c) loads a[row, k0 + c] and b[k0 + r, col].
    uint a_k = k0 + local_col, b_k = k0 + local_row;
    a_tile[gl_LocalInvocationID.x] =
        (row < pc.m && a_k < pc.k)
            ? a_data_load_int(uint(a_base + int(row) * pc.a_row_stride + int(a_k) * pc.a_col_stride),
                              DTYPE)
            : 0l;
    b_tile[gl_LocalInvocationID.x] =
        (b_k < pc.k && col < pc.n)
            ? b_data_load_int(uint(b_base + int(b_k) * pc.b_row_stride + int(col) * pc.b_col_stride),
                              DTYPE)
            : 0l;
    barrier();
    for (uint kk = 0u; kk < TILE; ++kk) {
      sum += a_tile[local_row * TILE + kk] * b_tile[kk * TILE + local_col];
    }
    barrier();
  }
  if (row < pc.m && col < pc.n) {
    out_data_store_int(pc.out_offset + batch * pc.m * pc.n + row * pc.n + col, DTYPE, sum);
  }
}
