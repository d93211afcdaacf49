// The API server's endpoints: which are answered here, which go to the controller, and the subscription
// poll (klippy_core.hpp). Names, parameters and error texts follow klippy/webhooks.py.

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <set>
#include <utility>

#include <asio/post.hpp>

#include "api/klippy_core.hpp"
#include "util/clock.hpp"

namespace rtstep::api {

namespace {

double eventtime_now() { return static_cast<double>(monotonic_ns()) / 1e9; }

// Endpoints this server always has, whatever the controller publishes.
constexpr std::array kServerEndpoints = {
    "list_endpoints",         "info",
    "emergency_stop",         "register_remote_method",
    "objects/list",           "objects/query",
    "objects/subscribe",      "gcode/script",
    "gcode/restart",          "gcode/firmware_restart",
    "gcode/subscribe_output",
};

std::string self_executable() {
  std::array<char, PATH_MAX> buf{};
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string("rtstep");
}

// `info` fields that Moonraker requires (a missing klipper_path or python_path ends its connection); the
// controller's HostStatus::info overrides any of them.
Json default_info() {
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  const std::string exe = self_executable();
  const auto slash = exe.rfind('/');
  return Json{{"hostname", host.data()},
              {"klipper_path", slash == std::string::npos ? std::string(".") : exe.substr(0, slash)},
              {"python_path", exe},
              {"process_id", ::getpid()},
              {"user_id", ::getuid()},
              {"group_id", ::getgid()},
              {"log_file", nullptr},
              {"config_file", nullptr},
              {"software_version", "rtstep"},
              {"cpu_info", ""}};
}

}  // namespace

std::function<void(Json)> session_sender(const std::weak_ptr<asio::io_context>& io,
                                         const std::shared_ptr<KlippySession>& session) {
  return [io, weak = std::weak_ptr<KlippySession>(session)](Json message) {
    post_if_alive(io, [weak, message = std::move(message)] {
      if (const auto s = weak.lock()) s->send(message);
    });
  };
}

Reply KlippyCore::reply_to(const std::shared_ptr<KlippySession>& session, const Json& id) {
  auto send = session_sender(io_, session);
  return Reply(
      [send, id](Result<Json> result) {
        if (id.is_null()) return;  // Klipper answers nothing to a request without id
        send(result ? make_result(id, std::move(result.value())) : make_error(id, result.error().message));
      },
      Error{"Request dropped: rtstep stopped before answering"});
}

Json KlippyCore::endpoints() const {
  std::set<std::string> seen;
  Json list = Json::array();
  for (const char* name : kServerEndpoints) {
    if (seen.insert(name).second) list.push_back(name);
  }
  for (const std::string& name : host_.endpoints) {
    if (seen.insert(name).second) list.push_back(name);
  }
  return list;
}

void KlippyCore::dispatch(const std::shared_ptr<KlippySession>& session, ParsedRequest request) {
  if (handle_local(session, request)) return;
  const std::string& m = request.method;
  if (m == "objects/query" || m == "objects/subscribe") {
    handle_query(session, request, m == "objects/subscribe");
    return;
  }
  if (m == "gcode/script") {
    auto script = get_string(request.params, "script");
    if (!script) {
      reply_to(session, request.id)(script.error());
      return;
    }
    handle_script(session, request.id, std::move(script.value()));
    return;
  }
  if (m == "gcode/restart" || m == "gcode/firmware_restart") {
    handle_script(session, request.id, m == "gcode/restart" ? "RESTART" : "FIRMWARE_RESTART");
    return;
  }
  for (const std::string& name : host_.endpoints) {
    if (name == m) {
      backend_.submit(Request{session->id(), m, std::move(request.params)}, reply_to(session, request.id));
      return;
    }
  }
  options_.log("klippy api: client " + std::to_string(session->id()) + ": no endpoint '" + m + "'");
  reply_to(session, request.id)(Error{"webhooks: No registered callback for path '" + m + "'"});
}

// The endpoints answered without the controller. False: not one of them.
bool KlippyCore::handle_local(const std::shared_ptr<KlippySession>& session, const ParsedRequest& request) {
  const std::string& m = request.method;
  if (m != "info" && m != "list_endpoints" && m != "objects/list" && m != "emergency_stop" &&
      m != "gcode/subscribe_output" && m != "register_remote_method") {
    return false;
  }
  Reply reply = reply_to(session, request.id);  // unanswered, it would answer "dropped": create it only here
  if (m == "info") {
    handle_info(session, request, reply);
  } else if (m == "list_endpoints") {
    reply(Json{{"endpoints", endpoints()}});
  } else if (m == "objects/list") {
    reply(Json{{"objects", host_.objects}});
  } else if (m == "emergency_stop") {
    backend_.emergency_stop("Shutdown due to webhooks request");
    reply(Json::object());
  } else if (m == "gcode/subscribe_output") {
    auto tmpl = get_object(request.params, "response_template", Json::object());
    if (!tmpl) {
      reply(tmpl.error());
      return true;
    }
    output_templates_[session->id()] = std::move(tmpl.value());
    reply(Json::object());
  } else {
    handle_register_remote(session, request, reply);
  }
  return true;
}

void KlippyCore::handle_register_remote(const std::shared_ptr<KlippySession>& session, const ParsedRequest& request,
                                        const Reply& reply) {
  auto tmpl = get_object(request.params, "response_template");
  if (!tmpl) return reply(tmpl.error());
  auto method = get_string(request.params, "remote_method");
  if (!method) return reply(method.error());
  options_.log("klippy api: client " + std::to_string(session->id()) + " serves remote method '" + method.value() +
               "'");
  auto send = session_sender(io_, session);
  backend_.register_remote_method(session->id(), method.value(), [send, tmpl = std::move(tmpl.value())](Json params) {
    Json message = tmpl;
    message["params"] = std::move(params);
    send(std::move(message));
  });
  reply(Json::object());
}

void KlippyCore::handle_info(const std::shared_ptr<KlippySession>& session, const ParsedRequest& request,
                             const Reply& reply) {
  if (request.params.contains("client_info")) {
    auto client = get_object(request.params, "client_info");
    if (!client) return reply(client.error());
    options_.log("klippy api: client " + std::to_string(session->id()) + " is " +
                 client.value().dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  Json info = default_info();
  for (const auto& [key, value] : host_.info.items()) info[key] = value;
  info["state"] = host_.state;
  info["state_message"] = host_.state_message;
  reply(std::move(info));
}

void KlippyCore::handle_query(const std::shared_ptr<KlippySession>& session, const ParsedRequest& request,
                              bool subscribe) {
  Reply reply = reply_to(session, request.id);
  auto objects = get_object(request.params, "objects");
  if (!objects) return reply(objects.error());
  auto wanted = parse_object_request(objects.value());
  if (!wanted) return reply(wanted.error());
  auto tmpl = get_object(request.params, "response_template", Json::object());
  if (!tmpl) return reply(tmpl.error());
  if (subscribe) subscriptions_.unsubscribe(session->id());  // a new subscription replaces the old one at once
  const ObjectRequest requested = wanted.value();
  StatusFn done(
      [io = io_, weak_core = weak_from_this(), weak_session = std::weak_ptr<KlippySession>(session), requested,
       tmpl = std::move(tmpl.value()), subscribe, reply](Result<Json> status) {
        post_if_alive(io, [=]() mutable {
          const auto core = weak_core.lock();
          const auto s = weak_session.lock();
          if (!core || !s || s->closed()) return;
          if (!status) return reply(status.error());
          const double t = eventtime_now();
          if (!subscribe) return reply(Subscriptions::query(requested, status.value(), t));
          reply(core->subscriptions_.subscribe(s->id(), requested, tmpl, status.value(), t, monotonic_ns()));
          core->arm_poll();
        });
      },
      Error{"Request dropped: rtstep stopped before answering"});
  backend_.query_status(std::move(wanted.value()), std::move(done));
}

void KlippyCore::handle_script(const std::shared_ptr<KlippySession>& session, const Json& id, std::string script) {
  Reply reply = reply_to(session, id);
  ScriptDone done(
      [reply](ScriptResult result) {
        if (result.ok) return reply(Json::object());
        reply(Error{result.error});
      },
      ScriptResult{false, "Request dropped: rtstep stopped before answering", "", {}});
  backend_.run_script(ScriptRequest{session->id(), std::move(script)}, std::move(done));
}

// ---- objects/subscribe: one poll of the controller per period while anyone subscribes ----

void KlippyCore::arm_poll() {
  if (poll_armed_ || subscriptions_.empty()) return;
  poll_armed_ = true;
  const int64_t wait_ns = std::max<int64_t>(0, subscriptions_.next_due_ns() - monotonic_ns());
  poll_timer_.expires_after(std::chrono::nanoseconds(wait_ns));
  poll_timer_.async_wait([weak = weak_from_this()](std::error_code ec) {
    const auto self = weak.lock();
    if (!self) return;
    self->poll_armed_ = false;
    if (!ec) self->poll();
  });
}

void KlippyCore::poll() {
  if (poll_in_flight_) return;  // finish_poll() re-arms
  if (!subscriptions_.take_due(monotonic_ns())) return arm_poll();
  poll_in_flight_ = true;
  StatusFn done(
      [io = io_, weak = weak_from_this()](Result<Json> status) {
        post_if_alive(io, [weak, status = std::move(status)]() mutable {
          if (const auto self = weak.lock()) self->finish_poll(std::move(status));
        });
      },
      Error{"status poll dropped"});
  backend_.query_status(subscriptions_.wanted(), std::move(done));
}

void KlippyCore::finish_poll(Result<Json> status) {
  poll_in_flight_ = false;
  if (!status) {
    options_.log("klippy api: status poll failed: " + status.error().message);
  } else {
    for (auto& [id, message] : subscriptions_.update(status.value(), eventtime_now())) {
      const auto it = sessions_.find(id);
      if (it != sessions_.end()) it->second->send(message);
    }
  }
  arm_poll();
}

}  // namespace rtstep::api
