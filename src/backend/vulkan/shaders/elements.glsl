// Typed element access: DATA_TENSOR(NAME, BINDING) declares a tensor whose storage comes
// from the variant's EMBER_STORAGE macro (shaders/variants.cmake), so a shader body is
// written once and compiled per variant. Every variant gives NAME_load_float/_store_float
// and NAME_load_int/_store_int(i, dtype, ...) as common.glsl's TENSOR does, and
// NAME_load4/_store4(q), four elements at 4 * q, for dense launches. Arithmetic stays in
// float32; 16-bit stores are plain stores of the bits f16_bits/bf16_bits round to nearest
// even, as the CPU does, not a float-to-half conversion whose rounding GLSL leaves open.
//
// The host picks a native variant only when every DATA_TENSOR of the launch has that
// dtype, so there the dtype arguments and the integer functions never select anything.
// DATA_TENSOR_AS(STORAGE, NAME, BINDING) declares a tensor of another storage, for the
// variants that convert (a copy from float32 into float16, say): EMBER_IN_STORAGE, which
// defaults to EMBER_STORAGE, is the usual one for an input.
#define EMBER_STORAGE_WORD 0
#define EMBER_STORAGE_F32 1
#define EMBER_STORAGE_F16 2
#define EMBER_STORAGE_BF16 3
#ifndef EMBER_STORAGE
#define EMBER_STORAGE EMBER_STORAGE_WORD
#endif
#ifndef EMBER_IN_STORAGE
#define EMBER_IN_STORAGE EMBER_STORAGE
#endif

#if EMBER_STORAGE >= EMBER_STORAGE_F16 || EMBER_IN_STORAGE >= EMBER_STORAGE_F16
#extension GL_EXT_shader_16bit_storage : require
#endif

// DATA_TENSOR_AS expands STORAGE to its number first, so DATA_TENSOR_OF pastes the name of
// one of DATA_TENSOR_0 to DATA_TENSOR_3 below.
#define DATA_TENSOR(NAME, BINDING) DATA_TENSOR_AS(EMBER_STORAGE, NAME, BINDING)
#define DATA_TENSOR_AS(STORAGE, NAME, BINDING) DATA_TENSOR_OF(STORAGE, NAME, BINDING)
#define DATA_TENSOR_OF(STORAGE, NAME, BINDING) DATA_TENSOR_##STORAGE(NAME, BINDING)

#define DATA_TENSOR_INTEGERS(NAME)                                                      \
  int64_t NAME##_load_int(uint i, uint dtype) {                                         \
    return int64_t(NAME##_load_float(i, dtype));                                        \
  }                                                                                     \
  void NAME##_store_int(uint i, uint dtype, int64_t v) { NAME##_store_float(i, dtype, float(v)); }

// EMBER_STORAGE_WORD: every dtype in uint words; load4/store4 only for float32 tensors.
#define DATA_TENSOR_0(NAME, BINDING)                                                    \
  TENSOR(NAME, BINDING)                                                                 \
  layout(std430, binding = BINDING) buffer NAME##_vec4s { vec4 NAME##_v4[]; };          \
  vec4 NAME##_load4(uint q) { return NAME##_v4[q]; }                                    \
  void NAME##_store4(uint q, vec4 v) { NAME##_v4[q] = v; }

// EMBER_STORAGE_F32
#define DATA_TENSOR_1(NAME, BINDING)                                                    \
  layout(std430, binding = BINDING) buffer NAME##_floats { float NAME[]; };             \
  layout(std430, binding = BINDING) buffer NAME##_vec4s { vec4 NAME##_v4[]; };          \
  float NAME##_load_float(uint i, uint dtype) { return NAME[i]; }                       \
  void NAME##_store_float(uint i, uint dtype, float v) { NAME[i] = v; }                 \
  vec4 NAME##_load4(uint q) { return NAME##_v4[q]; }                                    \
  void NAME##_store4(uint q, vec4 v) { NAME##_v4[q] = v; }                              \
  DATA_TENSOR_INTEGERS(NAME)

// EMBER_STORAGE_F16: loads convert float16_t exactly; stores write the rounded bits
// through a uint16_t view.
#define DATA_TENSOR_2(NAME, BINDING)                                                    \
  layout(std430, binding = BINDING) buffer NAME##_halves { float16_t NAME[]; };         \
  layout(std430, binding = BINDING) buffer NAME##_bits16 { uint16_t NAME##_u16[]; };    \
  layout(std430, binding = BINDING) buffer NAME##_half4s { f16vec4 NAME##_h4[]; };      \
  layout(std430, binding = BINDING) buffer NAME##_bits4s { u16vec4 NAME##_u4[]; };      \
  float NAME##_load_float(uint i, uint dtype) { return float(NAME[i]); }                \
  void NAME##_store_float(uint i, uint dtype, float v) {                                \
    NAME##_u16[i] = uint16_t(f16_bits(v));                                              \
  }                                                                                     \
  vec4 NAME##_load4(uint q) { return vec4(NAME##_h4[q]); }                              \
  void NAME##_store4(uint q, vec4 v) {                                                  \
    NAME##_u4[q] = u16vec4(uvec4(f16_bits(v.x), f16_bits(v.y), f16_bits(v.z), f16_bits(v.w))); \
  }                                                                                     \
  DATA_TENSOR_INTEGERS(NAME)

// EMBER_STORAGE_BF16: bfloat16 is the upper half of a float32, so loads shift the bits up.
#define DATA_TENSOR_3(NAME, BINDING)                                                    \
  layout(std430, binding = BINDING) buffer NAME##_bits16 { uint16_t NAME##_u16[]; };    \
  layout(std430, binding = BINDING) buffer NAME##_bits4s { u16vec4 NAME##_u4[]; };      \
  float NAME##_load_float(uint i, uint dtype) {                                         \
    return uintBitsToFloat(uint(NAME##_u16[i]) << 16);                                  \
  }                                                                                     \
  void NAME##_store_float(uint i, uint dtype, float v) {                                \
    NAME##_u16[i] = uint16_t(bf16_bits(v));                                             \
  }                                                                                     \
  vec4 NAME##_load4(uint q) { return uintBitsToFloat(uvec4(NAME##_u4[q]) << 16); }     \
  void NAME##_store4(uint q, vec4 v) {                                                  \
    NAME##_u4[q] = u16vec4(uvec4(bf16_bits(v.x), bf16_bits(v.y), bf16_bits(v.z), bf16_bits(v.w))); \
  }                                                                                     \
  DATA_TENSOR_INTEGERS(NAME)
