// parley-scenario: runs scenario scripts against in-process Parley nodes
// (or, with --target, an external node) and checks the delivery invariants.
//
//   parley-scenario [--seed S] [--target HOST:PORT] [--keep] [-v] FILE...
//
// Exit status 0 when every scenario passed, 1 when one failed, 2 on a usage
// or parse error. Reference: docs/harness.md.

#include <csignal>
#include <iostream>
#include <random>

#include <CLI/CLI.hpp>

#include "scenario_parser.hpp"
#include "scenario_runner.hpp"

int main(int argc, char** argv) {
  using namespace parley::scenario;
  CLI::App app{"parley-scenario: scripted Parley scenarios with an invariant "
               "checker"};
  std::vector<std::string> files;
  uint64_t seed = 0;
  std::string target;
  bool keep = false;
  bool verbose = false;
  bool parse_only = false;
  app.add_option("files", files, "scenario scripts (.scn)")->required();
  auto seed_opt = app.add_option("--seed", seed,
                                 "seed of the random steps (default: random, "
                                 "printed)");
  app.add_option("--target", target,
                 "HOST:PORT of an external node: client steps only");
  app.add_flag("--keep", keep, "keep the nodes' data directories");
  app.add_flag("-v,--verbose", verbose, "print each step as it runs");
  app.add_flag("--check", parse_only, "parse the scripts only");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::cout << std::unitbuf; // progress survives a CTest timeout
  run_options opts;
  opts.keep = keep;
  opts.verbose = verbose;
  opts.seed = seed_opt->count() > 0 ? seed : std::random_device{}();
  if (!target.empty()) {
    auto colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "parley-scenario: --target expects HOST:PORT\n";
      return 2;
    }
    opts.target_host = target.substr(0, colon);
    try {
      opts.target_port = static_cast<uint16_t>(std::stoul(target.substr(colon + 1)));
    } catch (const std::exception&) {
      std::cerr << "parley-scenario: --target expects HOST:PORT\n";
      return 2;
    }
  }
  std::vector<std::pair<std::string, std::vector<step>>> scripts;
  for (auto& f : files) {
    std::string error;
    auto steps = load_scenario(f, error);
    if (!steps) {
      std::cerr << error << "\n";
      return 2;
    }
    scripts.emplace_back(f, std::move(*steps));
  }
  if (parse_only)
    return 0;
  int failed = 0;
  for (auto& [file, steps] : scripts) {
    auto r = run_scenario(steps, file, opts, std::cout);
    std::cout.flush();
    if (!r.passed)
      ++failed;
  }
  return failed == 0 ? 0 : 1;
}
