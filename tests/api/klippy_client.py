#!/usr/bin/env python3
"""Replays Moonraker's conversation with Klipper's API socket (klippy_connection.py, klippy_apis.py) against
rtstep's server, using the Python standard library only, and checks the shape of every reply.

    klippy_client.py SOCKET_PATH

Prints one line per check and "klippy_client: all checks passed"; exits 1 at the first failure.
The peer behind the socket must answer M105, and print "// hello" for "SAY hello" (tests/api's FakeBackend
does; a real rtstep serve does the latter with RESPOND MSG=hello instead).
"""
import json
import socket
import sys
import time


class Klippy:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(path)
        self.buffer = b""
        self.pending_async = []

    def _read(self):
        while b"\x03" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("the server closed the connection")
            self.buffer += data
        raw, self.buffer = self.buffer.split(b"\x03", 1)
        return json.loads(raw)

    def call(self, method, params=None):
        # Moonraker's request ids are id() of a Python object: large integers.
        req_id = id(object()) + (1 << 40)
        msg = {"id": req_id, "method": method, "params": params or {}}
        self.sock.sendall(json.dumps(msg).encode() + b"\x03")
        while True:
            reply = self._read()
            if reply.get("id") == req_id:
                return reply
            self.pending_async.append(reply)

    def next_async(self, method):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for i, msg in enumerate(self.pending_async):
                if msg.get("method") == method:
                    return self.pending_async.pop(i)
            self.pending_async.append(self._read())
        raise RuntimeError("no %s message" % method)


def check(condition, what):
    if not condition:
        print("klippy_client: FAILED: " + what)
        sys.exit(1)
    print("klippy_client: ok: " + what)


def main():
    klippy = Klippy(sys.argv[1])
    info = klippy.call("info", {"client_info": {"program": "Moonraker", "version": "v0.9.3"}})
    deadline = time.monotonic() + 20
    while info["result"]["state"] == "startup" and time.monotonic() < deadline:
        time.sleep(0.25)
        info = klippy.call("info")
    result = info["result"]
    check(result["state"] == "ready", "info reaches state ready")
    for key in ("state_message", "hostname", "klipper_path", "python_path", "software_version",
                "config_file", "log_file"):
        check(key in result, "info carries " + key)

    endpoints = klippy.call("list_endpoints")["result"]["endpoints"]
    for name in ("objects/subscribe", "gcode/script", "gcode/subscribe_output", "register_remote_method"):
        check(name in endpoints, "list_endpoints has " + name)

    objects = klippy.call("objects/list")["result"]["objects"]
    for name in ("webhooks", "virtual_sdcard", "display_status", "pause_resume"):
        check(name in objects, "objects/list has " + name)

    sub = klippy.call("objects/subscribe", {
        "objects": {"webhooks": None, "print_stats": None, "toolhead": ["position"]},
        "response_template": {"method": "process_status_update"}})
    status = sub["result"]["status"]
    check(isinstance(sub["result"]["eventtime"], float), "subscribe carries an eventtime")
    check(status["webhooks"]["state"] == "ready", "subscribe's first reply has webhooks.state")
    check("state" in status["print_stats"], "the first print_stats carries state")

    out = klippy.call("gcode/subscribe_output", {"response_template": {"method": "process_gcode_response"}})
    check(out == {"id": out["id"], "result": {}}, "gcode/subscribe_output answers {}")

    reply = klippy.call("gcode/script", {"script": "M105"})
    check(reply["result"] == {}, "gcode/script M105 answers {} once run")
    reply = klippy.call("gcode/script", {"script": "SAY hello"})
    check(reply["result"] == {}, "gcode/script SAY answers {}")
    response = klippy.next_async("process_gcode_response")
    check(response["params"] == {"response": "// hello"}, "the script's output arrives in the output template")

    reply = klippy.call("gcode/script", {"script": "FAIL"})
    check(reply["error"]["error"] == "WebRequestError" and reply["error"]["message"],
          "a failing script answers Klipper's error object")

    update = klippy.next_async("process_status_update")
    check(update["params"]["status"].get("toolhead", {}).get("position") == [10, 20, 30, 0],
          "a status update carries only the change, in the template")
    print("klippy_client: all checks passed")


if __name__ == "__main__":
    main()
