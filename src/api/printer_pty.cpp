// The printer pty's transport: the pty and its link, reading, writing, the busy keepalive (printer_pty.hpp).

#include "api/printer_pty.hpp"

#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include <asio/buffer.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <sys/stat.h>

#include "util/clock.hpp"

namespace rtstep::api {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Raw mode on the terminal: bytes pass unchanged both ways, nothing is echoed back to the host.
Status make_raw(int fd, const std::string& path) {
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0) return Error{path + ": tcgetattr: " + errno_text(errno)};
  ::cfmakeraw(&tio);
  if (::tcsetattr(fd, TCSANOW, &tio) != 0) return Error{path + ": tcsetattr: " + errno_text(errno)};
  return Ok{};
}

Status set_access(const std::string& path, const std::string& group) {
  mode_t mode = S_IRUSR | S_IWUSR;
  if (!group.empty()) {
    const struct group* g = ::getgrnam(group.c_str());
    if (g == nullptr) return Error{path + ": unknown group '" + group + "'"};
    if (::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      return Error{path + ": cannot give the pty to group '" + group + "': " + errno_text(errno)};
    }
    mode |= S_IRGRP | S_IWGRP;
  }
  if (::chmod(path.c_str(), mode) != 0) return Error{path + ": chmod: " + errno_text(errno)};
  return Ok{};
}

// Points `link` at `target` in one rename, refusing to replace anything but a symlink.
Status replace_link(const std::string& link, const std::string& target) {
  struct stat st {};
  if (::lstat(link.c_str(), &st) == 0 && !S_ISLNK(st.st_mode)) {
    return Error{link + ": exists and is not a symlink; not replacing it"};
  }
  const std::string tmp = link + ".tmp" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  if (::symlink(target.c_str(), tmp.c_str()) != 0) return Error{link + ": symlink: " + errno_text(errno)};
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error{link + ": rename: " + errno_text(err)};
  }
  return Ok{};
}

std::string read_link(const std::string& link) {
  std::array<char, 256> buf{};
  const ssize_t n = ::readlink(link.c_str(), buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

class PtyCore : public std::enable_shared_from_this<PtyCore> {
 public:
  PtyCore(std::shared_ptr<asio::io_context> io, Backend& backend, PrinterPtyOptions options)
      : io_(io),
        backend_(backend),
        options_(std::move(options)),
        protocol_(options_.protocol),
        master_(*io),
        busy_timer_(*io),
        retry_timer_(*io),
        id_(next_client_id()) {}

  Status open();
  void close();
  const std::string& slave_path() const noexcept { return slave_path_; }
  ClientId id() const noexcept { return id_; }

 private:
  Status open_pty();
  void read_more();
  void pump();
  void arm_busy();
  void flush();
  void write_more();

  std::weak_ptr<asio::io_context> io_;  // weak: see KlippyCore::io_
  Backend& backend_;
  PrinterPtyOptions options_;
  LineProtocol protocol_;
  asio::posix::stream_descriptor master_;
  asio::steady_timer busy_timer_;
  asio::steady_timer retry_timer_;
  ClientId id_;
  int slave_fd_ = -1;  // kept open so that the master never sees a hang-up when hosts close the link
  std::string slave_path_;
  std::array<char, 4096> read_buffer_{};
  std::string writing_;  // the write in flight
  std::string unwritten_;
  bool reading_ = false;
  bool open_ = false;
};

Status PtyCore::open_pty() {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return Error{"pty: posix_openpt: " + errno_text(errno)};
  std::array<char, 128> name{};
  if (::grantpt(master) != 0 || ::unlockpt(master) != 0 || ::ptsname_r(master, name.data(), name.size()) != 0) {
    const int err = errno;
    ::close(master);
    return Error{"pty: grantpt/unlockpt/ptsname: " + errno_text(err)};
  }
  slave_path_ = name.data();
  slave_fd_ = ::open(slave_path_.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_fd_ < 0) {
    const int err = errno;
    ::close(master);
    return Error{slave_path_ + ": " + errno_text(err)};
  }
  master_.assign(master);
  if (Status raw = make_raw(slave_fd_, slave_path_); !raw) return raw;
  return set_access(slave_path_, options_.group);
}

Status PtyCore::open() {
  if (open_) return Ok{};
  Status status = open_pty();
  if (status) status = replace_link(options_.link, slave_path_);
  if (!status) {
    std::error_code ignored;
    master_.close(ignored);
    if (slave_fd_ >= 0) ::close(slave_fd_);
    slave_fd_ = -1;
    return status;
  }
  open_ = true;
  backend_.subscribe_output(id_, [io = io_, weak = weak_from_this()](std::string line) {
    post_if_alive(io, [weak, line = std::move(line)] {
      const auto self = weak.lock();
      if (!self || !self->open_) return;
      self->protocol_.output_line(line);
      self->flush();
    });
  });
  read_more();
  return Ok{};
}

void PtyCore::close() {
  if (!open_) return;
  open_ = false;
  std::error_code ignored;
  busy_timer_.cancel();
  retry_timer_.cancel();
  master_.close(ignored);
  ::close(slave_fd_);
  slave_fd_ = -1;
  if (read_link(options_.link) == slave_path_) ::unlink(options_.link.c_str());
  backend_.client_closed(id_);
}

void PtyCore::read_more() {
  if (reading_ || !open_) return;
  reading_ = true;
  master_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
    self->reading_ = false;
    if (!self->open_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Not expected while the slave is held open; never spin on it.
      self->options_.log("printer pty: read failed: " + ec.message() + "; retrying in 1 s");
      self->retry_timer_.expires_after(std::chrono::seconds(1));
      self->retry_timer_.async_wait([self](std::error_code e) {
        if (!e) self->read_more();
      });
      return;
    }
    self->protocol_.feed(std::string_view(self->read_buffer_.data(), n));
    if (self->protocol_.take_emergency_stop()) self->backend_.emergency_stop("Shutdown due to M112 command");
    self->pump();
  });
}

// Starts the next command when none runs, writes what the protocol has to say, and reads on while the
// protocol has room for more lines.
void PtyCore::pump() {
  if (!open_) return;
  if (auto command = protocol_.next_command(monotonic_ns())) {
    ScriptDone done(
        [io = io_, weak = weak_from_this()](ScriptResult result) {
          post_if_alive(io, [weak, result = std::move(result)] {
            const auto self = weak.lock();
            if (!self || !self->open_) return;
            self->busy_timer_.cancel();
            self->protocol_.command_done(result);
            self->pump();
          });
        },
        ScriptResult{false, "Command dropped: rtstep stopped before running it", "", {}});
    backend_.run_script(ScriptRequest{id_, std::move(*command)}, std::move(done));
    arm_busy();
  }
  flush();
  if (protocol_.wants_input()) read_more();
}

void PtyCore::arm_busy() {
  const int64_t wait_ns = std::max<int64_t>(0, protocol_.next_busy_ns() - monotonic_ns());
  busy_timer_.expires_after(std::chrono::nanoseconds(wait_ns));
  busy_timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    const auto self = weak.lock();
    if (ec || !self || !self->open_ || !self->protocol_.running()) return;
    self->protocol_.tick(monotonic_ns());
    self->flush();
    self->arm_busy();
  });
}

void PtyCore::flush() {
  unwritten_ += protocol_.take_output();
  if (unwritten_.size() > options_.max_output_bytes) {
    options_.log("printer pty: the host does not read; dropped " + std::to_string(unwritten_.size()) +
                 " bytes of output");
    unwritten_.clear();
  }
  if (writing_.empty()) write_more();
}

void PtyCore::write_more() {
  if (unwritten_.empty() || !open_) return;
  writing_ = std::exchange(unwritten_, std::string());
  asio::async_write(master_, asio::buffer(writing_), [self = shared_from_this()](std::error_code ec, std::size_t) {
    self->writing_.clear();
    if (!self->open_ || ec == asio::error::operation_aborted) return;
    if (ec) self->options_.log("printer pty: write failed: " + ec.message());
    self->write_more();
  });
}

// ---- the facade ----

PrinterPty::PrinterPty(IoThread& io, Backend& backend, PrinterPtyOptions options)
    : io_(io.context()), core_(std::make_shared<PtyCore>(io_, backend, std::move(options))) {}

PrinterPty::~PrinterPty() { close(); }

Status PrinterPty::open() {
  Status result = Ok{};
  run_on(*io_, [&] { result = core_->open(); });
  return result;
}

void PrinterPty::close() {
  if (io_->stopped()) return;
  run_on(*io_, [&] { core_->close(); });
}

const std::string& PrinterPty::slave_path() const noexcept { return core_->slave_path(); }
ClientId PrinterPty::client_id() const noexcept { return core_->id(); }

}  // namespace rtstep::api
