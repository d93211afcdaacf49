#!/usr/bin/env python3
"""Benchmark of a running `rtstep serve` through its API socket, as Moonraker sees it:

- gcode/script round trip of M105 and of a short G1 (each sent alone, answered once run): p50, p99, max;
  idle, then while a print runs;
- the cadence of objects/subscribe updates while the toolhead moves;
- the CPU the serve process uses while idle (from /proc/PID/stat over a window), thread by thread, with the
  heaters off and again holding a temperature (their soft PWM runs in the executor);
- how long the toolhead keeps moving after PAUSE and after CANCEL_PRINT sent while a print runs (until
  idle_timeout leaves "Printing": every step sent has run), against [rt] buffer_time.

    serve_roundtrip.py SOCKET SDCARD_DIR SERVE_PID [--samples N] [--idle-only] [--idle-seconds S]

--idle-only measures the idle CPU and nothing else.

Start serve first, e.g.
    rtstep serve --config tests/data/serve-test.cfg --api /tmp/k.sock --sdcard /tmp/sd &
Prints one line per figure. Standard library only.
"""
import argparse
import glob
import json
import os
import socket
import sys
import time


class Klippy:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buffer = b""
        self.next_id = 1
        self.updates = []

    def _read(self):
        while b"\x03" not in self.buffer:
            self.buffer += self.sock.recv(65536)
        raw, self.buffer = self.buffer.split(b"\x03", 1)
        return json.loads(raw)

    def call(self, method, params=None):
        self.next_id += 1
        self.sock.sendall(json.dumps({"id": self.next_id, "method": method, "params": params or {}}).encode() + b"\x03")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                return reply
            self.updates.append((time.monotonic(), reply))


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


def round_trips(klippy, script, samples):
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        reply = klippy.call("gcode/script", {"script": script})
        times.append((time.perf_counter() - t) * 1e3)
        if "error" in reply:
            raise SystemExit("%s failed: %s" % (script, reply["error"]["message"]))
    return times


def report(what, times):
    print("%-32s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  (%d samples)" %
          (what, percentile(times, 50), percentile(times, 99), max(times), len(times)))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(task):
    """A thread's CPU time: exact from schedstat (ns on the CPU) where the kernel has it, else from stat, whose
    clock ticks sample a thread that wakes briefly and often only roughly."""
    try:
        with open(task + "/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        with open(task + "/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads(pid):
    """Per thread of `pid`: name -> (CPU seconds, context switches)."""
    out = {}
    for task in glob.glob("/proc/%d/task/*" % pid):
        try:
            with open(task + "/comm") as f:
                name = "%s[%s]" % (f.read().strip(), os.path.basename(task))
            with open(task + "/status") as f:
                switches = sum(int(line.split()[1]) for line in f if "ctxt_switches:" in line)
            out[name] = (thread_cpu_seconds(task), switches)
        except OSError:
            continue  # the thread ended meanwhile
    return out


def idle_cpu(pid, seconds, what):
    """CPU of the process over `seconds`, thread by thread (% of one core, context switches per second), and
    their sum; beside it the process's figure from /proc/PID/stat (clock ticks: rough at this level)."""
    t0, c0, before = time.monotonic(), cpu_seconds(pid), threads(pid)
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    ticks, after = (cpu_seconds(pid) - c0) / elapsed * 100, threads(pid)
    rows = [(name, (after[name][0] - before[name][0]) / elapsed * 100, (after[name][1] - before[name][1]) / elapsed)
            for name in sorted(after) if name in before]
    print("serve CPU while idle, %-4s %.2f %% of one core over %d s (per thread, summed; /proc/PID/stat: %.2f %%)" %
          (what, sum(cpu for _, cpu, _ in rows), seconds, ticks))
    for name, cpu, switches in rows:
        print("    %-22s %5.2f %%  %6.0f context switches/s" % (name, cpu, switches))


def temperatures(klippy):
    status = klippy.call("objects/query", {"objects": {"extruder": ["temperature"], "heater_bed": ["temperature"]}})
    return [status["result"]["status"][h]["temperature"] for h in ("extruder", "heater_bed")]


def idle_figures(klippy, pid, seconds):
    idle_cpu(pid, seconds, "cold")
    # Holding a temperature: the heaters' soft PWM toggles in the executor while the toolhead rests.
    klippy.call("gcode/script", {"script": "M104 S200\nM140 S60"})
    end = time.monotonic() + 300
    while time.monotonic() < end and (abs(temperatures(klippy)[0] - 200) > 2 or abs(temperatures(klippy)[1] - 60) > 2):
        time.sleep(1)
    print("heaters at %.1f / %.1f C" % tuple(temperatures(klippy)))
    idle_cpu(pid, seconds, "hot")
    klippy.call("gcode/script", {"script": "M104 S0\nM140 S0"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("socket")
    parser.add_argument("sdcard")
    parser.add_argument("pid", type=int)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--idle-only", action="store_true", help="measure the idle CPU only")
    parser.add_argument("--idle-seconds", type=int, default=30, help="length of each idle CPU window")
    args = parser.parse_args()
    sdcard, pid, samples = args.sdcard, args.pid, args.samples
    klippy = Klippy(args.socket)
    klippy.call("gcode/script", {"script": "G28\nG90\nG1 X50 Y50 F6000\nM400"})

    idle_figures(klippy, pid, args.idle_seconds)
    if args.idle_only:
        return

    report("M105 round trip, idle", round_trips(klippy, "M105", samples))
    report("G1 (0.1 mm) round trip, idle", round_trips(klippy, "G91\nG1 X0.1 F600\nG1 X-0.1\nG90", samples // 4))

    with open(os.path.join(sdcard, "bench.gcode"), "w") as f:
        f.write("G90\nM83\nG1 X50 Y50 F6000\n" + "G1 X60 Y50 E0.2 F6000\nG1 X60 Y60 E0.2\nG1 X50 Y60 E0.2\nG1 X50 Y50 E0.2\n" * 400)
    klippy.call("gcode/script", {"script": "SDCARD_PRINT_FILE FILENAME=bench.gcode"})
    time.sleep(1)
    t0, c0 = time.monotonic(), cpu_seconds(pid)
    report("M105 round trip, printing", round_trips(klippy, "M105", samples))
    printing = (cpu_seconds(pid) - c0) / (time.monotonic() - t0) * 100
    print("serve CPU while printing         %.1f %% of one core (executor thread included)" % printing)

    klippy.updates.clear()
    klippy.call("objects/subscribe", {"objects": {"toolhead": ["position"]},
                                      "response_template": {"method": "process_status_update"}})
    end = time.monotonic() + 5
    while time.monotonic() < end:
        klippy.updates.append((time.monotonic(), klippy._read()))
    stamps = [t for t, msg in klippy.updates if msg.get("method") == "process_status_update"]
    gaps = [(b - a) * 1e3 for a, b in zip(stamps, stamps[1:])]
    if gaps:
        print("status updates while moving      %d in 5 s, gap p50 %.1f ms, max %.1f ms" %
              (len(stamps), percentile(gaps, 50), max(gaps)))
    klippy.call("gcode/script", {"script": "CANCEL_PRINT"})

    for stop in ("PAUSE", "CANCEL_PRINT"):
        stops = []
        for _ in range(5):
            klippy.call("gcode/script", {"script": "SDCARD_PRINT_FILE FILENAME=bench.gcode"})
            time.sleep(2)
            stops.append(stopping_time(klippy, stop))
            klippy.call("gcode/script", {"script": "CANCEL_PRINT"})
        print("%-12s -> toolhead at rest   p50 %.3f s  max %.3f s  (5 prints)" % (stop, percentile(stops, 50), max(stops)))


def stopping_time(klippy, script):
    t = time.monotonic()
    klippy.call("gcode/script", {"script": script})
    while True:
        reply = klippy.call("objects/query", {"objects": {"idle_timeout": ["state"]}})
        if reply["result"]["status"]["idle_timeout"]["state"] != "Printing":
            return time.monotonic() - t
        time.sleep(0.005)


if __name__ == "__main__":
    main()
