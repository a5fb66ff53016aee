#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

/// One line typed by the user, split for the chat session.
///
/// A line that starts with `/` is a command: `name` is the word after the
/// slash ("to", "send", ...), `args` the whitespace-separated words after it
/// and `rest` everything after the name with surrounding blanks trimmed. Any
/// other non-blank line is text to send: `name` is empty and `rest` is the
/// line as typed. A line starting with `//` is text that starts with `/`.
struct command_line {
  std::string name;
  std::vector<std::string> args;
  std::string rest;

  bool is_text() const noexcept {
    return name.empty();
  }
};

/// Splits `line` (without its newline; a trailing '\r' is dropped).
/// Returns false for a blank line, which is ignored.
bool parse_command_line(std::string_view line, command_line& out);

/// Splits off the first word of `text`: returns it and leaves in `tail` what
/// follows it, leading blanks removed. Used for `/send USER TEXT`, where
/// the text keeps its inner spacing.
std::string first_word(std::string_view text, std::string& tail);

} // namespace parley::cli
