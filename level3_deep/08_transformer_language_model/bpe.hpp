// bpe.hpp: a byte-pair-encoding tokenizer (Sennrich, Haddow & Birch, "Neural machine
// translation of rare words with subword units", ACL 2016; Gage, "A new algorithm for data
// compression", C Users Journal, 1994), learned on the training text from its characters.
// Equation numbers (n) refer to NOTES.md.
//
// Training (14): start from the text as a sequence of character ids; repeatedly count every
// adjacent pair (a, b), take the most frequent one (ties: the smallest (a, b)), give it a new
// id and replace its occurrences left to right; stop at the requested vocabulary size or
// when no pair occurs twice. Encoding applies the merges in the order they were learned,
// which reproduces the training text's segmentation exactly. Merges may cross spaces (no
// pre-tokenization into words, unlike GPT-2's byte-level BPE): a simplification, said in
// NOTES.md.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

namespace transformer_language_model {

class Bpe {
 public:
  // Learns merges on `text` until the vocabulary (characters + merges) has `vocabulary`
  // tokens, or no pair occurs twice. The alphabet is the characters of `text` and of
  // `alphabet` (merges learned on a prefix of a corpus can still encode all of it).
  static Bpe train(const std::string& text, Eigen::Index vocabulary,
                   const std::string& alphabet = "");

  Eigen::VectorXi encode(const std::string& text) const;  // DataError on an unknown character
  std::string decode(const Eigen::Ref<const Eigen::VectorXi>& tokens) const;

  Eigen::Index size() const { return static_cast<Eigen::Index>(strings_.size()); }
  const std::string& token(int id) const { return strings_[static_cast<std::size_t>(id)]; }
  const std::vector<std::pair<int, int>>& merges() const { return merges_; }

 private:
  std::vector<int> char_id_;                 // byte → initial id, −1 where absent
  std::vector<std::string> strings_;         // id → the text it stands for
  std::vector<std::pair<int, int>> merges_;  // merge r makes id (alphabet size + r)
  int alphabet_ = 0;
};

// Replaces every non-overlapping occurrence of (a, b), left to right, by `merged`, in place.
void merge_pair(std::vector<int>& ids, int a, int b, int merged);

}  // namespace transformer_language_model
