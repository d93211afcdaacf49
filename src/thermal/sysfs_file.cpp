// sysfs file helpers (see sysfs_file.hpp).

#include "thermal/sysfs_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <sys/stat.h>

namespace rtstep::thermal::sysfs {

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

std::string describe_errno(const std::string& what, const std::string& verb, const std::string& path, int err) {
  std::string msg = what + ": cannot " + verb + " " + path + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM) {
    msg +=
        " (permission denied: run rtstep as a user allowed to access it, e.g. with a udev rule giving the "
        "group read/write access, or as root)";
  } else if (err == ENOENT) {
    msg += " (no such file: check the device is present and its kernel driver or overlay is loaded)";
  }
  return msg;
}

Result<File> open_read(const std::string& what, const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{describe_errno(what, "open", path, errno)};
  return File(fd);
}

Result<File> open_write(const std::string& what, const std::string& path) {
  // O_TRUNC: a fixture tree's regular files must lose their old, longer value; sysfs ignores it.
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return Error{describe_errno(what, "open", path, errno)};
  return File(fd);
}

Result<std::string> read_all(const std::string& what, const std::string& path, const File& file) {
  char buf[4096];
  const ssize_t n = ::pread(file.fd(), buf, sizeof buf - 1, 0);
  if (n < 0) return Error{describe_errno(what, "read", path, errno)};
  return std::string(buf, static_cast<size_t>(n));
}

Status write_all(const std::string& what, const std::string& path, const File& file, const std::string& text) {
  if (::ftruncate(file.fd(), 0) != 0 && errno != EINVAL) {
    // sysfs attributes refuse truncation with EINVAL; anything else is a real failure.
    return Error{describe_errno(what, "write", path, errno)};
  }
  const ssize_t n = ::pwrite(file.fd(), text.data(), text.size(), 0);
  if (n < 0) return Error{describe_errno(what, "write", path, errno)};
  if (static_cast<size_t>(n) != text.size()) return Error{what + ": short write to " + path};
  return Ok{};
}

Status write_file(const std::string& what, const std::string& path, const std::string& text) {
  auto file = open_write(what, path);
  if (!file) return file.error();
  return write_all(what, path, file.value(), text);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace rtstep::thermal::sysfs
