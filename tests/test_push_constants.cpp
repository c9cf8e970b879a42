// Every host push-constant struct (src/backend/vulkan/push_constants.h) against the
// push-constant block of every variant of its shader, as spirv-cross reflects it from the
// SPIR-V the build embeds: the same members in the same order, at the same offsets, of the
// same scalar kind and size, and nothing more on either side. And the choice among a
// shader's variants.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "backend/vulkan/push_constants.h"
#include "backend/vulkan/shader_ids.h"

namespace ember::vulkan {
namespace {

// One stretch of a push block: a host member, or one member of the shader's block.
struct Member {
  std::string name;
  size_t offset, size;
  char kind;  // 'f' float, 'i' int, 'u' uint
};

template <typename T>
constexpr char kind_of() {
  using Element = std::remove_all_extents_t<T>;
  static_assert(std::is_same_v<Element, float> || std::is_same_v<Element, int32_t> ||
                std::is_same_v<Element, uint32_t>);
  return std::is_same_v<Element, float> ? 'f' : (std::is_same_v<Element, int32_t> ? 'i' : 'u');
}

#define EMBER_HOST_MEMBER(field)                                                                 \
  Member {                                                                                       \
#field, offsetof(Struct, field), sizeof(Struct::field), kind_of < decltype(Struct::field)>() \
  }
#define EMBER_HOST_MEMBERS(StructName)                                             \
  [] {                                                                             \
    using Struct = StructName;                                                     \
    return std::vector<Member>{EMBER_PUSH_FIELDS_##StructName(EMBER_HOST_MEMBER)}; \
  }()

// GLSL types as spirv-cross names them: kind and components.
bool glsl_type(const std::string& type, char& kind, size_t& components) {
  static const std::pair<const char*, std::pair<char, size_t>> kTypes[] = {
      {"float", {'f', 1}}, {"vec2", {'f', 2}},  {"vec3", {'f', 3}},  {"vec4", {'f', 4}},
      {"int", {'i', 1}},   {"ivec2", {'i', 2}}, {"ivec3", {'i', 3}}, {"ivec4", {'i', 4}},
      {"uint", {'u', 1}},  {"uvec2", {'u', 2}}, {"uvec3", {'u', 3}}, {"uvec4", {'u', 4}},
  };
  for (const auto& [name, shape] : kTypes) {
    if (type == name) {
      kind = shape.first;
      components = shape.second;
      return true;
    }
  }
  return false;
}

// The members of a module's push block, from <module>.json; empty if it has none.
std::vector<Member> shader_members(const std::string& module) {
  std::ifstream file(std::string(EMBER_SHADER_REFLECTION_DIR) + "/" + module + ".json");
  EXPECT_TRUE(file.good()) << module << ".json is missing";
  if (!file.good()) return {};
  nlohmann::json reflection = nlohmann::json::parse(file);
  if (!reflection.contains("push_constants")) return {};
  const auto& block =
      reflection["types"][reflection["push_constants"][0]["type"].get<std::string>()];
  std::vector<Member> members;
  for (const auto& m : block["members"]) {
    Member member{m["name"], m["offset"], 0, '?'};
    size_t components = 0;
    std::string type = m["type"];
    EXPECT_TRUE(glsl_type(type, member.kind, components)) << module << ": type " << type;
    size_t count = 1;
    if (m.contains("array")) {
      for (size_t n : m["array"]) count *= n;
    }
    member.size = 4 * components * count;
    members.push_back(member);
  }
  return members;
}

// Each host member must cover whole shader members of its kind, from its own offset, and
// together they must cover the block exactly.
void expect_same_layout(const char* name, const std::vector<Member>& host, size_t host_size,
                        ShaderId module) {
  SCOPED_TRACE(std::string(name) + " against " + module.name);
  std::vector<Member> shader = shader_members(module.name);
  ASSERT_FALSE(shader.empty()) << module.name << " declares no push constants";
  size_t next = 0;
  for (const Member& field : host) {
    if (next >= shader.size()) {
      ADD_FAILURE() << "host member " << field.name << " is past the block";
      return;
    }
    EXPECT_EQ(shader[next].offset, field.offset) << "host member " << field.name;
    size_t covered = 0;
    while (next < shader.size() && covered < field.size) {
      EXPECT_EQ(shader[next].kind, field.kind) << "host member " << field.name;
      covered += shader[next].size;
      ++next;
    }
    EXPECT_EQ(covered, field.size)
        << "host member " << field.name << " is " << field.size << " bytes";
  }
  EXPECT_EQ(next, shader.size()) << "the shader's block has " << shader.size() - next
                                 << " members the host lacks";
  const Member& last = shader.back();
  EXPECT_EQ(last.offset + last.size, host_size) << "block size";
}

std::vector<ShaderId> modules_of(const Variants& v) { return {v.word, v.f32, v.f16, v.bf16}; }
std::vector<ShaderId> modules_of(ShaderId id) { return {id}; }
std::vector<ShaderId> modules_of(const std::vector<ShaderId>& ids) { return ids; }
template <typename Shader>
std::vector<ShaderId> modules_of(const Reductions<Shader>& builds) {
  std::vector<ShaderId> modules = modules_of(builds.subgroup);
  for (ShaderId id : modules_of(builds.tree)) modules.push_back(id);
  return modules;
}

struct Checked {
  std::set<uint32_t> modules;
  template <typename Modules>
  void check(const char* name, const std::vector<Member>& host, size_t size, const Modules& m) {
    for (ShaderId id : modules_of(m)) {
      expect_same_layout(name, host, size, id);
      modules.insert(id.index);
    }
  }
};

#define EMBER_CHECK_PUSH(checked, StructName, shader) \
  checked.check(#StructName, EMBER_HOST_MEMBERS(StructName), sizeof(StructName), shaders::shader)

TEST(PushConstants, HostStructsMatchEveryShaderVariant) {
  Checked checked;
  EMBER_CHECK_PUSH(checked, UnaryPush, unary);
  checked.check("UnaryPush", EMBER_HOST_MEMBERS(UnaryPush), sizeof(UnaryPush),
                std::vector<ShaderId>{shaders::unary_f16_from_f32, shaders::unary_bf16_from_f32,
                                      shaders::unary_f32_from_f16, shaders::unary_f32_from_bf16});
  EMBER_CHECK_PUSH(checked, BinaryPush, binary);
  EMBER_CHECK_PUSH(checked, WherePush, where);
  EMBER_CHECK_PUSH(checked, IndexPush, index);
  EMBER_CHECK_PUSH(checked, IndexSortPush, index_sort);
  EMBER_CHECK_PUSH(checked, IndexBucketAddPush, index_bucket_add);
  EMBER_CHECK_PUSH(checked, LossPush, loss);
  EMBER_CHECK_PUSH(checked, MatmulPush, matmul);
  EMBER_CHECK_PUSH(checked, MatmulPush, matmul_int);
  EMBER_CHECK_PUSH(checked, NormPush, norm);
  EMBER_CHECK_PUSH(checked, AdamPush, optim);
  EMBER_CHECK_PUSH(checked, RandomPush, random);
  EMBER_CHECK_PUSH(checked, ReducePush, reduce);
  EMBER_CHECK_PUSH(checked, SoftmaxPush, softmax);
  EMBER_CHECK_PUSH(checked, CumsumPush, cumsum);
  for (ShaderId id : shaders::kModules) {
    EXPECT_TRUE(checked.modules.count(id.index)) << "no push struct is checked against " << id.name;
  }
}

TEST(PushConstants, ALayoutDifferenceIsFound) {
  // The checker itself: a host list with a member the shader lacks must fail.
  std::vector<Member> host = EMBER_HOST_MEMBERS(WherePush);
  host.push_back({"extra", sizeof(WherePush), 4, 'u'});
  EXPECT_NONFATAL_FAILURE(
      expect_same_layout("WherePush+extra", host, sizeof(WherePush) + 4, shaders::where.f16),
      "past the block");
  std::vector<Member> swapped = EMBER_HOST_MEMBERS(BinaryPush);
  for (Member& m : swapped) {
    if (m.name == "scalar_f") m.kind = 'u';
  }
  EXPECT_NONFATAL_FAILURE(
      expect_same_layout("BinaryPush", swapped, sizeof(BinaryPush), shaders::binary.word),
      "host member scalar_f");
}

TEST(ShaderVariants, PickFollowsTheDtypeAndTheDevice) {
  DeviceFeatures with16, without16;
  with16.storage_16bit = true;
  without16.storage_16bit = false;
  EXPECT_EQ(pick(shaders::binary, kFloat16, with16), shaders::binary_f16);
  EXPECT_EQ(pick(shaders::binary, kBFloat16, with16), shaders::binary_bf16);
  EXPECT_EQ(pick(shaders::binary, kFloat32, with16), shaders::binary_f32);
  EXPECT_EQ(pick(shaders::binary, kFloat16, without16), shaders::binary_word);
  EXPECT_EQ(pick(shaders::binary, kBFloat16, without16), shaders::binary_word);
  EXPECT_EQ(pick(shaders::binary, kFloat32, without16), shaders::binary_f32);
  for (DType dtype : {kBool, kUInt8, kInt32, kInt64}) {
    EXPECT_EQ(pick(shaders::unary, dtype, with16), shaders::unary_word) << dtype_name(dtype);
  }
}

TEST(ShaderVariants, PickTakesTheTreeWithoutSubgroupArithmetic) {
  DeviceFeatures subgroups, none;
  subgroups.subgroup_operations =
      VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
  none.subgroup_operations = VK_SUBGROUP_FEATURE_BASIC_BIT;
  EXPECT_EQ(pick(shaders::reduce, subgroups), shaders::reduce_subgroup);
  EXPECT_EQ(pick(shaders::reduce, none), shaders::reduce_tree);
  subgroups.storage_16bit = true;
  none.storage_16bit = true;
  EXPECT_EQ(pick(pick(shaders::softmax, subgroups), kFloat16, subgroups),
            shaders::softmax_f16_subgroup);
  EXPECT_EQ(pick(pick(shaders::softmax, none), kFloat16, none), shaders::softmax_f16_tree);
  EXPECT_EQ(pick(pick(shaders::norm, none), kBFloat16, none), shaders::norm_bf16_tree);
  EXPECT_EQ(pick(pick(shaders::loss, none), kInt32, none), shaders::loss_word_tree);
}

}  // namespace
}  // namespace ember::vulkan
