#include "message_format.hpp"

#include <ctime>

namespace parley::cli {

std::string format_time(int64_t ts_ms) {
  std::time_t secs = static_cast<std::time_t>(ts_ms / 1000);
  std::tm local{};
  ::localtime_r(&secs, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

std::string format_body(const json& body) {
  if (body.is_binary())
    return "<" + std::to_string(body.get_binary().size()) + " bytes binary>";
  if (!body.is_string())
    return "<no body>";
  auto text = body.get<std::string>();
  for (auto& c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      c = '?';
  }
  return text;
}

std::string string_field(const json& frame, const char* key,
                         const std::string& fallback) {
  if (!frame.is_object())
    return fallback;
  auto i = frame.find(key);
  if (i == frame.end() || !i->is_string())
    return fallback;
  return i->get<std::string>();
}

uint64_t uint_field(const json& frame, const char* key, uint64_t fallback) {
  if (!frame.is_object())
    return fallback;
  auto i = frame.find(key);
  if (i == frame.end() || !i->is_number_integer())
    return fallback;
  return i->get<uint64_t>();
}

std::string format_error(const json& err) {
  return "error: " + string_field(err, "code", "unknown") + ": "
         + string_field(err, "msg");
}

std::string describe_member_change(const json& body) {
  if (!body.is_object())
    return body.dump();
  std::string users;
  for (const auto& u : body.value("users", json::array()))
    if (u.is_string())
      users += (users.empty() ? "" : ", ") + u.get<std::string>();
  auto by = string_field(body, "by", "?");
  auto event = string_field(body, "event");
  std::string text;
  if (event == "create")
    text = by + " created the group with " + users;
  else if (event == "add")
    text = by + " added " + users;
  else if (event == "remove")
    text = by + " removed " + users;
  else if (event == "leave")
    text = by + " left";
  else
    return body.dump();
  auto owner = body.find("owner");
  if (event != "create" && owner != body.end())
    text += owner->is_string() ? "; " + owner->get<std::string>()
                                   + " is the owner now"
                               : "; nobody is left";
  return text;
}

bool is_err(const json& reply) {
  return string_field(reply, "t") != "ok";
}

} // namespace parley::cli
