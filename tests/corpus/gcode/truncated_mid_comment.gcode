; rtstep bad-input corpus: cut off inside a parenthesised comment.
G28
G90
M83
G1 Z2 F600
G1 X100 Y100 F9000
G1 Z0.3 F600
G1 X140 Y100 E1.33 F4800
G1 X140 Y140 E1.33 (outer wa