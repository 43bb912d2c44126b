/* runstat [--stdout FILE] -- CMD...: run CMD once, its output to FILE
 * (default /dev/null), and print one JSON line
 *   {"wall":s,"user":s,"sys":s,"maxrss_kb":n,"status":n}
 * with the wall-clock time and the child's own CPU times and peak RSS
 * (wait4). A C program and not the bench's Python: a child's peak RSS
 * counts the memory of the process it was forked from until its exec
 * (8 MB of Python), which would hide the 1-8 MB the figures are about.
 * Built by tests/bench/state.sh. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double secs(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	const char *out = "/dev/null";
	struct timespec t0, t1;
	struct rusage ru;
	int i = 1, status, fd;
	pid_t pid;

	if (argc > 3 && !strcmp(argv[1], "--stdout")) {
		out = argv[2];
		i = 3;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc) {
		fprintf(stderr, "usage: runstat [--stdout FILE] -- CMD...\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("runstat: fork");
		return 1;
	}
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0) {
			perror(out);
			_exit(127);
		}
		execvp(argv[i + 1], argv + i + 1);
		perror(argv[i + 1]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("runstat: wait4");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"wall\": %.3f, \"user\": %.3f, \"sys\": %.3f, \"maxrss_kb\": %ld, \"status\": %d}\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	       secs(&ru.ru_utime), secs(&ru.ru_stime), ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
