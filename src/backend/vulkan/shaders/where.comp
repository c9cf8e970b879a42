#version 450
// out = condition ? a : b elementwise, any dtype, any layout of at most 4 dims. Compiled
// per storage variant of out, a and b (elements.glsl); the condition stays in words.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "elements.glsl"

DATA_TENSOR(out_data, 0)
TENSOR(cond_data, 1)
DATA_TENSOR(a_data, 2)
DATA_TENSOR(b_data, 3)

layout(push_constant) uniform Push {
  uvec4 sizes;
  ivec4 out_strides;
  ivec4 cond_strides;
  ivec4 a_strides;
  ivec4 b_strides;
  uint n;
  uint out_offset;
  uint cond_offset;
  uint a_offset;
  uint b_offset;
} pc;

// The dtypes and the layout select code: specialization constants. The rest is pushed.
layout(constant_id = 1) const uint DTYPE = DT_F32;
layout(constant_id = 2) const uint COND_DTYPE = DT_BOOL;
layout(constant_id = 3) const bool CONTIGUOUS = false;

void main() {
  uint i = global_index();
  if (i >= pc.n) return;
  bool dense = CONTIGUOUS;
  uint o = pc.out_offset + (dense ? i : strided_offset(i, pc.sizes, pc.out_strides));
  uint ic = pc.cond_offset + (dense ? i : strided_offset(i, pc.sizes, pc.cond_strides));
  bool take_a = cond_data_load_int(ic, COND_DTYPE) != 0l;
  uint ia = pc.a_offset + (dense ? i : strided_offset(i, pc.sizes, pc.a_strides));
  uint ib = pc.b_offset + (dense ? i : strided_offset(i, pc.sizes, pc.b_strides));
  if (is_floating(DTYPE)) {
    float v = take_a ? a_data_load_float(ia, DTYPE) : b_data_load_float(ib, DTYPE);
    out_data_store_float(o, DTYPE, v);
  } else {
    int64_t v = take_a ? a_data_load_int(ia, DTYPE) : b_data_load_int(ib, DTYPE);
    out_data_store_int(o, DTYPE, v);
  }
}
