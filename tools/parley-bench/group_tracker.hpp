#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::bench {

/// The end-of-run verdict on the groups' deliveries; every count but
/// `posts` must be 0.
struct group_check {
  uint64_t posts = 0;        ///< Seqs whose sender got `ok`.
  uint64_t missing = 0;      ///< Deliveries (post, other member) never seen.
  uint64_t extra = 0;        ///< Deliveries beyond one per other member.
  uint64_t unacked = 0;      ///< Seqs delivered or skipped without an `ok`.
  uint64_t out_of_order = 0; ///< A member got a seq not above its last one.
  uint64_t own_echo = 0;     ///< The sending connection got its own post.

  bool ok() const noexcept {
    return missing == 0 && extra == 0 && unacked == 0 && out_of_order == 0
           && own_echo == 0;
  }

  group_check& operator+=(const group_check& other);
};

/// What happened to the posts of one group: who acknowledged which seq,
/// how many members received it and when the last one did. Owned by the
/// worker that runs every member of the group, and used only on its thread.
///
/// The group is created with all its members at once, so its seq 1 is the
/// creation (protocol.md: a member change is a message of the sequence)
/// and the posts are seq 2, 3, ... without gaps.
class group_tracker {
public:
  static constexpr uint64_t first_post_seq = 2;

  group_tracker(uint32_t index, uint32_t members);

  uint32_t index() const noexcept {
    return index_;
  }
  uint32_t members() const noexcept {
    return members_;
  }
  /// Deliveries per post: one to each other member's one connection.
  uint32_t fanout() const noexcept {
    return members_ - 1;
  }
  const std::string& conv() const noexcept {
    return conv_;
  }
  void set_conv(std::string conv) {
    conv_ = std::move(conv);
  }

  /// The sender of `seq` got its `ok`.
  void on_post_ok(uint64_t seq);

  /// A member other than the sender received `seq` (sent at `sent_ns`) at
  /// `now_ns`. When this was the post's last delivery, returns the time
  /// from the send to it (ns).
  std::optional<uint64_t> on_delivery(uint64_t seq, uint64_t sent_ns,
                                      uint64_t now_ns);

  void on_out_of_order() noexcept {
    ++out_of_order_;
  }
  void on_own_echo() noexcept {
    ++own_echo_;
  }

  /// Checks every seq from the first post to the highest seen (call once
  /// no reply or delivery is expected any more).
  group_check check() const;

private:
  struct post {
    uint32_t received = 0;
    bool acked = false;
  };

  /// The entry of `seq`, or nullptr for a seq that cannot be a post.
  post* at(uint64_t seq);

  uint32_t index_;
  uint32_t members_;
  std::string conv_;
  std::vector<post> posts_; ///< [i] is seq first_post_seq + i.
  uint64_t bad_seqs_ = 0;   ///< Seqs below the first post or absurdly high.
  uint64_t out_of_order_ = 0;
  uint64_t own_echo_ = 0;
};

} // namespace parley::bench
