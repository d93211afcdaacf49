#pragma once
// api:: — the front ends' side of rtstep serve: Klipper's API socket (klippy_server.hpp) and the printer
// pseudo-terminal (printer_pty.hpp). This header is the contract between those servers and the machine
// controller, which implements Backend.
//
// Threads. The servers run on their own thread (io_thread.hpp: one Asio io_context, placed at the API level
// of the [rt] hierarchy) and never touch machine state. Every Backend function is called on that API thread
// and must return at once: the controller posts the work to its own owner thread. Answers travel back through
// the completions and pushes handed over in the call (Reply, ScriptDone, OutputPush, RemoteCallPush): each
// may be called from any thread, posts onto the API thread and does nothing once its client has gone.
//
// What the servers answer themselves (so that they answer in every state, even before the controller's
// loop runs): `info`, `list_endpoints` and `objects/list` from the HostStatus the controller publishes,
// `gcode/subscribe_output` and `register_remote_method` (bookkeeping here, the pushes go to the Backend),
// the subscription machinery of `objects/subscribe` (subscriptions.hpp: the server polls query_status every
// 250 ms and sends the changes), the Marlin line protocol of the pty (line_protocol.hpp).
//
// What reaches the Backend: `gcode/script` and every pty command -> run_script; `gcode/restart` and
// `gcode/firmware_restart` -> run_script("RESTART" / "FIRMWARE_RESTART"), as Klipper does; `objects/query`,
// `objects/subscribe` and the subscription polls -> query_status; `emergency_stop` and a pty M112 ->
// emergency_stop; any endpoint the controller lists in HostStatus::endpoints (gcode/help, pause_resume/*,
// …) -> submit. Anything else is answered "webhooks: No registered callback for path '…'". On RESTART and
// FIRMWARE_RESTART the controller calls KlippyServer::restart(), which closes every client and re-creates
// the socket.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.hpp"

namespace rtstep::api {

using Json = nlohmann::json;

// One connection of one front end (an API socket client, the pty). Unique in the process, never reused.
using ClientId = uint64_t;
ClientId next_client_id() noexcept;  // any thread

// A value handed back exactly once, from any thread. Copyable (it may sit in a std::function); the first
// call wins and later calls are ignored. If every copy is destroyed without a call, `fallback` is delivered
// instead, so a dropped request still gets an answer ("was dropped") and its client never waits forever.
template <typename T>
class Completion {
 public:
  Completion() = default;
  Completion(std::function<void(T)> deliver, T fallback)
      : state_(std::make_shared<State>(std::move(deliver), std::move(fallback))) {}

  void operator()(T value) const {
    if (state_) state_->deliver_once(std::move(value));
  }

 private:
  struct State {
    State(std::function<void(T)> d, T f) : deliver(std::move(d)), fallback(std::move(f)) {}
    ~State() {
      if (!done.exchange(true)) deliver(std::move(fallback));
    }
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    void deliver_once(T value) {
      if (!done.exchange(true)) deliver(std::move(value));
    }
    std::function<void(T)> deliver;
    T fallback;
    std::atomic<bool> done{false};
  };
  std::shared_ptr<State> state_;
};

// The answer to an API request: a result object, or an error whose message the client sees as
// {"error":"WebRequestError","message":…} (Klipper's shape).
using Reply = Completion<Result<Json>>;

// A G-code script to run as one console command (several lines allowed), from a front end.
struct ScriptRequest {
  ClientId client = 0;
  std::string script;  // as received, comments included; the controller's parser reads it
};

struct ScriptResult {
  bool ok = true;
  std::string error;  // when !ok: the message, possibly several lines (pty: "!! …", API: error reply)
  std::string ack;    // text after the pty's "ok " (M105: "T:21.0 /0.0 B:20.5 /0.0"; M115 …); "" = "ok"
  // Lines the script printed. The controller also sends them to every output subscriber (as Klipper's
  // respond_raw does), which is how the pty and API clients see them; this copy is for callers that do not
  // subscribe (a test, a one-shot command line).
  std::vector<std::string> output;
};
using ScriptDone = Completion<ScriptResult>;

// Which fields of which status objects: name -> field names, or nullopt for every field (`null` on the wire).
using FieldList = std::optional<std::vector<std::string>>;
using ObjectRequest = std::map<std::string, FieldList>;

// Status objects by name: {"toolhead": {"position": […], …}, …}. Objects the controller does not have are
// left out (the server answers them as {} as Klipper does).
using StatusFn = Completion<Result<Json>>;

// Pushes handed to the Backend; any thread, posts onto the API thread, a no-op once the client has gone.
using OutputPush = std::function<void(std::string line)>;  // one G-code output line, as Klipper's respond_raw
using RemoteCallPush = std::function<void(Json params)>;   // calls a client's remote method with these params

// A request for an endpoint the servers do not handle themselves (gcode/help, pause_resume/*, …).
struct Request {
  ClientId client = 0;
  std::string method;
  Json params = Json::object();  // always an object
};

// The controller, seen from the servers. Every function: non-real-time, called on the API thread, must not
// block (post the work to the owner thread and return).
class Backend {
 public:
  virtual ~Backend() = default;

  // An endpoint listed in HostStatus::endpoints. Reply with the result object, or an error.
  virtual void submit(Request request, Reply reply) = 0;
  // Runs a script as a console command (gcode/script, a pty line): `done` once it has run or failed.
  virtual void run_script(ScriptRequest request, ScriptDone done) = 0;
  // The current status of the requested objects and fields (every field when nullopt). Also polled every
  // 250 ms while a client holds a subscription; the servers diff it themselves.
  virtual void query_status(ObjectRequest objects, StatusFn done) = 0;
  // M112 or emergency_stop: stop the machine now, even while a command runs. May act before posting.
  virtual void emergency_stop(std::string reason) = 0;
  // Every G-code output line from now on goes to `push` until client_closed(client).
  virtual void subscribe_output(ClientId client, OutputPush push) = 0;
  // `client` serves remote method `method` (Klipper's register_remote_method); call it through `push`.
  virtual void register_remote_method(ClientId client, std::string method, RemoteCallPush push) = 0;
  // `client` has gone: forget its output subscription and remote methods.
  virtual void client_closed(ClientId client) = 0;
};

// What the controller publishes for the servers to answer `info`, `list_endpoints` and `objects/list`
// without asking it. Published through KlippyServer::publish (any thread).
struct HostStatus {
  std::string state = "startup";  // startup | ready | error | shutdown
  std::string state_message = "rtstep is starting";
  std::vector<std::string> endpoints;  // the controller's endpoints, served through Backend::submit
  std::vector<std::string> objects;    // status object names for objects/list
  // Fields of `info` beyond state and state_message; they replace the server's defaults (software_version,
  // config_file, log_file, cpu_info, klipper_path, python_path, …).
  Json info = Json::object();
};

// Where the API thread runs: the API level of the [rt] hierarchy, handed in by the caller (api:: reads no
// configuration). A refused placement is logged and the thread runs with what it has.
struct ThreadPlacement {
  std::string name = "rtstep-api";  // at most 15 characters
  int fifo_priority = 0;            // 1..99: SCHED_FIFO; 0: SCHED_OTHER at `nice`
  int nice = 10;                    // SCHED_OTHER only
  std::vector<int> cpus;            // empty: inherited affinity
};

// Where the servers' messages go (client dropped with a reason, malformed requests, …). Called on the API
// thread. Default: standard error.
using LogFn = std::function<void(const std::string& line)>;
LogFn stderr_log();

}  // namespace rtstep::api
