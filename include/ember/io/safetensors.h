// Checkpoints in the safetensors format (https://huggingface.co/docs/safetensors): an
// 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
// and byte range, then the raw little-endian data. Files load in PyTorch's safetensors.
#pragma once

#include <map>
#include <string>

#include "ember/device.h"
#include "ember/tensor.h"

namespace ember {

// Named tensors: a model's state_dict, an optimizer's state.
using TensorDict = std::map<std::string, Tensor>;

namespace io {

using Metadata = std::map<std::string, std::string>;

// Writes tensors (from any device) to path atomically: a temporary file in the same
// directory, flushed, then renamed over path. On failure path is left as it was.
void save_safetensors(const std::string& path, const TensorDict& tensors,
                      const Metadata& metadata = {});

// Reads every tensor of a safetensors file onto device. A truncated or malformed file,
// or an unsupported dtype, raises ember::Error naming the file and the problem.
TensorDict load_safetensors(const std::string& path, const Device& device = kCPU);

// The "__metadata__" strings of a safetensors file.
Metadata load_safetensors_metadata(const std::string& path);

}  // namespace io
}  // namespace ember
