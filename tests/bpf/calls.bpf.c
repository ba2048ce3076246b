/* Programs made of functions, for the tests of loading objects: calls between BPF functions (static
 * and global, in .text and calling each other), callbacks passed to helpers, and two programs that
 * share a function, each of which must get its own copy of it.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c calls.bpf.c -o calls.bpf.o
 * Load:   bpftool prog loadall calls.bpf.o DIR/prog pinmaps DIR/maps
 * Run:    BPF_PROG_TEST_RUN of DIR/prog/tally and DIR/prog/checksum with any frame.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} tallies SEC(".maps");

__u64 calls;		/* how many times add() ran, in .bss */
__u32 weights[4] = { 1, 3, 5, 7 };	/* in .data */

/* A static function that touches a map and global data: its references are patched where it lands. */
static __attribute__((noinline)) int add(__u32 slot, __u64 amount)
{
	__u64 *tally = bpf_map_lookup_elem(&tallies, &slot);

	if (!tally)
		return -1;
	*tally += amount * weights[slot & 3];
	calls++;
	return 0;
}

/* A static function that only calls another static one: a call inside .text. */
static __attribute__((noinline)) int add_twice(__u32 slot, __u64 amount)
{
	return add(slot, amount) + add(slot + 1, amount);
}

/* A global function: the verifier checks it on its own, from its BTF type. */
__attribute__((noinline)) int scaled(int length)
{
	return length < 0 ? 0 : length / 4 + 1;
}

struct loop_state {
	__u64 sum;
	__u32 length;
};

static long step(__u32 index, void *data)
{
	struct loop_state *state = data;

	state->sum += index * state->length;
	return 0;
}

static long visit(void *map, __u32 *key, __u64 *value, void *data)
{
	*(__u64 *)data += *value;
	return 0;
}

SEC("xdp")
int tally(struct xdp_md *ctx)
{
	__u32 length = ctx->data_end - ctx->data;

	add_twice(length & 3, scaled(length));
	return XDP_PASS;
}

SEC("xdp")
int checksum(struct xdp_md *ctx)
{
	struct loop_state state = { .sum = 0, .length = ctx->data_end - ctx->data };
	__u64 total = 0;

	add(4 + (state.length & 3), 1);
	bpf_loop(16, step, &state, 0);
	bpf_for_each_map_elem(&tallies, visit, &total, 0);
	add(0, (state.sum + total) & 0xff);
	return (state.sum + total) & 3 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
