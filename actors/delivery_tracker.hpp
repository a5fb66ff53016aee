#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace parley::actors {

/// Keeps one device's view of every conversation gapless and in order
/// (protocol.md: at least once per device, in seq order per conversation).
///
/// For each conversation it knows the highest seq handed to the device
/// (`sent`) and whether a fill from the store (login replay or gap repair)
/// is running. Live pushes are written only when they are exactly the next
/// seq; older ones are duplicates; newer ones mean a gap, which the session
/// repairs by reading the store from `sent` on. While a fill runs, live
/// pushes are left to the fill, and the highest one seen is remembered so the
/// fill reads once more if it ended short of it.
///
/// Pure bookkeeping (no I/O, no actors): the session owns it.
class delivery_tracker {
public:
  enum class verdict {
    write, ///< Send this frame now: it is the next seq.
    skip,  ///< Duplicate, or a fill will deliver it.
    fill,  ///< Gap: start a fill from sent() (the push itself is skipped).
  };

  /// Sets the starting point of `conv` (the device's acked cursor) and marks
  /// a fill as running (login replay).
  void begin_fill(const std::string& conv, uint64_t from);

  /// A live push of `seq` in `conv` arrived.
  verdict on_push(const std::string& conv, uint64_t seq);

  /// A message read during a fill is about to be sent: true if it is new
  /// (seq > sent), in which case sent moves to seq.
  bool on_filled(const std::string& conv, uint64_t seq);

  /// The device's own message was acknowledged as `seq`; it arrives as a
  /// push like any other, so this only counts as a write when it is next.
  /// Returns what on_push would.
  verdict on_own(const std::string& conv, uint64_t seq) {
    return on_push(conv, seq);
  }

  /// The fill of `conv` read its last page. Returns true if the fill must
  /// read again (a live push beyond `sent` arrived while it ran); otherwise
  /// the fill is over.
  bool end_fill(const std::string& conv);

  /// The fill of `conv` cannot go on (not a member, node unavailable): stop
  /// it; the next live push starts another if there is a gap.
  void abandon_fill(const std::string& conv);

  bool filling(const std::string& conv) const;
  uint64_t sent(const std::string& conv) const;

  /// Conversations tracked (memory bound: one entry per conversation of the
  /// user that was touched in this session).
  size_t size() const noexcept { return convs_.size(); }

private:
  struct state {
    uint64_t sent = 0;
    uint64_t seen = 0; ///< Highest live seq skipped during a fill.
    bool filling = false;
  };
  std::unordered_map<std::string, state> convs_;
};

} // namespace parley::actors
