#pragma once
// mcu: Klipper's MCU protocol, for boards flashed with Klipper's firmware (DESIGN.md §1, the legacy MCU
// layer). This module holds the self-contained protocol parts; the link that drives a board from the
// controller builds on them.
//
//   framing.hpp      CRC-16, VLQ integers, message blocks, the resynchronising block parser
//   transmit.hpp     TransmitWindow: 12-block window, acks, naks, retransmission, RTO (virtual-clock driven)
//   dictionary.hpp   the data dictionary (identify, zlib, JSON), encoding commands, decoding responses
//   clock_sync.hpp   ClockSync (regression of the MCU clock on host time), PrintClock (print time -> clock)
//   serial_port.hpp  SerialPort: termios2 at any baud rate, raw, non-blocking, locked
//   connection.hpp   Connection: identify, clock sync and clock queries over the above (virtual-clock driven)
//   step_compress.hpp  exact step times -> queue_step (interval, count, add) within Klipper's bound
//   objects.hpp      the objects configured on a board (steppers, digital outs, ADCs) and their config text
//   move_queue.hpp   StepperChannel (StepSegments -> queue_step), MoveQueue (the board's move slots)
//   link.hpp         Link: one board driven from its own thread (connect, configure, steps, outputs, ADCs,
//                    homing, shutdowns, restarts); link_session.hpp is its internal per-connection part
//
// sim/ holds rtstep-mcu-sim, a simulated board on a pseudo-terminal, for tests.
//
// Nothing here is real-time: it runs on the MCU link's own (non-real-time) thread. Times are integer ns of
// CLOCK_MONOTONIC, or of a virtual clock in tests.

#include "mcu/clock_sync.hpp"
#include "mcu/connection.hpp"
#include "mcu/dictionary.hpp"
#include "mcu/framing.hpp"
#include "mcu/link.hpp"
#include "mcu/move_queue.hpp"
#include "mcu/objects.hpp"
#include "mcu/serial_port.hpp"
#include "mcu/step_compress.hpp"
#include "mcu/transmit.hpp"
