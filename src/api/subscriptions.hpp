#pragma once
// Klipper's status subscriptions as pure logic (no sockets, no clock of its own), used by KlippyServer on
// the API thread and tested alone.
//
//   objects/query      query(): the requested fields of the current status, once.
//   objects/subscribe  subscribe(): the same as the first reply, then, on the update cadence (250 ms, from
//                      the caller's clock), update(): for each subscriber the fields whose value changed
//                      since what that subscriber last received, in a copy of its response_template with
//                      "params": {"eventtime": t, "status": {…}}. Nothing is sent to a subscriber without a
//                      change. A new subscription of the same client replaces the old one.
// Requested fields `null` mean every field the object has at that moment (fields that appear later count
// as changes). A requested field the object lacks reads as null; an object the controller lacks as {}.
// Non-real-time, not thread-safe: one owner thread.

#include <cstdint>
#include <map>
#include <vector>

#include "api/api.hpp"

namespace rtstep::api {

// The `objects` parameter of objects/query and objects/subscribe: {name: null | [field, …]}. Errors as
// Klipper words them: "Invalid argument".
Result<ObjectRequest> parse_object_request(const Json& objects);

class Subscriptions {
 public:
  static constexpr int64_t kDefaultPeriodNs = 250'000'000;  // Klipper's SUBSCRIPTION_REFRESH_TIME

  explicit Subscriptions(int64_t period_ns = kDefaultPeriodNs) : period_ns_(period_ns) {}

  // {"eventtime": t, "status": {name: {field: value}}} for `request` out of `status` (name -> object).
  static Json query(const ObjectRequest& request, const Json& status, double eventtime);

  // Adds (or replaces) `client`'s subscription and returns its first reply (query()). `response_template`
  // must be an object. The first update is due one period after `now_ns` at the latest.
  Json subscribe(ClientId client, ObjectRequest request, Json response_template, const Json& status, double eventtime,
                 int64_t now_ns);
  void unsubscribe(ClientId client);
  bool empty() const noexcept { return clients_.empty(); }

  // What one poll must fetch: every subscribed object, with the union of the requested fields
  // (nullopt when any subscriber wants all of them).
  ObjectRequest wanted() const;

  // True, once per period, when an update is due at `now_ns`; the schedule then moves on by one period
  // (skipping, never bunching, periods a late caller missed).
  bool take_due(int64_t now_ns);
  int64_t next_due_ns() const noexcept { return next_due_ns_; }

  struct Message {
    ClientId client;
    Json message;  // the template with "params"
  };
  // The change-only updates out of the freshly polled `status`.
  std::vector<Message> update(const Json& status, double eventtime);

 private:
  struct Client {
    ObjectRequest request;
    Json response_template;
    Json last_sent;  // name -> {field: value} as this client last received it
  };

  std::map<ClientId, Client> clients_;
  int64_t period_ns_;
  int64_t next_due_ns_ = 0;
};

}  // namespace rtstep::api
