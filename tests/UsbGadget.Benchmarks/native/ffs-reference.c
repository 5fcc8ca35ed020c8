// SPDX-License-Identifier: MIT
/*
 * ffs-reference: a FunctionFS gadget written the way good C does it, as the baseline the UsbGadget
 * benchmarks compare the C# framework against.
 *
 * One vendor-specific interface (class 0xff) with bulk OUT endpoint 1 and bulk IN endpoint 2, at full,
 * high and SuperSpeed. ep0 answers the same vendor requests as gadgets/BulkLoopback. The data path is
 * Linux AIO through raw syscalls (no libaio): every block signals one eventfd (IOCB_FLAG_RESFD), and a
 * single thread poll()s ep0, that eventfd and a signalfd. Completions are reaped in one io_getevents and
 * everything that can go back to the kernel goes in one io_submit.
 *
 *   --mode source-sink  IN always has --depth writes of --size zero bytes queued; OUT always has
 *                       --depth reads queued whose data is dropped.
 *   --mode loopback     every OUT read is written back on IN, in order, from the same buffer (no copy).
 *                       A read that stopped short of --size on a max-packet boundary was ended by a
 *                       zero-length packet, so the echo ends with one too (as LoopbackFunction.cs does).
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -std=gnu11 ffs-reference.c -o ffs-reference
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/aio_abi.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>

#define OUT_EP_ADDR (USB_DIR_OUT | 1)
#define IN_EP_ADDR (USB_DIR_IN | 2)

#define REQ_GET_VERSION 0x01 /* vendor IN: the version string */
#define REQ_STORE 0x02       /* vendor OUT: store up to MAX_STORED bytes */
#define REQ_READ_BACK 0x03   /* vendor IN: the bytes stored last */
#define MAX_STORED 256

static const char version_string[] = "UsbGadget ffs-reference 1.0";
static const char interface_string[] = "FunctionFS reference";

/* ---- Linux AIO through raw syscalls, as libaio does ---------------------------------------------- */

static int io_setup(unsigned nr, aio_context_t *ctx) { return (int)syscall(SYS_io_setup, nr, ctx); }
static int io_destroy(aio_context_t ctx) { return (int)syscall(SYS_io_destroy, ctx); }
static int io_submit(aio_context_t ctx, long n, struct iocb **iocbs) { return (int)syscall(SYS_io_submit, ctx, n, iocbs); }
static int io_cancel(aio_context_t ctx, struct iocb *iocb, struct io_event *result)
{
	return (int)syscall(SYS_io_cancel, ctx, iocb, result);
}
static int io_getevents(aio_context_t ctx, long min_nr, long nr, struct io_event *events, struct timespec *timeout)
{
	return (int)syscall(SYS_io_getevents, ctx, min_nr, nr, events, timeout);
}

/* ---- descriptors --------------------------------------------------------------------------------- */

struct ep_pair {
	struct usb_interface_descriptor intf;
	struct usb_endpoint_descriptor_no_audio out;
	struct usb_endpoint_descriptor_no_audio in;
} __attribute__((packed));

struct ss_ep_pair {
	struct usb_interface_descriptor intf;
	struct usb_endpoint_descriptor_no_audio out;
	struct usb_ss_ep_comp_descriptor out_comp;
	struct usb_endpoint_descriptor_no_audio in;
	struct usb_ss_ep_comp_descriptor in_comp;
} __attribute__((packed));

struct descriptors {
	struct usb_functionfs_descs_head_v2 header;
	__le32 fs_count;
	__le32 hs_count;
	__le32 ss_count;
	struct ep_pair fs;
	struct ep_pair hs;
	struct ss_ep_pair ss;
} __attribute__((packed));

struct strings {
	struct usb_functionfs_strings_head header;
	__le16 language;
	char interface[sizeof(interface_string)];
} __attribute__((packed));

static struct usb_interface_descriptor interface_descriptor(void)
{
	return (struct usb_interface_descriptor){
		.bLength = USB_DT_INTERFACE_SIZE,
		.bDescriptorType = USB_DT_INTERFACE,
		.bInterfaceNumber = 0,
		.bNumEndpoints = 2,
		.bInterfaceClass = USB_CLASS_VENDOR_SPEC,
		.iInterface = 1,
	};
}

static struct usb_endpoint_descriptor_no_audio bulk_endpoint(uint8_t address, uint16_t max_packet)
{
	return (struct usb_endpoint_descriptor_no_audio){
		.bLength = USB_DT_ENDPOINT_SIZE,
		.bDescriptorType = USB_DT_ENDPOINT,
		.bEndpointAddress = address,
		.bmAttributes = USB_ENDPOINT_XFER_BULK,
		.wMaxPacketSize = htole16(max_packet),
	};
}

/*
 * Same companion as the C# framework writes for EndpointDescription.Bulk with no Companion
 * (src/UsbGadget/Descriptors/EndpointSpeedResolver.cs): bMaxBurst 0, bmAttributes 0 and
 * wBytesPerInterval 0 (reserved for bulk). --max-burst changes bMaxBurst only.
 */
static struct usb_ss_ep_comp_descriptor bulk_companion(uint8_t max_burst)
{
	return (struct usb_ss_ep_comp_descriptor){
		.bLength = USB_DT_SS_EP_COMP_SIZE,
		.bDescriptorType = USB_DT_SS_ENDPOINT_COMP,
		.bMaxBurst = max_burst,
	};
}

static void build_descriptors(struct descriptors *d, uint8_t max_burst, bool all_ctrl_recip)
{
	memset(d, 0, sizeof(*d));
	d->header.magic = htole32(FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
	d->header.length = htole32(sizeof(*d));
	d->header.flags = htole32(FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | FUNCTIONFS_HAS_SS_DESC |
				  (all_ctrl_recip ? FUNCTIONFS_ALL_CTRL_RECIP : 0));
	d->fs_count = htole32(3);
	d->hs_count = htole32(3);
	d->ss_count = htole32(5);
	d->fs = (struct ep_pair){ interface_descriptor(), bulk_endpoint(OUT_EP_ADDR, 64), bulk_endpoint(IN_EP_ADDR, 64) };
	d->hs = (struct ep_pair){ interface_descriptor(), bulk_endpoint(OUT_EP_ADDR, 512), bulk_endpoint(IN_EP_ADDR, 512) };
	d->ss = (struct ss_ep_pair){ interface_descriptor(), bulk_endpoint(OUT_EP_ADDR, 1024), bulk_companion(max_burst),
				     bulk_endpoint(IN_EP_ADDR, 1024), bulk_companion(max_burst) };
}

static void build_strings(struct strings *s)
{
	memset(s, 0, sizeof(*s));
	s->header.magic = htole32(FUNCTIONFS_STRINGS_MAGIC);
	s->header.length = htole32(sizeof(*s));
	s->header.str_count = htole32(1);
	s->header.lang_count = htole32(1);
	s->language = htole16(0x0409);
	memcpy(s->interface, interface_string, sizeof(interface_string));
}

/* ---- state --------------------------------------------------------------------------------------- */

enum mode { MODE_SOURCE_SINK, MODE_LOOPBACK };

struct slot {
	struct iocb iocb;
	bool busy;     /* owned by the kernel until its completion is reaped */
	bool done;     /* OUT: completed, waiting to be delivered in order */
	int64_t res;   /* OUT: the completion's result */
	int buffer;    /* index into the buffer pool, or -1 (IN zero-length packet) */
	unsigned generation; /* the enable cycle it was queued in */
};

struct echo {          /* an IN write waiting for a free IN slot (loopback) */
	int buffer;    /* -1: zero-length packet */
	uint32_t length;
};

static struct {
	enum mode mode;
	size_t size;
	unsigned depth;
	uint8_t max_burst;
	bool all_ctrl_recip;
	bool verbose;
	const char *ffs_dir;
	const char *udc_file;
	const char *udc_name;
	const char *ready_file;

	int ep0, ep_out, ep_in, efd, sfd;
	aio_context_t ctx;
	bool enabled;
	unsigned generation;   /* bumped on every ENABLE and DISABLE: data from an older cycle is stale */
	bool ready_touched;
	bool submit_blocked;   /* the last io_submit said "not enabled": wait for the next ep0 event */
	unsigned max_packet;

	void **buffers;        /* pool: source-sink gives depth to each endpoint, loopback lends OUT's to IN */
	unsigned buffer_count;
	int *free_buffers;
	unsigned free_count;

	struct slot *out;      /* ring: out_head is the next to deliver, out_tail the next to submit */
	uint64_t out_head, out_tail;
	struct slot *in;       /* any free IN slot will do: bulk IN data goes out in submission order */
	unsigned in_busy;

	struct echo *echoes;   /* FIFO of IN writes not yet submitted */
	unsigned echo_capacity, echo_head, echo_count;

	struct iocb **batch;
	struct io_event *events;
	unsigned max_events;

	uint8_t stored[MAX_STORED];
	size_t stored_length;

	uint64_t bytes_out, bytes_in, transfers_out, transfers_in, errors;

	/* The emulation experiment's extra work per wake-up (--wake-touch-kib, --wake-call-kib); off by default. */
	volatile uint8_t *wake_data;
	unsigned wake_data_pages;
	uint8_t *wake_code;
	unsigned wake_code_pages;
	unsigned wake_sink;
} g;

static void fail(const char *what)
{
	fprintf(stderr, "ffs-reference: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void warn_errno(const char *what, int err)
{
	fprintf(stderr, "ffs-reference: %s: %s\n", what, strerror(err));
}

static int take_buffer(void) { return g.free_count ? g.free_buffers[--g.free_count] : -1; }
static void give_buffer(int b)
{
	if (b >= 0)
		g.free_buffers[g.free_count++] = b;
}

static unsigned inflight(void)
{
	unsigned n = g.in_busy;
	for (unsigned i = 0; i < g.depth; i++)
		n += g.out[i].busy;
	return n;
}

static void prepare(struct slot *s, int fd, uint16_t opcode, int buffer, size_t length)
{
	memset(&s->iocb, 0, sizeof(s->iocb));
	s->iocb.aio_data = (uint64_t)(uintptr_t)s;
	s->iocb.aio_lio_opcode = opcode;
	s->iocb.aio_fildes = (uint32_t)fd;
	s->iocb.aio_buf = (uint64_t)(uintptr_t)(buffer >= 0 ? g.buffers[buffer] : g.stored);
	s->iocb.aio_nbytes = length;
	s->iocb.aio_flags = IOCB_FLAG_RESFD;
	s->iocb.aio_resfd = (uint32_t)g.efd;
	s->buffer = buffer;
	s->generation = g.generation;
	s->busy = true;
	s->done = false;
}

/* Queue everything that can be queued, in one io_submit: IN writes first, then OUT reads. */
static void submit_all(void)
{
	if (!g.enabled || g.submit_blocked)
		return;
	unsigned n = 0, n_in = 0, n_out = 0;
	struct slot *in_slots[g.depth];

	if (g.mode == MODE_SOURCE_SINK) {
		for (unsigned i = 0; i < g.depth; i++) {
			struct slot *s = &g.in[i];
			if (!s->busy) {
				prepare(s, g.ep_in, IOCB_CMD_PWRITE, s->buffer, g.size);
				in_slots[n_in++] = s;
				g.batch[n++] = &s->iocb;
			}
		}
	} else {
		unsigned e = 0;
		for (unsigned i = 0; i < g.depth && e < g.echo_count; i++) {
			struct slot *s = &g.in[i];
			if (!s->busy) {
				const struct echo *x = &g.echoes[(g.echo_head + e++) % g.echo_capacity];
				prepare(s, g.ep_in, IOCB_CMD_PWRITE, x->buffer, x->length);
				in_slots[n_in++] = s;
				g.batch[n++] = &s->iocb;
			}
		}
	}
	g.in_busy += n_in;
	/* Loopback back-pressure: a read needs a free buffer, and buffers only come back when IN writes finish. */
	while (g.out_tail - g.out_head < g.depth) {
		int b = take_buffer();
		if (b < 0)
			break;
		struct slot *s = &g.out[g.out_tail++ % g.depth];
		prepare(s, g.ep_out, IOCB_CMD_PREAD, b, g.size);
		g.batch[n++] = &s->iocb;
		n_out++;
	}
	if (n == 0)
		return;

	unsigned submitted = 0;
	while (submitted < n) {
		int r = io_submit(g.ctx, (long)(n - submitted), g.batch + submitted);
		if (r > 0) {
			submitted += (unsigned)r;
			continue;
		}
		int err = r < 0 ? errno : EAGAIN;
		if (err == EINTR)
			continue;
		/* f_fs reports its own failures (EAGAIN: not enabled, ESHUTDOWN: disabled) as completion events, so
		 * io_submit fails only for bad iocbs or lack of memory: count it and retry on the next ep0 event. */
		if (err != EAGAIN && err != ESHUTDOWN) {
			warn_errno("io_submit", err);
			g.errors++;
		}
		g.submit_blocked = true;
		break;
	}
	/* Roll back what the kernel did not take. IN entries stay at the head of the echo FIFO, in order. */
	unsigned in_taken = submitted < n_in ? submitted : n_in;
	for (unsigned i = in_taken; i < n_in; i++)
		in_slots[i]->busy = false;
	g.in_busy -= n_in - in_taken;
	if (g.mode == MODE_LOOPBACK) {
		g.echo_head = (g.echo_head + in_taken) % g.echo_capacity;
		g.echo_count -= in_taken;
	}
	unsigned out_taken = submitted > n_in ? submitted - n_in : 0;
	for (unsigned i = out_taken; i < n_out; i++) {
		struct slot *s = &g.out[--g.out_tail % g.depth];
		s->busy = false;
		give_buffer(s->buffer);
	}
}

static void push_echo(int buffer, uint32_t length)
{
	/* Cannot overflow: each entry holds a buffer, or is a ZLP following one that does. */
	g.echoes[(g.echo_head + g.echo_count++) % g.echo_capacity] = (struct echo){ buffer, length };
}

static void drop_echoes(void)
{
	while (g.echo_count) {
		give_buffer(g.echoes[g.echo_head].buffer);
		g.echo_head = (g.echo_head + 1) % g.echo_capacity;
		g.echo_count--;
	}
}

/* Hand completed OUT reads on in submission order: AIO events may be reaped out of order. */
static void deliver_out(void)
{
	while (g.out_head != g.out_tail) {
		struct slot *s = &g.out[g.out_head % g.depth];
		if (!s->done)
			break;
		s->done = false;
		g.out_head++;
		if (s->res < 0 || g.mode == MODE_SOURCE_SINK || !g.enabled || s->generation != g.generation) {
			give_buffer(s->buffer);
			continue;
		}
		/* Short of the block on a packet boundary: the host ended its transfer with a ZLP. End the echo alike.
		 * A zero-length read keeps its buffer until its echo is done, so the FIFO stays bounded. */
		size_t n = (size_t)s->res;
		push_echo(s->buffer, (uint32_t)n);
		if (n > 0 && n < g.size && n % g.max_packet == 0)
			push_echo(-1, 0);
	}
}

static void complete(const struct io_event *ev)
{
	struct slot *s = (struct slot *)(uintptr_t)ev->data;
	s->busy = false;
	if (g.verbose && ev->res < 0)
		fprintf(stderr, "ffs-reference: %s block completed with %" PRId64 " (%s)\n",
			s->iocb.aio_fildes == (uint32_t)g.ep_in ? "IN" : "OUT", (int64_t)ev->res, strerror((int)-ev->res));
	/* Not errors: ESHUTDOWN (endpoint disabled: reset, reconfiguration, unbind), ECONNRESET (cancelled) and
	 * EAGAIN (queued on a disabled endpoint; f_fs reports it as a completion, not from io_submit). */
	if (ev->res < 0 && ev->res != -ESHUTDOWN && ev->res != -ECONNRESET && ev->res != -EAGAIN) {
		warn_errno(s->iocb.aio_fildes == (uint32_t)g.ep_in ? "IN block" : "OUT block", (int)-ev->res);
		g.errors++;
	}
	if (s->iocb.aio_fildes == (uint32_t)g.ep_in) {
		g.in_busy--;
		if (ev->res >= 0) {
			g.bytes_in += (uint64_t)ev->res;
			g.transfers_in++;
		}
		if (g.mode == MODE_LOOPBACK)
			give_buffer(s->buffer);
	} else {
		s->done = true;
		s->res = ev->res;
		if (ev->res >= 0) {
			g.bytes_out += (uint64_t)ev->res;
			g.transfers_out++;
		}
	}
}

/*
 * The emulation experiment: make each wake-up touch as many distinct pages as a larger program would, reading
 * one byte of each data page and calling one tiny function at the start of each code page (an indirect call, as
 * a virtual or interface call is). Under QEMU's TCG this measures what a wake-up's footprint costs once the
 * emulated TLB has been flushed; on hardware it costs next to nothing. See the README's "What is left".
 */
static void wake_work(void)
{
	unsigned sum = 0;
	for (unsigned i = 0; i < g.wake_data_pages; i++)
		sum += g.wake_data[(size_t)i * 4096];
	for (unsigned i = 0; i < g.wake_code_pages; i++)
		sum += ((unsigned (*)(unsigned))(void *)(g.wake_code + (size_t)i * 4096))(i);
	g.wake_sink += sum;
}

static void setup_wake_work(unsigned long data_kib, unsigned long code_kib)
{
	g.wake_data_pages = (unsigned)((data_kib + 3) / 4);
	g.wake_code_pages = (unsigned)((code_kib + 3) / 4);
	if (g.wake_data_pages) {
		void *data = mmap(NULL, (size_t)g.wake_data_pages * 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (data == MAP_FAILED)
			fail("mmap(--wake-touch-kib)");
		memset(data, 1, (size_t)g.wake_data_pages * 4096);
		g.wake_data = data;
	}
	if (g.wake_code_pages) {
		void *code = mmap(NULL, (size_t)g.wake_code_pages * 4096, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (code == MAP_FAILED)
			fail("mmap(--wake-call-kib)");
		/* x86-64 "lea eax, [rdi + 1]; ret" at the start of every page. */
		static const uint8_t body[] = { 0x8d, 0x47, 0x01, 0xc3 };
		for (unsigned i = 0; i < g.wake_code_pages; i++)
			memcpy((uint8_t *)code + (size_t)i * 4096, body, sizeof(body));
		if (mprotect(code, (size_t)g.wake_code_pages * 4096, PROT_READ | PROT_EXEC) < 0)
			fail("mprotect(--wake-call-kib)");
		g.wake_code = code;
	}
}

/* Reap every available completion (the eventfd counts them), then requeue in one batch. */
static void reap(bool submit)
{
	uint64_t count;
	if (read(g.efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		fail("read(eventfd)");
	if (g.wake_data_pages || g.wake_code_pages)
		wake_work();
	for (;;) {
		struct timespec zero = { 0, 0 };
		int r = io_getevents(g.ctx, 0, g.max_events, g.events, &zero);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail("io_getevents");
		}
		for (int i = 0; i < r; i++)
			complete(&g.events[i]);
		if ((unsigned)r < g.max_events)
			break;
	}
	deliver_out();
	if (submit)
		submit_all();
}

/* ---- ep0 ----------------------------------------------------------------------------------------- */

static void ep0_reply(const struct usb_ctrlrequest *setup, const void *data, size_t length)
{
	size_t w_length = le16toh(setup->wLength);
	if (write(g.ep0, data, length < w_length ? length : w_length) < 0 && errno != EIDRM)
		warn_errno("write(ep0) data stage", errno);
}

static void ep0_stall(const struct usb_ctrlrequest *setup)
{
	/* f_fs stalls ep0 when user space goes the wrong way; the call then fails with EL2HLT. */
	uint8_t dummy;
	ssize_t r = (setup->bRequestType & USB_DIR_IN) ? read(g.ep0, &dummy, 0) : write(g.ep0, &dummy, 0);
	if (r < 0 && errno != EL2HLT && errno != EIDRM)
		warn_errno("ep0 stall", errno);
}

static void handle_setup(const struct usb_ctrlrequest *setup)
{
	bool in = setup->bRequestType & USB_DIR_IN;
	size_t w_length = le16toh(setup->wLength);
	if ((setup->bRequestType & USB_TYPE_MASK) == USB_TYPE_VENDOR) {
		if (in && setup->bRequest == REQ_GET_VERSION) {
			ep0_reply(setup, version_string, strlen(version_string));
			return;
		}
		if (in && setup->bRequest == REQ_READ_BACK) {
			ep0_reply(setup, g.stored, g.stored_length);
			return;
		}
		if (!in && setup->bRequest == REQ_STORE && w_length <= MAX_STORED) {
			ssize_t r = read(g.ep0, g.stored, w_length);
			if (r >= 0)
				g.stored_length = (size_t)r;
			else if (errno != EIDRM)
				warn_errno("read(ep0) data stage", errno);
			return;
		}
	}
	ep0_stall(setup);
}

static void touch_ready_file(void)
{
	if (!g.ready_file || g.ready_touched)
		return;
	g.ready_touched = true;
	int fd = open(g.ready_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		warn_errno(g.ready_file, errno);
	else
		close(fd);
}

static void on_enable(void)
{
	struct usb_endpoint_descriptor desc;
	if (ioctl(g.ep_out, FUNCTIONFS_ENDPOINT_DESC, &desc) == 0)
		g.max_packet = le16toh(desc.wMaxPacketSize) & 0x7ff;
	else
		warn_errno("ioctl(FUNCTIONFS_ENDPOINT_DESC)", errno);
	if (g.max_packet == 0)
		g.max_packet = 512;
	g.enabled = true;
	g.generation++;
	drop_echoes();
	printf("ffs-reference: enabled\n");
	touch_ready_file();
}

static void handle_ep0(void)
{
	struct usb_functionfs_event events[4];
	ssize_t r = read(g.ep0, events, sizeof(events));
	if (r < 0) {
		/* EIDRM: a setup was superseded before we answered it (the host moved on, or a back-to-back request
		 * raced f_fs's own bookkeeping); the read clears that state and the next one returns the events. */
		if (errno == EINTR || errno == EAGAIN || errno == EIDRM)
			return;
		fail("read(ep0)");
	}
	g.submit_blocked = false;
	static const char *const names[] = { "BIND", "UNBIND", "ENABLE", "DISABLE", "SETUP", "SUSPEND", "RESUME" };
	for (size_t i = 0; i < (size_t)r / sizeof(events[0]); i++) {
		if (g.verbose)
			fprintf(stderr, "ffs-reference: ep0 event %s\n", events[i].type < 7 ? names[events[i].type] : "?");
		switch (events[i].type) {
		case FUNCTIONFS_BIND:
		case FUNCTIONFS_SUSPEND:
		case FUNCTIONFS_RESUME:
			break;
		case FUNCTIONFS_ENABLE:
			on_enable();
			break;
		case FUNCTIONFS_UNBIND:
		case FUNCTIONFS_DISABLE:
			/* Queued blocks now complete with -ESHUTDOWN; they are requeued on the next ENABLE. */
			if (g.enabled)
				printf("ffs-reference: disabled\n");
			g.enabled = false;
			g.generation++;
			drop_echoes();
			break;
		case FUNCTIONFS_SETUP:
			handle_setup(&events[i].u.setup);
			break;
		default:
			fprintf(stderr, "ffs-reference: unknown ep0 event %u\n", events[i].type);
			break;
		}
	}
	submit_all();
}

/* ---- setup, main loop and shutdown --------------------------------------------------------------- */

static int open_in(const char *dir, const char *name, int flags)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ffs-reference: open(%s): %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static void write_udc(const char *value)
{
	int fd = open(g.udc_file, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ffs-reference: open(%s): %s\n", g.udc_file, strerror(errno));
		exit(1);
	}
	ssize_t r = write(fd, value, strlen(value));
	int err = errno;
	close(fd);
	if (r < 0) {
		fprintf(stderr, "ffs-reference: write('%s' to %s): %s\n", value[0] == '\n' ? "" : value, g.udc_file,
			strerror(err));
		if (value[0] != '\n')
			exit(1);
	}
}

static void setup_pool(void)
{
	g.buffer_count = 2 * g.depth;
	g.buffers = calloc(g.buffer_count, sizeof(*g.buffers));
	g.free_buffers = calloc(g.buffer_count, sizeof(*g.free_buffers));
	g.out = calloc(g.depth, sizeof(*g.out));
	g.in = calloc(g.depth, sizeof(*g.in));
	g.echo_capacity = 2 * g.buffer_count;
	g.echoes = calloc(g.echo_capacity, sizeof(*g.echoes));
	g.max_events = 2 * g.depth;
	g.events = calloc(g.max_events, sizeof(*g.events));
	g.batch = calloc(2 * g.depth, sizeof(*g.batch));
	if (!g.buffers || !g.free_buffers || !g.out || !g.in || !g.echoes || !g.events || !g.batch)
		fail("calloc");
	for (unsigned i = 0; i < g.buffer_count; i++) {
		int err = posix_memalign(&g.buffers[i], 4096, g.size);
		if (err) {
			errno = err;
			fail("posix_memalign");
		}
		memset(g.buffers[i], 0, g.size);
	}
	/* Source-sink: the first depth buffers belong to the IN slots for good, the rest to OUT reads. */
	for (unsigned i = 0; i < g.depth; i++)
		g.in[i].buffer = g.mode == MODE_SOURCE_SINK ? (int)i : -1;
	for (unsigned i = g.mode == MODE_SOURCE_SINK ? g.depth : 0; i < g.buffer_count; i++)
		give_buffer((int)i);
}

/* Wait until the kernel has returned every block, up to timeout_ms. */
static void drain(int timeout_ms)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (inflight() > 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= timeout_ms) {
			fprintf(stderr, "ffs-reference: %u blocks still queued after %d ms; io_destroy will cancel them\n",
				inflight(), timeout_ms);
			return;
		}
		struct pollfd p = { .fd = g.efd, .events = POLLIN };
		if (poll(&p, 1, (int)(timeout_ms - elapsed)) < 0 && errno != EINTR)
			fail("poll");
		reap(false);
	}
}

static void shutdown_gadget(void)
{
	g.enabled = false;
	if (g.udc_file) {
		/* Unbinding disables the endpoints: every queued block completes with -ESHUTDOWN. */
		write_udc("\n");
	} else {
		/* Still bound (someone else owns the UDC): cancel; f_fs completes them with -ECONNRESET. */
		struct io_event ignored;
		for (unsigned i = 0; i < g.depth; i++) {
			if (g.out[i].busy)
				(void)io_cancel(g.ctx, &g.out[i].iocb, &ignored);
			if (g.in[i].busy)
				(void)io_cancel(g.ctx, &g.in[i].iocb, &ignored);
		}
	}
	drain(2000);
	if (io_destroy(g.ctx) < 0)
		warn_errno("io_destroy", errno);
	close(g.ep_in);
	close(g.ep_out);
	close(g.ep0);
	close(g.efd);
	close(g.sfd);
	fprintf(stderr,
		"ffs-reference: out_bytes=%" PRIu64 " out_transfers=%" PRIu64 " in_bytes=%" PRIu64
		" in_transfers=%" PRIu64 " errors=%" PRIu64 "\n",
		g.bytes_out, g.transfers_out, g.bytes_in, g.transfers_in, g.errors);
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: ffs-reference --ffs DIR [--mode source-sink|loopback] [--size BYTES] [--depth N]\n"
		"                     [--max-burst N] [--all-ctrl-recip] [--bind UDCFILE=UDCNAME] [--ready-file PATH]\n"
		"                     [--verbose] [--wake-touch-kib N] [--wake-call-kib N]\n"
		"  --ffs DIR          FunctionFS mount (ep0 lives there)\n"
		"  --mode             source-sink (default) or loopback\n"
		"  --size BYTES       bytes per AIO block (default 16384)\n"
		"  --depth N          blocks queued per endpoint (default 8)\n"
		"  --max-burst N      SuperSpeed companion bMaxBurst, 0..15 (default 0, as the C# framework)\n"
		"  --all-ctrl-recip   FUNCTIONFS_ALL_CTRL_RECIP: also see device-recipient requests (bmRequestType 0xC0)\n"
		"  --bind F=UDC       write UDC into F once ready (bind), and an empty line at exit (unbind)\n"
		"  --ready-file PATH  create PATH at the first ENABLE\n"
		"  --verbose          log every failed block and ep0 event\n"
		"  --wake-touch-kib N an experiment, not the baseline: read one byte of each page of N KiB per wake-up\n"
		"  --wake-call-kib N  an experiment, not the baseline: call a function on each page of N KiB per wake-up\n"
		"                     (x86-64 only)\n");
}

static unsigned long parse_number(const char *text, const char *name, unsigned long min, unsigned long max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 0);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "ffs-reference: %s must be a number in %lu..%lu, not '%s'\n", name, min, max, text);
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{ "ffs", required_argument, NULL, 'f' },       { "mode", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },      { "depth", required_argument, NULL, 'd' },
		{ "max-burst", required_argument, NULL, 'b' }, { "all-ctrl-recip", no_argument, NULL, 'a' },
		{ "bind", required_argument, NULL, 'B' },      { "ready-file", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },         { "help", no_argument, NULL, 'h' },
		{ "wake-touch-kib", required_argument, NULL, 'T' },
		{ "wake-call-kib", required_argument, NULL, 'C' },
		{ 0, 0, 0, 0 },
	};
	g.mode = MODE_SOURCE_SINK;
	g.size = 16384;
	g.depth = 8;
	unsigned long wake_data_kib = 0, wake_code_kib = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'f': g.ffs_dir = optarg; break;
		case 'm':
			if (!strcmp(optarg, "source-sink"))
				g.mode = MODE_SOURCE_SINK;
			else if (!strcmp(optarg, "loopback"))
				g.mode = MODE_LOOPBACK;
			else {
				fprintf(stderr, "ffs-reference: --mode is source-sink or loopback, not '%s'\n", optarg);
				exit(2);
			}
			break;
		case 's': g.size = parse_number(optarg, "--size", 1, 16u << 20); break;
		case 'd': g.depth = (unsigned)parse_number(optarg, "--depth", 1, 1024); break;
		case 'b': g.max_burst = (uint8_t)parse_number(optarg, "--max-burst", 0, 15); break;
		case 'a': g.all_ctrl_recip = true; break;
		case 'B': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || !eq[1]) {
				fprintf(stderr, "ffs-reference: --bind wants UDCFILE=UDCNAME, not '%s'\n", optarg);
				exit(2);
			}
			*eq = '\0';
			g.udc_file = optarg;
			g.udc_name = eq + 1;
			break;
		}
		case 'r': g.ready_file = optarg; break;
		case 'v': g.verbose = true; break;
		case 'T': wake_data_kib = parse_number(optarg, "--wake-touch-kib", 0, 1u << 20); break;
		case 'C':
#if !defined(__x86_64__)
			fprintf(stderr, "ffs-reference: --wake-call-kib writes x86-64 code and runs only there\n");
			exit(2);
#endif
			wake_code_kib = parse_number(optarg, "--wake-call-kib", 0, 1u << 20);
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (!g.ffs_dir || optind != argc) {
		usage(stderr);
		exit(2);
	}
	setup_wake_work(wake_data_kib, wake_code_kib);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);

	sigset_t signals;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	if (sigprocmask(SIG_BLOCK, &signals, NULL) < 0)
		fail("sigprocmask");
	g.sfd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (g.sfd < 0)
		fail("signalfd");
	g.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g.efd < 0)
		fail("eventfd");

	setup_pool();
	if (io_setup(2 * g.depth, &g.ctx) < 0)
		fail("io_setup");

	/* Order matters to f_fs: descriptors and strings on ep0, then open the endpoint files, then bind. */
	static struct descriptors descriptors;
	static struct strings strings;
	build_descriptors(&descriptors, g.max_burst, g.all_ctrl_recip);
	build_strings(&strings);
	g.ep0 = open_in(g.ffs_dir, "ep0", O_RDWR);
	if (write(g.ep0, &descriptors, sizeof(descriptors)) < 0)
		fail("write(ep0, descriptors)");
	if (write(g.ep0, &strings, sizeof(strings)) < 0)
		fail("write(ep0, strings)");
	/* O_NONBLOCK: io_submit on a disabled endpoint fails with EAGAIN instead of blocking the loop. */
	g.ep_out = open_in(g.ffs_dir, "ep1", O_RDWR | O_NONBLOCK);
	g.ep_in = open_in(g.ffs_dir, "ep2", O_RDWR | O_NONBLOCK);
	if (g.udc_file)
		write_udc(g.udc_name);

	struct pollfd fds[3] = {
		{ .fd = g.ep0, .events = POLLIN },
		{ .fd = g.efd, .events = POLLIN },
		{ .fd = g.sfd, .events = POLLIN },
	};
	for (;;) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail("poll");
		}
		if (fds[2].revents & POLLIN)
			break;
		if (fds[1].revents & POLLIN)
			reap(true);
		if (fds[0].revents & POLLIN)
			handle_ep0();
	}
	shutdown_gadget();
	return 0;
}
