#pragma once
// The API server's state on the API thread (internal to klippy_server.cpp and klippy_endpoints.cpp):
// the acceptor, the sessions, the subscriptions and the controller's published HostStatus. Every member
// function runs on the API thread; completions from the controller reach it through post().

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/steady_timer.hpp>

#include "api/klippy_protocol.hpp"
#include "api/klippy_server.hpp"
#include "api/klippy_session.hpp"
#include "api/subscriptions.hpp"

namespace rtstep::api {

class KlippyCore : public SessionOwner, public std::enable_shared_from_this<KlippyCore> {
 public:
  KlippyCore(std::shared_ptr<asio::io_context> io, Backend& backend, KlippyServerOptions options);

  Status open();                              // bind and accept
  void close_all(const std::string& reason);  // every session and the acceptor; removes the socket file
  void shutdown();                            // close_all, and the output subscription
  void set_host(HostStatus host) { host_ = std::move(host); }

  void on_message(KlippySession& session, std::string message) override;
  void on_closed(KlippySession& session, const std::string& reason) override;

  std::atomic<std::size_t> client_count{0};
  const KlippyServerOptions& options() const noexcept { return options_; }

 private:
  // klippy_server.cpp: the socket and its clients.
  void accept_next();
  // klippy_endpoints.cpp: one request.
  void dispatch(const std::shared_ptr<KlippySession>& session, ParsedRequest request);
  bool handle_local(const std::shared_ptr<KlippySession>& session, const ParsedRequest& request);
  void handle_info(const std::shared_ptr<KlippySession>& session, const ParsedRequest& request, const Reply& reply);
  void handle_register_remote(const std::shared_ptr<KlippySession>& session, const ParsedRequest& request,
                              const Reply& reply);
  void handle_query(const std::shared_ptr<KlippySession>& session, const ParsedRequest& request, bool subscribe);
  void handle_script(const std::shared_ptr<KlippySession>& session, const Json& id, std::string script);
  Json endpoints() const;
  // Answers through the API thread, from any thread; nothing for a null id or a closed session.
  Reply reply_to(const std::shared_ptr<KlippySession>& session, const Json& id);
  // Subscription polling.
  void arm_poll();
  void poll();
  void finish_poll(Result<Json> status);

  // Weak: a core that held its context would, through its own pending handlers, keep both alive forever.
  std::weak_ptr<asio::io_context> io_;
  asio::io_context& context_;
  Backend& backend_;
  KlippyServerOptions options_;
  std::optional<asio::local::stream_protocol::acceptor> acceptor_;
  std::map<ClientId, std::shared_ptr<KlippySession>> sessions_;
  std::map<ClientId, Json> output_templates_;  // gcode/subscribe_output
  Subscriptions subscriptions_;
  asio::steady_timer poll_timer_;
  asio::steady_timer accept_retry_;
  bool poll_armed_ = false;
  bool poll_in_flight_ = false;
  HostStatus host_;
  ClientId output_id_ = 0;  // this server's own output subscription at the Backend (0: none)
};

// A function that posts `message` to `session` from any thread; a no-op once the session has gone.
std::function<void(Json)> session_sender(const std::weak_ptr<asio::io_context>& io,
                                         const std::shared_ptr<KlippySession>& session);

}  // namespace rtstep::api
