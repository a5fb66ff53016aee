#include "actors/group_roster.hpp"

#include <algorithm>
#include <unordered_set>

namespace parley::actors {

namespace {

change_plan refuse(errc code, std::string reason) {
  change_plan p;
  p.refused = code;
  p.reason = std::move(reason);
  return p;
}

change_plan change(member_event e) {
  change_plan p;
  p.event = std::move(e);
  return p;
}

/// `users` without duplicates, first occurrence kept.
std::vector<std::string> distinct(const std::vector<std::string>& users) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& u : users)
    if (seen.insert(u).second)
      out.push_back(u);
  return out;
}

bool older(const group_member& a, const group_member& b) {
  return a.joined_seq != b.joined_seq ? a.joined_seq < b.joined_seq
                                      : a.joined_pos < b.joined_pos;
}

} // namespace

group_roster::group_roster(group_record rec) : rec_(std::move(rec)) {
  std::stable_sort(rec_.members.begin(), rec_.members.end(), older);
  reindex();
}

group_roster group_roster::direct(const std::string& conv,
                                  const std::vector<std::string>& users) {
  group_record rec;
  rec.conv = conv;
  uint32_t pos = 0;
  for (auto& u : distinct(users))
    rec.members.push_back(group_member{u, group_role::member, 1, pos++, 0});
  return group_roster{std::move(rec)};
}

void group_roster::reindex() {
  index_.clear();
  auto current = std::make_shared<std::vector<std::string>>();
  for (size_t i = 0; i < rec_.members.size(); ++i) {
    auto& m = rec_.members[i];
    index_[m.user] = i;
    if (m.removed_seq == 0)
      current->push_back(m.user);
  }
  members_ = std::move(current);
}

group_member* group_roster::find(const std::string& user) {
  auto i = index_.find(user);
  return i == index_.end() ? nullptr : &rec_.members[i->second];
}

const group_member* group_roster::find(const std::string& user) const {
  auto i = index_.find(user);
  return i == index_.end() ? nullptr : &rec_.members[i->second];
}

bool group_roster::is_member(const std::string& user) const {
  auto m = find(user);
  return m && m->removed_seq == 0;
}

bool group_roster::is_admin(const std::string& user) const {
  auto m = find(user);
  return m && m->removed_seq == 0 && m->role == group_role::admin;
}

std::optional<visible_range>
group_roster::visible(const std::string& user) const {
  auto m = find(user);
  if (!m)
    return std::nullopt;
  visible_range r;
  r.from = m->joined_seq;
  if (m->removed_seq != 0) {
    r.to = m->removed_seq;
    r.current = false;
  }
  return r;
}

std::vector<std::string> group_roster::admins() const {
  std::vector<std::string> out;
  for (auto& m : rec_.members)
    if (m.removed_seq == 0 && m.role == group_role::admin)
      out.push_back(m.user);
  return out;
}

change_plan group_roster::plan_create(const std::string& by,
                                      const std::string& name,
                                      const std::vector<std::string>& users,
                                      size_t max_group) {
  std::vector<std::string> all{by};
  all.insert(all.end(), users.begin(), users.end());
  member_event e;
  e.event = "create";
  e.by = by;
  e.users = distinct(all);
  e.name = name;
  e.owner = by;
  e.owner_changed = true;
  if (e.users.size() > max_group)
    return refuse(errc::group_full, "a group has at most "
                                      + std::to_string(max_group)
                                      + " members");
  return change(std::move(e));
}

change_plan group_roster::plan_add(const std::string& by,
                                   const std::vector<std::string>& users,
                                   size_t max_group) const {
  if (!is_admin(by))
    return refuse(errc::forbidden, "only admins add members");
  member_event e;
  e.event = "add";
  e.by = by;
  for (auto& u : distinct(users))
    if (!is_member(u))
      e.users.push_back(u);
  if (e.users.empty())
    return {};
  if (size() + e.users.size() > max_group)
    return refuse(errc::group_full, "a group has at most "
                                      + std::to_string(max_group)
                                      + " members");
  return change(std::move(e));
}

change_plan
group_roster::plan_remove(const std::string& by,
                          const std::vector<std::string>& users) const {
  if (!is_admin(by))
    return refuse(errc::forbidden, "only admins remove members");
  member_event e;
  e.event = "remove";
  e.by = by;
  for (auto& u : distinct(users)) {
    if (u == rec_.owner)
      return refuse(errc::forbidden,
                    "the owner cannot be removed (the owner may leave)");
    if (is_member(u))
      e.users.push_back(u);
  }
  if (e.users.empty())
    return {};
  return change(std::move(e));
}

change_plan group_roster::plan_leave(const std::string& by) const {
  if (!is_member(by))
    return refuse(errc::forbidden, "not a member");
  member_event e;
  e.event = "leave";
  e.by = by;
  e.users = {by};
  if (by == rec_.owner) {
    // rec_.members is ordered by membership age: the first admin, else the
    // first member, other than the one leaving.
    const group_member* next = nullptr;
    for (auto& m : rec_.members) {
      if (m.removed_seq != 0 || m.user == by)
        continue;
      if (m.role == group_role::admin) {
        next = &m;
        break;
      }
      if (!next)
        next = &m;
    }
    e.owner = next ? next->user : std::string{};
    e.owner_changed = true;
  }
  return change(std::move(e));
}

std::vector<group_member> group_roster::apply(const member_event& e,
                                              uint64_t seq, int64_t created) {
  std::vector<group_member> changed;
  std::vector<std::string> touched;
  if (e.event == "create") {
    rec_.name = e.name;
    rec_.created = created;
  }
  if (e.event == "create" || e.event == "add") {
    uint32_t pos = 0;
    for (auto& u : e.users) {
      group_member row{u, group_role::member, seq, pos++, 0};
      if (auto m = find(u))
        *m = row;
      else
        rec_.members.push_back(row);
      touched.push_back(u);
    }
  } else { // remove, leave
    for (auto& u : e.users)
      if (auto m = find(u)) {
        m->removed_seq = seq;
        m->role = group_role::member;
        touched.push_back(u);
      }
  }
  if (e.owner_changed) {
    rec_.owner = e.owner;
    if (!e.owner.empty()) {
      reindex(); // rows may have been appended
      if (auto m = find(e.owner); m && m->removed_seq == 0) {
        m->role = group_role::admin;
        touched.push_back(e.owner);
      }
    }
  }
  rec_.applied_seq = seq;
  std::stable_sort(rec_.members.begin(), rec_.members.end(), older);
  reindex();
  std::unordered_set<std::string> done;
  for (auto& u : touched)
    if (done.insert(u).second)
      changed.push_back(*find(u));
  return changed;
}

} // namespace parley::actors
