// The API socket: its file (mode, group, stale files), accepting clients, and the public facade
// (klippy_server.hpp). Request handling is in klippy_endpoints.cpp.

#include "api/klippy_server.hpp"

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>
#include <variant>

#include <asio/post.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "api/klippy_core.hpp"

namespace rtstep::api {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// True when a process accepts connections on the socket at `path`.
bool socket_is_live(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

// Clears the way for a new socket at `path`: removes a stale socket, refuses anything else.
Status clear_socket_path(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok{};
    return Error{path + ": " + errno_text(errno)};
  }
  if (!S_ISSOCK(st.st_mode)) return Error{path + ": exists and is not a socket; not removing it"};
  if (socket_is_live(path)) return Error{path + ": another process is serving on this socket"};
  if (::unlink(path.c_str()) != 0) return Error{path + ": cannot remove the stale socket: " + errno_text(errno)};
  return Ok{};
}

// Mode 0600, or 0660 with `group`; checked afterwards, since a socket anyone may write to moves the machine.
Status set_socket_access(const std::string& path, const std::string& group) {
  mode_t mode = S_IRUSR | S_IWUSR;
  if (!group.empty()) {
    const struct group* g = ::getgrnam(group.c_str());  // init only: the API thread is the only caller
    if (g == nullptr) return Error{path + ": unknown group '" + group + "'"};
    if (::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      return Error{path + ": cannot give the socket to group '" + group + "': " + errno_text(errno)};
    }
    mode |= S_IRGRP | S_IWGRP;
  }
  if (::chmod(path.c_str(), mode) != 0) return Error{path + ": chmod: " + errno_text(errno)};
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & S_IWOTH) != 0) {
    return Error{path + ": the socket is writable by every user; refusing to serve on it"};
  }
  return Ok{};
}

}  // namespace

KlippyCore::KlippyCore(std::shared_ptr<asio::io_context> io, Backend& backend, KlippyServerOptions options)
    : io_(io),
      context_(*io),
      backend_(backend),
      options_(std::move(options)),
      subscriptions_(options_.update_period_ns),
      poll_timer_(*io),
      accept_retry_(*io) {}

Status KlippyCore::open() {
  if (acceptor_) return Ok{};
  const std::string& path = options_.path;
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Error{"API socket path '" + path + "': empty or longer than " +
                 std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes"};
  }
  if (Status cleared = clear_socket_path(path); !cleared) return cleared;
  asio::local::stream_protocol::acceptor acceptor(context_);
  std::error_code ec;
  acceptor.open(asio::local::stream_protocol(), ec);
  // fchmod before bind: Linux creates the socket file with this mode (minus the umask), so the file is
  // never reachable by others, not even between bind and chmod.
  if (!ec && ::fchmod(acceptor.native_handle(), S_IRUSR | S_IWUSR) != 0) ec.assign(errno, std::system_category());
  if (!ec) acceptor.bind(asio::local::stream_protocol::endpoint(path), ec);
  if (ec) return Error{path + ": cannot create the API socket: " + ec.message()};
  if (Status access = set_socket_access(path, options_.group); !access) {
    acceptor.close(ec);
    ::unlink(path.c_str());
    return access;
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    ::unlink(path.c_str());
    return Error{path + ": listen: " + ec.message()};
  }
  acceptor_.emplace(std::move(acceptor));
  if (output_id_ == 0) {
    // One output subscription for the whole server; it fans the lines out to the subscribed clients.
    output_id_ = next_client_id();
    backend_.subscribe_output(output_id_, [io = io_, weak = weak_from_this()](std::string line) {
      post_if_alive(io, [weak, line = std::move(line)] {
        const auto core = weak.lock();
        if (!core) return;
        // send() may drop a client that does not read, which edits both maps: work on a copy.
        const auto templates = core->output_templates_;
        for (const auto& [id, tmpl] : templates) {
          const auto it = core->sessions_.find(id);
          if (it == core->sessions_.end()) continue;
          Json message = tmpl;
          message["params"] = Json{{"response", line}};
          it->second->send(message);
        }
      });
    });
  }
  accept_next();
  return Ok{};
}

void KlippyCore::accept_next() {
  if (!acceptor_) return;
  acceptor_->async_accept([weak = weak_from_this()](std::error_code ec, KlippySession::Socket socket) {
    const auto self = weak.lock();
    if (!self || !self->acceptor_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      const ClientId id = next_client_id();
      SessionLimits limits{self->options_.max_message_bytes, self->options_.max_output_bytes};
      auto session = std::make_shared<KlippySession>(std::move(socket), id, limits, self);
      self->sessions_[id] = session;
      self->client_count.store(self->sessions_.size(), std::memory_order_relaxed);
      session->start();
      self->accept_next();
      return;
    }
    // Out of descriptors, say: retry later rather than spin on an accept that fails at once.
    self->options_.log("klippy api: accept failed: " + ec.message() + "; retrying in 100 ms");
    self->accept_retry_.expires_after(std::chrono::milliseconds(100));
    self->accept_retry_.async_wait([weak](std::error_code e) {
      if (const auto again = weak.lock(); again && !e) again->accept_next();
    });
  });
}

void KlippyCore::close_all(const std::string& reason) {
  accept_retry_.cancel();
  if (acceptor_) {
    std::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
    ::unlink(options_.path.c_str());
  }
  // close() reports back through on_closed, which erases from sessions_: iterate over a copy.
  const auto sessions = sessions_;
  for (const auto& [id, session] : sessions) session->close(reason);
}

void KlippyCore::shutdown() {
  close_all("server closing");
  poll_timer_.cancel();
  if (output_id_ != 0) {
    backend_.client_closed(output_id_);
    output_id_ = 0;
  }
}

void KlippyCore::on_message(KlippySession& session, std::string message) {
  auto parsed = parse_request(message);
  if (auto* error = std::get_if<RequestError>(&parsed)) {
    options_.log("klippy api: client " + std::to_string(session.id()) + ": request skipped: " + error->message);
    if (!error->id.is_null()) session.send(make_error(error->id, error->message));
    return;
  }
  const auto it = sessions_.find(session.id());
  if (it == sessions_.end()) return;
  dispatch(it->second, std::move(std::get<ParsedRequest>(parsed)));
}

void KlippyCore::on_closed(KlippySession& session, const std::string& reason) {
  const ClientId id = session.id();
  if (!reason.empty()) options_.log("klippy api: client " + std::to_string(id) + " dropped: " + reason);
  sessions_.erase(id);
  output_templates_.erase(id);
  subscriptions_.unsubscribe(id);
  client_count.store(sessions_.size(), std::memory_order_relaxed);
  backend_.client_closed(id);
}

// ---- the facade ----

KlippyServer::KlippyServer(IoThread& io, Backend& backend, KlippyServerOptions options)
    : io_(io.context()), core_(std::make_shared<KlippyCore>(io_, backend, std::move(options))) {}

KlippyServer::~KlippyServer() { close(); }

Status KlippyServer::open() {
  Status result = Ok{};
  run_on(*io_, [&] { result = core_->open(); });
  return result;
}

Status KlippyServer::restart() {
  Status result = Ok{};
  run_on(*io_, [&] {
    core_->close_all("server restarting");
    result = core_->open();
  });
  return result;
}

void KlippyServer::close() {
  if (io_->stopped()) return;
  run_on(*io_, [&] { core_->shutdown(); });
}

void KlippyServer::publish(HostStatus status) {
  asio::post(*io_, [core = core_, status = std::move(status)]() mutable { core->set_host(std::move(status)); });
}

std::size_t KlippyServer::client_count() const noexcept { return core_->client_count.load(std::memory_order_relaxed); }

const std::string& KlippyServer::path() const noexcept { return core_->options().path; }

}  // namespace rtstep::api
