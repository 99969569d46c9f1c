// Typed, non-packed wrappers for the system calls Swift cannot call directly (epoll, accept4).
// Each function is a thin pass-through; ownership rules are those of the wrapped API.
#ifndef CSHIMS_H
#define CSHIMS_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

// epoll_event is __attribute__((packed)) on x86_64; Swift sees this plain struct instead.
typedef struct {
    uint32_t events;
    uint64_t data;
} cshim_epoll_event;

int cshim_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int cshim_epoll_wait(int epfd, cshim_epoll_event *events, int max_events, int timeout_ms);

// accept4 is declared only under _GNU_SOURCE; returns a non-blocking, close-on-exec socket.
int cshim_accept_nonblocking(int listen_fd);

// Allocator tuning. With glibc's malloc (malloc.h's mallopt and its M_ARENA_MAX are declared only under
// _GNU_SOURCE): a fixed mmap threshold in bytes, and the most arenas malloc may create. With mimalloc (release
// builds): freed memory is returned at once, and the two arguments are not used.
void cshim_malloc_tune(int mmap_threshold, int arena_max);

#endif
