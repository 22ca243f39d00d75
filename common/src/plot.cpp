// Figures through gnuplot (mlc/plot.hpp).
#include "mlc/plot.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "mlc/io.hpp"

namespace mlc {

namespace {

// Okabe & Ito's colour-blind-safe palette, black and grey, then three of Tol's muted
// colours, so that ten classes (digits) get ten distinct colours.
constexpr std::array<const char*, 12> kPalette = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                                                  "#F0E442", "#000000", "#999999", "#882255", "#44AA99", "#999933"};
// The same hues lightened, for decision regions under the points.
constexpr std::array<const char*, 12> kLightPalette = {"#B3D4E8", "#F2CCB3", "#B3E2D5", "#F0D7E5",
                                                       "#F8E0B3", "#CCE9F9", "#FBF8C4", "#B3B3B3",
                                                       "#E0E0E0", "#DBBDCC", "#C7E6E0", "#E0E0C2"};

const char* color_of(int i) { return kPalette[static_cast<std::size_t>(i) % kPalette.size()]; }

std::string quoted(const std::string& text) {
  std::string q = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

std::string number(double v) {
  if (!std::isfinite(v)) return "NaN";
  return fmt::format("{:.10g}", v);
}

// Marching squares: the segments where the bilinear interpolant of z crosses `level`.
// Returns rows (x1, y1, x2, y2).
std::vector<std::array<double, 4>> marching_squares(const Eigen::MatrixXd& z, const Eigen::VectorXd& xs,
                                                    const Eigen::VectorXd& ys, double level) {
  std::vector<std::array<double, 4>> segments;
  auto cross = [&](Eigen::Index i0, Eigen::Index j0, Eigen::Index i1, Eigen::Index j1) {
    const double a = z(i0, j0) - level, b = z(i1, j1) - level;
    const double t = a / (a - b);
    return std::array<double, 2>{xs(j0) + t * (xs(j1) - xs(j0)), ys(i0) + t * (ys(i1) - ys(i0))};
  };
  for (Eigen::Index i = 0; i + 1 < z.rows(); ++i) {
    for (Eigen::Index j = 0; j + 1 < z.cols(); ++j) {
      // Corners: 0 = (i, j), 1 = (i, j+1), 2 = (i+1, j+1), 3 = (i+1, j).
      const std::array<double, 4> c = {z(i, j), z(i, j + 1), z(i + 1, j + 1), z(i + 1, j)};
      if (!(std::isfinite(c[0]) && std::isfinite(c[1]) && std::isfinite(c[2]) && std::isfinite(c[3]))) continue;
      std::vector<std::array<double, 2>> pts;
      // Edges in order: bottom (0-1), right (1-2), top (2-3), left (3-0).
      if ((c[0] > level) != (c[1] > level)) pts.push_back(cross(i, j, i, j + 1));
      if ((c[1] > level) != (c[2] > level)) pts.push_back(cross(i, j + 1, i + 1, j + 1));
      if ((c[2] > level) != (c[3] > level)) pts.push_back(cross(i + 1, j + 1, i + 1, j));
      if ((c[3] > level) != (c[0] > level)) pts.push_back(cross(i + 1, j, i, j));
      if (pts.size() == 2) {
        segments.push_back({pts[0][0], pts[0][1], pts[1][0], pts[1][1]});
      } else if (pts.size() == 4) {
        // Saddle: decide by the centre value which pairs join.
        const double centre = 0.25 * (c[0] + c[1] + c[2] + c[3]);
        if ((centre > level) == (c[0] > level)) {
          segments.push_back({pts[0][0], pts[0][1], pts[1][0], pts[1][1]});
          segments.push_back({pts[2][0], pts[2][1], pts[3][0], pts[3][1]});
        } else {
          segments.push_back({pts[0][0], pts[0][1], pts[3][0], pts[3][1]});
          segments.push_back({pts[1][0], pts[1][1], pts[2][0], pts[2][1]});
        }
      }
    }
  }
  return segments;
}

}  // namespace

Figure::Figure(std::string title) : title_(std::move(title)) {}

Figure& Figure::xlabel(std::string label) { xlabel_ = std::move(label); return *this; }
Figure& Figure::ylabel(std::string label) { ylabel_ = std::move(label); return *this; }
Figure& Figure::logx(bool on) { logx_ = on; return *this; }
Figure& Figure::logy(bool on) { logy_ = on; return *this; }
Figure& Figure::xrange(double lo, double hi) { xrange_ = {lo, hi}; return *this; }
Figure& Figure::yrange(double lo, double hi) { yrange_ = {lo, hi}; return *this; }
Figure& Figure::size(int w, int h) { width_ = w; height_ = h; return *this; }
Figure& Figure::legend(std::string position) { legend_ = std::move(position); return *this; }
Figure& Figure::equal_axes(bool on) { equal_ = on; return *this; }

int Figure::next_color(const Style& style) {
  if (style.color >= 0) return style.color;
  return color_turn_++;
}

Figure& Figure::line(const Values& x_values, const Values& y_values, std::string label, Style style) {
  const Eigen::VectorXd& x = x_values.vector();
  const Eigen::VectorXd& y = y_values.vector();
  require(x.size() == y.size(), "Figure::line", fmt::format("x has {} values, y has {}", x.size(), y.size()));
  style.color = next_color(style);
  Series s{"lines", std::move(label), style, Eigen::MatrixXd(x.size(), 2), 0, {}};
  s.data << x, y;
  series_.push_back(std::move(s));
  return *this;
}

Figure& Figure::points(const Values& x, const Values& y, std::string label, Style style) {
  line(x, y, std::move(label), style);
  series_.back().kind = "points";
  return *this;
}

Figure& Figure::line_points(const Values& x, const Values& y, std::string label, Style style) {
  line(x, y, std::move(label), style);
  series_.back().kind = "linespoints";
  return *this;
}

Figure& Figure::scatter_classes(const Eigen::MatrixXd& p, const Eigen::VectorXi& labels,
                                const std::vector<std::string>& class_names, double point_size) {
  require(p.cols() == 2 && p.rows() == labels.size(), "Figure::scatter_classes",
          "need an n × 2 matrix and n labels");
  const int k = static_cast<int>(class_names.size());
  for (int c = 0; c < k; ++c) {
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < labels.size(); ++i)
      if (labels(i) == c) rows.push_back(i);
    Eigen::MatrixXd d(static_cast<Eigen::Index>(rows.size()), 2);
    for (std::size_t r = 0; r < rows.size(); ++r) d.row(static_cast<Eigen::Index>(r)) = p.row(rows[r]);
    Style style{.color = c, .point_type = 7, .point_size = point_size};
    series_.push_back(Series{"points", class_names[static_cast<std::size_t>(c)], style, d, 0, {}});
  }
  return *this;
}

Figure& Figure::histogram(const Values& histogram_values, int bins, std::string label, bool density,
                          std::optional<std::pair<double, double>> range, Style style) {
  const Eigen::VectorXd& values = histogram_values.vector();
  require(bins >= 1, "Figure::histogram", "need at least one bin");
  std::vector<double> finite;
  for (Eigen::Index i = 0; i < values.size(); ++i)
    if (std::isfinite(values(i))) finite.push_back(values(i));
  require(!finite.empty(), "Figure::histogram", "no finite values");
  double lo = range ? range->first : *std::min_element(finite.begin(), finite.end());
  double hi = range ? range->second : *std::max_element(finite.begin(), finite.end());
  if (hi <= lo) hi = lo + 1.0;
  const double width = (hi - lo) / bins;
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(bins);
  for (double v : finite) {
    if (v < lo || v > hi) continue;
    const int b = std::min(bins - 1, static_cast<int>((v - lo) / width));
    counts(b) += 1.0;
  }
  if (density) counts /= static_cast<double>(finite.size()) * width;
  style.color = next_color(style);
  Series s{"boxes", std::move(label), style, Eigen::MatrixXd(bins, 3), 0, {}};
  for (int b = 0; b < bins; ++b) s.data.row(b) << lo + (b + 0.5) * width, counts(b), width;
  series_.push_back(std::move(s));
  return *this;
}

Figure& Figure::bars(const std::vector<std::string>& names, const Values& bar_heights, std::string label,
                     Style style) {
  const Eigen::VectorXd& heights = bar_heights.vector();
  require(static_cast<Eigen::Index>(names.size()) == heights.size(), "Figure::bars", "one name per bar");
  style.color = next_color(style);
  Series s{"bars", std::move(label), style, Eigen::MatrixXd(heights.size(), 2), 0, names};
  for (Eigen::Index i = 0; i < heights.size(); ++i) s.data.row(i) << static_cast<double>(i), heights(i);
  series_.push_back(std::move(s));
  return *this;
}

Figure& Figure::heatmap(const Eigen::MatrixXd& z, double x_lo, double x_hi, double y_lo, double y_hi,
                        std::string colorbar_label) {
  require(z.rows() >= 1 && z.cols() >= 1, "Figure::heatmap", "empty grid");
  Series s{"image", std::move(colorbar_label), Style{}, Eigen::MatrixXd(z.size(), 3), z.cols(), {}};
  Eigen::Index r = 0;
  for (Eigen::Index i = 0; i < z.rows(); ++i)
    for (Eigen::Index j = 0; j < z.cols(); ++j) {
      const double x = z.cols() > 1 ? x_lo + (x_hi - x_lo) * j / static_cast<double>(z.cols() - 1) : x_lo;
      const double y = z.rows() > 1 ? y_lo + (y_hi - y_lo) * i / static_cast<double>(z.rows() - 1) : y_lo;
      s.data.row(r++) << x, y, z(i, j);
    }
  series_.push_back(std::move(s));
  return *this;
}

Figure& Figure::regions(const Eigen::MatrixXi& classes, double x_lo, double x_hi, double y_lo, double y_hi) {
  heatmap(classes.cast<double>(), x_lo, x_hi, y_lo, y_hi);
  series_.back().kind = "regions";
  series_.back().label.clear();
  return *this;
}

Figure& Figure::decision_regions(const std::function<Eigen::VectorXi(const Eigen::MatrixXd&)>& predict,
                                 const Eigen::MatrixXd& points, double pad, int grid) {
  require(points.cols() == 2 && points.rows() > 0, "Figure::decision_regions", "points must be n × 2, n > 0");
  require(grid >= 2, "Figure::decision_regions", "grid must be at least 2");
  const double x_lo = points.col(0).minCoeff() - pad, x_hi = points.col(0).maxCoeff() + pad;
  const double y_lo = points.col(1).minCoeff() - pad, y_hi = points.col(1).maxCoeff() + pad;
  Eigen::MatrixXd centres(static_cast<Eigen::Index>(grid) * grid, 2);
  for (int i = 0; i < grid; ++i)
    for (int j = 0; j < grid; ++j) {
      centres(i * grid + j, 0) = x_lo + (x_hi - x_lo) * (j + 0.5) / grid;
      centres(i * grid + j, 1) = y_lo + (y_hi - y_lo) * (i + 0.5) / grid;
    }
  const Eigen::VectorXi labels = predict(centres);
  require(labels.size() == centres.rows(), "Figure::decision_regions", "predict must return one class per grid point");
  Eigen::MatrixXi classes(grid, grid);
  for (int i = 0; i < grid; ++i)
    for (int j = 0; j < grid; ++j) classes(i, j) = labels(i * grid + j);
  // Cell centres span [lo + h/2, hi − h/2] with h the cell width.
  const double hx = (x_hi - x_lo) / grid, hy = (y_hi - y_lo) / grid;
  return regions(classes, x_lo + hx / 2, x_hi - hx / 2, y_lo + hy / 2, y_hi - hy / 2);
}

Figure& Figure::contour(const Eigen::MatrixXd& z, const Eigen::VectorXd& xs, const Eigen::VectorXd& ys,
                        const std::vector<double>& levels, std::string label, Style style) {
  require(z.cols() == xs.size() && z.rows() == ys.size(), "Figure::contour",
          fmt::format("z is {}×{} but the grid has {} x and {} y values", z.rows(), z.cols(), xs.size(), ys.size()));
  bool first = true;
  for (double level : levels) {
    const auto segments = marching_squares(z, xs, ys, level);
    Series s{"segments", first ? label : std::string(), style,
             Eigen::MatrixXd(static_cast<Eigen::Index>(segments.size()), 4), 0, {}};
    for (std::size_t i = 0; i < segments.size(); ++i)
      s.data.row(static_cast<Eigen::Index>(i)) << segments[i][0], segments[i][1], segments[i][2], segments[i][3];
    series_.push_back(std::move(s));
    first = false;
  }
  return *this;
}

Figure& Figure::hline(double y, std::string label, Style style) {
  style.color = next_color(style);
  Series s{"hline", std::move(label), style, Eigen::MatrixXd::Constant(1, 1, y), 0, {}};
  series_.push_back(std::move(s));
  return *this;
}

Figure& Figure::vline(double x, std::string label, Style style) {
  style.color = next_color(style);
  Series s{"vline", std::move(label), style, Eigen::MatrixXd::Constant(1, 1, x), 0, {}};
  series_.push_back(std::move(s));
  return *this;
}

std::string Figure::data_text() const {
  std::string text = fmt::format("# data for the figure \"{}\"; one block per series (gnuplot index)\n", title_);
  int block = 0;
  for (const auto& s : series_) {
    if (s.kind == "hline" || s.kind == "vline") continue;
    text += fmt::format("# index {}: {} {}\n", block++, s.kind, s.label);
    if (s.kind == "segments") {
      for (Eigen::Index i = 0; i < s.data.rows(); ++i)
        text += fmt::format("{} {}\n{} {}\n\n", number(s.data(i, 0)), number(s.data(i, 1)),
                            number(s.data(i, 2)), number(s.data(i, 3)));
      if (s.data.rows() == 0) text += "NaN NaN\n";
    } else {
      for (Eigen::Index i = 0; i < s.data.rows(); ++i) {
        for (Eigen::Index j = 0; j < s.data.cols(); ++j) text += (j ? " " : "") + number(s.data(i, j));
        text += "\n";
        if (s.grid_cols > 0 && (i + 1) % s.grid_cols == 0) text += "\n";  // scan line end
      }
      if (s.data.rows() == 0) text += "NaN NaN\n";
    }
    text += "\n\n";
  }
  return text;
}

std::string Figure::script(const std::string& terminal, const std::string& output,
                           const std::string& data_file) const {
  std::string g;
  g += "# gnuplot script written by mlc::Figure; render with: gnuplot " +
       (output.empty() ? std::string("<this file>") : output.substr(0, output.rfind('.')) + ".gp") + "\n";
  g += "set encoding utf8\n";
  g += terminal + "\n";
  if (!output.empty()) g += "set output " + quoted(output) + "\n";
  g += "set title " + quoted(title_) + "\n";
  if (!xlabel_.empty()) g += "set xlabel " + quoted(xlabel_) + "\n";
  if (!ylabel_.empty()) g += "set ylabel " + quoted(ylabel_) + "\n";
  if (legend_ == "off") g += "unset key\n";
  else g += "set key " + legend_ + " box opaque samplen 2\n";
  g += "set grid lc rgb '#e0e0e0'\nset border lc rgb '#404040'\n";
  if (logx_) g += "set logscale x\n";
  if (logy_) g += "set logscale y\n";
  if (xrange_) g += fmt::format("set xrange [{}:{}]\n", number(xrange_->first), number(xrange_->second));
  if (yrange_) g += fmt::format("set yrange [{}:{}]\n", number(yrange_->first), number(yrange_->second));
  if (equal_) g += "set size ratio -1\n";

  bool has_image = false, has_regions = false;
  int max_class = 0;
  for (const auto& s : series_) {
    if (s.kind == "image") has_image = true;
    if (s.kind == "regions") {
      has_regions = true;
      max_class = std::max(max_class, static_cast<int>(s.data.col(2).maxCoeff()));
    }
    if (s.kind == "bars") {
      g += "set xtics rotate by -40 (";
      for (std::size_t i = 0; i < s.tick_labels.size(); ++i)
        g += fmt::format("{}{} {}", i ? ", " : "", quoted(s.tick_labels[i]), i);
      g += ")\nset boxwidth 0.8\n";
    }
    if (s.kind == "vline") {
      g += fmt::format("set arrow from first {0}, graph 0 to first {0}, graph 1 nohead lw {1} lc rgb '{2}'{3}\n",
                       number(s.data(0, 0)), s.style.width, color_of(s.style.color), s.style.dash ? " dt 2" : "");
      if (!s.label.empty())
        g += fmt::format("set label {} at first {}, graph 0.97 offset 0.5,0 tc rgb '{}'\n", quoted(s.label),
                         number(s.data(0, 0)), color_of(s.style.color));
    }
  }
  if (has_regions) {
    g += fmt::format("set cbrange [-0.5:{}.5]\nunset colorbox\nset palette maxcolors {}\nset palette defined (",
                     max_class, max_class + 1);
    for (int c = 0; c <= max_class; ++c)
      g += fmt::format("{}{} '{}'", c ? ", " : "", c, kLightPalette[static_cast<std::size_t>(c) % kLightPalette.size()]);
    g += ")\n";
  } else if (has_image) {
    g += "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21908d', 3 '#5dc963', 4 '#fde725')\n";
    for (const auto& s : series_)
      if (s.kind == "image" && !s.label.empty()) g += "set cblabel " + quoted(s.label) + "\n";
  }
  if (has_image || has_regions) g += "set tics front\n";

  std::vector<std::string> parts;
  int block = 0;
  const std::string df = quoted(data_file);
  for (const auto& s : series_) {
    const std::string title = s.label.empty() ? "notitle" : "title " + quoted(s.label);
    const std::string lc = fmt::format("lc rgb '{}'", color_of(s.style.color));
    const std::string dash = s.style.dash ? " dt 2" : "";
    if (s.kind == "hline") {
      parts.push_back(fmt::format("{} with lines lw {} {}{} {}", number(s.data(0, 0)), s.style.width, lc, dash, title));
      continue;
    }
    if (s.kind == "vline") continue;
    const std::string src = fmt::format("{} index {}", df, block++);
    if (s.kind == "lines") {
      parts.push_back(fmt::format("{} using 1:2 with lines lw {} {}{} {}", src, s.style.width, lc, dash, title));
    } else if (s.kind == "points") {
      parts.push_back(fmt::format("{} using 1:2 with points pt {} ps {} {} {}", src, s.style.point_type,
                                  s.style.point_size, lc, title));
    } else if (s.kind == "linespoints") {
      parts.push_back(fmt::format("{} using 1:2 with linespoints lw {} pt {} ps {} {}{} {}", src, s.style.width,
                                  s.style.point_type, s.style.point_size, lc, dash, title));
    } else if (s.kind == "boxes") {
      parts.push_back(fmt::format("{} using 1:2:3 with boxes fs solid 0.35 border {} {} {}", src, lc, lc, title));
    } else if (s.kind == "bars") {
      parts.push_back(fmt::format("{} using 1:2 with boxes fs solid 0.6 {} {}", src, lc, title));
    } else if (s.kind == "image" || s.kind == "regions") {
      parts.push_back(fmt::format("{} using 1:2:3 with image notitle", src));
    } else if (s.kind == "segments") {
      parts.push_back(fmt::format("{} using 1:2 with lines lw {} {}{} {}", src, s.style.width, lc, dash, title));
    }
  }
  if (parts.empty()) parts.push_back("NaN notitle");
  g += "plot ";
  for (std::size_t i = 0; i < parts.size(); ++i) g += (i ? ", \\\n     " : "") + parts[i];
  g += "\n";
  if (!output.empty()) g += "unset output\n";
  return g;
}

void Figure::save(const std::filesystem::path& dir, const std::string& name) const {
  require(!name.empty() && name.find('/') == std::string::npos, "Figure::save", "name must be a plain file name");
  if (!program_on_path("gnuplot")) {
    throw DataError("gnuplot is not installed, so figures cannot be rendered; run ./learn setup "
                    "(it installs Debian's gnuplot-nox)");
  }
  const std::string terminal = fmt::format(
      "set terminal svg size {},{} dynamic noenhanced font 'DejaVu Sans,12' background rgb 'white'", width_, height_);
  write_file_atomically(dir / (name + ".dat"), data_text());
  write_file_atomically(dir / (name + ".gp"), script(terminal, name + ".svg", name + ".dat"));
  // Render into a temporary name, then rename, so the SVG appears whole or not at all.
  const std::string partial = fmt::format("{}.svg.{}.part", name, ::getpid());
  std::string output;
  const int status = run_process({"gnuplot"}, dir, &output, script(terminal, partial, name + ".dat"));
  std::error_code ec;
  if (status != 0 || !std::filesystem::exists(dir / partial)) {
    std::filesystem::remove(dir / partial, ec);
    throw std::runtime_error(fmt::format("gnuplot failed on {} (exit {}):\n{}", (dir / (name + ".gp")).string(),
                                         status, output));
  }
  std::filesystem::rename(dir / partial, dir / (name + ".svg"));
}

std::string Figure::preview(int columns, int rows) const {
  if (!program_on_path("gnuplot")) return "(no preview: gnuplot is not installed)\n";
  char pattern[] = "/tmp/mlc-preview-XXXXXX";
  const char* tmp = ::mkdtemp(pattern);
  if (!tmp) return "(no preview: cannot create a temporary folder)\n";
  const std::filesystem::path dir(tmp);
  write_file_atomically(dir / "preview.dat", data_text());
  std::string output;
  run_process({"gnuplot"}, dir, &output,
              script(fmt::format("set terminal dumb size {},{}", columns, rows), "", "preview.dat"));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return output;
}

}  // namespace mlc
