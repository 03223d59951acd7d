/**
 * The JSON every part of berth writes and reads (the API, the journal, the store, the CNI plugin): one set of
 * Jackson mappers, in a package of its own so that no package depends on the API for it.
 */
package io.berth.control.wire;
