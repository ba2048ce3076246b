/* An XDP program that drops UDP datagrams to blocked ports and reports each drop through a ring buffer.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c drops.bpf.c -o drops.bpf.o
 * Load:   bpftool prog loadall drops.bpf.o /sys/fs/bpf/drops/prog pinmaps /sys/fs/bpf/drops/maps
 * Read:   python examples/drops.py /sys/fs/bpf/drops IFACE --block 9999 (docs/streams.md)
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* What user space reads for each dropped datagram: the record type of the ring buffer. */
struct drop_event {
	__u64 timestamp_ns;	/* bpf_ktime_get_ns(): monotonic, per boot */
	__be32 saddr;
	__be32 daddr;
	__u16 sport;		/* host order */
	__u16 dport;
	__u32 length;		/* the frame's length */
};

/* clang puts a type in the object's BTF only where BTF-described things use it: this unused
 * global does, so readers can decode the records by name ("struct drop_event"). */
struct drop_event *unused_drop_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);	/* a UDP destination port, host order */
	__type(value, __u64);	/* datagrams dropped */
	__uint(max_entries, 1024);
} blocked_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} drops SEC(".maps");

SEC("xdp")
int drop_blocked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *udp = (void *)ip + sizeof(*ip);
	struct drop_event *event;
	__u64 *dropped;
	__u16 dport;

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	dport = bpf_ntohs(udp->dest);
	dropped = bpf_map_lookup_elem(&blocked_ports, &dport);
	if (!dropped)
		return XDP_PASS;
	__sync_fetch_and_add(dropped, 1);
	event = bpf_ringbuf_reserve(&drops, sizeof(*event), 0);
	if (event) {	/* a full ring buffer: the drop still happens, unreported */
		event->timestamp_ns = bpf_ktime_get_ns();
		event->saddr = ip->saddr;
		event->daddr = ip->daddr;
		event->sport = bpf_ntohs(udp->source);
		event->dport = dport;
		event->length = data_end - data;
		bpf_ringbuf_submit(event, 0);
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
