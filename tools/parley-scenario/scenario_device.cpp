#include "scenario_device.hpp"

#include <iomanip>
#include <sstream>

#include "transport/client.hpp"

namespace parley::scenario {

namespace {

constexpr size_t recent_limit = 10;

std::string hex_of(const std::vector<uint8_t>& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

} // namespace

msg_content content_of(const json& m) {
  msg_content c;
  if (auto i = m.find("from"); i != m.end() && i->is_string())
    c.from = i->get<std::string>();
  if (auto i = m.find("cmid"); i != m.end() && i->is_string())
    c.cmid = i->get<std::string>();
  if (auto i = m.find("kind"); i != m.end() && i->is_string())
    c.kind = i->get<std::string>();
  if (auto i = m.find("body"); i != m.end()) {
    if (i->is_string())
      c.body = i->get<std::string>();
    else if (i->is_binary())
      c.body = "bin:" + hex_of(i->get_binary());
  }
  return c;
}

device::device(std::string user, std::string name,
               std::vector<acked_send>* acked)
  : user_(std::move(user)), name_(std::move(name)), acked_(acked) {
  current_.device = label();
  current_.user = user_;
}

device::~device() = default;

json device::connect(const std::string& host, uint16_t port,
                     const std::string& password, bool resume,
                     std::chrono::milliseconds timeout) {
  if (client_)
    disconnect();
  try {
    client_ = std::make_unique<transport::client>(host, port, timeout);
    vanished_ = false;
    last_write_ = clock_type::now();
    auto hello = client_->call({{"t", "hello"}, {"v", 1}, {"client", "parley-scenario"}},
                               timeout);
    if (hello.value("t", "") != "ok")
      throw device_error("hello refused: " + hello.dump());
    auto hb = hello.value("heartbeat_s", 30);
    ping_every_ = std::chrono::milliseconds{hb > 0 ? hb * 1000 / 2 : 15000};
    json req = resume ? json{{"t", "resume"}, {"token", token_}, {"device", name_}}
                      : json{{"t", "login"},
                             {"user", user_},
                             {"password", password},
                             {"device", name_}};
    auto id = client_->send(req);
    last_write_ = clock_type::now();
    auto deadline = clock_type::now() + timeout;
    // Frames before the reply (none expected) are handled in order.
    for (;;) {
      auto f = client_->next_frame(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock_type::now()));
      if (!f)
        throw device_error(client_->closed() ? "connection closed during login"
                                             : "no reply to login/resume");
      if (f->value("id", uint64_t{0}) == id) {
        recent_.push_back(
          "+"
          + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                             clock_type::now() - born_)
                             .count())
          + "ms reply " + f->dump());
        if (f->value("t", "") == "ok") {
          token_ = f->value("token", token_);
          end_session();
          current_ = session_record{};
          current_.device = label();
          current_.user = user_;
          current_.number = static_cast<int>(done_.size()) + 1;
          open_session_ = true;
          seen_keys_.clear();
        }
        return *f;
      }
      handle(std::move(*f));
    }
  } catch (const transport::client_error& e) {
    client_.reset();
    throw device_error(e.what());
  }
}

void device::disconnect() {
  if (client_)
    client_->disconnect();
  client_.reset();
  vanished_ = false;
  end_session();
}

void device::vanish() {
  vanished_ = true;
}

bool device::connected() const {
  return client_ && !vanished_ && !client_->closed();
}

int device::fd() const {
  return client_ && !vanished_ ? client_->native_handle() : -1;
}

uint64_t device::request(json req) {
  if (!connected())
    throw device_error(label() + " is not connected");
  try {
    auto id = client_->send(std::move(req));
    last_write_ = clock_type::now();
    return id;
  } catch (const transport::client_error& e) {
    throw device_error(label() + ": " + e.what());
  }
}

uint64_t device::send_message(json req, const std::string& where) {
  auto id = request(req);
  pending_[id] = pending_send{std::move(req), where, 1, clock_type::now(), {}};
  return id;
}

void device::notify(const json& req) {
  if (!connected())
    throw device_error(label() + " is not connected");
  try {
    client_->send_no_id(req);
    last_write_ = clock_type::now();
  } catch (const transport::client_error& e) {
    throw device_error(label() + ": " + e.what());
  }
}

void device::raw(const std::string& bytes) {
  if (!connected())
    throw device_error(label() + " is not connected");
  try {
    client_->send_raw(bytes);
    last_write_ = clock_type::now();
  } catch (const transport::client_error& e) {
    throw device_error(label() + ": " + e.what());
  }
}

std::map<uint64_t, uint64_t>
device::retry_pending(std::chrono::milliseconds age) {
  std::map<uint64_t, uint64_t> moved;
  if (!connected())
    return moved;
  auto now = clock_type::now();
  std::vector<uint64_t> due;
  for (auto& [id, p] : pending_)
    if (!p.failed.empty() || now - p.sent >= age)
      due.push_back(id);
  for (auto id : due) {
    auto p = std::move(pending_[id]);
    pending_.erase(id);
    replies_.erase(id);
    auto fresh = request(p.request);
    p.attempts++;
    p.sent = clock_type::now();
    p.failed.clear();
    pending_[fresh] = std::move(p);
    moved[id] = fresh;
  }
  return moved;
}

void device::pump() {
  if (!client_ || vanished_)
    return;
  try {
    client_->pump();
    while (auto f = client_->next_frame(std::chrono::milliseconds{0}))
      handle(std::move(*f));
  } catch (const transport::client_error& e) {
    recent_.push_back(std::string{"(connection error: "} + e.what() + ")");
    client_->disconnect();
  }
  if (client_->closed() && open_session_) {
    recent_.push_back("(connection closed by the server)");
    end_session();
  }
  send_ping_if_due();
}

void device::send_ping_if_due() {
  if (!connected() || clock_type::now() - last_write_ < ping_every_)
    return;
  try {
    auto id = client_->send({{"t", "ping"}});
    auto_pings_.insert(id);
    last_write_ = clock_type::now();
  } catch (const transport::client_error&) {
    // The next pump notices the closed connection.
  }
}

void device::handle(json frame) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              clock_type::now() - born_)
              .count();
  auto id_it = frame.find("id");
  if (id_it != frame.end() && id_it->is_number_unsigned()) {
    auto id = id_it->get<uint64_t>();
    if (auto_pings_.erase(id) > 0)
      return; // our heartbeat
    recent_.push_back("+" + std::to_string(ms) + "ms reply " + frame.dump());
    if (auto p = pending_.find(id); p != pending_.end()) {
      if (frame.value("t", "") == "ok" && frame.contains("seq")) {
        auto& req = p->second.request;
        acked_send a;
        a.conv = frame.value("conv", "");
        a.seq = frame["seq"].get<uint64_t>();
        a.device = label();
        a.content = content_of(req);
        a.content.from = user_;
        a.where = p->second.where;
        acked_->push_back(a);
        current_.seen.push_back({a.conv, a.seq, a.content, true});
        seen_keys_.insert({a.conv, a.seq});
        auto& h = highest[a.conv];
        h = std::max(h, a.seq);
        current_conv = a.conv;
        if (req.contains("to"))
          direct_found.emplace_back(req.value("to", ""), a.conv);
        pending_.erase(p);
      } else {
        p->second.failed = frame.value("code", "err");
      }
    }
    replies_[id] = std::move(frame);
  } else {
    recent_.push_back("+" + std::to_string(ms) + "ms " + frame.dump());
    auto t = frame.value("t", "");
    if (t == "msg" && frame.contains("conv") && frame.contains("seq")) {
      auto conv = frame["conv"].get<std::string>();
      auto seq = frame["seq"].get<uint64_t>();
      auto c = content_of(frame);
      if (!seen_keys_.insert({conv, seq}).second) {
        // A duplicate (delivery is at least once): dropped unless it differs.
        bool same = false;
        for (auto& s : current_.seen)
          if (s.conv == conv && s.seq == seq && s.content == c)
            same = true;
        if (same)
          return;
      }
      current_.seen.push_back({conv, seq, c, false});
      auto& h = highest[conv];
      h = std::max(h, seq);
      current_conv = conv;
    } else if (t == "synced") {
      current_.synced = true;
    }
    inbox_.push_back(std::move(frame));
  }
  while (recent_.size() > recent_limit)
    recent_.pop_front();
}

std::optional<json> device::take_reply(uint64_t id) {
  auto i = replies_.find(id);
  if (i == replies_.end())
    return std::nullopt;
  auto r = std::move(i->second);
  replies_.erase(i);
  return r;
}

std::vector<std::string> device::recent_frames() const {
  return {recent_.begin(), recent_.end()};
}

void device::end_session() {
  if (!open_session_)
    return;
  for (auto& [id, p] : pending_)
    current_.unanswered_cmids.insert(p.request.value("cmid", ""));
  done_.push_back(current_);
  open_session_ = false;
}

std::vector<session_record> device::sessions() const {
  auto out = done_;
  for (auto& s : out)
    s.acked_upto = acked_upto;
  if (open_session_) {
    out.push_back(current_);
    out.back().open = connected();
    out.back().acked_upto = acked_upto;
    for (auto& [id, p] : pending_)
      out.back().unanswered_cmids.insert(p.request.value("cmid", ""));
  }
  return out;
}

} // namespace parley::scenario
