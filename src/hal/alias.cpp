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
  // The HAL library's messages (halcmd prints them as "HAL: ERROR: ..." before "alias failed").
  if (alias.size() > 127) return Error{"alias name '" + alias + "' is too long"};
  if (!alias.empty() && find_record(records, aliases, alias) != nullptr) {
    return Error{"duplicate pin/alias name '" + alias + "'"};
  }
  if (record == nullptr) return Error{what + " '" + name + "' not found"};
  if (alias.empty() && record->original.empty()) return Ok{};  // no alias to remove
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
  if (alias.empty()) return Error{"alias name is empty"};
  return kind == AliasKind::kPin ? rename_record(pins_, pin_aliases_, "pin", name, alias)
                                 : rename_record(params_, param_aliases_, "param", name, alias);
}

Status Hal::unalias(AliasKind kind, const std::string& name) {
  return kind == AliasKind::kPin ? rename_record(pins_, pin_aliases_, "pin", name, "")
                                 : rename_record(params_, param_aliases_, "param", name, "");
}

}  // namespace rtstep::hal
