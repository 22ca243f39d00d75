// Tests of the shared command line (mlc/cli.hpp).
#include "mlc/cli.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include "mlc/error.hpp"
#include "mlc/io.hpp"
#include "mlc/report.hpp"
#include "mlc/testing.hpp"

namespace {

const mlc::LessonInfo kInfo{"demo", "level1_math", "1.0", "Demo", "A demo lesson.", "report.md"};

std::optional<mlc::Options> parse(std::vector<const char*> args, std::ostream& help) {
  args.insert(args.begin(), "demo");
  return mlc::parse_args(static_cast<int>(args.size()), args.data(), kInfo, help);
}

TEST(Cli, DefaultsAreTheFixedSeedAndTheLessonOutputFolder) {
  std::ostringstream help;
  auto o = parse({}, help);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->seed, mlc::kDefaultSeed);
  EXPECT_FALSE(o->quick);
  EXPECT_EQ(o->out, std::filesystem::path("out/level1_math/demo"));
}

TEST(Cli, ParsesSeedOutAndQuick) {
  std::ostringstream help;
  auto o = parse({"--seed", "7", "--out", "/tmp/x", "--quick"}, help);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->seed, 7u);
  EXPECT_TRUE(o->quick);
  EXPECT_EQ(o->out, std::filesystem::path("/tmp/x"));
}

TEST(Cli, HelpPrintsUsageAndReturnsNothing) {
  std::ostringstream help;
  EXPECT_FALSE(parse({"--help"}, help));
  EXPECT_NE(help.str().find("--seed"), std::string::npos);
  EXPECT_NE(help.str().find("A demo lesson."), std::string::npos);
}

TEST(Cli, ThreadsAndResumeExistOnlyWhereTheLessonDeclaresThem) {
  std::ostringstream help;
  EXPECT_THROW(parse({"--threads", "2"}, help), mlc::UsageError);
  EXPECT_THROW(parse({"--resume"}, help), mlc::UsageError);
  auto o = parse({}, help);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->threads, 1);
  EXPECT_FALSE(o->resume);

  mlc::LessonInfo info = kInfo;
  info.flags = {.threads = true, .resume = true};
  std::vector<const char*> args{"demo", "--threads", "3", "--resume"};
  auto t = mlc::parse_args(static_cast<int>(args.size()), args.data(), info, help);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->threads, 3);
  EXPECT_TRUE(t->resume);
  std::vector<const char*> none{"demo"};
  auto d = mlc::parse_args(1, none.data(), info, help);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->threads, mlc::default_thread_count());
  EXPECT_GE(d->threads, 1);
  for (const char* bad : {"0", "-1", "two", "", "1.5", "99999"}) {
    std::vector<const char*> b{"demo", "--threads", bad};
    try {
      mlc::parse_args(3, b.data(), info, help);
      ADD_FAILURE() << "accepted --threads '" << bad << "'";
    } catch (const mlc::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--threads"), std::string::npos) << e.what();
    }
  }
}

TEST(Cli, UnknownFlagIsAUsageError) {
  std::ostringstream help;
  EXPECT_THROW(parse({"--bogus"}, help), mlc::UsageError);
}

TEST(Cli, MalformedSeedIsAUsageErrorThatNamesTheValue) {
  std::ostringstream help;
  for (const char* bad : {"abc", "-1", "1e3", "12x", "99999999999999999999"}) {
    try {
      parse({"--seed", bad}, help);
      ADD_FAILURE() << "accepted --seed " << bad;
    } catch (const mlc::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

// Found while fuzzing parse_args (fuzz/cli_args.cpp): an empty value ran silently with the
// default seed or the default output folder.
TEST(Cli, EmptySeedOrOutIsAUsageError) {
  std::ostringstream help;
  EXPECT_THROW(parse({"--seed", ""}, help), mlc::UsageError);
  EXPECT_THROW(parse({"--seed="}, help), mlc::UsageError);
  EXPECT_THROW(parse({"--out", ""}, help), mlc::UsageError);
}

TEST(Cli, LessonMainMapsErrorsToExitCodes) {
  mlc::testing::TempDir dir;
  const std::string out = dir.str();
  const char* argv[] = {"demo", "--quick", "--out", out.c_str()};
  EXPECT_EQ(mlc::lesson_main(4, argv, kInfo, [](const mlc::Options&) {}), 0);
  EXPECT_EQ(mlc::lesson_main(4, argv, kInfo,
                             [](const mlc::Options&) { throw mlc::DataError("bad file"); }),
            2);
  EXPECT_EQ(mlc::lesson_main(4, argv, kInfo,
                             [](const mlc::Options&) { throw std::runtime_error("bug"); }),
            1);
  const char* bad[] = {"demo", "--nope"};
  EXPECT_EQ(mlc::lesson_main(2, bad, kInfo, [](const mlc::Options&) {}), 2);
}

// Every run closes with its wall time and the report's path; a run that wrote no report
// does not claim one.
TEST(Cli, LessonMainClosesWithTheReportPath) {
  mlc::testing::TempDir dir;
  const std::string out = dir.str();
  const char* argv[] = {"demo", "--quick", "--out", out.c_str()};
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(mlc::lesson_main(4, argv, kInfo, [](const mlc::Options&) {}), 0);
  EXPECT_EQ(::testing::internal::GetCapturedStdout().find("Report:"), std::string::npos);
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(mlc::lesson_main(4, argv, kInfo,
                             [](const mlc::Options& o) { mlc::Report(kInfo, o).write(); }),
            0);
  const auto printed = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(printed.find("Done in "), std::string::npos) << printed;
  EXPECT_NE(printed.find("Report: " + (dir.path() / "report.md").string()), std::string::npos)
      << printed;
}

// An --out that cannot be created is bad usage (exit 2, naming the folder and the fix), not
// an internal error from the first file the program writes there.
TEST(Cli, OutputFolderThatCannotBeCreatedIsAUsageError) {
  mlc::testing::TempDir dir;
  const std::string a_file = (dir.path() / "a_file").string();
  mlc::write_file_atomically(a_file, "not a folder\n");
  const std::string under_a_file = a_file + "/out";
  for (const std::string& out : {std::string("/proc/x"), a_file, under_a_file}) {
    const char* argv[] = {"demo", "--out", out.c_str()};
    ::testing::internal::CaptureStderr();
    const int status = mlc::lesson_main(3, argv, kInfo, [](const mlc::Options& o) {
      mlc::write_file_atomically(o.out / "report.md", "# report\n");
    });
    const std::string message = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(status, 2) << out << ": " << message;
    EXPECT_NE(message.find("--out " + out), std::string::npos) << message;
    EXPECT_NE(message.find("writable folder"), std::string::npos) << message;
  }
}

}  // namespace
