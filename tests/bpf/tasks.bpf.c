/* CO-RE: programs that read the kernel's task_struct through types of their own, for the tests of
 * CO-RE relocations. The local types have the fields in another order and at other sizes than any
 * kernel: only the relocations, resolved against the running kernel's BTF, make the reads right.
 *
 * Build:  clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) -c tasks.bpf.c -o tasks.bpf.o
 * Load:   bpftool prog loadall tasks.bpf.o DIR/prog pinmaps DIR/maps (needs /sys/kernel/btf/vmlinux)
 * Run:    attach, then exec a child of the process whose tgid is in .rodata `traced` (`seen`: what the
 *         tp_btf program read of the child), or unlink a file from it (`probed`: what the kprobe read).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___mine {
	__u64 personality;			/* unsigned int in the kernel: the load is narrowed */
	struct task_struct___mine *real_parent;
	char comm[16];
	int tgid;
	int pid;
	int no_such_field;			/* in no kernel: bpf_core_field_exists() is 0 */
} __attribute__((preserve_access_index));

enum pid_type___mine {
	PIDTYPE_SID = 99,			/* 3 in the kernel */
};

struct seen {
	__u64 calls;
	__u64 personality;
	__u32 pid;
	__u32 tgid;
	__u32 parent_tgid;
	__u32 has_no_such_field;
	__u32 has_pid;
	__u32 sid;
	__u32 task_size;
	__u32 tgid_offset;
	char comm[16];
};

const volatile __u32 traced = 0;	/* the process whose children's execs and own unlinks are recorded */
struct seen seen;			/* what the tp_btf program read (direct loads of BTF-typed pointers) */
struct seen probed;			/* what the kprobe program read (through bpf_probe_read_kernel) */

SEC("tp_btf/sched_process_exec")
int on_exec(unsigned long long *ctx)
{
	struct task_struct___mine *task = (void *)ctx[0];	/* the task that exec'd */

	if (task->real_parent->tgid != traced)	/* direct loads, their offsets relocated */
		return 0;
	seen.pid = task->pid;
	seen.tgid = task->tgid;
	seen.personality = task->personality;
	seen.parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&seen.comm, task, comm);
	seen.has_no_such_field = bpf_core_field_exists(task->no_such_field);
	seen.has_pid = bpf_core_field_exists(task->pid);
	seen.sid = bpf_core_enum_value(enum pid_type___mine, PIDTYPE_SID);
	seen.task_size = bpf_core_type_size(struct task_struct___mine);
	seen.tgid_offset = bpf_core_field_offset(struct task_struct___mine, tgid);
	seen.calls++;
	return 0;
}

SEC("kprobe/do_unlinkat")
int probe_unlink(void *ctx)
{
	struct task_struct___mine *task = (void *)bpf_get_current_task();

	if (BPF_CORE_READ(task, tgid) != traced)
		return 0;
	probed.pid = BPF_CORE_READ(task, pid);
	probed.tgid = BPF_CORE_READ(task, tgid);
	probed.parent_tgid = BPF_CORE_READ(task, real_parent, tgid);
	BPF_CORE_READ_STR_INTO(&probed.comm, task, comm);
	probed.calls++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
