// chat_session's display of what the server sends on its own: messages
// (acked as shown), receipts, typing, presence, group events, bye.

#include "chat_session.hpp"

#include <algorithm>

#include "message_format.hpp"

namespace parley::cli {

void chat_session::show_incoming() {
  // next_frame(0) also hands out frames already buffered but not yet
  // parsed, which poll() on the socket would not report.
  while (auto frame = client_.next_frame(std::chrono::milliseconds{0}))
    show_frame(*frame);
}

void chat_session::show_frame(const json& frame) {
  auto type = string_field(frame, "t");
  if (type == "msg") {
    show_message(frame);
  } else if (type == "receipt") {
    auto conv = string_field(frame, "conv");
    auto i = convs_.find(conv);
    bool group = i != convs_.end() && i->second.group;
    say("  (" + string_field(frame, "user", "?") + " "
        + string_field(frame, "kind", "?") + " #"
        + std::to_string(uint_field(frame, "seq"))
        + (group ? " in " + conv_label(conv) : std::string{}) + ")");
  } else if (type == "typing") {
    if (frame.value("on", false))
      say("  (" + string_field(frame, "user", "?") + " is typing...)");
  } else if (type == "presence") {
    say("  (" + string_field(frame, "user", "?")
        + (frame.value("online", false) ? " is online)" : " is offline)"));
  } else if (type == "group") {
    // The same change comes as a `member` message, shown in its order.
    convs_[string_field(frame, "conv")].group = true;
  } else if (type == "synced") {
    say("  (synced)");
  } else if (type == "bye") {
    say("bye: " + string_field(frame, "code", "?") + ": "
        + string_field(frame, "msg"));
  } else if (type == "err") {
    say(format_error(frame));
  } else if (type == "ok" && frame.contains("id")) {
    // nop: a late reply to a request that timed out
  } else {
    say("  (" + type + " frame: " + frame.dump() + ")");
  }
}

void chat_session::show_message(const json& msg) {
  auto conv = string_field(msg, "conv");
  auto seq = uint_field(msg, "seq");
  auto from = string_field(msg, "from", "?");
  auto& shown = shown_[conv];
  if (seq <= shown)
    return; // a duplicate (delivery is at least once)
  shown = seq;
  // Cumulative ack, so the sender sees "delivered".
  last_sent_ = std::chrono::steady_clock::now();
  client_.send_no_id({{"t", "ack"}, {"conv", conv}, {"seq", seq}});
  auto& info = convs_[conv];
  info.last_seq = std::max(info.last_seq, seq);
  if (!info.group && info.name.empty() && from != user_) {
    info.name = from;
    direct_[from] = conv;
  }
  if (own_cmids_.erase(string_field(msg, "cmid")) > 0)
    return; // typed here: already on screen
  auto when = "[" + format_time(msg.value("ts", int64_t{0})) + "] ";
  auto body = format_body(msg.value("body", json{}));
  if (string_field(msg, "kind", "text") == "member") {
    auto change = json::parse(msg.value("body", std::string{}), nullptr, false);
    info.group = true;
    if (change.is_object() && change.value("event", "") == "create")
      info.name = change.value("name", info.name);
    say(when + "* " + conv_label(conv) + ": " + describe_member_change(change));
  } else if (info.group) {
    say(when + from + " in " + conv_label(conv) + ": " + body);
  } else {
    say(when + from + ": " + body);
  }
}

} // namespace parley::cli
