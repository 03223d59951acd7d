package io.berth.tap.xdp;

import io.berth.tap.Natives;
import io.berth.tap.uring.UringSys;
import jnr.ffi.Pointer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The XDP side of an AF_XDP port: an XSKMAP of one entry and a six-instruction program that redirects every frame
 * arriving on the interface into the socket in that entry ({@code bpf_redirect_map(&xsks, rx_queue_index,
 * XDP_PASS)}: a queue without a socket passes the frame to the kernel), attached with a BPF link in native (driver)
 * mode, which veth offers. Written as bytecode here rather than compiled from C: the machine has no clang, and the
 * program is too small to need one. Closing the link detaches the program (berthd's death detaches it too).
 * Control thread.
 */
public final class XdpRedirect implements AutoCloseable
{
    // linux/bpf.h
    static final int BPF_MAP_CREATE = 0;
    static final int BPF_MAP_UPDATE_ELEM = 2;
    static final int BPF_PROG_LOAD = 5;
    static final int BPF_LINK_CREATE = 28;
    static final int BPF_MAP_TYPE_XSKMAP = 17;
    static final int BPF_PROG_TYPE_XDP = 6;
    static final int BPF_XDP = 37;
    static final long SYS_BPF = 321;
    /** XDP_FLAGS_DRV_MODE: native XDP, in the driver (veth has it); no silent fall-back to generic mode. */
    static final int XDP_FLAGS_DRV_MODE = 1 << 2;
    static final int XDP_PASS = 2;
    static final int BPF_FUNC_REDIRECT_MAP = 51;
    /** Room for every bpf_attr this class fills; the kernel requires the bytes it does not know to be zero. */
    private static final int ATTR_SIZE = 128;

    private final int mapFd;
    private final int progFd;
    private final int linkFd;

    private XdpRedirect(final int mapFd, final int progFd, final int linkFd)
    {
        this.mapFd = mapFd;
        this.progFd = progFd;
        this.linkFd = linkFd;
    }

    /** Loads the map and program and attaches them to {@code ifindex} (in the caller's namespace). */
    public static XdpRedirect attach(final int ifindex, final String ifname) throws IOException
    {
        final int mapFd = createMap(ifname);
        int progFd = -1;
        try
        {
            progFd = loadProgram(mapFd, ifname);
            final Pointer attr = Natives.allocateDirect(ATTR_SIZE);
            attr.putInt(0, progFd);           // link_create.prog_fd
            attr.putInt(4, ifindex);          // link_create.target_ifindex
            attr.putInt(8, BPF_XDP);          // link_create.attach_type
            attr.putInt(12, XDP_FLAGS_DRV_MODE); // link_create.flags
            final int linkFd = (int)bpf(BPF_LINK_CREATE, attr, "attach XDP to " + ifname);
            return new XdpRedirect(mapFd, progFd, linkFd);
        }
        catch (final IOException | RuntimeException ex)
        {
            Natives.close(progFd);
            Natives.close(mapFd);
            throw ex;
        }
    }

    /** Puts the AF_XDP socket {@code xskFd} into entry 0 (queue 0: a veth has one). */
    public void redirectTo(final int xskFd, final String ifname) throws IOException
    {
        final Pointer key = Natives.allocateDirect(Integer.BYTES);
        final Pointer value = Natives.allocateDirect(Integer.BYTES);
        value.putInt(0, xskFd);
        final Pointer attr = Natives.allocateDirect(ATTR_SIZE);
        attr.putInt(0, mapFd);                 // map_fd
        attr.putLong(8, key.address());        // key
        attr.putLong(16, value.address());     // value
        attr.putLong(24, 0);                   // flags: BPF_ANY
        bpf(BPF_MAP_UPDATE_ELEM, attr, "put the socket of " + ifname + " in its XSKMAP");
    }

    private static int createMap(final String ifname) throws IOException
    {
        final Pointer attr = Natives.allocateDirect(ATTR_SIZE);
        attr.putInt(0, BPF_MAP_TYPE_XSKMAP);
        attr.putInt(4, Integer.BYTES);  // key: the queue index
        attr.putInt(8, Integer.BYTES);  // value: a socket fd
        attr.putInt(12, 1);             // one queue
        return (int)bpf(BPF_MAP_CREATE, attr, "XSKMAP for " + ifname);
    }

    /** The program's bytecode: struct bpf_insn {u8 code; u8 dst:4, src:4; s16 off; s32 imm}. */
    static byte[] program(final int mapFd)
    {
        final long[][] insns = {
            // r2 = *(u32 *)(r1 + 16): xdp_md.rx_queue_index
            {0x61, 2, 1, 16, 0},
            // r1 = the map (ld_imm64 with BPF_PSEUDO_MAP_FD: the kernel puts the map's address here)
            {0x18, 1, 1, 0, mapFd},
            {0x00, 0, 0, 0, 0},
            // r3 = XDP_PASS: what bpf_redirect_map returns when the entry is empty
            {0xb7, 3, 0, 0, XDP_PASS},
            // call bpf_redirect_map(r1, r2, r3)
            {0x85, 0, 0, 0, BPF_FUNC_REDIRECT_MAP},
            // exit: r0 is the verdict
            {0x95, 0, 0, 0, 0},
        };
        final byte[] code = new byte[insns.length * 8];
        for (int i = 0; i < insns.length; i++)
        {
            final long[] insn = insns[i];
            code[i * 8] = (byte)insn[0];
            code[i * 8 + 1] = (byte)((insn[2] << 4) | insn[1]);
            code[i * 8 + 2] = (byte)insn[3];
            code[i * 8 + 3] = (byte)(insn[3] >> 8);
            final int imm = (int)insn[4];
            code[i * 8 + 4] = (byte)imm;
            code[i * 8 + 5] = (byte)(imm >> 8);
            code[i * 8 + 6] = (byte)(imm >> 16);
            code[i * 8 + 7] = (byte)(imm >> 24);
        }
        return code;
    }

    private static int loadProgram(final int mapFd, final String ifname) throws IOException
    {
        final byte[] code = program(mapFd);
        final Pointer insns = Natives.allocateDirect(code.length);
        insns.put(0, code, 0, code.length);
        final byte[] gpl = "GPL\0".getBytes(StandardCharsets.US_ASCII);
        final Pointer license = Natives.allocateDirect(gpl.length);
        license.put(0, gpl, 0, gpl.length);
        final int logSize = 4096;
        final Pointer log = Natives.allocateDirect(logSize);
        final Pointer attr = Natives.allocateDirect(ATTR_SIZE);
        attr.putInt(0, BPF_PROG_TYPE_XDP);
        attr.putInt(4, code.length / 8);
        attr.putLong(8, insns.address());
        attr.putLong(16, license.address());
        attr.putInt(24, 1);                 // log_level: the verifier says why, should it refuse
        attr.putInt(28, logSize);
        attr.putLong(32, log.address());
        attr.putInt(68, BPF_XDP);           // expected_attach_type
        final byte[] name = "berth_xsk".getBytes(StandardCharsets.US_ASCII);
        attr.put(48, name, 0, name.length); // prog_name
        try
        {
            return (int)bpf(BPF_PROG_LOAD, attr, "load the XDP program for " + ifname);
        }
        catch (final IOException ex)
        {
            final byte[] text = new byte[logSize];
            log.get(0, text, 0, logSize);
            final String verifier = new String(text, StandardCharsets.US_ASCII).trim();
            throw new IOException(ex.getMessage() + (verifier.isEmpty() ? "" : "; verifier: " +
                verifier.replace('\0', ' ').trim()), ex);
        }
    }

    private static long bpf(final int cmd, final Pointer attr, final String what) throws IOException
    {
        final long rc = UringSys.LIBC.syscall(SYS_BPF, cmd, attr.address(), ATTR_SIZE, 0, 0, 0);
        if (rc < 0)
        {
            final int errno = Natives.errno();
            throw new IOException(what + ": bpf(" + cmd + ") errno " + errno + (errno == 1 ?
                " (EPERM: needs CAP_BPF and CAP_NET_ADMIN)" : errno == 95 ? " (EOPNOTSUPP: no native XDP here)" : ""));
        }
        return rc;
    }

    @Override
    public void close()
    {
        Natives.close(linkFd); // detaches the program
        Natives.close(progFd);
        Natives.close(mapFd);
    }
}
