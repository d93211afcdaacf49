#pragma once
// The fixture of the controller tests: a machine::Controller on tests/data/serve-test.cfg (or another
// config), with a print-job folder of its own, driven by scripts and status queries as a front end does.

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <algorithm>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "machine/controller.hpp"

namespace rtstep::machine {

using Json = nlohmann::json;
using namespace std::chrono_literals;

inline const std::string kConfig = RTSTEP_SOURCE_DIR "/tests/data/serve-test.cfg";

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sdcard_ = std::filesystem::temp_directory_path() /
              ("rtstep-controller-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(sdcard_);
  }
  void TearDown() override {
    controller_.reset();
    std::filesystem::remove_all(sdcard_);
  }

  void start(const std::string& config = kConfig) {
    ControllerOptions options;
    options.config_path = config;
    options.sdcard_path = sdcard_.string();
    ControllerHooks hooks;
    hooks.log = [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      log_ += line + "\n";
    };
    auto created = Controller::create(options, hooks);
    ASSERT_TRUE(created) << created.error().message;
    controller_ = std::move(*created);
    controller_->add_output_listener(1, [this](const std::string& line) {
      std::lock_guard lock(log_mu_);
      output_.push_back(line);
    });
  }

  // Every G-code output line so far (console scripts and print jobs alike).
  std::vector<std::string> output() {
    std::lock_guard lock(log_mu_);
    return output_;
  }

  // Waits until an output line equal to `line` has been printed (bounded only against a broken build).
  bool prints(const std::string& line) {
    for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
      const std::vector<std::string> lines = output();
      if (std::find(lines.begin(), lines.end(), line) != lines.end()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  ScriptOutcome run(const std::string& script) {
    std::promise<ScriptOutcome> promise;
    auto future = promise.get_future();
    controller_->run_script(script, [&promise](ScriptOutcome outcome) { promise.set_value(std::move(outcome)); });
    EXPECT_EQ(future.wait_for(60s), std::future_status::ready) << script;
    return future.get();
  }

  Json status(const std::string& object) {
    std::promise<Json> promise;
    auto future = promise.get_future();
    controller_->query_status({{object, std::nullopt}}, [&promise](Json j) { promise.set_value(std::move(j)); });
    EXPECT_EQ(future.wait_for(30s), std::future_status::ready);
    Json all = future.get();
    return all.contains(object) ? all[object] : Json();
  }

  // Polls a status field until it has `value` (a state the machine must reach; the bound only keeps a broken
  // build from hanging the suite).
  bool reaches(const std::string& object, const std::string& field, const Json& value) {
    for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
      if (status(object)[field] == value) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // Starts the controller on serve-test.cfg plus `sections` (a config of the test's own, in its folder).
  void start_with(const std::string& sections) {
    const std::string path = (sdcard_ / "printer.cfg").string();
    std::ofstream(path) << "[include " << kConfig << "]\n" << sections;
    start(path);
  }
  void ready_with(const std::string& sections) {
    start_with(sections);
    ASSERT_TRUE(reaches("webhooks", "state", "ready")) << status("webhooks").dump() << log_;
  }

  void ready() {
    start();
    ASSERT_TRUE(reaches("webhooks", "state", "ready")) << status("webhooks").dump() << log_;
  }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(sdcard_ / name) << text;
    return name;
  }

  std::filesystem::path sdcard_;
  std::unique_ptr<Controller> controller_;
  std::mutex log_mu_;
  std::string log_;
  std::vector<std::string> output_;
};

// A square of short moves, extruding, `loops` times round.
inline std::string squares(int loops) {
  std::string text = "G28\nG90\nM83\nG1 Z0.3 F600\n";
  for (int i = 0; i < loops; ++i) {
    text += "G1 X20 Y20 E0.5 F6000\nG1 X30 Y20 E0.5\nG1 X30 Y30 E0.5\nG1 X20 Y30 E0.5\n";
  }
  return text + "G1 X10 Y10 F6000\n";
}

}  // namespace rtstep::machine
