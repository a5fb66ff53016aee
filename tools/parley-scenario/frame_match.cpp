#include "frame_match.hpp"

#include <sstream>

namespace parley::scenario {

using json = nlohmann::json;

namespace {

const json* walk(const json& root, const std::string& path) {
  const json* at = &root;
  std::istringstream parts{path};
  std::string part;
  while (std::getline(parts, part, '.')) {
    if (at->is_object()) {
      auto i = at->find(part);
      if (i == at->end())
        return nullptr;
      at = &*i;
    } else if (at->is_array()) {
      char* end = nullptr;
      auto idx = std::strtoul(part.c_str(), &end, 10);
      if (part.empty() || *end != '\0' || idx >= at->size())
        return nullptr;
      at = &(*at)[idx];
    } else {
      return nullptr;
    }
  }
  return at;
}

std::string render(const json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_null())
    return "null";
  return v.dump();
}

bool scalar_equals(const json& v, const std::string& want) {
  if (v.is_string())
    return v.get<std::string>() == want;
  if (v.is_boolean())
    return (want == "true") == v.get<bool>() && (want == "true" || want == "false");
  if (v.is_null())
    return want == "null" || want == "nil";
  if (v.is_number_integer() || v.is_number_unsigned())
    return v.dump() == want;
  if (v.is_number_float()) {
    char* end = nullptr;
    auto d = std::strtod(want.c_str(), &end);
    return end != nullptr && *end == '\0' && d == v.get<double>();
  }
  return v.dump() == want;
}

} // namespace

std::vector<std::string> expand_list(const std::string& value) {
  std::vector<std::string> out;
  if (value.empty())
    return out;
  std::istringstream parts{value};
  std::string part;
  while (std::getline(parts, part, ',')) {
    auto dots = part.find("..");
    if (dots != std::string::npos) {
      char* e1 = nullptr;
      char* e2 = nullptr;
      auto first = part.substr(0, dots); // e1 points into it: keep it
      auto a = std::strtoull(first.c_str(), &e1, 10);
      auto rest = part.substr(dots + 2);
      auto b = std::strtoull(rest.c_str(), &e2, 10);
      if (*e1 == '\0' && *e2 == '\0' && a <= b && b - a < 100000) {
        for (auto i = a; i <= b; ++i)
          out.push_back(std::to_string(i));
        continue;
      }
    }
    out.push_back(part);
  }
  return out;
}

bool field_matches(const json& frame, const field& f,
                   const conv_resolver& resolve, std::string& why) {
  auto key = f.key;
  auto want = f.value;
  // len(PATH)=N
  if (key.size() > 5 && key.compare(0, 4, "len(") == 0 && key.back() == ')') {
    auto path = key.substr(4, key.size() - 5);
    auto v = walk(frame, path);
    auto n = v && (v->is_array() || v->is_object()) ? std::to_string(v->size())
                                                    : std::string{"none"};
    if (n == want)
      return true;
    why = key + " is " + n + ", expected " + want;
    return false;
  }
  json synthetic;
  const json* v = nullptr;
  if (key == "seqs" && frame.contains("msgs") && frame["msgs"].is_array()) {
    synthetic = json::array();
    for (auto& m : frame["msgs"])
      synthetic.push_back(m.value("seq", json{}));
    v = &synthetic;
  } else {
    v = walk(frame, key);
  }
  if (v == nullptr) {
    if (want == "absent")
      return true;
    why = key + " is missing, expected " + want;
    return false;
  }
  if (want == "absent") {
    why = key + " is " + render(*v) + ", expected it absent";
    return false;
  }
  if (want == "present" && !f.quoted) {
    if (!v->is_null())
      return true;
    why = key + " is null, expected a value";
    return false;
  }
  auto last = key.substr(key.rfind('.') == std::string::npos ? 0
                                                             : key.rfind('.') + 1);
  if (!f.quoted && last.size() >= 4
      && last.compare(last.size() - 4, 4, "conv") == 0)
    want = resolve(want);
  if (v->is_array()) {
    auto items = f.quoted ? std::vector<std::string>{want} : expand_list(want);
    if (want.empty())
      items.clear();
    bool same = items.size() == v->size();
    for (size_t i = 0; same && i < items.size(); ++i)
      same = scalar_equals((*v)[i], items[i]);
    if (same)
      return true;
    std::string got;
    for (auto& e : *v)
      got += (got.empty() ? "" : ",") + render(e);
    why = key + " is [" + got + "], expected [" + want + "]";
    return false;
  }
  if (scalar_equals(*v, want))
    return true;
  why = key + " is " + (v->is_string() ? "\"" + render(*v) + "\"" : render(*v))
        + ", expected " + (f.quoted ? "\"" + want + "\"" : want);
  return false;
}

bool all_match(const json& frame, const std::vector<field>& fields,
               const conv_resolver& resolve, std::string& why) {
  for (auto& f : fields)
    if (!field_matches(frame, f, resolve, why))
      return false;
  return true;
}

std::string describe(const std::vector<field>& fields) {
  std::string out;
  for (auto& f : fields) {
    if (!out.empty())
      out += " ";
    out += f.key + "=" + (f.quoted ? "\"" + f.value + "\"" : f.value);
  }
  return out;
}

} // namespace parley::scenario
