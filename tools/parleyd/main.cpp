// parleyd: one Parley node.
//
//   parleyd [--config FILE] [--node NAME] [--port N] [--data DIR]
//
// Prints "listening on HOST:PORT" once serving; SIGINT/SIGTERM stop it
// cleanly. Any start-up failure is one line on stderr and exit status 1; so
// is a fatal failure while serving (e.g. an entity supervisor exceeded its
// restart intensity), after a clean stop.

#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "actors/node.hpp"

int main(int argc, char** argv) {
  CLI::App app{"parleyd: a Parley messaging node"};
  std::string config = "cluster.conf";
  std::string node_name;
  int port = -1;
  std::string data;
  app.add_option("--config", config, "cluster configuration (TOML)");
  app.add_option("--node", node_name, "which [[node]] to run (default: first)");
  app.add_option("--port", port, "gateway port (0: pick a free one)")
    ->check(CLI::Range(0, 65535));
  app.add_option("--data", data, "data directory (overrides the config)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // Block the stop signals in every thread; main waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  std::string error;
  auto cluster = parley::runtime::load_cluster_config(config, error);
  if (!cluster) {
    std::cerr << "parleyd: " << error << std::endl;
    return 1;
  }
  parley::actors::node_options opts;
  opts.cluster = std::move(*cluster);
  opts.name = node_name.empty() ? opts.cluster.nodes.front().name : node_name;
  if (port >= 0)
    opts.port = static_cast<uint16_t>(port);
  if (!data.empty())
    opts.data = data;
  // A vital part of the node failed (e.g. an entity supervisor exceeded
  // its restart intensity): stop as on a signal, say why, exit non-zero so
  // that a service manager restarts the node.
  static std::atomic<bool> failed{false};
  static std::string failure; // written once, before `failed` is set
  opts.on_fatal = [](const std::string& what) {
    if (failed.load())
      return;
    failure = what;
    failed.store(true);
    kill(getpid(), SIGTERM);
  };
  auto node = parley::actors::node::start(opts, error);
  if (!node) {
    std::cerr << "parleyd: " << error << std::endl;
    return 1;
  }
  std::cout << "listening on " << node->host() << ":" << node->port()
            << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  if (failed.load())
    std::cerr << "parleyd: stopping after a fatal failure: " << failure
              << std::endl;
  else
    std::cerr << "parleyd: stopping (signal " << sig << ")" << std::endl;
  node->stop();
  return failed ? 1 : 0;
}
