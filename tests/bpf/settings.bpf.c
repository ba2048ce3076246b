/* What an object's loader sets up before the programs run, for the tests of loading objects:
 * .rodata constants (set before load), .data/.bss/named data sections, a map of maps and a program
 * array filled from their `values` initialisers, and a tail call through that array.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c settings.bpf.c -o settings.bpf.o
 * Load:   bpftool prog loadall settings.bpf.o DIR/prog pinmaps DIR/maps
 * Run:    BPF_PROG_TEST_RUN of DIR/prog/entry: counts in first[0] (through outer[1]) and in .data.hits,
 *         then jumps to answer, which adds step * multiplier to seen and returns verdict.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 verdict = XDP_PASS;	/* .rodata: what answer() returns */
const volatile __u64 multiplier = 1;
__u64 seen;					/* .bss */
__u32 step = 1;					/* .data */
__u64 hits SEC(".data.hits");			/* a named data section */

struct inner_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} first SEC(".maps"), second SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = { [1] = &first, [3] = &second },
};

int answer(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&answer },
};

SEC("xdp")
int answer(struct xdp_md *ctx)
{
	seen += step * multiplier;
	return verdict;
}

SEC("xdp")
int entry(struct xdp_md *ctx)
{
	__u32 slot = 1, zero = 0;
	void *inner = bpf_map_lookup_elem(&outer, &slot);

	if (inner) {
		__u64 *count = bpf_map_lookup_elem(inner, &zero);

		if (count)
			*count += 1;
	}
	hits++;
	bpf_tail_call(ctx, &jumps, 1);
	return XDP_ABORTED;	/* only when the jump is missing */
}

char LICENSE[] SEC("license") = "GPL";
