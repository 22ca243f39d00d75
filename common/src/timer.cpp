// Progress line with ETA (mlc/timer.hpp).
#include "mlc/timer.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

namespace mlc {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return fmt::format("{:.1f} s", seconds);
  const long s = std::lround(seconds);
  return fmt::format("{} min {:02} s", s / 60, s % 60);
}

Progress::Progress(std::string what, long total)
    : Progress(std::move(what), total, std::cerr, ::isatty(STDERR_FILENO) == 1) {}

Progress::Progress(std::string what, long total, std::ostream& out, bool interactive)
    : what_(std::move(what)), total_(total > 0 ? total : 1), out_(&out), interactive_(interactive) {}

void Progress::update(long done, std::string_view status) {
  const double elapsed = timer_.seconds();
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const double eta = done > 0 ? elapsed * (1.0 - fraction) / fraction : NAN;
  const std::string line = fmt::format("  {} {}/{} ({:3.0f}%)  {}  ETA {}", what_, done, total_,
                                       100.0 * fraction, status, format_duration(eta));
  if (interactive_) {
    *out_ << "\r" << line << "\033[K" << std::flush;
  } else {
    const long decile = static_cast<long>(std::floor(10.0 * fraction));
    if (decile != last_decile_) {
      last_decile_ = decile;
      *out_ << line << "\n";
    }
  }
}

void Progress::finish(std::string_view status) {
  if (finished_) return;
  finished_ = true;
  const std::string line = fmt::format("  {} done in {}  {}", what_, format_duration(timer_.seconds()), status);
  if (interactive_) *out_ << "\r" << line << "\033[K\n" << std::flush;
  else *out_ << line << "\n";
}

}  // namespace mlc
