#pragma once

// A real gateway on 127.0.0.1 (port 0) with a scriptable handler, for the
// gateway and client tests. The handler answers from a separate worker
// thread, as the domain's CAF actors do.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transport/client.hpp"
#include "transport/frame_builder.hpp"
#include "transport/gateway.hpp"

namespace parley::test {

using namespace std::chrono_literals;
using transport::client;
using transport::connection;
using transport::connection_handler;
using transport::gateway;
using transport::gateway_config;
using transport::request;
using json = nlohmann::json;

/// A thread that runs posted tasks in order: stands in for a CAF worker.
class worker {
public:
  worker() : thread_([this] { run(); }) {}

  ~worker() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      tasks_.push_back(std::move(task));
    }
    cv_.notify_all();
  }

private:
  void run() {
    std::unique_lock<std::mutex> lock{mutex_};
    for (;;) {
      cv_.wait(lock, [this] { return done_ || !tasks_.empty(); });
      if (tasks_.empty())
        return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool done_ = false;
  std::thread thread_;
};

/// What the handlers saw, across all connections of one gateway.
struct event_log {
  std::mutex mutex;
  std::condition_variable cv;
  size_t requests = 0;
  std::vector<std::string> types;        // request types in arrival order
  std::map<uint64_t, std::vector<std::string>> closed; // id -> reasons
  size_t destroyed = 0;                  // handlers destroyed
  size_t destroyed_before_closed = 0;    // contract violations
  size_t request_after_closed = 0;       // contract violations
  std::vector<std::shared_ptr<connection>> connections; // in accept order
  std::map<std::string, std::string> fields; // last string fields seen

  /// Waits until `pred()` holds (under the lock) or `timeout` passes.
  template <class Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
    std::unique_lock<std::mutex> lock{mutex};
    return cv.wait_for(lock, timeout, pred);
  }

  size_t closed_count() {
    size_t n = 0;
    for (auto& entry : closed)
      n += entry.second.size();
    return n;
  }
};

/// Request types the handler understands (everything else is ignored):
///  - echo: `ok` with the id, sent from the worker thread; echoes `body`.
///  - hello: `ok` with `v` 1, from the worker.
///  - register/login: records user/password/device, `ok` from the worker.
///  - burst {n, size, batch}: the worker sends n pushes
///    `{"t":"push","i":i,"pad":..}` of about `size` bytes, then `ok`; with
///    `batch`, it pauses 2 ms after every `batch` pushes, and stops early
///    once the connection is closed.
///  - sync_burst {n}: n pushes `{"t":"push","i":i}` then `ok`, all sent on
///    the strand from within on_request.
///  - close_now: `close()` at once, on the strand.
///  - close_with: `close_with(ok frame, "replaced", "bye bye")`.
///  - silent: never answered.
///  - later / flush: `later` is answered only when `flush` comes, after a
///    push `{"t":"note"}` and after the reply to `flush` itself.
class test_handler final : public connection_handler {
public:
  test_handler(std::shared_ptr<connection> conn, std::shared_ptr<event_log> log,
               worker& w)
    : conn_(std::move(conn)), log_(std::move(log)), worker_(w) {
    std::lock_guard<std::mutex> guard{log_->mutex};
    log_->connections.push_back(conn_);
  }

  ~test_handler() override {
    std::lock_guard<std::mutex> guard{log_->mutex};
    ++log_->destroyed;
    if (!closed_)
      ++log_->destroyed_before_closed;
    log_->cv.notify_all();
  }

  void on_request(request req) override {
    {
      std::lock_guard<std::mutex> guard{log_->mutex};
      ++log_->requests;
      log_->types.push_back(req.type());
      if (closed_)
        ++log_->request_after_closed;
      for (auto key : {"user", "password", "device"})
        if (auto f = req.get_string(key); f.ok())
          log_->fields[key] = f.value;
      log_->cv.notify_all();
    }
    auto id = req.id().value_or(0);
    const auto& t = req.type();
    auto conn = conn_;
    if (t == "echo") {
      auto body = req.get_body("body");
      worker_.post([conn, id, body] {
        if (!body.ok()) {
          conn->send(transport::make_ok_frame(id));
          return;
        }
        transport::frame_builder b(3);
        b.key("t").str("ok").key("id").uint(id);
        b.key("body").body(body.value.bytes, body.value.binary);
        conn->send(b.finish());
      });
    } else if (t == "hello") {
      worker_.post([conn, id] {
        transport::frame_builder b(3);
        b.key("t").str("ok").key("id").uint(id).key("v").uint(1);
        conn->send(b.finish());
      });
    } else if (t == "register" || t == "login" || t == "ping") {
      worker_.post([conn, id] { conn->send(transport::make_ok_frame(id)); });
    } else if (t == "burst") {
      auto n = req.get_uint("n").value;
      auto size = req.get_uint("size").value;
      auto batch = req.get_uint("batch").value; // 0: no pause
      auto gone = gone_;
      worker_.post([conn, id, n, size, batch, gone] {
        std::string pad(size > 20 ? size - 20 : 0, 'x');
        for (uint64_t i = 0; i < n && !gone->load(); ++i) {
          transport::frame_builder b(3);
          b.key("t").str("push").key("i").uint(i).key("pad").str(pad);
          conn->send(b.finish());
          if (batch > 0 && (i + 1) % batch == 0)
            std::this_thread::sleep_for(2ms);
        }
        conn->send(transport::make_ok_frame(id));
      });
    } else if (t == "sync_burst") {
      auto n = req.get_uint("n").value;
      for (uint64_t i = 0; i < n; ++i) {
        transport::frame_builder b(2);
        b.key("t").str("push").key("i").uint(i);
        conn_->send(b.finish());
      }
      conn_->send(transport::make_ok_frame(id));
    } else if (t == "close_now") {
      conn_->close();
    } else if (t == "close_with") {
      conn_->close_with(transport::make_ok_frame(id), "replaced", "bye bye");
    } else if (t == "later") {
      later_.push_back(id);
    } else if (t == "flush") {
      auto later = std::move(later_);
      later_.clear();
      worker_.post([conn, id, later] {
        transport::frame_builder note(1);
        note.key("t").str("note");
        conn->send(note.finish());
        conn->send(transport::make_ok_frame(id));
        for (auto l : later)
          conn->send(transport::make_ok_frame(l));
      });
    }
  }

  void on_closed(std::string_view reason) override {
    gone_->store(true);
    std::lock_guard<std::mutex> guard{log_->mutex};
    closed_ = true;
    log_->closed[conn_->id()].emplace_back(reason);
    log_->cv.notify_all();
  }

private:
  std::shared_ptr<connection> conn_;
  std::shared_ptr<event_log> log_;
  worker& worker_;
  std::vector<uint64_t> later_;
  bool closed_ = false;
  std::shared_ptr<std::atomic<bool>> gone_ = std::make_shared<std::atomic<bool>>();
};

/// A started gateway with test handlers. Destroyed in order: gateway (stop),
/// then the worker.
struct gateway_fixture {
  explicit gateway_fixture(gateway_config cfg = {}) {
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    gw = std::make_unique<gateway>(cfg, [this](std::shared_ptr<connection> c) {
      return std::make_unique<test_handler>(std::move(c), log, work);
    });
    gw->start();
  }

  std::unique_ptr<client> connect(std::chrono::milliseconds timeout = 3000ms) {
    return std::make_unique<client>("127.0.0.1", gw->port(), timeout);
  }

  std::shared_ptr<event_log> log = std::make_shared<event_log>();
  worker work;
  std::unique_ptr<gateway> gw;
};

/// A frame whose payload is `payload` as given (for malformed input).
inline std::string raw_frame(const std::string& payload) {
  std::string out;
  transport::append_frame(out, payload);
  return out;
}

} // namespace parley::test
