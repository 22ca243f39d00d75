// Fuzz harness of mlc::parse_metrics (common/src/metrics.cpp), which reads a lesson's
// metrics.json back for the tests (mlc::testing::read_metrics).
//
// Input: the text of a metrics.json file. A DataError is the documented answer to a
// malformed file; any other exception (nlohmann::json's own included), a crash, a leak or
// undefined behaviour is a finding. Invariant of an accepted file: its metrics are exactly
// the entries read back (one per number or null, one per array element).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "mlc/error.hpp"
#include "mlc/report.hpp"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "metrics_reader invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, double> metrics;
  try {
    metrics = mlc::parse_metrics(text, "fuzz/metrics.json");
  } catch (const mlc::DataError&) {
    return 0;
  }
  // Accepted: the text is JSON (the same parser, so no exception here) with a metrics object.
  const auto j = nlohmann::json::parse(text.begin(), text.end());
  std::size_t expected = 0;
  for (const auto& [name, value] : j.at("metrics").items())
    expected += value.is_array() ? value.size() : 1;
  check(metrics.size() == expected, "one entry per metric value");
  return 0;
}
