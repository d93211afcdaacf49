#pragma once
// Small helpers for the sysfs files the thermal sources and outputs use: open once, read or write the
// whole value with pread/pwrite at offset 0, and errors that name the file and say what to do. Private to
// the thermal module. Non-real-time (system calls).

#include <string>

#include "util/result.hpp"

namespace rtstep::thermal::sysfs {

// A file descriptor that closes itself.
class File {
 public:
  File() = default;
  explicit File(int fd) : fd_(fd) {}
  File(File&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();
  int fd() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// "<what>: cannot open <path>: <strerror>" plus a hint for ENOENT and EACCES/EPERM.
std::string describe_errno(const std::string& what, const std::string& verb, const std::string& path, int err);

Result<File> open_read(const std::string& what, const std::string& path);
Result<File> open_write(const std::string& what, const std::string& path);
// The whole content (at most 4 KiB), re-read from offset 0.
Result<std::string> read_all(const std::string& what, const std::string& path, const File& file);
Status write_all(const std::string& what, const std::string& path, const File& file, const std::string& text);
// Opens, writes and closes (sysfs control files like "export").
Status write_file(const std::string& what, const std::string& path, const std::string& text);
bool exists(const std::string& path);
bool is_dir(const std::string& path);

}  // namespace rtstep::thermal::sysfs
