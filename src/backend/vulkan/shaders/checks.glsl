// Errors found on the device (a target or an index out of range) are recorded in a small
// host-visible buffer that the host inspects whenever it waits for the GPU
// (vulkan_backend.cpp: raise_device_errors). The first report wins.
layout(std430, binding = CHECKS_BINDING) buffer Checks { uint checks[]; };

// check: the code of the failed check; value and bound: what was wrong.
void report_error(uint check, int64_t value, uint bound) {
  if (atomicCompSwap(checks[0], 0u, check) == 0u) {
    uvec2 words = unpackUint2x32(uint64_t(value));
    checks[1] = words.x;
    checks[2] = words.y;
    checks[3] = bound;
  }
}
