// SPDX-License-Identifier: MIT
/*
 * usb-bench-host: the host side of the UsbGadget benchmarks, asynchronous libusb-1.0 so that the host is
 * never the bottleneck. Talks to any device with one bulk IN and one bulk OUT endpoint on an interface
 * (ffs-reference, gadgets/BulkLoopback, the kernel's SourceSink and Loopback functions).
 *
 *   in        --depth bulk IN transfers of --size in flight, resubmitted on completion
 *   out       the same on OUT with zero-filled buffers
 *   loopback  --depth OUT and --depth IN transfers in flight at once; OUT carries a counting stream, IN is
 *             checked against it (short IN completions are normal); figures are bytes that came back on IN
 *   pingpong  one round trip at a time: --size bytes OUT, the same bytes back IN; latency per round trip
 *   control   vendor IN request 0x01 (wLength 64) back to back; latency per request. Before it: a store
 *             (0x02) and read back (0x03) round trip, and an unknown request (0x7f) that must stall.
 *
 * One result line of key=value pairs on stdout. MB = 1e6 bytes. The first --warmup seconds are not counted.
 * Latency in in/out/loopback is per transfer, from submission to completion (mostly queueing).
 *
 * Build: gcc -O2 -Wall -Wextra -Werror usb-bench-host.c $(pkg-config --cflags --libs libusb-1.0)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libusb.h>

#define REQ_GET_VERSION 0x01
#define REQ_STORE 0x02
#define REQ_READ_BACK 0x03
#define REQ_UNKNOWN 0x7f

enum mode { MODE_IN, MODE_OUT, MODE_LOOPBACK, MODE_PINGPONG, MODE_CONTROL };
static const char *const mode_names[] = { "in", "out", "loopback", "pingpong", "control" };

struct xfer {
	struct libusb_transfer *t;
	bool in;
	bool busy;
	double submitted;
};

struct samples {
	double *v;
	size_t n, cap;
};

static struct {
	enum mode mode;
	uint16_t vid, pid;
	int interface;
	uint8_t request_type_recipient;
	size_t size;
	unsigned depth;
	double seconds, warmup;
	bool size_given;

	libusb_context *usb;
	libusb_device_handle *h;
	uint8_t ep_in, ep_out;
	unsigned mp_out;

	struct xfer *xfers;
	unsigned nxfers;
	unsigned inflight_in, inflight_out;
	bool stop_out, stop_in, fatal;

	/* loopback stream */
	uint64_t tx_offset;    /* stream bytes handed to OUT transfers */
	uint64_t tx_done;      /* stream bytes the device accepted */
	uint64_t rx_offset;    /* stream bytes received back and checked */

	/* figures; reset when the warm-up ends */
	uint64_t bytes, transfers, errors, mismatches;
	struct samples lat;
	bool measuring;
} g;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, const char *detail)
{
	fprintf(stderr, "usb-bench-host: ");
	fprintf(stderr, fmt, detail);
	fputc('\n', stderr);
	exit(1);
}

static void add_sample(double us)
{
	if (!g.measuring)
		return;
	if (g.lat.n == g.lat.cap) {
		g.lat.cap = g.lat.cap ? 2 * g.lat.cap : 65536;
		g.lat.v = realloc(g.lat.v, g.lat.cap * sizeof(*g.lat.v));
		if (!g.lat.v)
			die("%s", "out of memory");
	}
	g.lat.v[g.lat.n++] = us;
}

/* ---- the loopback stream: 64-bit little-endian words, word k = (k + 1) * golden ratio (all distinct) ---- */

static inline uint8_t stream_byte(uint64_t offset)
{
	uint64_t word = ((offset >> 3) + 1) * 0x9E3779B97F4A7C15ull;
	return (uint8_t)(word >> (8 * (offset & 7)));
}

static void stream_fill(uint8_t *p, uint64_t offset, size_t n)
{
	size_t i = 0;
	for (; i < n && ((offset + i) & 7); i++)
		p[i] = stream_byte(offset + i);
	for (; i + 8 <= n; i += 8) {
		uint64_t word = (((offset + i) >> 3) + 1) * 0x9E3779B97F4A7C15ull;
		memcpy(p + i, &word, 8); /* little-endian host */
	}
	for (; i < n; i++)
		p[i] = stream_byte(offset + i);
}

/* Returns the index of the first wrong byte, or n. */
static size_t stream_check(const uint8_t *p, uint64_t offset, size_t n)
{
	size_t i = 0;
	for (; i < n && ((offset + i) & 7); i++)
		if (p[i] != stream_byte(offset + i))
			return i;
	for (; i + 8 <= n; i += 8) {
		uint64_t word = (((offset + i) >> 3) + 1) * 0x9E3779B97F4A7C15ull, got;
		memcpy(&got, p + i, 8);
		if (got != word)
			break;
	}
	for (; i < n; i++)
		if (p[i] != stream_byte(offset + i))
			return i;
	return n;
}

/* ---- asynchronous streaming: in, out, loopback ---- */

static void submit(struct xfer *x)
{
	if (!x->in && g.mode == MODE_LOOPBACK) {
		stream_fill(x->t->buffer, g.tx_offset, g.size);
		g.tx_offset += g.size;
	}
	x->submitted = now_s();
	int r = libusb_submit_transfer(x->t);
	if (r < 0) {
		fprintf(stderr, "usb-bench-host: libusb_submit_transfer(%s): %s\n", x->in ? "IN" : "OUT", libusb_strerror(r));
		g.errors++;
		g.fatal = true;
		return;
	}
	x->busy = true;
	if (x->in)
		g.inflight_in++;
	else
		g.inflight_out++;
}

static void LIBUSB_CALL on_transfer(struct libusb_transfer *t)
{
	struct xfer *x = t->user_data;
	double done = now_s();
	x->busy = false;
	if (x->in)
		g.inflight_in--;
	else
		g.inflight_out--;

	size_t n = (size_t)t->actual_length;
	if (x->in && g.mode == MODE_LOOPBACK && n > 0) {
		/* Even a cancelled transfer's bytes were taken from the stream: check them too. */
		size_t bad = stream_check(t->buffer, g.rx_offset, n);
		if (bad < n) {
			if (g.mismatches < 5)
				fprintf(stderr,
					"usb-bench-host: loopback mismatch at stream offset %" PRIu64 ": got 0x%02x, expected 0x%02x\n",
					g.rx_offset + bad, t->buffer[bad], stream_byte(g.rx_offset + bad));
			g.mismatches++;
		}
		g.rx_offset += n;
	}
	if (!x->in)
		g.tx_done += n;

	switch (t->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		if (x->in || g.mode != MODE_LOOPBACK) { /* loopback counts what came back */
			g.bytes += n;
			g.transfers++;
			add_sample((done - x->submitted) * 1e6);
		}
		break;
	case LIBUSB_TRANSFER_CANCELLED:
		return;
	case LIBUSB_TRANSFER_NO_DEVICE:
		fprintf(stderr, "usb-bench-host: device disconnected\n");
		g.errors++;
		g.fatal = true;
		return;
	default:
		fprintf(stderr, "usb-bench-host: %s transfer: %s\n", x->in ? "IN" : "OUT",
			libusb_error_name(t->status == LIBUSB_TRANSFER_STALL ? LIBUSB_ERROR_PIPE
					  : t->status == LIBUSB_TRANSFER_OVERFLOW ? LIBUSB_ERROR_OVERFLOW
					  : t->status == LIBUSB_TRANSFER_TIMED_OUT ? LIBUSB_ERROR_TIMEOUT
										   : LIBUSB_ERROR_IO));
		g.errors++;
		if (t->status == LIBUSB_TRANSFER_STALL)
			libusb_clear_halt(g.h, t->endpoint);
		if (g.errors > 100)
			g.fatal = true;
		break;
	}
	if (g.fatal || (x->in ? g.stop_in : g.stop_out))
		return;
	submit(x);
}

static struct xfer *new_xfer(bool in)
{
	struct xfer *x = &g.xfers[g.nxfers++];
	x->in = in;
	x->t = libusb_alloc_transfer(0);
	uint8_t *buf = libusb_dev_mem_alloc(g.h, g.size); /* zero-copy usbfs buffer where the kernel offers it */
	if (!buf)
		buf = calloc(1, g.size);
	if (!x->t || !buf)
		die("%s", "out of memory");
	memset(buf, 0, g.size);
	libusb_fill_bulk_transfer(x->t, g.h, in ? g.ep_in : g.ep_out, buf, (int)g.size, on_transfer, x, 0);
	return x;
}

static void pump(double seconds)
{
	struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6) };
	int r = libusb_handle_events_timeout_completed(g.usb, &tv, NULL);
	if (r < 0 && r != LIBUSB_ERROR_INTERRUPTED) {
		fprintf(stderr, "usb-bench-host: libusb_handle_events: %s\n", libusb_strerror(r));
		g.fatal = true;
	}
}

static void cancel_all(bool in, bool out)
{
	for (unsigned i = 0; i < g.nxfers; i++)
		if (g.xfers[i].busy && ((g.xfers[i].in && in) || (!g.xfers[i].in && out)))
			libusb_cancel_transfer(g.xfers[i].t);
}

static void wait_until(double deadline, bool (*done)(void))
{
	while (!done() && now_s() < deadline && !(g.fatal && g.inflight_in + g.inflight_out == 0))
		pump(0.05);
}

static bool nothing_in_flight(void) { return g.inflight_in + g.inflight_out == 0; }
static bool loopback_drained(void) { return g.inflight_out == 0 && g.rx_offset >= g.tx_done; }

/* Returns the measured interval; the figures are frozen into *frozen at its end. */
static double run_streaming(uint64_t frozen[4])
{
	g.xfers = calloc(2 * g.depth, sizeof(*g.xfers));
	if (!g.xfers)
		die("%s", "out of memory");
	if (g.mode != MODE_OUT)
		for (unsigned i = 0; i < g.depth; i++)
			new_xfer(true);
	if (g.mode != MODE_IN)
		for (unsigned i = 0; i < g.depth; i++)
			new_xfer(false);

	double start = now_s(), measure_start = start + g.warmup, end = measure_start + g.seconds;
	g.measuring = g.warmup <= 0;
	for (unsigned i = 0; i < g.nxfers && !g.fatal; i++)
		submit(&g.xfers[i]);
	for (;;) {
		double t = now_s();
		if (!g.measuring && t >= measure_start) {
			g.measuring = true;
			g.bytes = g.transfers = g.errors = 0;
			measure_start = t;
		}
		if (t >= end || g.fatal)
			break;
		pump(end - t < 0.1 ? end - t : 0.1);
	}
	double measured = now_s() - measure_start;
	frozen[0] = g.bytes, frozen[1] = g.transfers, frozen[2] = g.errors;
	g.measuring = false;

	if (g.mode == MODE_LOOPBACK && !g.fatal) {
		/* Let the device give back everything it took, so the stream is checked to the end and the next run
		 * finds the loopback empty. OUT is not cancelled: a half-sent transfer would break the stream. */
		g.stop_out = true;
		wait_until(now_s() + 2.0, loopback_drained);
		if (!loopback_drained() && g.inflight_out == 0 && g.tx_done % g.mp_out == 0) {
			/* The device may be holding a partial block: end the host transfer with a zero-length packet. */
			uint8_t none = 0;
			int sent;
			libusb_bulk_transfer(g.h, g.ep_out, &none, 0, &sent, 1000);
			wait_until(now_s() + 2.0, loopback_drained);
		}
		if (!loopback_drained())
			fprintf(stderr, "usb-bench-host: loopback: %" PRIu64 " bytes sent were not echoed back\n",
				g.tx_done - g.rx_offset);
	}
	g.stop_in = g.stop_out = true;
	cancel_all(true, true);
	wait_until(now_s() + 3.0, nothing_in_flight);
	if (!nothing_in_flight())
		fprintf(stderr, "usb-bench-host: %u transfers did not come back after cancel\n", g.inflight_in + g.inflight_out);
	frozen[3] = g.mismatches;
	return measured;
}

/* ---- synchronous round trips: pingpong and control ---- */

static double run_pingpong(uint64_t frozen[4])
{
	uint8_t *out = calloc(1, g.size), *in = calloc(1, g.size);
	if (!out || !in)
		die("%s", "out of memory");
	double start = now_s(), measure_start = start + g.warmup, end = measure_start + g.seconds;
	g.measuring = g.warmup <= 0;
	while (!g.fatal) {
		double t0 = now_s();
		if (!g.measuring && t0 >= measure_start) {
			g.measuring = true;
			g.bytes = g.transfers = g.errors = 0;
			measure_start = t0;
		}
		if (t0 >= end)
			break;
		stream_fill(out, g.tx_offset, g.size);
		g.tx_offset += g.size;
		int sent = 0, r = libusb_bulk_transfer(g.h, g.ep_out, out, (int)g.size, &sent, 2000);
		if (r < 0 || (size_t)sent != g.size) {
			fprintf(stderr, "usb-bench-host: pingpong OUT: %s (%d of %zu bytes)\n", libusb_strerror(r), sent, g.size);
			g.errors++;
			g.fatal = true;
			break;
		}
		size_t got = 0;
		while (got < g.size) {
			int n = 0;
			r = libusb_bulk_transfer(g.h, g.ep_in, in + got, (int)(g.size - got), &n, 2000);
			if (r < 0) {
				fprintf(stderr, "usb-bench-host: pingpong IN: %s (%zu of %zu bytes)\n", libusb_strerror(r), got, g.size);
				g.errors++;
				g.fatal = true;
				break;
			}
			got += (size_t)n;
		}
		if (g.fatal)
			break;
		double t1 = now_s();
		if (stream_check(in, g.rx_offset, g.size) < g.size)
			g.mismatches++;
		g.rx_offset += g.size;
		g.bytes += g.size;
		g.transfers++;
		add_sample((t1 - t0) * 1e6);
	}
	double measured = now_s() - measure_start;
	frozen[0] = g.bytes, frozen[1] = g.transfers, frozen[2] = g.errors, frozen[3] = g.mismatches;
	free(out);
	free(in);
	return measured;
}

static int control(uint8_t direction, uint8_t request, uint8_t *data, uint16_t length)
{
	return libusb_control_transfer(g.h, direction | LIBUSB_REQUEST_TYPE_VENDOR | g.request_type_recipient, request, 0,
				       g.request_type_recipient == LIBUSB_RECIPIENT_INTERFACE ? (uint16_t)g.interface : 0,
				       data, length, 1000);
}

static const char *self_test_store(void)
{
	uint8_t pattern[16], back[64];
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(0xa5 ^ (i * 7));
	int r = control(LIBUSB_ENDPOINT_OUT, REQ_STORE, pattern, sizeof(pattern));
	if (r < 0)
		return r == LIBUSB_ERROR_PIPE ? "stall" : "fail";
	r = control(LIBUSB_ENDPOINT_IN, REQ_READ_BACK, back, sizeof(back));
	if (r < 0)
		return r == LIBUSB_ERROR_PIPE ? "stall" : "fail";
	return r == (int)sizeof(pattern) && !memcmp(back, pattern, sizeof(pattern)) ? "ok" : "mismatch";
}

static double run_control(uint64_t frozen[4], const char **store_check, const char **stall_check)
{
	uint8_t buf[64];
	int r = control(LIBUSB_ENDPOINT_IN, REQ_GET_VERSION, buf, sizeof(buf));
	if (r < 0)
		fprintf(stderr, "usb-bench-host: vendor request 0x01 failed: %s\n", libusb_strerror(r));
	else
		fprintf(stderr, "usb-bench-host: device version: %.*s\n", r, (const char *)buf);
	*store_check = self_test_store();
	r = control(LIBUSB_ENDPOINT_IN, REQ_UNKNOWN, buf, sizeof(buf));
	*stall_check = r == LIBUSB_ERROR_PIPE ? "ok" : "fail";

	double start = now_s(), measure_start = start + g.warmup, end = measure_start + g.seconds;
	g.measuring = g.warmup <= 0;
	for (;;) {
		double t0 = now_s();
		if (!g.measuring && t0 >= measure_start) {
			g.measuring = true;
			g.bytes = g.transfers = g.errors = 0;
			measure_start = t0;
		}
		if (t0 >= end)
			break;
		r = control(LIBUSB_ENDPOINT_IN, REQ_GET_VERSION, buf, sizeof(buf));
		double t1 = now_s();
		if (r < 0) {
			if (g.errors < 5)
				fprintf(stderr, "usb-bench-host: vendor request 0x01: %s\n", libusb_strerror(r));
			g.errors++;
			if (r == LIBUSB_ERROR_NO_DEVICE || g.errors > 100)
				break;
			continue;
		}
		g.bytes += (uint64_t)r;
		g.transfers++;
		add_sample((t1 - t0) * 1e6);
	}
	double measured = now_s() - measure_start;
	frozen[0] = g.bytes, frozen[1] = g.transfers, frozen[2] = g.errors, frozen[3] = 0;
	return measured;
}

/* ---- device, arguments, report ---- */

static void find_endpoints(void)
{
	libusb_device *dev = libusb_get_device(g.h);
	struct libusb_config_descriptor *config;
	int r = libusb_get_active_config_descriptor(dev, &config);
	if (r < 0)
		die("cannot read the active configuration: %s", libusb_strerror(r));
	bool found_interface = false;
	for (int i = 0; i < config->bNumInterfaces; i++) {
		const struct libusb_interface *intf = &config->interface[i];
		for (int a = 0; a < intf->num_altsetting; a++) {
			const struct libusb_interface_descriptor *alt = &intf->altsetting[a];
			if (alt->bInterfaceNumber != g.interface || alt->bAlternateSetting != 0)
				continue;
			found_interface = true;
			for (int e = 0; e < alt->bNumEndpoints; e++) {
				const struct libusb_endpoint_descriptor *ep = &alt->endpoint[e];
				if ((ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) != LIBUSB_TRANSFER_TYPE_BULK)
					continue;
				if ((ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) && !g.ep_in)
					g.ep_in = ep->bEndpointAddress;
				if (!(ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) && !g.ep_out) {
					g.ep_out = ep->bEndpointAddress;
					g.mp_out = ep->wMaxPacketSize & 0x7ff;
				}
			}
		}
	}
	libusb_free_config_descriptor(config);
	if (!found_interface) {
		char n[16];
		snprintf(n, sizeof(n), "%d", g.interface);
		die("the active configuration has no interface %s", n);
	}
	bool need_in = g.mode != MODE_OUT && g.mode != MODE_CONTROL, need_out = g.mode != MODE_IN && g.mode != MODE_CONTROL;
	if ((need_in && !g.ep_in) || (need_out && !g.ep_out))
		die("interface has no bulk %s endpoint", need_in && !g.ep_in ? "IN" : "OUT");
	if (!g.mp_out)
		g.mp_out = 512;
}

static void open_device(void)
{
	int r = libusb_init(&g.usb);
	if (r < 0)
		die("libusb_init: %s", libusb_strerror(r));
	g.h = libusb_open_device_with_vid_pid(g.usb, g.vid, g.pid);
	if (!g.h) {
		fprintf(stderr, "usb-bench-host: no device %04x:%04x; is the gadget bound?\n", g.vid, g.pid);
		exit(1);
	}
	libusb_set_auto_detach_kernel_driver(g.h, 1);
	find_endpoints();
	r = libusb_claim_interface(g.h, g.interface);
	if (r < 0)
		die("cannot claim the interface: %s", libusb_strerror(r));
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void usage(FILE *to)
{
	fprintf(to, "usage: usb-bench-host [--vid 0x1d6b] [--pid 0x0105] --mode in|out|loopback|pingpong|control\n"
		    "                      [--size BYTES] [--depth N] [--seconds S] [--warmup S] [--interface N]\n"
		    "                      [--recipient interface|device]\n"
		    "  --size      bytes per transfer (default 16384; pingpong 512)\n"
		    "  --depth     transfers in flight per direction (default 8)\n"
		    "  --seconds   measured time (default 5), after --warmup seconds (default 1)\n"
		    "  --recipient vendor control requests go to the interface (0xC1/0x41, wIndex = --interface; default,\n"
		    "              as gadgets/BulkLoopback expects) or the device (0xC0/0x40; FunctionFS forwards these\n"
		    "              only with FUNCTIONFS_ALL_CTRL_RECIP: ffs-reference --all-ctrl-recip)\n");
}

static double parse_double(const char *text, const char *name, double min, double max)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "usb-bench-host: %s must be in %g..%g, not '%s'\n", name, min, max, text);
		exit(2);
	}
	return v;
}

static uint16_t parse_id(const char *text, const char *name)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 16); /* 0x1d6b and 1d6b alike */
	if (errno || *end || !*text || v > 0xffff) {
		fprintf(stderr, "usb-bench-host: %s must be a 16-bit hex id, not '%s'\n", name, text);
		exit(2);
	}
	return (uint16_t)v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option options[] = {
		{ "vid", required_argument, NULL, 'v' },       { "pid", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },      { "size", required_argument, NULL, 's' },
		{ "depth", required_argument, NULL, 'd' },     { "seconds", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },    { "interface", required_argument, NULL, 'i' },
		{ "recipient", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	g.vid = 0x1d6b;
	g.pid = 0x0105;
	g.mode = MODE_IN;
	g.depth = 8;
	g.seconds = 5;
	g.warmup = 1;
	g.request_type_recipient = LIBUSB_RECIPIENT_INTERFACE;
	bool mode_given = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'v': g.vid = parse_id(optarg, "--vid"); break;
		case 'p': g.pid = parse_id(optarg, "--pid"); break;
		case 'm': {
			bool ok = false;
			for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
				if (!strcmp(optarg, mode_names[i]))
					g.mode = (enum mode)i, ok = true;
			if (!ok) {
				fprintf(stderr, "usb-bench-host: unknown --mode '%s'\n", optarg);
				exit(2);
			}
			mode_given = true;
			break;
		}
		case 's': g.size = (size_t)parse_double(optarg, "--size", 1, 16 << 20), g.size_given = true; break;
		case 'd': g.depth = (unsigned)parse_double(optarg, "--depth", 1, 1024); break;
		case 't': g.seconds = parse_double(optarg, "--seconds", 0.01, 86400); break;
		case 'w': g.warmup = parse_double(optarg, "--warmup", 0, 86400); break;
		case 'i': g.interface = (int)parse_double(optarg, "--interface", 0, 255); break;
		case 'r':
			if (!strcmp(optarg, "interface"))
				g.request_type_recipient = LIBUSB_RECIPIENT_INTERFACE;
			else if (!strcmp(optarg, "device"))
				g.request_type_recipient = LIBUSB_RECIPIENT_DEVICE;
			else {
				fprintf(stderr, "usb-bench-host: --recipient is interface or device, not '%s'\n", optarg);
				exit(2);
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (!mode_given || optind != argc) {
		usage(stderr);
		exit(2);
	}
	if (!g.size_given)
		g.size = g.mode == MODE_PINGPONG ? 512 : g.mode == MODE_CONTROL ? 64 : 16384;
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	open_device();

	uint64_t f[4] = { 0 };
	const char *store_check = NULL, *stall_check = NULL;
	double measured;
	switch (g.mode) {
	case MODE_PINGPONG: measured = run_pingpong(f); break;
	case MODE_CONTROL: measured = run_control(f, &store_check, &stall_check); break;
	default: measured = run_streaming(f); break;
	}

	double p50 = 0, p99 = 0, mean = 0;
	if (g.lat.n) {
		qsort(g.lat.v, g.lat.n, sizeof(*g.lat.v), compare_doubles);
		p50 = g.lat.v[g.lat.n / 2];
		p99 = g.lat.v[(size_t)((double)(g.lat.n - 1) * 0.99)];
		for (size_t i = 0; i < g.lat.n; i++)
			mean += g.lat.v[i];
		mean /= (double)g.lat.n;
	}
	if (measured <= 0)
		measured = 1e-9;
	printf("mode=%s size=%zu depth=%u seconds=%.2f bytes=%" PRIu64 " transfers=%" PRIu64
	       " mbps=%.2f tps=%.1f p50_us=%.1f p99_us=%.1f mean_us=%.1f errors=%" PRIu64 " mismatches=%" PRIu64,
	       mode_names[g.mode], g.size, g.mode == MODE_PINGPONG || g.mode == MODE_CONTROL ? 1 : g.depth, measured,
	       f[0], f[1], (double)f[0] / measured / 1e6, (double)f[1] / measured, p50, p99, mean, f[2], f[3]);
	if (store_check)
		printf(" store_check=%s stall_check=%s", store_check, stall_check);
	printf("\n");
	fflush(stdout);

	libusb_release_interface(g.h, g.interface);
	libusb_close(g.h);
	libusb_exit(g.usb);
	bool failed = g.fatal || f[3] > 0 || (g.mode == MODE_CONTROL && (f[1] == 0 || strcmp(stall_check, "ok")));
	return failed ? 1 : 0;
}
