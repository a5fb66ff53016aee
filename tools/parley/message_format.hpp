#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace parley::cli {

using json = nlohmann::json;

/// Local wall-clock time of `ts` (ms since the epoch) as HH:MM:SS.
std::string format_time(int64_t ts_ms);

/// A message body for the terminal: text as is (control characters
/// replaced by '?'), a binary body as "<N bytes binary>".
std::string format_body(const json& body);

/// `frame[key]` as a string, or `fallback` when missing or not a string.
std::string string_field(const json& frame, const char* key,
                         const std::string& fallback = "");

/// `frame[key]` as an unsigned integer, or `fallback`.
uint64_t uint_field(const json& frame, const char* key, uint64_t fallback = 0);

/// "error: CODE: msg" for an `err` frame.
std::string format_error(const json& err);

/// A `member` message's body (docs/protocol.md, Groups) as a sentence:
/// "ann added cat, dan". Anything unexpected is shown as it is.
std::string describe_member_change(const json& body);

/// True unless `reply` is an `ok`.
bool is_err(const json& reply);

} // namespace parley::cli
