// File and process helpers (mlc/io.hpp).
#include "mlc/io.hpp"

#include <fcntl.h>
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
    if (!out) throw std::runtime_error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
    out << content;
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("cannot write {}: disk full?", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    fs::remove(tmp);
    throw std::runtime_error(fmt::format("cannot rename {} to {}: {}", tmp.string(),
                                         file.string(), ec.message()));
  }
}

std::string read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw DataError(fmt::format("{}: cannot open file ({})", file.string(), std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                std::string* output, const std::string& stdin_text) {
  if (argv.empty()) return -1;
  int out_pipe[2], in_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(in_pipe) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(out_pipe[1], STDERR_FILENO);
    ::close(in_pipe[0]); ::close(in_pipe[1]); ::close(out_pipe[0]); ::close(out_pipe[1]);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  // Feed stdin (small scripts only; larger input would need a writer thread).
  std::size_t written = 0;
  while (written < stdin_text.size()) {
    const ssize_t w = ::write(in_pipe[1], stdin_text.data() + written, stdin_text.size() - written);
    if (w <= 0) break;
    written += static_cast<std::size_t>(w);
  }
  ::close(in_pipe[1]);
  std::string collected;
  char buffer[4096];
  ssize_t r;
  while ((r = ::read(out_pipe[0], buffer, sizeof buffer)) > 0) collected.append(buffer, static_cast<std::size_t>(r));
  ::close(out_pipe[0]);
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) return -1;
  if (output) *output = std::move(collected);
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
