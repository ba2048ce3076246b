/* Histograms of packet lengths in the three shapes tracing tools keep them, for the tests of
 * pybpfmaps.hist and `pybpfmaps hist`.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c histograms.bpf.c -o histograms.bpf.o
 * Load:   bpftool prog loadall histograms.bpf.o DIR/prog pinmaps DIR/maps
 * Run:    each BPF_PROG_TEST_RUN of DIR/prog/count counts its packet's length, log2(len) as the
 *         slot (libbpf-tools' bits.bpf.h), in:
 *         - sizes:    an array of counts by slot (BCC's BPF_HISTOGRAM);
 *         - by_first: a hash from {first byte of the packet, slot} to a count (a histogram per
 *                     section, BCC's BPF_HISTOGRAM(dist, key_t));
 *         - by_kind:  a per-CPU hash from the first byte % 4 to a struct holding slots[] (the
 *                     libbpf-tools `struct hist` shape).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SLOTS 16

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} sizes SEC(".maps");

struct section_key {
	__u32 first;	/* the first byte of the packet */
	__u32 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct section_key);
	__type(value, __u64);
} by_first SEC(".maps");

struct hist {
	__u32 slots[SLOTS];
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct hist);
} by_kind SEC(".maps");

static __always_inline __u32 log2(__u32 v)
{
	__u32 shift, r;

	r = (v > 0xFFFF) << 4; v >>= r;
	shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
	shift = (v > 0xF) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

SEC("xdp")
int count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u32 length = data_end - data, slot = log2(length);
	struct section_key section = {};
	struct hist empty = {.comm = "histograms"}, *hist;
	__u64 one = 1, *count;
	__u32 kind;

	if (data + 1 > data_end)
		return XDP_PASS;
	if (slot >= SLOTS)
		slot = SLOTS - 1;
	count = bpf_map_lookup_elem(&sizes, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);

	section.first = *(__u8 *)data;
	section.slot = slot;
	count = bpf_map_lookup_elem(&by_first, &section);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&by_first, &section, &one, BPF_NOEXIST);

	kind = *(__u8 *)data % 4;
	hist = bpf_map_lookup_elem(&by_kind, &kind);
	if (!hist) {
		bpf_map_update_elem(&by_kind, &kind, &empty, BPF_NOEXIST);
		hist = bpf_map_lookup_elem(&by_kind, &kind);
		if (!hist)
			return XDP_PASS;
	}
	hist->slots[slot & (SLOTS - 1)]++;	/* per CPU: no other writer */
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
