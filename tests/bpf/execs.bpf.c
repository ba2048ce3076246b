/* A tracepoint program that reports every exec through a ring buffer, as execsnoop does, for the
 * tests of attaching an object's programs.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c execs.bpf.c -o execs.bpf.o
 * Load:   bpftool prog loadall execs.bpf.o DIR/prog pinmaps DIR/maps autoattach
 * Read:   every exec on the machine is a struct exec_event in the ring buffer `events`.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define FILENAME_LEN 64

struct exec_event {
	__u32 pid;			/* the process that exec'd (its pid does not change) */
	__u32 filename_len;		/* bytes of filename written, its NUL included */
	char comm[16];			/* its new command name */
	char filename[FILENAME_LEN];	/* the path it exec'd, cut short */
};

/* The tracepoint's own record, as /sys/kernel/tracing/events/sched/sched_process_exec/format lays it out. */
struct sched_process_exec_args {
	__u64 common;			/* common_type, common_flags, common_preempt_count, common_pid */
	__u32 filename_loc;		/* __data_loc: the offset (low 16 bits) and length of the name */
	__s32 pid;
	__s32 old_pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

__u64 lost;			/* events the ring buffer had no room for */
struct exec_event last;		/* keeps the record type in the object's BTF */

SEC("tracepoint/sched/sched_process_exec")
int on_exec(struct sched_process_exec_args *ctx)
{
	struct exec_event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
	long copied;

	if (!event) {
		__sync_fetch_and_add(&lost, 1);
		return 0;
	}
	event->pid = ctx->pid;
	bpf_get_current_comm(event->comm, sizeof(event->comm));
	copied = bpf_probe_read_kernel_str(event->filename, sizeof(event->filename),
					   (void *)ctx + (ctx->filename_loc & 0xffff));
	event->filename_len = copied > 0 ? copied : 0;
	bpf_ringbuf_submit(event, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
