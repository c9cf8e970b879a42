# The SPIR-V variants of each shader: one module per variant, compiled with glslc -D
# macros. A shader not listed here builds one default variant named after its file.
#
# Each entry is "<shader>:<variant>:<macros>", macros separated by commas. The build
# names the module <shader>_<variant> (shaders::<shader>_<variant> in C++), and a
# shader whose variants are word, f32, f16 and bf16 also gets shaders::<shader>, the set
# that pick() chooses from (pipelines.h). A workgroup reduction is built once per path of
# EMBER_SUBGROUP_REDUCE (below): its variants <storage>_subgroup and <storage>_tree give
# the sets shaders::<shader>_subgroup and shaders::<shader>_tree (reduce, which has no
# storage variants, has the modules reduce_subgroup and reduce_tree), and
# shaders::<shader> is then the pair (Reductions, shader_id.h) from which pick() takes
# the build the device can run.
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
foreach(shader IN ITEMS unary binary where matmul optim random)
  foreach(variant ${EMBER_FLOAT_VARIANTS})
    list(APPEND EMBER_SHADER_VARIANTS ${shader}:${variant})
  endforeach()
endforeach()
# EMBER_SUBGROUP_REDUCE (workgroup_reduce.glsl) selects how a workgroup reduces:
#   1  subgroup arithmetic (GL_KHR_shader_subgroup_arithmetic): variants named *subgroup
#   0  a shared-memory tree: variants named *tree, whose modules declare no subgroup
#      capability, so that a device without subgroup arithmetic can create their pipelines
set(EMBER_REDUCTION_VARIANTS subgroup:EMBER_SUBGROUP_REDUCE=1 tree:EMBER_SUBGROUP_REDUCE=0)
foreach(reduction ${EMBER_REDUCTION_VARIANTS})
  string(REPLACE ":" ";" reduction_parts ${reduction})
  list(GET reduction_parts 0 reduction_name)
  list(GET reduction_parts 1 reduction_macro)
  list(APPEND EMBER_SHADER_VARIANTS reduce:${reduction})
  foreach(shader IN ITEMS softmax norm loss)
    foreach(variant ${EMBER_FLOAT_VARIANTS})
      string(REPLACE ":" "_${reduction_name}:" storage_variant ${variant})
      list(APPEND EMBER_SHADER_VARIANTS ${shader}:${storage_variant},${reduction_macro})
    endforeach()
  endforeach()
endforeach()
# unary.comp's copies between float32 and the 16-bit floats, <out>_from_<in>: the casts
# of mixed precision, with no atomics (EMBER_IN_STORAGE, elements.glsl).
list(APPEND EMBER_SHADER_VARIANTS
     unary:f16_from_f32:EMBER_STORAGE=EMBER_STORAGE_F16,EMBER_IN_STORAGE=EMBER_STORAGE_F32
     unary:bf16_from_f32:EMBER_STORAGE=EMBER_STORAGE_BF16,EMBER_IN_STORAGE=EMBER_STORAGE_F32
     unary:f32_from_f16:EMBER_STORAGE=EMBER_STORAGE_F32,EMBER_IN_STORAGE=EMBER_STORAGE_F16
     unary:f32_from_bf16:EMBER_STORAGE=EMBER_STORAGE_F32,EMBER_IN_STORAGE=EMBER_STORAGE_BF16)
