// mlc/plot.hpp: figures as SVG through gnuplot, with the data and the script kept beside
// them so that a figure can be re-rendered or restyled by hand.
//
//   mlc::Figure fig("Suboptimality of gradient descent");
//   fig.xlabel("iteration").ylabel("f(x_k) - f*").logy();
//   fig.line(k, gap, "kappa = 10").line(k, bound, "(1 - 1/kappa)^k", {.dash = true});
//   fig.save(out / "figures", "suboptimality");   // suboptimality.{dat,gp,svg}
//
// Every series is one block of NAME.dat (gnuplot's `index`), so the data file can be read
// back by any tool. save() writes each file atomically and fails with DataError when
// gnuplot is missing (the message names ./learn setup).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace mlc {

// The values of a plotted series: an Eigen vector or vector expression (matrix or array
// kind), or a std::vector<double>, copied as a column.
class Values {
 public:
  template <class Derived>
  Values(const Eigen::MatrixBase<Derived>& v) : data_(v) {}  // NOLINT: implicit by design
  template <class Derived>
  Values(const Eigen::ArrayBase<Derived>& v) : data_(v.matrix()) {}  // NOLINT
  Values(const std::vector<double>& v)  // NOLINT
      : data_(Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()))) {}
  const Eigen::VectorXd& vector() const { return data_; }

 private:
  Eigen::VectorXd data_;
};

struct Style {
  int color = -1;          // index into the palette; -1 = next in turn
  double width = 1.6;      // line width
  bool dash = false;       // dashed line
  int point_type = 7;      // gnuplot point type for points()
  double point_size = 0.5;
};

class Figure {
 public:
  explicit Figure(std::string title);

  Figure& xlabel(std::string label);
  Figure& ylabel(std::string label);
  Figure& logx(bool on = true);
  Figure& logy(bool on = true);
  Figure& xrange(double lo, double hi);
  Figure& yrange(double lo, double hi);
  Figure& size(int width_px, int height_px);  // default 720 × 480
  Figure& legend(std::string position);      // gnuplot key position, or "off"
  Figure& equal_axes(bool on = true);        // one unit on x = one unit on y

  // Series. x and y have equal sizes (Eigen vectors or std::vector<double>); non-finite
  // values are written as NaN and skipped.
  Figure& line(const Values& x, const Values& y, std::string label, Style style = {});
  Figure& points(const Values& x, const Values& y, std::string label, Style style = {});
  Figure& line_points(const Values& x, const Values& y, std::string label, Style style = {});
  // Scatter of 2-D points (n × 2) with one colour per class label 0..K-1.
  Figure& scatter_classes(const Eigen::MatrixXd& points2d, const Eigen::VectorXi& labels,
                          const std::vector<std::string>& class_names, double point_size = 0.5);
  // Histogram with `bins` equal bins over [min, max] of the values (or the given range);
  // density = true scales it to integrate to one, so a density curve can be overlaid.
  Figure& histogram(const Values& values, int bins, std::string label,
                    bool density = true, std::optional<std::pair<double, double>> range = {},
                    Style style = {});
  // Bars at positions 0..m-1 with text tick labels.
  Figure& bars(const std::vector<std::string>& names, const Values& heights,
               std::string label, Style style = {});
  // A heat map of z (rows along y from y_lo to y_hi, columns along x from x_lo to x_hi).
  Figure& heatmap(const Eigen::MatrixXd& z, double x_lo, double x_hi, double y_lo, double y_hi,
                  std::string colorbar_label = "");
  // Decision regions: a class index per grid cell, drawn with the class palette.
  Figure& regions(const Eigen::MatrixXi& classes, double x_lo, double x_hi, double y_lo,
                  double y_hi);
  // The decision regions of a classifier: `predict` is called once with the centres of a
  // grid × grid lattice (rows (x, y), grid² × 2) covering the bounding box of `points`
  // (n × 2) widened by `pad`, and returns one class index per row; drawn with regions().
  Figure& decision_regions(const std::function<Eigen::VectorXi(const Eigen::MatrixXd&)>& predict,
                           const Eigen::MatrixXd& points, double pad = 0.3, int grid = 200);
  // Contour lines of z on a grid (z(i, j) at x = xs(j), y = ys(i)), one series per level,
  // traced by marching squares.
  Figure& contour(const Eigen::MatrixXd& z, const Eigen::VectorXd& xs, const Eigen::VectorXd& ys,
                  const std::vector<double>& levels, std::string label = "",
                  Style style = {.color = 8, .width = 0.8});
  Figure& hline(double y, std::string label, Style style = {.dash = true});
  Figure& vline(double x, std::string label, Style style = {.dash = true});

  // Writes dir/NAME.dat, dir/NAME.gp and renders dir/NAME.svg with gnuplot.
  void save(const std::filesystem::path& dir, const std::string& name) const;
  // The gnuplot script for a given terminal line and output (used by save and preview).
  std::string script(const std::string& terminal, const std::string& output,
                     const std::string& data_file) const;
  // A text rendering with gnuplot's dumb terminal, for a terminal preview.
  std::string preview(int columns = 80, int rows = 24) const;

  const std::string& title() const { return title_; }

 private:
  struct Series {
    std::string kind;  // lines, points, linespoints, boxes, image, regions, bars, contour
    std::string label;
    Style style;
    Eigen::MatrixXd data;  // columns as gnuplot reads them
    Eigen::Index grid_cols = 0;  // for images: points per scan line
    std::vector<std::string> tick_labels;
  };
  std::string data_text() const;
  int next_color(const Style& style);

  std::string title_, xlabel_, ylabel_, legend_ = "top right";
  bool logx_ = false, logy_ = false, equal_ = false;
  std::optional<std::pair<double, double>> xrange_, yrange_;
  int width_ = 720, height_ = 480;
  int color_turn_ = 0;
  std::vector<Series> series_;
  std::vector<std::string> class_names_;
};

}  // namespace mlc
