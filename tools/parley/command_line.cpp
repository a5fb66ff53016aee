#include "command_line.hpp"

namespace parley::cli {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::string first_word(std::string_view text, std::string& tail) {
  text = trim(text);
  size_t end = 0;
  while (end < text.size() && !is_blank(text[end]))
    ++end;
  tail = std::string{trim(text.substr(end))};
  return std::string{text.substr(0, end)};
}

bool parse_command_line(std::string_view line, command_line& out) {
  out = command_line{};
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  if (trim(line).empty())
    return false;
  if (line.front() != '/' || (line.size() > 1 && line[1] == '/')) {
    if (line.front() == '/')
      line.remove_prefix(1); // "//text" sends "/text"
    out.rest = std::string{line};
    return true;
  }
  out.name = first_word(line.substr(1), out.rest);
  if (out.name.empty())
    out.name = "/"; // a lone slash: an unknown command, not text
  std::string tail = out.rest;
  while (!tail.empty()) {
    std::string next;
    out.args.push_back(first_word(tail, next));
    tail = std::move(next);
  }
  return true;
}

} // namespace parley::cli
