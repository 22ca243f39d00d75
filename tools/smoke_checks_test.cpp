// Tests of the smoke test's checks (smoke_checks.hpp) on hand-made outputs.
#include "smoke_checks.hpp"

#include <gtest/gtest.h>

namespace {

const char* kGood = R"({"lesson": "demo", "seed": 7, "quick": true,
  "metrics": {"a": 0.5, "b": [1, null], "c": null}, "timing": {"fit": 0.1}, "versions": {}})";

TEST(SmokeChecks, AcceptsTheSchema) {
  EXPECT_TRUE(smoke::metrics_json_problems(kGood, "demo", 7).empty());
  EXPECT_EQ(smoke::metrics_json_problems(kGood, "other", 7).size(), 1u);
  EXPECT_EQ(smoke::metrics_json_problems(kGood, "demo", 8).size(), 1u);
}

// Found while fuzzing the checks (fuzz/smoke_checks.cpp): a field of the wrong type, such as
// a numeric "lesson", made nlohmann::json's value() throw type_error, which ended mlc_smoke
// with std::terminate instead of a FAIL line.
TEST(SmokeChecks, WrongFieldTypesAreProblemsNotExceptions) {
  const char* text = R"({"lesson": 5, "seed": "7", "quick": 1, "metrics": {"x": "s", "y": [true]},
                         "timing": [], "versions": null})";
  std::vector<std::string> problems;
  EXPECT_NO_THROW(problems = smoke::metrics_json_problems(text, "demo", 7));
  EXPECT_EQ(problems.size(), 7u);
  EXPECT_EQ(smoke::metrics_json_problems("{\"a\": 1e999}", "demo", 7).size(), 1u);  // not JSON
  EXPECT_EQ(smoke::metrics_json_problems("[]", "demo", 7).size(), 1u);
}

TEST(SmokeChecks, ComparesApartFromTimingAndWallTime) {
  EXPECT_TRUE(smoke::same_metrics_apart_from_timing(R"({"m": 1, "timing": {"a": 1}})",
                                                    R"({"m": 1, "timing": {"a": 2}})"));
  EXPECT_FALSE(smoke::same_metrics_apart_from_timing(R"({"m": 1})", R"({"m": 2})"));
  EXPECT_FALSE(smoke::same_metrics_apart_from_timing("not json", "not json"));
  EXPECT_EQ(smoke::without_wall_time("# T\nWall time: 3 s\n## A\nx\n## Timing\n| f | 1 |\n## B\ny"),
            "# T\n## A\nx\n## B\ny\n");
}

}  // namespace
