/**
 * The L2 switch (the folder is {@code switch/}, a Java keyword): one bridge domain per network, a MAC table with
 * aging and per-port limits, the learn/forward/flood stage and each network's gateway (ARP and ping responder).
 * All tables here are owned by the dataplane worker thread; the control plane reaches them through
 * {@link io.berth.l2.L2Switch} methods it runs as worker commands.
 */
package io.berth.l2;
