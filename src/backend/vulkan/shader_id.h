// Names of the shaders compiled into the library. The build generates one constant per
// SPIR-V module (backend/vulkan/shader_ids.h, from shaders/ and shaders/variants.cmake),
// so a kernel names its shader at compile time and a misspelt name does not build.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ember::vulkan {

struct ShaderId {
  uint32_t index;    // into the embedded modules
  const char* name;  // the module's name, for messages
  constexpr bool operator==(const ShaderId& other) const { return index == other.index; }
};

// The variants of one shader for float data (shaders/variants.cmake): the 32-bit-word
// variant serves every dtype; f32, f16 and bf16 declare their tensors in that type.
struct Variants {
  ShaderId word, f32, f16, bf16;
};

// A shader that reduces across a workgroup (shaders/workgroup_reduce.glsl), built twice:
// with subgroup arithmetic, and with a shared-memory tree whose modules declare no
// subgroup capability, for devices without it. Shader is a ShaderId or a Variants.
template <typename Shader>
struct Reductions {
  Shader subgroup, tree;
};

// A shader's SPIR-V as embedded in the library.
struct ShaderCode {
  const unsigned char* spirv;
  size_t size;
};
const ShaderCode& shader_code(ShaderId shader);

}  // namespace ember::vulkan
