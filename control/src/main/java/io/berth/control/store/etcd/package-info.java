/**
 * The global store on a real etcd (jetcd): networks, addresses and endpoints shared by every host, with TLS and
 * authentication (StoreAccess) and the notice of a store that lost its data (StoreIntegrity).
 */
package io.berth.control.store.etcd;
