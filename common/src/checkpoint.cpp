// mlc/checkpoint.hpp: the versioned, checksummed, atomically written training checkpoint.
#include "mlc/checkpoint.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include <fmt/format.h>
#include <zlib.h>

#include "mlc/error.hpp"
#include "mlc/io.hpp"

namespace mlc {
namespace {

constexpr char kMagic[8] = {'M', 'L', 'C', 'C', 'K', 'P', 'T', '1'};
constexpr std::size_t kHeaderBytes = 8 + 4 + 8 + 4;

template <class T>
void append(std::string& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

std::uint32_t crc32_of(const char* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {  // zlib takes at most 4 GiB per call
    const auto chunk = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<std::uint32_t>(crc);
}

std::string fix_hint(const std::filesystem::path& file) {
  return fmt::format("delete {} (or run without --resume) to start the training over",
                     file.string());
}

// Reads the payload strictly: every read is bounds-checked, so a damaged file that passed
// the CRC (it cannot, short of a collision) still ends in a DataError, never a crash.
class Reader {
 public:
  Reader(const std::string& bytes, std::size_t pos, const std::filesystem::path& source)
      : bytes_(bytes), pos_(pos), source_(source) {}
  template <class T>
  T take() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  std::string take_string(std::uint64_t size) {
    need(size);
    std::string s = bytes_.substr(pos_, static_cast<std::size_t>(size));
    pos_ += static_cast<std::size_t>(size);
    return s;
  }
  template <class T>
  std::vector<T> take_values(std::uint64_t rows, std::uint64_t cols) {
    if (cols != 0 && rows > std::numeric_limits<std::uint64_t>::max() / cols / sizeof(T)) {
      fail("a matrix size overflows");
    }
    const std::uint64_t count = rows * cols;
    need(count * sizeof(T));
    std::vector<T> values(static_cast<std::size_t>(count));
    if (count > 0) std::memcpy(values.data(), bytes_.data() + pos_, count * sizeof(T));
    pos_ += static_cast<std::size_t>(count * sizeof(T));
    return values;
  }
  bool at_end() const { return pos_ == bytes_.size(); }
  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(fmt::format("checkpoint {}: malformed payload ({}); {}", source_.string(), what,
                                fix_hint(source_)));
  }

 private:
  void need(std::uint64_t size) const {
    if (size > bytes_.size() - pos_) fail("an entry runs past the end");
  }
  const std::string& bytes_;
  std::size_t pos_;
  const std::filesystem::path& source_;
};

}  // namespace

void Checkpoint::put_int(const std::string& name, std::int64_t value) {
  Entry& e = entry_for_put(name);
  e.kind = Kind::kInt;
  e.i = value;
}

void Checkpoint::put_string(const std::string& name, const std::string& value) {
  Entry& e = entry_for_put(name);
  e.kind = Kind::kString;
  e.s = value;
}

Checkpoint::Entry& Checkpoint::entry_for_put(const std::string& name) {
  require(!name.empty(), "Checkpoint::put", "an entry needs a name");
  Entry& e = entries_[name];
  e = Entry{};
  return e;
}

const Checkpoint::Entry& Checkpoint::entry(const std::string& name, Kind kind) const {
  const std::string where = source_.empty() ? "in memory" : source_.string();
  const auto it = entries_.find(name);
  if (it == entries_.end()) {
    throw DataError(fmt::format(
        "checkpoint {} has no entry '{}': it was written by another configuration or program; {}",
        where, name, fix_hint(source_.empty() ? "the checkpoint" : source_)));
  }
  if (it->second.kind != kind) {
    throw DataError(fmt::format("checkpoint {}: entry '{}' holds another type; {}", where, name,
                                fix_hint(source_.empty() ? "the checkpoint" : source_)));
  }
  return it->second;
}

const Checkpoint::Entry& Checkpoint::matrix_entry(const std::string& name, Kind kind,
                                                  Eigen::Index rows, Eigen::Index cols) const {
  const Entry& e = entry(name, kind);
  if (e.rows != static_cast<std::uint64_t>(rows) || e.cols != static_cast<std::uint64_t>(cols)) {
    throw DataError(
        fmt::format("checkpoint {}: entry '{}' is {} × {}, the model expects {} × {} (another "
                    "configuration); {}",
                    source_.empty() ? "in memory" : source_.string(), name, e.rows, e.cols, rows,
                    cols, fix_hint(source_.empty() ? "the checkpoint" : source_)));
  }
  return e;
}

Eigen::MatrixXf Checkpoint::matrix_f(const std::string& name) const {
  const Entry& e = entry(name, Kind::kFloat);
  Eigen::MatrixXf m(static_cast<Eigen::Index>(e.rows), static_cast<Eigen::Index>(e.cols));
  get(name, m);
  return m;
}

Eigen::MatrixXd Checkpoint::matrix_d(const std::string& name) const {
  const Entry& e = entry(name, Kind::kDouble);
  Eigen::MatrixXd m(static_cast<Eigen::Index>(e.rows), static_cast<Eigen::Index>(e.cols));
  get(name, m);
  return m;
}

std::int64_t Checkpoint::get_int(const std::string& name) const {
  return entry(name, Kind::kInt).i;
}

std::string Checkpoint::get_string(const std::string& name) const {
  return entry(name, Kind::kString).s;
}

void Checkpoint::require_string(const std::string& name, const std::string& expected) const {
  const std::string actual = get_string(name);
  if (actual != expected) {
    throw DataError(fmt::format(
        "checkpoint {}: '{}' is '{}', this run needs '{}' (written by another configuration); {}",
        source_.empty() ? "in memory" : source_.string(), name, actual, expected,
        fix_hint(source_.empty() ? "the checkpoint" : source_)));
  }
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [name, e] : entries_) out.push_back(name);
  return out;
}

std::string Checkpoint::to_bytes() const {
  std::string payload;
  append(payload, static_cast<std::uint32_t>(entries_.size()));
  for (const auto& [name, e] : entries_) {
    append(payload, static_cast<std::uint8_t>(e.kind));
    append(payload, static_cast<std::uint32_t>(name.size()));
    payload += name;
    switch (e.kind) {
      case Kind::kFloat:
      case Kind::kDouble: {
        append(payload, e.rows);
        append(payload, e.cols);
        if (e.kind == Kind::kFloat) {
          payload.append(reinterpret_cast<const char*>(e.f.data()), e.f.size() * sizeof(float));
        } else {
          payload.append(reinterpret_cast<const char*>(e.d.data()), e.d.size() * sizeof(double));
        }
        break;
      }
      case Kind::kInt:
        append(payload, e.i);
        break;
      case Kind::kString:
        append(payload, static_cast<std::uint64_t>(e.s.size()));
        payload += e.s;
        break;
    }
  }
  std::string bytes(kMagic, sizeof kMagic);
  append(bytes, kVersion);
  append(bytes, static_cast<std::uint64_t>(payload.size()));
  append(bytes, crc32_of(payload.data(), payload.size()));
  return bytes + payload;
}

Checkpoint Checkpoint::from_bytes(const std::string& bytes, const std::filesystem::path& source) {
  const std::string file = source.string();
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    if (bytes.size() < sizeof kMagic && bytes.size() > 0 &&
        std::memcmp(bytes.data(), kMagic, bytes.size()) == 0) {
      throw DataError(fmt::format("checkpoint {} is truncated ({} bytes); {}", file, bytes.size(),
                                  fix_hint(source)));
    }
    throw DataError(
        fmt::format("{} is not a checkpoint of this curriculum (no MLCCKPT1 header); {}", file,
                    fix_hint(source)));
  }
  if (bytes.size() < kHeaderBytes) {
    throw DataError(fmt::format("checkpoint {} is truncated ({} bytes, the header alone is {}); {}",
                                file, bytes.size(), kHeaderBytes, fix_hint(source)));
  }
  Reader header(bytes, sizeof kMagic, source);
  const auto version = header.take<std::uint32_t>();
  const auto payload_bytes = header.take<std::uint64_t>();
  const auto crc = header.take<std::uint32_t>();
  if (version != kVersion) {
    throw DataError(
        fmt::format("checkpoint {} has format version {}, this build reads version {}; {}", file,
                    version, kVersion, fix_hint(source)));
  }
  if (payload_bytes != bytes.size() - kHeaderBytes) {
    throw DataError(fmt::format(
        "checkpoint {} is {}: its header announces {} payload bytes, the file holds {}; {}", file,
        payload_bytes > bytes.size() - kHeaderBytes ? "truncated" : "longer than written",
        payload_bytes, bytes.size() - kHeaderBytes, fix_hint(source)));
  }
  if (crc32_of(bytes.data() + kHeaderBytes, bytes.size() - kHeaderBytes) != crc) {
    throw DataError(
        fmt::format("checkpoint {} is corrupt (CRC-32 mismatch); {}", file, fix_hint(source)));
  }
  Checkpoint ck;
  ck.source_ = source;
  Reader r(bytes, kHeaderBytes, source);
  const auto count = r.take<std::uint32_t>();
  for (std::uint32_t k = 0; k < count; ++k) {
    const auto kind = r.take<std::uint8_t>();
    const auto name = r.take_string(r.take<std::uint32_t>());
    Entry e;
    switch (kind) {
      case static_cast<std::uint8_t>(Kind::kFloat):
      case static_cast<std::uint8_t>(Kind::kDouble):
        e.kind = static_cast<Kind>(kind);
        e.rows = r.take<std::uint64_t>();
        e.cols = r.take<std::uint64_t>();
        if (e.kind == Kind::kFloat) {
          e.f = r.take_values<float>(e.rows, e.cols);
        } else {
          e.d = r.take_values<double>(e.rows, e.cols);
        }
        break;
      case static_cast<std::uint8_t>(Kind::kInt):
        e.kind = Kind::kInt;
        e.i = r.take<std::int64_t>();
        break;
      case static_cast<std::uint8_t>(Kind::kString):
        e.kind = Kind::kString;
        e.s = r.take_string(r.take<std::uint64_t>());
        break;
      default:
        r.fail(fmt::format("entry '{}' has unknown kind {}", name, kind));
    }
    ck.entries_[name] = std::move(e);
  }
  if (!r.at_end()) r.fail("bytes after the last entry");
  return ck;
}

void Checkpoint::save(const std::filesystem::path& file) const {
  write_file_atomically(file, to_bytes());
}

Checkpoint Checkpoint::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw DataError(
        fmt::format("checkpoint {} cannot be read (missing or unreadable); run "
                    "without --resume to start the training from the beginning",
                    file.string()));
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return from_bytes(bytes, file);
}

}  // namespace mlc
