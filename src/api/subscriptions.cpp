// objects/query and objects/subscribe: field selection and change-only updates (subscriptions.hpp).

#include "api/subscriptions.hpp"

#include <set>
#include <utility>

namespace rtstep::api {

namespace {

// The requested fields of one object (all of them for nullopt); missing fields read as null.
Json select_fields(const FieldList& fields, const Json& object) {
  Json out = Json::object();
  if (!fields) {
    if (object.is_object()) out = object;
    return out;
  }
  for (const std::string& field : *fields) {
    if (object.is_object()) {
      const auto it = object.find(field);
      out[field] = it != object.end() ? *it : Json(nullptr);
    } else {
      out[field] = nullptr;
    }
  }
  return out;
}

const Json& object_in(const Json& status, const std::string& name) {
  static const Json kEmpty = Json::object();
  if (!status.is_object()) return kEmpty;
  const auto it = status.find(name);
  return it != status.end() && it->is_object() ? *it : kEmpty;
}

}  // namespace

Result<ObjectRequest> parse_object_request(const Json& objects) {
  if (!objects.is_object()) return Error{"Invalid Argument Type [objects]"};
  ObjectRequest request;
  for (const auto& [name, fields] : objects.items()) {
    if (fields.is_null()) {
      request[name] = std::nullopt;
      continue;
    }
    if (!fields.is_array()) return Error{"Invalid argument"};
    std::vector<std::string> list;
    for (const Json& field : fields) {
      if (!field.is_string()) return Error{"Invalid argument"};
      list.push_back(field.get<std::string>());
    }
    request[name] = std::move(list);
  }
  return request;
}

Json Subscriptions::query(const ObjectRequest& request, const Json& status, double eventtime) {
  Json selected = Json::object();
  for (const auto& [name, fields] : request) selected[name] = select_fields(fields, object_in(status, name));
  return Json{{"eventtime", eventtime}, {"status", std::move(selected)}};
}

Json Subscriptions::subscribe(ClientId client, ObjectRequest request, Json response_template, const Json& status,
                              double eventtime, int64_t now_ns) {
  Json first = query(request, status, eventtime);
  if (clients_.empty() || next_due_ns_ > now_ns + period_ns_) next_due_ns_ = now_ns + period_ns_;
  clients_[client] = Client{std::move(request), std::move(response_template), first["status"]};
  return first;
}

void Subscriptions::unsubscribe(ClientId client) { clients_.erase(client); }

ObjectRequest Subscriptions::wanted() const {
  std::map<std::string, std::set<std::string>> fields;
  std::set<std::string> everything;
  for (const auto& [id, c] : clients_) {
    for (const auto& [name, list] : c.request) {
      if (!list) {
        everything.insert(name);
        continue;
      }
      fields[name].insert(list->begin(), list->end());
    }
  }
  ObjectRequest out;
  for (const auto& [name, set] : fields) out[name] = std::vector<std::string>(set.begin(), set.end());
  for (const auto& name : everything) out[name] = std::nullopt;
  return out;
}

bool Subscriptions::take_due(int64_t now_ns) {
  if (clients_.empty() || now_ns < next_due_ns_) return false;
  next_due_ns_ += period_ns_;
  if (next_due_ns_ <= now_ns) next_due_ns_ = now_ns + period_ns_;
  return true;
}

std::vector<Subscriptions::Message> Subscriptions::update(const Json& status, double eventtime) {
  std::vector<Message> out;
  for (auto& [id, c] : clients_) {
    Json changes = Json::object();
    for (const auto& [name, fields] : c.request) {
      const Json current = select_fields(fields, object_in(status, name));
      Json& last = c.last_sent[name];
      if (!last.is_object()) last = Json::object();
      Json changed = Json::object();
      for (const auto& [field, value] : current.items()) {
        const auto it = last.find(field);
        if (it == last.end() || *it != value) {
          changed[field] = value;
          last[field] = value;
        }
      }
      if (!changed.empty()) changes[name] = std::move(changed);
    }
    if (changes.empty()) continue;
    Json message = c.response_template;
    message["params"] = Json{{"eventtime", eventtime}, {"status", std::move(changes)}};
    out.push_back(Message{id, std::move(message)});
  }
  return out;
}

}  // namespace rtstep::api
