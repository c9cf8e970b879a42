// Errors found on the device (a target or an index out of range) are recorded in a small
// host-visible buffer that the host reads as each submission finishes
// (device_checks.h). Every dispatch reports into a slot of its own, given in its push
// constants; the first report in a slot wins.
layout(std430, binding = CHECKS_BINDING) buffer Checks { uint checks[]; };

#define CHECK_SLOT_WORDS 8u

// check: the code of the failed check; value and bound: what was wrong; position: where
// (the sample of a target).
void report_error(uint slot, uint check, int64_t value, uint bound, uint position) {
  uint base = slot * CHECK_SLOT_WORDS;
  if (atomicCompSwap(checks[base], 0u, check) == 0u) {
    uvec2 words = unpackUint2x32(uint64_t(value));
    checks[base + 1u] = words.x;
    checks[base + 2u] = words.y;
    checks[base + 3u] = bound;
    checks[base + 4u] = position;
  }
}
