#!/usr/bin/python3
"""measure.py [--stdout FILE] -- CMD...: run CMD once; print one JSON line
{"wall":s,"user":s,"sys":s,"maxrss_kb":n,"status":n} (resources from wait4)."""
import json, os, sys, time


def main(argv):
    out = "/dev/null"
    if argv[1:3] and argv[1] == "--stdout":
        out, argv = argv[2], argv[:1] + argv[3:]
    if len(argv) < 3 or argv[1] != "--":
        sys.exit(__doc__)
    cmd = argv[2:]
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - start
    print(json.dumps({"wall": round(wall, 3), "user": round(ru.ru_utime, 3),
                      "sys": round(ru.ru_stime, 3), "maxrss_kb": ru.ru_maxrss,
                      "status": os.waitstatus_to_exitcode(status)}))


main(sys.argv)
