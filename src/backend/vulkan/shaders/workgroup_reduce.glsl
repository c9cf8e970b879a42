// Reductions across one workgroup, for kernels that give a row to a workgroup: every
// invocation passes its value and every invocation gets the result. Call them from
// workgroup-uniform control flow (they hold barriers).
//
// The variant macro EMBER_SUBGROUP_REDUCE (variants.cmake) selects the path. With 1 each
// subgroup reduces with GL_KHR_shader_subgroup_arithmetic, and invocation 0 combines one
// value per subgroup in subgroup order; with 0 a shared-memory tree combines the
// invocations in pairs (the workgroup size must then be a power of two), and the module
// declares no subgroup capability, so a device without subgroup arithmetic can create its
// pipeline. Neither assumes a subgroup size, and each order is fixed, so results repeat bit
// for bit on one device and path; the two paths may differ in the last bits of a sum.
//
// For the int64 reductions the including shader defines WORKGROUP_REDUCE_INT64 and the
// int_combine and int_better its op uses (those always take the tree: subgroup operations
// on 64-bit integers need a feature Ember does not enable).
#ifndef EMBER_SUBGROUP_REDUCE
#error "EMBER_SUBGROUP_REDUCE (0 or 1) must come from the variant table"
#endif
#if EMBER_SUBGROUP_REDUCE
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

#define REDUCE_SUM 0u
#define REDUCE_PROD 1u
#define REDUCE_MAX 2u
#define REDUCE_MIN 3u
// The index of an invocation that holds no element.
#define REDUCE_NO_INDEX 0xffffffffu

shared float reduce_value[gl_WorkGroupSize.x];
shared uint reduce_index[gl_WorkGroupSize.x];

float reduce_nan() { return uintBitsToFloat(0x7fc00000u); }

// Max and min propagate NaN; the arg reductions count NaN as the extreme.
bool reduce_better(float candidate, float best, bool is_max) {
  if (is_nan(best)) return false;
  if (is_nan(candidate)) return true;
  return is_max ? candidate > best : candidate < best;
}

float reduce_combine(uint op, float a, float b) {
  switch (op) {
    case REDUCE_PROD: return a * b;
    case REDUCE_MAX: return reduce_better(b, a, true) ? b : a;
    case REDUCE_MIN: return reduce_better(b, a, false) ? b : a;
    default: return a + b;
  }
}

// The arg pair (b, b_index) replaces (a, a_index) when it holds an element and is better,
// or as good with a lower index: the first index wins ties.
bool reduce_arg_takes(float a, uint a_index, float b, uint b_index, bool is_max) {
  return b_index != REDUCE_NO_INDEX &&
         (a_index == REDUCE_NO_INDEX || reduce_better(b, a, is_max) ||
          (!reduce_better(a, b, is_max) && b_index < a_index));
}

#if EMBER_SUBGROUP_REDUCE
// GLSL's subgroupMax and subgroupMin leave NaN undefined, so it is counted apart.
float subgroup_reduce(uint op, float value) {
  switch (op) {
    case REDUCE_PROD: return subgroupMul(value);
    case REDUCE_MAX:
    case REDUCE_MIN: {
      bool any_nan = subgroupMax(is_nan(value) ? 1u : 0u) != 0u;
      float inf = uintBitsToFloat(0x7f800000u);
      float m = op == REDUCE_MAX ? subgroupMax(is_nan(value) ? -inf : value)
                                 : subgroupMin(is_nan(value) ? inf : value);
      return any_nan ? reduce_nan() : m;
    }
    default: return subgroupAdd(value);
  }
}

// Invocation 0 folds the subgroups' values in order; everyone reads the result.
float combine_subgroups(uint op, float partial) {
  if (subgroupElect()) reduce_value[gl_SubgroupID] = partial;
  barrier();
  if (gl_LocalInvocationIndex == 0u) {
    float acc = reduce_value[0];
    for (uint s = 1u; s < gl_NumSubgroups; ++s) acc = reduce_combine(op, acc, reduce_value[s]);
    reduce_value[0] = acc;
  }
  barrier();
  float result = reduce_value[0];
  barrier();  // the arrays are reused by the next call
  return result;
}

#endif

float tree_reduce(uint op, float value) {
  uint t = gl_LocalInvocationIndex;
  reduce_value[t] = value;
  barrier();
  for (uint half_size = gl_WorkGroupSize.x / 2u; half_size > 0u; half_size /= 2u) {
    if (t < half_size) {
      reduce_value[t] = reduce_combine(op, reduce_value[t], reduce_value[t + half_size]);
    }
    barrier();
  }
  float result = reduce_value[0];
  barrier();
  return result;
}

// op is one of REDUCE_SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN.
float workgroup_reduce(uint op, float value) {
#if EMBER_SUBGROUP_REDUCE
  return combine_subgroups(op, subgroup_reduce(op, value));
#else
  return tree_reduce(op, value);
#endif
}

float workgroup_sum(float value) { return workgroup_reduce(REDUCE_SUM, value); }
float workgroup_max(float value) { return workgroup_reduce(REDUCE_MAX, value); }

#if EMBER_SUBGROUP_REDUCE
// One subgroup's best (value, index): a NaN if it has one, else the extreme value; of
// equal values the lowest index.
void subgroup_arg(inout float value, inout uint index, bool is_max) {
  bool held = index != REDUCE_NO_INDEX;
  bool any_nan = subgroupMax(held && is_nan(value) ? 1u : 0u) != 0u;
  float inf = uintBitsToFloat(0x7f800000u);
  bool ordinary = held && !is_nan(value);
  float best = is_max ? subgroupMax(ordinary ? value : -inf) : subgroupMin(ordinary ? value : inf);
  bool candidate = held && (any_nan ? is_nan(value) : value == best);
  index = subgroupMin(candidate ? index : REDUCE_NO_INDEX);
  value = any_nan ? reduce_nan() : best;
}

void combine_subgroup_args(inout float value, inout uint index, bool is_max) {
  if (subgroupElect()) {
    reduce_value[gl_SubgroupID] = value;
    reduce_index[gl_SubgroupID] = index;
  }
  barrier();
  if (gl_LocalInvocationIndex == 0u) {
    float best = reduce_value[0];
    uint best_index = reduce_index[0];
    for (uint s = 1u; s < gl_NumSubgroups; ++s) {
      if (reduce_arg_takes(best, best_index, reduce_value[s], reduce_index[s], is_max)) {
        best = reduce_value[s];
        best_index = reduce_index[s];
      }
    }
    reduce_value[0] = best;
    reduce_index[0] = best_index;
  }
  barrier();
  value = reduce_value[0];
  index = reduce_index[0];
  barrier();
}

#endif

void tree_arg(inout float value, inout uint index, bool is_max) {
  uint t = gl_LocalInvocationIndex;
  reduce_value[t] = value;
  reduce_index[t] = index;
  barrier();
  for (uint half_size = gl_WorkGroupSize.x / 2u; half_size > 0u; half_size /= 2u) {
    if (t < half_size && reduce_arg_takes(reduce_value[t], reduce_index[t],
                                          reduce_value[t + half_size], reduce_index[t + half_size],
                                          is_max)) {
      reduce_value[t] = reduce_value[t + half_size];
      reduce_index[t] = reduce_index[t + half_size];
    }
    barrier();
  }
  value = reduce_value[0];
  index = reduce_index[0];
  barrier();
}

// argmax (is_max) or argmin of (value, index) pairs; REDUCE_NO_INDEX marks an
// invocation with no element, and the result's index is REDUCE_NO_INDEX when none has one.
void workgroup_arg(inout float value, inout uint index, bool is_max) {
#if EMBER_SUBGROUP_REDUCE
  subgroup_arg(value, index, is_max);
  combine_subgroup_args(value, index, is_max);
#else
  tree_arg(value, index, is_max);
#endif
}

#ifdef WORKGROUP_REDUCE_INT64
shared int64_t reduce_int[gl_WorkGroupSize.x];

int64_t int_combine(int64_t a, int64_t b);
bool int_better(int64_t candidate, int64_t best);

int64_t workgroup_reduce_int(int64_t value) {
  uint t = gl_LocalInvocationIndex;
  reduce_int[t] = value;
  barrier();
  for (uint half_size = gl_WorkGroupSize.x / 2u; half_size > 0u; half_size /= 2u) {
    if (t < half_size) reduce_int[t] = int_combine(reduce_int[t], reduce_int[t + half_size]);
    barrier();
  }
  int64_t result = reduce_int[0];
  barrier();
  return result;
}

void workgroup_arg_int(inout int64_t value, inout uint index) {
  uint t = gl_LocalInvocationIndex;
  reduce_int[t] = value;
  reduce_index[t] = index;
  barrier();
  for (uint half_size = gl_WorkGroupSize.x / 2u; half_size > 0u; half_size /= 2u) {
    if (t < half_size) {
      int64_t a = reduce_int[t], b = reduce_int[t + half_size];
      uint other = reduce_index[t + half_size];
      if (other != REDUCE_NO_INDEX &&
          (reduce_index[t] == REDUCE_NO_INDEX || int_better(b, a) ||
           (!int_better(a, b) && other < reduce_index[t]))) {
        reduce_int[t] = b;
        reduce_index[t] = other;
      }
    }
    barrier();
  }
  value = reduce_int[0];
  index = reduce_index[0];
  barrier();
}
#endif
