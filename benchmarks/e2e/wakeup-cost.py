#!/usr/bin/python3
"""What waking a sleeping process on another CPU costs on this machine: the floor under berth's ping RTT.

berth's RTT holds at least one such wake-up that the kernel bridge's does not: the kernel forwards a ping's
request and its reply inside the sender's own sendto, so ping finds the reply without having slept, while
berthd delivers the reply from its worker's CPU to a ping that went to sleep on another one (issue 11).

Two processes, each pinned to a CPU, pass a byte back and forth over two pipes: a round trip is two wake-ups of a
process blocked in read. Between rounds both sleep 1 ms, so, as with ping, the CPUs go idle. The same is measured
with both processes on one CPU (a wake-up without an inter-processor interrupt) for comparison.

Usage: benchmarks/e2e/wakeup-cost.py [rounds] (default 3000). Needs 2 CPUs; no root, no network.
Prints the median and the 10th and 90th percentiles of a round trip, and the cost of one wake-up across CPUs
beyond one on the same CPU.
"""
import os
import sys
import time


def round_trips(cpu_a, cpu_b, rounds):
    to_b_r, to_b_w = os.pipe()
    to_a_r, to_a_w = os.pipe()
    warm = 100
    child = os.fork()
    if child == 0:
        os.sched_setaffinity(0, {cpu_b})
        for _ in range(rounds + warm):
            os.read(to_b_r, 1)
            os.write(to_a_w, b"x")
        os._exit(0)
    os.sched_setaffinity(0, {cpu_a})
    times = []
    for i in range(rounds + warm):
        t0 = time.perf_counter_ns()
        os.write(to_b_w, b"x")
        os.read(to_a_r, 1)
        t1 = time.perf_counter_ns()
        if i >= warm:
            times.append(t1 - t0)
        time.sleep(0.001)
    os.waitpid(child, 0)
    for fd in (to_b_r, to_b_w, to_a_r, to_a_w):
        os.close(fd)
    times.sort()
    return [times[len(times) * q // 100] / 1000.0 for q in (10, 50, 90)]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("wakeup-cost.py: needs 2 CPUs")
    a, b = sorted(os.sched_getaffinity(0))[:2]
    across = round_trips(a, b, rounds)
    same = round_trips(a, a, rounds)
    print("round trip over two pipes, 2 wake-ups, %d rounds 1 ms apart (us): p10 / median / p90" % rounds)
    print("  CPUs %d and %d:   %6.1f / %6.1f / %6.1f" % (a, b, *across))
    print("  both on CPU %d:  %6.1f / %6.1f / %6.1f" % (a, *same))
    print("one wake-up across CPUs costs %.1f us more than one on the same CPU (medians)"
          % ((across[1] - same[1]) / 2))


if __name__ == "__main__":
    main()
