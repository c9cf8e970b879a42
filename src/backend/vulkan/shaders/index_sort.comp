#version 450
// Buckets the tokens of index_add along a dim with nothing before it (the embedding
// backward) by their index, deterministically: a bitonic sort of (index, position) keys,
// index the major key and position the minor, so every key is distinct and the sorted
// order is one and the same whatever order the comparisons run in. Each bucket then
// lists its positions in token order (index_bucket_add.comp sums them in that order).
//
// The host pads the keys to a power of two P >= TILE = 2 x the workgroup size. A
// workgroup sorts or merges one TILE of keys in shared memory; merge steps whose pairs
// lie farther apart than a tile are one launch each, an invocation per pair:
//   TILES_FROM_INDEX  key[i] = (index[i], i), checked; (SENTINEL, i) for a bad index and
//                     for padding, so those sort last; then stages 2 .. TILE in the tile
//   STEP              one compare-exchange step of stage `first_block` at distance `stride`
//   TILES             the steps of stages first_block .. last_block closer than a tile
// Every loop runs at most log2(TILE) times per stage.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#define CHECKS_BINDING 2
#include "checks.glsl"

layout(std430, binding = 0) buffer Keys { uvec2 keys[]; };
TENSOR(index_words, 1)

#define MODE_TILES_FROM_INDEX 0u
#define MODE_STEP 1u
#define MODE_TILES 2u
#define CHECK_INDEX 2u
#define SENTINEL 0xffffffffu

layout(constant_id = 1) const uint MODE = MODE_TILES_FROM_INDEX;

layout(push_constant) uniform Push {
  uint count;        // tokens: the index's length
  uint keys_count;   // P
  uint dim_size;     // the size of the indexed dim
  uint index_offset;
  uint first_block;  // stages: the size of the bitonic sequences they merge
  uint last_block;
  uint stride;       // STEP: the distance between the keys compared
  uint check_slot;
} pc;

const uint TILE = 2u * gl_WorkGroupSize.x;
shared uvec2 tile[TILE];

bool greater(uvec2 a, uvec2 b) { return a.x > b.x || (a.x == b.x && a.y > b.y); }

// The key of token i: its index, or SENTINEL after reporting when that is out of range.
uvec2 token_key(uint i) {
  if (i >= pc.count) return uvec2(SENTINEL, i);
  int64_t value = index_words_load_i64(pc.index_offset + i);
  if (value < 0l || value >= int64_t(pc.dim_size)) {
    report_error(pc.check_slot, CHECK_INDEX, value, pc.dim_size, i);
    return uvec2(SENTINEL, i);
  }
  return uvec2(uint(value), i);
}

// The first of the two keys that pair `pair` compares at distance `stride`.
uint pair_start(uint pair, uint stride) { return ((pair & ~(stride - 1u)) << 1) | (pair & (stride - 1u)); }

// Sequences of `block` keys are sorted ascending where the key's bit `block` is clear.
bool ascending(uint position, uint block) { return (position & block) == 0u; }

void sort_tile(uint base) {
  uint local = gl_LocalInvocationID.x;
  for (uint block = pc.first_block; block <= pc.last_block; block <<= 1) {
    for (uint stride = min(block, TILE) >> 1; stride > 0u; stride >>= 1) {
      barrier();
      uint lo = pair_start(local, stride), hi = lo + stride;
      uvec2 a = tile[lo], b = tile[hi];
      if (greater(a, b) == ascending(base + lo, block)) {
        tile[lo] = b;
        tile[hi] = a;
      }
    }
  }
  barrier();
}

void main() {
  if (MODE == MODE_STEP) {
    uint pair = global_index();
    if (pair >= pc.keys_count / 2u) return;
    uint lo = pair_start(pair, pc.stride), hi = lo + pc.stride;
    uvec2 a = keys[lo], b = keys[hi];
    if (greater(a, b) == ascending(lo, pc.first_block)) {
      keys[lo] = b;
      keys[hi] = a;
    }
    return;
  }
  uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
  if (group >= pc.keys_count / TILE) return;  // the whole workgroup: barriers stay uniform
  uint base = group * TILE, local = gl_LocalInvocationID.x;
  for (uint i = local; i < TILE; i += gl_WorkGroupSize.x) {
    tile[i] = MODE == MODE_TILES_FROM_INDEX ? token_key(base + i) : keys[base + i];
  }
  sort_tile(base);
  for (uint i = local; i < TILE; i += gl_WorkGroupSize.x) keys[base + i] = tile[i];
}
