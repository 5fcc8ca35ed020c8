// SPDX-License-Identifier: MIT
/*
 * aio-loop: the pipeline benchmark's C baseline. The same transfers as its "aio" and "endpoints" columns, over
 * files whose AIO completes inside io_submit (/dev/zero for reads, /dev/null for writes), driven the way the C
 * reference gadget (ffs-reference.c) drives its endpoints: raw AIO syscalls, every block signals one eventfd,
 * one thread poll()s it, reaps with io_getevents and sends everything back in one io_submit.
 *
 *   aio-loop MODE SIZE DEPTH SECONDS    MODE: in (writes), out (reads) or loopback (each read written back)
 *
 * Prints one line: transfers_per_second=N cpu_ns=N user_ns=N (CPU and user time per transfer, this process).
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -std=gnu11 aio-loop.c -o aio-loop
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/aio_abi.h>

static void fail(const char *what)
{
	fprintf(stderr, "aio-loop: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double seconds_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_ns(const struct timeval *t) { return (double)t->tv_sec * 1e9 + (double)t->tv_usec * 1e3; }

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "in") && strcmp(argv[1], "out") && strcmp(argv[1], "loopback"))) {
		fprintf(stderr, "usage: aio-loop in|out|loopback SIZE DEPTH SECONDS\n");
		return 2;
	}
	const char *mode = argv[1];
	long size = strtol(argv[2], NULL, 0), depth = strtol(argv[3], NULL, 0);
	double seconds = strtod(argv[4], NULL);
	if (size < 1 || size > (16 << 20) || depth < 1 || depth > 1024 || !(seconds > 0)) {
		fprintf(stderr, "aio-loop: SIZE must be 1..16 MiB, DEPTH 1..1024 and SECONDS positive\n");
		return 2;
	}

	int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (zero < 0 || null < 0 || efd < 0)
		fail("open");
	aio_context_t ctx = 0;
	if (syscall(SYS_io_setup, (long)depth, &ctx) < 0)
		fail("io_setup");

	/* Page-aligned buffers, one per block, as the framework's pool hands out. */
	size_t stride = ((size_t)size + 4095) & ~(size_t)4095;
	uint8_t *buffers = mmap(NULL, stride * (size_t)depth, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct iocb *blocks = calloc((size_t)depth, sizeof(*blocks));
	struct iocb **batch = calloc((size_t)depth, sizeof(*batch));
	struct io_event *events = calloc((size_t)depth, sizeof(*events));
	if (buffers == MAP_FAILED || !blocks || !batch || !events)
		fail("allocate");

	bool writes_first = !strcmp(mode, "in");
	for (long i = 0; i < depth; i++) {
		blocks[i].aio_fildes = (uint32_t)(writes_first ? null : zero);
		blocks[i].aio_lio_opcode = writes_first ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
		blocks[i].aio_buf = (uint64_t)(uintptr_t)(buffers + stride * (size_t)i);
		blocks[i].aio_nbytes = (uint64_t)size;
		blocks[i].aio_flags = IOCB_FLAG_RESFD;
		blocks[i].aio_resfd = (uint32_t)efd;
		blocks[i].aio_data = (uint64_t)i;
		batch[i] = &blocks[i];
	}
	if (syscall(SYS_io_submit, ctx, depth, batch) != depth)
		fail("io_submit");

	bool loopback = !strcmp(mode, "loopback");
	uint64_t transfers = 0;
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	double start = seconds_now(), end = start + seconds;
	for (unsigned round = 0;; round++) {
		/* A clock read every 256 wake-ups, so the measurement does not weigh on what it measures. */
		if ((round & 255) == 0 && seconds_now() >= end)
			break;
		struct pollfd ready = { .fd = efd, .events = POLLIN };
		if (poll(&ready, 1, -1) < 0 && errno != EINTR)
			fail("poll");
		uint64_t count;
		if (read(efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			fail("read(eventfd)");
		struct timespec now = { 0, 0 };
		long got = syscall(SYS_io_getevents, ctx, 0L, depth, events, &now);
		if (got < 0)
			fail("io_getevents");
		for (long i = 0; i < got; i++) {
			struct iocb *cb = &blocks[events[i].data];
			if ((long long)events[i].res < 0) {
				errno = (int)-(long long)events[i].res;
				fail("a transfer");
			}
			if (loopback) {
				/* A read goes back as a write of what it read, then the buffer is read into again. */
				bool was_read = cb->aio_lio_opcode == IOCB_CMD_PREAD;
				cb->aio_lio_opcode = was_read ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
				cb->aio_fildes = (uint32_t)(was_read ? null : zero);
				cb->aio_nbytes = was_read ? (uint64_t)events[i].res : (uint64_t)size;
			}
			transfers++;
			batch[i] = cb;
		}
		if (got > 0 && syscall(SYS_io_submit, ctx, got, batch) != got)
			fail("io_submit");
	}
	double elapsed = seconds_now() - start;
	getrusage(RUSAGE_SELF, &after);
	if (transfers == 0)
		transfers = 1;
	printf("transfers=%llu transfers_per_second=%.0f cpu_ns=%.1f user_ns=%.1f\n", (unsigned long long)transfers, (double)transfers / elapsed,
	       (cpu_ns(&after.ru_utime) + cpu_ns(&after.ru_stime) - cpu_ns(&before.ru_utime) - cpu_ns(&before.ru_stime)) / (double)transfers,
	       (cpu_ns(&after.ru_utime) - cpu_ns(&before.ru_utime)) / (double)transfers);
	return 0;
}
