#pragma once

// Splits one line of a scenario into tokens.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace parley::scenario {

/// One token of a line.
/// - a bare word runs to the next blank; parentheses keep blanks inside
///   (`conversation(alice, bob)` is one word);
/// - a quoted string `"..."` supports \" \\ \n \t \r \0 and \xHH;
/// - `key=value` is one token whose value may be quoted (`body="hi there"`);
/// - `{...}` starting with `{` directly followed by a non-blank is a JSON
///   object, read to its matching brace (strings respected);
/// - `#` outside a string starts a comment.
struct token {
  enum class kind { word, string, field, json };
  kind what = kind::word;
  std::string text;  ///< word, string contents, JSON text, or field key
  std::string value; ///< field value
  bool value_quoted = false;
  int column = 1;
};

/// Tokenizes `line`. On error returns nothing and sets `error` (without the
/// file:line prefix, which the caller adds).
std::optional<std::vector<token>> tokenize(const std::string& line,
                                           std::string& error);

/// "2s", "500ms", "1.5s" -> milliseconds; nothing if not a duration.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& s);

/// The argument text of a call-like word: "user(alice)" with prefix
/// "user(" -> "alice"; empty if `text` is not `prefix` + something + ")".
std::string call_argument(const std::string& text, const std::string& prefix);

} // namespace parley::scenario
