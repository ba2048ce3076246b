/* A program that drains a user ring buffer, for the tests of writing records from Python.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c requests.bpf.c -o requests.bpf.o
 * Load:   bpftool prog loadall requests.bpf.o DIR/prog pinmaps DIR/maps
 * Run:    each BPF_PROG_TEST_RUN of DIR/prog/drain drains what is there and adds it up in .bss.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct request {
	__u64 seq;	/* 0, 1, 2... in the order written */
	__u64 value;
};

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} requests SEC(".maps");

__u64 drained;		/* records taken */
__u64 total;		/* the sum of their values */
__u64 out_of_order;	/* records whose seq was not the next one */
__u64 short_records;	/* records too short to be a request */
__u64 next_seq;
struct request last;	/* the last record taken (and the record type, by name, in the BTF) */

static long take(struct bpf_dynptr *record, void *ctx)
{
	struct request request;

	if (bpf_dynptr_read(&request, sizeof(request), record, 0, 0)) {
		short_records++;
		return 0;
	}
	if (request.seq != next_seq)
		out_of_order++;
	next_seq = request.seq + 1;
	total += request.value;
	drained++;
	last = request;
	return 0;	/* 0: on to the next record */
}

SEC("xdp")
int drain(struct xdp_md *ctx)
{
	bpf_user_ringbuf_drain(&requests, take, NULL, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
