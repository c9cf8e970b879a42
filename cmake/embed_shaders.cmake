# Writes OUTPUT: a C++ file holding every SPIR-V file of SHADERS (a |-list, in the order of
# the ids in the generated shader_ids.h) as a byte array, and the table shader_code() reads.
# Run by the build, not by users.
string(REPLACE "|" ";" SHADERS "${SHADERS}")
set(arrays "")
set(table "")
foreach(spv ${SHADERS})
  get_filename_component(name ${spv} NAME_WE)
  file(READ ${spv} bytes HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${bytes}")
  string(APPEND arrays "alignas(4) const unsigned char k_${name}[] = {${bytes}};\n")
  string(APPEND table "    {k_${name}, sizeof k_${name}},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp "// Generated from src/backend/vulkan/shaders by cmake/embed_shaders.cmake.
#include \"backend/vulkan/shader_ids.h\"

namespace ember::vulkan {
namespace {
${arrays}
const ShaderCode kShaders[] = {
${table}};
static_assert(sizeof kShaders / sizeof kShaders[0] == shaders::kCount);
}  // namespace

const ShaderCode& shader_code(ShaderId shader) { return kShaders[shader.index]; }

}  // namespace ember::vulkan
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
