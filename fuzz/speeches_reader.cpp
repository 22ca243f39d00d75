// Fuzz harness of lesson 2.7's play-text reader and tokenizer (naive_bayes::read_speeches
// and naive_bayes::tokenize, level2_classical/07_naive_bayes/corpus.cpp).
//
// Input: a play text in the tiny-shakespeare layout. A DataError is the documented answer
// to bad input; any other exception, a crash, a leak or undefined behaviour is a finding.
// Invariants: speakers are non-empty single lines, speeches start on increasing lines,
// a speech's text has no blank line and neither starts nor ends with a line break; every
// token is a non-empty run of a-z and apostrophes that neither starts nor ends with one.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "mlc/error.hpp"
#include "naive_bayes.hpp"

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "speeches_reader invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const auto& token : naive_bayes::tokenize(text)) {
    check(!token.empty() && token.front() != '\'' && token.back() != '\'',
          "tokens are trimmed of apostrophes");
    for (char c : token)
      check((c >= 'a' && c <= 'z') || c == '\'', "tokens are lower-case letters and apostrophes");
  }
  std::istringstream in(text);
  std::vector<naive_bayes::Speech> speeches;
  try {
    speeches = naive_bayes::read_speeches(in, "fuzz.txt");
  } catch (const mlc::DataError&) {
    return 0;
  }
  check(!speeches.empty(), "at least one speech");
  int previous_line = 0;
  for (const auto& s : speeches) {
    check(!s.speaker.empty() && s.speaker.find('\n') == std::string::npos,
          "a speaker is one non-empty line");
    check(s.line > previous_line, "speeches start on increasing lines");
    previous_line = s.line;
    check(s.text.find("\n\n") == std::string::npos, "no blank line inside a speech");
    check(s.text.empty() || (s.text.front() != '\n' && s.text.back() != '\n'),
          "no leading or trailing line break");
  }
  return 0;
}
