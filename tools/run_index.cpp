// mlc_run_index: out/index.md, the one view of `./learn run --all`.
//
//   mlc_run_index RUNS_TSV INDEX_FILE [COMMAND]
//
// RUNS_TSV has one line per lesson run, in curriculum order, tab-separated:
//   number  id  title  exit_status  wall_seconds  out_dir  log_file
// (out_dir and log_file absolute). The index lists the failed runs first, each with the
// last lines of its output, then every lesson with its wall time, its headline metrics
// (the names its metrics.json lists under "headline", with their values) and a link to
// its report. Paths in the index are relative to INDEX_FILE's folder, so the index reads
// the same in a browser from file:// and on a forge.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlc/io.hpp"
#include "mlc/report.hpp"

namespace fs = std::filesystem;

namespace {

constexpr int kLogLines = 20;  // lines of a failed run's output shown in the index

struct Run {
  std::string number, id, title;
  int status = 0;
  double seconds = 0.0;
  fs::path out_dir, log_file;
};

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, '\t')) fields.push_back(field);
  return fields;
}

std::vector<Run> read_runs(const fs::path& tsv) {
  std::vector<Run> runs;
  std::istringstream in(mlc::read_text_file(tsv));
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const auto f = split_tabs(line);
    if (f.size() != 7) {
      throw std::runtime_error(fmt::format("{}:{}: expected 7 tab-separated fields, found {}",
                                           tsv.string(), lineno, f.size()));
    }
    runs.push_back({f[0], f[1], f[2], std::stoi(f[3]), std::stod(f[4]), f[5], f[6]});
  }
  return runs;
}

std::string duration(double seconds) {
  if (seconds < 60.0) return fmt::format("{:.1f} s", seconds);
  const int s = static_cast<int>(seconds + 0.5);
  return fmt::format("{} min {:02d} s", s / 60, s % 60);
}

// "name = value" for each headline metric of a finished run; "—" when there are none.
std::string headline(const Run& run) {
  std::ifstream in(run.out_dir / "metrics.json");
  if (!in) return "(no metrics.json)";
  const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.contains("metrics")) return "(unreadable metrics.json)";
  if (!json.contains("headline")) return "—";
  std::string cells;
  for (const auto& name : json["headline"]) {
    const auto& value = json["metrics"].value(name.get<std::string>(), nlohmann::json());
    std::string shown = value.is_number() ? mlc::num(value.get<double>()) : "null";
    if (value.is_array()) shown = fmt::format("[{} values]", value.size());
    cells +=
        fmt::format("{}`{}` = {}", cells.empty() ? "" : "<br>", name.get<std::string>(), shown);
  }
  return cells.empty() ? "—" : cells;
}

std::string last_lines(const fs::path& log, int count) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string text;
  const std::size_t first =
      lines.size() > static_cast<std::size_t>(count) ? lines.size() - count : 0;
  for (std::size_t i = first; i < lines.size(); ++i) text += lines[i] + "\n";
  return text.empty() ? "(no output)\n" : text;
}

std::string link_to(const fs::path& target, const fs::path& base) {
  return fs::relative(target, base).generic_string();
}

std::string index_markdown(const std::vector<Run>& runs, const fs::path& index_dir,
                           const std::string& command) {
  int failed = 0;
  double total = 0.0;
  for (const auto& run : runs) {
    failed += run.status != 0;
    total += run.seconds;
  }
  std::string md = "# All lessons: run index\n\n";
  if (!command.empty()) md += fmt::format("Command: `{}`\n\n", command);
  md += fmt::format("{} lessons run, {} failed, {} of wall time in all.\n\n", runs.size(), failed,
                    duration(total));
  if (failed > 0) {
    md += fmt::format("## Failed ({})\n\n", failed);
    for (const auto& run : runs) {
      if (run.status == 0) continue;
      md += fmt::format("### {} {} (exit status {}, after {})\n\n", run.number, run.id, run.status,
                        duration(run.seconds));
      md += fmt::format("Last lines of its output ([whole log]({})):\n\n```\n{}```\n\n",
                        link_to(run.log_file, index_dir), last_lines(run.log_file, kLogLines));
    }
  }
  md += "## Lessons\n\n| no. | lesson | status | wall time | headline metrics | report |\n";
  md += "| --- | --- | --- | --- | --- | --- |\n";
  for (const auto& run : runs) {
    const bool ok = run.status == 0;
    md += fmt::format(
        "| {} | {} | {} | {} | {} | {} |\n", run.number, run.title,
        ok ? "done" : fmt::format("**failed** ({})", run.status), duration(run.seconds),
        ok ? headline(run) : "",
        ok ? fmt::format("[{}]({})", run.id, link_to(run.out_dir / "report.md", index_dir))
           : fmt::format("[log]({})", link_to(run.log_file, index_dir)));
  }
  return md;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr
        << "usage: mlc_run_index RUNS_TSV INDEX_FILE [COMMAND] (./learn run --all calls it)\n";
    return 2;
  }
  try {
    const fs::path index = fs::absolute(argv[2]);
    mlc::write_file_atomically(
        index, index_markdown(read_runs(argv[1]), index.parent_path(), argc == 4 ? argv[3] : ""));
  } catch (const std::exception& e) {
    std::cerr << "mlc_run_index: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
