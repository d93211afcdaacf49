// The command line as a user meets it (issue 19), through the built binary: errors on stderr and no empty
// summary after a failure, one table of exit codes for every command, `-` for standard input, the option
// names and their older spellings, progress on stderr, the words of the messages, the licence and the docs.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "cli/run.hpp"
#include "scratch_dir.hpp"
#include "rtstep_process.hpp"
#include "rt/thread_table.hpp"

namespace rtstep::cli {
namespace {

const std::string kPrinterCfg = kSource + "/examples/printer.cfg";
const std::string kSquare = kSource + "/examples/square.gcode";

class CommandLine : public ScratchDirTest {
 protected:
  CommandLine() : ScratchDirTest("rtstep-command-line") {}
  void SetUp() override {
    if (!std::filesystem::exists(kRtstep)) GTEST_SKIP() << "needs the rtstep binary: " << kRtstep;
    ScratchDirTest::SetUp();
  }
  // examples/printer.cfg with one line replaced: a config error in a known place.
  std::string bad_config() {
    std::string text = read_all(kPrinterCfg);
    const std::string line = "max_velocity: 300";
    text.replace(text.find(line), line.size(), "max_velocity: fast");
    return write("bad.cfg", text);
  }
};

// ---- 1. errors on stderr, exit codes, stdin

TEST_F(CommandLine, NoCommandPrintsTheUsageOnStderrAndExitsAsAUsageError) {
  const Outcome o = run_rtstep({});
  EXPECT_EQ(o.code, exit_code::kUsage);
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(std::regex_search(o.err, std::regex("rtstep: give a command: run, .*plan, latency"))) << o.err;
  EXPECT_TRUE(contains(o.err, "Subcommands:")) << "the usage comes with it: " << o.err;
}

TEST_F(CommandLine, AnUnknownCommandIsNamed) {
  const Outcome o = run_rtstep({"frobnicate", "x"});
  EXPECT_EQ(o.code, exit_code::kUsage);
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(std::regex_search(o.err, std::regex("^rtstep: unknown command 'frobnicate'; the commands are: run, .*plan, latency")))
      << o.err;
  EXPECT_FALSE(contains(o.err, "A subcommand is required")) << o.err;
  const Outcome bench = run_rtstep({"bench", "nosuch"});
  EXPECT_EQ(bench.code, exit_code::kUsage);
  EXPECT_TRUE(contains(bench.err, "rtstep bench: unknown command 'nosuch'; the commands are: ipc, executor")) << bench.err;
}

TEST_F(CommandLine, AMissingFileIsAUsageErrorNamingTheCommandAndTheFile) {
  const Outcome o = run_rtstep({"run", "--config", (dir_ / "nosuch.cfg").string(), kSquare});
  EXPECT_EQ(o.code, exit_code::kUsage) << "not the parser's own 105";
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(std::regex_search(o.err, std::regex("^rtstep run: --config: .*nosuch\\.cfg"))) << o.err;
  const Outcome help = run_rtstep({"run", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_TRUE(contains(help.out, "--config")) << "help goes to stdout";
}

TEST_F(CommandLine, ABadConfigExitsOneInEveryCommandWithTheMessageOnStderr) {
  const std::string cfg = bad_config();
  const std::vector<std::vector<std::string>> commands = {
      {"run", "--virtual-clock", "-c", cfg, kSquare},
      {"plan", "-c", cfg, kSquare},
      {"latency", "-c", cfg, "--duration", "0.1"},
      {"doctor", "-c", cfg},
      {"systemd-unit", "-c", cfg},
      {"bench", "soak", "-c", cfg, "--duration", "0", "--virtual-duration", "1"},
  };
  for (const auto& args : commands) {
    const Outcome o = run_rtstep(args);
    EXPECT_EQ(o.code, exit_code::kUsage) << args[0] << ": " << o.err;
    EXPECT_TRUE(contains(o.err, "max_velocity")) << args[0] << ": " << o.err;
    EXPECT_TRUE(o.out.empty() || !contains(o.out, "moves")) << args[0] << " printed a summary: " << o.out;
  }
}

TEST_F(CommandLine, AGcodeErrorGoesToStderrAndTheSummaryShowsWhatRan) {
  const std::string gcode = write("bad.gcode", "G28\nG1 X10 F3000\nG1 X9999\n");
  for (const std::string command : {"run", "plan"}) {
    std::vector<std::string> args{command, "-c", kPrinterCfg, gcode};
    if (command == "run") args.push_back("--virtual-clock");
    const Outcome o = run_rtstep(args);
    EXPECT_EQ(o.code, exit_code::kJob) << command << ": " << o.err;
    EXPECT_TRUE(std::regex_search(o.err, std::regex("rtstep " + command + ": .*bad\\.gcode:3"))) << command << ": " << o.err;
    EXPECT_FALSE(contains(o.out, "error:") || contains(o.out, "X9999")) << command << ": " << o.out;
    EXPECT_TRUE(contains(o.out, "stepper_x")) << command << ": the moves before the error ran: " << o.out;
  }
}

TEST_F(CommandLine, AFailedRunPrintsNoEmptySummary) {
  // An unwritable --trace is said before anything runs, as a usage error (not an executor fault).
  const Outcome o = run_rtstep({"run", "--virtual-clock", "-c", kPrinterCfg, kSquare, "--trace",
                                (dir_ / "no-such-dir" / "x.trace").string()});
  EXPECT_EQ(o.code, exit_code::kUsage);
  EXPECT_EQ(o.out, "");
  EXPECT_TRUE(contains(o.err, "rtstep run: --trace ")) << o.err;
  EXPECT_TRUE(contains(o.err, "No such file or directory")) << o.err;
  // --json still gives scripts one document, with the error in it.
  const std::string gcode = write("bad.gcode", "G1 X9999 F3000\n");
  const Outcome j = run_rtstep({"plan", "-c", kPrinterCfg, gcode, "--json"});
  EXPECT_EQ(j.code, exit_code::kJob);
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_FALSE(doc.at("ok").get<bool>());
  EXPECT_TRUE(contains(doc.at("error").get<std::string>(), "bad.gcode:1"));
}

TEST_F(CommandLine, PlanGivesTheReasonAFileCannotBeOpened) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads a file of mode 000";
  const std::string gcode = write("locked.gcode", "G28\n");
  chmod(gcode.c_str(), 0);
  const Outcome o = run_rtstep({"plan", "-c", kPrinterCfg, gcode});
  EXPECT_EQ(o.code, exit_code::kUsage);
  EXPECT_TRUE(contains(o.err, "locked.gcode: cannot open G-code file: Permission denied")) << o.err;
}

TEST_F(CommandLine, DashReadsTheGcodeFromStandardInput) {
  const Outcome from_file = run_rtstep({"plan", "-c", kPrinterCfg, kSquare, "--json"});
  const Outcome from_stdin = run_rtstep({"plan", "-c", kPrinterCfg, "-", "--json"}, kSquare);
  ASSERT_EQ(from_stdin.code, 0) << from_stdin.err;
  const auto a = nlohmann::json::parse(from_file.out), b = nlohmann::json::parse(from_stdin.out);
  EXPECT_EQ(b.at("steps"), a.at("steps"));
  EXPECT_EQ(b.at("moves"), a.at("moves"));
  EXPECT_GT(b.at("steps").get<int64_t>(), 0);

  const Outcome run = run_rtstep({"run", "--virtual-clock", "-q", "-c", kPrinterCfg, "-", "--json"}, kSquare);
  ASSERT_EQ(run.code, 0) << run.err;
  const auto r = nlohmann::json::parse(run.out);
  EXPECT_EQ(r.at("moves"), a.at("moves"));
  for (const auto& s : r.at("steppers")) EXPECT_TRUE(s.at("position_ok").get<bool>()) << s;
}

// ---- 2. names and options

TEST_F(CommandLine, OlderSpellingsMeanTheSameAsTheNewOnes) {
  // bench soak: --virtual-duration SECONDS and --virtual-hours H write the same print.
  const std::string a = (dir_ / "a.gcode").string(), b = (dir_ / "b.gcode").string();
  ASSERT_EQ(run_rtstep({"bench", "soak", "-c", kPrinterCfg, "--virtual-duration", "36", "--write-gcode", a}).code, 0);
  ASSERT_EQ(run_rtstep({"bench", "soak", "--config", kPrinterCfg, "--virtual-hours", "0.01", "--write-gcode", b}).code, 0);
  EXPECT_EQ(read_all(a), read_all(b));
  EXPECT_GT(read_all(a).size(), 100u);
  // systemd-unit: --ring and --shm name the same ring.
  const Outcome ring = run_rtstep({"systemd-unit", "-c", kPrinterCfg, "--ring", "printer1"});
  const Outcome shm = run_rtstep({"systemd-unit", "-c", kPrinterCfg, "--shm", "printer1"});
  EXPECT_EQ(ring.code, 0);
  EXPECT_EQ(ring.out, shm.out);
  EXPECT_TRUE(contains(ring.out, " printer1 ")) << ring.out;
  // One CPU option name everywhere: --cpus (bench executor keeps --cpu).
  for (const std::vector<std::string>& command : {std::vector<std::string>{"latency"}, {"doctor"}, {"hal"}, {"bench", "executor"}}) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    EXPECT_TRUE(contains(run_rtstep(args).out, "--cpus")) << command[0];
  }
}

TEST_F(CommandLine, QuietMeansErrorsOnlyInRunAsInHal) {
  const Outcome quiet = run_rtstep({"run", "--virtual-clock", "-q", "-c", kPrinterCfg, kSquare});
  EXPECT_EQ(quiet.code, 0);
  EXPECT_EQ(quiet.err, "");
  EXPECT_TRUE(contains(quiet.out, "stepper_x")) << quiet.out;
  const Outcome chatty = run_rtstep({"run", "--virtual-clock", "-c", kPrinterCfg, kSquare});
  EXPECT_TRUE(contains(chatty.err, "progress:")) << chatty.err;
  EXPECT_TRUE(contains(run_rtstep({"hal", "--help"}).out, "-q,--quiet")) ;
}

// ---- 5. progress

TEST_F(CommandLine, LongCommandsShowProgressOnStderrAsPlainLinesOffATerminal) {
  const Outcome latency = run_rtstep({"latency", "--duration", "0.3", "--base-period", "0", "--servo-period", "1000",
                                      "--allow-non-realtime", "--json"});
  ASSERT_EQ(latency.code, 0) << latency.err;
  EXPECT_TRUE(std::regex_search(latency.err, std::regex("progress: latency: 0 s of 0 s \\(100%\\)"))) << latency.err;
  EXPECT_FALSE(contains(latency.err, "\r")) << "no carriage returns off a terminal";
  EXPECT_TRUE(nlohmann::json::accept(latency.out)) << "stdout stays one JSON document";
  const Outcome ipc = run_rtstep({"bench", "ipc", "--samples", "200", "--stream", "2000", "--json"});
  ASSERT_EQ(ipc.code, 0) << ipc.err;
  EXPECT_TRUE(contains(ipc.err, "progress: bench ipc: 8 of 8 measurements")) << ipc.err;
  const Outcome quiet = run_rtstep({"bench", "ipc", "--samples", "200", "--stream", "2000", "-q"});
  EXPECT_FALSE(contains(quiet.err, "progress")) << quiet.err;
  // plan: the share of the file read (plan_job's own descriptor, from /proc/self/fdinfo).
  const Outcome plan = run_rtstep({"plan", "-c", kPrinterCfg, kSquare});
  ASSERT_EQ(plan.code, 0) << plan.err;
  EXPECT_TRUE(std::regex_search(plan.err, std::regex("progress: plan: 100\\.0% of 0\\.0 MB read\n"))) << plan.err;
  EXPECT_FALSE(contains(run_rtstep({"plan", "-q", "-c", kPrinterCfg, kSquare}).err, "progress")) << "-q: none";
}

// ---- 6. words on the screen

TEST(Messages, AThreadTableDoesNotPrintAUtilisationOfThousandsOfPercent) {
  rt::ThreadRow row;
  row.name = "base";
  row.period_ns = 25'000;
  row.max_latency_ns = 1'400'000;
  row.utilisation = 56.05;
  const std::string table = rt::format_thread_table(std::vector<rt::ThreadRow>{row});
  EXPECT_FALSE(contains(table, "5605")) << table;
  EXPECT_TRUE(contains(table, ">100%!")) << table;
  EXPECT_TRUE(contains(table, "lengthen the period")) << table;
}

TEST(Messages, AStoppedRunSaysStoppedWhereItSaidMismatch) {
  RunSummary s;
  s.steppers.push_back({});
  s.steppers[0].name = "stepper_x";
  s.steppers[0].position = 100;
  s.steppers[0].planned_position = 1600;
  s.steppers[0].steps = 100;
  s.steppers[0].planned_steps = 1600;
  s.realtime = false;
  s.executor_status = "finished";
  EXPECT_TRUE(contains(s.to_text(), "MISMATCH")) << "a job that ran to its end and missed is a mismatch";
  s.executor_status = "stopped";
  s.stop_reason = "SIGINT: emergency stop";
  const std::string text = s.to_text();
  EXPECT_FALSE(contains(text, "MISMATCH")) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("stepper_x .* stopped\n"))) << text;
  EXPECT_TRUE(contains(text, "NOT real-time: SCHED_FIFO was refused")) << text;
  s.error = "the error";
  EXPECT_FALSE(contains(s.to_text(), "the error")) << "errors go to stderr, not into the summary";
}

TEST_F(CommandLine, AfterSigintTheSummarySaysWhereTheMachineStoppedInMm) {
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  const std::string base = (dir_ / "run").string();
  const pid_t run = start_rtstep({"run", "--virtual-clock", "-c", kPrinterCfg, "-"}, pipe_fds[0], base + ".out", base + ".err");
  close(pipe_fds[0]);
  const std::string gcode = "G28\nG90\nG1 X100 Y50 F6000\nM114\n";
  ASSERT_EQ(::write(pipe_fds[1], gcode.data(), gcode.size()), static_cast<ssize_t>(gcode.size()));
  // Once the move is under way (M114 answers on stderr when the host reaches it), Ctrl-C.
  bool moved = false;
  for (int i = 0; i < 2000 && !moved; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    moved = contains(read_all(base + ".err"), "X:100.000 Y:50.000");
  }
  EXPECT_TRUE(moved) << read_all(base + ".err");
  kill(run, SIGINT);
  const int code = wait_status(run);
  close(pipe_fds[1]);
  const std::string out = read_all(base + ".out");
  EXPECT_EQ(code, exit_code::kStopped) << read_all(base + ".err");
  EXPECT_FALSE(contains(out, "MISMATCH")) << out;
  // Wherever the stop caught the move, the mm are the counted steps (80 steps/mm) beside the plan's end.
  std::smatch row, mm;
  ASSERT_TRUE(std::regex_search(out, row, std::regex("\nstepper_x +[0-9]+ +[0-9]+ +[0-9]+ +(-?[0-9]+) "))) << out;
  ASSERT_TRUE(std::regex_search(out, mm, std::regex("stopped at \\(counted from the pins; the plan's end in brackets\\): "
                                                    "stepper_x (-?[0-9.]+) mm \\(100\\.000\\) stepper_y (-?[0-9.]+) mm "
                                                    "\\(50\\.000\\)")))
      << out;
  // Printed to the micrometre: exactly the counted steps / 80 rounded as printf rounds (9 steps -> "0.113").
  char expected[32];
  std::snprintf(expected, sizeof expected, "%.3f", std::stod(row[1]) / 80.0);
  EXPECT_EQ(mm[1].str(), expected) << out;
}

// ---- 9. licence, 10. docs

TEST(Licence, TheRepositoryHasAnOsiLicenceAndTheReadmeNamesIt) {
  const std::string licence = read_all(kSource + "/LICENSE");
  EXPECT_EQ(licence.rfind("MIT License", 0), 0u);
  EXPECT_TRUE(contains(licence, "Permission is hereby granted, free of charge"));
  EXPECT_TRUE(contains(read_all(kSource + "/README.md"), "MIT licence: see [LICENSE](LICENSE)"));
}

// Every long option `rtstep COMMAND --help` lists, for every command and benchmark.
std::set<std::string> options_of(const std::vector<std::string>& command) {
  std::vector<std::string> args = command;
  args.push_back("--help");
  const std::string help = run_rtstep(args).out;
  std::set<std::string> found;
  const std::regex option("(^|[ ,])(--[a-z][a-z0-9-]*)");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), option); it != std::sregex_iterator(); ++it) {
    found.insert((*it)[2]);
  }
  found.erase("--help");
  return found;
}

TEST_F(CommandLine, DocsCliListsEveryOptionOfEveryCommand) {
  const std::string docs = read_all(kSource + "/docs/cli.md");
  const std::string top = run_rtstep({"--help"}).out;
  std::vector<std::vector<std::string>> commands;
  const std::regex subcommand("\n  ([a-z][a-z-]*) ");
  for (auto it = std::sregex_iterator(top.begin(), top.end(), subcommand); it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[1];
    if (name == "bench") {
      for (const std::string b : {"ipc", "executor", "gpio", "soak"}) commands.push_back({"bench", b});
    } else {
      commands.push_back({name});
    }
  }
  ASSERT_GE(commands.size(), 12u) << top;
  for (const auto& command : commands) {
    EXPECT_TRUE(contains(docs, "rtstep " + command[0])) << command[0];
    for (const std::string& option : options_of(command)) {
      EXPECT_TRUE(std::regex_search(docs, std::regex(option + "([^a-z-]|$)")))
          << "docs/cli.md does not mention " << option << " of rtstep " << command.back();
    }
  }
}

}  // namespace
}  // namespace rtstep::cli
