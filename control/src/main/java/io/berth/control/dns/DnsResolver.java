package io.berth.control.dns;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Answers one query from a sandbox's {@link SandboxNames}, or says it goes upstream. Pure: no sockets, so every
 * rule is unit-tested. Malformed input (truncated, compression loops, absurd counts, a response, a wrong opcode)
 * is counted and gets FORMERR or NOTIMP when its header is readable, nothing otherwise; it never throws. DNS thread.
 */
public final class DnsResolver
{
    /** What to do with a query. */
    public sealed interface Outcome
    {
    }

    /** Send these bytes back to the client. */
    public record Answer(byte[] wire) implements Outcome
    {
    }

    /**
     * Ask the sandbox's upstreams; {@code wire} is the query as received, {@code limit} the largest answer its
     * client takes ({@link #limitFor}): a longer upstream answer is passed on truncated.
     */
    public record Forward(byte[] wire, int limit) implements Outcome
    {
    }

    /** Nothing to send: too short to carry even an id, or a response sent to us. */
    public record Drop() implements Outcome
    {
    }

    /** Docker's embedded DNS gives its answers 600 s. */
    static final long TTL = 600;
    static final int UDP_LIMIT = 512;
    static final int HEADER = 12;

    private final DnsCounters counters;

    public DnsResolver(final DnsCounters counters)
    {
        this.counters = counters;
    }

    public Outcome resolve(final byte[] wire, final SandboxNames names, final boolean tcp)
    {
        counters.queries.incrementAndGet();
        if (tcp)
        {
            counters.tcpQueries.incrementAndGet();
        }
        if (wire.length < HEADER)
        {
            counters.malformed.incrementAndGet();
            return new Drop();
        }
        if ((wire[2] & 0x80) != 0)
        {
            counters.malformed.incrementAndGet(); // a response: answering it could start a loop
            return new Drop();
        }
        final Message query;
        try
        {
            query = new Message(wire);
        }
        catch (final Exception malformed)
        {
            counters.malformed.incrementAndGet();
            return new Answer(headerOnly(wire, Rcode.FORMERR));
        }
        final Header header = query.getHeader();
        if (header.getOpcode() != Opcode.QUERY)
        {
            counters.malformed.incrementAndGet();
            return new Answer(headerOnly(wire, Rcode.NOTIMP));
        }
        final Record question = query.getQuestion();
        if (question == null || header.getCount(Section.QUESTION) != 1 || header.getCount(Section.ANSWER) != 0)
        {
            counters.malformed.incrementAndGet();
            return new Answer(headerOnly(wire, Rcode.FORMERR));
        }
        final String name = question.getName().toString(true).toLowerCase(Locale.ROOT);
        final int type = question.getType();
        final boolean anyClass = question.getDClass() == DClass.IN || question.getDClass() == DClass.ANY;

        final List<Integer> addresses = anyClass ? names.addresses().get(name) : null;
        if (addresses != null)
        {
            final Message response = response(query, Rcode.NOERROR);
            if (type == Type.A || type == Type.ANY)
            {
                final List<Integer> shuffled = new ArrayList<>(addresses);
                Collections.shuffle(shuffled, ThreadLocalRandom.current()); // round robin for shared aliases
                for (final int ip : shuffled)
                {
                    response.addRecord(new ARecord(question.getName(), DClass.IN, TTL, address(ip)), Section.ANSWER);
                }
            }
            if (type == Type.AAAA || type == Type.ANY)
            {
                for (final byte[] ip6 : names.addresses6().getOrDefault(name, List.of()))
                {
                    response.addRecord(new AAAARecord(question.getName(), DClass.IN, TTL, address6(ip6)),
                        Section.ANSWER);
                }
            }
            // MX, ... (and AAAA on an IPv4-only network): the name is ours, so an empty NOERROR, never forwarded
            return local(query, response, tcp);
        }
        final String pointer6 = anyClass ? names.pointers6().get(name) : null;
        if (pointer6 != null)
        {
            final Message response = response(query, Rcode.NOERROR);
            if (type == Type.PTR || type == Type.ANY)
            {
                try
                {
                    response.addRecord(new PTRRecord(question.getName(), DClass.IN, TTL, Name.fromString(pointer6 + ".")),
                        Section.ANSWER);
                }
                catch (final TextParseException impossible)
                {
                    return local(query, response(query, Rcode.SERVFAIL), tcp);
                }
            }
            return local(query, response, tcp);
        }
        final int reverse = anyClass ? reverseAddress(name) : 0;
        if (reverse != 0 && names.pointers().containsKey(reverse))
        {
            final Message response = response(query, Rcode.NOERROR);
            if (type == Type.PTR || type == Type.ANY)
            {
                try
                {
                    response.addRecord(new PTRRecord(question.getName(), DClass.IN, TTL,
                        Name.fromString(names.pointers().get(reverse) + ".")), Section.ANSWER);
                }
                catch (final TextParseException impossible)
                {
                    return local(query, response(query, Rcode.SERVFAIL), tcp);
                }
            }
            return local(query, response, tcp);
        }
        if (!names.forward())
        {
            // only --internal networks: local names only, nothing leaves berth
            return local(query, response(query, Rcode.REFUSED), tcp);
        }
        if (names.upstreams().isEmpty())
        {
            return local(query, response(query, Rcode.SERVFAIL), tcp);
        }
        counters.forwarded.incrementAndGet();
        return new Forward(wire, limitFor(query, tcp));
    }

    /** The largest answer the client takes: 512 over UDP, or its EDNS0 size; 65535 over TCP. */
    static int limitFor(final Message query, final boolean tcp)
    {
        if (tcp)
        {
            return 65535;
        }
        final OPTRecord opt = query.getOPT();
        return opt == null ? UDP_LIMIT : Math.max(UDP_LIMIT, Math.min(65535, opt.getPayloadSize()));
    }

    private Answer local(final Message query, final Message response, final boolean tcp)
    {
        if (response.getRcode() == Rcode.NXDOMAIN)
        {
            counters.nxdomain.incrementAndGet();
        }
        counters.localAnswers.incrementAndGet();
        final int limit = limitFor(query, tcp);
        byte[] wire = response.toWire(limit); // too big: truncated, TC set
        if (wire.length > limit)
        {
            wire = truncated(wire); // dnsjava keeps an ANY answer's RRsets whole, whatever the limit
        }
        if (wire.length >= 3 && (wire[2] & 0x02) != 0)
        {
            counters.truncated.incrementAndGet();
        }
        return new Answer(wire);
    }

    private static Message response(final Message query, final int rcode)
    {
        final Message response = new Message(query.getHeader().getID());
        final Header header = response.getHeader();
        header.setFlag(Flags.QR);
        header.setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD))
        {
            header.setFlag(Flags.RD);
        }
        if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN)
        {
            header.setFlag(Flags.AA);
        }
        header.setRcode(rcode);
        response.addRecord(query.getQuestion(), Section.QUESTION);
        if (query.getOPT() != null)
        {
            response.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
        }
        return response;
    }

    /** A reply carrying only the query's id, opcode and {@code rcode}: for queries whose body cannot be read. */
    /**
     * {@code answer} cut to its header and question with TC set (RFC 1035 4.2.1, RFC 2181 9): what a client that
     * takes no more than its limit gets instead of a longer datagram, so it asks again over TCP.
     */
    static byte[] truncated(final byte[] answer)
    {
        int end = HEADER;
        final int questions = answer.length >= HEADER ? ((answer[4] & 0xFF) << 8) | (answer[5] & 0xFF) : 0;
        if (questions == 1)
        {
            int at = HEADER;
            while (at < answer.length && answer[at] != 0 && (answer[at] & 0xC0) == 0)
            {
                at += 1 + (answer[at] & 0xFF);
            }
            end = at < answer.length && answer[at] == 0 && at + 5 <= answer.length ? at + 5 : HEADER;
        }
        final byte[] cut = Arrays.copyOf(answer, end);
        cut[2] |= 0x02; // TC
        cut[4] = 0;
        cut[5] = (byte)(end > HEADER ? 1 : 0);
        Arrays.fill(cut, 6, HEADER, (byte)0); // no answer, authority or additional records
        return cut;
    }

    static byte[] headerOnly(final byte[] query, final int rcode)
    {
        final byte[] reply = new byte[HEADER];
        reply[0] = query[0];
        reply[1] = query[1];
        reply[2] = (byte)(0x80 | (query[2] & 0x78)); // QR, the query's opcode
        reply[3] = (byte)(rcode & 0x0F);
        return reply;
    }

    /** The address a d.c.b.a.in-addr.arpa name stands for, or 0. */
    static int reverseAddress(final String name)
    {
        final String suffix = ".in-addr.arpa";
        if (!name.endsWith(suffix))
        {
            return 0;
        }
        final String[] parts = name.substring(0, name.length() - suffix.length()).split("\\.");
        if (parts.length != 4)
        {
            return 0;
        }
        int ip = 0;
        for (int i = 3; i >= 0; i--)
        {
            final int octet;
            try
            {
                octet = Integer.parseInt(parts[i]);
            }
            catch (final NumberFormatException e)
            {
                return 0;
            }
            if (octet < 0 || octet > 255)
            {
                return 0;
            }
            ip = (ip << 8) | octet;
        }
        return ip;
    }

    /** The in-addr.arpa name of {@code ip}, without the trailing dot. */
    static String reverseName(final int ip)
    {
        return (ip & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + ((ip >>> 16) & 0xFF) + "." + (ip >>> 24) + ".in-addr.arpa";
    }

    static InetAddress address(final int ip)
    {
        try
        {
            return InetAddress.getByAddress(new byte[] {(byte)(ip >>> 24), (byte)(ip >>> 16), (byte)(ip >>> 8), (byte)ip});
        }
        catch (final UnknownHostException impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }

    private static InetAddress address6(final byte[] ip6)
    {
        try
        {
            return InetAddress.getByAddress(ip6);
        }
        catch (final UnknownHostException impossible)
        {
            throw new IllegalStateException(impossible);
        }
    }
}
