// The bad-input corpus (tests/corpus/, cases in expectations.txt): G-code and printer.cfg files a user could
// really produce. Each case goes through the real G-code reader or config loader, then through the host
// pipeline in this process (`rtstep plan`'s code) and through the shipped binary (`rtstep plan` and
// `rtstep run --virtual-clock`), and each must end as expectations.txt says: the same error naming file and
// line, the same exit status, and for accepted odd files (CRLF, BOM, tabs, ...) exactly the steps of the
// clean file.

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "machine/host_pipeline.hpp"
#include "config/config.hpp"
#include "gcode/gcode.hpp"

namespace rtstep {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(RTSTEP_SOURCE_DIR) / "tests" / "corpus";
const std::string kBinary = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";
const std::string kCleanConfig = "config/printer.cfg";
const std::string kCleanGcode = "gcode/clean.gcode";

// One line of expectations.txt: `kind file exit expected...` (see the file's header for the kinds).
struct Case {
  std::string kind;
  std::string file;  // relative to tests/corpus
  int exit_code = 0;      // of rtstep plan (and of the host pipeline in this process)
  int run_exit_code = 0;  // of rtstep run: the same unless written "plan/run" (M112 is a safety stop in run)
  std::string expected;
  int line = 0;  // in expectations.txt
};

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::ifstream in(kCorpus / "expectations.txt");
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    if (text.empty() || text[0] == '#') continue;
    std::istringstream words(text);
    Case c;
    c.line = line;
    std::string exits;
    words >> c.kind >> c.file >> exits >> std::ws;
    c.exit_code = std::stoi(exits);
    c.run_exit_code = exits.find('/') == std::string::npos ? c.exit_code : std::stoi(exits.substr(exits.find('/') + 1));
    std::getline(words, c.expected);
    cases.push_back(c);
  }
  return cases;
}

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = load_cases();
  return cases;
}

bool is_gcode_kind(const std::string& kind) {
  return kind == "parse" || kind == "motion" || kind == "ok" || kind == "same";
}

// `text` holds every piece of `expected` separated by " ... ", in order. "-" expects nothing.
bool matches(const std::string& text, const std::string& expected) {
  if (expected == "-") return true;
  std::size_t from = 0, at = 0;
  const std::string gap = " ... ";
  for (;;) {
    const std::size_t end = expected.find(gap, from);
    const std::string piece = expected.substr(from, end == std::string::npos ? std::string::npos : end - from);
    at = text.find(piece, at);
    if (at == std::string::npos) return false;
    at += piece.size();
    if (end == std::string::npos) return true;
    from = end + gap.size();
  }
}

std::string path_of(const std::string& relative) { return (kCorpus / relative).string(); }

// Every parse error of a G-code file, read to the end as a tool that lists all problems would.
std::vector<std::string> parse_errors(const std::string& relative) {
  std::ifstream in(path_of(relative), std::ios::binary);
  gcode::Reader reader(in, path_of(relative));
  std::vector<std::string> errors;
  for (gcode::ReadStatus s = reader.next(); s != gcode::ReadStatus::kEndOfFile; s = reader.next()) {
    if (s == gcode::ReadStatus::kError) errors.push_back(reader.error().to_string());
  }
  return errors;
}

struct Planned {
  machine::PlanSummary summary;
  std::string log;
  std::map<std::string, std::string> steps;  // stepper -> its steps CSV (exact step times)
};

// The host pipeline in this process, with every step's exact time written to CSV files.
Planned plan(const std::string& config, const std::string& gcode) {
  static int serial = 0;
  const fs::path csv = fs::temp_directory_path() /
                       ("rtstep-corpus-" + std::to_string(::getpid()) + "-" + std::to_string(serial++));
  machine::PlanOptions options;
  options.config_path = path_of(config);
  options.gcode_path = path_of(gcode);
  options.steps_csv_dir = csv.string();
  std::ostringstream log;
  Planned planned{machine::plan_job(options, log), log.str(), {}};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(csv, ec)) {
    std::ifstream in(entry.path());
    std::ostringstream content;
    content << in.rdbuf();
    planned.steps[entry.path().filename().string()] = content.str();
  }
  fs::remove_all(csv, ec);
  return planned;
}

const Planned& clean_plan() {
  static const Planned planned = plan(kCleanConfig, kCleanGcode);
  return planned;
}

struct Process {
  int exit_code = -1;
  std::string out;  // stdout; stderr is kept apart so that --json output parses
  std::string err;
};

// Runs the binary from tests/corpus, so paths in its messages are as a user in that folder would type them.
Process run_binary(const std::string& args) {
  const fs::path err_file = fs::temp_directory_path() / ("rtstep-corpus-err-" + std::to_string(::getpid()));
  const std::string command = "cd '" + kCorpus.string() + "' && exec '" + kBinary + "' " + args + " 2>'" +
                              err_file.string() + "'";
  Process p;
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return p;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) p.out.append(buffer, n);
  const int status = ::pclose(pipe);
  p.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_file);
  std::ostringstream text;
  text << err.rdbuf();
  p.err = text.str();
  fs::remove(err_file);
  return p;
}

nlohmann::json json_of(const Process& p) {
  return nlohmann::json::parse(p.out, nullptr, /*allow_exceptions=*/false);
}

// The binary's plan and run of one case, checked for the exit status and the expected error.
void check_binary(const Case& c, const std::string& config, const std::string& gcode) {
  const std::string files = "--config '" + config + "' '" + gcode + "' --json";
  for (const std::string command : {"plan", "run --virtual-clock"}) {
    const Process p = run_binary(command + " " + files);
    SCOPED_TRACE("rtstep " + command + " " + files + "\nstderr: " + p.err);
    const int expected_exit = command == "plan" ? c.exit_code : c.run_exit_code;
    EXPECT_EQ(p.exit_code, expected_exit);
    const nlohmann::json j = json_of(p);
    // The error is in the JSON summary when there is one, else on stderr (a config that does not load).
    const std::string said = (j.is_object() ? j.value("error", "") : std::string()) + "\n" + p.err;
    if (c.kind == "parse" || c.kind == "motion" || c.kind == "config") {
      EXPECT_TRUE(matches(said, c.expected)) << "expected: " << c.expected;
    }
    if (c.exit_code == 1) continue;  // no job was started
    ASSERT_TRUE(j.is_object()) << p.out;
    EXPECT_EQ(j.value("ok", !c.exit_code), c.exit_code == 0);
    // A safety stop (5) drops the queued motion by design; otherwise nothing accepted may be lost.
    if (command != "plan" && expected_exit != 5 && j.contains("steppers")) {
      for (const auto& s : j["steppers"]) {
        // Whatever was accepted before an error ran to a stop, and every stepper is where it was sent.
        EXPECT_EQ(s.value("position_steps", -1), s.value("planned_position_steps", -2)) << s.dump();
      }
    }
  }
}

class Corpus : public ::testing::TestWithParam<Case> {};

TEST_P(Corpus, EndsAsExpected) {
  const Case& c = GetParam();
  SCOPED_TRACE("tests/corpus/expectations.txt:" + std::to_string(c.line) + ": " + c.kind + " " + c.file);
  ASSERT_TRUE(fs::exists(kCorpus / c.file));
  const bool gcode_case = is_gcode_kind(c.kind);
  const std::string config = gcode_case ? kCleanConfig : c.file;
  const std::string gcode = gcode_case ? c.file : kCleanGcode;

  if (gcode_case) {
    const std::vector<std::string> errors = parse_errors(c.file);
    if (c.kind == "parse") {
      ASSERT_FALSE(errors.empty()) << "the reader accepted every line";
      EXPECT_TRUE(matches(errors.front(), c.expected)) << errors.front() << "\nexpected: " << c.expected;
    } else {
      EXPECT_TRUE(errors.empty()) << errors.front();
    }
  } else {
    const auto loaded = config::load(path_of(c.file));
    if (c.kind == "config") {
      ASSERT_FALSE(loaded.ok()) << "the config loaded";
      EXPECT_TRUE(matches(loaded.error().message, c.expected)) << loaded.error().message << "\nexpected: " << c.expected;
    } else {
      ASSERT_TRUE(loaded.ok()) << loaded.error().message;
      std::string ignored = "ignored sections:";
      for (const auto& s : loaded->ignored_sections) ignored += " [" + s + "]";
      ignored += "; ignored keys:";
      for (const auto& k : loaded->ignored_keys) ignored += " " + k;
      if (c.kind == "config-ok") {
        EXPECT_TRUE(matches(ignored, c.expected)) << ignored;
      }
    }
  }

  const Planned planned = plan(config, gcode);
  EXPECT_EQ(planned.summary.exit_code, c.exit_code) << planned.summary.error;
  if (c.kind == "parse" || c.kind == "motion" || c.kind == "config") {
    EXPECT_TRUE(matches(planned.summary.error, c.expected)) << planned.summary.error << "\nexpected: " << c.expected;
  } else {
    EXPECT_EQ(planned.summary.error, "");
  }
  if (c.kind == "ok") {
    EXPECT_TRUE(matches(planned.log, c.expected)) << planned.log;
  }
  if (c.kind == "same" || c.kind == "config-same") {
    // Loses nothing: every step of every stepper at exactly the time the clean file gives it.
    const Planned reference = c.kind == "same" ? plan(kCleanConfig, c.expected) : clean_plan();
    ASSERT_FALSE(reference.steps.empty());
    EXPECT_EQ(planned.summary.moves, reference.summary.moves);
    EXPECT_EQ(planned.summary.total_steps(), reference.summary.total_steps());
    ASSERT_EQ(planned.steps.size(), reference.steps.size());
    for (const auto& [name, csv] : reference.steps) {
      EXPECT_TRUE(planned.steps.count(name) && planned.steps.at(name) == csv) << "steps of " << name << " differ";
    }
  }
  check_binary(c, config, gcode);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.file;
  std::replace_if(name.begin(), name.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, Corpus, ::testing::ValuesIn(all_cases()), case_name);

// No file in the corpus goes untested, and no case names a file that is not there.
TEST(CorpusIndex, EveryFileHasExactlyOneCase) {
  std::set<std::string> listed;
  for (const Case& c : all_cases()) {
    EXPECT_TRUE(listed.insert(c.file).second) << c.file << " is listed twice";
    const std::set<std::string> kinds = {"parse", "motion", "ok", "same", "config", "config-ok", "config-same"};
    EXPECT_TRUE(kinds.count(c.kind)) << "expectations.txt:" << c.line << ": unknown kind " << c.kind;
  }
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {
    const std::string ext = entry.path().extension().string();
    if (ext != ".gcode" && ext != ".cfg") continue;
    ++files;
    EXPECT_TRUE(listed.count(fs::relative(entry.path(), kCorpus).string())) << entry.path() << " has no case";
  }
  EXPECT_EQ(files, listed.size());
  EXPECT_GE(files, 80U);
}

}  // namespace
}  // namespace rtstep
