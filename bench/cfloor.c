/* The C floor: what libbpf's own calls cost for the same maps and data as bench/run.py.
 *
 * usage: cfloor MAP_TYPE N KEY_SIZE VALUE_SIZE REPEATS
 * MAP_TYPE is hash, lru_hash or array. Keys are 0..N-1 (a u32 index, or for larger keys a
 * u32 index followed by a fixed pattern); values are the key's index. Prints, best of REPEATS:
 *   update_batch NS   one bpf_map_update_batch() of all N elements into a new map, per element
 *   update_elem NS    N bpf_map_update_elem() calls into a new map, per element
 *   lookup_batch NS   bpf_map_lookup_batch() of the whole (full) map, per element read
 *   lookup_elem NS    N bpf_map_lookup_elem() calls on the full map, per element
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int new_map(enum bpf_map_type type, unsigned key_size, unsigned value_size, unsigned n)
{
	int fd = bpf_map_create(type, "cfloor", key_size, value_size, n, NULL);
	if (fd < 0) {
		fprintf(stderr, "bpf_map_create: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(-err));
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s hash|lru_hash|array N KEY_SIZE VALUE_SIZE REPEATS\n", argv[0]);
		return 2;
	}
	enum bpf_map_type type = !strcmp(argv[1], "hash")     ? BPF_MAP_TYPE_HASH
				 : !strcmp(argv[1], "lru_hash") ? BPF_MAP_TYPE_LRU_HASH
								: BPF_MAP_TYPE_ARRAY;
	unsigned n = atoi(argv[2]), ks = atoi(argv[3]), vs = atoi(argv[4]), reps = atoi(argv[5]);
	char *keys = calloc(n, ks), *values = calloc(n, vs);
	char *out_keys = calloc(n, ks), *out_values = calloc(n, vs);
	for (unsigned i = 0; i < n; i++) {
		memcpy(keys + (size_t)i * ks, &i, 4);
		for (unsigned b = 4; b < ks; b++)
			keys[(size_t)i * ks + b] = (char)(0x5a ^ b);
		uint64_t v = i;
		memcpy(values + (size_t)i * vs, &v, vs < 8 ? vs : 8);
	}
	double best_batch = 1e30, best_elem = 1e30, best_lookup = 1e30, best_lookup_elem = 1e30;
	for (unsigned r = 0; r < reps; r++) {
		int fd = new_map(type, ks, vs, n);
		__u32 count = n;
		double t0 = now_ns();
		int err = bpf_map_update_batch(fd, keys, values, &count, NULL);
		double t1 = now_ns();
		if (err || count != n)
			fail("bpf_map_update_batch", err);
		if (t1 - t0 < best_batch)
			best_batch = t1 - t0;

		/* read the full map back */
		__u64 cursor = 0;
		__u32 total = 0;
		t0 = now_ns();
		for (int first = 1;; first = 0) {
			count = n - total;
			err = bpf_map_lookup_batch(fd, first ? NULL : &cursor, &cursor, out_keys + (size_t)total * ks,
						   out_values + (size_t)total * vs, &count, NULL);
			total += count;
			if (err == -ENOENT || total == n)
				break;
			if (err)
				fail("bpf_map_lookup_batch", err);
		}
		t1 = now_ns();
		if (total == 0 || (total != n && type != BPF_MAP_TYPE_LRU_HASH)) /* LRU maps may hold fewer */
			fail("bpf_map_lookup_batch: short read", -EIO);
		if ((t1 - t0) / total * n < best_lookup)
			best_lookup = (t1 - t0) / total * n;

		/* look every key up, one call each */
		t0 = now_ns();
		for (unsigned i = 0; i < n; i++)
			bpf_map_lookup_elem(fd, keys + (size_t)i * ks, out_values + (size_t)i * vs); /* LRU: may miss */
		t1 = now_ns();
		if (t1 - t0 < best_lookup_elem)
			best_lookup_elem = t1 - t0;
		close(fd);

		fd = new_map(type, ks, vs, n);
		t0 = now_ns();
		for (unsigned i = 0; i < n; i++) {
			err = bpf_map_update_elem(fd, keys + (size_t)i * ks, values + (size_t)i * vs, BPF_ANY);
			if (err)
				fail("bpf_map_update_elem", err);
		}
		t1 = now_ns();
		if (t1 - t0 < best_elem)
			best_elem = t1 - t0;
		close(fd);
	}
	printf("update_batch %.1f\nupdate_elem %.1f\nlookup_batch %.1f\nlookup_elem %.1f\n", best_batch / n, best_elem / n,
	       best_lookup / n, best_lookup_elem / n);
	return 0;
}
