; rtstep bad-input corpus: lower case, no spaces between words.
g28
g90
m83
g1z2f600
g1x100y100f9000
g1z0.3f600
g1x140y100e1.33f4800
g1x140y140e1.33
g3x120y160i-20j0e1.04
g1x100y140e1.04
g1x100y100e1.33
g1e-0.8f2100
g1z3f600
g1x20y20f9000
m400
