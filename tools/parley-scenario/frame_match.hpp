#pragma once

// Matching a frame (a reply or a push) against `key=value` fields.

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario_steps.hpp"

namespace parley::scenario {

/// Resolves a conversation name (`c1`, `conversation(alice,bob)`) to its id;
/// returns the text unchanged when it names none.
using conv_resolver = std::function<std::string(const std::string&)>;

/// Whether `frame` satisfies `f`. Keys are dotted paths (`convs.0.unread`);
/// `len(PATH)=N` compares an array's length; `seqs=1..3` compares the seqs
/// of `msgs`; a key ending in `conv` resolves conversation names; a list
/// value `a,b,1..3` compares an array element by element; `absent` matches
/// a missing key, `present` any non-null value. On mismatch sets `why` to one line.
bool field_matches(const nlohmann::json& frame, const field& f,
                   const conv_resolver& resolve, std::string& why);

/// All of `fields` (first mismatch in `why`).
bool all_match(const nlohmann::json& frame, const std::vector<field>& fields,
               const conv_resolver& resolve, std::string& why);

/// `1..3,7` -> {"1","2","3","7"}.
std::vector<std::string> expand_list(const std::string& value);

/// "from=alice body=\"hi\"" (for messages).
std::string describe(const std::vector<field>& fields);

} // namespace parley::scenario
