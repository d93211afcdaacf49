// The bridge between `rtstep hal` and the tools its child processes run (see tool_socket.hpp).
//
// The wire: the client sends a 4-byte length with its descriptors 0, 1 and 2 attached (SCM_RIGHTS), then
// that many bytes: the tool's name and its arguments, each ended by '\0'. The server answers with the
// tool's exit status as 4 bytes.
#include "hal/tool_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace rtstep::hal {

namespace {

constexpr int kPollSliceMs = 100;
constexpr uint32_t kMaxRequest = 1 << 16;

std::string errno_text(int err) { return std::strerror(err); }

bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool read_all(int fd, char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, data, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    data += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// Receives the length word and the three descriptors; false when the client sent something else.
bool receive_header(int conn, uint32_t& length, int (&fds)[3]) {
  char control[CMSG_SPACE(sizeof(int) * 3)] = {};
  iovec iov{&length, sizeof length};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r = 0;
  do {
    r = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  const cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (r != static_cast<ssize_t>(sizeof length) || c == nullptr || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int) * 3)) {
    if (c != nullptr && c->cmsg_type == SCM_RIGHTS) {  // close whatever arrived
      const std::size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < n; ++i) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        ::close(fd);
      }
    }
    return false;
  }
  std::memcpy(fds, CMSG_DATA(c), sizeof(int) * 3);
  return true;
}

// Splits "a\0b\0" into its words.
std::vector<std::string> split_words(const std::string& payload) {
  std::vector<std::string> words;
  std::size_t start = 0;
  for (std::size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] == '\0') {
      words.push_back(payload.substr(start, i - start));
      start = i + 1;
    }
  }
  return words;
}

// Quotes a path for a /bin/sh script.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

// --- FdInBuf / FdOutBuf ---

FdInBuf::int_type FdInBuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  for (;;) {
    if (stop_ != nullptr && stop_->load(std::memory_order_acquire)) return traits_type::eof();
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, kPollSliceMs);
    if (ready < 0 && errno != EINTR) return traits_type::eof();
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd_, buf_, sizeof buf_);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return traits_type::eof();
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(*gptr());
  }
}

bool FdOutBuf::flush_buffer() {
  const bool ok = write_all(fd_, pbase(), static_cast<std::size_t>(pptr() - pbase()));
  setp(buf_, buf_ + sizeof buf_);
  return ok;
}

FdOutBuf::int_type FdOutBuf::overflow(int_type c) {
  if (!flush_buffer()) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

int FdOutBuf::sync() { return flush_buffer() ? 0 : -1; }

// --- ToolServer ---

Result<std::unique_ptr<ToolServer>> ToolServer::start(std::span<const std::string> tools, const std::string& executable,
                                                      Runner runner) {
  // The tools write to other processes' pipes; one that closes early must end the tool, not this process.
  ::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<ToolServer> s(new ToolServer());
  s->runner_ = std::move(runner);
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/rtstep-hal.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    return Error{"cannot make a directory for the HAL tools in " + templ + ": " + errno_text(errno)};
  }
  s->dir_ = templ;
  for (const std::string& tool : tools) {
    const std::string path = s->dir_ + "/" + tool;
    std::ofstream f(path);
    f << "#!/bin/sh\n# rtstep's " << tool << ": runs on the HAL of the rtstep hal that started this process\n"
      << "exec " << shell_quote(executable) << " hal --user-tool " << tool << " -- \"$@\"\n";
    f.close();
    s->files_.push_back(path);
    if (!f || ::chmod(path.c_str(), 0700) != 0) return Error{"cannot write the HAL tool script " + path};
  }
  s->socket_path_ = s->dir_ + "/hal.sock";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (s->socket_path_.size() >= sizeof addr.sun_path) return Error{"socket path too long: " + s->socket_path_};
  std::memcpy(addr.sun_path, s->socket_path_.c_str(), s->socket_path_.size() + 1);
  s->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->listen_fd_ < 0 || ::bind(s->listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(s->listen_fd_, 16) != 0) {
    return Error{"cannot listen on " + s->socket_path_ + ": " + errno_text(errno)};
  }
  s->files_.push_back(s->socket_path_);
  s->acceptor_ = std::thread([raw = s.get()] { raw->accept_loop(); });
  return s;
}

ToolServer::~ToolServer() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (const std::string& f : files_) ::unlink(f.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

void ToolServer::stop() {
  stop_.store(true, std::memory_order_release);
  if (acceptor_.joinable()) acceptor_.join();
  for (std::thread& t : connections_) {
    if (t.joinable()) t.join();
  }
  connections_.clear();
}

std::vector<std::string> ToolServer::child_environment() const {
  const char* path = std::getenv("PATH");
  return {"PATH=" + dir_ + ":" + (path != nullptr ? path : "/usr/bin:/bin"),
          std::string(kToolSocketEnv) + "=" + socket_path_};
}

void ToolServer::accept_loop() {
  while (!stop_.load(std::memory_order_acquire)) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, kPollSliceMs) <= 0) continue;
    const int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    connections_.emplace_back([this, conn] { serve(conn); });
  }
}

// One client: its request, the tool on its descriptors, the status back.
void ToolServer::serve(int conn) {
  uint32_t length = 0;
  int fds[3] = {-1, -1, -1};
  int status = 1;
  if (receive_header(conn, length, fds)) {
    std::string payload(length <= kMaxRequest ? length : 0, '\0');
    if (length <= kMaxRequest && read_all(conn, payload.data(), payload.size())) {
      const std::vector<std::string> argv = split_words(payload);
      if (!argv.empty()) status = runner_(argv, fds[0], fds[1], fds[2], stop_);
    }
    for (int fd : fds) ::close(fd);
  }
  const int32_t reply = status;
  (void)write_all(conn, reinterpret_cast<const char*>(&reply), sizeof reply);
  ::close(conn);
}

// --- client ---

int run_tool_client(const std::string& tool, std::span<const std::string> args) {
  const char* path = std::getenv(kToolSocketEnv);
  if (path == nullptr || *path == '\0') {
    std::fprintf(stderr,
                 "%s: rtstep's HAL lives inside `rtstep hal`; run this tool from a program that `loadusr` starts "
                 "there, or as `loadusr %s` in the .hal file\n",
                 tool.c_str(), tool.c_str());
    return 1;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "%s: cannot reach rtstep hal at %s: %s\n", tool.c_str(), path, std::strerror(errno));
    return 1;
  }
  std::string payload = tool + '\0';
  for (const std::string& a : args) payload += a + '\0';
  uint32_t length = static_cast<uint32_t>(payload.size());
  const int fds[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
  char control[CMSG_SPACE(sizeof fds)] = {};
  iovec iov{&length, sizeof length};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  std::memcpy(CMSG_DATA(c), fds, sizeof fds);
  int32_t status = 1;
  if (::sendmsg(fd, &msg, 0) != static_cast<ssize_t>(sizeof length) ||
      !write_all(fd, payload.data(), payload.size()) ||
      !read_all(fd, reinterpret_cast<char*>(&status), sizeof status)) {
    std::fprintf(stderr, "%s: rtstep hal went away\n", tool.c_str());
    status = 1;
  }
  ::close(fd);
  return status;
}

}  // namespace rtstep::hal
