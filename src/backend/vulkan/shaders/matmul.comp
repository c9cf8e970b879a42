#version 450
// out[b] = a[b] @ b[b] with float32 sums: a [M, K] and b [K, N] with any strides (row- or
// column-major, broadcast batches), out [M, N] contiguous, all three of one float dtype.
// Each workgroup computes a TILE_M x TILE_N block of out through shared-memory tiles of
// depth TILE_K; each invocation keeps a THREAD_M x THREAD_N block of sums in registers.
// Tiles hold float32 in every variant: 16-bit values convert exactly as they are loaded,
// and the sums round once as they are stored, as the CPU's 16-bit matmul does.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "elements.glsl"

layout(constant_id = 1) const uint TILE_M = 64;
layout(constant_id = 2) const uint TILE_N = 64;
layout(constant_id = 3) const uint TILE_K = 16;
layout(constant_id = 4) const uint THREAD_M = 4;
layout(constant_id = 5) const uint THREAD_N = 4;
// The workgroup size (constant 0) must be (TILE_M / THREAD_M) * (TILE_N / THREAD_N), and
// THREAD_N a multiple of 4.

#if EMBER_STORAGE == EMBER_STORAGE_F32
layout(std430, binding = 0) writeonly buffer Out { float out_data[]; };
layout(std430, binding = 1) readonly buffer A { float a_data[]; };
layout(std430, binding = 2) readonly buffer B { float b_data[]; };
#define LOAD_A(i) a_data[i]
#define LOAD_B(i) b_data[i]
#define STORE_OUT(i, v) out_data[i] = v
#else
// The dtype of all three tensors, which selects the word variant's conversions.
layout(constant_id = 6) const uint DTYPE = DT_F16;
DATA_TENSOR(out_data, 0)
DATA_TENSOR(a_data, 1)
DATA_TENSOR(b_data, 2)
#define LOAD_A(i) a_data_load_float(uint(i), DTYPE)
#define LOAD_B(i) b_data_load_float(uint(i), DTYPE)
#define STORE_OUT(i, v) out_data_store_float(i, DTYPE, v)
#endif

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

// Each row of a tile is padded by 4 floats (keeping rows 16-byte aligned): a tile loaded
// along k stores neighbouring values TILE + 4 apart, which spreads them over the banks
// of shared memory (at most 2-way conflicts with 16-deep tiles, none with 8-deep ones).
const uint A_ROW = TILE_M + 4u;
const uint B_ROW = TILE_N + 4u;
shared float a_tile[TILE_K * A_ROW];  // [k][m]: the inner loop reads along m
shared float b_tile[TILE_K * B_ROW];  // [k][n]

const uint kMaxThreadM = 8;
const uint kMaxThreadN = 8;
// An invocation's THREAD_N columns are runs of 4, one in each of THREAD_N / 4 equal
// parts of the tile, so neighbouring invocations read neighbouring 16-byte words.
const uint RUNS_N = THREAD_N / 4u;
const uint RUN_SPAN = TILE_N / RUNS_N;

uint column_of(uint tn, uint j) { return tn + (j / 4u) * RUN_SPAN + j % 4u; }

// Neighbouring invocations load neighbouring addresses: along k where the operand is
// contiguous in k (a row-major a, a transposed b), along the tile's other side otherwise.
void load_a_tile(uint k0, uint row0, int base, uint t) {
  bool along_k = pc.a_col_stride == 1;
  for (uint e = t; e < TILE_M * TILE_K; e += gl_WorkGroupSize.x) {
    uint kk = along_k ? e % TILE_K : e / TILE_M;
    uint mm = along_k ? e / TILE_K : e % TILE_M;
    uint row = row0 + mm, kcol = k0 + kk;
    a_tile[kk * A_ROW + mm] =
        (row < pc.m && kcol < pc.k)
            ? LOAD_A(base + int(row) * pc.a_row_stride + int(kcol) * pc.a_col_stride)
            : 0.0;
  }
}

void load_b_tile(uint k0, uint col0, int base, uint t) {
  bool along_k = pc.b_row_stride == 1 && pc.b_col_stride != 1;
  for (uint e = t; e < TILE_N * TILE_K; e += gl_WorkGroupSize.x) {
    uint kk = along_k ? e % TILE_K : e / TILE_N;
    uint nn = along_k ? e / TILE_K : e % TILE_N;
    uint krow = k0 + kk, col = col0 + nn;
    b_tile[kk * B_ROW + nn] =
        (krow < pc.k && col < pc.n)
            ? LOAD_B(base + int(krow) * pc.b_row_stride + int(col) * pc.b_col_stride)
            : 0.0;
  }
}

void main() {
  uint batch = gl_WorkGroupID.z;
  uint row0 = gl_WorkGroupID.y * TILE_M;
  uint col0 = gl_WorkGroupID.x * TILE_N;
  uint t = gl_LocalInvocationID.x;
  uint threads_n = TILE_N / THREAD_N;
  uint tm = (t / threads_n) * THREAD_M;
  uint tn = (t % threads_n) * 4u;
  int a_base = int(pc.a_offset) + int(batch) * pc.a_batch_stride;
  int b_base = int(pc.b_offset) + int(batch) * pc.b_batch_stride;

  float acc[kMaxThreadM][kMaxThreadN];
  for (uint i = 0u; i < THREAD_M; ++i) {
    for (uint j = 0u; j < THREAD_N; ++j) acc[i][j] = 0.0;
  }

  for (uint k0 = 0u; k0 < pc.k; k0 += TILE_K) {
    load_a_tile(k0, row0, a_base, t);
    load_b_tile(k0, col0, b_base, t);
    barrier();
    for (uint kk = 0u; kk < TILE_K; ++kk) {
      float a_reg[kMaxThreadM];
      float b_reg[kMaxThreadN];
      for (uint i = 0u; i < THREAD_M; ++i) a_reg[i] = a_tile[kk * A_ROW + tm + i];
      for (uint j = 0u; j < THREAD_N; ++j) b_reg[j] = b_tile[kk * B_ROW + column_of(tn, j)];
      for (uint i = 0u; i < THREAD_M; ++i) {
        for (uint j = 0u; j < THREAD_N; ++j) acc[i][j] = fma(a_reg[i], b_reg[j], acc[i][j]);
      }
    }
    barrier();
  }

  uint out_base = pc.out_offset + batch * pc.m * pc.n;
  for (uint i = 0u; i < THREAD_M; ++i) {
    uint row = row0 + tm + i;
    if (row >= pc.m) break;
    for (uint j = 0u; j < THREAD_N; ++j) {
      uint col = col0 + column_of(tn, j);
      if (col < pc.n) STORE_OUT(out_base + row * pc.n + col, acc[i][j]);
    }
  }
}
