// The run report and metrics (mlc/report.hpp).
#include "mlc/report.hpp"

#include <boost/version.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "mlc/io.hpp"

namespace mlc {

std::string num(double value, int sig) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0.0) return "0";
  const double mag = std::abs(value);
  if (mag >= 1e6 || mag < 1e-4) return fmt::format("{:.{}e}", value, std::max(sig - 1, 0));
  return fmt::format("{:.{}g}", value, sig);
}

std::string mean_sd(double mean, double sd, int sig) {
  return num(mean, sig) + " ± " + num(sd, 2);
}

std::map<std::string, std::string> versions() {
  return {
      {"compiler", fmt::format("{} {}", "gcc", __VERSION__)},
      {"eigen",
       fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION)},
      {"boost", fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                            BOOST_VERSION % 100)},
      {"fmt", fmt::format("{}", FMT_VERSION)},
      {"cxx_standard", fmt::format("{}", __cplusplus)},
  };
}

Report::Report(LessonInfo info, Options options)
    : info_(std::move(info)), options_(std::move(options)) {}

void Report::section(const std::string& title) {
  body_ += "\n## " + title + "\n\n";
}
void Report::subsection(const std::string& title) {
  body_ += "\n### " + title + "\n\n";
}
void Report::text(const std::string& markdown) {
  body_ += markdown + "\n\n";
}

void Report::table(const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows) {
  require(!header.empty(), "Report::table", "a table needs a header");
  auto row_text = [](const std::vector<std::string>& cells) {
    std::string r = "|";
    for (const auto& c : cells) r += " " + c + " |";
    return r + "\n";
  };
  body_ += row_text(header);
  body_ += "|";
  for (std::size_t i = 0; i < header.size(); ++i) body_ += " --- |";
  body_ += "\n";
  for (const auto& row : rows) {
    require(row.size() == header.size(), "Report::table",
            fmt::format("a row has {} cells, the header {}", row.size(), header.size()));
    body_ += row_text(row);
  }
  body_ += "\n";
}

void Report::figure(const Figure& fig, const std::string& name, const std::string& caption) {
  fig.save(figures_dir(), name);
  body_ += fmt::format(
      "![{}](figures/{}.svg)\n\n*Figure: {}* (data: `figures/{}.dat`, script: `figures/{}.gp`)\n\n",
      fig.title(), name, caption, name, name);
}

void Report::metric(const std::string& name, double value) {
  metrics_[name] = {value};
  metric_is_array_[name] = false;
}

std::string Report::quote(const std::string& name, double value, int sig) {
  metric(name, value);
  return num(value, sig);
}

void Report::metric(const std::string& name, const std::vector<double>& values) {
  metrics_[name] = values;
  metric_is_array_[name] = true;
}

void Report::metric(const std::string& name, const Eigen::VectorXd& values) {
  metric(name, std::vector<double>(values.data(), values.data() + values.size()));
}

bool Report::has_metric(const std::string& name) const {
  return metrics_.count(name) > 0;
}

void Report::timing(const std::string& name, double seconds) {
  timing_[name] = seconds;
}

void Report::failure_mode(const FailureMode& mode) {
  failure_modes_.push_back(mode);
}

void Report::headline(const std::vector<std::string>& names) {
  headline_.insert(headline_.end(), names.begin(), names.end());
}

std::filesystem::path Report::write() {
  for (const auto& name : headline_) {
    if (metrics_.count(name) == 0) {
      throw std::logic_error(fmt::format(
          "Report::headline names '{}', which the run never recorded as a metric", name));
    }
  }
  const double total = timer_.seconds();
  timing_["total_seconds"] = total;

  std::string md = fmt::format("# {} {}: run report\n\n", info_.number, info_.title);
  md += fmt::format("Lesson `{}`, seed {}, {} run. Reproduce: `./learn run {} --seed {}{}`.\n\n",
                    info_.id, options_.seed, options_.quick ? "quick" : "full", info_.id,
                    options_.seed, options_.quick ? " --quick" : "");
  md += fmt::format(
      "Wall time: {} (this line and the closing Timing section are all that differ between runs "
      "with the same seed).\n",
      format_duration(total));
  md += body_;
  md += "\n## Failure modes\n\n";
  if (failure_modes_.empty()) md += "None provoked in this run.\n";
  for (const auto& f : failure_modes_) {
    md += fmt::format(
        "### {}\n\n- **Trigger:** {}\n- **Symptom (measured):** {}\n- **Why:** {}\n- "
        "**Mitigation:** {}\n\n",
        f.name, f.trigger, f.symptom, f.why, f.mitigation);
  }

  // Wall times vary from run to run, so they all go to one last section that the
  // determinism check (tools/smoke.cpp) leaves out.
  md +=
      "## Timing\n\nWall-clock seconds on this machine; they differ between runs.\n\n| what | "
      "seconds |\n| --- | --- |\n";
  for (const auto& [name, seconds] : timing_) md += fmt::format("| {} | {:.3g} |\n", name, seconds);

  nlohmann::ordered_json j;
  j["lesson"] = info_.id;
  j["seed"] = options_.seed;
  j["quick"] = options_.quick;
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const auto& [name, values] : metrics_) {
    auto to_json = [](double v) {
      return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
    };
    if (metric_is_array_.at(name)) {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (double v : values) arr.push_back(to_json(v));
      metrics[name] = arr;
    } else {
      metrics[name] = to_json(values.front());
    }
  }
  j["metrics"] = metrics;
  if (!headline_.empty()) j["headline"] = headline_;
  nlohmann::ordered_json timing = nlohmann::ordered_json::object();
  for (const auto& [name, seconds] : timing_) timing[name] = seconds;
  j["timing"] = timing;
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  for (const auto& [name, version] : versions()) v[name] = version;
  j["versions"] = v;

  write_file_atomically(options_.out / "report.md", md);
  write_file_atomically(options_.out / "metrics.json", j.dump(2) + "\n");
  return options_.out;
}

}  // namespace mlc
