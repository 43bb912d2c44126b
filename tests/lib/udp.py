#!/usr/bin/python3
"""UDP traffic for the tests (the guest has no nc).

udp.py send SRC DST PORT COUNT [SIZE]        send COUNT datagrams numbered 0..COUNT-1
udp.py hold ADDR PORT SECS                  hold a UDP_ENCAP_ESPINUDP socket on PORT
                                             for SECS (prints 'listening' on stderr)
udp.py recv ADDR PORT COUNT SECS [--encap P] receive until COUNT arrived or SECS
                                             passed; print each payload's number;
                                             with --encap, hold a UDP_ENCAP_ESPINUDP
                                             socket on port P meanwhile (as IKE
                                             daemons do) so the kernel decapsulates
                                             ESP-in-UDP arriving there; prints
                                             'listening' on stderr once bound
"""
import socket, sys, time

UDP_ENCAP = 100
UDP_ENCAP_ESPINUDP = 2


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def payload(i, size):
    head = b"xfrmctl-test %08d " % i
    return (head + b"." * size)[:max(size, len(head))]


def send(src, dst, port, count, size=64):
    s = socket.socket(family(dst), socket.SOCK_DGRAM)
    s.bind((src, port))
    for i in range(count):
        s.sendto(payload(i, size), (dst, port))
        time.sleep(0.01)


def recv(addr, port, count, secs, encap=None):
    keep = None
    if encap:
        keep = socket.socket(family(addr), socket.SOCK_DGRAM)
        keep.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
        keep.bind((addr, encap))
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("listening", file=sys.stderr, flush=True)
    end = time.time() + secs
    got = 0
    while got < count and time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        print(data.split(b" ")[1].decode(), flush=True)
        got += 1


def hold(addr, port, secs):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
    s.bind((addr, port))
    print("listening", file=sys.stderr, flush=True)
    time.sleep(secs)


def main(argv):
    if len(argv) >= 5 and argv[1] == "send":
        send(argv[2], argv[3], int(argv[4]), int(argv[5]), *(int(a) for a in argv[6:7]))
    elif len(argv) == 5 and argv[1] == "hold":
        hold(argv[2], int(argv[3]), float(argv[4]))
    elif len(argv) >= 6 and argv[1] == "recv":
        encap = int(argv[7]) if len(argv) == 8 and argv[6] == "--encap" else None
        recv(argv[2], int(argv[3]), int(argv[4]), float(argv[5]), encap)
    else:
        sys.exit(__doc__)


main(sys.argv)
