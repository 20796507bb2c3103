-- The scripts' notion of now (ms), for the relay's C++ side (the sweeper, ots-relay admin).
return nowMs()
