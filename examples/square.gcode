; rtstep example: heat, home, then two layers of a 40 mm square with a chamfered corner; about 7 s of motion.
M140 S60             ; bed and hot end heat while the axes home
M104 S200
G28                  ; home all axes (sim: the carriages start on their endstops)
M190 S60             ; wait for the bed, then the hot end (the sim's take about two minutes, as real ones)
M109 S200
G90                  ; absolute positioning
M83                  ; relative extrusion
G1 Z2 F600           ; lift
G1 X100 Y100 F9000   ; travel to the start corner
G1 Z0.3 F600
G1 X140 Y100 E1.33 F4800
G1 X140 Y140 E1.33
G1 X104 Y140 E1.20
G1 X100 Y136 E0.19   ; 45-degree chamfer
G1 X100 Y100 E1.20
G1 Z0.5 F600         ; next layer
G1 X140 Y100 E1.33 F4800
G1 X140 Y140 E1.33
G1 X104 Y140 E1.20
G1 X100 Y136 E0.19
G1 X100 Y100 E1.20
G1 E-0.8 F2100       ; retract
G1 Z3 F600
G1 X20 Y20 F9000     ; park
M114
M400
M104 S0              ; heaters off
M140 S0
M84                  ; motors off
