#!/usr/bin/env python3
"""frame-profile.py PERF_SCRIPT_OUTPUT THREAD_COMM FRAMES_PER_SECOND

Where a frame's time goes on a dataplane's core (issue 28): reads `perf script -F comm,ip,sym` of a `perf record -a
-g` taken while trafgen sends 64-byte frames, keeps the samples of the thread named THREAD_COMM (berthd's
`berth-dataplane`, OVS's `pmd...`), puts each in the first category its call chain reaches, and prints the share
and the nanoseconds per delivered frame of each (the thread is busy the whole window, so a category's time per
frame is its share over the delivered rate). compare-peers.sh calls it with PROFILE=1.
"""
import collections
import sys

# first match wins: the receiver's own stack runs inside the transmit's softirq, so it is looked for first
CATEGORIES = [
    ("receiver: ICMP port unreachable", ("__icmp_send",)),
    ("receiver: IPv4 and UDP in, backlog", ("__udp4_lib_rcv", "ip_rcv", "process_backlog", "__netif_receive_skb")),
    ("receiver: softirq bookkeeping", ("handle_softirqs", "net_rx_action")),
    ("transmit: veth", ("veth_xmit",)),
    ("transmit: skb allocation", ("sock_alloc_send_pskb",)),
    ("transmit: direct xmit, AF_XDP copy mode", ("__dev_direct_xmit", "__xsk_generic_xmit", "xsk_sendmsg")),
    ("other system calls (epoll_wait, sched_yield, ...)", ("entry_SYSCALL", "do_syscall_64")),
]


def samples(path, comm):
    current = None
    with open(path, errors="replace") as lines:
        for line in lines:
            line = line.rstrip()
            if not line:
                if current is not None:
                    yield current
                current = None
            elif not line[0].isspace():
                if current is not None:
                    yield current
                current = [] if line.split()[0].startswith(comm) else None
            elif current is not None:
                parts = line.split(None, 1)
                current.append((parts[1] if len(parts) > 1 else parts[0]).split("+")[0])
    if current is not None:
        yield current


def category(stack):
    for name, functions in CATEGORIES:
        if any(frame.startswith(functions) for frame in stack):
            return name
    return "the dataplane's own code (user space)"


def main():
    path, comm, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    counts = collections.Counter(category(s) for s in samples(path, comm))
    total = sum(counts.values())
    if total == 0 or rate <= 0:
        sys.stderr.write("frame-profile: no samples of %s, or no frames\n" % comm)
        sys.exit(1)
    print("%s: %d samples at %.3f Mpps delivered (profiled: faster than unprofiled runs; read the shares)" %
          (comm, total, rate / 1e6))
    for name in [c[0] for c in CATEGORIES] + ["the dataplane's own code (user space)"]:
        print("  %-52s %5.1f %%  %5.0f ns/frame" % (name, 100.0 * counts[name] / total, 1e9 * counts[name] / total / rate))


if __name__ == "__main__":
    main()
