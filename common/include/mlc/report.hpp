// mlc/report.hpp: the run report (report.md) and the metrics (metrics.json) of a lesson.
//
//   mlc::Report report(kLesson, options);
//   report.section("Convergence on quadratics");
//   report.text("Gradient descent with step 1/L contracts the error by (1 - 1/kappa) ...");
//   report.table({"kappa", "iterations"}, rows);
//   report.figure(fig, "suboptimality", "log suboptimality against the bound (4)");
//   report.metric("quadratic.kappa_10.rate", rate);
//   report.failure_mode({.name = "Step above 2/L diverges", .trigger = ..., ...});
//   report.write();   // out/report.md and out/metrics.json, atomically
//
// metrics.json has the schema of DESIGN.md:
//   {"lesson": id, "seed": N, "quick": bool, "metrics": {...}, "timing": {...},
//    "versions": {...}}
// Non-finite metric values (a divergence measured on purpose) are written as null, since
// JSON has no NaN or Inf; the report shows them as "inf" / "nan".
// Same seed and flags give byte-identical files apart from "timing": in metrics.json, and
// in report.md the wall-time line at the top and the closing "## Timing" section, which
// lists every timing() entry (fit and predict times, say). Never put a wall time anywhere
// else in the report: the smoke test compares two runs.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "mlc/cli.hpp"
#include "mlc/plot.hpp"
#include "mlc/timer.hpp"

namespace mlc {

struct FailureMode {
  std::string name;        // "Step size above 2/L diverges"
  std::string trigger;     // what was done to break the method
  std::string symptom;     // what was measured (numbers)
  std::string why;         // the mechanism
  std::string mitigation;  // the fix, and what it measured
};

class Report {
 public:
  Report(LessonInfo info, Options options);

  void section(const std::string& title);     // "## title"
  void subsection(const std::string& title);  // "### title"
  void text(const std::string& markdown);     // a paragraph
  void table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows);
  // Saves the figure into <out>/figures/NAME.{dat,gp,svg} and embeds it with a caption.
  void figure(const Figure& figure, const std::string& name, const std::string& caption);

  void metric(const std::string& name, double value);
  // Records the metric and returns its value formatted with `sig` significant digits
  // (num()), for the prose: a sentence built from quote() can state only measured numbers.
  //   report.text(fmt::format("Newton needs {} iterations.", report.quote("newton.iterations",
  //   k)));
  std::string quote(const std::string& name, double value, int sig = 4);
  void metric(const std::string& name, const std::vector<double>& values);
  void metric(const std::string& name, const Eigen::VectorXd& values);
  bool has_metric(const std::string& name) const;
  // The few metrics that sum up the run (its "headline" in metrics.json), shown beside the
  // lesson in the index of ./learn run --all and in the book; each must be a recorded
  // metric by the time write() runs.
  void headline(const std::vector<std::string>& names);

  // A wall time (seconds): in metrics.json "timing" and the report's closing Timing table.
  void timing(const std::string& name, double seconds);
  void failure_mode(const FailureMode& mode);

  // Writes report.md and metrics.json into the output folder; returns the folder.
  std::filesystem::path write();

  const Options& options() const { return options_; }
  std::filesystem::path figures_dir() const { return options_.out / "figures"; }

 private:
  LessonInfo info_;
  Options options_;
  Timer timer_;
  std::string body_;
  std::vector<FailureMode> failure_modes_;
  std::vector<std::string> headline_;
  std::map<std::string, std::vector<double>> metrics_;
  std::map<std::string, bool> metric_is_array_;
  std::map<std::string, double> timing_;
};

// Number formatting for tables and narratives: `sig` significant digits, scientific
// notation for very large or small magnitudes, "inf"/"nan" for non-finite values.
std::string num(double value, int sig = 4);
// A mean ± standard deviation cell: "0.9632 ± 0.0121".
std::string mean_sd(double mean, double sd, int sig = 4);

// The compiler and library versions recorded in metrics.json.
std::map<std::string, std::string> versions();

// Reading metrics.json back: its "metrics" object as name -> number, arrays flattened to
// name[0], name[1], ... and null read as NaN. Throws DataError naming `source` when the
// text is not JSON, has no "metrics" object, holds a metric that is neither a number, null
// nor an array of those, or gives two entries the same flattened name.
std::map<std::string, double> parse_metrics(std::string_view json_text, const std::string& source);

}  // namespace mlc
