// libFuzzer target for the byte-level half of parley_transport: the frame
// decoder, request::parse with every accessor, and frame_builder.
//
// Input layout: byte 0 chooses max_frame and seeds the read splits; the rest
// is the byte stream a client would send. For every input the target checks:
//  - decoding in random read splits gives exactly the frames (and the same
//    final status and error) as decoding in one read;
//  - frames respect 1 <= size <= max_frame and buffering stays bounded;
//  - request::parse never throws or crashes, on each frame and on the raw
//    stream, and a parsed request's accessors agree with each other;
//  - a frame built from a parsed request's fields parses back to them.
// A violated property aborts, which libFuzzer reports as a crash.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "transport/frame_builder.hpp"
#include "transport/frame_codec.hpp"
#include "transport/request.hpp"

using namespace parley::transport;

namespace {

void check(bool ok) {
  if (!ok)
    std::abort();
}

/// A small deterministic generator for read sizes.
struct xorshift {
  uint32_t state;
  uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

constexpr uint32_t max_frames[] = {1, 7, 64, 4096, default_max_frame};

// Keys the protocol uses, plus short ones mutations stumble on.
constexpr std::string_view keys[] = {
  "t",  "id",     "body",    "users", "members", "conv", "seq", "on", "to",
  "v",  "client", "user",    "cmid",  "limit",   "a",    "",    "T",  "idd",
};

struct decoded {
  std::vector<std::string> frames;
  frame_decoder::status last = frame_decoder::status::need_more;
  parley::errc error = parley::errc::bad_frame;
};

void drain(frame_decoder& d, uint32_t max_frame, decoded& out) {
  std::string payload;
  for (;;) {
    auto st = d.next(payload);
    out.last = st;
    if (st != frame_decoder::status::frame)
      break;
    check(!payload.empty() && payload.size() <= max_frame);
    out.frames.push_back(payload);
  }
  if (out.last == frame_decoder::status::error) {
    out.error = d.error_code();
    check(out.error == parley::errc::bad_frame
          || out.error == parley::errc::too_large);
  } else {
    // Whatever is left is less than one whole frame.
    check(d.buffered() < size_t{4} + max_frame);
  }
}

void exercise(const request& req) {
  check(req.get_string("t").ok());
  check(req.get_string("t").value == req.type());
  const auto& idf = req.id_field();
  check(idf.ok() == req.id().has_value());
  if (idf.ok())
    check(*req.id() == idf.value && req.get_uint("id").value == idf.value);
  check(idf.absent() == req.get_uint("id").absent());
  for (auto key : keys) {
    auto s = req.get_string(key);
    auto u = req.get_uint(key);
    auto b = req.get_bool(key);
    auto body = req.get_body(key);
    auto list = req.get_string_list(key);
    // A key is absent for all accessors or for none.
    check(s.absent() == u.absent() && u.absent() == b.absent()
          && b.absent() == body.absent() && body.absent() == list.absent());
    // A str is both a string and a text body.
    if (s.ok())
      check(body.ok() && !body.value.binary && body.value.bytes == s.value);
    // At most one of the scalar views succeeds.
    check(int{s.ok()} + int{u.ok()} + int{b.ok()} + int{list.ok()} <= 1);
  }
}

/// Rebuilds a frame from what `req` says and checks it reads back the same.
void round_trip(const request& req) {
  auto body = req.get_body("body");
  auto users = req.get_string_list("users");
  frame_builder b(2 + (req.id() ? 1 : 0) + (body.ok() ? 1 : 0)
                  + (users.ok() ? 1 : 0));
  b.key("t").str(req.type());
  if (req.id())
    b.key("id").uint(*req.id());
  if (body.ok())
    b.key("body").body(body.value.bytes, body.value.binary);
  if (users.ok()) {
    b.key("users").array(static_cast<uint32_t>(users.value.size()));
    for (const auto& u : users.value)
      b.str(u);
  }
  b.key("x").sint(-1);
  auto frame = b.finish();

  frame_decoder d(UINT32_MAX);
  d.feed(frame.data(), frame.size());
  std::string payload;
  check(d.next(payload) == frame_decoder::status::frame);
  check(d.buffered() == 0);
  auto again = request::parse(payload);
  check(again.has_value());
  check(again->type() == req.type());
  check(again->id() == req.id());
  auto body2 = again->get_body("body");
  check(body2.ok() == body.ok());
  if (body.ok())
    check(body2.value.bytes == body.value.bytes
          && body2.value.binary == body.value.binary);
  auto users2 = again->get_string_list("users");
  check(users2.ok() == users.ok() && users2.value == users.value);
  check(again->get_uint("x").wrong_type());
}

void parse_and_exercise(std::string_view payload) {
  auto req = request::parse(payload);
  if (!req)
    return;
  exercise(*req);
  round_trip(*req);
  request moved = std::move(*req);
  exercise(moved);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  const uint8_t config = data[0];
  const uint32_t max_frame = max_frames[config % std::size(max_frames)];
  const char* stream = reinterpret_cast<const char*>(data + 1);
  const size_t stream_size = size - 1;

  // The parser on its own, without framing in the way.
  parse_and_exercise({stream, stream_size});

  // Reference: the whole stream in one read.
  decoded whole;
  {
    frame_decoder d(max_frame);
    d.feed(stream, stream_size);
    drain(d, max_frame, whole);
  }

  // The same stream in random reads, draining after each as a server does.
  decoded split;
  {
    frame_decoder d(max_frame);
    xorshift rng{0x9e3779b9u ^ (uint32_t{config} << 8)
                 ^ static_cast<uint32_t>(stream_size)};
    const uint32_t span = (config >> 4) % 4 == 0 ? 3 : 300;
    size_t off = 0;
    do {
      size_t n = std::min<size_t>(1 + rng.next() % span, stream_size - off);
      d.feed(stream + off, n);
      off += n;
      drain(d, max_frame, split);
    } while (off < stream_size
             && split.last != frame_decoder::status::error);
    // Bytes after an error are dropped.
    if (split.last == frame_decoder::status::error) {
      d.feed(stream, stream_size);
      std::string payload;
      check(d.next(payload) == frame_decoder::status::error);
      check(d.buffered() == 0);
    }
  }
  check(split.frames == whole.frames);
  check(split.last == whole.last);
  if (whole.last == frame_decoder::status::error)
    check(split.error == whole.error);

  for (const auto& frame : whole.frames)
    parse_and_exercise(frame);
  return 0;
}
