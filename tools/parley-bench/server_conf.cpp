#include "server_conf.hpp"

#include <stdexcept>

#include <toml++/toml.h>

namespace parley::bench {

namespace {

void read_key(const toml::table& server, const char* key, uint32_t& out) {
  if (auto v = server[key].value<int64_t>(); v && *v >= 0)
    out = static_cast<uint32_t>(*v);
}

} // namespace

server_conf load_server_conf(const std::string& path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw std::runtime_error("--server-conf " + path + ": "
                             + std::string{e.description()});
  }
  server_conf out;
  if (auto server = root["server"].as_table()) {
    read_key(*server, "passivate_s", out.passivate_s);
    read_key(*server, "heartbeat_s", out.heartbeat_s);
    read_key(*server, "presence_grace_ms", out.presence_grace_ms);
  }
  return out;
}

} // namespace parley::bench
