// Checks of the keys of a YAML mapping, shared by the configuration file and
// the web configuration file.
#ifndef CDB_SYNC_EXPORTER_CONFIG_YAML_KEYS_H_
#define CDB_SYNC_EXPORTER_CONFIG_YAML_KEYS_H_

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace cdb_sync {

// A key of a mapping that is given twice or is not one of the known keys.
struct BadYamlKey {
  YAML::Node node;  // the key itself, for its line and column
  std::string name;
  bool duplicate = false;  // false: the key is unknown
  std::string known_keys;  // the known keys, comma-separated
};

// Returns the first key of `map` that repeats or is not in `known`, or
// nullopt when every key is known and given once.
inline std::optional<BadYamlKey> FindBadYamlKey(
    const YAML::Node& map, std::initializer_list<std::string_view> known) {
  std::set<std::string> seen;
  for (const auto& entry : map) {
    const std::string name = entry.first.Scalar();
    if (!seen.insert(name).second) {
      return BadYamlKey{entry.first, name, true, ""};
    }
    bool found = false;
    for (std::string_view candidate : known) found |= candidate == name;
    if (!found) {
      std::string list;
      for (std::string_view candidate : known) {
        if (!list.empty()) list += ", ";
        list += candidate;
      }
      return BadYamlKey{entry.first, name, false, list};
    }
  }
  return std::nullopt;
}

}  // namespace cdb_sync

#endif  // CDB_SYNC_EXPORTER_CONFIG_YAML_KEYS_H_
