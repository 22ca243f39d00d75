// Lesson 2.7 naive_bayes: the text side. A strict reader for the tiny-shakespeare layout
// ("NAME:" line, the lines spoken, a blank line), a tokenizer and bag-of-words counts.
// The only file I/O of the library; the models themselves are in naive_bayes.cpp.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <istream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlc/error.hpp"
#include "naive_bayes.hpp"

namespace naive_bayes {

std::vector<Speech> read_speeches(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw mlc::DataError(fmt::format(
        "{}: cannot open the text file. It is vendored with the project (data/README.md, "
        "\"tinyshakespeare.txt\"); restore it with git checkout data/, or point MLC_DATA_DIR at "
        "a folder that holds it",
        file.string()));
  }
  return read_speeches(in, file.string());
}

std::vector<Speech> read_speeches(std::istream& in, const std::string& source) {
  std::vector<Speech> speeches;
  std::string line;
  int number = 0;
  bool in_speech = false;  // inside a block (after its "NAME:" line, before a blank line)
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      in_speech = false;
      continue;
    }
    if (!in_speech) {
      if (line.back() != ':' || line.size() < 2) {
        throw mlc::DataError(
            fmt::format("{}:{}: expected a speaker line \"NAME:\" after a blank line, found \"{}\"",
                        source, number, line.substr(0, 60)));
      }
      speeches.push_back({line.substr(0, line.size() - 1), "", number});
      in_speech = true;
      continue;
    }
    Speech& s = speeches.back();
    if (!s.text.empty()) s.text += '\n';
    s.text += line;
  }
  if (speeches.empty()) {
    throw mlc::DataError(fmt::format("{}: no speech found (an empty file?)", source));
  }
  return speeches;  // a "NAME:" line with nothing spoken (an entrance) gives an empty text
}

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string word;
  auto flush = [&] {
    // strip apostrophes at either end: quotes and elisions ('tis) are not part of the word
    std::size_t b = 0, e = word.size();
    while (b < e && word[b] == '\'') ++b;
    while (e > b && word[e - 1] == '\'') --e;
    if (e > b) tokens.emplace_back(word.substr(b, e - b));
    word.clear();
  };
  for (char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    if (std::isalpha(u) || ch == '\'') {
      word += static_cast<char>(std::tolower(u));
    } else if (!word.empty()) {
      flush();
    }
  }
  if (!word.empty()) flush();
  return tokens;
}

LabelledDocuments speaker_documents(const std::vector<Speech>& speeches,
                                    const std::vector<std::string>& speakers) {
  LabelledDocuments out;
  std::vector<int> labels;
  for (const Speech& speech : speeches) {
    const auto it = std::find(speakers.begin(), speakers.end(), speech.speaker);
    if (it == speakers.end()) continue;
    auto tokens = tokenize(speech.text);
    if (tokens.empty()) {
      ++out.dropped_empty;
      continue;
    }
    out.documents.push_back(std::move(tokens));
    labels.push_back(static_cast<int>(it - speakers.begin()));
  }
  out.labels = Eigen::Map<const Eigen::VectorXi>(labels.data(),
                                                 static_cast<Eigen::Index>(labels.size()));
  return out;
}

Vocabulary build_vocabulary(const std::vector<std::vector<std::string>>& documents) {
  Vocabulary v;
  for (const auto& doc : documents) {
    for (const auto& w : doc) {
      if (v.index.emplace(w, v.size()).second) v.words.push_back(w);
    }
  }
  return v;
}

CountMatrix count_matrix(const std::vector<std::vector<std::string>>& documents,
                         const Vocabulary& vocabulary, long* out_of_vocabulary) {
  std::vector<Eigen::Triplet<double>> triplets;
  long oov = 0;
  for (std::size_t i = 0; i < documents.size(); ++i) {
    for (const auto& w : documents[i]) {
      const auto it = vocabulary.index.find(w);
      if (it == vocabulary.index.end()) {
        ++oov;
        continue;
      }
      triplets.emplace_back(static_cast<Eigen::Index>(i), it->second, 1.0);
    }
  }
  CountMatrix X(static_cast<Eigen::Index>(documents.size()), vocabulary.size());
  X.setFromTriplets(triplets.begin(), triplets.end());  // duplicates are summed: counts
  X.makeCompressed();
  if (out_of_vocabulary) *out_of_vocabulary = oov;
  return X;
}

Passages cut_passages(const std::vector<std::vector<std::string>>& documents,
                      const Eigen::VectorXi& labels, int num_classes, int length) {
  mlc::require(static_cast<Eigen::Index>(documents.size()) == labels.size(), "cut_passages",
               fmt::format("{} documents, {} labels", documents.size(), labels.size()));
  mlc::require(length >= 1, "cut_passages", fmt::format("length {} must be at least 1", length));
  Passages out;
  std::vector<int> classes;
  const auto L = static_cast<std::size_t>(length);
  for (int c = 0; c < num_classes; ++c) {
    std::vector<std::string> stream;
    for (Eigen::Index i = 0; i < labels.size(); ++i) {
      const auto& doc = documents[static_cast<std::size_t>(i)];
      if (labels(i) == c) stream.insert(stream.end(), doc.begin(), doc.end());
    }
    for (std::size_t b = 0; b + L <= stream.size(); b += L) {
      out.documents.emplace_back(stream.begin() + static_cast<long>(b),
                                 stream.begin() + static_cast<long>(b + L));
      classes.push_back(c);
    }
  }
  out.labels = Eigen::Map<const Eigen::VectorXi>(classes.data(),
                                                 static_cast<Eigen::Index>(classes.size()));
  return out;
}

}  // namespace naive_bayes
