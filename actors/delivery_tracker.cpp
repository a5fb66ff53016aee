#include "actors/delivery_tracker.hpp"

#include <algorithm>

namespace parley::actors {

void delivery_tracker::begin_fill(const std::string& conv, uint64_t from) {
  auto& st = convs_[conv];
  st.sent = std::max(st.sent, from);
  st.filling = true;
}

delivery_tracker::verdict delivery_tracker::on_push(const std::string& conv,
                                                    uint64_t seq) {
  auto& st = convs_[conv];
  if (seq <= st.sent)
    return verdict::skip;
  if (st.filling) {
    st.seen = std::max(st.seen, seq);
    return verdict::skip;
  }
  if (seq == st.sent + 1) {
    st.sent = seq;
    return verdict::write;
  }
  st.filling = true;
  st.seen = seq;
  return verdict::fill;
}

bool delivery_tracker::on_filled(const std::string& conv, uint64_t seq) {
  auto& st = convs_[conv];
  if (seq <= st.sent)
    return false;
  st.sent = seq;
  return true;
}

bool delivery_tracker::end_fill(const std::string& conv) {
  auto& st = convs_[conv];
  if (st.seen > st.sent) {
    st.seen = 0;
    return true;
  }
  st.seen = 0;
  st.filling = false;
  return false;
}

void delivery_tracker::abandon_fill(const std::string& conv) {
  auto& st = convs_[conv];
  st.seen = 0;
  st.filling = false;
}

bool delivery_tracker::filling(const std::string& conv) const {
  auto i = convs_.find(conv);
  return i != convs_.end() && i->second.filling;
}

uint64_t delivery_tracker::sent(const std::string& conv) const {
  auto i = convs_.find(conv);
  return i == convs_.end() ? 0 : i->second.sent;
}

} // namespace parley::actors
