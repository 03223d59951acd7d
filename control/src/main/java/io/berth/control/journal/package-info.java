/**
 * The configuration journal: every change of berth's configuration is an {@link io.berth.control.event.Event},
 * appended after the change succeeded and replayed on start to rebuild the state. Stored with Chronicle Queue in
 * {@code <state-dir>/journal}, one JSON document per excerpt. Written and read by the control thread only.
 */
package io.berth.control.journal;
