#pragma once
// The test's peer for the servers: a small controller stand-in that answers M105 with fixed temperatures,
// holds "LONG" until the test releases it, records every script, and keeps the pushes the servers hand it.
// Plus a blocking Unix-socket client, a temporary directory and a wait-with-timeout helper.

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <sys/un.h>

#include "api/api.hpp"

namespace rtstep::api::testing {

// Generous: the machine is a loaded 2-core VM; nothing asserts how fast, only that it happens.
inline constexpr auto kTimeout = std::chrono::seconds(20);

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "rtstep-api-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

// Log lines, collected from the API thread.
class LogSink {
 public:
  LogFn fn() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    };
  }
  bool contains(const std::string& text) const {
    std::lock_guard lock(mutex_);
    for (const auto& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string all() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& line : lines_) out += line + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

class FakeBackend : public Backend {
 public:
  void submit(Request request, Reply reply) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request.method);
    if (request.method == "drop") return;  // the Reply goes out of scope unanswered
    if (request.method == "pause_resume/pause") return reply(Json::object());
    reply(Error{"unexpected " + request.method});
  }

  void run_script(ScriptRequest request, ScriptDone done) override {
    std::unique_lock lock(mutex_);
    scripts_.push_back(request.script);
    if (request.script == "LONG") {
      held_.push_back(std::move(done));
      return;
    }
    if (request.script == "M105") return done(ScriptResult{true, "", "T:21.0 /0.0 B:20.5 /0.0", {}});
    if (request.script.rfind("FAIL", 0) == 0) return done(ScriptResult{false, "Unknown command:\"FAIL\"", "", {}});
    if (request.script == "MULTI") return done(ScriptResult{false, "first problem\nsecond line", "", {}});
    if (request.script.rfind("SAY ", 0) == 0) {
      const auto pushes = outputs_;
      lock.unlock();
      for (const auto& [id, push] : pushes) push("// " + request.script.substr(4));
      return done(ScriptResult{true, "", "", {"// " + request.script.substr(4)}});
    }
    done(ScriptResult{true, "", "", {}});
  }

  void query_status(ObjectRequest, StatusFn done) override {
    std::lock_guard lock(mutex_);
    ++queries_;
    done(status_);
  }

  void emergency_stop(std::string reason) override {
    std::lock_guard lock(mutex_);
    stops_.push_back(std::move(reason));
  }
  void subscribe_output(ClientId client, OutputPush push) override {
    std::lock_guard lock(mutex_);
    outputs_[client] = std::move(push);
  }
  void register_remote_method(ClientId client, std::string method, RemoteCallPush push) override {
    std::lock_guard lock(mutex_);
    remote_[method][client] = std::move(push);
  }
  void client_closed(ClientId client) override {
    std::lock_guard lock(mutex_);
    closed_.push_back(client);
    outputs_.erase(client);
    for (auto& [method, clients] : remote_) clients.erase(client);
  }

  // ---- the test's side, any thread ----
  void set_status(Json status) {
    std::lock_guard lock(mutex_);
    status_ = std::move(status);
  }
  // Completes every held LONG command.
  void release(ScriptResult result = {}) {
    std::vector<ScriptDone> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& done : held) done(result);
  }
  std::size_t held() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  void output(const std::string& line) {
    std::map<ClientId, OutputPush> pushes;
    {
      std::lock_guard lock(mutex_);
      pushes = outputs_;
    }
    for (const auto& [id, push] : pushes) push(line);
  }
  bool call_remote(const std::string& method, const Json& params) {
    std::map<ClientId, RemoteCallPush> pushes;
    {
      std::lock_guard lock(mutex_);
      pushes = remote_[method];
    }
    for (const auto& [id, push] : pushes) push(params);
    return !pushes.empty();
  }
  std::vector<std::string> scripts() const {
    std::lock_guard lock(mutex_);
    return scripts_;
  }
  std::vector<std::string> stops() const {
    std::lock_guard lock(mutex_);
    return stops_;
  }
  std::size_t closed_count() const {
    std::lock_guard lock(mutex_);
    return closed_.size();
  }
  std::size_t output_subscribers() const {
    std::lock_guard lock(mutex_);
    return outputs_.size();
  }
  int queries() const {
    std::lock_guard lock(mutex_);
    return queries_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::vector<std::string> scripts_;
  std::vector<std::string> stops_;
  std::vector<ClientId> closed_;
  std::vector<ScriptDone> held_;
  std::map<ClientId, OutputPush> outputs_;
  std::map<std::string, std::map<ClientId, RemoteCallPush>> remote_;
  Json status_ = Json::object();
  int queries_ = 0;
};

// A blocking client of the API socket, as Moonraker is: writes JSON + 0x03, reads up to 0x03.
class SocketClient {
 public:
  explicit SocketClient(const std::string& path, int receive_buffer = 0) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~SocketClient() { close(); }
  SocketClient(const SocketClient&) = delete;
  SocketClient& operator=(const SocketClient&) = delete;

  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool send_raw(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool send(const Json& message) { return send_raw(message.dump() + '\x03'); }
  // The next message, or nullopt on timeout or end of stream.
  std::optional<Json> read(std::chrono::milliseconds timeout = kTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto end = buffer_.find('\x03'); end != std::string::npos) {
        Json message = Json::parse(buffer_.substr(0, end));
        buffer_.erase(0, end + 1);
        return message;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char chunk[65536];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        eof_ = true;
        return std::nullopt;
      }
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // Reads until the server closes the connection (true) or the timeout passes (false).
  bool wait_closed(std::chrono::milliseconds timeout = kTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!eof_) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      (void)read(std::chrono::milliseconds(200));
    }
    return true;
  }
  // Sends a request with this id and returns the reply, skipping asynchronous messages.
  std::optional<Json> call(const Json& id, const std::string& method, const Json& params = Json::object()) {
    if (!send(Json{{"id", id}, {"method", method}, {"params", params}})) return std::nullopt;
    for (;;) {
      auto message = read();
      if (!message) return std::nullopt;
      if (message->contains("id") && (*message)["id"] == id) return message;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

}  // namespace rtstep::api::testing
