#include "actors/conv_routes.hpp"

#include <algorithm>
#include <tuple>

#include <caf/actor_cast.hpp>

namespace parley::actors {

conv_routes::target_key conv_routes::key_of(const caf::actor& t) noexcept {
  return caf::actor_cast<caf::actor_control_block*>(t);
}

const caf::actor* conv_routes::find(const std::string& conv) const {
  auto i = cache_.find(conv);
  return i == cache_.end() ? nullptr : &i->second;
}

std::pair<conv_routes::target_map::iterator, bool> conv_routes::track(
  const caf::actor& t) {
  auto [i, added] = targets_.try_emplace(key_of(t));
  if (added)
    i->second.addr = t.address();
  return {i, added};
}

bool conv_routes::release_if_unused(target_map::iterator i,
                                    caf::actor_addr& release) {
  if (i->second.cached || !i->second.inflight.empty())
    return false;
  release = std::move(i->second.addr);
  targets_.erase(i);
  return true;
}

bool conv_routes::insert(const std::string& conv, const caf::actor& t,
                         std::vector<caf::actor_addr>& release) {
  if (auto old = cache_.find(conv); old != cache_.end()) {
    if (old->second == t)
      return false;
    auto i = targets_.find(key_of(old->second));
    cache_.erase(old);
    if (i != targets_.end()) {
      i->second.cached = false;
      caf::actor_addr gone;
      if (release_if_unused(i, gone))
        release.push_back(std::move(gone));
    }
  }
  if (cache_.size() >= capacity_) {
    // Entries are cheap to resolve again; keep those with work in flight.
    for (auto c = cache_.begin(); c != cache_.end();) {
      auto i = targets_.find(key_of(c->second));
      if (i != targets_.end() && !i->second.inflight.empty()) {
        ++c;
        continue;
      }
      if (i != targets_.end()) {
        i->second.cached = false;
        caf::actor_addr gone;
        if (release_if_unused(i, gone))
          release.push_back(std::move(gone));
      }
      c = cache_.erase(c);
    }
  }
  cache_.emplace(conv, t);
  auto [i, added] = track(t);
  i->second.cached = true;
  i->second.conv = conv;
  return added;
}

bool conv_routes::sent(const caf::actor& t, caf::message_id id) {
  auto i = targets_.find(key_of(t));
  bool added = false;
  if (i == targets_.end()) // not cached: tracked while the request is out
    std::tie(i, added) = track(t);
  i->second.inflight.push_back(id);
  return added;
}

bool conv_routes::done(target_key t, caf::message_id id,
                       caf::actor_addr& release) {
  auto i = targets_.find(t);
  if (i == targets_.end())
    return false; // failed over already
  auto& v = i->second.inflight;
  auto j = std::find(v.begin(), v.end(), id);
  if (j == v.end())
    return false;
  *j = v.back();
  v.pop_back();
  return release_if_unused(i, release);
}

bool conv_routes::forget(const std::string& conv, target_key t,
                         caf::actor_addr& release) {
  auto c = cache_.find(conv);
  if (c == cache_.end() || key_of(c->second) != t)
    return false;
  cache_.erase(c);
  auto i = targets_.find(t);
  if (i == targets_.end())
    return false;
  i->second.cached = false;
  return release_if_unused(i, release);
}

bool conv_routes::down(const caf::actor_addr& who,
                       std::vector<caf::message_id>& failed) {
  auto i = targets_.find(caf::actor_cast<caf::actor_control_block*>(who));
  if (i == targets_.end())
    return false;
  if (i->second.cached)
    if (auto c = cache_.find(i->second.conv);
        c != cache_.end() && key_of(c->second) == i->first)
      cache_.erase(c);
  failed.insert(failed.end(), i->second.inflight.begin(),
                i->second.inflight.end());
  targets_.erase(i);
  return true;
}

void conv_routes::clear(std::vector<caf::actor_addr>& release) {
  for (auto& [_, t] : targets_)
    release.push_back(std::move(t.addr));
  targets_.clear();
  cache_.clear();
}

size_t conv_routes::inflight(target_key t) const {
  auto i = targets_.find(t);
  return i == targets_.end() ? 0 : i->second.inflight.size();
}

} // namespace parley::actors
