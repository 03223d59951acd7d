/** The service SPI: things that follow endpoints as they join and leave (the loopback port proxy, DNS to come). */
package io.berth.control.service;
