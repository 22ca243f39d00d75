// The checks of mlc_smoke (smoke.cpp) on a lesson's outputs, apart from running it, so that
// fuzz/smoke_checks.cpp can feed them arbitrary bytes. They never throw: a malformed file
// is a problem in the returned list, never an exception that ends the smoke test.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace smoke {

// What is wrong with a metrics.json text written by `lesson` run with --quick --seed `seed`
// (the schema of mlc/report.hpp): not JSON, or lesson/seed/quick not as run, "metrics" not
// a non-empty object of numbers, nulls and arrays of those, "timing" or "versions" not an
// object. Empty when it is right.
std::vector<std::string> metrics_json_problems(std::string_view text, const std::string& lesson,
                                               std::uint64_t seed);

// Whether two metrics.json texts are the same JSON apart from "timing" (false when either
// is not a JSON object).
bool same_metrics_apart_from_timing(std::string_view a, std::string_view b);

// The report without what may differ between two runs: the wall-time line and the
// closing "## Timing" section (mlc/report.hpp).
std::string without_wall_time(std::string_view report);

}  // namespace smoke
