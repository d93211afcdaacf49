// create_embedded_rings (see embedded_rings.hpp).
#include "machine/embedded_rings.hpp"

#include <unistd.h>

#include <fmt/format.h>

namespace rtstep::machine {

Result<EmbeddedRings> create_embedded_rings(const std::string& prefix, uint32_t capacity, const std::string& who,
                                            std::ostream& log) {
  for (const std::string& note : ipc::remove_stale_rings(prefix)) log << who << ": " << note << '\n';
  const std::string ring_name = fmt::format("/{}{}", prefix, getpid());
  auto producer = ipc::SegmentRing::create(ring_name, capacity);
  if (!producer) return producer.error();
  auto consumer = ipc::SegmentRing::attach(ring_name);
  if (!consumer) return consumer.error();
  return EmbeddedRings{std::move(*producer), std::move(*consumer)};
}

}  // namespace rtstep::machine
