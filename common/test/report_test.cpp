// Tests of the report and metrics (mlc/report.hpp): schema, atomic writes, non-finite values.
#include "mlc/report.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "mlc/error.hpp"
#include "mlc/io.hpp"
#include "mlc/testing.hpp"

namespace {

const mlc::LessonInfo kReportInfo{"demo", "level1_math", "1.0", "Demo", "", ""};

TEST(Report, WritesMarkdownAndMetricsWithTheSchema) {
  mlc::testing::TempDir dir;
  mlc::Options options{.seed = 9, .out = dir.path() / "out", .quick = true};
  mlc::Report r(kReportInfo, options);
  r.section("Results");
  r.text("Some text.");
  r.table({"a", "b"}, {{"1", "2"}});
  r.metric("x.accuracy", 0.5);
  r.metric("x.curve", std::vector<double>{1.0, 2.0});
  r.metric("x.diverged", INFINITY);
  r.timing("fit_seconds", 0.1);
  r.failure_mode({"Breaks", "did this", "saw that", "because", "fixed so"});
  r.write();
  const auto md = mlc::read_text_file(options.out / "report.md");
  EXPECT_NE(md.find("## Results"), std::string::npos);
  EXPECT_NE(md.find("| a | b |"), std::string::npos);
  EXPECT_NE(md.find("## Failure modes"), std::string::npos);
  EXPECT_NE(md.find("**Trigger:** did this"), std::string::npos);
  EXPECT_NE(md.find("## Timing"), std::string::npos);
  EXPECT_NE(md.find("| fit_seconds |"), std::string::npos);
  EXPECT_GT(md.find("## Timing"), md.find("## Failure modes"));
  const auto j = nlohmann::json::parse(mlc::read_text_file(options.out / "metrics.json"));
  EXPECT_EQ(j["lesson"], "demo");
  EXPECT_EQ(j["seed"], 9);
  EXPECT_EQ(j["quick"], true);
  EXPECT_EQ(j["metrics"]["x.accuracy"], 0.5);
  EXPECT_EQ(j["metrics"]["x.curve"].size(), 2u);
  EXPECT_TRUE(j["metrics"]["x.diverged"].is_null());
  EXPECT_TRUE(j["timing"].contains("total_seconds"));
  EXPECT_TRUE(j["versions"].contains("eigen"));
  auto metrics = mlc::testing::read_metrics(options.out);
  EXPECT_EQ(metrics.at("x.curve[1]"), 2.0);
  EXPECT_TRUE(std::isnan(metrics.at("x.diverged")));
}

// quote() is metric() and num() in one call: the prose can quote only recorded numbers.
TEST(Report, QuoteRecordsTheMetricAndReturnsItsFormattedValue) {
  mlc::testing::TempDir dir;
  mlc::Options options{.seed = 1, .out = dir.path(), .quick = true};
  mlc::Report r(kReportInfo, options);
  EXPECT_EQ(r.quote("fit.iterations", 17.0), mlc::num(17.0));
  EXPECT_EQ(r.quote("fit.error", 0.000123456, 2), mlc::num(0.000123456, 2));
  r.write();
  const auto metrics = mlc::testing::read_metrics(options.out);
  EXPECT_EQ(metrics.at("fit.iterations"), 17.0);
  EXPECT_EQ(metrics.at("fit.error"), 0.000123456);
}

TEST(Report, HeadlineListsRecordedMetricsOnly) {
  mlc::testing::TempDir dir;
  mlc::Options options{.seed = 9, .out = dir.path() / "out", .quick = true};
  mlc::Report r(kReportInfo, options);
  r.metric("test_accuracy", 0.9);
  r.metric("epochs", 12);
  r.headline({"test_accuracy", "epochs"});
  r.write();
  const auto json = nlohmann::json::parse(mlc::read_text_file(options.out / "metrics.json"));
  EXPECT_EQ(json["headline"], nlohmann::json({"test_accuracy", "epochs"}));
  r.headline({"never_recorded"});
  EXPECT_THROW(r.write(), std::logic_error);
}

TEST(Report, RaggedTableIsRejected) {
  mlc::Report r(kReportInfo, mlc::Options{});
  EXPECT_THROW(r.table({"a", "b"}, {{"1"}}), std::invalid_argument);
}

TEST(AtomicWrite, ReplacesWholeFileAndLeavesNoTemporary) {
  mlc::testing::TempDir dir;
  const auto f = dir.path() / "sub" / "file.txt";
  mlc::write_file_atomically(f, "first");
  mlc::write_file_atomically(f, "second");
  EXPECT_EQ(mlc::read_text_file(f), "second");
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(f.parent_path())) (void)e, ++files;
  EXPECT_EQ(files, 1);
}

// Reading metrics.json back (mlc::parse_metrics, through mlc::testing::read_metrics).
TEST(Metrics, ReadBackFlattensArraysAndNulls) {
  const auto m =
      mlc::parse_metrics(R"({"metrics": {"a": 0.5, "b": [1, null], "c": null}})", "m.json");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m.at("a"), 0.5);
  EXPECT_EQ(m.at("b[0]"), 1.0);
  EXPECT_TRUE(std::isnan(m.at("b[1]")));
  EXPECT_TRUE(std::isnan(m.at("c")));
}

// Found while fuzzing the reader (fuzz/metrics_reader.cpp): a malformed metrics.json threw
// nlohmann::json's own exceptions (type_error for a string metric, out_of_range for 1e999,
// none at all for two entries that flatten to one name) instead of a DataError naming the file.
TEST(Metrics, MalformedFileIsADataErrorNamingIt) {
  mlc::testing::TempDir dir;
  for (const char* text : {R"({"metrics": {"a": "x"}})", R"({"metrics": {"a": [1, [2]]}})",
                           R"({"metrics": {"a": 1e999}})", R"({"metrics": {"a": [1], "a[0]": 2}})",
                           R"({"metrics": [1]})", R"([1, 2])", "{\"metrics\": {"}) {
    mlc::write_file_atomically(dir.path() / "metrics.json", text);
    try {
      mlc::testing::read_metrics(dir.path());
      ADD_FAILURE() << "accepted " << text;
    } catch (const mlc::DataError& e) {
      EXPECT_NE(std::string(e.what()).find("metrics.json"), std::string::npos) << e.what();
    }
  }
}

TEST(Num, FormatsForTables) {
  EXPECT_EQ(mlc::num(0.123456), "0.1235");
  EXPECT_EQ(mlc::num(1.5e-7), "1.500e-07");
  EXPECT_EQ(mlc::num(INFINITY), "inf");
  EXPECT_EQ(mlc::num(NAN), "nan");
  EXPECT_EQ(mlc::mean_sd(0.96321, 0.0123), "0.9632 ± 0.012");
}

}  // namespace
