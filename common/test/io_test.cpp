// Tests of the file and process helpers (mlc/io.hpp).
#include "mlc/io.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace {

// The descriptors this process holds, from /proc/self/fd (the iterator's own descriptor is
// the same one each time, so two listings compare equal when nothing leaked).
std::set<int> open_descriptors() {
  std::set<int> fds;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    fds.insert(std::stoi(entry.path().filename().string()));
  return fds;
}

TEST(RunProcess, CollectsOutputAndExitStatusAndFeedsStdin) {
  std::string output;
  EXPECT_EQ(mlc::run_process({"sh", "-c", "cat; exit 3"}, {}, &output, "hello\n"), 3);
  EXPECT_EQ(output, "hello\n");
  EXPECT_EQ(mlc::run_process({"/no/such/program"}, {}, &output), 127);
}

// A child that exits without reading its input: the write gets EPIPE (SIGPIPE would kill
// the caller). 1 MiB is far above a pipe's buffer, so the write cannot finish before the
// child exits, whatever the scheduling.
TEST(RunProcess, ChildThatExitsWithoutReadingStdinIsAnErrorNotACrash) {
  const auto before = open_descriptors();
  std::string output;
  EXPECT_EQ(mlc::run_process({"true"}, {}, &output, std::string(1 << 20, 'x')), -1);
  EXPECT_NE(output.find("before reading"), std::string::npos) << output;
  EXPECT_EQ(open_descriptors(), before);
}

// With the descriptor limit set so that the first pipe() succeeds and the second fails
// (EMFILE), run_process returns -1 and closes the first pipe.
TEST(RunProcess, ClosesEveryDescriptorWhenASecondPipeCannotBeCreated) {
  const auto before = open_descriptors();
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  // The smallest limit L with exactly three free descriptor numbers below it: one pipe
  // (two descriptors) fits, the second does not. `before` holds the listing's own
  // descriptor, free again now, hence two free numbers besides it.
  rlim_t limit = 0;
  for (rlim_t L = 1; L < 4096; ++L) {
    rlim_t used = 0;
    for (int fd : before) used += static_cast<rlim_t>(fd) < L ? 1 : 0;
    if (L - used == 2) {
      limit = L;
      break;
    }
  }
  ASSERT_GT(limit, 0u);
  rlimit tight = saved;
  tight.rlim_cur = limit;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &tight), 0);
  std::string output;
  const int status = mlc::run_process({"true"}, {}, &output);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_EQ(status, -1);
  EXPECT_EQ(open_descriptors(), before);
}

extern "C" void ignore_alarm(int) {}

// A signal handled without SA_RESTART interrupts read() and waitpid() with EINTR; an
// interval timer every 10 ms keeps interrupting while the child sleeps 0.3 s.
TEST(RunProcess, RetriesCallsInterruptedByASignal) {
  struct sigaction action {
  }, saved_action{};
  action.sa_handler = ignore_alarm;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART
  ASSERT_EQ(::sigaction(SIGALRM, &action, &saved_action), 0);
  itimerval every_10ms{{0, 10000}, {0, 10000}}, off{};
  ASSERT_EQ(::setitimer(ITIMER_REAL, &every_10ms, nullptr), 0);
  std::string output;
  const int status = mlc::run_process({"sh", "-c", "sleep 0.3; echo done"}, {}, &output);
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &saved_action, nullptr);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(output, "done\n");
}

}  // namespace
