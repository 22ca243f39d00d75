// Fuzz harness of the smoke test's checks (tools/smoke_checks.cpp): the schema check of a
// lesson's metrics.json and the report comparison without wall times.
//
// Input: the text of a metrics.json file, also read as a report.md. These checks answer
// any input with a list of problems and never throw: an exception of any type, a crash, a
// leak or undefined behaviour is a finding. Invariants: a valid metrics.json is the same
// as itself apart from timing; removing the wall times twice removes nothing more.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "smoke_checks.hpp"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "smoke_checks invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto problems = smoke::metrics_json_problems(text, "demo", 7);
  for (const auto& p : problems) check(!p.empty(), "every problem is described");
  // A metrics.json with no problem is a JSON object, so equal to itself apart from timing
  // (NaN cannot occur in parsed JSON). Compared only then: parsing dominates the cost of an
  // execution, and most inputs are not valid.
  if (problems.empty()) {
    check(smoke::same_metrics_apart_from_timing(text, text),
          "a valid metrics.json equals itself apart from timing");
  }
  const std::string once = smoke::without_wall_time(text);
  check(smoke::without_wall_time(once) == once, "removing the wall times is idempotent");
  return 0;
}
