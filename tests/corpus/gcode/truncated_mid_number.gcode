; rtstep bad-input corpus: cut off in the middle of a number: the last Y140 became Y14.
G28
G90
M83
G1 Z2 F600
G1 X100 Y100 F9000
G1 Z0.3 F600
G1 X140 Y100 E1.33 F4800
G1 X140 Y14