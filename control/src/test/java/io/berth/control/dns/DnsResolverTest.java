package io.berth.control.dns;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DnsResolverTest
{
    private static final int WEB = 0x0A00_0002;   // 10.0.0.2
    private static final int DB = 0x0A00_0003;
    private static final InetSocketAddress UPSTREAM = new InetSocketAddress("127.0.0.1", 5353);

    private final DnsCounters counters = new DnsCounters();
    private final DnsResolver resolver = new DnsResolver(counters);

    private static SandboxNames names(final boolean forward)
    {
        return new SandboxNames(Map.of("web", List.of(WEB), "web.net1", List.of(WEB), "pool", List.of(WEB, DB)),
            Map.of(WEB, "web.net1"), forward, List.of(UPSTREAM));
    }

    private static byte[] query(final String name, final int type) throws IOException
    {
        final Message q = Message.newQuery(Record.newRecord(Name.fromString(name + "."), type, DClass.IN));
        return q.toWire();
    }

    private Message answer(final byte[] query, final SandboxNames names, final boolean tcp) throws IOException
    {
        final DnsResolver.Outcome outcome = resolver.resolve(query, names, tcp);
        return new Message(assertInstanceOf(DnsResolver.Answer.class, outcome).wire());
    }

    @Test
    void aContainerNameAnswersItsAddressCaseInsensitively() throws IOException
    {
        final Message m = answer(query("WEB", Type.A), names(true), false);
        assertEquals(Rcode.NOERROR, m.getRcode());
        assertTrue(m.getHeader().getFlag(Flags.AA));
        assertEquals("10.0.0.2", m.getSection(Section.ANSWER).get(0).rdataToString());
        assertEquals(1, counters.localAnswers.get());
    }

    @Test
    void aSharedAliasAnswersEveryAddressInChangingOrder() throws IOException
    {
        final Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 64; i++)
        {
            final List<Record> records = answer(query("pool", Type.A), names(true), false).getSection(Section.ANSWER);
            assertEquals(2, records.size());
            firsts.add(records.get(0).rdataToString());
        }
        assertEquals(Set.of("10.0.0.2", "10.0.0.3"), firsts, "round robin");
    }

    @Test
    void aKnownNameOfAnotherTypeIsAnEmptyNoErrorAndNotForwarded() throws IOException
    {
        final Message m = answer(query("web", Type.AAAA), names(true), false);
        assertEquals(Rcode.NOERROR, m.getRcode());
        assertTrue(m.getSection(Section.ANSWER).isEmpty());
        assertEquals(0, counters.forwarded.get());
    }

    @Test
    void pointerRecordsForContainerAddresses() throws IOException
    {
        final Message m = answer(query("2.0.0.10.in-addr.arpa", Type.PTR), names(true), false);
        assertEquals("web.net1.", m.getSection(Section.ANSWER).get(0).rdataToString());
    }

    @Test
    void unknownNamesGoUpstreamUnlessTheSandboxIsOnlyOnInternalNetworks() throws IOException
    {
        final byte[] q = query("example.org", Type.A);
        final DnsResolver.Forward f = assertInstanceOf(DnsResolver.Forward.class, resolver.resolve(q, names(true), false));
        assertArrayEquals(q, f.wire());
        assertEquals(1, counters.forwarded.get());
        assertEquals(Rcode.REFUSED, answer(q, names(false), false).getRcode());
        // a name on another network (absent from this sandbox's names) is unknown here
        assertInstanceOf(DnsResolver.Forward.class, resolver.resolve(query("other-net-only", Type.A), names(true), false));
    }

    @Test
    void aLargeAnswerIsTruncatedOverUdpAndWholeOverTcp() throws IOException
    {
        final java.util.List<Integer> many = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++)
        {
            many.add(0x0A01_0000 + i);
        }
        final SandboxNames big = new SandboxNames(Map.of("big", many), Map.of(), true, List.of(UPSTREAM));
        final byte[] q = query("big", Type.A);
        final Message udp = answer(q, big, false);
        assertTrue(udp.getHeader().getFlag(Flags.TC), "60 A records do not fit 512 bytes");
        final Message tcp = answer(q, big, true);
        assertTrue(!tcp.getHeader().getFlag(Flags.TC));
        assertEquals(60, tcp.getSection(Section.ANSWER).size());
        // EDNS0 4096 takes them all over UDP too
        final Message edns = Message.newQuery(Record.newRecord(Name.fromString("big."), Type.A, DClass.IN));
        edns.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
        final Message whole = answer(edns.toWire(), big, false);
        assertEquals(60, whole.getSection(Section.ANSWER).size());
        assertEquals(1, counters.truncated.get());
    }

    @Test
    void anAnyAnswerOverTheLimitIsTruncatedToo() throws IOException
    {
        final java.util.List<Integer> shared = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++)
        {
            shared.add(0x0A01_0000 + i);
        }
        final SandboxNames names = new SandboxNames(Map.of("shared", shared), Map.of(), true, List.of(UPSTREAM));
        final DnsResolver.Outcome outcome = resolver.resolve(query("shared", Type.ANY), names, false);
        final byte[] wire = ((DnsResolver.Answer)outcome).wire();
        assertTrue(wire.length <= 512, "an ANY answer of " + wire.length + " bytes to a client without EDNS");
        final Message udp = new Message(wire);
        assertTrue(udp.getHeader().getFlag(Flags.TC), udp.toString());
        assertEquals("shared.", udp.getQuestion().getName().toString(), udp.toString());
        assertEquals(40, answer(query("shared", Type.ANY), names, true).getSection(Section.ANSWER).size());
    }

    @Test
    void anUpstreamAnswerIsCutToItsHeaderAndQuestion() throws IOException
    {
        final Message big = new Message(7);
        big.getHeader().setFlag(Flags.QR);
        big.addRecord(Record.newRecord(Name.fromString("far.example."), Type.TXT, DClass.IN), Section.QUESTION);
        for (int i = 0; i < 30; i++)
        {
            big.addRecord(new org.xbill.DNS.TXTRecord(Name.fromString("far.example."), DClass.IN, 60,
                "x".repeat(40) + i), Section.ANSWER);
        }
        final byte[] cut = DnsResolver.truncated(big.toWire());
        final Message parsed = new Message(cut);
        assertTrue(parsed.getHeader().getFlag(Flags.TC));
        assertEquals(7, parsed.getHeader().getID());
        assertEquals(0, parsed.getSection(Section.ANSWER).size());
        assertEquals("far.example.", parsed.getQuestion().getName().toString());
    }

    @Test
    void malformedQueriesGetFormerrOrNothingAndAreCounted() throws IOException
    {
        assertInstanceOf(DnsResolver.Drop.class, resolver.resolve(new byte[5], names(true), false));
        final byte[] q = query("web", Type.A);
        final byte[] cut = java.util.Arrays.copyOf(q, q.length - 3);
        assertEquals(Rcode.FORMERR, answer(cut, names(true), false).getHeader().getRcode());
        // a compression pointer to itself
        final byte[] loop = java.util.Arrays.copyOf(q, 12 + 2 + 4);
        loop[12] = (byte)0xC0;
        loop[13] = 12;
        assertEquals(Rcode.FORMERR, answer(loop, names(true), false).getHeader().getRcode());
        // an absurd question count
        final byte[] counts = q.clone();
        counts[4] = (byte)0xFF;
        counts[5] = (byte)0xFF;
        assertEquals(Rcode.FORMERR, answer(counts, names(true), false).getHeader().getRcode());
        // another opcode (STATUS)
        final byte[] status = q.clone();
        status[2] = (byte)((status[2] & 0x87) | (2 << 3));
        assertEquals(Rcode.NOTIMP, answer(status, names(true), false).getHeader().getRcode());
        // random garbage never throws
        final Random random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            final byte[] junk = new byte[random.nextInt(80)];
            random.nextBytes(junk);
            resolver.resolve(junk, names(true), random.nextBoolean());
        }
        assertTrue(counters.malformed.get() >= 4);
    }
}
