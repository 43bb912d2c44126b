#!/usr/bin/python3
"""Send a captured Ethernet frame again, changed or not, for the kernel to
judge (the tests compare its XfrmIn* counters with xfrmctl verify).

inject.py PCAP INDEX IFACE [MUTATION]   send frame INDEX (1-based) of PCAP on IFACE
  MUTATION:  none (a replay) | flip-last (flip a bit of the last byte: the ICV)
             | spi+1 (add 1 to the SPI)
inject.py --count PCAP                  print the number of frames
Finds the ESP header itself (IPv4; ESP, or in UDP to port 4500)."""
import socket, struct, sys


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        yield bytearray(data[off + 16:off + 16 + caplen])
        off += 16 + caplen


def esp_offset(frame):
    ip = 14
    ihl = (frame[ip] & 15) * 4
    proto = frame[ip + 9]
    if proto == 50:
        return ip + ihl
    if proto == 17 and struct.unpack(">H", frame[ip + ihl + 2:ip + ihl + 4])[0] == 4500:
        return ip + ihl + 8
    sys.exit("inject.py: frame is not ESP")


def main(argv):
    if len(argv) == 3 and argv[1] == "--count":
        print(sum(1 for _ in frames(argv[2])))
        return
    if len(argv) not in (4, 5):
        sys.exit(__doc__)
    frame = list(frames(argv[1]))[int(argv[2]) - 1]
    mutation = argv[4] if len(argv) == 5 else "none"
    esp = esp_offset(frame)
    if mutation == "flip-last":
        frame[-1] ^= 0x01
    elif mutation == "spi+1":
        spi = struct.unpack(">I", frame[esp:esp + 4])[0]
        frame[esp:esp + 4] = struct.pack(">I", (spi + 1) & 0xffffffff)
    elif mutation != "none":
        sys.exit("inject.py: unknown mutation " + mutation)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((argv[3], 0))
    s.send(bytes(frame))


main(sys.argv)
