package io.berth.tap;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorsTest
{
    @Test
    void namesErrnos()
    {
        assertEquals("EAGAIN", Errors.name(Errors.EAGAIN));
        assertEquals("EAGAIN", Errors.name(-Errors.EAGAIN));
        assertEquals("EBUSY", Errors.name(16));
        assertEquals("errno 200", Errors.name(200));
    }

    @Test
    void exceptionNamesCallErrnoAndArgument()
    {
        final Errors.NativeIOException e = (Errors.NativeIOException)Errors.exception("ioctl(TUNSETIFF)", -16, "tap0");
        assertEquals("ioctl(TUNSETIFF) failed for tap0: EBUSY (16)", e.getMessage());
        assertEquals(16, e.errno());
        assertEquals("ioctl(TUNSETIFF)", e.call());
    }

    @Test
    void failedOpenReportsPathAndEnoent()
    {
        final IOException e = assertThrows(IOException.class,
            () -> Natives.open("/nonexistent/berth-" + Kernel.PID, Natives.O_RDONLY));
        assertTrue(e.getMessage().startsWith("open failed for /nonexistent/berth-"), e.getMessage());
        assertTrue(e.getMessage().endsWith(": ENOENT (2)"), e.getMessage());
    }

    @Test
    void hotCallsReturnMinusErrno()
    {
        assertEquals(-Errors.EBADF, Natives.read(-1, 0, 0));
        assertEquals(-Errors.EBADF, Natives.write(-1, 0, 0));
    }

    @Test
    void badInterfaceNameIsRejectedBeforeTheKernel()
    {
        assertThrows(IllegalArgumentException.class, () -> TapDevice.open("a-name-longer-than-15", false));
    }
}
