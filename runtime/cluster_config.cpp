#include "runtime/cluster_config.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace parley::runtime {

namespace fs = std::filesystem;

const node_entry* cluster_config::find_node(const std::string& name) const {
  for (auto& n : nodes)
    if (n.name == name)
      return &n;
  return nullptr;
}

namespace {

// Reads an optional integer in [lo, hi] from `tbl[key]` into `out`.
template <class T>
bool read_int(const toml::table& tbl, const char* key, T& out, int64_t lo,
              int64_t hi, const std::string& where, std::string& error) {
  auto node = tbl.get(key);
  if (!node)
    return true;
  auto v = node->value<int64_t>();
  if (!v || *v < lo || *v > hi) {
    error = where + ": '" + key + "' must be an integer in [" +
            std::to_string(lo) + ", " + std::to_string(hi) + "]";
    return false;
  }
  out = static_cast<T>(*v);
  return true;
}

bool read_double(const toml::table& tbl, const char* key, double& out,
                 double lo, const std::string& where, std::string& error) {
  auto node = tbl.get(key);
  if (!node)
    return true;
  auto v = node->value<double>();
  if (!v || *v < lo) {
    error = where + ": '" + key + "' must be a number >= " + std::to_string(lo);
    return false;
  }
  out = *v;
  return true;
}

bool read_string(const toml::table& tbl, const char* key, std::string& out,
                 const std::string& where, std::string& error) {
  auto node = tbl.get(key);
  if (!node)
    return true;
  auto v = node->value<std::string>();
  if (!v) {
    error = where + ": '" + key + "' must be a string";
    return false;
  }
  out = *v;
  return true;
}

bool read_bool(const toml::table& tbl, const char* key, bool& out,
               const std::string& where, std::string& error) {
  auto node = tbl.get(key);
  if (!node)
    return true;
  auto v = node->value<bool>();
  if (!v || !node->is_boolean()) {
    error = where + ": '" + key + "' must be true or false";
    return false;
  }
  out = *v;
  return true;
}

bool read_server(const toml::table& tbl, server_settings& s,
                 const std::string& where, std::string& error) {
  constexpr int64_t max_u32 = 0xFFFFFFFF;
  if (!read_string(tbl, "durability", s.durability, where, error)
      || !read_int(tbl, "max_frame", s.max_frame, 64, 64 << 20, where, error)
      || !read_int(tbl, "max_body", s.max_body, 1, 16 << 20, where, error)
      || !read_int(tbl, "max_output", s.max_output, 4096, int64_t{1} << 40,
                   where, error)
      || !read_int(tbl, "heartbeat_s", s.heartbeat_s, 1, 86400, where, error)
      || !read_double(tbl, "rate", s.rate, 0.001, where, error)
      || !read_double(tbl, "rate_burst", s.rate_burst, 1, where, error)
      || !read_string(tbl, "pwhash", s.pwhash, where, error)
      || !read_int(tbl, "passivate_s", s.passivate_s, 1, max_u32, where, error)
      || !read_int(tbl, "max_group", s.max_group, 2, 100000, where, error)
      || !read_int(tbl, "receipt_coalesce_ms", s.receipt_coalesce_ms, 1, 60000,
                   where, error)
      || !read_int(tbl, "presence_grace_ms", s.presence_grace_ms, 0, 60000,
                   where, error)
      || !read_int(tbl, "max_connections", s.max_connections, 1, 1000000,
                   where, error)
      || !read_int(tbl, "workers", s.workers, 1, 256, where, error)
      || !read_int(tbl, "gateway_threads", s.gateway_threads, 1, 256, where,
                   error)
      || !read_int(tbl, "restart_intensity", s.restart_intensity, 0, 100000,
                   where, error)
      || !read_int(tbl, "restart_period_s", s.restart_period_s, 1, 86400,
                   where, error)
      || !read_bool(tbl, "fault_injection", s.fault_injection, where, error))
    return false;
  if (s.durability != "wal" && s.durability != "fsync") {
    error = where + ": durability must be \"wal\" or \"fsync\"";
    return false;
  }
  if (s.pwhash != "interactive" && s.pwhash != "moderate"
      && s.pwhash != "minimal") {
    error = where
            + ": pwhash must be \"interactive\", \"moderate\" or \"minimal\"";
    return false;
  }
  if (s.max_body + 1024 > s.max_frame) {
    error = where + ": max_frame must exceed max_body by at least 1024 bytes";
    return false;
  }
  return true;
}

} // namespace

std::optional<cluster_config> parse_cluster_config(const std::string& text,
                                                   const std::string& origin,
                                                   const std::string& base_dir,
                                                   std::string& error) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << origin << ":" << e.source().begin.line << ": "
        << e.description();
    error = msg.str();
    return std::nullopt;
  }
  cluster_config cfg;
  if (auto cluster = root["cluster"].as_table()) {
    if (!read_int(*cluster, "shards", cfg.shards, 1, 65536, origin + " [cluster]",
                  error))
      return std::nullopt;
  }
  if (auto server = root["server"].as_table()) {
    if (!read_server(*server, cfg.server, origin + " [server]", error))
      return std::nullopt;
  }
  auto nodes = root["node"].as_array();
  if (!nodes || nodes->empty()) {
    error = origin + ": no [[node]] entries";
    return std::nullopt;
  }
  std::set<std::string> names;
  size_t index = 0;
  for (auto& elem : *nodes) {
    auto where = origin + " [[node]] #" + std::to_string(++index);
    auto tbl = elem.as_table();
    if (!tbl) {
      error = where + ": not a table";
      return std::nullopt;
    }
    node_entry n;
    if (!read_string(*tbl, "name", n.name, where, error)
        || !read_string(*tbl, "host", n.host, where, error)
        || !read_int(*tbl, "cluster_port", n.cluster_port, 0, 65535, where,
                     error)
        || !read_int(*tbl, "gateway_port", n.gateway_port, 0, 65535, where,
                     error)
        || !read_int(*tbl, "http_port", n.http_port, 0, 65535, where, error)
        || !read_string(*tbl, "data", n.data, where, error))
      return std::nullopt;
    if (n.name.empty() || n.data.empty()) {
      error = where + ": 'name' and 'data' are required";
      return std::nullopt;
    }
    if (!names.insert(n.name).second) {
      error = where + ": duplicate node name '" + n.name + "'";
      return std::nullopt;
    }
    fs::path data(n.data);
    if (data.is_relative())
      data = fs::path(base_dir) / data;
    n.data = data.lexically_normal().string();
    cfg.nodes.push_back(std::move(n));
  }
  return cfg;
}

std::optional<cluster_config> load_cluster_config(const std::string& path,
                                                  std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot read the cluster configuration";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto base = fs::absolute(fs::path(path)).parent_path().string();
  return parse_cluster_config(text.str(), path, base, error);
}

} // namespace parley::runtime
