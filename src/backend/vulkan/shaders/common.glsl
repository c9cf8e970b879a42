// Shared by every Ember compute shader: dtype codes, element access over uint words,
// launch indexing and strided addressing. Rules (DESIGN §1.6): no float64, no 64-bit
// atomics, bounds checked here rather than by robust buffer access, no subgroup size
// assumed, push constants at most 128 bytes.
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require

// ember::DType's values.
#define DT_BOOL 0u
#define DT_U8 1u
#define DT_I32 2u
#define DT_I64 3u
#define DT_F16 4u
#define DT_BF16 5u
#define DT_F32 6u

layout(local_size_x_id = 0) in;

// Launches larger than 65,535 workgroups spread over y (vulkan_backend.cpp: groups_for).
uint global_index() {
  return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * gl_WorkGroupSize.x +
         gl_LocalInvocationID.x;
}

// The element offset of linear index i in a layout of at most 4 dims (unused leading
// dims have size 1).
uint strided_offset(uint i, uvec4 sizes, ivec4 strides) {
  int offset = 0;
  uint c = i % sizes.w;
  i /= sizes.w;
  offset += int(c) * strides.w;
  c = i % sizes.z;
  i /= sizes.z;
  offset += int(c) * strides.z;
  c = i % sizes.y;
  i /= sizes.y;
  offset += int(c) * strides.y;
  offset += int(i) * strides.x;
  return uint(offset);
}

bool is_floating(uint dtype) { return dtype >= DT_F16; }

bool is_nan(float x) { return (floatBitsToUint(x) & 0x7fffffffu) > 0x7f800000u; }
bool is_inf(float x) { return (floatBitsToUint(x) & 0x7fffffffu) == 0x7f800000u; }

// bfloat16 is the upper half of a float32, rounded to nearest even (as the CPU does).
uint bf16_bits(float v) {
  uint b = floatBitsToUint(v);
  if (is_nan(v)) return (b >> 16) | 0x40u;
  return (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
}

// float16 rounded to nearest even, bit for bit as the CPU's Half(float): GLSL leaves
// packHalf2x16's rounding to the implementation.
uint f16_bits(float v) {
  uint f = floatBitsToUint(v);
  uint sign = (f >> 16) & 0x8000u;
  uint magnitude = f & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) return sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u : 0u);
  if (magnitude >= 0x477ff000u) return sign | 0x7c00u;
  if (magnitude < 0x38800000u) {  // subnormal half: float addition does the rounding
    return sign | (floatBitsToUint(uintBitsToFloat(magnitude) + 0.5) - 0x3f000000u);
  }
  return sign | ((magnitude + 0xc8000fffu + ((magnitude >> 13) & 1u)) >> 13);
}

// Element access for a tensor bound as uint words. 8- and 16-bit elements are written
// with two atomics on their word, which only touch the element's own bits, so
// neighbouring invocations never lose each other's writes.
#define TENSOR(NAME, BINDING)                                                           \
  layout(std430, binding = BINDING) buffer NAME##_words { uint NAME[]; };               \
  uint NAME##_bits(uint i, uint bits) {                                                 \
    uint per = 32u / bits;                                                              \
    return (NAME[i / per] >> ((i % per) * bits)) & ((1u << bits) - 1u);                 \
  }                                                                                     \
  void NAME##_set_bits(uint i, uint bits, uint value) {                                 \
    uint per = 32u / bits;                                                              \
    uint shift = (i % per) * bits;                                                      \
    uint mask = ((1u << bits) - 1u) << shift;                                           \
    atomicAnd(NAME[i / per], ~mask);                                                    \
    atomicOr(NAME[i / per], (value << shift) & mask);                                   \
  }                                                                                     \
  int64_t NAME##_load_i64(uint i) {                                                     \
    return int64_t(packUint2x32(uvec2(NAME[2u * i], NAME[2u * i + 1u])));               \
  }                                                                                     \
  void NAME##_store_i64(uint i, int64_t v) {                                            \
    uvec2 words = unpackUint2x32(uint64_t(v));                                          \
    NAME[2u * i] = words.x;                                                             \
    NAME[2u * i + 1u] = words.y;                                                        \
  }                                                                                     \
  float NAME##_load_float(uint i, uint dtype) {                                         \
    switch (dtype) {                                                                    \
      case DT_F32: return uintBitsToFloat(NAME[i]);                                     \
      case DT_F16: return unpackHalf2x16(NAME##_bits(i, 16u)).x;                        \
      case DT_BF16: return uintBitsToFloat(NAME##_bits(i, 16u) << 16);                  \
      case DT_I32: return float(int(NAME[i]));                                          \
      case DT_I64: return float(NAME##_load_i64(i));                                    \
      case DT_U8: return float(NAME##_bits(i, 8u));                                     \
      default: return NAME##_bits(i, 8u) != 0u ? 1.0 : 0.0;                             \
    }                                                                                   \
  }                                                                                     \
  int64_t NAME##_load_int(uint i, uint dtype) {                                         \
    switch (dtype) {                                                                    \
      case DT_I32: return int64_t(int(NAME[i]));                                        \
      case DT_I64: return NAME##_load_i64(i);                                           \
      case DT_U8: return int64_t(NAME##_bits(i, 8u));                                   \
      case DT_BOOL: return NAME##_bits(i, 8u) != 0u ? 1l : 0l;                          \
      default: return int64_t(NAME##_load_float(i, dtype));                             \
    }                                                                                   \
  }                                                                                     \
  void NAME##_store_float(uint i, uint dtype, float v) {                                \
    switch (dtype) {                                                                    \
      case DT_F32: NAME[i] = floatBitsToUint(v); break;                                 \
      case DT_F16: NAME##_set_bits(i, 16u, f16_bits(v)); break;                         \
      case DT_BF16: NAME##_set_bits(i, 16u, bf16_bits(v)); break;                       \
      case DT_I32: NAME[i] = uint(int(v)); break;                                       \
      case DT_I64: NAME##_store_i64(i, int64_t(v)); break;                              \
      case DT_U8: NAME##_set_bits(i, 8u, uint(int(v))); break;                          \
      default: NAME##_set_bits(i, 8u, v != 0.0 ? 1u : 0u); break;                       \
    }                                                                                   \
  }                                                                                     \
  void NAME##_store_int(uint i, uint dtype, int64_t v) {                                \
    switch (dtype) {                                                                    \
      case DT_I32: NAME[i] = uint(v); break;                                            \
      case DT_I64: NAME##_store_i64(i, v); break;                                       \
      case DT_U8: NAME##_set_bits(i, 8u, uint(v)); break;                               \
      case DT_BOOL: NAME##_set_bits(i, 8u, v != 0l ? 1u : 0u); break;                   \
      default: NAME##_store_float(i, dtype, float(v)); break;                           \
    }                                                                                   \
  }
