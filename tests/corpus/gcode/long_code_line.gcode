; rtstep bad-input corpus: a code line longer than 512 bytes.
G28
G90
M83
G1 Z2 F600
G1 X100 Y100 F9000
G1 Z0.3 F600
G1 X140 Y100 E1.33 F4800
G1 X140 Y140 E1.33                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                        F4800
G3 X120 Y160 I-20 J0 E1.04
G1 X100 Y140 E1.04
G1 X100 Y100 E1.33
G1 E-0.8 F2100
G1 Z3 F600
G1 X20 Y20 F9000
M400
