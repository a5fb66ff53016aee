#include "delivery_checker.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace parley::scenario {

namespace {

std::string show(const msg_content& c) {
  auto body = c.body.size() > 40 ? c.body.substr(0, 40) + "..." : c.body;
  return "from " + c.from + " cmid '" + c.cmid + "' body \"" + body + "\"";
}

std::string head(const std::string& conv, uint64_t seq) {
  return "conv " + conv + " seq " + std::to_string(seq) + ": ";
}

} // namespace

membership_timeline::membership_timeline(
  const std::map<uint64_t, msg_content>& history) {
  std::set<std::string> members;
  for (auto& [seq, m] : history) {
    if (m.kind != "member")
      continue;
    auto body = nlohmann::json::parse(m.body, nullptr, false);
    if (!body.is_object() || !body.contains("event")
        || !body.contains("users") || !body["users"].is_array())
      continue;
    known_ = true;
    auto event = body["event"].get<std::string>();
    std::set<std::string> removed;
    for (auto& u : body["users"]) {
      if (!u.is_string())
        continue;
      if (event == "create" || event == "add") {
        members.insert(u.get<std::string>());
      } else if (event == "remove" || event == "leave") {
        members.erase(u.get<std::string>());
        removed.insert(u.get<std::string>());
      }
    }
    changes_[seq] = {members, removed};
  }
}

bool membership_timeline::may_see(const std::string& user, uint64_t seq) const {
  auto i = changes_.upper_bound(seq);
  if (i == changes_.begin())
    return false; // before the group was created
  --i;
  return i->second.first.count(user) > 0
         || (i->first == seq && i->second.second.count(user) > 0);
}

std::vector<violation> check_deliveries(const checker_input& in) {
  std::vector<violation> out;
  auto report = [&](std::string inv, const std::string& conv, uint64_t seq,
                    std::vector<std::string> devices, std::string text) {
    out.push_back({std::move(inv), conv, seq, std::move(devices),
                   head(conv, seq) + text});
  };
  // 1. Every acknowledged send is in history, once.
  std::map<std::pair<std::string, uint64_t>, const acked_send*> oks;
  for (auto& a : in.acked) {
    auto key = std::make_pair(a.conv, a.seq);
    auto [it, fresh] = oks.emplace(key, &a);
    if (!fresh && it->second->content != a.content)
      report("acknowledged", a.conv, a.seq, {it->second->device, a.device},
             "two different sends acknowledged with this seq: "
               + show(it->second->content) + " (" + it->second->device + ", "
               + it->second->where + ") and " + show(a.content) + " ("
               + a.device + ", " + a.where + ")");
    auto h = in.history.find(a.conv);
    if (h == in.history.end())
      continue;
    auto m = h->second.find(a.seq);
    if (m == h->second.end()) {
      report("acknowledged", a.conv, a.seq, {a.device},
             "acknowledged to " + a.device + " (" + a.where
               + ") but missing from history: " + show(a.content));
      continue;
    }
    if (m->second != a.content)
      report("acknowledged", a.conv, a.seq, {a.device},
             "acknowledged to " + a.device + " (" + a.where + ") as "
               + show(a.content) + " but history holds " + show(m->second));
    if (!a.content.cmid.empty() && fresh) {
      auto n = std::count_if(h->second.begin(), h->second.end(),
                             [&](auto& e) {
                               return e.second.from == a.content.from
                                      && e.second.cmid == a.content.cmid;
                             });
      if (n != 1)
        report("acknowledged", a.conv, a.seq, {a.device},
               "cmid '" + a.content.cmid + "' of " + a.content.from
                 + " is in history " + std::to_string(n)
                 + " times (expected exactly once)");
    }
  }
  // 2. Every device saw the one order; 3. members only.
  std::map<std::pair<std::string, uint64_t>,
           std::pair<std::string, msg_content>>
    first_seen;
  std::map<std::string, membership_timeline> timelines;
  for (auto& [conv, h] : in.history)
    timelines.emplace(conv, membership_timeline{h});
  for (auto& s : in.sessions) {
    std::map<std::string, std::set<uint64_t>> seqs;
    std::map<std::string, uint64_t> last_push;
    for (auto& m : s.seen) {
      auto key = std::make_pair(m.conv, m.seq);
      auto h = in.history.find(m.conv);
      if (h != in.history.end()) {
        auto e = h->second.find(m.seq);
        if (e == h->second.end())
          report("same order", m.conv, m.seq, {s.label()},
                 s.label() + " saw " + show(m.content)
                   + " but history has no such seq");
        else if (e->second != m.content)
          report("same order", m.conv, m.seq, {s.label()},
                 s.label() + " saw " + show(m.content) + " but history holds "
                   + show(e->second));
      }
      auto [it, fresh] = first_seen.emplace(
        key, std::make_pair(s.label(), m.content));
      if (!fresh && it->second.second != m.content && it->second.first != s.label())
        report("same order", m.conv, m.seq, {it->second.first, s.label()},
               it->second.first + " saw " + show(it->second.second) + " but "
                 + s.label() + " saw " + show(m.content));
      // Members only.
      if (!m.own) {
        bool allowed = true;
        bool known = false;
        auto d = in.direct_members.find(m.conv);
        if (d != in.direct_members.end()) {
          known = true;
          allowed = d->second.count(s.user) > 0;
        } else if (auto t = timelines.find(m.conv);
                   t != timelines.end() && t->second.known()) {
          known = true;
          allowed = t->second.may_see(s.user, m.seq);
        }
        if (known && !allowed)
          report("members only", m.conv, m.seq, {s.label()},
                 "delivered to " + s.label() + " but " + s.user
                   + " was not a member then");
        if (s.synced) {
          auto& last = last_push[m.conv];
          if (m.seq <= last)
            report("same order", m.conv, m.seq, {s.label()},
                   s.label() + " received seq " + std::to_string(m.seq)
                     + " after seq " + std::to_string(last));
          last = std::max(last, m.seq);
        }
      }
      seqs[m.conv].insert(m.seq);
    }
    if (!s.synced)
      continue;
    // Delivered: an open session has the tail of every conversation.
    if (s.open) {
      for (auto& [conv, h] : in.history) {
        if (h.empty())
          continue;
        auto last = h.rbegin()->first;
        bool may = false;
        if (auto d = in.direct_members.find(conv); d != in.direct_members.end())
          may = d->second.count(s.user) > 0;
        else if (auto t = timelines.find(conv);
                 t != timelines.end() && t->second.known())
          may = t->second.may_see(s.user, last);
        auto acked = s.acked_upto.find(conv);
        if (!may || (acked != s.acked_upto.end() && acked->second >= last))
          continue;
        auto got = seqs.find(conv);
        if (got != seqs.end() && got->second.count(last) > 0)
          continue;
        auto& e = h.rbegin()->second;
        if (e.from == s.user && s.unanswered_cmids.count(e.cmid) > 0)
          continue;
        std::string upto = got == seqs.end()
                             ? std::string{"nothing of it"}
                             : "up to seq " + std::to_string(*got->second.rbegin());
        report("delivered", conv, last, {s.label()},
               "never delivered to " + s.label()
                 + " (connected and synced at the end; it saw " + upto + ")");
      }
    }
    // Gapless: between the first and the last seq the session saw.
    for (auto& [conv, got] : seqs) {
      auto h = in.history.find(conv);
      const membership_timeline* t = nullptr;
      if (auto i = timelines.find(conv); i != timelines.end() && i->second.known())
        t = &i->second;
      for (auto seq = *got.begin(); seq < *got.rbegin(); ++seq) {
        if (got.count(seq) > 0)
          continue;
        if (t != nullptr && !t->may_see(s.user, seq))
          continue;
        if (h != in.history.end()) {
          auto e = h->second.find(seq);
          if (e != h->second.end() && e->second.from == s.user
              && s.unanswered_cmids.count(e->second.cmid) > 0)
            continue; // its own send, still unanswered when it closed
        }
        report("same order", conv, seq, {s.label()},
               s.label() + " saw seqs " + std::to_string(*got.begin())
                 + ".." + std::to_string(*got.rbegin()) + " but not "
                 + std::to_string(seq) + " (a gap)");
      }
    }
  }
  return out;
}

} // namespace parley::scenario
