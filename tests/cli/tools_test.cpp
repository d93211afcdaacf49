// The system tools' command logic (cli/tools.hpp): [rt] hierarchy keys, option handling, JSON shapes and
// the generated units, driven directly without the CLI parser.
#include "cli/tools.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace rtstep::cli {
namespace {

const std::string kSource = RTSTEP_SOURCE_DIR;
const std::string kExample = kSource + "/examples/printer.cfg";

class ToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rtstep-tools-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The example printer.cfg with its [rt] section replaced by `rt_lines`.
  std::string config_with_rt(const std::string& rt_lines) {
    std::ifstream in(kExample);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    text = text.substr(0, text.find("[rt]")) + "[rt]\n" + rt_lines + "\n";
    const auto path = (dir_ / "printer.cfg").string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ToolsTest, RtHierarchyKeysReachTheHierarchy) {
  auto m = config::load(config_with_rt("executor_priority: 90\nbase_priority: 85\nservo_priority: 80\nhost_priority: 0\n"
                                       "planner_priority: 0\nlog_nice: 15\ncpus: 3\nhost_cpus: 0-2\n"
                                       "base_period: 0.00005\nservo_period: 0.002"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->rt.base_period_ns, 50'000);
  EXPECT_EQ(m->rt.servo_period_ns, 2'000'000);
  const auto h = rt::hierarchy_from(m->rt);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->servo_priority, 80);
  EXPECT_EQ(rt::thread_spec(rt::Role::kHost, *h).policy, rt::Policy::kOther);
  EXPECT_EQ(rt::thread_spec(rt::Role::kLog, *h).nice, 15);
  EXPECT_EQ(rt::thread_spec(rt::Role::kServo, *h).cpus, (std::vector<int>{0, 1, 2}));
}

TEST_F(ToolsTest, RtDefaultsFitBelowALowExecutorPriority) {
  auto m = config::load(config_with_rt("executor_priority: 40"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->rt.base_priority, 39);
  EXPECT_EQ(m->rt.servo_priority, 38);
  EXPECT_EQ(m->rt.host_priority, 37);
  EXPECT_EQ(m->rt.planner_priority, 36);
  EXPECT_TRUE(rt::hierarchy_from(m->rt).ok());
}

TEST_F(ToolsTest, RtHierarchyErrorsNameTheKey) {
  const auto error = [&](const std::string& lines) {
    auto m = config::load(config_with_rt(lines));
    return m.ok() ? std::string("loaded") : m.error().message;
  };
  EXPECT_NE(error("servo_priority: 85").find("[rt] servo_priority: must be below base_priority (75): executor > base > "
                                             "servo > host > planner"),
            std::string::npos)
      << error("servo_priority: 85");
  EXPECT_NE(error("servo_period: 0.00101").find("[rt] servo_period: must be a whole multiple of base_period (25000 ns)"),
            std::string::npos);
  EXPECT_NE(error("log_nice: -3").find("[rt] log_nice: expected"), std::string::npos);
  EXPECT_NE(error("cpus: 1-").find("[rt] cpus: bad CPU range \"1-\""), std::string::npos);
}

TEST_F(ToolsTest, LatencyOptionsDefaultToABaseAndAServoThread) {
  const auto c = latency_config(LatencyOptions{});
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->threads.size(), 2U);
  EXPECT_EQ(c->threads[0].label, "base");
  EXPECT_EQ(c->threads[0].period_ns, 25'000);
  EXPECT_EQ(c->threads[0].priority, 80);
  EXPECT_EQ(c->threads[1].period_ns, 1'000'000);
  EXPECT_EQ(c->threads[1].priority, 79);
  EXPECT_EQ(c->duration_ns, 10'000'000'000);
  EXPECT_TRUE(c->hold_dma_latency);
}

TEST_F(ToolsTest, LatencyOptionsFromConfigAndOverrides) {
  LatencyOptions o;
  o.config_path = kExample;
  auto c = latency_config(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->threads[0].priority, 75);  // [rt] base_priority default
  EXPECT_EQ(c->threads[1].priority, 70);  // [rt] servo_priority default
  EXPECT_EQ(c->threads[0].cpus, (std::vector<int>{1}));  // [rt] cpus
  o.base_period_us = 0;
  o.priority = 95;
  o.cpus = "0";
  o.load = "cpu,io";
  c = latency_config(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->threads.size(), 1U);
  EXPECT_EQ(c->threads[0].label, "servo");
  EXPECT_EQ(c->threads[0].priority, 95);
  EXPECT_EQ(c->threads[0].cpus, (std::vector<int>{0}));
  EXPECT_TRUE(c->load.cpu && c->load.io && !c->load.memory);
}

TEST_F(ToolsTest, LatencyOptionErrors) {
  LatencyOptions o;
  o.cpus = "1-";
  EXPECT_EQ(latency_config(o).error().message,
            "--cpus: bad CPU list \"1-\": \"1-\" is not a CPU or a range like 0-3");
  o = {};
  o.load = "gpu";
  EXPECT_EQ(latency_config(o).error().message, "--load: unknown load \"gpu\" (expected cpu, memory, io)");
  o = {};
  o.base_period_us = 0;
  o.servo_period_us = 0;
  EXPECT_EQ(latency_config(o).error().message, "no measuring thread: both --base-period and --servo-period are 0");
  o = {};
  o.duration_s = 0;
  EXPECT_FALSE(latency_config(o).ok());
}

TEST_F(ToolsTest, LatencyReportAsJsonAndText) {
  LatencyOptions o;
  o.duration_s = 0.2;
  o.base_period_us = 500;
  o.servo_period_us = 1000;
  o.priority = 20;
  o.allow_non_realtime = true;
  auto c = latency_config(o);
  ASSERT_TRUE(c.ok());
  c->lock_memory = false;
  const auto r = rt::run_latency_test(*c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto j = latency_json(*r);
  ASSERT_EQ(j["threads"].size(), 2U);
  const auto& base = j["threads"][0];
  EXPECT_EQ(base["name"], "base");
  EXPECT_EQ(base["period_ns"], 500'000);
  for (const char* key : {"min", "avg", "max", "p50", "p90", "p99", "p99_9", "p99_99"}) {
    EXPECT_TRUE(base["latency_ns"].contains(key)) << key;
  }
  EXPECT_LE(base["latency_ns"]["p50"].get<int64_t>(), base["latency_ns"]["p99"].get<int64_t>());
  EXPECT_GT(base["samples"].get<uint64_t>(), 0U);
  EXPECT_TRUE(base["histogram"].contains("bin_width_ns"));
  EXPECT_TRUE(j["advice"].contains("executor_slack_ns"));
  EXPECT_TRUE(j["advice"].contains("max_software_step_rate_hz"));
  const std::string text = latency_text(*r);
  EXPECT_NE(text.find("Real-time threads:"), std::string::npos) << text;
  EXPECT_NE(text.find("wake-up latency histogram"), std::string::npos);
  EXPECT_NE(text.find("rtstep's executor needs [rt] slack >="), std::string::npos);
}

TEST_F(ToolsTest, DoctorInputFromConfigOrOverride) {
  auto in = doctor_input(kExample, "", "/");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->executor_cpus, (std::vector<int>{1}));
  EXPECT_EQ(in->host_cpus, (std::vector<int>{0}));
  in = doctor_input("", "2-3", kSource + "/tests/rt/data/doctor/rt-pi5");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->executor_cpus, (std::vector<int>{2, 3}));
  EXPECT_EQ(doctor_input("", "x", "/").error().message,
            "--cpus: bad CPU list \"x\": \"x\" is not a CPU or a range like 0-3");
  const auto j = doctor_json(rt::run_doctor(*in));
  EXPECT_EQ(j["checks"].size(), 15U);
  EXPECT_EQ(j["checks"][0]["id"], "kernel.preempt_rt");
  EXPECT_EQ(j["checks"][0]["status"], "PASS");
  EXPECT_EQ(j["failed"], 0);
}

TEST_F(ToolsTest, UnitsFollowTheConfig) {
  UnitOptions o;
  o.config_path = config_with_rt("executor_priority: 88\ncpus: 3\nhost_cpus: 0-2\nhost_priority: 55");
  o.binary = "/usr/bin/rtstep";
  const auto units = units_for(o);
  ASSERT_TRUE(units.ok()) << units.error().message;
  const std::string& rt = (*units)[0].text;
  EXPECT_NE(rt.find("\nExecStart=/usr/bin/rtstep rt --shm rtstep --config " + (dir_ / "printer.cfg").string() +
                    " --backend auto\n"),
            std::string::npos)
      << rt;
  EXPECT_NE(rt.find("\nCPUAffinity=3\n"), std::string::npos);
  EXPECT_NE(rt.find("\nCPUSchedulingPriority=88\n"), std::string::npos);
  EXPECT_NE(rt.find("\nLimitRTPRIO=88\n"), std::string::npos);
  const std::string& host = (*units)[1].text;
  EXPECT_NE(host.find("\nCPUAffinity=0-2\n"), std::string::npos);
  EXPECT_NE(host.find("\nCPUSchedulingPriority=55\n"), std::string::npos);
  EXPECT_EQ(host.find("--backend"), std::string::npos) << "the host drives no pins: `rtstep rt` does";
  o.backend = "pigpio";
  EXPECT_EQ(units_for(o).error().message, "unknown GPIO backend \"pigpio\" (choose sim, gpiod, rpi4, rpi5 or auto)");
}

TEST_F(ToolsTest, ThreadsJsonShape) {
  rt::ProcessThreads p;
  p.pid = 7;
  p.name = "klippy";
  rt::ThreadInfo t;
  t.tid = 8;
  t.name = "klippy-io";
  t.policy = "FIFO";
  t.rt_priority = 50;
  t.affinity = {0, 1};
  t.cpu_percent = 12.5;
  p.threads.push_back(t);
  const auto j = threads_json({p});
  EXPECT_EQ(j[0]["pid"], 7);
  EXPECT_EQ(j[0]["threads"][0]["affinity"], "0-1");
  EXPECT_EQ(j[0]["threads"][0]["rt_priority"], 50);
  EXPECT_EQ(j[0]["threads"][0]["cpu_percent"], 12.5);
}

}  // namespace
}  // namespace rtstep::cli
