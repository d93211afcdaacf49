#pragma once
// Runs the built rtstep binary as a user does: a real process (fork + exec) with its stdin from a file or
// a pipe, its stdout and its stderr captured apart, and its exit status.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace rtstep::cli {

inline const std::string kRtstep = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";
inline const std::string kSource = RTSTEP_SOURCE_DIR;

struct Outcome {
  int code = -1;  // exit status; 128 + N when a signal N ended it
  std::string out, err;
};

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts rtstep with `args`; stdin from `stdin_fd` (duplicated in the child). Returns the pid; stdout and
// stderr go to `out_path` and `err_path`.
inline pid_t start_rtstep(const std::vector<std::string>& args, int stdin_fd, const std::string& out_path,
                          const std::string& err_path) {
  std::vector<std::string> argv_text{kRtstep};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0 || dup2(stdin_fd, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
        dup2(err, STDERR_FILENO) < 0) {
      _exit(126);
    }
    execv(kRtstep.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

inline int wait_status(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs rtstep to its end; stdin from `stdin_path` (default: empty).
inline Outcome run_rtstep(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null") {
  static int counter = 0;
  const std::string base = (std::filesystem::temp_directory_path() /
                            ("rtstep-cli-" + std::to_string(getpid()) + "-" + std::to_string(counter++)))
                               .string();
  const int in = open(stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
  const pid_t pid = start_rtstep(args, in, base + ".out", base + ".err");
  Outcome o;
  o.code = wait_status(pid);
  if (in >= 0) close(in);
  o.out = read_all(base + ".out");
  o.err = read_all(base + ".err");
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return o;
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace rtstep::cli
