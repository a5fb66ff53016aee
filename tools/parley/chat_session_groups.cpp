// chat_session's group commands: /group, /add, /remove, /leave, /info.

#include "chat_session.hpp"

#include "message_format.hpp"

namespace parley::cli {

std::string chat_session::resolve_group(const std::string& target) {
  auto find = [&]() -> std::string {
    if (auto i = convs_.find(target); i != convs_.end() && i->second.group)
      return target;
    for (auto& [conv, info] : convs_)
      if (info.group && info.name == target)
        return conv;
    return {};
  };
  auto conv = find();
  if (conv.empty()) {
    refresh_convs();
    conv = find();
  }
  return conv;
}

void chat_session::cmd_group(const command_line& cmd) {
  if (cmd.args.empty()) {
    say("usage: /group NAME [USER...]");
    return;
  }
  json members = json::array();
  for (size_t i = 1; i < cmd.args.size(); ++i)
    members.push_back(cmd.args[i]);
  auto reply = call({{"t", "group_create"},
                     {"name", cmd.args[0]},
                     {"members", std::move(members)}});
  if (is_err(reply)) {
    say(format_error(reply));
    return;
  }
  auto conv = string_field(reply, "conv");
  auto& info = convs_[conv];
  info.group = true;
  info.name = cmd.args[0];
  target_ = conv;
  say("created " + conv_label(conv) + " [" + conv + "]; talking in it");
}

void chat_session::cmd_members(const command_line& cmd, const char* type) {
  if (cmd.args.size() < 2) {
    say(std::string{"usage: /"} + cmd.name + " GROUP USER...");
    return;
  }
  auto conv = resolve_group(cmd.args[0]);
  if (conv.empty()) {
    say("no group " + cmd.args[0]);
    return;
  }
  json members = json::array();
  for (size_t i = 1; i < cmd.args.size(); ++i)
    members.push_back(cmd.args[i]);
  auto reply =
    call({{"t", type}, {"conv", conv}, {"members", std::move(members)}});
  say(is_err(reply) ? format_error(reply) : "(done)");
}

void chat_session::cmd_leave(const command_line& cmd) {
  if (cmd.args.size() != 1) {
    say("usage: /leave GROUP");
    return;
  }
  auto conv = resolve_group(cmd.args[0]);
  if (conv.empty()) {
    say("no group " + cmd.args[0]);
    return;
  }
  auto reply = call({{"t", "group_leave"}, {"conv", conv}});
  say(is_err(reply) ? format_error(reply) : "(left " + conv_label(conv) + ")");
}

void chat_session::cmd_info(const command_line& cmd) {
  if (cmd.args.size() != 1) {
    say("usage: /info GROUP");
    return;
  }
  auto conv = resolve_group(cmd.args[0]);
  if (conv.empty()) {
    say("no group " + cmd.args[0]);
    return;
  }
  auto reply = call({{"t", "group_info"}, {"conv", conv}});
  if (is_err(reply)) {
    say(format_error(reply));
    return;
  }
  auto list = [&](const char* key) {
    std::string out;
    for (const auto& u : reply.value(key, json::array()))
      if (u.is_string())
        out += (out.empty() ? "" : " ") + u.get<std::string>();
    return out;
  };
  say(conv_label(conv) + " [" + conv + "]: owner "
      + string_field(reply, "owner", "-") + "; admins: " + list("admins")
      + "; members: " + list("members"));
}

} // namespace parley::cli
