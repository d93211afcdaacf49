#pragma once
// Shared by the fuzz targets: a check that stops the run with a message (libFuzzer then saves the input
// as a crash), and a private scratch directory for targets whose surface reads real files.
// Non-real-time; used only by the fuzz harnesses.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

// An invariant of the surface under test. A failure is a finding: print what broke and abort, so that
// libFuzzer records the input that led here.
#define FUZZ_CHECK(condition, ...)                                                 \
  do {                                                                             \
    if (!(condition)) {                                                            \
      std::fprintf(stderr, "fuzz invariant broken: %s (%s:%d)\n", #condition,      \
                   __FILE__, __LINE__);                                            \
      rtstep::fuzz::print_detail(__VA_ARGS__);                                     \
      std::abort();                                                                \
    }                                                                              \
  } while (false)

namespace rtstep::fuzz {

inline void print_detail() {}
// Prints `detail` with bytes that are not printable text escaped (\xNN), so a NUL or a control byte in a
// message shows instead of cutting it short.
inline void print_detail(std::string_view detail) {
  std::string shown;
  for (const char c : detail) {
    const auto u = static_cast<unsigned char>(c);
    if (u == '\n' || (u >= 0x20 && u < 0x7F)) {
      shown += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", u);
      shown += hex;
    }
  }
  std::fprintf(stderr, "  %s\n", shown.c_str());
}

// A directory of this process's own under /dev/shm (or the temp directory), removed at exit. Targets write their inputs there as
// the files a user would give (printer.cfg, a trace), because the surface under test opens paths.
class ScratchDir {
 public:
  ScratchDir() {
    // /dev/shm when there is one: a tmpfs, so the files cost no disk I/O per run.
    std::error_code ec;
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm") : std::filesystem::temp_directory_path();
    std::string pattern = (base / "rtstep-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("rtstep fuzz: mkdtemp");
      std::abort();
    }
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

  // Writes `bytes` to `name` in the directory (replacing it) and returns the full path.
  std::string write(const std::string& name, std::string_view bytes) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) {
      std::fprintf(stderr, "rtstep fuzz: cannot write %s\n", file.c_str());
      std::abort();
    }
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

// The process-wide scratch directory (created on first use, removed when the process exits normally).
inline const ScratchDir& scratch_dir() {
  static const ScratchDir dir;
  return dir;
}

inline bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace rtstep::fuzz
