#include "transport/client.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

namespace parley::transport {

namespace {

using clock = std::chrono::steady_clock;

/// Milliseconds left until `deadline` (0 when past), rounded up, for poll():
/// a wait never ends before its deadline.
int remaining_ms(clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline
                                                           - clock::now());
  if (left.count() <= 0)
    return 0;
  return left.count() > 1'000'000 ? 1'000'000 : static_cast<int>(left.count());
}

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

/// Connects a non-blocking socket to one address within the deadline; -1 and
/// `err` set on failure.
int connect_one(const addrinfo* ai, clock::time_point deadline, int& err) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
  if (fd < 0) {
    err = errno;
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
    return fd;
  if (errno != EINPROGRESS) {
    err = errno;
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int ready;
  do {
    ready = ::poll(&p, 1, remaining_ms(deadline));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    err = ready == 0 ? ETIMEDOUT : errno;
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof(err);
  err = 0;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool has_id(const nlohmann::json& frame) {
  return frame.is_object() && frame.contains("id");
}

bool is_reply_to(const nlohmann::json& frame, uint64_t id) {
  if (!frame.is_object())
    return false;
  auto i = frame.find("id");
  return i != frame.end() && i->is_number_unsigned()
         && i->get<uint64_t>() == id;
}

} // namespace

client::client(const std::string& host, uint16_t port, ms timeout)
  : timeout_(timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0)
    throw client_error("resolve " + host + ": " + ::gai_strerror(rc));
  auto deadline = clock::now() + timeout;
  int err = ECONNREFUSED;
  for (auto ai = found; ai != nullptr && fd_ < 0; ai = ai->ai_next)
    fd_ = connect_one(ai, deadline, err);
  ::freeaddrinfo(found);
  if (fd_ < 0)
    throw client_error(errno_text("connect " + host + ":" + service, err));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

client::~client() {
  disconnect();
}

void client::disconnect() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  closed_ = true;
}

std::string client::encode(const json& frame) {
  auto bytes = json::to_msgpack(frame);
  std::string out;
  append_frame(out, std::string_view{reinterpret_cast<const char*>(bytes.data()),
                                     bytes.size()});
  return out;
}

uint64_t client::send(json req) {
  auto id = next_id_++;
  req["id"] = id;
  send_raw(encode(req));
  return id;
}

void client::send_no_id(const json& req) {
  send_raw(encode(req));
}

void client::send_raw(const std::string& bytes) {
  if (fd_ < 0)
    throw client_error("send: not connected");
  auto deadline = clock::now() + timeout_;
  size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + done, bytes.size() - done,
                    MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      int ready = ::poll(&p, 1, remaining_ms(deadline));
      if (ready == 0)
        throw client_error("send: timeout (server not reading)");
      if (ready < 0 && errno != EINTR)
        throw client_error(errno_text("send: poll", errno));
      continue;
    }
    throw client_error(errno_text("send", errno));
  }
}

bool client::read_one(clock::time_point deadline) {
  std::string payload;
  for (;;) {
    auto st = decoder_.next(payload);
    if (st == frame_decoder::status::frame) {
      try {
        inbox_.push_back(json::from_msgpack(payload));
      } catch (const json::exception& e) {
        throw client_error(std::string{"bad frame from server: "} + e.what());
      }
      return true;
    }
    if (st == frame_decoder::status::error)
      throw client_error("bad frame length from server");
    if (closed_ || fd_ < 0)
      return false;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready < 0) {
      if (errno == EINTR)
        continue;
      throw client_error(errno_text("poll", errno));
    }
    if (ready == 0) {
      if (clock::now() >= deadline)
        return false;
      continue; // woke a little early
    }
    char buffer[64 * 1024];
    auto n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      decoder_.feed(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      closed_ = true; // everything the server sent has been read
    } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
      closed_ = true; // reset: nothing more will come
    }
  }
}

client::json client::wait_reply(uint64_t id, ms timeout) {
  for (auto i = inbox_.begin(); i != inbox_.end(); ++i) {
    if (is_reply_to(*i, id)) {
      auto reply = std::move(*i);
      inbox_.erase(i);
      return reply;
    }
  }
  auto deadline = clock::now() + timeout;
  while (read_one(deadline)) {
    if (is_reply_to(inbox_.back(), id)) {
      auto reply = std::move(inbox_.back());
      inbox_.pop_back();
      return reply;
    }
  }
  if (closed_)
    throw client_error("connection closed before the reply to id "
                       + std::to_string(id));
  throw client_error("timeout waiting for the reply to id "
                     + std::to_string(id));
}

client::json client::call(json req, ms timeout) {
  auto id = send(std::move(req));
  return wait_reply(id, timeout);
}

std::optional<client::json> client::next_push(ms timeout) {
  for (auto i = inbox_.begin(); i != inbox_.end(); ++i) {
    if (!has_id(*i)) {
      auto frame = std::move(*i);
      inbox_.erase(i);
      return frame;
    }
  }
  auto deadline = clock::now() + timeout;
  while (read_one(deadline)) {
    if (!has_id(inbox_.back())) {
      auto frame = std::move(inbox_.back());
      inbox_.pop_back();
      return frame;
    }
  }
  return std::nullopt;
}

std::optional<client::json> client::next_frame(ms timeout) {
  if (inbox_.empty() && !read_one(clock::now() + timeout))
    return std::nullopt;
  auto frame = std::move(inbox_.front());
  inbox_.pop_front();
  return frame;
}

bool client::wait_closed(ms timeout) {
  auto deadline = clock::now() + timeout;
  while (!closed_) {
    if (!read_one(deadline) && !closed_)
      return false;
  }
  return true;
}

void client::pump() {
  while (!closed_ && fd_ >= 0 && read_one(clock::now()))
    ; // queue everything available now
}

client::json client::hello() {
  return call({{"t", "hello"}, {"v", 1}});
}

client::json client::register_user(const std::string& user,
                                   const std::string& password) {
  return call({{"t", "register"}, {"user", user}, {"password", password}});
}

client::json client::login(const std::string& user, const std::string& password,
                           const std::string& device) {
  return call({{"t", "login"},
               {"user", user},
               {"password", password},
               {"device", device}});
}

} // namespace parley::transport
