; rtstep bad-input corpus: cut off in the middle of a line, after a letter.
G28
G90
M83
G1 Z2 F600
G1 X100 Y100 F9000
G1 Z0.3 F600
G1 X140 Y