#pragma once

// The parsed form of a scenario: a list of steps, each one line of the
// script (docs/harness.md is the reference of every step).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace parley::scenario {

/// A positional argument: a bare word or a quoted string (escapes applied).
struct arg {
  std::string text;
  bool quoted = false;
  bool json = false; ///< A `{...}` JSON object.
};

/// `key=value` (value bare or quoted).
struct field {
  std::string key;
  std::string value;
  bool quoted = false;
};

/// What the `-> ...` tail of a request step expects of the reply.
struct reply_expectation {
  bool ok = true;                ///< `-> ok` or `-> err`
  std::string code;              ///< `-> err CODE` / `-> err code=CODE`
  std::vector<field> fields;     ///< matched against the reply frame
  std::string bind_as;           ///< `as NAME`: binds the reply's conv
};

/// One step: `[DEVICE] VERB args... key=value... [within T] [-> reply]`.
/// `repeat N {` ... `}` is one step whose `body` holds the block.
struct step {
  std::string file;
  int line = 0;
  std::string text;                ///< The line as written (trimmed).
  std::string device;              ///< "alice/phone" for device steps.
  std::string verb;                ///< "send", "expect", "kill", ...
  std::vector<arg> args;
  std::vector<field> fields;
  std::optional<std::chrono::milliseconds> within;
  std::optional<reply_expectation> reply;
  int repeat = 0;                  ///< For `repeat`.
  std::vector<step> body;          ///< For `repeat`.

  /// The value of field `key`, if given.
  const field* find(const std::string& key) const {
    for (auto& f : fields)
      if (f.key == key)
        return &f;
    return nullptr;
  }

  /// "file:line".
  std::string where() const { return file + ":" + std::to_string(line); }
};

/// The default wait of expectations and replies without `within`.
constexpr std::chrono::milliseconds default_within{2000};

} // namespace parley::scenario
