#include "actors/member_event.hpp"

#include <nlohmann/json.hpp>

namespace parley::actors {

std::string encode_member_body(const member_event& e) {
  nlohmann::json j;
  j["event"] = e.event;
  j["by"] = e.by;
  j["users"] = e.users;
  if (e.event == "create")
    j["name"] = e.name;
  if (e.owner_changed) {
    if (e.owner.empty())
      j["owner"] = nullptr;
    else
      j["owner"] = e.owner;
  }
  return j.dump();
}

std::optional<member_event> decode_member_body(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return std::nullopt;
  auto text = [&](const char* key, std::string& out) {
    auto i = j.find(key);
    if (i == j.end() || !i->is_string())
      return false;
    out = i->get<std::string>();
    return true;
  };
  member_event e;
  if (!text("event", e.event) || !text("by", e.by))
    return std::nullopt;
  if (e.event != "create" && e.event != "add" && e.event != "remove"
      && e.event != "leave")
    return std::nullopt;
  auto users = j.find("users");
  if (users == j.end() || !users->is_array())
    return std::nullopt;
  for (auto& u : *users) {
    if (!u.is_string())
      return std::nullopt;
    e.users.push_back(u.get<std::string>());
  }
  if (e.event == "create" && !text("name", e.name))
    return std::nullopt;
  if (auto owner = j.find("owner"); owner != j.end()) {
    if (owner->is_string())
      e.owner = owner->get<std::string>();
    else if (!owner->is_null())
      return std::nullopt;
    e.owner_changed = true;
  }
  return e;
}

} // namespace parley::actors
