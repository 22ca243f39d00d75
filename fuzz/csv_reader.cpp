// Fuzz harness of mlc::read_csv (common/src/data.cpp), the reader of every vendored data set.
//
// Input: byte 0 chooses the options (bit 0: has_header; bits 1-2: the delimiter among
// ',', ';', '\t', ' '); the rest is the CSV text. A DataError is the documented answer to
// bad input; any other exception, a crash, a leak or undefined behaviour is a finding.
// Invariants of an accepted table:
//   * at least one row and one column; a header of exactly one name per column (or none);
//   * every value finite or nan (the reader's contract);
//   * the same text with \r\n line ends reads to the same table (and fails alike).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "mlc/data.hpp"
#include "mlc/error.hpp"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "csv_reader invariant violated: %s\n", what);
    std::abort();
  }
}

// The table, or nullopt with the message when the reader refused the input.
std::optional<mlc::CsvTable> read(const std::string& text, char delimiter, bool has_header,
                                  std::string* error) {
  std::istringstream in(text);
  try {
    return mlc::read_csv(in, "fuzz.csv", delimiter, has_header);
  } catch (const mlc::DataError& e) {
    *error = e.what();
    return std::nullopt;
  }
}

bool same_values(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i) {
    const double x = a.data()[i], y = b.data()[i];
    if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr char kDelimiters[] = {',', ';', '\t', ' '};
  const bool has_header = (data[0] & 1) != 0;
  const char delimiter = kDelimiters[(data[0] >> 1) & 3];
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

  std::string error;
  const auto table = read(text, delimiter, has_header, &error);
  if (table) {
    const auto& t = *table;
    check(t.values.rows() >= 1 && t.values.cols() >= 1, "an accepted table has a row and a column");
    check(has_header ? t.header.size() == static_cast<std::size_t>(t.values.cols())
                     : t.header.empty(),
          "one header name per column, or none without a header");
    for (Eigen::Index i = 0; i < t.values.size(); ++i) {
      const double v = t.values.data()[i];
      check(std::isfinite(v) || std::isnan(v), "every value is finite or nan");
    }
  }

  // \r\n line ends: the same table, or a refusal as well.
  std::string crlf;
  crlf.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  std::string crlf_error;
  const auto again = read(crlf, delimiter, has_header, &crlf_error);
  check(table.has_value() == again.has_value(), "\\r\\n line ends are accepted alike");
  if (table) {
    check(table->header == again->header, "\\r\\n line ends give the same header");
    check(same_values(table->values, again->values), "\\r\\n line ends give the same values");
  }
  return 0;
}
