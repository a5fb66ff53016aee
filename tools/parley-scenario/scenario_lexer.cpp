#include "scenario_lexer.hpp"

#include <cctype>
#include <cstdlib>

namespace parley::scenario {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Reads a quoted string starting at line[i] == '"'; advances i past the
/// closing quote.
bool read_string(const std::string& line, size_t& i, std::string& out,
                 std::string& error) {
  auto start = i;
  ++i;
  while (i < line.size()) {
    char c = line[i++];
    if (c == '"')
      return true;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i >= line.size())
      break;
    char e = line[i++];
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case '0': out.push_back('\0'); break;
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case 'x': {
        int hi = i < line.size() ? hex_digit(line[i]) : -1;
        int lo = i + 1 < line.size() ? hex_digit(line[i + 1]) : -1;
        if (hi < 0 || lo < 0) {
          error = "column " + std::to_string(i) + ": \\x needs two hex digits";
          return false;
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default:
        error = "column " + std::to_string(i - 1) + ": unknown escape \\"
                + std::string(1, e);
        return false;
    }
  }
  error = "column " + std::to_string(start + 1) + ": unterminated string";
  return false;
}

/// Reads a JSON object from line[i] == '{' to its matching brace.
bool read_json(const std::string& line, size_t& i, std::string& out,
               std::string& error) {
  auto start = i;
  int depth = 0;
  bool in_string = false;
  for (; i < line.size(); ++i) {
    char c = line[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']') {
      if (--depth == 0) {
        ++i;
        out = line.substr(start, i - start);
        return true;
      }
    }
  }
  error = "column " + std::to_string(start + 1) + ": unterminated JSON object";
  return false;
}

} // namespace

std::optional<std::vector<token>> tokenize(const std::string& line,
                                           std::string& error) {
  std::vector<token> out;
  size_t i = 0;
  while (i < line.size()) {
    if (is_blank(line[i])) {
      ++i;
      continue;
    }
    if (line[i] == '#')
      break;
    token t;
    t.column = static_cast<int>(i) + 1;
    if (line[i] == '"') {
      t.what = token::kind::string;
      if (!read_string(line, i, t.text, error))
        return std::nullopt;
    } else if (line[i] == '{' && i + 1 < line.size() && !is_blank(line[i + 1])) {
      t.what = token::kind::json;
      if (!read_json(line, i, t.text, error))
        return std::nullopt;
    } else {
      int parens = 0;
      while (i < line.size() && (parens > 0 || !is_blank(line[i]))) {
        char c = line[i];
        if (c == '(')
          ++parens;
        else if (c == ')')
          --parens;
        if (c == '=' && parens == 0 && t.what == token::kind::word
            && !t.text.empty()) {
          t.what = token::kind::field;
          ++i;
          if (i < line.size() && line[i] == '"') {
            t.value_quoted = true;
            if (!read_string(line, i, t.value, error))
              return std::nullopt;
            break;
          }
          continue;
        }
        if (c == '"' && t.what == token::kind::word) {
          error = "column " + std::to_string(i + 1)
                  + ": a quote inside a word (put a blank before it)";
          return std::nullopt;
        }
        if (c == ' ' || c == '\t') {
          // Inside parentheses: blanks are dropped ("a, b" -> "a,b").
          ++i;
          continue;
        }
        (t.what == token::kind::field ? t.value : t.text).push_back(c);
        ++i;
      }
      if (parens != 0) {
        error = "column " + std::to_string(t.column) + ": unbalanced parentheses";
        return std::nullopt;
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& s) {
  double factor = 0;
  std::string number;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, "ms") == 0) {
    factor = 1;
    number = s.substr(0, s.size() - 2);
  } else if (s.size() > 1 && s.back() == 's') {
    factor = 1000;
    number = s.substr(0, s.size() - 1);
  } else {
    return std::nullopt;
  }
  if (number.empty())
    return std::nullopt;
  for (char c : number)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.')
      return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(number.c_str(), &end);
  if (end == nullptr || *end != '\0' || v < 0)
    return std::nullopt;
  return std::chrono::milliseconds{static_cast<long long>(v * factor + 0.5)};
}

std::string call_argument(const std::string& text, const std::string& prefix) {
  if (text.size() <= prefix.size() + 1 || text.compare(0, prefix.size(), prefix)
      || text.back() != ')')
    return {};
  return text.substr(prefix.size(), text.size() - prefix.size() - 1);
}

} // namespace parley::scenario
