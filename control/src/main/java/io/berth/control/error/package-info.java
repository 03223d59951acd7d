/**
 * {@link io.berth.control.error.BerthException}, the one refusal every layer of the control plane throws with a
 * message for the user. A leaf: it depends on nothing of berth's, so every package can use it without a loop.
 */
package io.berth.control.error;
