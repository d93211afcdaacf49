// The command line's own errors (see parse_errors.hpp).
#include "cli/parse_errors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "cli/exit_codes.hpp"

namespace rtstep::cli {

namespace {

// The subcommands the parser had entered when it stopped, outermost first (the app itself first).
std::vector<CLI::App*> entered_commands(CLI::App& app) {
  std::vector<CLI::App*> chain{&app};
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (CLI::App* sub : chain.back()->get_subcommands({})) {
      if (sub->parsed()) {
        chain.push_back(sub);
        deeper = true;
        break;
      }
    }
  }
  return chain;
}

std::string command_name(const std::vector<CLI::App*>& chain) {
  std::string name = "rtstep";
  for (std::size_t i = 1; i < chain.size(); ++i) name += " " + chain[i]->get_name();
  return name;
}

std::string subcommand_list(CLI::App& app) {
  std::string list;
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_group().empty()) continue;  // hidden
    list += (list.empty() ? "" : ", ") + sub->get_name();
  }
  return list;
}

}  // namespace

int report_parse_error(CLI::App& app, const CLI::ParseError& error, int argc, const char* const* argv,
                       std::ostream& out, std::ostream& err) {
  if (error.get_exit_code() == 0) return app.exit(error, out, err);  // --help, --version
  const std::vector<CLI::App*> chain = entered_commands(app);
  CLI::App& last = *chain.back();
  const std::string name = command_name(chain);
  // A command that takes subcommands and got none: either nothing followed it, or a word it does not know.
  const bool wants_subcommand = !last.get_subcommands({}).empty() &&
                                (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr ||
                                 dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr);
  if (wants_subcommand) {
    const auto depth = static_cast<int>(chain.size());  // argv[depth] is the word after the entered commands
    const std::string_view word = depth < argc ? std::string_view(argv[depth]) : std::string_view();
    if (word.empty() || word.front() == '-') {
      err << last.help();
      err << name << ": give a command: " << subcommand_list(last) << " (`" << name << " COMMAND --help` for its options)\n";
    } else {
      err << name << ": unknown command '" << word << "'; the commands are: " << subcommand_list(last) << " (`" << name
          << " --help`)\n";
    }
    return exit_code::kUsage;
  }
  err << name << ": " << error.what() << "\n";
  err << "Run `" << name << " --help` for the options.\n";
  return exit_code::kUsage;
}

const CLI::Validator& existing_file_or_stdin() {
  static const CLI::Validator validator(
      [](std::string& value) { return value == "-" ? std::string() : CLI::ExistingFile(value); }, "FILE or -",
      "existing file or - (stdin)");
  return validator;
}

std::string unwritable_reason(const std::string& path) {
  if (path.empty() || path == "-") return {};
  if (::access(path.c_str(), F_OK) == 0) {
    return ::access(path.c_str(), W_OK) == 0 ? std::string() : path + ": cannot write: " + std::strerror(errno);
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return path + ": cannot write: " + std::strerror(errno);
  ::close(fd);
  ::unlink(path.c_str());
  return {};
}

std::string gcode_input_path(const std::string& argument) { return argument == "-" ? "/dev/stdin" : argument; }

}  // namespace rtstep::cli
