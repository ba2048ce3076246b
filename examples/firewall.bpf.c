/* firewall: drop IPv4 packets from blocked networks at XDP, counting verdicts per CPU and hits per rule.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c firewall.bpf.c -o firewall.bpf.o
 * Run:    python examples/firewall.py IFACE --block 192.0.2.0/24 (loads this object with pybpfmaps)
 *
 * The blocklist is an LPM trie of IPv4 prefixes whose values count the packets each rule matched;
 * `verdicts` counts passed, dropped and non-IPv4 packets per CPU. With `dry_run` set (a .rodata
 * constant, fixed when the program is loaded) matches are counted but not dropped.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct ipv4_prefix {
	__u32 prefixlen;	/* bits of addr that count: the LPM trie's key layout */
	__u8 addr[4];		/* network byte order */
};

enum verdict {
	PASSED,
	DROPPED,
	NOT_IPV4,
	VERDICTS,
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct ipv4_prefix);
	__type(value, __u64);		/* packets this rule matched */
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VERDICTS);
	__type(key, enum verdict);
	__type(value, __u64);
} verdicts SEC(".maps");

const volatile __u8 dry_run = 0;	/* 1: count matches, drop nothing */

static __always_inline int count(enum verdict verdict, int action)
{
	__u32 key = verdict;
	__u64 *packets = bpf_map_lookup_elem(&verdicts, &key);

	if (packets)
		*packets += 1;
	return action;
}

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct ipv4_prefix key = { .prefixlen = 32 };
	__u64 *hits;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return count(NOT_IPV4, XDP_PASS);
	__builtin_memcpy(key.addr, &ip->saddr, sizeof(key.addr));
	hits = bpf_map_lookup_elem(&blocklist, &key);
	if (!hits)
		return count(PASSED, XDP_PASS);
	__sync_fetch_and_add(hits, 1);
	if (dry_run)
		return count(PASSED, XDP_PASS);
	return count(DROPPED, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";
