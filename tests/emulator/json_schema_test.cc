#include "tests/emulator/json_schema.h"

#include <string>

#include "gtest/gtest.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;

const Schema& TestSchema() {
  static const Schema* s = new Schema{
      Str("prompt").Required(),
      Int("quantity").Range(1, 4).Default(1),
      Num("ratio").Nullable().Range(0, 1),
      Bool("async_mode").Default(true),
      Str("mode").Enum({"a", "b", "c"}),
      Str("aspect").Pattern(kRatioPattern, IsRatio).Default("16:9"),
      StrList("urls").MinItems(1).MaxItems(2),
      Obj("audio", {Str("narrator").Nullable(), Bool("native").Default(false)}),
      ObjList("items", {Str("url").Required()}),
  };
  return *s;
}

// The single error entry's type at `loc`, or "" when valid.
std::string ErrorAt(const json& body, const json& loc, bool strict = true) {
  json errors = Validate(TestSchema(), body, strict);
  for (const json& e : errors) {
    if (e["loc"] == loc) return e["type"];
  }
  return errors.empty() ? "" : "elsewhere: " + errors.dump();
}

TEST(JsonSchemaTest, AcceptsAValidBody) {
  json body = {{"prompt", "x"},
               {"quantity", 2},
               {"ratio", nullptr},
               {"async_mode", false},
               {"mode", "b"},
               {"aspect", "9:16"},
               {"urls", {"u"}},
               {"audio", {{"narrator", nullptr}}},
               {"items", {{{"url", "u"}}}}};
  EXPECT_EQ(Validate(TestSchema(), body, true), json::array());
}

TEST(JsonSchemaTest, ReportsEachProblemWhereFastApiWould) {
  EXPECT_EQ(ErrorAt(json::object(), {"body", "prompt"}), "missing");
  EXPECT_EQ(ErrorAt({{"prompt", 1}}, {"body", "prompt"}), "string_type");
  EXPECT_EQ(ErrorAt({{"prompt", nullptr}}, {"body", "prompt"}), "string_type");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"quantity", "2"}}, {"body", "quantity"}),
            "int_type");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"quantity", 2.5}}, {"body", "quantity"}),
            "int_from_float");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"quantity", 0}}, {"body", "quantity"}),
            "greater_than_equal");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"ratio", 1.5}}, {"body", "ratio"}),
            "less_than_equal");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"ratio", true}}, {"body", "ratio"}),
            "float_type");
  EXPECT_EQ(
      ErrorAt({{"prompt", "x"}, {"async_mode", 1}}, {"body", "async_mode"}),
      "bool_type");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"mode", "d"}}, {"body", "mode"}),
            "enum");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"aspect", "16x9"}}, {"body", "aspect"}),
            "string_pattern_mismatch");
  EXPECT_EQ(
      ErrorAt({{"prompt", "x"}, {"urls", json::array()}}, {"body", "urls"}),
      "too_short");
  EXPECT_EQ(
      ErrorAt({{"prompt", "x"}, {"urls", {"a", "b", "c"}}}, {"body", "urls"}),
      "too_long");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"urls", "a"}}, {"body", "urls"}),
            "list_type");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"urls", {"a", 2}}}, {"body", "urls", 1}),
            "string_type");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"audio", "{}"}}, {"body", "audio"}),
            "model_attributes_type");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"audio", {{"native", "no"}}}},
                    {"body", "audio", "native"}),
            "bool_type");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"audio", {{"volume", 3}}}},
                    {"body", "audio", "volume"}),
            "extra_forbidden");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"items", {json::object()}}},
                    {"body", "items", 0, "url"}),
            "missing");
  EXPECT_EQ(ErrorAt({{"prompt", "x"}, {"colour", "red"}}, {"body", "colour"}),
            "extra_forbidden");
  EXPECT_EQ(ErrorAt(json::array(), {"body"}), "model_attributes_type");
}

TEST(JsonSchemaTest, MessagesReadLikePydantic) {
  json e = Validate(TestSchema(),
                    {{"prompt", "x"}, {"mode", "z"}, {"quantity", 9}}, true);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0]["msg"], "Input should be less than or equal to 4");
  EXPECT_EQ(e[1]["msg"], "Input should be 'a', 'b' or 'c'");
  EXPECT_EQ(FormatNumber(0.5), "0.5");
  EXPECT_EQ(FormatNumber(4294967295.0), "4294967295");
}

TEST(JsonSchemaTest, LaxModeCoercesAndIgnoresUnknownFields) {
  json body = {{"prompt", "x"},   {"quantity", "3"},
               {"ratio", "0.5"},  {"async_mode", "false"},
               {"colour", "red"}, {"audio", {{"native", 1}}}};
  EXPECT_EQ(Validate(TestSchema(), body, /*strict=*/false), json::array());
  json out = WithDefaults(TestSchema(), body);
  EXPECT_EQ(out["quantity"], 3);
  EXPECT_EQ(out["ratio"], 0.5);
  EXPECT_EQ(out["async_mode"], false);
  EXPECT_EQ(out["audio"]["native"], true);
  // Lax mode still checks values.
  EXPECT_NE(Validate(TestSchema(), {{"prompt", "x"}, {"quantity", "9"}}, false),
            json::array());
  EXPECT_NE(
      Validate(TestSchema(), {{"prompt", "x"}, {"quantity", "two"}}, false),
      json::array());
}

TEST(JsonSchemaTest, RatioMatcherImplementsThePattern) {
  EXPECT_TRUE(IsRatio("16:9"));
  EXPECT_TRUE(IsRatio("1:1"));
  EXPECT_FALSE(IsRatio("16:"));
  EXPECT_FALSE(IsRatio(":9"));
  EXPECT_FALSE(IsRatio("16:9:1"));
  EXPECT_FALSE(IsRatio("a:b"));
  EXPECT_FALSE(IsRatio(""));
  json e = Validate(TestSchema(), {{"prompt", "x"}, {"aspect", "x"}}, true);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["msg"], "String should match pattern '^(\\d+):(\\d+)$'");
}

TEST(JsonSchemaTest, DefaultsFillOnlyAbsentFields) {
  json out =
      WithDefaults(TestSchema(), {{"prompt", "x"}, {"audio", json::object()}});
  EXPECT_EQ(out["quantity"], 1);
  EXPECT_EQ(out["async_mode"], true);
  EXPECT_EQ(out["aspect"], "16:9");
  EXPECT_EQ(out["audio"]["native"], false);
  EXPECT_FALSE(out.contains("mode"));
  EXPECT_EQ(WithDefaults(TestSchema(), {{"quantity", 4}})["quantity"], 4);
}

}  // namespace
}  // namespace mediagen::emulator
