/* Maps whose BTF has every shape C allows, for the tests of typed access to maps made elsewhere.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c awkward.bpf.c -o awkward.bpf.o
 * Load:   bpftool prog loadall awkward.bpf.o DIR/prog pinmaps DIR/maps
 * Run:    bpftool prog run pinned DIR/prog/fill data_in FRAME   (writes the values C_* below)
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* A spin lock first: the usual layout, which attrs classes must not trip over. */
struct locked {
	struct bpf_spin_lock lock;
	int cnt;
	char tag[6];
};

/* Bitfields beside whole members, a named union, an anonymous union holding an anonymous struct. */
struct flags {
	__u32 action : 4;
	__u32 priority : 28;
	__s8 delta : 3;
	__u8 on : 1;
	__u16 port;
	union {
		__u32 mark;
		__u16 class_id;
	} tag;
	union {
		__u32 raw;
		struct {
			__u16 lo, hi;
		};
	};
	__u64 wide;
};

typedef struct { __u32 a; __u8 b; } pair_t;	/* a typedef'd anonymous struct: 3 bytes of padding */
typedef enum { RED = -1, GREEN = 2 } color_t;	/* a typedef'd anonymous enum with a negative value */
struct empty {};

struct numbers {
	__int128 big;
	unsigned __int128 ubig;
	void *ptr;
	color_t color;
	pair_t pair;
	char text[12];
	struct empty nothing;
	char tail[0];
};

struct floats {
	float f;
	double d;
};

struct raw16 {
	__u8 bytes[16];
};

struct lpm_key {
	__u32 prefixlen;
	__u16 vlan;
	__u8 addr[6];
};

/* Member names Python cannot take as they are, or that attrs would rewrite. */
struct names {
	int class;
	int _1;
	int pad;
	int _pad;
	int lambda;
	int self;
	int __init__;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct locked);
	__uint(max_entries, 8);
} locked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct flags);
	__uint(max_entries, 4);
} flagmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct numbers);
	__uint(max_entries, 4);
} numbers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct floats);
	__uint(max_entries, 2);
} floats SEC(".maps");

/* The bytes of floats, copied by the program: bpftool cannot print float members. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct raw16);
	__uint(max_entries, 2);
} floatbytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_key);
	__type(value, __u32);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} trie SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct names);
	__type(value, __u32);
	__uint(max_entries, 4);
} names SEC(".maps");

int counter = 7;
__u64 hits;
const volatile char greeting[8] = "hi\0yo";
extern int LINUX_KERNEL_VERSION __kconfig;

/* Not a loop: Linux 6.1's verifier loses a __u32 counter kept on the stack for its address and
 * rejects `for (__u32 i = 0; i < 2; i++)` as an infinite loop (docs/kernel-notes.md#kernel-differences). */
static __always_inline void copy_float_bytes(__u32 index)
{
	struct floats *src = bpf_map_lookup_elem(&floats, &index);
	struct raw16 *copy = bpf_map_lookup_elem(&floatbytes, &index);

	if (src && copy)
		__builtin_memcpy(copy->bytes, src, sizeof(copy->bytes));
}

SEC("xdp")
int fill(struct xdp_md *ctx)
{
	__u32 zero = 0, one = 1;
	struct numbers *n = bpf_map_lookup_elem(&numbers, &one);
	struct flags *f = bpf_map_lookup_elem(&flagmap, &one);
	struct floats *x = bpf_map_lookup_elem(&floats, &one);

	if (n) {
		n->big = -5;
		n->ubig = ((unsigned __int128)1 << 100) + 3;
		n->color = RED;
		n->pair.a = 70000;
		n->pair.b = 9;
		n->text[0] = 0; n->text[1] = 0; n->text[2] = 'h'; n->text[3] = 'i';	/* text after NULs */
	}
	if (f) {
		f->action = 9;
		f->priority = 123456;
		f->delta = -3;
		f->on = 1;
		f->port = 8080;
		f->tag.mark = 0x10002;
		f->lo = 1;
		f->hi = 2;
		f->wide = 0x1122334455667788ULL;
	}
	if (x) {
		x->f = 1.5f;
		x->d = -2.25;
	}
	copy_float_bytes(0);
	copy_float_bytes(1);
	hits += LINUX_KERNEL_VERSION > 0;
	counter++;
	(void)zero;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
