#include "user_record.hpp"

namespace parley::bench {

std::string check_history(const std::string& me, const user_record& mine,
                          const std::string& partner,
                          const user_record& theirs,
                          const std::vector<history_entry>& msgs) {
  if (mine.sent_seq == 0 || theirs.sent_seq == 0)
    return "history: a send of the pair was never acknowledged";
  if (mine.got_seq != theirs.sent_seq)
    return "push: partner's message not received before passivation";
  if (msgs.size() != 2)
    return "history: " + std::to_string(msgs.size()) + " messages, not 2";
  bool own = false, other = false;
  for (auto& m : msgs) {
    if (m.from == me && m.seq == mine.sent_seq && m.sent_ns == mine.sent_ns)
      own = true;
    else if (m.from == partner && m.seq == theirs.sent_seq
             && m.sent_ns == theirs.sent_ns)
      other = true;
  }
  if (!own)
    return "history: own message missing or changed";
  if (!other)
    return "history: partner's message missing or changed";
  return {};
}

} // namespace parley::bench
