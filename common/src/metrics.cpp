// Reading metrics.json back (mlc/report.hpp): what the tests compare, and what the fuzz
// harness fuzz/metrics_reader.cpp feeds arbitrary bytes.
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "mlc/report.hpp"

namespace mlc {

std::map<std::string, double> parse_metrics(std::string_view json_text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text.begin(), json_text.end());
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for 1e999
    throw DataError(fmt::format("{}: not valid JSON: {}", source, e.what()));
  }
  if (!j.is_object() || !j.contains("metrics") || !j["metrics"].is_object()) {
    throw DataError(
        fmt::format("{}: no \"metrics\" object; expected the schema of mlc/report.hpp", source));
  }
  auto number = [&](const nlohmann::json& v, const std::string& name) {
    if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!v.is_number()) {
      throw DataError(fmt::format("{}: metric {} is a JSON {}, expected a number or null", source,
                                  name, v.type_name()));
    }
    return v.get<double>();
  };
  std::map<std::string, double> out;
  auto add = [&](const std::string& name, double value) {
    if (!out.emplace(name, value).second) {
      throw DataError(
          fmt::format("{}: two metrics read as {} (an array's entry and a metric of "
                      "that name)",
                      source, name));
    }
  };
  for (const auto& [name, value] : j["metrics"].items()) {
    if (value.is_array()) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        const std::string entry = fmt::format("{}[{}]", name, i);
        add(entry, number(value[i], entry));
      }
    } else {
      add(name, number(value, name));
    }
  }
  return out;
}

}  // namespace mlc
