// mlc/timer.hpp: wall-clock timing and a progress line with ETA for long loops.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <string_view>

namespace mlc {

class Timer {
 public:
  Timer() : start_(std::chrono::steady_clock::now()) {}
  void reset() { start_ = std::chrono::steady_clock::now(); }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Progress of a loop of `total` steps on stderr. On a terminal one line is redrawn with
// the rate and the estimated time left; otherwise a plain line is printed at every tenth
// of the way, so logs stay short.
//
//   mlc::Progress progress("epochs", epochs);
//   for (int e = 0; e < epochs; ++e) { ...; progress.update(e + 1, fmt::format("loss {:.3f}", l)); }
//   progress.finish();
class Progress {
 public:
  Progress(std::string what, long total);
  Progress(std::string what, long total, std::ostream& out, bool interactive);
  void update(long done, std::string_view status = {});
  void finish(std::string_view status = {});

 private:
  std::string what_;
  long total_;
  std::ostream* out_;
  bool interactive_;
  Timer timer_;
  long last_decile_ = -1;
  bool finished_ = false;
};

// "1.2 s", "3 min 05 s", for narratives and ETAs.
std::string format_duration(double seconds);

}  // namespace mlc
