/** The store SPI: where configuration events live per scope (the local journal; a global store such as etcd). */
package io.berth.control.store;
