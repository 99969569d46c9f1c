internal import CShims

/// Allocator settings for a long-running server whose requests come and go in bursts: release builds run on
/// mimalloc, debug builds (the tests, the sanitizers) on glibc's malloc.
public enum MallocTuning {
    /// With mimalloc: freed pages go back to the system at once, so RSS comes down after a burst of large
    /// bodies (mimalloc's delayed return waits for the same thread to allocate again).
    ///
    /// With glibc: a fixed mmap threshold. Buffers of 256 KiB and more (request bodies, provider answers,
    /// streamed backlogs) get mappings of their own and go back to the system when freed. By default glibc
    /// raises the threshold after each such free, so later large buffers come from the heap, which it rarely
    /// shrinks: RSS then ratchets up with every burst of large requests and never comes down. Fewer arenas (two
    /// per core instead of eight) keep freed memory from scattering over many per-thread heaps.
    public static func apply(cores: Int) {
        cshim_malloc_tune(256 * 1024, Int32(max(2, 2 * cores)))
    }
}
