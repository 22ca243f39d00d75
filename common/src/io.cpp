// File and process helpers (mlc/io.hpp).
#include "mlc/io.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "mlc/error.hpp"

namespace mlc {

void write_file_atomically(const std::filesystem::path& file, const std::string& content) {
  namespace fs = std::filesystem;
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  const fs::path tmp = file.string() + fmt::format(".tmp.{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      throw std::runtime_error(
          fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
    out << content;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}: disk full?", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp);
    throw std::runtime_error(
        fmt::format("cannot rename {} to {}: {}", tmp.string(), file.string(), ec.message()));
  }
}

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw DataError(fmt::format("{}: cannot open file ({})", file.string(), std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// Closes a descriptor once; -1 means already closed.
void close_descriptor(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// SIGPIPE ignored while the object lives, so that a write to a pipe whose reader has gone
// fails with EPIPE instead of killing the process; the disposition is process-wide, and
// the previous one is restored after.
class ScopedIgnoreSigpipe {
 public:
  ScopedIgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    installed_ = ::sigaction(SIGPIPE, &ignore, &saved_) == 0;
  }
  ~ScopedIgnoreSigpipe() {
    if (installed_) ::sigaction(SIGPIPE, &saved_, nullptr);
  }
  ScopedIgnoreSigpipe(const ScopedIgnoreSigpipe&) = delete;
  ScopedIgnoreSigpipe& operator=(const ScopedIgnoreSigpipe&) = delete;

 private:
  struct sigaction saved_ {};
  bool installed_ = false;
};

}  // namespace

int run_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                std::string* output, const std::string& stdin_text) {
  if (argv.empty()) return -1;
  int out_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int* fd : {&out_pipe[0], &out_pipe[1], &in_pipe[0], &in_pipe[1]}) close_descriptor(*fd);
  };
  // O_CLOEXEC: a process started by another thread meanwhile does not inherit our ends.
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(in_pipe, O_CLOEXEC) != 0) {
    close_all();
    return -1;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    close_all();
    return -1;
  }
  if (pid == 0) {
    // dup2 clears O_CLOEXEC on the copies; the originals close at exec.
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(out_pipe[1], STDERR_FILENO);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  close_descriptor(in_pipe[0]);
  close_descriptor(out_pipe[1]);
  // Feed stdin (small scripts only; larger input would need a writer thread). A child that
  // exits without reading all of it makes the write fail with EPIPE: an error, not SIGPIPE.
  std::size_t written = 0;
  int write_errno = 0;
  {
    ScopedIgnoreSigpipe no_sigpipe;
    while (written < stdin_text.size()) {
      const ssize_t w =
          ::write(in_pipe[1], stdin_text.data() + written, stdin_text.size() - written);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        write_errno = w < 0 ? errno : EIO;
        break;
      }
      written += static_cast<std::size_t>(w);
    }
  }
  close_descriptor(in_pipe[1]);
  std::string collected;
  char buffer[4096];
  int read_errno = 0;
  for (;;) {
    const ssize_t r = ::read(out_pipe[0], buffer, sizeof buffer);
    if (r > 0) {
      collected.append(buffer, static_cast<std::size_t>(r));
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      if (r < 0) read_errno = errno;
      break;
    }
  }
  close_descriptor(out_pipe[0]);
  int status = 0;
  pid_t waited;
  do {
    waited = ::waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (write_errno != 0) {
    collected += fmt::format(
        "\n[run_process: {} exited before reading its input ({} of {} bytes written: {})]\n",
        argv[0], written, stdin_text.size(), std::strerror(write_errno));
  }
  if (read_errno != 0) {
    collected += fmt::format("\n[run_process: reading the output of {} failed: {}]\n", argv[0],
                             std::strerror(read_errno));
  }
  if (output) *output = std::move(collected);
  if (waited < 0 || write_errno != 0 || read_errno != 0) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

bool program_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    const auto candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace mlc
