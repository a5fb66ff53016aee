#include "failure_report.hpp"

namespace parley::scenario {

std::string format_step_failure(const step& s, const std::string& expected,
                                const std::string& got,
                                const std::string& device,
                                const std::vector<std::string>& frames) {
  std::string out = "FAIL " + s.where() + ": " + s.text + "\n";
  out += "  expected: " + expected + "\n";
  out += "  got:      " + got + "\n";
  if (!device.empty()) {
    if (frames.empty()) {
      out += "  " + device + " received no frame yet\n";
    } else {
      out += "  last frames of " + device + " (oldest first):\n";
      for (auto& f : frames)
        out += "    " + (f.size() > 300 ? f.substr(0, 300) + "..." : f) + "\n";
    }
  }
  return out;
}

std::string format_violations(const std::vector<violation>& found,
                              const std::vector<std::string>& problems) {
  std::string out;
  if (!found.empty())
    out += "CHECKER: " + std::to_string(found.size())
           + " invariant violation(s):\n";
  size_t shown = 0;
  for (auto& v : found) {
    if (++shown > 50) {
      out += "  ... and " + std::to_string(found.size() - 50) + " more\n";
      break;
    }
    out += "  [" + v.invariant + "] " + v.text + "\n";
  }
  for (auto& p : problems)
    out += "CHECKER: " + p + "\n";
  return out;
}

} // namespace parley::scenario
