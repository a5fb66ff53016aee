#include "scenario_parser.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include "scenario_lexer.hpp"

namespace parley::scenario {

namespace {

/// The shape of one verb. `any_fields`: every key is accepted (matchers,
/// server settings); otherwise only `fields`.
struct verb_spec {
  const char* name;
  bool device;     ///< A device step (`alice/phone VERB ...`).
  int min_args;
  int max_args;    ///< -1: no bound.
  bool reply;      ///< May have `-> ok|err ...`.
  bool err_only;   ///< Only `-> err ...` (requests without a reply).
  bool any_fields;
  std::set<std::string> fields;
};

const std::vector<verb_spec>& specs() {
  static const std::vector<verb_spec> all = {
    // Global steps.
    {"nodes", false, 1, -1, false, false, true, {}},
    {"config", false, 0, 0, false, false, true, {}},
    {"user", false, 1, -1, false, false, false, {}},
    {"sleep", false, 1, 1, false, false, false, {}},
    {"kill", false, 2, 2, false, false, false, {}},
    {"delay", false, 3, 3, false, false, false, {}},
    {"drop", false, 2, 2, false, false, false, {}},
    {"restart", false, 2, 2, false, false, false, {}},
    {"stop", false, 2, 2, false, false, false, {}},
    {"start", false, 2, 2, false, false, false, {}},
    {"cut", false, 3, 3, false, false, false, {}},
    {"heal", false, 3, 3, false, false, false, {}},
    {"random", false, 4, -1, false, false, false,
     {"seed", "faults", "window"}},
    {"repeat", false, 1, 1, false, false, false, {}},
    // Device steps.
    {"connect", true, 0, 1, true, true, false, {}},
    {"resume", true, 0, 1, true, true, false, {}},
    {"disconnect", true, 0, 0, false, false, false, {}},
    {"vanish", true, 0, 0, false, false, false, {}},
    {"send", true, 2, 2, true, false, false, {"cmid", "kind", "retries"}},
    {"burst", true, 2, 2, false, false, false, {"body"}},
    {"await", true, 0, 0, false, false, false, {}},
    {"ack", true, 0, 1, true, true, false, {"seq", "conv"}},
    {"read", true, 0, 1, true, true, false, {"seq", "conv"}},
    {"typing", true, 1, 1, true, true, false, {"conv"}},
    {"history", true, 0, 1, true, false, false,
     {"conv", "before", "after", "limit"}},
    {"convs", true, 0, 0, true, false, false, {}},
    {"receipts", true, 0, 1, true, false, false, {"conv"}},
    {"group", true, 2, -1, true, false, false, {}},
    {"presence", true, 1, -1, true, false, false, {}},
    {"watch", true, 1, -1, true, false, false, {}},
    {"unwatch", true, 1, -1, true, false, false, {}},
    {"ping", true, 0, 0, true, false, false, {}},
    {"request", true, 1, 1, true, false, false, {}},
    {"frame", true, 1, 1, false, false, false, {}},
    {"raw", true, 1, 1, false, false, false, {}},
    {"expect", true, 1, -1, false, false, true, {}},
    {"drain", true, 0, 0, false, false, false, {}},
  };
  return all;
}

const verb_spec* find_spec(const std::string& verb) {
  for (auto& s : specs())
    if (verb == s.name)
      return &s;
  return nullptr;
}

bool is_device_name(const std::string& s) {
  auto slash = s.find('/');
  return slash != std::string::npos && slash > 0 && slash + 1 < s.size()
         && s.find('/', slash + 1) == std::string::npos;
}

bool is_number(const std::string& s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

/// Checks what only the verb knows (sub-verbs, numbers, durations).
bool check_shape(const step& s, std::string& error) {
  auto word = [&](size_t i) -> const std::string& { return s.args[i].text; };
  auto need = [&](bool ok, const std::string& what) {
    if (!ok)
      error = what;
    return ok;
  };
  if (s.verb == "kill")
    return need(word(0) == "actor" || word(0) == "node",
                "kill: expected `kill actor ENTITY` or `kill node NAME`");
  if (s.verb == "delay")
    return need((word(0) == "actor" || word(0) == "node")
                  && parse_duration(word(2)).has_value(),
                "delay: expected `delay actor ENTITY DURATION` or `delay node "
                "NAME DURATION`");
  if (s.verb == "drop")
    return need(word(0) == "next", "drop: expected `drop next ENTITY`");
  if (s.verb == "restart" || s.verb == "stop" || s.verb == "start")
    return need(word(0) == "node", s.verb + ": expected `" + s.verb
                                     + " node NAME`");
  if (s.verb == "cut" || s.verb == "heal")
    return need(word(0) == "link", s.verb + ": expected `" + s.verb
                                     + " link NODE NODE`");
  if (s.verb == "sleep")
    return need(parse_duration(word(0)).has_value(),
                "sleep: expected a duration (500ms, 2s)");
  if (s.verb == "random")
    return need(word(0) == "sends" && is_number(word(1)) && word(2) == "among",
                "random: expected `random sends N among DEVICE...`");
  if (s.verb == "repeat")
    return need(is_number(word(0)), "repeat: expected `repeat N {`");
  if (s.verb == "burst")
    return need(is_number(word(0)), "burst: expected `burst N TARGET`");
  if (s.verb == "typing")
    return need(word(0) == "on" || word(0) == "off",
                "typing: expected `typing on` or `typing off`");
  if (s.verb == "group") {
    static const std::set<std::string> subs{"create", "add", "remove",
                                            "leave", "info"};
    if (!need(subs.count(word(0)) > 0,
              "group: expected create, add, remove, leave or info"))
      return false;
    if ((word(0) == "leave" || word(0) == "info") && s.args.size() != 2)
      return need(false, "group " + word(0) + ": expected `group " + word(0)
                           + " GROUP`");
    if ((word(0) == "add" || word(0) == "remove") && s.args.size() < 3)
      return need(false, "group " + word(0) + ": expected `group " + word(0)
                           + " GROUP USER...`");
    return true;
  }
  if (s.verb == "request" || s.verb == "frame")
    return need(s.args[0].json, s.verb + ": expected a JSON object {...}");
  if ((s.verb == "ack" || s.verb == "read") && !s.args.empty())
    return need(is_number(word(0)), s.verb + ": expected a seq number");
  if (s.verb == "expect") {
    if (word(0) == "nothing" && !s.within)
      return need(false, "expect nothing: needs `within DURATION`");
    if (word(0) == "msgs") {
      bool range = s.args.size() >= 2 && word(1).find("..") != std::string::npos
                   && is_number(word(1).substr(0, word(1).find("..")))
                   && is_number(word(1).substr(word(1).find("..") + 2));
      bool tail = s.args.size() == 2
                  || (s.args.size() == 4 && word(2) == "then"
                      && word(3) == "synced");
      if (!range || !tail)
        return need(false, "expect msgs: expected `expect msgs A..B [then "
                           "synced]`");
    }
  }
  return true;
}

/// Parses one line's tokens into `s` (file, line, text already set).
bool parse_line(std::vector<token> toks, step& s, std::string& error) {
  // `-> ok|err ...`
  for (size_t i = 0; i < toks.size(); ++i) {
    if (toks[i].what != token::kind::word || toks[i].text != "->")
      continue;
    if (i + 1 >= toks.size()
        || (toks[i + 1].text != "ok" && toks[i + 1].text != "err")) {
      error = "expected `ok` or `err` after `->`";
      return false;
    }
    reply_expectation r;
    r.ok = toks[i + 1].text == "ok";
    for (size_t j = i + 2; j < toks.size(); ++j) {
      auto& t = toks[j];
      if (t.what == token::kind::field) {
        if (!r.ok && t.text == "code")
          r.code = t.value;
        else
          r.fields.push_back({t.text, t.value, t.value_quoted});
      } else if (t.what == token::kind::word && t.text == "as"
                 && j + 1 < toks.size()) {
        r.bind_as = toks[++j].text;
      } else if (t.what == token::kind::word && !r.ok && r.code.empty()) {
        r.code = t.text;
      } else if (t.what == token::kind::word && t.text == "within"
                 && j + 1 < toks.size()) {
        auto d = parse_duration(toks[j + 1].text);
        if (!d) {
          error = "within: expected a duration (500ms, 2s), got `"
                  + toks[j + 1].text + "`";
          return false;
        }
        s.within = *d;
        ++j;
      } else {
        error = "unexpected `" + t.text + "` in the reply expectation";
        return false;
      }
    }
    s.reply = std::move(r);
    toks.resize(i);
    break;
  }
  // `within T` anywhere before the arrow.
  for (size_t i = 0; i < toks.size(); ++i) {
    if (toks[i].what != token::kind::word || toks[i].text != "within")
      continue;
    if (i + 1 >= toks.size() || !parse_duration(toks[i + 1].text)) {
      error = "within: expected a duration (500ms, 2s)";
      return false;
    }
    s.within = parse_duration(toks[i + 1].text);
    toks.erase(toks.begin() + i, toks.begin() + i + 2);
    break;
  }
  if (toks.empty() || toks[0].what != token::kind::word) {
    error = "expected a step";
    return false;
  }
  size_t next = 0;
  if (is_device_name(toks[0].text)) {
    s.device = toks[0].text;
    if (toks.size() < 2 || toks[1].what != token::kind::word) {
      error = "expected a verb after " + s.device;
      return false;
    }
    s.verb = toks[1].text;
    next = 2;
  } else {
    s.verb = toks[0].text;
    next = 1;
    if (s.verb == "connect") { // connect U/D [to N]
      if (toks.size() < 2 || !is_device_name(toks[1].text)) {
        error = "connect: expected `connect USER/DEVICE [to NODE]`";
        return false;
      }
      s.device = toks[1].text;
      next = 2;
    }
  }
  auto spec = find_spec(s.verb);
  if (spec == nullptr) {
    error = "unknown step `" + s.verb + "`";
    return false;
  }
  if (spec->device && s.device.empty()) {
    error = s.verb + ": needs a device first (`alice/phone " + s.verb
            + " ...`)";
    return false;
  }
  if (!spec->device && !s.device.empty()) {
    error = s.verb + " is not a device step";
    return false;
  }
  for (size_t i = next; i < toks.size(); ++i) {
    auto& t = toks[i];
    if (t.what == token::kind::field) {
      if (!spec->any_fields && spec->fields.count(t.text) == 0) {
        error = s.verb + ": unknown option `" + t.text + "`";
        return false;
      }
      s.fields.push_back({t.text, t.value, t.value_quoted});
      continue;
    }
    // Filler words that read well but mean nothing.
    if (t.what == token::kind::word
        && ((t.text == "to" && (s.verb == "connect" || s.verb == "resume"))
            || (t.text == "with" && s.verb == "nodes")))
      continue;
    s.args.push_back({t.text, t.what == token::kind::string,
                      t.what == token::kind::json});
  }
  if (s.verb == "config" && s.fields.empty()) {
    error = "config: expected key=value settings";
    return false;
  }
  if (s.reply && !spec->reply) {
    error = s.verb + " has no reply: `->` is not allowed";
    return false;
  }
  if (s.reply && spec->err_only && s.reply->ok) {
    error = s.verb + " gets no `ok` (only `-> err CODE`)";
    return false;
  }
  if (s.reply && !s.reply->ok && s.reply->code.empty()) {
    error = "-> err: expected an error code (`-> err forbidden`)";
    return false;
  }
  auto n = static_cast<int>(s.args.size());
  if (n < spec->min_args || (spec->max_args >= 0 && n > spec->max_args)) {
    error = s.verb + ": expected "
            + (spec->min_args == spec->max_args
                 ? std::to_string(spec->min_args)
                 : (spec->max_args < 0
                      ? "at least " + std::to_string(spec->min_args)
                      : std::to_string(spec->min_args) + " to "
                          + std::to_string(spec->max_args)))
            + " argument(s), got " + std::to_string(n);
    return false;
  }
  return check_shape(s, error);
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

} // namespace

std::optional<std::vector<step>> parse_scenario(const std::string& text,
                                                const std::string& file,
                                                std::string& error) {
  // The stack of open blocks: the top collects the steps being read.
  std::vector<step> root_holder(1);
  std::vector<step*> open{&root_holder[0]};
  std::istringstream in{text};
  std::string raw;
  int line = 0;
  auto fail = [&](int at, const std::string& what) {
    error = file + ":" + std::to_string(at) + ": " + what;
    return std::nullopt;
  };
  while (std::getline(in, raw)) {
    ++line;
    std::string why;
    auto toks = tokenize(raw, why);
    if (!toks)
      return fail(line, why);
    if (toks->empty())
      continue;
    auto& last = toks->back();
    if (toks->size() == 1 && last.what == token::kind::word
        && last.text == "}") {
      if (open.size() == 1)
        return fail(line, "`}` without an open `repeat N {`");
      open.pop_back();
      continue;
    }
    bool opens = last.what == token::kind::word && last.text == "{";
    if (opens)
      toks->pop_back();
    step s;
    s.file = file;
    s.line = line;
    s.text = trim(raw);
    if (!parse_line(std::move(*toks), s, why))
      return fail(line, why);
    if (opens != (s.verb == "repeat"))
      return fail(line, opens ? "only `repeat N` opens a block"
                              : "repeat: expected `{` at the end of the line");
    if (s.verb == "repeat")
      s.repeat = std::stoi(s.args[0].text);
    open.back()->body.push_back(std::move(s));
    if (opens)
      open.push_back(&open.back()->body.back());
  }
  if (open.size() > 1)
    return fail(open.back()->line, "repeat: block not closed with `}`");
  return std::move(root_holder[0].body);
}

std::optional<std::vector<step>> load_scenario(const std::string& path,
                                               std::string& error) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    error = path + ": cannot open";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path, error);
}

} // namespace parley::scenario
