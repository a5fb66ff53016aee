#include "transport/gateway.hpp"

#include <cstdio>
#include <exception>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "transport/gateway_state.hpp"
#include "transport/tcp_connection.hpp"

namespace parley::transport {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

connection::~connection() {
  // nop
}

connection_handler::~connection_handler() {
  // nop
}

namespace {

[[noreturn]] void throw_system_error(const error_code& ec, const std::string& what) {
  auto text = what + ": " + ec.message();
  if (ec.category() == boost::system::system_category())
    throw std::system_error(std::error_code(ec.value(), std::system_category()),
                            text);
  throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                          text);
}

} // namespace

/// The listening socket and the io threads. The accept loop runs on
/// `accept_strand`; connections live in `state` (shared with them).
struct gateway::impl {
  impl(gateway_config config, handler_factory factory)
    : state(std::make_shared<gateway_state>(std::move(config),
                                            std::move(factory))),
      acceptor(state->ioc),
      accept_strand(asio::make_strand(state->ioc)),
      accept_retry(state->ioc) {
    const auto& cfg = state->config;
    auto where = cfg.host + ":" + std::to_string(cfg.port);
    error_code ec;
    tcp::endpoint endpoint;
    auto address = asio::ip::make_address(cfg.host, ec);
    if (!ec) {
      endpoint = tcp::endpoint{address, cfg.port};
    } else {
      tcp::resolver resolver{state->ioc};
      auto results = resolver.resolve(cfg.host, std::to_string(cfg.port), ec);
      if (ec)
        throw_system_error(ec, "resolve " + where);
      if (results.empty())
        throw_system_error(asio::error::host_not_found, "resolve " + where);
      endpoint = *results.begin();
    }
    acceptor.open(endpoint.protocol(), ec);
    if (ec)
      throw_system_error(ec, "socket " + where);
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
      acceptor.bind(endpoint, ec);
    if (ec)
      throw_system_error(ec, "bind " + where);
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw_system_error(ec, "listen " + where);
    port = acceptor.local_endpoint(ec).port();
  }

  /// On accept_strand.
  void accept_next() {
    acceptor.async_accept(asio::bind_executor(
      accept_strand, [this](const error_code& ec, tcp::socket socket) {
        if (!acceptor.is_open())
          return; // stopped
        if (ec == asio::error::connection_aborted) {
          accept_next();
          return;
        }
        if (ec) {
          // E.g. out of file descriptors: back off instead of spinning.
          accept_retry.expires_after(std::chrono::milliseconds{50});
          accept_retry.async_wait(
            asio::bind_executor(accept_strand, [this](const error_code& ec) {
              if (!ec && acceptor.is_open())
                accept_next();
            }));
          return;
        }
        std::make_shared<tcp_connection>(state, std::move(socket))->start();
        accept_next();
      }));
  }

  static void run(const std::shared_ptr<gateway_state>& state) {
    for (;;) {
      try {
        state->ioc.run();
        return;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "parley gateway: io thread: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "parley gateway: io thread: unknown exception\n");
      }
    }
  }

  std::shared_ptr<gateway_state> state; // first: destroyed last
  tcp::acceptor acceptor;
  asio::strand<asio::io_context::executor_type> accept_strand;
  asio::steady_timer accept_retry;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  uint16_t port = 0;

  std::mutex lifecycle_mutex; // serializes start and stop
  bool started = false;
  bool stopped = false;
};

gateway::gateway(gateway_config config, handler_factory factory)
  : impl_(std::make_unique<impl>(std::move(config), std::move(factory))) {
  // nop
}

gateway::~gateway() {
  stop();
}

uint16_t gateway::port() const noexcept {
  return impl_->port;
}

void gateway::start() {
  std::lock_guard<std::mutex> guard{impl_->lifecycle_mutex};
  if (impl_->started || impl_->stopped)
    return;
  impl_->started = true;
  impl_->work.emplace(asio::make_work_guard(impl_->state->ioc));
  asio::post(impl_->accept_strand, [self = impl_.get()] { self->accept_next(); });
  auto n = impl_->state->config.threads > 0 ? impl_->state->config.threads : 1u;
  for (unsigned i = 0; i < n; ++i)
    impl_->threads.emplace_back([state = impl_->state] { impl::run(state); });
}

void gateway::stop() {
  shut_down(false);
}

void gateway::abort() {
  shut_down(true);
}

void gateway::shut_down(bool abort) {
  std::lock_guard<std::mutex> guard{impl_->lifecycle_mutex};
  if (impl_->stopped)
    return;
  impl_->stopped = true;
  auto& state = *impl_->state;
  std::vector<std::shared_ptr<tcp_connection>> connections;
  {
    std::lock_guard<std::mutex> registry_guard{state.mutex};
    state.stopping = true;
    connections.reserve(state.registry.size());
    for (auto& entry : state.registry)
      connections.push_back(entry.second);
  }
  asio::post(impl_->accept_strand, [self = impl_.get()] {
    error_code ec;
    self->acceptor.close(ec);
    self->accept_retry.cancel();
  });
  for (auto& conn : connections) {
    if (abort)
      conn->abort();
    else
      conn->shut_down();
  }
  connections.clear();
  // The io threads return once every connection is closed: each has at most
  // close_grace to flush its bye.
  impl_->work.reset();
  if (impl_->threads.empty()) {
    impl::run(impl_->state); // never started: run the posted work here
  } else {
    for (auto& thread : impl_->threads)
      thread.join();
    impl_->threads.clear();
  }
}

size_t gateway::connection_count() const noexcept {
  return impl_->state->open_count.load();
}

gateway_stats gateway::stats() const noexcept {
  constexpr auto relaxed = std::memory_order_relaxed;
  const auto& state = *impl_->state;
  gateway_stats result;
  result.accepted = state.accepted.load(relaxed);
  result.rejected = state.rejected.load(relaxed);
  result.frames_in = state.frames_in.load(relaxed);
  result.frames_out = state.frames_out.load(relaxed);
  result.writes = state.writes.load(relaxed);
  result.bytes_out = state.bytes_out.load(relaxed);
  return result;
}

} // namespace parley::transport
