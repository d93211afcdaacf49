// `rtstep hal -f` on a file of common mistakes: stdout, stderr and the exit status, line for line as
// LinuxCNC 2.9's `halrun -f` prints them, so scripts and tests that compare halcmd's output agree.
//
// The expected text was checked byte for byte against Debian 12's linuxcnc-uspace (`halrun -k -f` as a
// non-root user) on the same file; the only lines that differ there are two of LinuxCNC's loader
// (rtapi_app's "waitpid failed /usr/bin/rtapi_app and2" and "exited without becoming ready"), which rtstep,
// having no loader process, leaves out: for `loadrt` of a loaded component it prints the loader's first and
// halcmd's last line. The net lines follow LinuxCNC 2.9.10's halcmd (the same code in both).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

const std::string kRtstep = std::string(RTSTEP_BINARY_DIR) + "/src/cli/rtstep";

struct HalRun {
  int status = -1;  // the exit status
  std::string out, err;
};

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs `rtstep hal ARGS` in a fresh directory holding `file` as mistakes.hal (so messages name it so), with
// `input` on its standard input (a file, not a terminal: as a pipe from a script).
HalRun rtstep_hal(const std::string& args, const std::string& file, const std::string& input = "") {
  std::string dir = ::testing::TempDir() + "halrun.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return {};
  std::ofstream(dir + "/mistakes.hal") << file;
  std::ofstream(dir + "/input") << input;
  const std::string cmd = "cd '" + dir + "' && " + kRtstep + " hal " + args + " > out 2> err < input";
  const int raw = std::system(cmd.c_str());
  HalRun r{WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(dir + "/out"), read_file(dir + "/err")};
  (void)std::system(("rm -rf '" + dir + "'").c_str());
  return r;
}

constexpr const char* kMistakes = R"HAL(# Common mistakes, each on its own line (halrun -k -f / rtstep hal -k -f)
loadrt and2 count=2
loadrt threads name1=t1 period1=1000000
loadrt and2 count=1
addf and2.0 t1 0
addf and2.0 t1 5
addf and2.0 t1 -5
addf nofunc t1
addf and2.0 nothread
addf and2.0 t1
addf and2.0 t1
addf and2.0
delf nofunc t1
delf and2.1 t1
delf and2.0 nothread
delf and2.0 t1 extra
net
net s1
net s1 nopin
net s1 and2.0.out and2.1.out
net s2 and2.0.out
net s3 and2.0.in0 t1.time
net and2.1.in1 and2.1.in0
net s1 and2.1.out
net s1 => t1.time
linkps and2.1.in1 nosig
linkps nopin s1
linkps and2.1.out => s1
linksp s1 t1.time
unlinkp nopin
unlinkp
newsig s1 bit
newsig s9 badtype
newsig s9
delsig nosig
setp nopin 1
setp and2.0.out 1
setp and2.0.in0 1
setp and2.1.in1 maybe
setp t1.tmax abc
setp t1.tmax 1.5
setp and2.1.in0
nopin = 1
and2.0.out = 1
getp nopin
gets nosig
sets nosig 1
sets s1 1
newsig s5 float
sets s5 1.0mm
sets s5
ptype nopin
stype nosig
waitusr
waitusr a b
unloadusr
unloadrt nosuchcomp
unloadrt
loadusr -w false
show badtype
list
list badtype
status badtype
save badtype
bogus command
alias pin nopin xx
alias pin and2.0.in0 and2.0.in1
alias param nopar xx
alias foo and2.0.in0 x
unalias pin nopin
source /nonexistent.hal
start x
echo x
setp and2.1.in0 $NOSUCHVAR_RTSTEP
setp and2.1.in0 [A]B
setp and2.1.in0 "open
setp and2.1.in0 \
  nope
setexact_for_test_suite_only
getp and2.0.in0
gets s1
)HAL";

constexpr const char* kExpectedErr = R"ERR(and2: already exists
mistakes.hal:4: insmod for and2 failed, returned -1
HAL: ERROR: bad position: 0
mistakes.hal:5: addf failed
HAL: ERROR: position '5' is too high
mistakes.hal:6: addf failed
HAL: ERROR: position '-5' is too low
mistakes.hal:7: addf failed
HAL: ERROR: function 'nofunc' not found
mistakes.hal:8: addf failed
HAL: ERROR: thread 'nothread' not found
mistakes.hal:9: addf failed
HAL: ERROR: function 'and2.0' may only be added to one thread
mistakes.hal:11: addf failed
mistakes.hal:12: addf requires at least 2 arguments, 1 given
HAL: ERROR: function 'nofunc' not found
mistakes.hal:13: delf failed
HAL: ERROR: function 'and2.1' is not in use
mistakes.hal:14: delf failed
HAL: ERROR: thread 'nothread' not found
mistakes.hal:15: delf failed
mistakes.hal:16: delf requires at most 2 arguments, 3 given
mistakes.hal:17: net requires at least 1 arguments, 0 given
mistakes.hal:18: 'net' requires at least one pin, none given
mistakes.hal:19: Pin 'nopin' does not exist
HAL: ERROR: signal 's1' already has output or I/O pin(s)
mistakes.hal:20: link failed
mistakes.hal:21: Pin 'and2.0.out' was already linked to signal 's1'
HAL: ERROR: type mismatch 't1.time' <- 's3'
mistakes.hal:22: link failed
mistakes.hal:23: Signal name 'and2.1.in1' must not be the same as a pin.  Did you omit the signal name?
mistakes.hal:24: Signal 's1' can not add OUT pin 'and2.1.out', it already has OUT pin 'and2.0.out'
mistakes.hal:25: Signal 's1' of type 'bit' cannot add pin 't1.time' of type 's32'
HAL: ERROR: signal 'nosig' not found
mistakes.hal:26: link failed
HAL: ERROR: pin 'nopin' not found
mistakes.hal:27: link failed
HAL: ERROR: signal 's1' already has output or I/O pin(s)
mistakes.hal:28: link failed
HAL: ERROR: type mismatch 't1.time' <- 's1'
mistakes.hal:29: link failed
HAL: ERROR: pin 'nopin' not found
mistakes.hal:30: unlink failed
mistakes.hal:31: unlinkp requires 1 arguments, 0 given
HAL: ERROR: duplicate signal 's1'
mistakes.hal:32: newsig failed
mistakes.hal:33: Unknown signal type 'badtype'
mistakes.hal:33: newsig failed
mistakes.hal:34: newsig requires 2 arguments, 1 given
HAL: ERROR: signal 'nosig' not found
mistakes.hal:36: parameter or pin 'nopin' not found
mistakes.hal:37: pin 'and2.0.out' is not writable
mistakes.hal:38: pin 'and2.0.in0' is connected to a signal
mistakes.hal:39: value 'maybe' invalid for bit
mistakes.hal:39: setp failed
mistakes.hal:40: value 'abc' invalid for S32
mistakes.hal:40: setp failed
mistakes.hal:41: value '1.5' invalid for S32
mistakes.hal:41: setp failed
mistakes.hal:42: setp requires 2 arguments, 1 given
mistakes.hal:43: parameter or pin 'nopin' not found
mistakes.hal:44: pin 'and2.0.out' is not writable
mistakes.hal:45: pin or parameter 'nopin' not found
mistakes.hal:46: signal 'nosig' not found
mistakes.hal:47: signal 'nosig' not found
mistakes.hal:48: signal 's1' already has writer(s)
mistakes.hal:50: value '1.0mm' invalid for float
mistakes.hal:50: sets failed
mistakes.hal:51: sets requires 2 arguments, 1 given
mistakes.hal:52: pin or parameter 'nopin' not found
mistakes.hal:53: signal 'nosig' not found
mistakes.hal:54: waitusr requires 1 arguments, 0 given
mistakes.hal:55: waitusr requires 1 arguments, 2 given
mistakes.hal:56: unloadusr requires 1 arguments, 0 given
mistakes.hal:57: component 'nosuchcomp' is not loaded
mistakes.hal:58: unloadrt requires 1 arguments, 0 given
mistakes.hal:59: program 'false' failed, returned 1
mistakes.hal:60: Unknown 'show' type 'badtype'
mistakes.hal:61: list requires at least 1 arguments, 0 given
mistakes.hal:62: Unknown 'list' type 'badtype'
mistakes.hal:63: Unknown 'status' type 'badtype'
mistakes.hal:64: Unknown 'save' type 'badtype'
mistakes.hal:65: Unknown command 'bogus'
HAL: ERROR: pin 'nopin' not found
mistakes.hal:66: alias failed
HAL: ERROR: duplicate pin/alias name 'and2.0.in1'
mistakes.hal:67: alias failed
HAL: ERROR: param 'nopar' not found
mistakes.hal:68: alias failed
mistakes.hal:69: alias failed
HAL: ERROR: pin 'nopin' not found
mistakes.hal:70: unalias failed
Could not open hal file '/nonexistent.hal': No such file or directory
mistakes.hal:72: start requires 0 arguments, 1 given
mistakes.hal:73: echo requires 0 arguments, 1 given
mistakes.hal:74: Environment variable 'NOSUCHVAR_RTSTEP' not found.
mistakes.hal:75: Ini variable '[A]B' not found.
mistakes.hal:76: unterminated quoted string
mistakes.hal:78: value 'nope' invalid for bit
mistakes.hal:78: setp failed
mistakes.hal:79: HAL_LIB: Cannot run 'setexact' after a thread has been created
)ERR";

TEST(HalrunErrors, CommonMistakesPrintAsLinuxCnc29) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  const HalRun r = rtstep_hal("-k -f mistakes.hal --no-rt", kMistakes);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, kExpectedErr);
  // getp and gets still run after all that (-k): and2.0.in0 is on s3, s1 holds and2.0.out's FALSE.
  EXPECT_EQ(r.out, "FALSE\nFALSE\n");
}

TEST(HalrunErrors, WithoutKeepGoingTheFirstErrorStopsTheFile) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  const HalRun r = rtstep_hal("-f mistakes.hal --no-rt", "loadrt and2\n\naddf and2.0 nothread\nshow comp\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "HAL: ERROR: thread 'nothread' not found\nmistakes.hal:3: addf failed\n");
  EXPECT_EQ(r.out, "") << "show comp did not run";
}

TEST(HalrunErrors, UnknownComponentEndsWithTheLoadersLastLine) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  const HalRun r = rtstep_hal("-f mistakes.hal --no-rt", "loadrt and2\nloadrt nosuchcomp\n");
  EXPECT_EQ(r.status, 1);
  // The loader's line says what rtstep has built in (LinuxCNC's names its module directory); halcmd's last
  // line is LinuxCNC's.
  EXPECT_EQ(r.err.rfind("nosuchcomp: no such component (rtstep has built in: threads, and2, ", 0), 0U) << r.err;
  EXPECT_TRUE(r.err.ends_with(")\nmistakes.hal:2: insmod for nosuchcomp failed, returned -1\n")) << r.err;
}

TEST(HalrunErrors, MissingFileIsHalcmdsMessage) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  const HalRun r = rtstep_hal("-f nosuch.hal --no-rt", "");
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(r.err, "Could not open command file 'nosuch.hal'\n");
}

// A command on the command line (halcmd's one-shot form) reports its errors where halcmd does.
TEST(HalrunErrors, OneShotCommandReportsAtCommandlineZero) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  HalRun r = rtstep_hal("--no-rt -- waitusr", "");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "<commandline>:0: waitusr requires 1 arguments, 0 given\n");
  r = rtstep_hal("--no-rt -f mistakes.hal -- addf nofunc t1", "loadrt threads name1=t1 period1=1000000\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "HAL: ERROR: function 'nofunc' not found\n<commandline>:0: addf failed\n");
  r = rtstep_hal("--no-rt -f mistakes.hal -- getp t1.tmax", "loadrt threads name1=t1 period1=1000000\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");
  r = rtstep_hal("--no-rt -f mistakes.hal -- getp nopin", "bogus\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "mistakes.hal:1: Unknown command 'bogus'\n") << "without -k the command does not run after an error";
}

// halrun -I runs `halcmd -kf`: lines piped to the prompt all run, whatever failed before them, and the
// prompt comes after the file even when the file failed.
TEST(HalrunErrors, InteractiveFromAPipeKeepsGoing) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  const std::string input = "loadrt and2\nsetp nopin 1\ngetp and2.0.out\nbogus\nsets\ngetp and2.0.in0\n";
  HalRun r = rtstep_hal("--no-rt -I", "", input);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "<stdin>:2: parameter or pin 'nopin' not found\n"
            "<stdin>:4: Unknown command 'bogus'\n"
            "<stdin>:5: sets requires 2 arguments, 0 given\n");
  EXPECT_EQ(r.out, "FALSE\nFALSE\n") << "no prompt on a pipe; both getp ran";
  r = rtstep_hal("--no-rt -I -f mistakes.hal", "loadrt and2\nbogus\nloadrt or2\n", "getp and2.0.out\ngetp or2.0.out\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "mistakes.hal:2: Unknown command 'bogus'\n<stdin>:2: pin or parameter 'or2.0.out' not found\n")
      << "the file stopped at its error, the prompt's lines all ran";
  EXPECT_EQ(r.out, "FALSE\n");
}

// -Q as halcmd's: the library's and the loader's lines and show's output go; halcmd's own lines and the
// exit status stay; --help says so.
TEST(HalrunErrors, QuietHidesLibraryLoaderAndShow) {
  ASSERT_EQ(::access(kRtstep.c_str(), X_OK), 0) << "build the rtstep target first: " << kRtstep;
  const HalRun r = rtstep_hal("--no-rt -Q -k -f mistakes.hal",
                              "loadrt and2\nloadrt and2\naddf nofunc t1\nsetp nopin 1\nshow comp\nlist pin\n"
                              "status\ngetp and2.0.out\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "mistakes.hal:2: insmod for and2 failed, returned -1\n"
            "mistakes.hal:3: addf failed\n"
            "mistakes.hal:4: parameter or pin 'nopin' not found\n");
  EXPECT_EQ(r.out, "FALSE\n") << "getp still prints";
  const HalRun help = rtstep_hal("--help", "");
  const std::size_t q = help.out.find("-Q,--silent");
  ASSERT_NE(q, std::string::npos) << help.out;
  const std::string line = help.out.substr(q, help.out.find("\n  -", q) - q);
  for (const char* word : {"library", "loader", "show", "list", "status"}) {
    EXPECT_NE(line.find(word), std::string::npos) << word << " not in: " << line;
  }
}

}  // namespace
