#include "actors/message_types.hpp"

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "persistence/kv_batch.hpp"
#include "runtime/entity.hpp"
#include "runtime/errors.hpp"
#include "runtime/fault.hpp"

namespace parley::actors {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<runtime::entity_id>("parley.entity_id")
    .add_message_type<runtime::entity_kind>("parley.entity_kind")
    .add_message_type<persistence::kv_batch>("parley.kv_batch")
    .add_message_type<message_record>("parley.message_record")
    .add_message_type<std::vector<message_record>>("parley.message_records")
    .add_message_type<member_position>("parley.member_position")
    .add_message_type<std::vector<member_position>>("parley.member_positions")
    .add_message_type<post>("parley.post")
    .add_message_type<post_result>("parley.post_result")
    .add_message_type<history_query>("parley.history_query")
    .add_message_type<history_page>("parley.history_page")
    .add_message_type<conv_summary>("parley.conv_summary")
    .add_message_type<push>("parley.push")
    .add_message_type<conv_cursor>("parley.conv_cursor")
    .add_message_type<attach_info>("parley.attach_info")
    .add_message_type<grant>("parley.grant")
    .add_message_type<group_change>("parley.group_change")
    .add_message_type<group_info>("parley.group_info")
    .add_message_type<presence_info>("parley.presence_info")
    .add_message_type<device_ack>("parley.device_ack")
    .add_message_type<runtime::fault>("parley.fault");
  cfg.add_error_category(errc_category, [](uint8_t code, caf::atom_value,
                                           const caf::message& ctx) {
    std::string out = "parley:";
    out += to_string(static_cast<errc>(code));
    if (ctx.match_elements<std::string>()) {
      out += ": ";
      out += ctx.get_as<std::string>(0);
    }
    return out;
  });
}

} // namespace parley::actors
