// mlc/io.hpp: file helpers shared by the readers, the figures and the report.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mlc {

// Writes `content` to `file` atomically: a temporary file in the same folder, then rename.
// A run that is killed leaves either the old file or the new one, never half of one.
// Creates the parent folder. Throws std::runtime_error naming the file on failure.
void write_file_atomically(const std::filesystem::path& file, const std::string& content);

// The whole file as a string; DataError naming the file when it cannot be read.
std::string read_text_file(const std::filesystem::path& file);

// Runs `argv` (no shell) in folder `cwd`, optionally feeding `stdin_text`; returns the exit
// status (127 if the program cannot be executed, 128 + N if signal N ended it) and fills
// `output` with stdout and stderr together. Returns -1 if the pipes or the process could
// not be created, or if the child exited before reading all of `stdin_text` (`output`
// then ends with a line saying so). Closes every descriptor it opens on every path,
// retries calls interrupted by a signal (EINTR) and ignores SIGPIPE while it writes.
int run_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                std::string* output, const std::string& stdin_text = "");

// Whether an executable is on PATH.
bool program_on_path(const std::string& name);

}  // namespace mlc
