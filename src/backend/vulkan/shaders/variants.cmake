# The SPIR-V variants of each shader: one module per variant, compiled with glslc -D
# macros. A shader not listed here builds one default variant named after its file.
#
# Each entry is "<shader>:<variant>:<macros>", macros separated by commas. The build
# names the module <shader>_<variant> (shaders::<shader>_<variant> in C++), and a
# shader whose variants are word, f32, f16 and bf16 also gets shaders::<shader>, the set
# that pick() chooses from (pipelines.h).
#
# EMBER_STORAGE (elements.glsl) selects the storage of every float tensor:
#   WORD  uint[] words for every dtype (8/16-bit stores through atomics on their word);
#         integers, bool, and 16-bit floats on devices without 16-bit storage
#   F32   float[] for float32
#   F16   float16_t[] for float16 (storageBuffer16BitAccess)
#   BF16  uint16_t[] for bfloat16 (storageBuffer16BitAccess)
set(EMBER_FLOAT_VARIANTS word:EMBER_STORAGE=EMBER_STORAGE_WORD f32:EMBER_STORAGE=EMBER_STORAGE_F32
                         f16:EMBER_STORAGE=EMBER_STORAGE_F16 bf16:EMBER_STORAGE=EMBER_STORAGE_BF16)
set(EMBER_SHADER_VARIANTS "")
foreach(shader IN ITEMS unary binary where softmax norm loss matmul optim random)
  foreach(variant ${EMBER_FLOAT_VARIANTS})
    list(APPEND EMBER_SHADER_VARIANTS ${shader}:${variant})
  endforeach()
endforeach()
# unary.comp's copies between float32 and the 16-bit floats, <out>_from_<in>: the casts
# of mixed precision, with no atomics (EMBER_IN_STORAGE, elements.glsl).
list(APPEND EMBER_SHADER_VARIANTS
     unary:f16_from_f32:EMBER_STORAGE=EMBER_STORAGE_F16,EMBER_IN_STORAGE=EMBER_STORAGE_F32
     unary:bf16_from_f32:EMBER_STORAGE=EMBER_STORAGE_BF16,EMBER_IN_STORAGE=EMBER_STORAGE_F32
     unary:f32_from_f16:EMBER_STORAGE=EMBER_STORAGE_F32,EMBER_IN_STORAGE=EMBER_STORAGE_F16
     unary:f32_from_bf16:EMBER_STORAGE=EMBER_STORAGE_F32,EMBER_IN_STORAGE=EMBER_STORAGE_BF16)
