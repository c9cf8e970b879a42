# Writes OUTPUT: a C++ file holding every SPIR-V file of SHADERS (a |-list) as a byte array,
# and the table that ember::vulkan::shader_code() searches. Run by the build, not by users.
string(REPLACE "|" ";" SHADERS "${SHADERS}")
set(arrays "")
set(table "")
foreach(spv ${SHADERS})
  get_filename_component(name ${spv} NAME_WE)
  file(READ ${spv} bytes HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${bytes}")
  string(APPEND arrays "alignas(4) const unsigned char k_${name}[] = {${bytes}};\n")
  string(APPEND table "    {\"${name}\", k_${name}, sizeof k_${name}},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp "// Generated from src/backend/vulkan/shaders by cmake/embed_shaders.cmake.
#include \"backend/vulkan/pipelines.h\"
#include \"core/check.h\"

namespace ember::vulkan {
namespace {
${arrays}
const ShaderCode kShaders[] = {
${table}};
}  // namespace

const ShaderCode& shader_code(std::string_view name) {
  for (const ShaderCode& code : kShaders) {
    if (name == code.name) return code;
  }
  detail::fail(\"vulkan\", \"no shader named \", name, \" in this build\");
}

}  // namespace ember::vulkan
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
