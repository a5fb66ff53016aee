#pragma once

#include <deque>
#include <string>
#include <unordered_map>

#include "persistence/records.hpp"

namespace parley::actors {

/// The dedupe key of a send: (user, cmid), NUL-separated.
inline std::string dedupe_key(const std::string& user,
                              const std::string& cmid) {
  std::string key;
  key.reserve(user.size() + cmid.size() + 1);
  key.append(user).push_back('\0');
  key.append(cmid);
  return key;
}

/// Recently acknowledged sends of one conversation: dedupe key -> (seq, ts),
/// the newest `capacity` kept, so most retries are answered without reading
/// the store. Owned by one actor; not thread-safe.
class recent_sends {
public:
  explicit recent_sends(size_t capacity) : capacity_(capacity) {}

  const persistence::dedupe_entry* find(const std::string& key) const {
    auto i = map_.find(key);
    return i == map_.end() ? nullptr : &i->second;
  }

  void add(std::string key, persistence::dedupe_entry e) {
    if (map_.emplace(key, e).second) {
      order_.push_back(std::move(key));
      if (order_.size() > capacity_) {
        map_.erase(order_.front());
        order_.pop_front();
      }
    }
  }

private:
  size_t capacity_;
  std::unordered_map<std::string, persistence::dedupe_entry> map_;
  std::deque<std::string> order_;
};

} // namespace parley::actors
