#pragma once

#include <algorithm>
#include <string>

namespace parley::persistence {

/// `text` with every line break replaced by a space: the stores promise
/// one-line error texts (they end up in log lines and `err` frames).
inline std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

} // namespace parley::persistence
