/* The C floor of reading event streams: libbpf's ring_buffer__consume and perf_buffer__consume.
 *
 *   cstreams ringbuf|perf MAP_PIN PROG_PIN RECORDS REPEATS
 *
 * Each repeat fills the stream by running the pinned program RECORDS times (BPF_PROG_TEST_RUN with
 * repeat), then times one consume of all of them with a callback that counts each record and
 * reads its first 8-byte field. Prints "consume NS_PER_RECORD" (best of the repeats). Runs on
 * CPU 0, so every perf sample lands in one buffer, as bench/streams.py does.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long received;
static unsigned long checksum;

static int on_ring_record(void *ctx, void *data, size_t size)
{
	received++;
	checksum += *(__u64 *)data + size;
	return 0;
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	received++;
	checksum += *(__u64 *)data + size;
}

static void on_lost(void *ctx, int cpu, __u64 count)
{
	fprintf(stderr, "cstreams: %llu samples lost\n", (unsigned long long)count);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fill(int prog_fd, int records)
{
	char packet[128] = {1, 2, 3};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof(packet), .repeat = records);
	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		perror("cstreams: BPF_PROG_TEST_RUN");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: cstreams ringbuf|perf MAP_PIN PROG_PIN RECORDS REPEATS\n");
		return 2;
	}
	int perf = !strcmp(argv[1], "perf");
	int map_fd = bpf_obj_get(argv[2]), prog_fd = bpf_obj_get(argv[3]);
	long records = atol(argv[4]);
	int repeats = atoi(argv[5]);
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (map_fd < 0 || prog_fd < 0) {
		perror("cstreams: bpf_obj_get");
		return 1;
	}
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	if (perf)
		pb = perf_buffer__new(map_fd, 512, on_sample, on_lost, NULL, NULL); /* 2 MiB a CPU */
	else
		rb = ring_buffer__new(map_fd, on_ring_record, NULL, NULL);
	if (!rb && !pb) {
		perror("cstreams: opening the stream");
		return 1;
	}
	double best = 1e30;
	for (int i = 0; i < repeats; i++) {
		fill(prog_fd, records);
		received = 0;
		double start = now_ns();
		if (perf)
			perf_buffer__consume(pb);
		else
			ring_buffer__consume(rb);
		double took = now_ns() - start;
		if (received != records) {
			fprintf(stderr, "cstreams: %ld records of %ld arrived\n", received, records);
			return 1;
		}
		if (took < best)
			best = took;
	}
	printf("consume %.2f\n", best / records);
	fprintf(stderr, "checksum %lu\n", checksum);
	return 0;
}
