#pragma once
// A small MCU for the mcu tests: the firmware's side of the transport and of the messages a connection
// needs (identify, get_uptime, get_clock), with its own dictionary and a clock that drifts against the
// host's. Commands it does not answer are recorded.
//
// Transport as Klipper's firmware behaves: a block with the expected sequence is dispatched, its
// responses go out in one block carrying the next expected sequence, then an empty acknowledgement; a
// block with another sequence or a corrupt one is answered by a nak (the acknowledgement, not advanced).

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "mcu/dictionary.hpp"
#include "mcu/framing.hpp"
#include "test_dictionary.hpp"

namespace rtstep::mcu::test {

struct SimMcu {
  Dictionary dictionary = Dictionary::parse_json(kDictionaryJson).value();
  std::vector<uint8_t> compressed = deflate_zlib(kDictionaryJson);
  double hz = 72'000'000 * (1 + 60e-6);  // a crystal 60 ppm fast
  double clock0 = 7.3e12;                 // clock at host time 0: it has run for a day
  uint8_t expected = 5;                   // it talked to another host before
  bool mute = false;                      // never answers (a board without Klipper)
  BlockParser parser;
  uint64_t errors_seen = 0;
  std::vector<Message> commands;  // every command received, in order
  int identify_requests = 0;

  uint64_t clock_at(int64_t host_ns) const { return static_cast<uint64_t>(clock0 + static_cast<double>(host_ns) * 1e-9 * hz); }

  std::vector<uint8_t> receive(std::span<const uint8_t> in, int64_t now_ns) {
    std::vector<uint8_t> out;
    if (mute) return out;
    while (!in.empty()) {
      in = in.subspan(parser.feed(in));
      while (auto b = parser.next()) {
        if (b->sequence() == expected) {
          expected = (expected + 1) & kSeqMask;
          const auto responses = dispatch(b->payload(), now_ns);
          if (!responses.empty()) (void)append_block(out, expected, responses);
        }
        (void)append_block(out, expected, {});
      }
      if (parser.errors() != errors_seen) {
        errors_seen = parser.errors();
        (void)append_block(out, expected, {});
      }
    }
    return out;
  }

 private:
  std::vector<uint8_t> dispatch(std::span<const uint8_t> payload, int64_t now_ns) {
    std::vector<uint8_t> out;
    auto messages = dictionary.decode_all(payload);
    if (!messages) return out;
    for (const Message& m : *messages) {
      commands.push_back(m);
      const uint64_t clock = clock_at(now_ns);
      if (m.name == "identify") {
        ++identify_requests;
        const auto offset = static_cast<std::size_t>(*m.integer("offset"));
        const std::size_t n =
            offset < compressed.size() ? std::min<std::size_t>(static_cast<std::size_t>(*m.integer("count")), compressed.size() - offset) : 0;
        std::vector<uint8_t> r = {0};
        append_vlq(r, static_cast<uint32_t>(offset));
        r.push_back(static_cast<uint8_t>(n));
        r.insert(r.end(), compressed.begin() + static_cast<std::ptrdiff_t>(offset),
                 compressed.begin() + static_cast<std::ptrdiff_t>(offset + n));
        out.insert(out.end(), r.begin(), r.end());
      } else if (m.name == "get_uptime") {
        out.push_back(80);
        append_vlq(out, static_cast<uint32_t>(clock >> 32));
        append_vlq(out, static_cast<uint32_t>(clock));
      } else if (m.name == "get_clock") {
        out.push_back(81);
        append_vlq(out, static_cast<uint32_t>(clock));
      }
    }
    return out;
  }
};

}  // namespace rtstep::mcu::test
