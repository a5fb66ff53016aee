#pragma once

// The entities scenario's memory of what each user exchanged with its
// partner before its actors were passivated, and the check of its history
// against it after.

#include <cstdint>
#include <string>
#include <vector>

#include "wire.hpp"

namespace parley::bench {

/// What one user sent to and received from its partner (one message each
/// way, in their direct conversation). Written only by the client of that
/// user, on its worker's thread; read by other phases once that worker's
/// threads were joined (a fresh worker_pool per batch).
struct user_record {
  std::string conv;     ///< The pair's conversation (from the send's ok).
  uint64_t sent_seq = 0; ///< Seq of its own message (its ok); 0: none.
  uint64_t sent_ns = 0;  ///< Send time embedded in its own message's body.
  uint64_t got_seq = 0;  ///< Seq of the partner's message pushed to it.
};

/// Checks a `history` page of the pair's conversation, read by `me`
/// (`mine`) after passivation: exactly the two messages the records name,
/// each from its sender, with its seq and body. Returns "" when it holds,
/// else what is wrong (one short phrase, used as an error count key).
std::string check_history(const std::string& me, const user_record& mine,
                          const std::string& partner,
                          const user_record& theirs,
                          const std::vector<history_entry>& msgs);

} // namespace parley::bench
