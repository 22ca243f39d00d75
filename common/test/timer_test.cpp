// Tests of timing and the progress line (mlc/timer.hpp).
#include "mlc/timer.hpp"

#include <sstream>

#include <gtest/gtest.h>

namespace {

TEST(Progress, PlainModePrintsAboutOneLinePerTenthAndAFinalLine) {
  std::ostringstream out;
  mlc::Progress p("steps", 100, out, false);
  for (int i = 1; i <= 100; ++i) p.update(i, "ok");
  p.finish();
  const std::string text = out.str();
  const auto lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_GE(lines, 10);
  EXPECT_LE(lines, 12);
  EXPECT_NE(text.find("ETA"), std::string::npos);
  EXPECT_NE(text.find("steps done"), std::string::npos);
}

TEST(Progress, InteractiveModeRedrawsOneLine) {
  std::ostringstream out;
  mlc::Progress p("epochs", 3, out, true);
  p.update(1);
  p.update(2);
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 0);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 2);
}

TEST(FormatDuration, ReadableUnits) {
  EXPECT_EQ(mlc::format_duration(1.34), "1.3 s");
  EXPECT_EQ(mlc::format_duration(125), "2 min 05 s");
}

}  // namespace
