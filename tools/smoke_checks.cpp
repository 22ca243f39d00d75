// The checks of mlc_smoke on a lesson's outputs (smoke_checks.hpp).
#include "smoke_checks.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include <fmt/format.h>

namespace smoke {

namespace {

// The JSON value of `text`, or nullopt with the parser's message in *error.
std::optional<nlohmann::json> parse(std::string_view text, std::string* error) {
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {  // parse_error; out_of_range for 1e999
    if (error) *error = e.what();
    return std::nullopt;
  }
}

bool is_number_or_null(const nlohmann::json& v) {
  return v.is_number() || v.is_null();
}

}  // namespace

std::vector<std::string> metrics_json_problems(std::string_view text, const std::string& lesson,
                                               std::uint64_t seed) {
  std::vector<std::string> problems;
  std::string error;
  const auto parsed = parse(text, &error);
  if (!parsed) return {"metrics.json parses: " + error};
  const nlohmann::json& m = *parsed;
  if (!m.is_object()) return {"metrics.json is a JSON object"};
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) problems.push_back(what);
  };
  // Only find() and typed tests below: value() and get() throw on a field of the wrong type.
  const auto lesson_it = m.find("lesson");
  check(lesson_it != m.end() && lesson_it->is_string() &&
            lesson_it->get_ref<const std::string&>() == lesson,
        "metrics.json names the lesson " + lesson);
  const auto seed_it = m.find("seed");
  check(seed_it != m.end() && *seed_it == seed, fmt::format("metrics.json records seed {}", seed));
  const auto quick_it = m.find("quick");
  check(quick_it != m.end() && *quick_it == true, "metrics.json records quick = true");
  const auto metrics_it = m.find("metrics");
  const bool has_metrics = metrics_it != m.end() && metrics_it->is_object();
  check(has_metrics && !metrics_it->empty(), "metrics.json has a non-empty metrics object");
  if (has_metrics) {
    for (const auto& [name, value] : metrics_it->items()) {
      bool ok = is_number_or_null(value);
      if (value.is_array()) {
        ok = true;
        for (const auto& v : value) ok = ok && is_number_or_null(v);
      }
      check(ok, "metric " + name + " is a number or an array of numbers");
    }
  }
  const auto timing_it = m.find("timing");
  check(timing_it != m.end() && timing_it->is_object(), "metrics.json has timing");
  const auto versions_it = m.find("versions");
  check(versions_it != m.end() && versions_it->is_object(), "metrics.json has versions");
  return problems;
}

bool same_metrics_apart_from_timing(std::string_view a, std::string_view b) {
  auto ja = parse(a, nullptr), jb = parse(b, nullptr);
  if (!ja || !jb || !ja->is_object() || !jb->is_object()) return false;
  ja->erase("timing");
  jb->erase("timing");
  return *ja == *jb;
}

std::string without_wall_time(std::string_view report) {
  std::istringstream in{std::string(report)};
  std::string line, out;
  bool in_timing = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_timing = line == "## Timing";
    if (!in_timing && line.rfind("Wall time:", 0) != 0) out += line + "\n";
  }
  return out;
}

}  // namespace smoke
