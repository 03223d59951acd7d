package io.berth.control.driver.spi;

import io.berth.control.error.BerthException;

/**
 * A macvlan or ipvlan network's {@code -o parent=IFACE[.VID]}: an interface in berthd's namespace and, after a dot,
 * the 802.1Q VLAN berth tags and untags itself (no kernel VLAN device is made). Immutable.
 *
 * @param iface the interface name.
 * @param vid   1..4094, or 0 for untagged.
 */
public record ParentInterface(String iface, int vid)
{
    public static final int MAX_VID = 4094;
    private static final int IFNAMSIZ = 16;

    public static ParentInterface parse(final String value)
    {
        if (value == null || value.isEmpty())
        {
            throw new BerthException("invalid parent \"\": give an interface, IFACE or IFACE.VID (VID 1.." + MAX_VID + ")");
        }
        final int dot = value.lastIndexOf('.');
        String iface = value;
        int vid = 0;
        if (dot >= 0)
        {
            iface = value.substring(0, dot);
            final String tag = value.substring(dot + 1);
            try
            {
                vid = Integer.parseInt(tag);
            }
            catch (final NumberFormatException e)
            {
                throw new BerthException("invalid VLAN \"" + tag + "\" in parent " + value + ": give IFACE.VID with VID 1.." +
                    MAX_VID);
            }
            if (vid < 1 || vid > MAX_VID)
            {
                throw new BerthException("invalid VLAN " + tag + " in parent " + value + ": VID must be 1.." + MAX_VID);
            }
        }
        if (iface.isEmpty() || iface.length() >= IFNAMSIZ || iface.contains("/") || iface.contains(" ") ||
            iface.contains(":"))
        {
            throw new BerthException("invalid interface \"" + iface + "\" in parent " + value + ": 1.." + (IFNAMSIZ - 1) +
                " characters, no '/', ':' or ' '");
        }
        return new ParentInterface(iface, vid);
    }

    @Override
    public String toString()
    {
        return vid == 0 ? iface : iface + "." + vid;
    }
}
