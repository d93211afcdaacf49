#!/usr/bin/env python3
"""Drives Printrun's console client, pronsole, as a user at its prompt would: connect to the printer
terminal, home, jog, ask for temperatures, print a file from the host side, wait until it ends, quit.
Each step waits for pronsole's own words before the next one.

    pronsole_driver.py PRINTER_TERMINAL GCODE_FILE

Prints pronsole's output, then "pronsole_driver: done" when the print ended; exits 1 on a timeout.
"""
import os
import queue
import subprocess
import sys
import threading
import time


def main():
    pty, gcode = sys.argv[1], sys.argv[2]
    proc = subprocess.Popen(["pronsole"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, bufsize=1, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    lines = queue.Queue()

    def reader():
        buffer = ""
        while True:
            chunk = proc.stdout.read(1)
            if not chunk:
                lines.put(None)
                return
            sys.stdout.write(chunk)
            buffer += chunk
            if chunk in "\n\r>":
                lines.put(buffer)
                buffer = ""

    threading.Thread(target=reader, daemon=True).start()
    seen = []

    def send(command):
        proc.stdin.write(command + "\n")
        proc.stdin.flush()

    def expect(text, timeout=60):
        deadline = time.monotonic() + timeout
        if any(text in line for line in seen):
            return
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            seen.append(line)
            if text in line:
                return
        print("\npronsole_driver: FAILED: no \"%s\" from pronsole" % text)
        proc.kill()
        sys.exit(1)

    send("connect %s 250000" % pty)
    expect("Printer is now online")
    send("home")
    send("move x 5")
    send("M105")
    send("load " + gcode)
    expect("Loaded " + gcode)
    send("print")
    expect("Print ended at")
    send("exit")
    proc.stdin.close()
    proc.wait(timeout=30)
    print("\npronsole_driver: done")


if __name__ == "__main__":
    main()
