// libFuzzer target: the safetensors reader on any bytes, from memory. Every tensor it
// accepts is read back in full, so a byte range that passed the checks wrongly shows.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ember/ember.h"
#include "io/safetensors_bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    ember::TensorDict tensors = ember::io::parse_safetensors(bytes, "fuzz.safetensors");
    for (const auto& [name, tensor] : tensors) {
      if (tensor.numel() > 0) tensor.to(ember::kFloat64).sum().item<double>();
    }
  } catch (const ember::Error&) {
    // A refused file is an expected outcome; anything else escapes as a finding.
  }
  return 0;
}
