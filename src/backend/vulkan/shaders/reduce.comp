#version 450
// Reductions of a contiguous [outer, R, inner] tensor over R, for every ReduceOp.
// ROWS (inner == 1): one workgroup per row; each invocation accumulates a strided share
// of the row and workgroup_reduce.glsl combines them. COLUMNS: one invocation per
// (outer, inner) pair walks R in order. Both orders are fixed, so results repeat bit for
// bit, and neither assumes a subgroup size. The workgroup size must be a power of two.
// Long rows are split: workgroup w reduces chunk w % chunks of row w / chunks into
// out[w], and a second launch reduces those partial results.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

TENSOR(out_data, 0)
TENSOR(x_data, 1)

// ember::ReduceOp's values.
#define OP_SUM 0u
#define OP_MEAN 1u
#define OP_PROD 2u
#define OP_MAX 3u
#define OP_MIN 4u
#define OP_ARGMAX 5u
#define OP_ARGMIN 6u
#define OP_ALL 7u
#define OP_ANY 8u

layout(push_constant) uniform Push {
  uint outer;
  uint reduced;
  uint inner;
  uint x_offset;
  uint out_offset;
  uint chunk;      // elements per workgroup in ROWS
  uint chunks;     // workgroups per row
  float divisor;   // MEAN divides by it
} pc;

layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint DTYPE = DT_F32;
layout(constant_id = 3) const uint OUT_DTYPE = DT_F32;
layout(constant_id = 4) const bool COLUMNS = false;
#define WORKGROUP_REDUCE_INT64
#include "workgroup_reduce.glsl"

bool is_arg() { return OP == OP_ARGMAX || OP == OP_ARGMIN; }

// ---- floating point ----

float float_identity() {
  switch (OP) {
    case OP_PROD: return 1.0;
    case OP_MAX:
    case OP_ARGMAX: return uintBitsToFloat(0xff800000u);
    case OP_MIN:
    case OP_ARGMIN: return uintBitsToFloat(0x7f800000u);
    default: return 0.0;
  }
}

uint float_reduce_op() {
  switch (OP) {
    case OP_PROD: return REDUCE_PROD;
    case OP_MAX: return REDUCE_MAX;
    case OP_MIN: return REDUCE_MIN;
    default: return REDUCE_SUM;
  }
}

bool float_better(float candidate, float best) {
  return reduce_better(candidate, best, OP == OP_ARGMAX || OP == OP_MAX);
}

float float_combine(float a, float b) { return reduce_combine(float_reduce_op(), a, b); }

// ---- integers and bool, in int64 ----

int64_t int_identity() {
  switch (OP) {
    case OP_PROD:
    case OP_ALL: return 1l;
    case OP_MAX:
    case OP_ARGMAX: return int64_t(0x8000000000000000ul);
    case OP_MIN:
    case OP_ARGMIN: return int64_t(0x7ffffffffffffffful);
    default: return 0l;
  }
}

bool int_better(int64_t candidate, int64_t best) {
  return OP == OP_ARGMAX || OP == OP_MAX ? candidate > best : candidate < best;
}

int64_t int_combine(int64_t a, int64_t b) {
  switch (OP) {
    case OP_PROD: return a * b;
    case OP_MAX:
    case OP_MIN: return int_better(b, a) ? b : a;
    case OP_ALL: return (a != 0l && b != 0l) ? 1l : 0l;
    case OP_ANY: return (a != 0l || b != 0l) ? 1l : 0l;
    default: return a + b;
  }
}

// One step of folding element (value, index) into the running (best, best_index).
void fold_float(float v, uint index, inout float acc, inout uint acc_index) {
  if (is_arg()) {
    if (float_better(v, acc) || (acc_index == REDUCE_NO_INDEX)) {
      acc = v;
      acc_index = index;
    }
  } else {
    acc = float_combine(acc, v);
  }
}

void fold_int(int64_t v, uint index, inout int64_t acc, inout uint acc_index) {
  if (is_arg()) {
    if (int_better(v, acc) || (acc_index == REDUCE_NO_INDEX)) {
      acc = v;
      acc_index = index;
    }
  } else {
    acc = int_combine(acc, v);
  }
}

void store(uint o, float value, int64_t integer, uint index, bool floating) {
  if (is_arg()) {
    out_data_store_int(o, DT_I64, int64_t(index));
  } else if (floating) {
    out_data_store_float(o, OUT_DTYPE, OP == OP_MEAN ? value / pc.divisor : value);
  } else {
    out_data_store_int(o, OUT_DTYPE, integer);
  }
}

void reduce_column(uint item) {
  if (item >= pc.outer * pc.inner) return;
  uint o = item / pc.inner, i = item % pc.inner;
  uint base = pc.x_offset + o * pc.reduced * pc.inner + i;
  bool floating = is_floating(DTYPE);
  float acc = float_identity();
  int64_t acc_int = int_identity();
  uint acc_index = REDUCE_NO_INDEX;
  for (uint r = 0u; r < pc.reduced; ++r) {
    uint at = base + r * pc.inner;
    if (floating) {
      fold_float(x_data_load_float(at, DTYPE), r, acc, acc_index);
    } else {
      fold_int(x_data_load_int(at, DTYPE), r, acc_int, acc_index);
    }
  }
  store(pc.out_offset + item, acc, acc_int, acc_index, floating);
}

void reduce_row(uint group) {
  uint row = group / pc.chunks;
  uint begin = (group % pc.chunks) * pc.chunk;
  uint end = min(begin + pc.chunk, pc.reduced);
  uint t = gl_LocalInvocationID.x;
  uint size = gl_WorkGroupSize.x;
  bool floating = is_floating(DTYPE);
  float acc = float_identity();
  int64_t acc_int = int_identity();
  uint acc_index = REDUCE_NO_INDEX;
  if (row < pc.outer) {
    uint base = pc.x_offset + row * pc.reduced;
    for (uint r = begin + t; r < end; r += size) {
      if (floating) {
        fold_float(x_data_load_float(base + r, DTYPE), r, acc, acc_index);
      } else {
        fold_int(x_data_load_int(base + r, DTYPE), r, acc_int, acc_index);
      }
    }
  }
  if (floating && is_arg()) {
    workgroup_arg(acc, acc_index, OP == OP_ARGMAX);
  } else if (floating) {
    acc = workgroup_reduce(float_reduce_op(), acc);
  } else if (is_arg()) {
    workgroup_arg_int(acc_int, acc_index);
  } else {
    acc_int = workgroup_reduce_int(acc_int);
  }
  if (t == 0u && row < pc.outer) store(pc.out_offset + group, acc, acc_int, acc_index, floating);
}

void main() {
  if (COLUMNS) {
    reduce_column(global_index());
  } else {
    reduce_row(gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x);
  }
}
