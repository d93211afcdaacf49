#!/usr/bin/env python3
"""Replays Moonraker's conversation with a running `rtstep serve` on its API socket, using the Python
standard library only, and checks every reply's shape and the status updates.

    serve_client.py SOCKET_PATH SDCARD_DIR

Prints one line per check and "serve_client: all checks passed"; exits 1 at the first failure.
With --position SOCKET_PATH it only prints the toolhead's X and Y, as a list.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import klippy_client  # noqa: E402  (the same Moonraker-side connection as the API server's own test)


class Klippy(klippy_client.Klippy):
    def __init__(self, path):
        super().__init__(path)
        self.sock.settimeout(60)
        self.pending = self.pending_async

    def send_raw(self, data):
        self.sock.sendall(data)

    def wait_update(self, predicate, what, timeout=60):
        """Waits for a process_status_update whose status satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while self.pending:
                msg = self.pending.pop(0)
                if msg.get("method") == "process_status_update" and predicate(msg["params"]["status"]):
                    return msg
            self.pending.append(self._read())
        raise RuntimeError("no status update with " + what)


def check(condition, what):
    if not condition:
        print("serve_client: FAILED: " + what)
        sys.exit(1)
    print("serve_client: ok: " + what)


def squares(loops):
    text = "G28\nG90\nM83\nG1 Z0.3 F600\n"
    for _ in range(loops):
        text += "G1 X20 Y20 E0.5 F6000\nG1 X30 Y20 E0.5\nG1 X30 Y30 E0.5\nG1 X20 Y30 E0.5\n"
    return text


def main():
    if sys.argv[1] == "--position":
        reply = Klippy(sys.argv[2]).call("objects/query", {"objects": {"toolhead": ["position"]}})
        print(reply["result"]["status"]["toolhead"]["position"][:2])
        return
    path, sdcard = sys.argv[1], sys.argv[2]
    klippy = Klippy(path)
    info = klippy.call("info", {"client_info": {"program": "Moonraker", "version": "v0.9.3"}})
    deadline = time.monotonic() + 30
    while info["result"]["state"] != "ready" and time.monotonic() < deadline:
        time.sleep(0.25)
        info = klippy.call("info")
    result = info["result"]
    check(result["state"] == "ready", "info reaches state ready")
    for key in ("state_message", "hostname", "klipper_path", "python_path", "software_version", "config_file",
                "log_file"):
        check(key in result, "info carries " + key)

    endpoints = klippy.call("list_endpoints")["result"]["endpoints"]
    for name in ("objects/subscribe", "gcode/script", "pause_resume/pause", "pause_resume/resume",
                 "pause_resume/cancel", "gcode/help"):
        check(name in endpoints, "list_endpoints has " + name)
    objects = klippy.call("objects/list")["result"]["objects"]
    for name in ("webhooks", "toolhead", "print_stats", "virtual_sdcard", "display_status", "pause_resume",
                 "idle_timeout", "gcode_move", "extruder", "heater_bed", "heaters"):
        check(name in objects, "objects/list has " + name)

    sub = klippy.call("objects/subscribe", {
        "objects": {"webhooks": None, "print_stats": None, "toolhead": ["position", "homed_axes"],
                    "virtual_sdcard": None, "heaters": None},
        "response_template": {"method": "process_status_update"}})
    status = sub["result"]["status"]
    check(status["webhooks"]["state"] == "ready", "the first reply has webhooks.state")
    check(status["print_stats"]["state"] == "standby", "the first print_stats carries state standby")
    check(status["toolhead"]["homed_axes"] == "", "nothing is homed yet")
    check("available_sensors" in status["heaters"] and "available_monitors" in status["heaters"],
          "heaters carries available_sensors and available_monitors")
    check(klippy.call("gcode/subscribe_output", {"response_template": {"method": "process_gcode_response"}})
          ["result"] == {}, "gcode/subscribe_output answers {}")

    check(klippy.call("gcode/script", {"script": "G28"})["result"] == {}, "G28 answers {} once run")
    klippy.wait_update(lambda s: s.get("toolhead", {}).get("homed_axes") == "xyz", "homed_axes xyz")
    print("serve_client: ok: an update says the axes are homed")
    check(klippy.call("gcode/script", {"script": "M105"})["result"] == {}, "M105 answers {}")
    help_reply = klippy.call("gcode/help")["result"]
    check("SDCARD_PRINT_FILE" in help_reply and "PAUSE" in help_reply, "gcode/help lists the job commands")
    bad = klippy.call("gcode/script", {"script": "G1 X5000"})
    check(bad["error"]["error"] == "WebRequestError" and "out of range" in bad["error"]["message"],
          "a G-code error answers Klipper's error object")
    check("error" in klippy.call("gcode/script", {}), "gcode/script without a script is refused")
    check("error" in klippy.call("no/such/method"), "an unknown method is refused")

    with open(os.path.join(sdcard, "part.gcode"), "w") as f:
        f.write(squares(3) + "G1 X50 Y50 F6000\n" + squares(40))
    check(klippy.call("gcode/script", {"script": 'SDCARD_PRINT_FILE FILENAME="part.gcode"'})["result"] == {},
          "SDCARD_PRINT_FILE answers {}")
    klippy.wait_update(lambda s: s.get("print_stats", {}).get("state") == "printing", "printing")
    print("serve_client: ok: print_stats says printing")
    check(klippy.call("pause_resume/pause")["result"] == {}, "pause_resume/pause answers {}")
    klippy.wait_update(lambda s: s.get("print_stats", {}).get("state") == "paused", "paused")
    print("serve_client: ok: print_stats says paused")
    check(klippy.call("gcode/script", {"script": "G1 X5000"})["error"]["message"],
          "a console error while paused is refused")
    check(klippy.call("objects/query", {"objects": {"print_stats": ["state"]}})["result"]["status"]
          ["print_stats"]["state"] == "paused", "the print stays paused after a console error")
    check(klippy.call("pause_resume/resume")["result"] == {}, "pause_resume/resume answers {}")
    klippy.wait_update(lambda s: s.get("print_stats", {}).get("state") == "printing", "printing again")
    print("serve_client: ok: print_stats says printing again")
    check(klippy.call("pause_resume/cancel")["result"] == {}, "pause_resume/cancel answers {}")
    klippy.wait_update(lambda s: s.get("print_stats", {}).get("state") == "cancelled", "cancelled")
    print("serve_client: ok: print_stats says cancelled")

    with open(os.path.join(sdcard, "short.gcode"), "w") as f:
        f.write(squares(2))
    check(klippy.call("gcode/script", {"script": "SDCARD_PRINT_FILE FILENAME=short.gcode"})["result"] == {},
          "a second print starts")
    klippy.wait_update(lambda s: s.get("print_stats", {}).get("state") == "complete", "complete")
    print("serve_client: ok: the second print completes with every step counted")

    klippy.send_raw(b"{not json\x03")
    info = klippy.call("info")
    check(info.get("result", {}).get("state") == "ready", "malformed JSON changes nothing: %s" % info)

    check(klippy.call("emergency_stop")["result"] == {}, "emergency_stop answers {}")
    klippy.wait_update(lambda s: s.get("webhooks", {}).get("state") == "shutdown", "shutdown")
    print("serve_client: ok: the webhooks update says shutdown")
    refused = klippy.call("gcode/script", {"script": "G28"})
    check("error" in refused and "Printer is shutdown" in refused["error"]["message"],
          "G-code is refused with the state message while shut down")
    # FIRMWARE_RESTART closes every client and re-creates the socket, as Klipper does.
    try:
        klippy.call("gcode/script", {"script": "FIRMWARE_RESTART"})
    except (RuntimeError, OSError):
        pass
    deadline = time.monotonic() + 30
    state = None
    while time.monotonic() < deadline:
        try:
            state = Klippy(path).call("info")["result"]["state"]
            if state == "ready":
                break
        except (OSError, RuntimeError):
            pass
        time.sleep(0.25)
    check(state == "ready", "after FIRMWARE_RESTART a new connection finds the printer ready")
    print("serve_client: all checks passed")


if __name__ == "__main__":
    main()
