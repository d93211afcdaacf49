// The pty's line protocol without a pty: Marlin's line numbers, checksums and resend requests, one ok per
// command once it has run, M112 at once, busy keepalives on a caller clock.

#include "api/line_protocol.hpp"

#include <gtest/gtest.h>

namespace rtstep::api {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// "N<n> <command>*<xor>" as a host sends it.
std::string numbered(long n, const std::string& command) {
  std::string line = "N" + std::to_string(n) + " " + command;
  unsigned checksum = 0;
  for (char c : line) checksum ^= static_cast<unsigned char>(c);
  return line + "*" + std::to_string(checksum) + "\n";
}

// Runs every command to completion with `result` and returns what the host reads.
std::string run_all(LineProtocol& p, std::vector<std::string>* commands = nullptr, ScriptResult result = {}) {
  while (auto command = p.next_command(0)) {
    if (commands) commands->push_back(*command);
    p.command_done(result);
  }
  return p.take_output();
}

TEST(LineProtocol, OneOkPerCommandAfterItRan) {
  LineProtocol p;
  p.feed("G28\nM105\n");
  const auto first = p.next_command(0);
  ASSERT_EQ(first, "G28");
  EXPECT_FALSE(p.next_command(0)) << "one command at a time";
  EXPECT_EQ(p.take_output(), "") << "no ok before the command has run";
  p.command_done({});
  EXPECT_EQ(p.take_output(), "ok\n");
  ASSERT_EQ(p.next_command(0), "M105");
  p.command_done(ScriptResult{true, "", "T:21.0 /0.0 B:20.5 /0.0", {}});
  EXPECT_EQ(p.take_output(), "ok T:21.0 /0.0 B:20.5 /0.0\n");
}

TEST(LineProtocol, LinesAreJoinedAcrossReadsAndCarriageReturnsAndBlankLinesIgnored) {
  LineProtocol p;
  p.feed("G1 X");
  EXPECT_FALSE(p.next_command(0));
  p.feed("10\r\n\r\n   \n");
  EXPECT_EQ(p.next_command(0), "G1 X10");
  p.command_done({});
  EXPECT_FALSE(p.next_command(0));
}

TEST(LineProtocol, KnownChecksumsFromAHostAreAccepted) {
  LineProtocol p;
  p.feed("N-1 M110 N-1*125\nN0 M110 N0*125\nN1 G28*18\nN2 M105*37\n");
  std::vector<std::string> commands;
  EXPECT_EQ(run_all(p, &commands), "ok\nok\nok\nok\n");
  EXPECT_EQ(commands, (std::vector<std::string>{"G28", "M105"})) << "line number and checksum are stripped";
  EXPECT_EQ(p.last_line(), 2);
}

TEST(LineProtocol, AChecksumMismatchAsksForTheLineAgain) {
  LineProtocol p;
  p.feed(numbered(-1, "M110 N-1"));
  p.feed(numbered(0, "G28"));
  p.feed("N1 G1 X5*99\n");
  std::vector<std::string> commands;
  EXPECT_EQ(run_all(p, &commands), "ok\nok\nError:checksum mismatch, Last Line: 0\nResend: 1\nok\n");
  EXPECT_EQ(commands, std::vector<std::string>{"G28"}) << "the bad line is not run";
  p.feed(numbered(1, "G1 X5"));
  EXPECT_EQ(run_all(p, &commands), "ok\n");
  EXPECT_EQ(commands.back(), "G1 X5");
}

TEST(LineProtocol, AWrongLineNumberAsksForTheExpectedOne) {
  LineProtocol p;
  p.feed(numbered(0, "M110 N0"));
  p.feed(numbered(2, "G28"));
  EXPECT_EQ(run_all(p), "ok\nError:Line Number is not Last Line Number+1, Last Line: 0\nResend: 1\nok\n");
}

TEST(LineProtocol, ALineNumberWithoutChecksumIsRefused) {
  LineProtocol p;
  p.feed("N1 G28\n");
  EXPECT_EQ(run_all(p), "Error:No Checksum with line number, Last Line: 0\nResend: 1\nok\n");
}

TEST(LineProtocol, M110ResetsTheLineNumberNumberedOrNot) {
  LineProtocol p;
  p.feed(numbered(1, "G28"));
  p.feed("M110 N41\n");
  p.feed(numbered(42, "G28"));
  std::vector<std::string> commands;
  EXPECT_EQ(run_all(p, &commands), "ok\nok\nok\n");
  EXPECT_EQ(commands.size(), 2u) << "M110 is answered by the protocol, never run";
  EXPECT_EQ(p.last_line(), 42);
  p.feed(numbered(-1, "M110 N-1"));
  p.feed(numbered(0, "M105"));
  EXPECT_EQ(run_all(p), "ok\nok\n");
}

TEST(LineProtocol, ANumberedEmptyLineIsAcknowledged) {
  LineProtocol p;
  p.feed(numbered(1, "").substr(0, 2) + "*" + std::to_string('N' ^ '1') + "\n");
  std::vector<std::string> commands;
  EXPECT_EQ(run_all(p, &commands), "ok\n");
  EXPECT_TRUE(commands.empty());
  EXPECT_EQ(p.last_line(), 1);
}

TEST(LineProtocol, UnnumberedLinesWithAChecksumRunWithoutIt) {
  LineProtocol p;
  p.feed("M105*37\nM117 a*b\n");
  std::vector<std::string> commands;
  run_all(p, &commands);
  EXPECT_EQ(commands, (std::vector<std::string>{"M105", "M117 a*b"}));
}

TEST(LineProtocol, M112IsReportedAtOnceWhileACommandRuns) {
  LineProtocol p;
  p.feed("G28\n");
  ASSERT_EQ(p.next_command(0), "G28");
  p.feed("G1 X1\nM112\n");
  EXPECT_TRUE(p.take_emergency_stop());
  EXPECT_FALSE(p.take_emergency_stop()) << "reported once";
  p.command_done({});
  std::vector<std::string> commands;
  EXPECT_EQ(run_all(p, &commands), "ok\nok\nok\n");
  EXPECT_EQ(commands, std::vector<std::string>{"G1 X1"}) << "M112 itself is not run again";
  p.feed(numbered(1, "M112"));
  EXPECT_TRUE(p.take_emergency_stop());
  p.feed("N9 M112*0\n");
  EXPECT_TRUE(p.take_emergency_stop()) << "even a damaged numbered M112 stops the machine";
}

TEST(LineProtocol, ErrorsAreAnsweredWithBangsThenOk) {
  LineProtocol p;
  p.feed("FOO\nBAR\n");
  ASSERT_TRUE(p.next_command(0));
  p.command_done(ScriptResult{false, "Unknown command:\"FOO\"", "", {}});
  EXPECT_EQ(p.take_output(), "!! Unknown command:\"FOO\"\nok\n");
  ASSERT_TRUE(p.next_command(0));
  p.command_done(ScriptResult{false, "Must home axis first\nline two", "", {}});
  EXPECT_EQ(p.take_output(), "// Must home axis first\n// line two\n!! Must home axis first\nok\n");
}

TEST(LineProtocol, BusyKeepalivesWhileACommandRuns) {
  LineProtocol p;
  p.feed("G28\n");
  ASSERT_TRUE(p.next_command(10 * kSecond));
  p.tick(11 * kSecond);
  EXPECT_EQ(p.take_output(), "");
  p.tick(12 * kSecond);
  EXPECT_EQ(p.take_output(), "echo:busy: processing\n");
  p.tick(13 * kSecond);
  EXPECT_EQ(p.take_output(), "");
  p.tick(14 * kSecond);
  EXPECT_EQ(p.take_output(), "echo:busy: processing\n");
  p.command_done({});
  p.tick(20 * kSecond);
  EXPECT_EQ(p.take_output(), "ok\n") << "no keepalive while idle";
}

TEST(LineProtocol, OutputFromElsewhereIsWrittenAsItComes) {
  LineProtocol p;
  p.output_line("// action:pause");
  EXPECT_EQ(p.take_output(), "// action:pause\n");
}

TEST(LineProtocol, AnOverlongLineIsRefusedAndTheNextOneRuns) {
  LineProtocol p(LineProtocol::Options{2'000'000'000, 16, 16});
  p.feed(std::string(40, 'G'));
  p.feed("\nM105\n");
  std::vector<std::string> commands;
  EXPECT_EQ(run_all(p, &commands), "!! Line longer than 16 bytes; not run\nok\nok\n");
  EXPECT_EQ(commands, std::vector<std::string>{"M105"});
}

TEST(LineProtocol, StopsAskingForInputWhenManyLinesWait) {
  LineProtocol p(LineProtocol::Options{2'000'000'000, 4096, 3});
  p.feed("G1\nG1\n");
  EXPECT_TRUE(p.wants_input());
  p.feed("G1\n");
  EXPECT_FALSE(p.wants_input());
  run_all(p);
  EXPECT_TRUE(p.wants_input());
}

TEST(CommandWord, IsTheUppercasedFirstWord) {
  EXPECT_EQ(command_word("  m110 N5"), "M110");
  EXPECT_EQ(command_word("G1*33"), "G1");
  EXPECT_EQ(command_word(""), "");
}

}  // namespace
}  // namespace rtstep::api
