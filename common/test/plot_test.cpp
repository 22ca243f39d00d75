// Tests of the figures (mlc/plot.hpp): files written, data and script consistent, SVG
// rendered by gnuplot.
#include "mlc/plot.hpp"

#include <gtest/gtest.h>

#include "mlc/io.hpp"
#include "mlc/testing.hpp"

namespace {

TEST(Figure, SaveWritesDataScriptAndSvg) {
  if (!mlc::program_on_path("gnuplot")) GTEST_SKIP() << "gnuplot missing: ./learn setup";
  mlc::testing::TempDir dir;
  Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(20, 1, 20);
  Eigen::VectorXd y = x.array().square();
  mlc::Figure fig("A \"quoted\" title");
  fig.xlabel("x").ylabel("x^2").logy().line(x, y, "square").points(x, y, "points").hline(10, "ten");
  fig.save(dir.path(), "square");
  const auto svg = mlc::read_text_file(dir.path() / "square.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  const auto gp = mlc::read_text_file(dir.path() / "square.gp");
  EXPECT_NE(gp.find("set output \"square.svg\""), std::string::npos);
  EXPECT_NE(gp.find("set logscale y"), std::string::npos);
  const auto dat = mlc::read_text_file(dir.path() / "square.dat");
  EXPECT_NE(dat.find("20 400"), std::string::npos);
  // Nothing temporary is left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) (void)e, ++files;
  EXPECT_EQ(files, 3);
}

// A series from std::vector<double>, from Eigen vectors and from an Eigen array expression
// writes the same data.
TEST(Figure, SeriesTakeStdVectorsAndEigenVectorsAlike) {
  if (!mlc::program_on_path("gnuplot")) GTEST_SKIP() << "gnuplot missing: ./learn setup";
  mlc::testing::TempDir dir;
  const std::vector<double> xs{1, 2, 3, 4}, ys{1, 4, 9, 16};
  const Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(4, 1, 4), y = x.array().square();
  mlc::Figure from_std("squares"), from_eigen("squares"), mixed("squares");
  from_std.line(xs, ys, "squares").histogram(ys, 2, "h").bars({"a", "b", "c", "d"}, ys, "b");
  from_eigen.line(x, y, "squares").histogram(y, 2, "h").bars({"a", "b", "c", "d"}, y, "b");
  mixed.line(xs, x.array().square(), "squares").histogram(y, 2, "h").bars({"a", "b", "c", "d"}, ys, "b");
  from_std.save(dir.path(), "from_std");
  from_eigen.save(dir.path(), "from_eigen");
  mixed.save(dir.path(), "mixed");
  const auto dat = mlc::read_text_file(dir.path() / "from_eigen.dat");
  EXPECT_NE(dat.find("4 16"), std::string::npos);
  EXPECT_EQ(mlc::read_text_file(dir.path() / "from_std.dat"), dat);
  EXPECT_EQ(mlc::read_text_file(dir.path() / "mixed.dat"), dat);
}

TEST(Figure, EveryKindOfSeriesRenders) {
  if (!mlc::program_on_path("gnuplot")) GTEST_SKIP() << "gnuplot missing: ./learn setup";
  mlc::testing::TempDir dir;
  Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(100, -2, 2);
  mlc::Figure hist("histogram");
  hist.histogram(v, 10, "uniform").vline(0.0, "zero");
  hist.save(dir.path(), "hist");
  Eigen::MatrixXd z(30, 40);
  Eigen::VectorXd xs = Eigen::VectorXd::LinSpaced(40, -1, 1), ys = Eigen::VectorXd::LinSpaced(30, -1, 1);
  for (int i = 0; i < 30; ++i)
    for (int j = 0; j < 40; ++j) z(i, j) = xs(j) * xs(j) + 3 * ys(i) * ys(i);
  mlc::Figure maps("maps");
  maps.heatmap(z, -1, 1, -1, 1, "f").contour(z, xs, ys, {0.1, 0.5, 1.0}, "level sets");
  maps.save(dir.path(), "maps");
  Eigen::MatrixXi classes(10, 10);
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 10; ++j) classes(i, j) = i > j ? 1 : 0;
  Eigen::MatrixXd pts(4, 2);
  pts << -0.5, 0.5, 0.5, -0.5, -0.2, 0.3, 0.3, -0.2;
  Eigen::VectorXi labels(4);
  labels << 1, 0, 1, 0;
  mlc::Figure regions("regions");
  regions.regions(classes, -1, 1, -1, 1).scatter_classes(pts, labels, {"a", "b"}).equal_axes();
  regions.save(dir.path(), "regions");
  mlc::Figure bars("bars");
  Eigen::VectorXd h(3);
  h << 1, 3, 2;
  bars.bars({"one", "two", "three"}, h, "counts");
  bars.save(dir.path(), "bars");
  for (const char* name : {"hist", "maps", "regions", "bars"})
    EXPECT_TRUE(std::filesystem::exists(dir.path() / (std::string(name) + ".svg"))) << name;
}

TEST(Figure, DecisionRegionsCallThePredictorOnTheGrid) {
  Eigen::MatrixXd pts(2, 2);
  pts << 0, 0, 1, 1;
  int calls = 0;
  Eigen::Index rows = 0;
  mlc::Figure fig("regions");
  fig.decision_regions(
      [&](const Eigen::MatrixXd& G) {
        ++calls;
        rows = G.rows();
        EXPECT_GE(G.col(0).minCoeff(), -0.5);
        EXPECT_LE(G.col(0).maxCoeff(), 1.5);
        return (G.col(0).array() > G.col(1).array()).cast<int>().matrix().eval();
      },
      pts, 0.5, 20);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(rows, 400);
  const std::string script = fig.script("set terminal dumb", "", "x.dat");
  EXPECT_NE(script.find("with image"), std::string::npos);
}

TEST(Figure, ContourOfACircleLiesOnTheCircle) {
  const int m = 81;
  Eigen::VectorXd xs = Eigen::VectorXd::LinSpaced(m, -1, 1);
  Eigen::MatrixXd z(m, m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j) z(i, j) = xs(i) * xs(i) + xs(j) * xs(j);
  mlc::Figure fig("circle");
  fig.contour(z, xs, xs, {0.25});
  // The script's data holds the segment end points; each lies near radius 0.5.
  const std::string script = fig.script("set terminal dumb", "", "x.dat");
  EXPECT_NE(script.find("index 0"), std::string::npos);
  mlc::testing::TempDir dir;
  if (!mlc::program_on_path("gnuplot")) GTEST_SKIP();
  fig.save(dir.path(), "circle");
  std::istringstream in(mlc::read_text_file(dir.path() / "circle.dat"));
  std::string line;
  int points = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    double x, y;
    std::istringstream(line) >> x >> y;
    EXPECT_NEAR(std::hypot(x, y), 0.5, 2e-3);
    ++points;
  }
  EXPECT_GT(points, 50);
}

TEST(Figure, PreviewDrawsText) {
  if (!mlc::program_on_path("gnuplot")) GTEST_SKIP();
  mlc::Figure fig("preview");
  Eigen::VectorXd x = Eigen::VectorXd::LinSpaced(10, 0, 1);
  fig.line(x, x, "identity");
  EXPECT_NE(fig.preview(60, 15).find("identity"), std::string::npos);
}

}  // namespace
