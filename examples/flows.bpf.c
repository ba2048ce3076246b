/* An XDP program that counts IPv4 flows, with maps described by clang's BTF.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c flows.bpf.c -o flows.bpf.o
 * Load:   bpftool prog loadall flows.bpf.o /sys/fs/bpf/flows_prog pinmaps /sys/fs/bpf/flows
 * Read:   BpfMap.from_pin("/sys/fs/bpf/flows/flows") gives typed keys and values (docs/btf.md).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

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
	__u16 lengths[3];	/* the last three packet lengths */
	struct flow reply;
};

struct rule {
	__u32 action : 4;	/* bitfields and unions are typed too: see docs/maps-made-elsewhere.md */
	__u32 priority : 28;
	union { __u32 mark; __u16 class_id; } tag;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow);
	__type(value, struct stats);
	__uint(max_entries, 1024);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rule);
	__uint(max_entries, 4);
} rules SEC(".maps");

__u64 frames_seen;	/* global data: the .bss map, pinned as flows_bss */

SEC("xdp")
int count_flows(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__be16 *ports = (void *)(ip + 1);	/* TCP and UDP both start with the two ports */
	struct flow key = {};
	struct stats *s;

	__sync_fetch_and_add(&frames_seen, 1);
	if ((void *)(ports + 2) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.sport = ports[0];
	key.dport = ports[1];
	key.proto = ip->protocol;
	s = bpf_map_lookup_elem(&flows, &key);
	if (!s) {
		struct stats fresh = { .verdict = VERDICT_PASS };
		bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&flows, &key);
		if (!s)
			return XDP_PASS;
	}
	__sync_fetch_and_add(&s->packets, 1);
	__sync_fetch_and_add(&s->bytes, end - data);
	return s->verdict == VERDICT_DROP ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
