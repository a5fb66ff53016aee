#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "persistence/records.hpp"

/// The value encodings of the history store (docs/storage.md is the
/// reference; keep both in step). Values are compact binary: big-endian
/// fixed-width integers and strings prefixed with a 4-byte big-endian
/// length. Composite values start with a 1-byte encoding version. Fields
/// that are part of the key (conv, seq, user, ...) are not repeated in the
/// value: decoders leave them for the caller to fill in from the key.
///
/// All functions are pure and thread-safe. Decoders return false on a
/// malformed value (and leave the output partly filled).
namespace parley::persistence::codec {

/// The version byte that starts message and conv_meta values.
constexpr uint8_t value_version = 1;

std::string encode_message(const message_record& m);
bool decode_message(std::string_view in, message_record& m);

std::string encode_conv_meta(const conv_meta& meta);
bool decode_conv_meta(std::string_view in, conv_meta& meta);

/// delivered (u64) | read (u64).
std::string encode_position(const member_position& p);
bool decode_position(std::string_view in, member_position& p);

/// seq (u64) | ts (i64).
std::string encode_dedupe(const dedupe_entry& e);
bool decode_dedupe(std::string_view in, dedupe_entry& e);

/// type (1 byte: 'd' or 'g').
std::string encode_conv_type(conv_type type);
bool decode_conv_type(std::string_view in, conv_type& type);

/// One big-endian u64 (cursors).
std::string encode_u64(uint64_t x);
bool decode_u64(std::string_view in, uint64_t& x);

/// One big-endian i64 (last seen).
std::string encode_i64(int64_t x);
bool decode_i64(std::string_view in, int64_t& x);

/// The store meta value: format version (u32) | shard count (u32).
std::string encode_store_meta(uint32_t format_version, uint32_t shard_count);
bool decode_store_meta(std::string_view in, uint32_t& format_version,
                       uint32_t& shard_count);

} // namespace parley::persistence::codec
