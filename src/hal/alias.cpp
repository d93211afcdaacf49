// Pin and parameter aliases (see hal.hpp): an alias renames the record in its map, so `show`, `list` and
// `save` print it, and a side map from the original name to the alias keeps the original name working.
#include "hal/hal.hpp"

namespace rtstep::hal {

namespace {

using AliasMap = std::map<std::string, std::string, std::less<>>;

template <typename Record>
using RecordMap = std::map<std::string, std::unique_ptr<Record>, std::less<>>;

template <typename Record>
Record* find_record(const RecordMap<Record>& records, const AliasMap& aliases, std::string_view name) {
  if (auto it = records.find(name); it != records.end()) return it->second.get();
  if (auto a = aliases.find(name); a != aliases.end()) return records.find(a->second)->second.get();
  return nullptr;
}

// Gives the record found by `name` the name `alias`, or back its original name when `alias` is empty.
template <typename Record>
Status rename_record(RecordMap<Record>& records, AliasMap& aliases, const std::string& what, const std::string& name,
                     const std::string& alias) {
  Record* record = find_record(records, aliases, name);
  if (record == nullptr) return Error{what + " '" + name + "' not found"};
  if (alias.empty() && record->original.empty()) return Ok{};  // no alias to remove
  if (!alias.empty() && find_record(records, aliases, alias) != nullptr) {
    return Error{"'" + alias + "' is already the name or alias of a " + what};
  }
  if (alias.size() > 127) return Error{"alias '" + alias + "' is longer than 127 characters"};
  const std::string original = record->original.empty() ? record->name : record->original;
  const std::string new_name = alias.empty() ? original : alias;
  auto node = records.extract(record->name);
  node.key() = new_name;
  node.mapped()->name = new_name;
  node.mapped()->original = alias.empty() ? std::string() : original;
  records.insert(std::move(node));
  if (alias.empty()) {
    aliases.erase(original);
  } else {
    aliases[original] = alias;
  }
  return Ok{};
}

}  // namespace

PinRecord* Hal::find_pin(std::string_view name) const { return find_record(pins_, pin_aliases_, name); }

ParamRecord* Hal::find_param(std::string_view name) const { return find_record(params_, param_aliases_, name); }

Status Hal::alias(AliasKind kind, const std::string& name, const std::string& alias) {
  if (alias.empty()) return Error{"alias: the alias is empty"};
  return kind == AliasKind::kPin ? rename_record(pins_, pin_aliases_, "pin", name, alias)
                                 : rename_record(params_, param_aliases_, "parameter", name, alias);
}

Status Hal::unalias(AliasKind kind, const std::string& name) {
  return kind == AliasKind::kPin ? rename_record(pins_, pin_aliases_, "pin", name, "")
                                 : rename_record(params_, param_aliases_, "parameter", name, "");
}

}  // namespace rtstep::hal
