// The fan-out benchmark compares a send time taken in one process with arrival times taken in others. process.hrtime
// reads CLOCK_MONOTONIC, one clock for every process of the machine, so the difference needs no offset; a wall clock
// (performance.timeOrigin + performance.now()) would carry whatever skew each process sampled at its start.
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6
