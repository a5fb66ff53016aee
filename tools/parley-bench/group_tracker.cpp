#include "group_tracker.hpp"

namespace parley::bench {

namespace {

/// A seq this far beyond the highest seen is a broken frame, not a post.
constexpr uint64_t max_seq_jump = 1u << 24;

} // namespace

group_check& group_check::operator+=(const group_check& other) {
  posts += other.posts;
  missing += other.missing;
  extra += other.extra;
  unacked += other.unacked;
  out_of_order += other.out_of_order;
  own_echo += other.own_echo;
  return *this;
}

group_tracker::group_tracker(uint32_t index, uint32_t members)
    : index_(index), members_(members) {
  // nop
}

group_tracker::post* group_tracker::at(uint64_t seq) {
  if (seq < first_post_seq
      || seq - first_post_seq > posts_.size() + max_seq_jump) {
    ++bad_seqs_;
    return nullptr;
  }
  auto i = seq - first_post_seq;
  if (i >= posts_.size())
    posts_.resize(i + 1);
  return &posts_[i];
}

void group_tracker::on_post_ok(uint64_t seq) {
  if (auto p = at(seq)) {
    if (p->acked)
      ++bad_seqs_; // two sends answered with one seq
    p->acked = true;
  }
}

std::optional<uint64_t> group_tracker::on_delivery(uint64_t seq,
                                                   uint64_t sent_ns,
                                                   uint64_t now_ns) {
  auto p = at(seq);
  if (p == nullptr)
    return std::nullopt;
  if (++p->received != fanout() || sent_ns == 0 || now_ns < sent_ns)
    return std::nullopt;
  return now_ns - sent_ns;
}

group_check group_tracker::check() const {
  group_check r;
  r.unacked = bad_seqs_;
  r.out_of_order = out_of_order_;
  r.own_echo = own_echo_;
  for (auto& p : posts_) {
    if (!p.acked) {
      ++r.unacked; // delivered without an ok, or a gap in the sequence
      continue;
    }
    ++r.posts;
    if (p.received < fanout())
      r.missing += fanout() - p.received;
    else
      r.extra += p.received - fanout();
  }
  return r;
}

} // namespace parley::bench
