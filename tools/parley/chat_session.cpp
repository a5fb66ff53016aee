#include "chat_session.hpp"

#include <algorithm>
#include <cstdio>

#include "message_format.hpp"

namespace parley::cli {

namespace {

using clock = std::chrono::steady_clock;

constexpr uint64_t default_history = 20;

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

} // namespace

chat_session::chat_session(transport::client& client, std::ostream& out)
    : client_(client), out_(out), last_sent_(clock::now()),
      random_(std::random_device{}()) {
  // nop
}

void chat_session::say(const std::string& line) {
  out_ << line << '\n' << std::flush;
}

std::string chat_session::fresh_cmid() {
  char text[40];
  std::snprintf(text, sizeof text, "cli-%016llx-%llu",
                static_cast<unsigned long long>(random_()),
                static_cast<unsigned long long>(++cmid_counter_));
  return text;
}

chat_session::json chat_session::call(json req) {
  last_sent_ = clock::now();
  auto reply = client_.call(std::move(req));
  show_incoming();
  return reply;
}

void chat_session::hello() {
  auto reply = call({{"t", "hello"}, {"v", 1}, {"client", "parley-cli"}});
  if (is_err(reply))
    throw transport::client_error(format_error(reply));
  auto beat = uint_field(reply, "heartbeat_s", 30);
  heartbeat_ = std::chrono::seconds{std::max<uint64_t>(beat, 1)};
  say("connected to " + string_field(reply, "server", "?") + " (node "
      + string_field(reply, "node", "?") + "); /help lists the commands");
}

void chat_session::keep_alive() {
  if (clock::now() - last_sent_ < heartbeat_ / 2)
    return;
  auto reply = call({{"t", "ping"}});
  if (is_err(reply))
    say(format_error(reply));
}

std::chrono::milliseconds chat_session::until_keep_alive() const {
  auto due = last_sent_ + heartbeat_ / 2;
  auto left =
    std::chrono::duration_cast<std::chrono::milliseconds>(due - clock::now());
  return std::max(left, std::chrono::milliseconds{0});
}

bool chat_session::execute(const std::string& line) {
  command_line cmd;
  if (!parse_command_line(line, cmd))
    return true;
  if (cmd.is_text()) {
    if (target_.empty())
      say("no chat partner: choose one with /to USER");
    else
      send_text(target_, cmd.rest);
    return true;
  }
  const auto& name = cmd.name;
  if (name == "quit" || name == "exit")
    return false;
  if (name == "register")
    cmd_register(cmd);
  else if (name == "login")
    cmd_login(cmd);
  else if (name == "to")
    cmd_to(cmd);
  else if (name == "send")
    cmd_send(cmd);
  else if (name == "history")
    cmd_history(cmd);
  else if (name == "convs")
    cmd_convs();
  else if (name == "read")
    cmd_read();
  else if (name == "group")
    cmd_group(cmd);
  else if (name == "add")
    cmd_members(cmd, "group_add");
  else if (name == "remove")
    cmd_members(cmd, "group_remove");
  else if (name == "leave")
    cmd_leave(cmd);
  else if (name == "info")
    cmd_info(cmd);
  else if (name == "help")
    cmd_help();
  else
    say("unknown command /" + name + "; /help lists the commands");
  return true;
}

void chat_session::cmd_help() {
  say("commands:\n"
      "  /register USER PASS        create an account\n"
      "  /login USER PASS [DEVICE]  log in (device defaults to \"cli\")\n"
      "  /to USER|GROUP             choose the chat partner (a user, a group\n"
      "                             name or a conv id)\n"
      "  TEXT                       send TEXT to the partner (//x sends /x)\n"
      "  /send USER TEXT            send TEXT to USER\n"
      "  /history [USER|CONV] [N]   the last N messages (default 20)\n"
      "  /convs                     conversations with unread counts\n"
      "  /read                      mark the partner's conversation read\n"
      "  /group NAME [USER...]      create a group and talk in it\n"
      "  /add GROUP USER...         add members (admins only)\n"
      "  /remove GROUP USER...      remove members (admins only)\n"
      "  /leave GROUP               leave a group\n"
      "  /info GROUP                owner, admins and members\n"
      "  /help, /quit");
}

void chat_session::cmd_register(const command_line& cmd) {
  if (cmd.args.size() != 2) {
    say("usage: /register USER PASS");
    return;
  }
  auto reply =
    call({{"t", "register"}, {"user", cmd.args[0]}, {"password", cmd.args[1]}});
  if (is_err(reply))
    say(format_error(reply));
  else
    say("registered " + string_field(reply, "user", cmd.args[0]));
}

void chat_session::cmd_login(const command_line& cmd) {
  if (cmd.args.size() < 2 || cmd.args.size() > 3) {
    say("usage: /login USER PASS [DEVICE]");
    return;
  }
  auto device = cmd.args.size() == 3 ? cmd.args[2] : std::string{"cli"};
  // Show the login first, then the backlog the server pushes after it.
  last_sent_ = clock::now();
  auto reply = client_.call({{"t", "login"},
                             {"user", cmd.args[0]},
                             {"password", cmd.args[1]},
                             {"device", device}});
  if (is_err(reply)) {
    say(format_error(reply));
    show_incoming();
    return;
  }
  user_ = string_field(reply, "user", cmd.args[0]);
  device_ = string_field(reply, "device", device);
  say("logged in as " + user_ + " (device " + device_ + ")");
  refresh_convs(); // names of groups and direct peers, for display
}

void chat_session::cmd_to(const command_line& cmd) {
  if (cmd.args.size() != 1) {
    say("usage: /to USER|GROUP");
    return;
  }
  // A group (by conv id or name) wins over a user of the same name.
  auto group = resolve_group(cmd.args[0]);
  target_ = group.empty() ? cmd.args[0] : group;
  if (!group.empty())
    say("talking in " + conv_label(target_));
  else
    say("talking to " + target_);
}

void chat_session::cmd_send(const command_line& cmd) {
  std::string text;
  auto target = first_word(cmd.rest, text);
  if (target.empty() || text.empty()) {
    say("usage: /send USER TEXT");
    return;
  }
  send_text(target, text);
}

void chat_session::send_text(const std::string& target,
                             const std::string& text) {
  auto cmid = fresh_cmid();
  json req = {{"t", "send"}, {"body", text}, {"cmid", cmid}};
  auto known = convs_.find(target);
  if (known != convs_.end() && known->second.group)
    req["conv"] = target;
  else
    req["to"] = target;
  own_cmids_.insert(cmid);
  auto reply = call(std::move(req));
  if (is_err(reply)) {
    own_cmids_.erase(cmid);
    say(format_error(reply));
    return;
  }
  auto conv = string_field(reply, "conv");
  auto seq = uint_field(reply, "seq");
  if (known == convs_.end() && !conv.empty()) {
    direct_[target] = conv;
    convs_[conv].name = target;
  }
  auto& info = convs_[conv];
  info.last_seq = std::max(info.last_seq, seq);
  say("(sent #" + std::to_string(seq) + ")");
}

chat_session::json chat_session::refresh_convs() {
  // Learn the list before showing what came meanwhile, so group messages
  // among it are labelled by their group's name.
  last_sent_ = clock::now();
  auto reply = client_.call({{"t", "convs"}});
  if (is_err(reply)) {
    say(format_error(reply));
    show_incoming();
    return json::array();
  }
  auto list = reply.value("convs", json::array());
  for (const auto& c : list) {
    auto conv = string_field(c, "conv");
    auto& info = convs_[conv];
    info.group = string_field(c, "kind") == "group";
    info.last_seq = uint_field(c, "last_seq");
    if (info.group) {
      info.name = string_field(c, "name");
      continue;
    }
    for (const auto& m : c.value("members", json::array())) {
      if (m.is_string() && m.get<std::string>() != user_) {
        info.name = m.get<std::string>();
        direct_[info.name] = conv;
      }
    }
  }
  show_incoming();
  return list;
}

std::string chat_session::resolve_conv(const std::string& target) {
  if (convs_.count(target))
    return target;
  if (auto i = direct_.find(target); i != direct_.end())
    return i->second;
  refresh_convs();
  if (convs_.count(target))
    return target;
  if (auto i = direct_.find(target); i != direct_.end())
    return i->second;
  return {};
}

void chat_session::cmd_history(const command_line& cmd) {
  std::string target = target_;
  uint64_t limit = default_history;
  for (const auto& arg : cmd.args) {
    if (all_digits(arg) && arg.size() < 4)
      limit = std::clamp<uint64_t>(std::stoull(arg), 1, 100);
    else
      target = arg;
  }
  if (target.empty()) {
    say("usage: /history [USER|CONV] [N]");
    return;
  }
  auto conv = resolve_conv(target);
  if (conv.empty()) {
    say("no conversation with " + target + " yet");
    return;
  }
  auto reply = call({{"t", "history"}, {"conv", conv}, {"limit", limit}});
  if (is_err(reply)) {
    say(format_error(reply));
    return;
  }
  auto msgs = reply.value("msgs", json::array());
  say("history of " + conv_label(conv) + " (" + std::to_string(msgs.size())
      + (reply.value("more", false) ? " messages, more before):"
                                    : " messages):"));
  for (const auto& m : msgs) {
    say("  #" + std::to_string(uint_field(m, "seq")) + " ["
        + format_time(m.value("ts", int64_t{0})) + "] "
        + string_field(m, "from", "?") + ": "
        + format_body(m.value("body", json{})));
  }
}

void chat_session::cmd_convs() {
  auto list = refresh_convs();
  if (list.empty()) {
    say("no conversations");
    return;
  }
  for (const auto& c : list) {
    auto conv = string_field(c, "conv");
    std::string line = "  " + conv_label(conv);
    if (conv_label(conv) != conv)
      line += " [" + conv + "]";
    line += ": " + std::to_string(uint_field(c, "unread")) + " unread, last #"
            + std::to_string(uint_field(c, "last_seq"));
    auto last = c.find("last");
    if (last != c.end() && last->is_object())
      line += " " + string_field(*last, "from", "?") + ": "
              + format_body(last->value("body", json{}));
    say(line);
  }
}

void chat_session::cmd_read() {
  if (target_.empty()) {
    say("no chat partner: choose one with /to USER");
    return;
  }
  auto conv = resolve_conv(target_);
  if (conv.empty()) {
    say("no conversation with " + target_ + " yet");
    return;
  }
  refresh_convs(); // the newest last_seq
  auto seq = std::max(convs_[conv].last_seq, shown_[conv]);
  if (seq == 0) {
    say("nothing to mark read");
    return;
  }
  last_sent_ = std::chrono::steady_clock::now();
  client_.send_no_id({{"t", "read"}, {"conv", conv}, {"seq", seq}});
  say("(marked " + conv_label(conv) + " read up to #" + std::to_string(seq)
      + ")");
}

std::string chat_session::conv_label(const std::string& conv) const {
  auto i = convs_.find(conv);
  if (i == convs_.end() || i->second.name.empty())
    return conv;
  return i->second.group ? "group " + i->second.name : i->second.name;
}

} // namespace parley::cli
