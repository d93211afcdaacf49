// MmioRegion: a shared mapping of a register window (a GPIO device node, or a file standing in for it).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "gpio/hardware.hpp"

namespace rtstep::gpio {
namespace {

std::string open_advice(const std::string& path, int err) {
  if (err == ENOENT) return path + " does not exist: is this the right board, and is the GPIO driver loaded?";
  if (err == EACCES || err == EPERM) {
    return path + ": permission denied: add the user to the gpio group (usermod -aG gpio $USER) or add a udev "
           "rule giving the group access, or run as root";
  }
  return path + ": " + std::strerror(err);
}

}  // namespace

Result<MmioRegion> MmioRegion::map(const std::string& path, std::size_t bytes) {
  const int fd = ::open(path.c_str(), O_RDWR | O_SYNC | O_CLOEXEC);
  if (fd < 0) return Error{open_advice(path, errno)};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) < bytes) {
    ::close(fd);
    return Error{path + ": " + std::to_string(st.st_size) + " bytes, the register window needs " +
                 std::to_string(bytes)};
  }
  void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int err = errno;
  ::close(fd);  // the mapping stays valid without the descriptor
  if (base == MAP_FAILED) return Error{path + ": mmap of " + std::to_string(bytes) + " bytes failed: " + std::strerror(err)};
  return MmioRegion(path, base, bytes);
}

MmioRegion::MmioRegion(std::string path, void* base, std::size_t bytes) noexcept
    : path_(std::move(path)), base_(base), bytes_(bytes) {}

MmioRegion::MmioRegion(MmioRegion&& other) noexcept
    : path_(std::move(other.path_)), base_(std::exchange(other.base_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

MmioRegion& MmioRegion::operator=(MmioRegion&& other) noexcept {
  if (this != &other) {
    if (base_ != nullptr) ::munmap(base_, bytes_);
    path_ = std::move(other.path_);
    base_ = std::exchange(other.base_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

MmioRegion::~MmioRegion() {
  if (base_ != nullptr) ::munmap(base_, bytes_);
}

volatile uint32_t* MmioRegion::reg(std::size_t offset) const noexcept {
  return reinterpret_cast<volatile uint32_t*>(static_cast<char*>(base_) + offset);
}

}  // namespace rtstep::gpio
