package io.berth.tap.uring;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.SaveError;

/**
 * The libc calls io_uring needs: {@code syscall} for io_uring_setup (425), io_uring_enter (426) and
 * io_uring_register (427), which glibc does not wrap, and for mmap (9) and munmap (11) of the rings: jnr's binding
 * of libc's own mmap returned EINVAL for the very arguments the raw syscall takes. x86_64 numbers. Stateless;
 * any thread.
 */
public interface UringSys
{
    long SYS_IO_URING_SETUP = 425;
    long SYS_IO_URING_ENTER = 426;
    long SYS_IO_URING_REGISTER = 427;
    long SYS_MMAP = 9;
    long SYS_MUNMAP = 11;

    UringSys LIBC = LibraryLoader.create(UringSys.class).load("c");

    /** A raw syscall with up to six integer arguments (unused ones 0); -1 with errno on failure. */
    @SaveError
    long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    @SaveError
    int close(int fd);
}
