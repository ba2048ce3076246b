/* A BPF object whose maps clang describes with BTF: the independent producer that tests/kernel/test_btf.py reads. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum verdict { VERDICT_PASS = 1, VERDICT_DROP = 2 };

struct flow {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
};

struct stats {
	__u64 packets;
	__u64 bytes;
	char ifname[16];
	enum verdict verdict;
	__u16 ports[3];
	struct flow last;
};

struct odd {
	__u32 a : 4;
	__u32 b : 28;
	union { __u32 c; __u16 d; } u;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow);
	__type(value, struct stats);
	__uint(max_entries, 64);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct odd);
	__uint(max_entries, 4);
} odds SEC(".maps");

SEC("xdp")
int count(struct xdp_md *ctx)
{
	struct flow key = {};
	__u32 zero = 0;
	struct stats *s = bpf_map_lookup_elem(&flows, &key);
	struct odd *o = bpf_map_lookup_elem(&odds, &zero);
	if (s)
		s->packets++;
	if (o)
		o->u.c++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
