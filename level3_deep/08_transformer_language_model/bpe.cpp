// bpe.cpp: byte-pair encoding, training (14), encoding and decoding. See bpe.hpp.
#include "bpe.hpp"

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace transformer_language_model {

void merge_pair(std::vector<int>& ids, int a, int b, int merged) {
  std::size_t out = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i + 1 < ids.size() && ids[i] == a && ids[i + 1] == b) {
      ids[out++] = merged;
      ++i;  // the pair is consumed: "aaa" with (a, a) gives [aa, a]
    } else {
      ids[out++] = ids[i];
    }
  }
  ids.resize(out);
}

Bpe Bpe::train(const std::string& text, Eigen::Index vocabulary, const std::string& alphabet) {
  mlc::require(!text.empty(), "Bpe::train", "empty text");
  Bpe bpe;
  bpe.char_id_.assign(256, -1);
  std::vector<bool> seen(256, false);
  for (unsigned char ch : text) seen[ch] = true;
  for (unsigned char ch : alphabet) seen[ch] = true;
  for (int ch = 0; ch < 256; ++ch) {
    if (!seen[static_cast<std::size_t>(ch)]) continue;
    bpe.char_id_[static_cast<std::size_t>(ch)] = static_cast<int>(bpe.strings_.size());
    bpe.strings_.emplace_back(1, static_cast<char>(ch));
  }
  bpe.alphabet_ = static_cast<int>(bpe.strings_.size());
  std::vector<int> ids(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    ids[i] = bpe.char_id_[static_cast<unsigned char>(text[i])];
  }
  const std::size_t V = static_cast<std::size_t>(std::max<Eigen::Index>(vocabulary, bpe.size()));
  std::vector<int> counts(V * V);  // counts[a·V + b]: occurrences of the pair (a, b)
  while (static_cast<std::size_t>(bpe.size()) < V) {
    // BEGIN EXERCISE bpe_merge: (14) count adjacent pairs, merge the most frequent one
    std::fill(counts.begin(), counts.end(), 0);
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
      ++counts[static_cast<std::size_t>(ids[i]) * V + static_cast<std::size_t>(ids[i + 1])];
    }
    std::size_t best = 0;  // the first maximum in (a, b) order: ties go to the smallest pair
    for (std::size_t p = 1; p < counts.size(); ++p) {
      if (counts[p] > counts[best]) best = p;
    }
    if (counts[best] < 2) break;  // no pair repeats: merging saves nothing
    const int a = static_cast<int>(best / V), b = static_cast<int>(best % V);
    const int merged = static_cast<int>(bpe.strings_.size());
    merge_pair(ids, a, b, merged);
    bpe.merges_.emplace_back(a, b);
    bpe.strings_.push_back(bpe.strings_[static_cast<std::size_t>(a)] +
                           bpe.strings_[static_cast<std::size_t>(b)]);
    // END EXERCISE
  }
  return bpe;
}

Eigen::VectorXi Bpe::encode(const std::string& text) const {
  std::vector<int> ids(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    ids[i] = char_id_[static_cast<unsigned char>(text[i])];
    if (ids[i] < 0) {
      throw mlc::DataError(fmt::format(
          "character code {} at offset {} is not in the tokenizer's alphabet (learned from the "
          "training text): encode text of the same corpus",
          static_cast<int>(static_cast<unsigned char>(text[i])), i));
    }
  }
  // The merges in the order they were learned, each over the whole sequence (14)
  for (std::size_t r = 0; r < merges_.size(); ++r) {
    merge_pair(ids, merges_[r].first, merges_[r].second, alphabet_ + static_cast<int>(r));
  }
  return Eigen::Map<const Eigen::VectorXi>(ids.data(), static_cast<Eigen::Index>(ids.size()));
}

std::string Bpe::decode(const Eigen::Ref<const Eigen::VectorXi>& tokens) const {
  std::string out;
  for (Eigen::Index i = 0; i < tokens.size(); ++i) {
    mlc::require(tokens(i) >= 0 && tokens(i) < size(), "Bpe::decode", "token id out of range");
    out += strings_[static_cast<std::size_t>(tokens(i))];
  }
  return out;
}

}  // namespace transformer_language_model
