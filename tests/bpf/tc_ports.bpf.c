/* A tc program that drops UDP datagrams to one port, set in .rodata before load, and counts what it saw.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c tc_ports.bpf.c -o tc_ports.bpf.o
 * Load:   bpftool prog loadall tc_ports.bpf.o DIR/prog pinmaps DIR/maps
 * Run:    attached with tcx (pybpfmaps: obj.programs["drop_port"].attach_tcx(iface, "egress")), or
 *         BPF_PROG_TEST_RUN with an Ethernet frame.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u16 blocked_port = 9;	/* the UDP destination port to drop (host order) */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);		/* UDP destination port */
	__type(value, __u64);		/* datagrams seen */
} ports SEC(".maps");

__u64 dropped;

SEC("tc")
int drop_port(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *udp = (void *)(ip + 1);
	__u16 port;
	__u64 one = 1, *seen;

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_UDP
	    || ip->ihl != 5)
		return TC_ACT_OK;
	port = bpf_ntohs(udp->dest);
	seen = bpf_map_lookup_elem(&ports, &port);
	if (seen)
		__sync_fetch_and_add(seen, 1);
	else
		bpf_map_update_elem(&ports, &port, &one, BPF_NOEXIST);
	if (port != blocked_port)
		return TC_ACT_OK;
	__sync_fetch_and_add(&dropped, 1);
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
