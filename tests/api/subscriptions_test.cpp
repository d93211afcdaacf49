// objects/query and objects/subscribe as pure logic: field selection, templates, change-only updates and
// the 250 ms cadence on a caller clock.

#include "api/subscriptions.hpp"

#include <gtest/gtest.h>

namespace rtstep::api {
namespace {

constexpr int64_t kMs = 1'000'000;

Json printer_status(double x, const std::string& state) {
  return Json{{"toolhead", {{"position", {x, 0, 0, 0}}, {"homed_axes", "xyz"}, {"max_velocity", 300}}},
              {"webhooks", {{"state", state}, {"state_message", "Printer is ready"}}}};
}

ObjectRequest request(const Json& objects) { return parse_object_request(objects).value(); }

TEST(ParseObjectRequest, NullMeansEveryFieldAndListsNameFields) {
  const auto parsed = parse_object_request(Json::parse(R"({"webhooks": null, "toolhead": ["position"]})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->at("webhooks").has_value());
  EXPECT_EQ(parsed->at("toolhead"), std::vector<std::string>{"position"});
}

TEST(ParseObjectRequest, RejectsWhatKlipperRejects) {
  EXPECT_EQ(parse_object_request(Json::array()).error().message, "Invalid Argument Type [objects]");
  EXPECT_EQ(parse_object_request(Json::parse(R"({"toolhead": "position"})")).error().message, "Invalid argument");
  EXPECT_EQ(parse_object_request(Json::parse(R"({"toolhead": [1]})")).error().message, "Invalid argument");
}

TEST(Subscriptions, QuerySelectsFieldsAndAnswersMissingOnesAsKlipperDoes) {
  const Json reply = Subscriptions::query(
      request(Json::parse(R"({"toolhead": ["position", "nope"], "webhooks": null, "no_such_object": null})")),
      printer_status(1, "ready"), 12.5);
  EXPECT_EQ(reply["eventtime"], 12.5);
  EXPECT_EQ(reply["status"]["toolhead"], Json::parse(R"({"position": [1, 0, 0, 0], "nope": null})"));
  EXPECT_EQ(reply["status"]["webhooks"], printer_status(1, "ready")["webhooks"]);
  EXPECT_EQ(reply["status"]["no_such_object"], Json::object());
}

TEST(Subscriptions, FirstReplyIsFullThenOnlyChangedFieldsInTheTemplate) {
  Subscriptions subs;
  const Json tmpl = {{"method", "process_status_update"}};
  const Json first = subs.subscribe(7, request(Json::parse(R"({"toolhead": null, "webhooks": ["state"]})")), tmpl,
                                    printer_status(1, "ready"), 1.0, 0);
  EXPECT_EQ(first["status"]["toolhead"], printer_status(1, "ready")["toolhead"]);
  EXPECT_EQ(first["status"]["webhooks"], Json::parse(R"({"state": "ready"})"));

  EXPECT_TRUE(subs.update(printer_status(1, "ready"), 1.25).empty()) << "nothing changed, nothing sent";

  const auto updates = subs.update(printer_status(2, "shutdown"), 1.5);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].client, 7u);
  EXPECT_EQ(updates[0].message, Json::parse(R"({"method": "process_status_update", "params": {"eventtime": 1.5,
      "status": {"toolhead": {"position": [2, 0, 0, 0]}, "webhooks": {"state": "shutdown"}}}})"));
  EXPECT_TRUE(subs.update(printer_status(2, "shutdown"), 1.75).empty());
}

TEST(Subscriptions, TemplateFieldsAreCopiedIntoEveryUpdate) {
  Subscriptions subs;
  const Json tmpl = Json::parse(R"({"jsonrpc": "2.0", "method": "notify", "extra": {"a": [1, 2]}})");
  subs.subscribe(1, request(Json::parse(R"({"toolhead": ["position"]})")), tmpl, printer_status(0, "ready"), 0, 0);
  for (int i = 1; i <= 3; ++i) {
    const auto updates = subs.update(printer_status(i, "ready"), i);
    ASSERT_EQ(updates.size(), 1u);
    Json without_params = updates[0].message;
    without_params.erase("params");
    EXPECT_EQ(without_params, tmpl);
  }
}

TEST(Subscriptions, EachClientGetsItsOwnChangesAndANewSubscriptionReplacesTheOld) {
  Subscriptions subs;
  subs.subscribe(1, request(Json::parse(R"({"toolhead": ["position"]})")), Json::object(), printer_status(0, "ready"),
                 0, 0);
  subs.subscribe(2, request(Json::parse(R"({"webhooks": ["state"]})")), Json::object(), printer_status(0, "ready"), 0,
                 0);
  auto updates = subs.update(printer_status(5, "ready"), 1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].client, 1u);

  subs.subscribe(1, request(Json::parse(R"({"webhooks": ["state"]})")), Json::object(), printer_status(5, "ready"), 1,
                 0);
  updates = subs.update(printer_status(6, "error"), 2);
  ASSERT_EQ(updates.size(), 2u);
  for (const auto& u : updates)
    EXPECT_EQ(u.message["params"]["status"], Json::parse(R"({"webhooks": {"state": "error"}})"));

  subs.unsubscribe(1);
  subs.unsubscribe(2);
  EXPECT_TRUE(subs.empty());
  EXPECT_TRUE(subs.update(printer_status(7, "ready"), 3).empty());
}

TEST(Subscriptions, FieldsThatAppearLaterAreChangesForAnAllFieldsSubscription) {
  Subscriptions subs;
  subs.subscribe(1, request(Json::parse(R"({"print_stats": null})")), Json::object(), Json::object(), 0, 0);
  const auto updates = subs.update(Json::parse(R"({"print_stats": {"state": "standby"}})"), 1);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].message["params"]["status"], Json::parse(R"({"print_stats": {"state": "standby"}})"));
}

TEST(Subscriptions, WantedIsTheUnionOfEveryRequest) {
  Subscriptions subs;
  subs.subscribe(1, request(Json::parse(R"({"toolhead": ["position"], "webhooks": null})")), Json::object(),
                 Json::object(), 0, 0);
  subs.subscribe(2, request(Json::parse(R"({"toolhead": ["homed_axes"], "webhooks": ["state"]})")), Json::object(),
                 Json::object(), 0, 0);
  const ObjectRequest wanted = subs.wanted();
  EXPECT_EQ(wanted.at("toolhead"), (std::vector<std::string>{"homed_axes", "position"}));
  EXPECT_FALSE(wanted.at("webhooks").has_value());
}

TEST(Subscriptions, UpdatesAreDueOncePerPeriodOnTheCallersClock) {
  Subscriptions subs(250 * kMs);
  EXPECT_FALSE(subs.take_due(0)) << "no subscriber, nothing due";
  subs.subscribe(1, request(Json::parse(R"({"webhooks": null})")), Json::object(), Json::object(), 0, 1000 * kMs);
  EXPECT_FALSE(subs.take_due(1100 * kMs));
  EXPECT_TRUE(subs.take_due(1250 * kMs));
  EXPECT_FALSE(subs.take_due(1260 * kMs)) << "one update per period";
  EXPECT_TRUE(subs.take_due(1500 * kMs));
  // A caller three periods late gets one update, and the schedule starts again from now.
  EXPECT_TRUE(subs.take_due(2300 * kMs));
  EXPECT_FALSE(subs.take_due(2400 * kMs));
  EXPECT_TRUE(subs.take_due(2550 * kMs));
}

}  // namespace
}  // namespace rtstep::api
