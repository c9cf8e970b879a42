// The safetensors reader on bytes already in memory: load_safetensors after reading the
// file, and the fuzz target without one.
#pragma once

#include <string>

#include "ember/io/safetensors.h"

namespace ember::io {

// The tensors of the safetensors bytes, on device; errors name `name` as the file.
TensorDict parse_safetensors(const std::string& bytes, const std::string& name,
                             const Device& device = kCPU);

}  // namespace ember::io
